//! Sending records: bounded concurrency, order within a group, and the stream's checkpoint.
//!
//! Every record ends as a [`Ran`]; none is dropped.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::StreamExt;
use serde_json::Value;
use tokio::sync::Semaphore;

use crate::caller::AlgorithmCaller;
use crate::config::{BatchMode, Target};
use crate::events::{Invocation, Payload, Record, Source};
use crate::failure::FailureKind;

use super::Context;
use super::step::{Ran, call, failure, input_of, lock, run_locked};

/// Run every record of an invocation (each on its route, `routes[i]` being record `i`'s) and
/// return how each ran, in record order.
pub(crate) async fn dispatch(
    ctx: &Context<'_>,
    invocation: &Invocation,
    routes: &[usize],
    caller: &impl AlgorithmCaller,
) -> Vec<Ran> {
    match ctx.config.batch {
        BatchMode::Record => per_record(ctx, invocation, routes, caller).await,
        BatchMode::Batch => whole_batch(ctx, invocation, routes, caller).await,
    }
}

/// Whether Lambda will see this run as a failure (a permanent failure that goes to a failure
/// destination is acknowledged instead).
fn reported(ctx: &Context<'_>, source: Source, route: usize, ran: &Ran) -> bool {
    match ran {
        Ran::Failed { failure, .. } => {
            !(failure.kind.is_permanent() && ctx.acknowledges(source, route))
        }
        _ => false,
    }
}

async fn per_record(
    ctx: &Context<'_>,
    invocation: &Invocation,
    routes: &[usize],
    caller: &impl AlgorithmCaller,
) -> Vec<Ran> {
    let records = &invocation.records;
    // Groups in first-seen order; records without a group are groups of one.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, record) in records.iter().enumerate() {
        match &record.group {
            Some(key) => match index.get(key.as_str()) {
                Some(&g) => groups[g].push(i),
                None => {
                    index.insert(key, groups.len());
                    groups.push(vec![i]);
                }
            },
            None => groups.push(vec![i]),
        }
    }
    // Kinesis and DynamoDB Streams checkpoint at the first failed record and resend everything
    // after it, whatever succeeded: a record after a failure is not started (it would only run
    // twice), and is reported failed so it comes back.
    let checkpointed = matches!(invocation.source, Source::Kinesis | Source::DynamoDb);
    let first_failure = AtomicUsize::new(usize::MAX);
    let first_failure = &first_failure;
    // At most `concurrency` groups run at once, in first-seen order, each sending its records
    // one after another: a group's future (several KiB, the SDK call's state) exists only while
    // it runs, so a batch of 10,000 records holds `concurrency` of them, not 10,000.
    let group_runs = futures_util::stream::iter(groups)
        .map(|members| async move {
            let mut results = Vec::with_capacity(members.len());
            let mut failed: Option<String> = None;
            for i in members {
                let record = &records[i];
                let target = ctx.config_target(routes[i]);
                let ran = if let Some(first) = &failed {
                    Ran::failed(
                        record,
                        FailureKind::NotSent,
                        format!("not sent: an earlier record of its group ({first}) failed, and order must hold"),
                    )
                } else {
                    run_one(ctx, caller, records, i, target, checkpointed.then_some(first_failure))
                        .await
                };
                if failed.is_none() && reported(ctx, invocation.source, routes[i], &ran) {
                    first_failure.fetch_min(i, Ordering::SeqCst);
                    if record.group.is_some() {
                        failed = Some(record.id.clone());
                    }
                }
                results.push((i, ran));
            }
            results
        })
        .buffer_unordered(ctx.config.concurrency)
        .collect::<Vec<_>>()
        .await;
    let mut ran: Vec<Option<Ran>> = vec![None; records.len()];
    for (i, outcome) in group_runs.into_iter().flatten() {
        ran[i] = Some(outcome);
    }
    ran.into_iter()
        .zip(records)
        .map(|(o, r)| o.unwrap_or_else(|| Ran::failed(r, FailureKind::NotSent, "not sent")))
        .collect()
}

/// One record of a group: its input, then (unless a record before it in a checkpointed stream
/// failed: `first_failure` is given for Kinesis and DynamoDB Streams) its lock and its call.
async fn run_one(
    ctx: &Context<'_>,
    caller: &impl AlgorithmCaller,
    records: &[Record],
    i: usize,
    target: &Target,
    first_failure: Option<&AtomicUsize>,
) -> Ran {
    let record = &records[i];
    let input = match input_of(record, target) {
        Ok(input) => input,
        Err(failure) => {
            return Ran::Failed {
                failure,
                locked: false,
            };
        }
    };
    if let Some(first) = first_failure.map(|f| f.load(Ordering::SeqCst))
        && first < i
    {
        return Ran::failed(
            record,
            FailureKind::NotSent,
            format!(
                "not sent: record {} before it in the shard failed, and the stream resends everything from there",
                records[first].id
            ),
        );
    }
    run_locked(ctx, caller, record, target, input).await
}

/// A record in a batch call: its index, its input, and whether its lock is held.
type Member = (usize, Payload, bool);

/// One call per route with the array of its records' inputs (records that completed before are
/// left out); each record gets the whole answer.
async fn whole_batch(
    ctx: &Context<'_>,
    invocation: &Invocation,
    routes: &[usize],
    caller: &impl AlgorithmCaller,
) -> Vec<Ran> {
    let records = &invocation.records;
    let mut ran: Vec<Option<Ran>> = vec![None; records.len()];
    // Inputs and locks first, per route, in record order.
    let mut by_route: Vec<(usize, Vec<Member>)> = Vec::new();
    let permits = Semaphore::new(ctx.config.concurrency);
    let locks = futures_util::future::join_all(records.iter().enumerate().map(|(i, record)| {
        let permits = &permits;
        async move {
            let target = ctx.config_target(routes[i]);
            let input = input_of(record, target).map_err(|failure| Ran::Failed {
                failure,
                locked: false,
            })?;
            let _permit = permits.acquire().await;
            lock(ctx, record).await.map(|locked| (input, locked))
        }
    }))
    .await;
    for (i, prepared) in locks.into_iter().enumerate() {
        match prepared {
            Err(done) => ran[i] = Some(done),
            Ok((input, locked)) => match by_route.iter_mut().find(|(r, _)| *r == routes[i]) {
                Some((_, members)) => members.push((i, input, locked)),
                None => by_route.push((routes[i], vec![(i, input, locked)])),
            },
        }
    }
    for (route, members) in by_route {
        let target = ctx.config_target(route);
        let inputs = Value::Array(members.iter().map(|(_, p, _)| p.to_json()).collect());
        let result = call(ctx, caller, target, Payload::Json(inputs)).await;
        for (i, _, locked) in members {
            ran[i] = Some(match &result {
                Ok((called, duration)) => Ran::Called {
                    called: called.clone(),
                    duration: *duration,
                    locked,
                },
                Err((kind, message)) => Ran::Failed {
                    failure: failure(
                        &records[i],
                        *kind,
                        format!("the batch call failed: {message}"),
                    ),
                    locked,
                },
            });
        }
    }
    ran.into_iter()
        .zip(records)
        .map(|(o, r)| o.unwrap_or_else(|| Ran::failed(r, FailureKind::NotSent, "not sent")))
        .collect()
}
