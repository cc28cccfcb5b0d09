//! Idempotency: a record that completed is not run again when Lambda delivers it again.
//!
//! Each record with a stable key ([`RecordMeta::idempotency_key`](crate::events::RecordMeta))
//! takes an in-progress lock before its call (a conditional write that expires, so a crashed
//! invocation does not hold a record for ever). On success the lock becomes a completed mark
//! holding the result (up to [`MAX_STORED_RESULT`] bytes of JSON, else only its digest) and
//! whether it was delivered; after a transient failure the lock is released, so the retry runs
//! at once. Marks live for the configured TTL (`ALGORITHMIA_IDEMPOTENCY_TTL`, default one hour).
//!
//! The store is an [`IdempotencyStore`]: [`MemoryStore`] in one process (tests), or
//! [`DynamoDbStore`], a DynamoDB table laid out as Powertools' idempotency utility lays it out
//! (partition key `id`, a string; TTL attribute `expiration`, epoch seconds).

mod dynamodb;
mod item;
mod memory;

use std::time::SystemTime;

use futures_util::future::BoxFuture;
use serde_json::Value;
use sha2::{Digest, Sha256};

pub use dynamodb::DynamoDbStore;
pub use memory::MemoryStore;

/// Results whose JSON text is longer than this are stored as their digest only (a DynamoDB item
/// holds 400 KB in all).
pub const MAX_STORED_RESULT: usize = 256 * 1024;

/// What a store knows of a key when a record asks to run.
#[derive(Debug, Clone, PartialEq)]
pub enum Begin {
    /// The lock is taken: run the record.
    Run,
    /// The record completed before.
    Completed(Completed),
    /// Another invocation holds the lock, until it expires.
    InProgress,
}

/// A completed record, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Completed {
    /// The result's JSON, when it was small enough to keep.
    pub result: Option<Value>,
    /// The SHA-256 (hex) of the result's JSON text; none for an acknowledged failure.
    pub digest: Option<String>,
    /// Whether the result reached the result destination (true when there is none).
    pub delivered: bool,
    /// For a permanent failure that was acknowledged (sent to the failure destination): the
    /// failure, instead of a result.
    pub failure: Option<Value>,
}

impl Completed {
    /// A success with its `result` (kept whole up to [`MAX_STORED_RESULT`] bytes of JSON, else
    /// only its digest).
    pub fn success(result: &Value, delivered: bool) -> Completed {
        let text = result.to_string();
        let digest = Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Completed {
            result: (text.len() <= MAX_STORED_RESULT).then(|| result.clone()),
            digest: Some(digest),
            delivered,
            failure: None,
        }
    }

    /// A permanent failure that was acknowledged.
    pub fn acknowledged_failure(failure: Value) -> Completed {
        Completed {
            result: None,
            digest: None,
            delivered: true,
            failure: Some(failure),
        }
    }
}

/// A completed mark to write.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// The record's key.
    pub key: String,
    /// What to store.
    pub completed: Completed,
}

/// A store that could not be read or written: the service's error, named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the idempotency table: {0}")]
pub struct StoreError(pub String);

/// Keeps the locks and the completed marks.
pub trait IdempotencyStore: Send + Sync {
    /// Take the lock on `key` until `lock_until`, unless the record completed (its mark is
    /// returned) or another invocation holds an unexpired lock.
    fn begin<'a>(
        &'a self,
        key: &'a str,
        lock_until: SystemTime,
    ) -> BoxFuture<'a, Result<Begin, StoreError>>;

    /// Replace the locks of `completions` by completed marks (batched where the service
    /// allows); one result per completion, in order.
    fn complete<'a>(
        &'a self,
        completions: &'a [Completion],
    ) -> BoxFuture<'a, Vec<Result<(), StoreError>>>;

    /// Release the locks on `keys` (records that failed transiently and will come again);
    /// one result per key, in order. A key whose lock is already gone is not an error.
    fn release<'a>(&'a self, keys: &'a [String]) -> BoxFuture<'a, Vec<Result<(), StoreError>>>;

    /// The table, for logs.
    fn describe(&self) -> String;
}
