//! A key that may be rotated: the current algorithm handle, and re-reading the key once when the
//! API refuses it, shared by every record of the execution environment.

use std::fmt;
use std::time::{Duration, Instant};

use algorithmia_client::ApiKey;
use futures_util::future::BoxFuture;
use tokio::sync::RwLock;

use crate::key::KeyError;

/// A refused key is not read again sooner than this after the last read found nothing new, so a
/// key that is simply wrong does not turn every record into a read of the parameter or secret.
pub(crate) const REREAD_INTERVAL: Duration = Duration::from_secs(60);

/// A re-read taking longer than this is given up (the refused records are reported), so a
/// service that hangs does not hold every call of the environment behind the lock.
pub(crate) const REREAD_TIMEOUT: Duration = Duration::from_secs(5);

/// Reads the key from its source again.
pub(crate) type Reread =
    Box<dyn Fn() -> BoxFuture<'static, Result<ApiKey, KeyError>> + Send + Sync>;
/// Builds a handle (an algorithm on a client) with a key.
pub(crate) type Rebuild<H> = Box<dyn Fn(ApiKey) -> Result<H, String> + Send + Sync>;

struct Current<H> {
    handle: H,
    key: ApiKey,
    /// Bumped on each new key, so a record refused with an older key knows to retry with the
    /// newer one rather than read again.
    generation: u64,
    /// When the key was last read again and found unchanged (or unreadable).
    last_fruitless_read: Option<Instant>,
}

/// The handle built with the current key, replaced when a re-read finds a new key.
pub(crate) struct Rotating<H> {
    current: RwLock<Current<H>>,
    reread: Reread,
    rebuild: Rebuild<H>,
    /// The source, for logs: a variable and a name, never a key.
    source: String,
}

impl<H> fmt::Debug for Rotating<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rotating")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl<H: Clone> Rotating<H> {
    /// `handle` built with `key` (read from `source`), and how to read and build again.
    pub(crate) fn new(
        handle: H,
        key: ApiKey,
        source: String,
        reread: Reread,
        rebuild: Rebuild<H>,
    ) -> Rotating<H> {
        Rotating {
            current: RwLock::new(Current {
                handle,
                key,
                generation: 0,
                last_fruitless_read: None,
            }),
            reread,
            rebuild,
            source,
        }
    }

    /// The current handle and its generation.
    pub(crate) async fn current(&self) -> (H, u64) {
        let current = self.current.read().await;
        (current.handle.clone(), current.generation)
    }

    /// The API refused the key of `generation`: the handle to retry with (a newer key, already
    /// read by another record or read now), or none when there is no other key.
    ///
    /// Concurrent refusals wait for one read under the lock, then retry with its result.
    pub(crate) async fn after_refusal(&self, generation: u64) -> Option<H> {
        let mut current = self.current.write().await;
        if current.generation != generation {
            return Some(current.handle.clone());
        }
        if current
            .last_fruitless_read
            .is_some_and(|at| at.elapsed() < REREAD_INTERVAL)
        {
            return None;
        }
        tracing::info!(source = %self.source, "the API refused the key: reading it again");
        let fresh = match tokio::time::timeout(REREAD_TIMEOUT, (self.reread)()).await {
            Ok(Ok(key)) if key != current.key => match (self.rebuild)(key.clone()) {
                Ok(handle) => Some((handle, key)),
                Err(e) => {
                    tracing::warn!(error = %e, "could not set up the client with the new key");
                    None
                }
            },
            Ok(Ok(_)) => {
                tracing::warn!(source = %self.source, "the key read again is the one the API refused");
                None
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "could not read the key again");
                None
            }
            Err(_) => {
                tracing::warn!(source = %self.source, timeout_ms = REREAD_TIMEOUT.as_millis() as u64, "reading the key again took too long");
                None
            }
        };
        match fresh {
            Some((handle, key)) => {
                current.handle = handle.clone();
                current.key = key;
                current.generation += 1;
                current.last_fruitless_read = None;
                tracing::info!(source = %self.source, "read a new key; retrying with it");
                Some(handle)
            }
            None => {
                current.last_fruitless_read = Some(Instant::now());
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Handles are the key they were built with; the source yields `keys` in turn.
    fn rotating(keys: &[&str], reads: Arc<AtomicUsize>) -> Rotating<String> {
        let keys: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(
            keys.iter().rev().map(|k| (*k).to_owned()).collect(),
        ));
        Rotating::new(
            "simA".to_owned(),
            ApiKey::new("simA"),
            "ALGORITHMIA_API_KEY_SECRET_ARN algorithmia".into(),
            Box::new(move || {
                reads.fetch_add(1, Ordering::SeqCst);
                let next = keys.lock().unwrap().pop();
                Box::pin(async move {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    next.map(ApiKey::new).ok_or(KeyError::BadPlaintext("gone"))
                })
            }),
            Box::new(|key| Ok(key.expose().to_owned())),
        )
    }

    #[tokio::test]
    async fn concurrent_refusals_read_the_key_once_and_all_retry_with_the_new_one() {
        let reads = Arc::new(AtomicUsize::new(0));
        let r = Arc::new(rotating(&["simB"], Arc::clone(&reads)));
        let (handle, generation) = r.current().await;
        assert_eq!((handle.as_str(), generation), ("simA", 0));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let r = Arc::clone(&r);
                tokio::spawn(async move { r.after_refusal(generation).await })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().as_deref(), Some("simB"));
        }
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        assert_eq!(r.current().await, ("simB".to_owned(), 1));
    }

    #[tokio::test]
    async fn an_unchanged_or_unreadable_key_is_not_read_again_at_once() {
        let reads = Arc::new(AtomicUsize::new(0));
        let r = rotating(&["simA"], Arc::clone(&reads));
        assert_eq!(r.after_refusal(0).await, None);
        assert_eq!(r.after_refusal(0).await, None);
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        assert_eq!(r.current().await.1, 0);

        let reads = Arc::new(AtomicUsize::new(0));
        let r = rotating(&[], Arc::clone(&reads));
        assert_eq!(r.after_refusal(0).await, None);
        assert_eq!(r.after_refusal(0).await, None);
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        assert!(!format!("{r:?}").contains("simA"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_read_that_hangs_is_given_up() {
        let r = Rotating::new(
            "simA".to_owned(),
            ApiKey::new("simA"),
            "ALGORITHMIA_API_KEY_SSM_PARAMETER \"/k\"".into(),
            Box::new(|| Box::pin(std::future::pending())),
            Box::new(|key| Ok(key.expose().to_owned())),
        );
        assert_eq!(r.after_refusal(0).await, None);
        assert_eq!(r.current().await, ("simA".to_owned(), 0));
    }

    #[tokio::test]
    async fn a_later_rotation_is_read_after_the_interval() {
        let reads = Arc::new(AtomicUsize::new(0));
        let r = rotating(&["simA", "simC"], Arc::clone(&reads));
        assert_eq!(r.after_refusal(0).await, None);
        // Pretend the fruitless read was an interval ago.
        r.current.write().await.last_fruitless_read = Instant::now().checked_sub(REREAD_INTERVAL);
        assert_eq!(r.after_refusal(0).await.as_deref(), Some("simC"));
        assert_eq!(reads.load(Ordering::SeqCst), 2);
    }
}
