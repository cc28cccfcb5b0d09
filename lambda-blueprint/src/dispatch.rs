//! Sending records: bounded concurrency, order within a group, and the invocation's deadline.
//!
//! Every record ends as a success or a failure with a reason; none is dropped.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use algorithmia_client::wire::{DEFAULT_ALGO_TIMEOUT_SECS, MAX_ALGO_TIMEOUT_SECS};
use serde_json::Value;
use tokio::sync::Semaphore;

use crate::caller::{AlgorithmCaller, CallOutput};
use crate::config::{BatchMode, Config};
use crate::events::{Invocation, Payload, Record, Source};
use crate::failure::{FailureKind, RecordFailure, classify, describe};

/// Time kept back from the deadline for answering Lambda.
pub const DEADLINE_MARGIN: Duration = Duration::from_millis(1000);
/// A call is not started with less time than this left (after the margin).
pub const MIN_CALL_TIME: Duration = Duration::from_secs(1);
/// The algorithm timeout when neither the configuration nor a deadline sets one: the API's.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(DEFAULT_ALGO_TIMEOUT_SECS);

/// The outcome of one record.
pub(crate) type Outcome = Result<CallOutput, RecordFailure>;

fn failure(record: &Record, kind: FailureKind, message: impl Into<String>) -> RecordFailure {
    RecordFailure {
        id: record.id.clone(),
        kind,
        message: message.into(),
    }
}

/// The algorithm timeout for a call starting now: the configured one, bounded by the time left
/// before the deadline less a margin, in whole seconds (so the HTTP request, which gets the
/// algorithm timeout plus a small margin, still ends before Lambda's deadline).
pub(crate) fn call_timeout(
    configured: Option<Duration>,
    deadline: Option<Instant>,
) -> Result<Duration, String> {
    let left = deadline.map(|d| {
        d.saturating_duration_since(Instant::now())
            .saturating_sub(DEADLINE_MARGIN)
    });
    if let Some(left) = left
        && left < MIN_CALL_TIME
    {
        return Err(format!(
            "not sent: the invocation had {} ms left, too little for a call",
            left.as_millis()
        ));
    }
    let wanted = configured.unwrap_or(DEFAULT_TIMEOUT);
    let bounded = left.map_or(wanted, |left| wanted.min(left));
    Ok(Duration::from_secs(
        bounded.as_secs().clamp(1, MAX_ALGO_TIMEOUT_SECS),
    ))
}

/// When a call, retries included, must be over: the invocation's deadline less the margin kept
/// for answering Lambda.
pub(crate) fn call_deadline(deadline: Option<Instant>) -> Option<Instant> {
    deadline.map(|d| d.checked_sub(DEADLINE_MARGIN).unwrap_or(d))
}

/// The input a record sends: its payload, or the template filled from its view.
fn input_of(record: &Record, config: &Config) -> Result<Payload, RecordFailure> {
    let input = record
        .input
        .as_ref()
        .map_err(|m| failure(record, FailureKind::BadRecord, m.clone()))?;
    match &config.template {
        None => Ok(input.payload.clone()),
        Some(template) => template
            .render(&input.view)
            .map(Payload::Json)
            .map_err(|m| failure(record, FailureKind::BadRecord, m)),
    }
}

/// Send every record of an invocation and return one outcome per record, in record order.
pub(crate) async fn dispatch(
    invocation: &Invocation,
    config: &Config,
    caller: &impl AlgorithmCaller,
    deadline: Option<Instant>,
) -> Vec<Outcome> {
    match config.batch {
        BatchMode::Record => per_record(invocation, config, caller, deadline).await,
        BatchMode::Batch => whole_batch(invocation, config, caller, deadline).await,
    }
}

