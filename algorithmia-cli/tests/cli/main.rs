//! `algo` end to end: the built binary (assert_cmd) against an embedded algorithmia-local, with
//! a temporary `HOME` holding the profiles.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod algorithms;
mod auth;
mod common;
mod data;
mod run;
