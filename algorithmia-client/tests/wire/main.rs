//! Wire-level tests of the algorithm API against a wiremock server: every content type, option,
//! version form, response shape, error path, retry rule and timeout. Only what a real server
//! cannot be made to send stays here; the rest is the conformance suite's (`tests/src/conformance`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(feature = "blocking")]
mod blocking;
mod connections;
mod data;
mod deadlines;
mod errors;
mod inputs;
#[path = "../common/mock.rs"]
mod mock;
mod options;
mod profiles;
mod responses;
mod retries;
mod secrets;
mod sharp_edges;
mod timeouts;
mod validation;

pub use mock::{builder, client};

use wiremock::MockServer;

/// An error and its `source()` chain, as error reporters (anyhow, eyre) print it.
pub fn report(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// A golden response body from `tests/fixtures`.
pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A wiremock response with a JSON fixture body.
pub fn json_fixture(status: u16, name: &str) -> wiremock::ResponseTemplate {
    wiremock::ResponseTemplate::new(status).set_body_raw(fixture(name), "application/json")
}

/// How many requests `server` has received.
pub async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

/// `server` answers the first POST with `first`, and every later one with a text result.
pub async fn answer_once_then_succeed(server: &MockServer, first: wiremock::ResponseTemplate) {
    use wiremock::Mock;
    use wiremock::matchers::method;
    Mock::given(method("POST"))
        .respond_with(first)
        .up_to_n_times(1)
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .respond_with(json_fixture(200, "algo_success_text.json"))
        .mount(server)
        .await;
}