async fn per_record(
    invocation: &Invocation,
    config: &Config,
    caller: &impl AlgorithmCaller,
    deadline: Option<Instant>,
) -> Vec<Outcome> {
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
    let permits = Arc::new(Semaphore::new(config.concurrency));
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
                if let Some(first) = &failed {
                    results.push((
                        i,
                        Err(failure(
                            record,
                            FailureKind::NotSent,
                            format!("not sent: an earlier record of its group ({first}) failed, and order must hold"),
                        )),
                    ));
                    continue;
                }
                let outcome = async {
                    let payload = input_of(record, config)?;
                    let _permit = permits
                        .acquire()
                        .await
                        .map_err(|_| failure(record, FailureKind::NotSent, "not sent: shutting down"))?;
                    let first = first_failure.load(Ordering::SeqCst);
                    if checkpointed && first < i {
                        return Err(failure(
                            record,
                            FailureKind::NotSent,
                            format!(
                                "not sent: record {} before it in the shard failed, and the stream resends everything from there",
                                records[first].id
                            ),
                        ));
                    }
                    let timeout = call_timeout(config.timeout, deadline)
                        .map_err(|m| failure(record, FailureKind::NotSent, m))?;
                    caller
                        .call(payload, timeout, call_deadline(deadline))
                        .await
                        .map_err(|e| failure(record, classify(&e), describe(&e)))
                }
                .await;
                if outcome.is_err() {
                    first_failure.fetch_min(i, Ordering::SeqCst);
                    if record.group.is_some() {
                        failed = Some(record.id.clone());
                    }
                }
                results.push((i, outcome));
            }
            results
        }
    });
    let mut outcomes: Vec<Option<Outcome>> = vec![None; records.len()];
    for (i, outcome) in futures_util::future::join_all(group_runs)
        .await
        .into_iter()
        .flatten()
    {
        outcomes[i] = Some(outcome);
    }
    outcomes
        .into_iter()
        .zip(records)
        .map(|(o, r)| o.unwrap_or_else(|| Err(failure(r, FailureKind::NotSent, "not sent"))))
        .collect()
}

async fn whole_batch(
    invocation: &Invocation,
    config: &Config,
    caller: &impl AlgorithmCaller,
    deadline: Option<Instant>,
) -> Vec<Outcome> {
    let records = &invocation.records;
    let mut outcomes: Vec<Option<Outcome>> = vec![None; records.len()];
    let mut inputs = Vec::new();
    let mut included = Vec::new();
    for (i, record) in records.iter().enumerate() {
        match input_of(record, config) {
            Ok(payload) => {
                inputs.push(payload.to_json());
                included.push(i);
            }
            Err(f) => outcomes[i] = Some(Err(f)),
        }
    }
    if !included.is_empty() {
        let result = match call_timeout(config.timeout, deadline) {
            Err(m) => Err((FailureKind::NotSent, m)),
            Ok(timeout) => caller
                .call(
                    Payload::Json(Value::Array(inputs)),
                    timeout,
                    call_deadline(deadline),
                )
                .await
                .map_err(|e| (classify(&e), describe(&e))),
        };
        for i in included {
            outcomes[i] = Some(match &result {
                Ok(output) => Ok(output.clone()),
                Err((kind, message)) => Err(failure(
                    &records[i],
                    *kind,
                    format!("the batch call failed: {message}"),
                )),
            });
        }
    }
    outcomes
        .into_iter()
        .zip(records)
        .map(|(o, r)| o.unwrap_or_else(|| Err(failure(r, FailureKind::NotSent, "not sent"))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_timeouts_respect_the_deadline_and_the_configuration() {
        assert_eq!(call_timeout(None, None).unwrap(), DEFAULT_TIMEOUT);
        assert_eq!(
            call_timeout(Some(Duration::from_secs(20)), None).unwrap(),
            Duration::from_secs(20)
        );
        let soon = Instant::now() + Duration::from_millis(10_500);
        let t = call_timeout(None, Some(soon)).unwrap();
        assert!(
            t == Duration::from_secs(9) || t == Duration::from_secs(8),
            "{t:?}"
        );
        assert_eq!(
            call_timeout(Some(Duration::from_secs(3)), Some(soon)).unwrap(),
            Duration::from_secs(3)
        );
        let err =
            call_timeout(None, Some(Instant::now() + Duration::from_millis(1500))).unwrap_err();
        assert!(err.contains("too little"), "{err}");
        assert!(call_timeout(None, Some(Instant::now())).is_err());
    }

    #[test]
    fn a_call_ends_a_margin_before_the_invocation() {
        assert_eq!(call_deadline(None), None);
        let end = Instant::now() + Duration::from_secs(10);
        assert_eq!(call_deadline(Some(end)), Some(end - DEADLINE_MARGIN));
    }
}
