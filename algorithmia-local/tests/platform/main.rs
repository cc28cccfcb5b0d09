//! algorithmia-local as a platform: the management API over the state database, through the
//! real server on a loopback port (and the official Python client against the binary).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod accounts;
mod activity;
mod algorithms;
mod builds;
mod environments;
mod peers;
mod persistence;
mod secrets;
mod versions;

use std::cell::RefCell;
use std::path::Path;

use algorithmia_local::{LocalServer, ServerHandle, StateStore};
use reqwest::Method;
use reqwest::blocking::Client;
use serde_json::{Value, json};

pub const ALICE: &str = "simAliceKey";
pub const BOB: &str = "simBobKey";
pub const CAROL: &str = "simCarolKey";

/// A server on `dir` with alice, bob, and carol (a member of org `acme`).
pub fn start(dir: &Path) -> ServerHandle {
    builder(dir).start().unwrap()
}

/// The settings of [`start`], to change before starting.
pub fn builder(dir: &Path) -> algorithmia_local::LocalServerBuilder {
    LocalServer::builder()
        .data_dir(dir)
        .api_key(ALICE, "alice")
        .api_key(BOB, "bob")
        .api_key(CAROL, "carol")
        .organization("acme", ["carol"])
        .builtins(false)
}

/// One answer: status, parsed JSON (or null), and the raw body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub json: Value,
    pub text: String,
}

impl Answer {
    /// The API error code, if any.
    pub fn code(&self) -> Option<i64> {
        self.json["error"]["code"].as_i64()
    }
}

/// A blocking client for one user that keeps every body it received.
pub struct Api {
    pub base: String,
    key: String,
    client: Client,
    pub bodies: RefCell<Vec<String>>,
}

impl Api {
    pub fn new(server: &ServerHandle, key: &str) -> Api {
        Api {
            base: server.base_url().trim_end_matches('/').to_owned(),
            key: key.to_owned(),
            client: Client::new(),
            bodies: RefCell::new(Vec::new()),
        }
    }

    pub fn send(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("Authorization", format!("Simple {}", self.key));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().unwrap();
        let status = response.status().as_u16();
        let bytes = response.bytes().unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        self.bodies.borrow_mut().push(text.clone());
        Answer {
            status,
            json: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            text,
        }
    }

    pub fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None)
    }

    pub fn post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, path, Some(body))
    }

    pub fn put(&self, path: &str, body: Value) -> Answer {
        self.send(Method::PUT, path, Some(body))
    }

    pub fn delete(&self, path: &str) -> Answer {
        self.send(Method::DELETE, path, None)
    }

    /// Create `owner/name` with a label; asserts 201.
    pub fn create(&self, owner: &str, name: &str) -> Value {
        let answer = self.post(
            &format!("/v1/algorithms/{owner}"),
            json!({
                "name": name,
                "details": {"label": format!("The {name}")},
                "settings": {"source_visibility": "closed", "license": "mit"},
            }),
        );
        assert_eq!(answer.status, 201, "{}", answer.text);
        answer.json
    }
}

/// A successful build of `owner/name` at a commit made of `digit`, recorded as a builder would.
pub fn succeed_build(dir: &Path, owner: &str, name: &str, digit: char) -> (String, String) {
    let state = StateStore::open(dir).unwrap();
    let commit = digit.to_string().repeat(40);
    let build = state.create_build(owner, name, &commit).unwrap();
    state.finish_build(&build, true, "built fine").unwrap();
    (build, commit)
}
