//! Wire-level tests of the management API against wiremock: every wire variant the SDK accepts,
//! the bodies it sends, its paging, retries, build waits, secrets and template unpacking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod algorithms;
#[cfg(feature = "blocking")]
mod blocking;
mod builds;
mod environments;
mod errors;
#[path = "../common/mock.rs"]
mod mock;
mod paging;
mod secrets;

pub use mock::{builder, client};

use serde_json::Value;
use wiremock::{MockServer, ResponseTemplate};

/// A JSON answer.
pub fn json(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

/// The requests `server` has received, as `METHOD path?query`.
pub async fn requests(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| match r.url.query() {
            Some(q) => format!("{} {}?{q}", r.method, r.url.path()),
            None => format!("{} {}", r.method, r.url.path()),
        })
        .collect()
}

/// The JSON body of the `index`th request `server` received.
pub async fn body_of(server: &MockServer, index: usize) -> Value {
    let requests = server.received_requests().await.unwrap();
    serde_json::from_slice(&requests[index].body).unwrap()
}
