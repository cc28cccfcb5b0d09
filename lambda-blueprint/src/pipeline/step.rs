//! One record's run: its input, its idempotency lock, its call.

use std::time::{Duration, Instant};

use crate::caller::{AlgorithmCaller, CallRequest, Called};
use crate::config::Target;
use crate::events::{Payload, Record};
use crate::failure::{FailureKind, RecordFailure, classify, describe};
use crate::idempotency::{Begin, Completed};

use super::Context;
use super::timing::{call_deadline, call_timeout, lock_until};

/// How a record's run ended.
#[derive(Debug, Clone)]
pub(crate) enum Ran {
    /// The algorithm answered.
    Called {
        /// Its answer.
        called: Called,
        /// How long the call took.
        duration: Duration,
        /// Whether this invocation holds the record's idempotency lock.
        locked: bool,
    },
    /// The record completed in an earlier invocation: not run again.
    Duplicate(Completed),
    /// The record failed.
    Failed {
        /// Why.
        failure: RecordFailure,
        /// Whether this invocation holds the record's idempotency lock.
        locked: bool,
    },
}

impl Ran {
    /// A failure of `record` before its lock was taken.
    pub(crate) fn failed(record: &Record, kind: FailureKind, message: impl Into<String>) -> Ran {
        Ran::Failed {
            failure: failure(record, kind, message),
            locked: false,
        }
    }
}

/// A failure of `record`.
pub(crate) fn failure(
    record: &Record,
    kind: FailureKind,
    message: impl Into<String>,
) -> RecordFailure {
    RecordFailure {
        id: record.id.clone(),
        kind,
        message: message.into(),
    }
}

/// The input a record sends: its payload, or its target's template filled from its view.
pub(crate) fn input_of(record: &Record, target: &Target) -> Result<Payload, RecordFailure> {
    let input = record
        .input
        .as_ref()
        .map_err(|m| failure(record, FailureKind::BadRecord, m.clone()))?;
    match &target.template {
        None => Ok(input.payload.clone()),
        Some(template) => template
            .render(&input.view)
            .map(Payload::Json)
            .map_err(|m| failure(record, FailureKind::BadRecord, m)),
    }
}

/// Take the record's idempotency lock, when there is a table and the record has a key: `Ok(true)`
/// when taken, `Ok(false)` when there is nothing to lock, or how the run ends without a call.
pub(crate) async fn lock(ctx: &Context<'_>, record: &Record) -> Result<bool, Ran> {
    let (Some(store), Some(key)) = (ctx.store(), record.meta.idempotency_key.as_deref()) else {
        return Ok(false);
    };
    let Some(begun) = ctx
        .before_calls_end(store.begin(key, lock_until(ctx.deadline)))
        .await
    else {
        return Err(Ran::failed(
            record,
            FailureKind::Idempotency,
            format!(
                "not sent: the idempotency table ({}) did not answer before the invocation's deadline",
                store.describe()
            ),
        ));
    };
    match begun {
        Ok(Begin::Run) => Ok(true),
        Ok(Begin::Completed(completed)) => Err(Ran::Duplicate(completed)),
        Ok(Begin::InProgress) => Err(Ran::failed(
            record,
            FailureKind::InProgress,
            "not sent: another invocation is running this record (its idempotency lock has not expired)",
        )),
        Err(e) => Err(Ran::failed(
            record,
            FailureKind::Idempotency,
            format!("not sent: {e}"),
        )),
    }
}

/// Call `target`'s algorithm with `input` within the invocation's time.
pub(crate) async fn call(
    ctx: &Context<'_>,
    caller: &impl AlgorithmCaller,
    target: &Target,
    input: Payload,
) -> Result<(Called, Duration), (FailureKind, String)> {
    let timeout =
        call_timeout(ctx.config.timeout, ctx.deadline).map_err(|m| (FailureKind::NotSent, m))?;
    let started = Instant::now();
    caller
        .call(CallRequest {
            algorithm: &target.algorithm,
            output: target.output,
            input,
            timeout,
            deadline: call_deadline(ctx.deadline),
        })
        .await
        .map(|called| (called, started.elapsed()))
        .map_err(|e| (classify(&e), describe(&e)))
}

/// One record, lock taken or not: the call, or why there was none.
pub(crate) async fn run_locked(
    ctx: &Context<'_>,
    caller: &impl AlgorithmCaller,
    record: &Record,
    target: &Target,
    input: Payload,
) -> Ran {
    let locked = match lock(ctx, record).await {
        Ok(locked) => locked,
        Err(ran) => return ran,
    };
    match call(ctx, caller, target, input).await {
        Ok((called, duration)) => Ran::Called {
            called,
            duration,
            locked,
        },
        Err((kind, message)) => Ran::Failed {
            failure: failure(record, kind, message),
            locked,
        },
    }
}
