//! After the calls: results delivered, permanent failures sent to their destination and
//! acknowledged, idempotency marks written, and each record's final outcome.

use std::collections::HashMap;

use serde_json::Value;

use crate::caller::CallOutput;
use crate::destination::{DeliveryError, Destination, Document};
use crate::events::Invocation;
use crate::failure::{FailureKind, RecordFailure};
use crate::idempotency::{Completed, Completion};

use super::step::Ran;
use super::{Context, Done, Outcome, Stats, document};

/// What is written to the idempotency table for a record once it is settled.
#[derive(Debug)]
enum Mark {
    /// Nothing (no lock held, or the mark stays as it is).
    Keep,
    /// A completed mark.
    Complete(Completed),
    /// The lock released, so a redelivery runs at once.
    Release,
}

/// One record while settling.
struct Slot {
    outcome: Outcome,
    locked: bool,
    mark: Mark,
}

/// A document waiting for delivery: the record it is for, where it goes, and what it is.
struct Pending<'a> {
    index: usize,
    destination: &'a Destination,
    document: Document,
}

/// Deliver `pending` documents (grouped by destination, the groups at once); one result per
/// document, in order.
async fn deliver(ctx: &Context<'_>, pending: &[Pending<'_>]) -> Vec<Result<(), DeliveryError>> {
    let mut groups: Vec<(&Destination, Vec<usize>)> = Vec::new();
    for (n, p) in pending.iter().enumerate() {
        match groups.iter_mut().find(|(d, _)| *d == p.destination) {
            Some((_, members)) => members.push(n),
            None => groups.push((p.destination, vec![n])),
        }
    }
    let runs = groups.into_iter().map(|(destination, members)| async move {
        let documents: Vec<Document> = members
            .iter()
            .map(|&n| pending[n].document.clone())
            .collect();
        let results = match ctx.services.sink(destination) {
            Some(sink) => match ctx.before_answer(sink.deliver(&documents)).await {
                Some(results) => results,
                None => vec![
                    Err(DeliveryError {
                        message: format!(
                            "{destination} did not answer before the invocation's deadline"
                        ),
                        permanent: false,
                    });
                    documents.len()
                ],
            },
            None => vec![
                Err(DeliveryError {
                    message: format!("no sink was set up for {destination}"),
                    permanent: false,
                });
                documents.len()
            ],
        };
        (members, results)
    });
    let mut out: Vec<Option<Result<(), DeliveryError>>> = vec![None; pending.len()];
    for (members, results) in futures_util::future::join_all(runs).await {
        let mut results = results.into_iter();
        for n in members {
            out[n] = Some(results.next().unwrap_or_else(|| {
                Err(DeliveryError {
                    message: "the sink answered for fewer documents than it was given".into(),
                    permanent: false,
                })
            }));
        }
    }
    out.into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                Err(DeliveryError {
                    message: "not delivered".into(),
                    permanent: false,
                })
            })
        })
        .collect()
}

/// A completed mark for a success whose result document is `body`, or a release when it was
/// not delivered and is too large to keep (it could not be delivered again from the mark).
fn success_mark(body: &Value, delivered: bool) -> Mark {
    let completed = Completed::success(body, delivered);
    if !delivered && completed.result.is_none() {
        return Mark::Release;
    }
    Mark::Complete(completed)
}

