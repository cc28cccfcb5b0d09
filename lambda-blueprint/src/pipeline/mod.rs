//! One invocation's records: each is routed, run (its idempotency lock taken, its algorithm
//! called) and settled (its result delivered, a permanent failure sent to its destination and
//! acknowledged, its idempotency mark written).
//!
//! Every record ends as a success (run, a duplicate of one that completed before, or a
//! permanent failure acknowledged) or a failure Lambda is told about; none is dropped.

mod dispatch;
mod document;
mod settle;
mod step;
mod timing;

use std::collections::BTreeMap;
use std::time::Instant;

pub use timing::{DEADLINE_MARGIN, MIN_CALL_TIME};

use crate::caller::{AlgorithmCaller, CallOutput};
use crate::config::{Config, Target};
use crate::events::{Invocation, Source};
use crate::failure::RecordFailure;
use crate::idempotency::IdempotencyStore;
use crate::services::Services;

/// What a record's run needs: the configuration, the services, the invocation's deadline and
/// request id.
pub(crate) struct Context<'a> {
    pub(crate) config: &'a Config,
    pub(crate) services: &'a Services,
    pub(crate) deadline: Option<Instant>,
    pub(crate) request_id: &'a str,
}

impl Context<'_> {
    /// `work`, given up (`None`) if it is not done by `end`: a table or a destination that
    /// hangs costs its records, never the invocation.
    pub(crate) async fn by<T>(
        end: Option<Instant>,
        work: impl std::future::Future<Output = T>,
    ) -> Option<T> {
        match end {
            None => Some(work.await),
            Some(end) => tokio::time::timeout_at(end.into(), work).await.ok(),
        }
    }

    /// `work` done before calls must end (the deadline less the time kept back for settling
    /// and answering), or given up.
    pub(crate) async fn before_calls_end<T>(
        &self,
        work: impl std::future::Future<Output = T>,
    ) -> Option<T> {
        Context::by(timing::call_deadline(self.deadline), work).await
    }

    /// `work` done before the invocation must answer (the deadline less a short margin), or
    /// given up.
    pub(crate) async fn before_answer<T>(
        &self,
        work: impl std::future::Future<Output = T>,
    ) -> Option<T> {
        Context::by(timing::settle_deadline(self.deadline), work).await
    }

    /// The idempotency store, if any.
    pub(crate) fn store(&self) -> Option<&dyn IdempotencyStore> {
        self.services.store()
    }

    /// Route `route`'s target: 0 the default, `n` the `n`th of `ALGORITHMIA_ROUTES`.
    pub(crate) fn config_target(&self, route: usize) -> &Target {
        route
            .checked_sub(1)
            .and_then(|i| self.config.routes.get(i))
            .map_or(&self.config.target, |r| &r.target)
    }

    /// Whether a permanent failure of a record from `source` on `route` goes to a failure
    /// destination and is acknowledged (HTTP and direct invocations answer their caller with
    /// the error instead).
    pub(crate) fn acknowledges(&self, source: Source, route: usize) -> bool {
        !matches!(source, Source::HttpV1 | Source::HttpV2 | Source::Direct)
            && self.config_target(route).failure_destination.is_some()
    }

    /// Whether results of records from `source` go to the result destination (an HTTP request's
    /// result is its answer).
    pub(crate) fn delivers_results(&self, source: Source) -> bool {
        !matches!(source, Source::HttpV1 | Source::HttpV2)
    }
}

/// How a record ended well.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Done {
    /// The algorithm answered (and the result was delivered, when there is a destination).
    Output(CallOutput),
    /// It completed in an earlier invocation; not run again.
    Duplicate,
    /// It failed permanently and was sent to the failure destination.
    Acknowledged(RecordFailure),
}

/// The outcome of one record.
pub(crate) type Outcome = Result<Done, RecordFailure>;

/// What an invocation did, for its log line and its metrics.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Stats {
    /// Records in the invocation.
    pub(crate) records: usize,
    /// Records whose algorithm answered (and whose result was delivered).
    pub(crate) succeeded: usize,
    /// Records skipped as duplicates of completed ones.
    pub(crate) duplicates: usize,
    /// Permanent failures sent to the failure destination and acknowledged.
    pub(crate) acknowledged: usize,
    /// Failures Lambda is told about, by error type.
    pub(crate) failed: BTreeMap<&'static str, usize>,
    /// Failures (reported or acknowledged) that were permanent.
    pub(crate) failed_permanent: usize,
    /// Failures reported to Lambda that were transient.
    pub(crate) failed_transient: usize,
    /// Results delivered to a destination.
    pub(crate) delivered: usize,
    /// Each call's duration.
    pub(crate) latencies_ms: Vec<f64>,
}

impl Stats {
    fn count(&mut self, outcomes: &[Outcome]) {
        self.records = outcomes.len();
        for outcome in outcomes {
            match outcome {
                Ok(Done::Output(_)) => self.succeeded += 1,
                Ok(Done::Duplicate) => self.duplicates += 1,
                Ok(Done::Acknowledged(_)) => {
                    self.acknowledged += 1;
                    self.failed_permanent += 1;
                }
                Err(f) => {
                    *self.failed.entry(f.kind.error_type()).or_default() += 1;
                    if f.kind.is_permanent() {
                        self.failed_permanent += 1;
                    } else {
                        self.failed_transient += 1;
                    }
                }
            }
        }
    }

    /// Failures Lambda is told about.
    pub(crate) fn reported(&self) -> usize {
        self.failed.values().sum()
    }
}

/// Route, run and settle every record of `invocation`.
pub(crate) async fn run(
    ctx: &Context<'_>,
    invocation: &Invocation,
    caller: &impl AlgorithmCaller,
) -> (Vec<Outcome>, Stats) {
    let routes: Vec<usize> = invocation
        .records
        .iter()
        .map(|r| ctx.config.route_of(invocation.source, r).0)
        .collect();
    let ran = dispatch::dispatch(ctx, invocation, &routes, caller).await;
    settle::settle(ctx, invocation, &routes, ran).await
}
