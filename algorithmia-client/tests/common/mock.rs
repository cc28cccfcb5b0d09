//! A client pointed at a wiremock server, shared by the wire-level test binaries (`wire`,
//! `manage`), each of which includes this file as its `mock` module.

use std::time::Duration;

use algorithmia_client::{Client, ClientBuilder, RetryPolicy};
use wiremock::MockServer;

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
