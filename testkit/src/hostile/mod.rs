//! The property-test harness every hostile suite uses (`tests/hostile/` in the SDK, the
//! server and the blueprint): a bounded runner in which a hang is a failure, one proptest
//! configuration, generators of JSON shaped like what the code under test reads, mutations of
//! JSON documents and of raw bytes, and the checks their failures share.
//!
//! ```
//! use std::time::Duration;
//! use proptest::prelude::*;
//! use testkit::hostile::{Dialect, any_json, bounded, config};
//!
//! const WORDS: Dialect = Dialect { keys: &["result"], strings: &["text"], ..Dialect::SMALL };
//!
//! bounded(Duration::from_secs(60), || {
//!     proptest!(config(16), |(doc in any_json(WORDS))| {
//!         prop_assert!(serde_json::to_string(&doc).is_ok());
//!     });
//! });
//! ```

mod bytes;
mod json;
mod mutation;

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use proptest::test_runner::{Config, TestCaseError};

pub use bytes::{ByteDamage, b64, byte_damage, damage, time_text};
pub use json::{Dialect, any_json, key, leaf, short_string};
pub use mutation::{Mutation, apply, mutation, places, truncate};

/// The stack a bounded property runs on: deep generated documents recurse deeply, in the
/// generators and in the code under test, and a debug build's frames are large.
const STACK_BYTES: usize = 16 << 20;

/// Longest a property may shrink a failure, in milliseconds, so that a failing run ends.
const MAX_SHRINK_MILLIS: u32 = 20_000;

/// Run `f` on a thread of its own (with a large stack) and fail if it has not finished within
/// `limit`: a hang is a failure, not a stuck test run. A panic in `f` is passed on as it is.
pub fn bounded(limit: Duration, f: impl FnOnce() + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::Builder::new()
        .name("hostile".into())
        .stack_size(STACK_BYTES)
        .spawn(move || {
            f();
            let _ = tx.send(());
        })
        .unwrap_or_else(|e| panic!("could not start the property's thread: {e}"));
    match rx.recv_timeout(limit) {
        Ok(()) | Err(RecvTimeoutError::Disconnected) => {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(RecvTimeoutError::Timeout) => panic!("still running after {limit:?}: a hang"),
    }
}

/// The proptest configuration of every hostile property: `cases` cases, no failure persistence
/// (a failure is reported with its input; nothing is written beside the sources), and a bounded
/// shrink.
pub fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        max_shrink_time: MAX_SHRINK_MILLIS,
        ..Config::default()
    }
}

/// A failure message a person can act on: not blank, and at most `max_bytes` long (it names the
/// problem; it does not repeat a megabyte of its input).
pub fn check_message(message: &str, max_bytes: usize) -> Result<(), TestCaseError> {
    if message.trim().is_empty() {
        return Err(TestCaseError::fail(format!("a blank message: {message:?}")));
    }
    if message.len() > max_bytes {
        return Err(TestCaseError::fail(format!(
            "a message longer than {max_bytes} bytes: {}",
            preview(message.as_bytes(), 200)
        )));
    }
    Ok(())
}

/// The start of some bytes for a failure report: at most `max` of them, as lossy text, and how
/// many there were in all.
pub fn preview(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(max)]);
    format!("{text:?} ({} bytes)", bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hang_is_a_failure() {
        let outcome = std::panic::catch_unwind(|| {
            bounded(Duration::from_millis(50), || {
                std::thread::sleep(Duration::from_secs(2))
            })
        });
        assert!(outcome.is_err());
    }

    #[test]
    fn a_panic_is_passed_on() {
        let outcome =
            std::panic::catch_unwind(|| bounded(Duration::from_secs(10), || panic!("boom")));
        let message = outcome
            .err()
            .and_then(|p| p.downcast_ref::<&str>().map(|s| s.to_string()));
        assert_eq!(message.as_deref(), Some("boom"));
    }

    #[test]
    fn messages_are_checked() {
        assert!(check_message("bad record", 20).is_ok());
        assert!(check_message("  ", 20).is_err());
        assert!(check_message(&"x".repeat(21), 20).is_err());
        assert_eq!(preview(b"abcdef", 3), "\"abc\" (6 bytes)");
    }
}
