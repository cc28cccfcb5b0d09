//! What every batching service shares: splitting documents into batches by count and bytes,
//! refusing documents larger than the service takes, and sending a batch again (a few times,
//! briefly) for the entries the service throttled or could not process.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use futures_util::StreamExt as _;
use serde_json::Value;

use crate::destination::DeliveryError;

/// Attempts per batch: the first call and two more for the entries the service asked us to send
/// again. With the pauses between them they add up to a few hundred milliseconds, so a throttled destination
/// costs little of the invocation's time before the record is given back to Lambda.
pub const ATTEMPTS: u32 = 3;

/// The pause before attempt `attempt` (1-based): 100 ms, then 300 ms.
pub(crate) fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(100 * (3_u64.pow(attempt.saturating_sub(1))))
}

/// How a service takes batches.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// The service's name and call, for messages: `SQS SendMessageBatch`.
    pub(crate) call: &'static str,
    /// Entries per call.
    pub(crate) entries: usize,
    /// Bytes per entry, as the service counts them.
    pub(crate) entry_bytes: usize,
    /// Bytes per call (the sum of the entries).
    pub(crate) call_bytes: usize,
    /// Calls in flight at once (1 keeps the batches in order).
    pub(crate) concurrency: usize,
}

/// What a batch call said about one of its entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EntryOutcome {
    /// Written.
    Delivered,
    /// Throttled, or the service failed inside: worth sending again.
    Retry(String),
    /// Refused.
    Failed(String),
}

/// An entry a batch call refused with `code` (and `message`): sent again when `retry`.
pub(crate) fn refused(call: &str, code: &str, message: Option<&str>, retry: bool) -> EntryOutcome {
    let message = match message {
        Some(message) if !message.is_empty() => format!("{call}: {code}: {message}"),
        _ => format!("{call}: {code}"),
    };
    if retry {
        EntryOutcome::Retry(message)
    } else {
        EntryOutcome::Failed(message)
    }
}

/// The outcomes of an answer that lists every entry in the order it was sent, each with an
/// error code (and message) when it was refused (Kinesis `PutRecords`, EventBridge `PutEvents`);
/// a refused entry is sent again when its code is one of `retryable`.
pub(crate) fn ordered_outcomes<'a>(
    call: &str,
    answers: impl Iterator<Item = (Option<&'a str>, Option<&'a str>)>,
    retryable: &[&str],
) -> Vec<EntryOutcome> {
    answers
        .map(|(code, message)| match code {
            None => EntryOutcome::Delivered,
            Some(code) => refused(call, code, message, retryable.contains(&code)),
        })
        .collect()
}

/// A transient failure with `message`.
pub(crate) fn transient(message: impl Into<String>) -> DeliveryError {
    DeliveryError {
        message: message.into(),
        permanent: false,
    }
}

/// The permanent failure of a document of `size` bytes that is larger than `limits` allow.
pub(crate) fn too_large(limits: &Limits, size: usize) -> DeliveryError {
    DeliveryError {
        message: format!(
            "{}: the document is {size} bytes, larger than the {} bytes the service takes per \
             entry; it was not sent (an S3 destination takes documents of any size)",
            limits.call, limits.entry_bytes
        ),
        permanent: true,
    }
}

/// Documents as JSON text. U+FFFE and U+FFFF (which SQS and SNS refuse, and serde_json writes
/// as they are) are written as `\ufffe` and `\uffff` escapes: the same JSON.
pub(crate) fn json_text(body: &Value) -> String {
    let text = body.to_string();
    if text.contains(['\u{fffe}', '\u{ffff}']) {
        text.replace('\u{fffe}', "\\ufffe")
            .replace('\u{ffff}', "\\uffff")
    } else {
        text
    }
}

/// The documents of `sizes` (bytes per document, in order) that `limits` allow, as (index,
/// bytes); the others fail permanently in `results`.
pub(crate) fn within_limits(
    sizes: impl IntoIterator<Item = usize>,
    limits: &Limits,
    results: &mut [Result<(), DeliveryError>],
) -> Vec<(usize, usize)> {
    let mut allowed = Vec::new();
    for (index, size) in sizes.into_iter().enumerate() {
        if size > limits.entry_bytes {
            if let Some(slot) = results.get_mut(index) {
                *slot = Err(too_large(limits, size));
            }
        } else {
            allowed.push((index, size));
        }
    }
    allowed
}