/// Settle every record of an invocation after its run: `ran[i]` is record `i`'s run on route
/// `routes[i]`.
pub(crate) async fn settle(
    ctx: &Context<'_>,
    invocation: &Invocation,
    routes: &[usize],
    ran: Vec<Ran>,
) -> (Vec<Outcome>, Stats) {
    let records = &invocation.records;
    let mut stats = Stats::default();
    let mut slots = Vec::with_capacity(ran.len());
    let mut results: Vec<Pending<'_>> = Vec::new();
    let mut failures: Vec<Pending<'_>> = Vec::new();
    // Duplicates whose stored result goes out again: the mark to write once it is delivered.
    let mut redelivered: HashMap<usize, Completed> = HashMap::new();

    for (i, ran) in ran.into_iter().enumerate() {
        let record = &records[i];
        let target = ctx.config_target(routes[i]);
        let slot = match ran {
            Ran::Called {
                called,
                duration,
                locked,
            } => {
                stats.latencies_ms.push(duration.as_secs_f64() * 1000.0);
                let destination = target
                    .result_destination
                    .as_ref()
                    .filter(|_| ctx.delivers_results(invocation.source));
                let mark = match (destination, locked) {
                    (None, false) => Mark::Keep,
                    (destination, locked) => {
                        let body =
                            document::result(ctx, invocation, record, target, &called, duration);
                        let mark = if locked {
                            success_mark(&body, true)
                        } else {
                            Mark::Keep
                        };
                        if let Some(destination) = destination {
                            results.push(Pending {
                                index: i,
                                destination,
                                document: Document {
                                    id: record.id.clone(),
                                    body,
                                },
                            });
                        }
                        mark
                    }
                };
                if destination.is_none() {
                    tracing::debug!(record = %record.id, algorithm_request_id = called.request_id.as_deref().unwrap_or(""), result = %result_preview(&called.output), "record succeeded");
                }
                Slot {
                    outcome: Ok(Done::Output(called.output)),
                    locked,
                    mark,
                }
            }
            Ran::Duplicate(completed) => {
                let destination = target
                    .result_destination
                    .as_ref()
                    .filter(|_| ctx.delivers_results(invocation.source));
                if let (false, Some(body), Some(destination)) =
                    (completed.delivered, &completed.result, destination)
                {
                    results.push(Pending {
                        index: i,
                        destination,
                        document: Document {
                            id: record.id.clone(),
                            body: body.clone(),
                        },
                    });
                    redelivered.insert(
                        i,
                        Completed {
                            delivered: true,
                            ..completed.clone()
                        },
                    );
                }
                tracing::debug!(record = %record.id, "completed before: not run again");
                Slot {
                    outcome: Ok(Done::Duplicate),
                    locked: false,
                    mark: Mark::Keep,
                }
            }
            Ran::Failed { failure, locked } => {
                if failure.kind.is_permanent()
                    && ctx.acknowledges(invocation.source, routes[i])
                    && let Some(destination) = target.failure_destination.as_ref()
                {
                    failures.push(Pending {
                        index: i,
                        destination,
                        document: Document {
                            id: record.id.clone(),
                            body: document::failure(ctx, invocation, record, target, &failure),
                        },
                    });
                }
                Slot {
                    outcome: Err(failure),
                    locked,
                    mark: if locked { Mark::Release } else { Mark::Keep },
                }
            }
        };
        slots.push(slot);
    }

    // Results and first-round failures at once; results that can never be delivered become
    // permanent failures, sent in a second round.
    let (delivered, failed_sends) =
        futures_util::future::join(deliver(ctx, &results), deliver(ctx, &failures)).await;
    let mut second_round: Vec<Pending<'_>> = Vec::new();
    for (pending, outcome) in results.iter().zip(delivered) {
        let i = pending.index;
        let slot = &mut slots[i];
        match outcome {
            Ok(()) => {
                stats.delivered += 1;
                if let Some(completed) = redelivered.remove(&i) {
                    slot.mark = Mark::Complete(completed);
                }
            }
            Err(e) => {
                let record = &records[i];
                tracing::warn!(record = %record.id, destination = %pending.destination, error = %e.message, "the result was not delivered");
                let kind = if e.permanent {
                    FailureKind::Undeliverable
                } else {
                    FailureKind::Delivery
                };
                let failure = RecordFailure {
                    id: record.id.clone(),
                    kind,
                    message: format!(
                        "the result was not delivered to {}: {}",
                        pending.destination, e.message
                    ),
                };
                let target = ctx.config_target(routes[i]);
                if let (true, true, Some(destination)) = (
                    e.permanent,
                    ctx.acknowledges(invocation.source, routes[i]),
                    target.failure_destination.as_ref(),
                ) {
                    second_round.push(Pending {
                        index: i,
                        destination,
                        document: Document {
                            id: record.id.clone(),
                            body: document::failure(ctx, invocation, record, target, &failure),
                        },
                    });
                }
                // A transient failure keeps the result in the mark (delivered again from there,
                // not computed again); a permanent one, or one too large to keep, is released.
                // A duplicate's mark stays as it was.
                slot.mark = match (slot.locked, e.permanent) {
                    (false, _) => Mark::Keep,
                    (true, false) => success_mark(&pending.document.body, false),
                    (true, true) => Mark::Release,
                };
                slot.outcome = Err(failure);
            }
        }
    }
    let second = deliver(ctx, &second_round).await;
    for (pending, outcome) in failures
        .iter()
        .zip(failed_sends)
        .chain(second_round.iter().zip(second))
    {
        let slot = &mut slots[pending.index];
        let Err(failure) = &slot.outcome else {
            continue;
        };
        match outcome {
            Ok(()) => {
                slot.mark = if slot.locked {
                    Mark::Complete(Completed::acknowledged_failure(
                        pending.document.body.clone(),
                    ))
                } else {
                    Mark::Keep
                };
                slot.outcome = Ok(Done::Acknowledged(failure.clone()));
            }
            Err(e) => {
                tracing::warn!(record = %failure.id, destination = %pending.destination, error = %e.message, "the failure was not delivered");
                let mut failure = failure.clone();
                failure.message = format!(
                    "{}; and the failure destination {} did not take it: {}",
                    failure.message, pending.destination, e.message
                );
                slot.outcome = Err(failure);
            }
        }
    }

    write_marks(ctx, invocation, &slots).await;
    let outcomes: Vec<Outcome> = slots.into_iter().map(|s| s.outcome).collect();
    stats.count(&outcomes);
    (outcomes, stats)
}

