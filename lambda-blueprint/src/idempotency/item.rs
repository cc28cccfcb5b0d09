//! The DynamoDB item of a lock or a completed mark, laid out as Powertools' idempotency utility
//! lays it out where the two overlap: `id` (S, the key), `expiration` (N, epoch seconds, the
//! TTL attribute), `status` (S, `INPROGRESS` or `COMPLETED`), `in_progress_expiration` (N, epoch
//! milliseconds, the lock's end) and `data` (S, the result's JSON text); ours add `digest` (S),
//! `delivered` (BOOL) and `failure` (S, JSON text).

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;

use super::{Begin, Completed, StoreError};

/// An item as the SDK holds it.
pub(super) type Item = HashMap<String, AttributeValue>;

/// The partition key.
pub(super) const ID: &str = "id";
/// The TTL attribute (epoch seconds).
pub(super) const EXPIRATION: &str = "expiration";
/// `INPROGRESS` or `COMPLETED`.
pub(super) const STATUS: &str = "status";
/// The lock's end (epoch milliseconds).
pub(super) const IN_PROGRESS_EXPIRATION: &str = "in_progress_expiration";
const DATA: &str = "data";
const DIGEST: &str = "digest";
const DELIVERED: &str = "delivered";
const FAILURE: &str = "failure";

/// The status of a lock.
pub(super) const INPROGRESS: &str = "INPROGRESS";
const COMPLETED: &str = "COMPLETED";

/// The most a DynamoDB item may hold (names and values).
const MAX_ITEM: usize = 400 * 1024;

/// Milliseconds since the epoch (0 before it).
pub(super) fn epoch_millis(t: SystemTime) -> u128 {
    t.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis()
}

/// Seconds since the epoch, rounded up (so a TTL never ends before the time it stands for).
pub(super) fn epoch_seconds_ceil(t: SystemTime) -> u128 {
    epoch_millis(t).div_ceil(1000)
}

fn number(n: u128) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

/// The in-progress lock on `key` until `until`.
pub(super) fn lock(key: &str, until: SystemTime) -> Item {
    HashMap::from([
        (ID.to_owned(), AttributeValue::S(key.to_owned())),
        (STATUS.to_owned(), AttributeValue::S(INPROGRESS.to_owned())),
        (EXPIRATION.to_owned(), number(epoch_seconds_ceil(until))),
        (
            IN_PROGRESS_EXPIRATION.to_owned(),
            number(epoch_millis(until)),
        ),
    ])
}

/// The completed mark of `key`, living until `expires`; an error when it would not fit in an item.
pub(super) fn completed(
    key: &str,
    mark: &Completed,
    expires: SystemTime,
) -> Result<Item, StoreError> {
    let mut item = HashMap::from([
        (ID.to_owned(), AttributeValue::S(key.to_owned())),
        (STATUS.to_owned(), AttributeValue::S(COMPLETED.to_owned())),
        (EXPIRATION.to_owned(), number(epoch_seconds_ceil(expires))),
        (DELIVERED.to_owned(), AttributeValue::Bool(mark.delivered)),
    ]);
    if let Some(result) = &mark.result {
        item.insert(DATA.to_owned(), AttributeValue::S(result.to_string()));
    }
    if let Some(digest) = &mark.digest {
        item.insert(DIGEST.to_owned(), AttributeValue::S(digest.clone()));
    }
    if let Some(failure) = &mark.failure {
        item.insert(FAILURE.to_owned(), AttributeValue::S(failure.to_string()));
    }
    let size = size(&item);
    if size > MAX_ITEM {
        return Err(StoreError(format!(
            "the completed mark of {key} is about {size} bytes, more than a DynamoDB item holds (400 KB)"
        )));
    }
    Ok(item)
}

