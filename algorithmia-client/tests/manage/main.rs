//! Wire-level tests of the management API against wiremock: every wire variant the SDK accepts,
//! the bodies it sends, its paging, retries, build waits, secrets and template unpacking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod algorithms;
#[cfg(feature = "blocking")]
mod blocking;
mod builds;
mod environments;
mod errors;
mod paging;
mod secrets;

use std::time::Duration;

use algorithmia_client::{Client, ClientBuilder, RetryPolicy};
use serde_json::Value;
use wiremock::{MockServer, ResponseTemplate};

/// A builder pointed at `server`, with quick retries and no proxy.
pub fn builder(server: &MockServer) -> ClientBuilder {
    Client::builder()
        .base_url(server.uri())
        .api_key("simTESTKEY")
        .no_proxy()
        .retry(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(5))
                .max_backoff(Duration::from_millis(20)),
        )
}

/// A client pointed at `server`.
pub fn client(server: &MockServer) -> Client {
    builder(server).build().unwrap()
}

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