/// The start of a result, for a debug log line.
fn result_preview(output: &CallOutput) -> String {
    const MAX: usize = 200;
    let text = document::result_body(output).to_string();
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// Write the completed marks and release the locks; a table that refuses is logged (the
/// records' outcomes stand: a success whose mark was not written may run again after its lock
/// expires, which is the most a lost write can cost).
async fn write_marks(ctx: &Context<'_>, invocation: &Invocation, slots: &[Slot]) {
    let Some(store) = ctx.store() else {
        return;
    };
    let mut completions = Vec::new();
    let mut releases = Vec::new();
    for (slot, record) in slots.iter().zip(&invocation.records) {
        let Some(key) = record.meta.idempotency_key.clone() else {
            continue;
        };
        match &slot.mark {
            Mark::Keep => {}
            Mark::Complete(completed) => completions.push(Completion {
                key,
                completed: completed.clone(),
            }),
            Mark::Release => releases.push(key),
        }
    }
    let marks = futures_util::future::join(
        async {
            if completions.is_empty() {
                Vec::new()
            } else {
                store.complete(&completions).await
            }
        },
        async {
            if releases.is_empty() {
                Vec::new()
            } else {
                store.release(&releases).await
            }
        },
    );
    let Some((completed, released)) = ctx.before_answer(marks).await else {
        tracing::warn!(table = %store.describe(), completions = completions.len(), releases = releases.len(), "the idempotency table did not answer before the invocation's deadline: the marks were not written (the locks expire)");
        return;
    };
    for (c, result) in completions.iter().zip(completed) {
        if let Err(e) = result {
            tracing::warn!(key = %c.key, error = %e, "could not mark the record completed");
        }
    }
    for (key, result) in releases.iter().zip(released) {
        if let Err(e) = result {
            tracing::warn!(key = %key, error = %e, "could not release the record's lock");
        }
    }
}