/// An upper bound of an item's size as DynamoDB counts it (names and values, numbers at most 21
/// bytes).
fn size(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| {
            name.len()
                + match value {
                    AttributeValue::S(s) => s.len(),
                    AttributeValue::N(_) => 21,
                    _ => 1,
                }
        })
        .sum()
}

/// What an existing item (one that stopped a lock from being taken) says about its key.
pub(super) fn read(key: &str, item: &Item) -> Result<Begin, StoreError> {
    let malformed = |what: String| {
        StoreError(format!(
            "the item of {key} is malformed: {what}; delete it or let it expire"
        ))
    };
    let string = |name: &str| match item.get(name) {
        None => Ok(None),
        Some(AttributeValue::S(s)) => Ok(Some(s.as_str())),
        Some(other) => Err(malformed(format!(
            "`{name}` is {}, not a string",
            kind(other)
        ))),
    };
    let json = |name: &str| {
        string(name)?
            .map(|text| {
                serde_json::from_str::<Value>(text)
                    .map_err(|e| malformed(format!("`{name}` is not JSON ({e})")))
            })
            .transpose()
    };
    match string(STATUS)? {
        Some(INPROGRESS) => Ok(Begin::InProgress),
        Some(COMPLETED) => {
            // Our marks always say; an item written by another tool (Powertools) does not,
            // and nothing is known to be waiting for delivery.
            let delivered = match item.get(DELIVERED) {
                None => true,
                Some(AttributeValue::Bool(b)) => *b,
                Some(other) => {
                    return Err(malformed(format!(
                        "`{DELIVERED}` is {}, not a boolean",
                        kind(other)
                    )));
                }
            };
            Ok(Begin::Completed(Completed {
                result: json(DATA)?,
                digest: string(DIGEST)?.map(str::to_owned),
                delivered,
                failure: json(FAILURE)?,
            }))
        }
        Some(other) => Err(malformed(format!(
            "`{STATUS}` is {other:?}, not {INPROGRESS:?} or {COMPLETED:?}"
        ))),
        None => Err(malformed(format!("it has no `{STATUS}`"))),
    }
}

/// The DynamoDB type of a value, for errors.
fn kind(value: &AttributeValue) -> &'static str {
    match value {
        AttributeValue::S(_) => "a string (S)",
        AttributeValue::N(_) => "a number (N)",
        AttributeValue::B(_) => "binary (B)",
        AttributeValue::Bool(_) => "a boolean (BOOL)",
        AttributeValue::Null(_) => "null (NULL)",
        AttributeValue::L(_) => "a list (L)",
        AttributeValue::M(_) => "a map (M)",
        AttributeValue::Ss(_) => "a string set (SS)",
        AttributeValue::Ns(_) => "a number set (NS)",
        AttributeValue::Bs(_) => "a binary set (BS)",
        _ => "of an unknown type",
    }
}

