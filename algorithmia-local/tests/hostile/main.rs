//! Hostile HTTP to the local server, by property tests with a bounded number of cases.
//!
//! What is hostile here: raw requests (odd methods, paths with percent-escapes, `..`, NUL,
//! backslashes and long segments, broken, huge and contradicting headers, bodies that are
//! longer or shorter than they say, requests cut short), and request paths naming every kind of
//! data URI.
//!
//! What holds: no request gets a 5xx or bytes that are not HTTP, none hangs the server, nothing
//! is written outside the data directory, a request path means the data URI the client would
//! parse from it, and the server goes on serving.
//!
//! The bound: every property runs within `LIMIT` (a hang is a failure), with the case counts
//! given where it runs, no failure persistence, and a shrink of at most 20 s
//! (`testkit::hostile`); each request within `READ_TIMEOUT`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod data_paths;
mod parts;
mod raw_http;
mod requests;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use algorithmia_local::{LocalServer, ServerHandle};

use crate::raw_http::{Answer, request, send};

/// The key of the user the requests come from, and of another user.
const KEY: &str = "simHostileKey";
const OTHER_KEY: &str = "simOtherKey";

/// Every property's whole run.
const LIMIT: Duration = Duration::from_secs(150);

/// A name no legitimate request uses: any file of that name outside the data directory is an
/// escape.
fn marker() -> String {
    format!("hostile-escape-{}", std::process::id())
}

/// A server whose data directory is the only entry of a private directory, so that anything
/// written beside it is seen.
struct Fixture {
    server: ServerHandle,
    parent: tempfile::TempDir,
}

impl Fixture {
    fn start() -> Fixture {
        let parent = tempfile::tempdir().unwrap();
        let server = LocalServer::builder()
            .api_key(KEY, "alice")
            .api_key(OTHER_KEY, "bob")
            .data_dir(parent.path().join("root"))
            .upload_idle_timeout(Duration::from_secs(2))
            .start()
            .unwrap();
        Fixture { server, parent }
    }

    fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// Nothing but the data directory beside it, and no marker one level further up.
    fn check_nothing_escaped(&self) {
        let names = entries(self.parent.path());
        assert_eq!(names, ["root"], "new entries beside the data directory");
        if let Some(grandparent) = self.parent.path().parent() {
            let escaped: Vec<String> = entries(grandparent)
                .into_iter()
                .filter(|n| n.contains(&marker()))
                .collect();
            assert!(escaped.is_empty(), "escaped: {escaped:?}");
        }
        let stray = find_named(&self.server.data_dir().join("data"), &marker());
        let outside: Vec<&PathBuf> = stray
            .iter()
            .filter(|p| !p.starts_with(self.server.data_dir()))
            .collect();
        assert!(outside.is_empty(), "{outside:?}");
    }

    /// The server still answers ordinary requests correctly.
    fn check_still_serving(&self) {
        let hello = send(
            self.addr(),
            &request(
                "POST",
                "/v1/algo/demo/Hello",
                Some(KEY),
                "text/plain",
                b"after",
            ),
            false,
        );
        let Answer::Response { status, body, .. } = hello else {
            panic!("demo/Hello after the run: {hello:?}");
        };
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value["result"], "Hello after");

        let dir = format!("after{}", std::process::id());
        let created = send(
            self.addr(),
            &request(
                "POST",
                "/v1/data/.my",
                Some(KEY),
                "application/json",
                format!(r#"{{"name":"{dir}"}}"#).as_bytes(),
            ),
            false,
        );
        assert!(
            matches!(created, Answer::Response { status: 200, .. }),
            "{created:?}"
        );
        let path = format!("/v1/data/.my/{dir}/file.bin");
        let content: Vec<u8> = (0..=255u8).collect();
        let put = send(
            self.addr(),
            &request(
                "PUT",
                &path,
                Some(KEY),
                "application/octet-stream",
                &content,
            ),
            false,
        );
        assert!(
            matches!(put, Answer::Response { status: 200, .. }),
            "{put:?}"
        );
        let get = send(
            self.addr(),
            &request("GET", &path, Some(KEY), "", b""),
            false,
        );
        let Answer::Response { status, body, .. } = get else {
            panic!("{get:?}");
        };
        assert_eq!(status, 200);
        assert_eq!(body, content);
        let listing = send(
            self.addr(),
            &request("GET", "/v1/data/.my", Some(KEY), "", b""),
            false,
        );
        assert!(
            matches!(listing, Answer::Response { status: 200, .. }),
            "{listing:?}"
        );
    }
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn find_named(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if e.file_name().to_string_lossy().contains(needle) {
                found.push(p.clone());
            }
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(p);
            }
        }
    }
    found
}
