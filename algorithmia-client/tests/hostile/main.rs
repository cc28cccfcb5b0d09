//! Hostile input to the SDK, by property tests with a bounded number of cases.
//!
//! What is hostile here: whatever a server answers to an algorithm call (any status, any
//! `Content-Type` and `X-Error-Message`, any bytes, any JSON, the API's recorded envelopes
//! damaged in their structure or their bytes), the API's envelopes as public types, and the
//! text a caller gives as a data URI or an algorithm reference.
//!
//! What holds: nothing panics; every failure is a typed error that keeps the HTTP status; what
//! parses prints as text that parses back to it.
//!
//! The bound: every property runs within `LIMIT` (a hang is a failure), with the case counts
//! given where it runs, no failure persistence, and a shrink of at most 20 s
//! (`testkit::hostile`). The Retry-After parser, listing times and body snippets are not public;
//! their properties are unit tests beside them (`retry.rs`, `data/mod.rs`, `error.rs`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod algo_refs;
mod bodies;
mod data_uris;
mod envelopes;
mod responses;
mod server;

use std::time::Duration;

use testkit::hostile::Dialect;

/// Every property's whole run.
const LIMIT: Duration = Duration::from_secs(60);

/// The JSON of the API: its envelopes' keys, and the strings it gives meaning to.
const WORDS: Dialect = Dialect {
    keys: &[
        "result",
        "error",
        "metadata",
        "content_type",
        "duration",
        "stdout",
        "alerts",
        "request_id",
        "async",
        "message",
        "error_type",
        "stacktrace",
        "code",
        "id",
    ],
    strings: &[
        "text",
        "json",
        "binary",
        "void",
        "AAECA/8=",
        "AAECA/8",
        "!!! not base64",
        "req-1",
        "TimeoutError",
        "InputError",
        "",
        "\u{0}",
        "é",
        "1e999",
    ],
    ..Dialect::SMALL
};