/// Fail the documents of `sizes` with `message` (transiently).
pub(crate) fn fail_all(
    results: &mut [Result<(), DeliveryError>],
    sizes: &[(usize, usize)],
    message: &str,
) {
    for &(index, _) in sizes {
        if let Some(slot) = results.get_mut(index) {
            *slot = Err(transient(message));
        }
    }
}

/// The outcomes of a batch of `count` entries whose ids are their positions (`"0"`, `"1"`, ...),
/// from the ids the service took and those it refused (SQS and SNS answer so).
pub(crate) fn outcomes_by_position<'a>(
    count: usize,
    successful: impl IntoIterator<Item = &'a str>,
    failed: impl IntoIterator<Item = (&'a str, EntryOutcome)>,
) -> Vec<EntryOutcome> {
    let mut outcomes: Vec<Option<EntryOutcome>> = vec![None; count];
    let mut set = |id: &str, outcome: EntryOutcome| {
        if let Some(slot) = id.parse::<usize>().ok().and_then(|i| outcomes.get_mut(i)) {
            *slot = Some(outcome);
        }
    };
    for id in successful {
        set(id, EntryOutcome::Delivered);
    }
    for (id, outcome) in failed {
        set(id, outcome);
    }
    outcomes
        .into_iter()
        .map(|outcome| {
            outcome.unwrap_or_else(|| {
                EntryOutcome::Failed("the service did not answer for this entry".into())
            })
        })
        .collect()
}

/// Split the documents `sizes` (index, bytes) into batches of at most `limits.entries` entries
/// and `limits.call_bytes` bytes, in order. Every size is at most `limits.entry_bytes`.
pub(crate) fn plan(sizes: &[(usize, usize)], limits: &Limits) -> Vec<Vec<usize>> {
    let mut batches = Vec::new();
    let mut batch: Vec<usize> = Vec::new();
    let mut bytes = 0;
    for &(index, size) in sizes {
        if !batch.is_empty() && (batch.len() == limits.entries || bytes + size > limits.call_bytes)
        {
            batches.push(std::mem::take(&mut batch));
            bytes = 0;
        }
        batch.push(index);
        bytes += size;
    }
    if !batch.is_empty() {
        batches.push(batch);
    }
    batches
}

/// For each position, the position of the last one with the same key. S3 objects and DynamoDB
/// items are overwritten by a later document with the same id, so only the last is written
/// (in order, whatever runs concurrently) and the earlier ones share its outcome.
pub(crate) fn last_of_each<'a>(keys: impl IntoIterator<Item = &'a str>) -> Vec<usize> {
    let keys: Vec<&str> = keys.into_iter().collect();
    let mut last: HashMap<&str, usize> = HashMap::new();
    for (i, key) in keys.iter().enumerate() {
        last.insert(key, i);
    }
    keys.iter()
        .enumerate()
        .map(|(i, key)| last.get(key).copied().unwrap_or(i))
        .collect()
}

/// Send `sizes` (index, bytes) in batches, writing each outcome into `results[index]`.
///
/// `call` gets the indexes of one batch and answers one [`EntryOutcome`] per index, in order,
/// or the message of an error that failed the whole call (every entry of it fails). Entries to
/// retry are sent again, up to [`ATTEMPTS`] calls in all.
pub(crate) async fn send_in_batches<F, Fut>(
    results: &mut [Result<(), DeliveryError>],
    sizes: &[(usize, usize)],
    limits: &Limits,
    call: F,
) where
    F: Fn(Vec<usize>) -> Fut,
    Fut: Future<Output = Result<Vec<EntryOutcome>, String>>,
{
    let call = &call;
    let outcomes: Vec<Vec<(usize, Result<(), DeliveryError>)>> =
        futures_util::stream::iter(plan(sizes, limits))
            .map(|batch| send_with_retries(batch, call))
            .buffer_unordered(limits.concurrency.max(1))
            .collect()
            .await;
    for (index, result) in outcomes.into_iter().flatten() {
        if let Some(slot) = results.get_mut(index) {
            *slot = result;
        }
    }
}

