//! algorithmia-local end to end: our SDK where the server needs setting up for it (custom
//! algorithms, faults, limits, ADK, S3), raw HTTP, the binary, and the official clients as peers.
//! What our SDK must do against any server is the conformance suite, `tests/src/conformance`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod adk;
mod adk_pool;
mod algo;
mod app;
mod binary;
mod conn;
mod data;
mod faults;
mod peers;
mod s3;
mod safety;
mod sdk_data;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use algorithmia_client::{Client, RetryPolicy};
use algorithmia_local::{LocalServer, LocalServerBuilder, ServerHandle};

pub const ALICE: &str = "simAliceKey";
pub const BOB: &str = "simBobKey";

/// A builder with two users, alice and bob, and small listing pages.
pub fn builder() -> LocalServerBuilder {
    LocalServer::builder()
        .api_key(ALICE, "alice")
        .api_key(BOB, "bob")
        .page_size(3)
}

/// A started server with the defaults of [`builder`].
pub fn server() -> ServerHandle {
    builder().start().unwrap()
}

/// Our client for `server`, authenticating with `key`.
pub fn client(server: &ServerHandle, key: &str) -> Client {
    Client::builder()
        .base_url(server.base_url())
        .api_key(key)
        .no_proxy()
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

/// A plain HTTP client with alice's key.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// A response read off a raw socket.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

/// Send bytes as they are (no URL normalisation) and read the whole response.
pub fn raw_request(addr: SocketAddr, request: &[u8]) -> RawResponse {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(response.len());
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response.get(split + 4..).unwrap_or_default().to_vec();
    RawResponse { status, head, body }
}

/// A request line and headers, with alice's key and `Connection: close`.
pub fn raw_head(method: &str, path: &str, extra: &str) -> String {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Simple {ALICE}\r\nConnection: close\r\n{extra}\r\n"
    )
}
