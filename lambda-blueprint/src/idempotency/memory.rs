//! An idempotency store in memory, for tests and single-process use.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use futures_util::FutureExt;
use futures_util::future::BoxFuture;

use super::{Begin, Completed, Completion, IdempotencyStore, StoreError};

#[derive(Debug, Clone)]
enum Entry {
    Locked {
        until: SystemTime,
    },
    Done {
        completed: Completed,
        expires: SystemTime,
    },
}

/// Locks and marks in a map; marks expire after the TTL.
#[derive(Debug)]
pub struct MemoryStore {
    ttl: Duration,
    entries: Mutex<HashMap<String, Entry>>,
}

impl MemoryStore {
    /// An empty store whose marks live for `ttl`.
    pub fn new(ttl: Duration) -> MemoryStore {
        MemoryStore {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The completed mark of `key`, if any.
    pub fn completed(&self, key: &str) -> Option<Completed> {
        match self.lock().get(key) {
            Some(Entry::Done { completed, .. }) => Some(completed.clone()),
            _ => None,
        }
    }

    /// Whether `key` is locked (in progress, unexpired).
    pub fn is_locked(&self, key: &str) -> bool {
        matches!(self.lock().get(key), Some(Entry::Locked { until }) if *until > SystemTime::now())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl IdempotencyStore for MemoryStore {
    fn begin<'a>(
        &'a self,
        key: &'a str,
        lock_until: SystemTime,
    ) -> BoxFuture<'a, Result<Begin, StoreError>> {
        let now = SystemTime::now();
        let mut entries = self.lock();
        let answer = match entries.get(key) {
            Some(Entry::Done { completed, expires }) if *expires > now => {
                Begin::Completed(completed.clone())
            }
            Some(Entry::Locked { until }) if *until > now => Begin::InProgress,
            _ => {
                entries.insert(key.to_owned(), Entry::Locked { until: lock_until });
                Begin::Run
            }
        };
        async move { Ok(answer) }.boxed()
    }

    fn complete<'a>(
        &'a self,
        completions: &'a [Completion],
    ) -> BoxFuture<'a, Vec<Result<(), StoreError>>> {
        let expires = SystemTime::now() + self.ttl;
        let mut entries = self.lock();
        for c in completions {
            entries.insert(
                c.key.clone(),
                Entry::Done {
                    completed: c.completed.clone(),
                    expires,
                },
            );
        }
        let answer = vec![Ok(()); completions.len()];
        async move { answer }.boxed()
    }

    fn release<'a>(&'a self, keys: &'a [String]) -> BoxFuture<'a, Vec<Result<(), StoreError>>> {
        let mut entries = self.lock();
        for key in keys {
            if matches!(entries.get(key), Some(Entry::Locked { .. })) {
                entries.remove(key);
            }
        }
        let answer = vec![Ok(()); keys.len()];
        async move { answer }.boxed()
    }

    fn describe(&self) -> String {
        "in memory".into()
    }
}
