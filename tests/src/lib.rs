//! End-to-end tests across the crates live in `tests/tests`; this library holds what they share.
//!
//! [`conformance`]: the SDK-against-server checks, written once and run against every server.

pub mod conformance;