async fn send_with_retries<F, Fut>(
    batch: Vec<usize>,
    call: &F,
) -> Vec<(usize, Result<(), DeliveryError>)>
where
    F: Fn(Vec<usize>) -> Fut,
    Fut: Future<Output = Result<Vec<EntryOutcome>, String>>,
{
    let mut decided = Vec::with_capacity(batch.len());
    let mut pending = batch;
    for attempt in 1..=ATTEMPTS {
        if attempt > 1 {
            tokio::time::sleep(backoff(attempt - 1)).await;
        }
        let outcomes = match call(pending.clone()).await {
            Ok(outcomes) => outcomes,
            Err(message) => {
                decided.extend(pending.into_iter().map(|i| (i, Err(transient(&message)))));
                return decided;
            }
        };
        let mut again = Vec::new();
        let mut outcomes = outcomes.into_iter();
        for index in pending {
            match outcomes.next() {
                Some(EntryOutcome::Delivered) => decided.push((index, Ok(()))),
                Some(EntryOutcome::Retry(_)) if attempt < ATTEMPTS => again.push(index),
                Some(EntryOutcome::Retry(message) | EntryOutcome::Failed(message)) => {
                    decided.push((index, Err(transient(message))));
                }
                None => decided.push((
                    index,
                    Err(transient("the service did not answer for this entry")),
                )),
            }
        }
        if again.is_empty() {
            break;
        }
        pending = again;
    }
    decided
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Mutex;

    use super::*;

    const LIMITS: Limits = Limits {
        call: "Test Put",
        entries: 3,
        entry_bytes: 10,
        call_bytes: 20,
        concurrency: 2,
    };

    #[test]
    fn batches_are_cut_by_count_and_by_bytes() {
        let sizes: Vec<(usize, usize)> = (0..7).map(|i| (i, 1)).collect();
        assert_eq!(
            plan(&sizes, &LIMITS),
            vec![vec![0, 1, 2], vec![3, 4, 5], vec![6]]
        );
        let sizes = [(0, 10), (1, 10), (2, 1), (5, 9), (6, 10)];
        assert_eq!(plan(&sizes, &LIMITS), vec![vec![0, 1], vec![2, 5, 6]]);
        assert_eq!(
            plan(&[(0, 10), (1, 10), (2, 10)], &LIMITS),
            vec![vec![0, 1], vec![2]]
        );
        assert!(plan(&[], &LIMITS).is_empty());
    }

    #[test]
    fn documents_over_the_limit_fail_permanently_and_the_rest_go() {
        let mut results = vec![Ok(()); 4];
        let allowed = within_limits([10, 11, 0, 10], &LIMITS, &mut results);
        assert_eq!(allowed, vec![(0, 10), (2, 0), (3, 10)]);
        assert!(results[1].as_ref().unwrap_err().permanent);
        assert!(results[0].is_ok() && results[2].is_ok() && results[3].is_ok());
    }

    #[test]
    fn outcomes_are_matched_by_position_and_missing_ones_fail() {
        let outcomes = outcomes_by_position(
            4,
            ["0", "3", "x"],
            [
                ("1", EntryOutcome::Retry("slow".into())),
                ("9", EntryOutcome::Delivered),
            ],
        );
        assert_eq!(outcomes[0], EntryOutcome::Delivered);
        assert_eq!(outcomes[1], EntryOutcome::Retry("slow".into()));
        assert!(matches!(&outcomes[2], EntryOutcome::Failed(m) if m.contains("did not answer")));
        assert_eq!(outcomes[3], EntryOutcome::Delivered);
    }

    #[test]
    fn the_last_document_with_an_id_stands_for_the_others() {
        assert_eq!(last_of_each(["a", "b", "a", "c", "b"]), vec![2, 4, 2, 3, 4]);
        assert_eq!(last_of_each(["x"]), vec![0]);
    }

    #[test]
    fn json_text_escapes_what_queues_refuse_and_stays_the_same_json() {
        let body = serde_json::json!({"a\u{ffff}": "x\u{fffe}y", "n": 1});
        let text = json_text(&body);
        assert!(!text.contains(['\u{fffe}', '\u{ffff}']), "{text}");
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), body);
    }

    #[test]
    fn answers_in_order_map_to_their_entries() {
        let answers = [
            (None, None),
            (Some("ThrottlingException"), Some("slow down")),
            (Some("AccessDenied"), None),
        ];
        assert_eq!(
            ordered_outcomes(
                "EventBridge PutEvents",
                answers.into_iter(),
                &["ThrottlingException"]
            ),
            vec![
                EntryOutcome::Delivered,
                EntryOutcome::Retry("EventBridge PutEvents: ThrottlingException: slow down".into()),
                EntryOutcome::Failed("EventBridge PutEvents: AccessDenied".into()),
            ]
        );
    }

    #[test]
    fn refused_entries_name_the_call_code_and_message() {
        assert_eq!(
            refused(
                "SQS SendMessageBatch",
                "InternalError",
                Some("try later"),
                true
            ),
            EntryOutcome::Retry("SQS SendMessageBatch: InternalError: try later".into())
        );
        assert_eq!(
            refused("Kinesis PutRecords", "KMSDisabledException", None, false),
            EntryOutcome::Failed("Kinesis PutRecords: KMSDisabledException".into())
        );
    }

    #[test]
    fn too_large_names_the_limit_and_s3() {
        let error = too_large(&LIMITS, 11);
        assert!(error.permanent);
        for part in ["Test Put", "11 bytes", "10 bytes", "S3"] {
            assert!(error.message.contains(part), "{}", error.message);
        }
    }

    #[test]
    fn backoff_stays_short() {
        let total: Duration = (1..ATTEMPTS).map(backoff).sum();
        assert!(total <= Duration::from_millis(500), "{total:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn throttled_entries_are_sent_again_and_refused_ones_fail_alone() {
        // Entry 1 is throttled twice then taken; entry 4 always throttled; entry 2 refused.
        let calls = Mutex::new(Vec::new());
        let seen = Mutex::new(HashMap::<usize, u32>::new());
        let sizes: Vec<(usize, usize)> = (0..5).map(|i| (i, 1)).collect();
        let mut results = vec![Ok(()); 5];
        send_in_batches(&mut results, &sizes, &LIMITS, |batch| {
            calls.lock().unwrap().push(batch.clone());
            let outcomes = batch
                .iter()
                .map(|&i| {
                    let mut seen = seen.lock().unwrap();
                    let n = seen.entry(i).or_default();
                    *n += 1;
                    match (i, *n) {
                        (1, 1 | 2) | (4, _) => EntryOutcome::Retry(format!("throttled {i}")),
                        (2, _) => EntryOutcome::Failed("refused".into()),
                        _ => EntryOutcome::Delivered,
                    }
                })
                .collect();
            async move { Ok(outcomes) }
        })
        .await;
        assert!(results[0].is_ok() && results[1].is_ok() && results[3].is_ok());
        assert_eq!(results[2], Err(transient("refused")));
        assert_eq!(results[4], Err(transient("throttled 4")));
        let seen = seen.into_inner().unwrap();
        assert_eq!((seen[&1], seen[&4], seen[&0]), (3, 3, 1));
        let calls = calls.into_inner().unwrap();
        assert_eq!(calls.len(), 2 + 2 + 2, "{calls:?}");
    }

    #[tokio::test]
    async fn a_failed_call_fails_each_of_its_entries_with_the_message() {
        let sizes: Vec<(usize, usize)> = (0..4).map(|i| (i, 1)).collect();
        let mut results = vec![Ok(()); 5];
        send_in_batches(&mut results, &sizes, &LIMITS, |batch| async move {
            if batch.contains(&0) {
                Err("Test Put: NotFound: no such thing".to_owned())
            } else {
                Ok(vec![EntryOutcome::Delivered; batch.len()])
            }
        })
        .await;
        for result in &results[..3] {
            assert_eq!(result, &Err(transient("Test Put: NotFound: no such thing")));
        }
        assert!(results[3].is_ok() && results[4].is_ok());
    }

    #[tokio::test]
    async fn an_entry_without_an_answer_fails() {
        let mut results = vec![Ok(()); 2];
        send_in_batches(&mut results, &[(0, 1), (1, 1)], &LIMITS, |_| async {
            Ok(vec![EntryOutcome::Delivered])
        })
        .await;
        assert!(results[0].is_ok());
        assert!(
            results[1]
                .as_ref()
                .unwrap_err()
                .message
                .contains("did not answer")
        );
    }
}