/// The name of a table given by name or by ARN (`arn:aws:dynamodb:region:account:table/name`).
pub(super) fn table_name(table: &str) -> &str {
    match table.split_once(":table/") {
        Some((prefix, rest)) if prefix.starts_with("arn:") => {
            rest.split('/').next().unwrap_or(rest)
        }
        _ => table,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::idempotency::MAX_STORED_RESULT;

    fn at(ms: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(ms)
    }

    #[test]
    fn a_lock_ends_in_milliseconds_and_its_ttl_rounds_up() {
        let item = lock("k", at(1_700_000_000_001));
        assert_eq!(item[ID], AttributeValue::S("k".into()));
        assert_eq!(item[STATUS], AttributeValue::S("INPROGRESS".into()));
        assert_eq!(
            item[IN_PROGRESS_EXPIRATION],
            AttributeValue::N("1700000000001".into())
        );
        assert_eq!(item[EXPIRATION], AttributeValue::N("1700000001".into()));
        assert_eq!(
            lock("k", at(1_700_000_000_000))[EXPIRATION],
            AttributeValue::N("1700000000".into())
        );
        assert_eq!(read("k", &item), Ok(Begin::InProgress));
    }

    #[test]
    fn completed_marks_read_back_as_written() {
        let marks = [
            Completed::success(&json!({"a": [1, 2.5, "x"], "b": null}), false),
            Completed::success(&json!("text"), true),
            Completed::acknowledged_failure(json!({"error": "InputError", "kind": "permanent"})),
        ];
        for mark in marks {
            let item = completed("k", &mark, at(5_000)).unwrap();
            assert_eq!(item[STATUS], AttributeValue::S("COMPLETED".into()));
            assert_eq!(item[EXPIRATION], AttributeValue::N("5".into()));
            assert_eq!(read("k", &item), Ok(Begin::Completed(mark)));
        }
    }

    #[test]
    fn a_large_result_is_kept_as_its_digest_and_an_item_too_large_is_refused() {
        let big = json!("x".repeat(MAX_STORED_RESULT + 1));
        let mark = Completed::success(&big, true);
        let item = completed("k", &mark, at(0)).unwrap();
        assert!(!item.contains_key(DATA));
        assert_eq!(read("k", &item), Ok(Begin::Completed(mark)));

        let huge = Completed::acknowledged_failure(json!("y".repeat(MAX_ITEM)));
        let e = completed("k", &huge, at(0)).unwrap_err();
        assert!(e.0.contains("400 KB"), "{e}");
    }

    #[test]
    fn a_powertools_mark_without_delivered_counts_as_delivered() {
        let item = HashMap::from([
            (ID.to_owned(), AttributeValue::S("k".into())),
            (STATUS.to_owned(), AttributeValue::S("COMPLETED".into())),
            (DATA.to_owned(), AttributeValue::S("{\"ok\":1}".into())),
        ]);
        assert_eq!(
            read("k", &item),
            Ok(Begin::Completed(Completed {
                result: Some(json!({"ok": 1})),
                digest: None,
                delivered: true,
                failure: None,
            }))
        );
    }

    #[test]
    fn malformed_items_are_errors_that_say_what_is_wrong() {
        let with = |pairs: &[(&str, AttributeValue)]| -> Item {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect()
        };
        let s = |t: &str| AttributeValue::S(t.into());
        let cases = [
            (
                with(&[(STATUS, AttributeValue::N("1".into()))]),
                "`status` is a number (N)",
            ),
            (with(&[(STATUS, s("DONE"))]), "\"DONE\""),
            (with(&[]), "no `status`"),
            (
                with(&[(STATUS, s(COMPLETED)), (DATA, s("{"))]),
                "`data` is not JSON",
            ),
            (
                with(&[(STATUS, s(COMPLETED)), (DELIVERED, s("yes"))]),
                "`delivered` is a string (S)",
            ),
            (
                with(&[(STATUS, s(COMPLETED)), (DIGEST, AttributeValue::Bool(true))]),
                "`digest` is a boolean",
            ),
            (
                with(&[(STATUS, s(COMPLETED)), (FAILURE, s("nope"))]),
                "`failure` is not JSON",
            ),
        ];
        for (item, expected) in cases {
            let e = read("rec-1", &item).unwrap_err();
            assert!(e.0.contains("rec-1"), "{e}");
            assert!(e.0.contains(expected), "{e} lacks {expected}");
        }
    }

    #[test]
    fn a_table_is_named_by_name_or_by_arn() {
        assert_eq!(table_name("marks"), "marks");
        assert_eq!(
            table_name("arn:aws:dynamodb:us-east-1:123456789012:table/marks"),
            "marks"
        );
        assert_eq!(
            table_name("arn:aws:dynamodb:us-east-1:123456789012:table/marks/stream/2024"),
            "marks"
        );
        assert_eq!(
            table_name("arn:aws-cn:dynamodb:cn-north-1:123456789012:table/m.a-r_k"),
            "m.a-r_k"
        );
    }
}
