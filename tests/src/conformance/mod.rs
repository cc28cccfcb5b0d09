//! One conformance suite for our SDK against any server that speaks the Algorithmia API v1, as
//! object_store runs one suite against every store: each check is a `pub async fn` taking a
//! [`Target`] and panicking, through `assert!` and `unwrap`, when the SDK and the server together
//! do not behave as documented. [`run_all`] runs every check and reports by name which failed.
//!
//! `tests/tests/conformance` runs the suite against `algorithmia-local` in-process, against the
//! `algorithmia-local` binary, and (ignored unless asked for) against the server named by
//! `ALGORITHMIA_CONFORMANCE_API` (see [`ENV_VARS`]). Each check writes only under collections
//! named for this run ([`Target::collection`]) and deletes what it wrote when it passes.
//!
//! What a real server cannot be made to send (malformed bodies, retry sequences, golden
//! responses of the hosted API) stays in `algorithmia-client/tests/wire`; what needs a server
//! set up for it (fault injection, custom algorithms, upload limits) stays in
//! `algorithmia-local/tests/server`.

// The checks are test code: an `unwrap` that fails is a failed check, reported by name.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod algo;
pub mod blocking;
pub mod data;
pub mod errors;
mod target;
pub mod transfers;

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::time::{Duration, Instant};

use futures_util::FutureExt;

pub use target::{Algorithms, ENV_VARS, LOCAL_CONNECTORS, Target};

/// How long one check may run before it counts as failed.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(180);

/// What a check needs from the target beyond a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// Nothing more.
    Nothing,
    /// A second user and the first user's name ([`Target::second_user`]).
    SecondUser,
}

// Not `Send`: some of the SDK's futures are not provably `Send` for every lifetime, so each
// check runs on the caller's task, its panic caught there.
type CheckFuture = Pin<Box<dyn Future<Output = ()>>>;

/// One check of the suite, by name.
#[derive(Clone, Copy)]
pub struct Check {
    /// The function's name, as reports show it.
    pub name: &'static str,
    /// What it needs from the target.
    pub needs: Needs,
    run: fn(Target) -> CheckFuture,
}

impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Check")
            .field("name", &self.name)
            .field("needs", &self.needs)
            .finish()
    }
}

macro_rules! check {
    ($needs:ident, $module:ident::$name:ident) => {
        Check {
            name: concat!(stringify!($module), "::", stringify!($name)),
            needs: Needs::$needs,
            run: |target| Box::pin(async move { $module::$name(&target).await }),
        }
    };
}

/// Every check of the suite, in the order [`run_all`] runs them.
pub fn checks() -> Vec<Check> {
    vec![
        check!(Nothing, algo::builtins_answer_in_every_content_type),
        check!(
            Nothing,
            algo::raw_output_returns_bodies_and_algorithm_errors
        ),
        check!(Nothing, algo::an_algorithm_timeout_is_a_timeout_error),
        check!(Nothing, errors::unknown_and_missing_keys_are_refused),
        check!(Nothing, errors::bearer_tokens_are_accepted_like_keys),
        check!(Nothing, errors::the_server_enforces_the_input_limit),
        check!(Nothing, errors::data_errors_say_what_went_wrong),
        check!(
            SecondUser,
            errors::other_users_cannot_read_or_write_private_files
        ),
        check!(Nothing, data::every_file_operation_on_data_and_connectors),
        check!(Nothing, data::listings_follow_markers_across_pages),
        check!(
            Nothing,
            data::acls_round_trip_and_directories_delete_with_force
        ),
        check!(
            Nothing,
            transfers::whole_trees_upload_and_download_with_progress
        ),
        check!(Nothing, transfers::uploads_follow_links_and_report_loops),
        check!(
            Nothing,
            blocking::the_blocking_facade_covers_algorithm_calls
        ),
        check!(Nothing, blocking::the_blocking_facade_covers_the_data_api),
    ]
}

/// What [`run_all`] found.
#[derive(Debug, Default)]
pub struct Report {
    /// The target's name.
    pub target: String,
    /// The checks that passed.
    pub passed: Vec<&'static str>,
    /// The checks that failed, with their panic message.
    pub failed: Vec<(&'static str, String)>,
    /// The checks the target could not run, with the reason.
    pub not_run: Vec<(&'static str, String)>,
}

impl Report {
    /// Panic, naming each failed check, unless none failed.
    pub fn assert_passed(&self) {
        assert!(self.failed.is_empty(), "{self}");
    }

    /// Panic unless every check ran and passed.
    pub fn assert_complete(&self) {
        self.assert_passed();
        assert!(self.not_run.is_empty(), "{self}");
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "conformance against {}: {} passed, {} failed, {} not run",
            self.target,
            self.passed.len(),
            self.failed.len(),
            self.not_run.len()
        )?;
        for (name, message) in &self.failed {
            writeln!(f, "  FAILED  {name}: {message}")?;
        }
        for (name, reason) in &self.not_run {
            writeln!(f, "  NOT RUN {name}: {reason}")?;
        }
        Ok(())
    }
}

/// Run every check against `target`, one after the other, each with its panic caught so that it
/// fails only that check; print each outcome and return the report.
pub async fn run_all(target: &Target) -> Report {
    run(target, &checks()).await
}

/// Run `checks` against `target` as [`run_all`] does.
pub async fn run(target: &Target, checks: &[Check]) -> Report {
    let mut report = Report {
        target: target.name.clone(),
        ..Report::default()
    };
    for check in checks {
        if check.needs == Needs::SecondUser && target.second_user().is_none() {
            let reason = "needs a second user: ALGORITHMIA_CONFORMANCE_KEY2 and \
                          ALGORITHMIA_CONFORMANCE_USER";
            println!("not run {}: {reason}", check.name);
            report.not_run.push((check.name, reason.to_owned()));
            continue;
        }
        let started = Instant::now();
        let checked = AssertUnwindSafe((check.run)(target.clone())).catch_unwind();
        let outcome = match tokio::time::timeout(CHECK_TIMEOUT, checked).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(panic)) => Err(panic_message(panic)),
            Err(_) => Err(format!("did not finish within {CHECK_TIMEOUT:?}")),
        };
        let elapsed = started.elapsed();
        match outcome {
            Ok(()) => {
                println!("ok      {} ({elapsed:.1?})", check.name);
                report.passed.push(check.name);
            }
            Err(message) => {
                println!("FAILED  {} ({elapsed:.1?}): {message}", check.name);
                report.failed.push((check.name, message));
            }
        }
    }
    println!(
        "conformance against {}: {} passed, {} failed, {} not run",
        report.target,
        report.passed.len(),
        report.failed.len(),
        report.not_run.len()
    );
    report
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "a panic without a message".to_owned())
}
