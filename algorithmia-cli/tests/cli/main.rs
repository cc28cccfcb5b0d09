//! `algo` end to end: the built binary (assert_cmd) against an embedded algorithmia-local, with
//! a temporary `HOME` holding the profiles.

mod algorithms;
mod auth;
mod common;
mod data;
mod run;
