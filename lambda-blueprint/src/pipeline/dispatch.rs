//! Sending records: bounded concurrency, order within a group, and the stream's checkpoint.
//!
//! Every record ends as a [`Ran`]; none is dropped.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;
use tokio::sync::Semaphore;

use crate::caller::AlgorithmCaller;
use crate::config::BatchMode;
use crate::events::{Invocation, Payload, Source};
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
    let permits = Arc::new(Semaphore::new(ctx.config.concurrency));
    // Kinesis and DynamoDB Streams checkpoint at the first failed record and resend everything
    // after it, whatever succeeded: a record after a failure is not started (it would only run
    // twice), and is reported failed so it comes back.
    let checkpointed = matches!(invocation.source, Source::Kinesis | Source::DynamoDb);
    let first_failure = AtomicUsize::new(usize::MAX);
    let first_failure = &first_failure;
    let group_runs = groups.into_iter().map(|members| {
        let permits = Arc::clone(&permits);
        async move {
            let mut results = Vec::with_capacity(members.len());
            let mut failed: Option<String> = None;
            for i in members {
                let record = &records[i];
                let target = ctx.config_target(routes[i]);
                if let Some(first) = &failed {
                    results.push((
                        i,
                        Ran::failed(
                            record,
                            FailureKind::NotSent,
                            format!("not sent: an earlier record of its group ({first}) failed, and order must hold"),
                        ),
                    ));
                    continue;
                }
                let ran = async {
                    let input = match input_of(record, target) {
                        Ok(input) => input,
                        Err(failure) => return Ran::Failed { failure, locked: false },
                    };
                    let Ok(_permit) = permits.acquire().await else {
                        return Ran::failed(record, FailureKind::NotSent, "not sent: shutting down");
                    };
                    let first = first_failure.load(Ordering::SeqCst);
                    if checkpointed && first < i {
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
                .await;
                if reported(ctx, invocation.source, routes[i], &ran) {
                    first_failure.fetch_min(i, Ordering::SeqCst);
                    if record.group.is_some() {
                        failed = Some(record.id.clone());
                    }
                }
                results.push((i, ran));
            }
            results
        }
    });
    let mut ran: Vec<Option<Ran>> = vec![None; records.len()];
    for (i, outcome) in futures_util::future::join_all(group_runs)
        .await
        .into_iter()
        .flatten()
    {
        ran[i] = Some(outcome);
    }
    ran.into_iter()
        .zip(records)
        .map(|(o, r)| o.unwrap_or_else(|| Ran::failed(r, FailureKind::NotSent, "not sent")))
        .collect()
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
