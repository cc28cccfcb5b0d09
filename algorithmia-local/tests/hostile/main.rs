//! Hostile HTTP, by property tests with a bounded number of cases: generated raw requests
//! (odd methods, paths with percent-escapes, `..`, NUL, backslashes and long segments, broken
//! headers and bodies) never get a 5xx, never hang the server, never reach outside the data
//! directory, and leave the server serving.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use algorithmia_client::DataUri;
use algorithmia_local::{LocalServer, ServerHandle};
use percent_encoding::percent_decode;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

const KEY: &str = "simHostileKey";
const OTHER_KEY: &str = "simOtherKey";

/// How long a request may go unanswered once the client has sent all it will.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

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

/// What the server did with a request.
#[derive(Debug)]
enum Answer {
    /// A response (after any `1xx`).
    Response {
        status: u16,
        head: String,
        body: Vec<u8>,
    },
    /// The connection was closed (or reset) without a response.
    Closed,
    /// Bytes that are not an HTTP response.
    Garbage(Vec<u8>),
    /// Nothing, or not all of a response, within the read timeout.
    Hung(Vec<u8>),
}

/// A well-formed request with `Connection: close`.
fn request(
    method: &str,
    path: &str,
    key: Option<&str>,
    content_type: &str,
    body: &[u8],
) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    if let Some(key) = key {
        head.push_str(&format!("Authorization: Simple {key}\r\n"));
    }
    if !content_type.is_empty() {
        head.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Send `bytes`, optionally close the sending side (for requests that promise more than they
/// send), and read until the server closes.
fn send(addr: SocketAddr, bytes: &[u8], half_close: bool) -> Answer {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(READ_TIMEOUT)).unwrap();
    // The server may answer and close before it has read everything (a 431, a 413).
    let _ = stream.write_all(bytes);
    if half_close {
        let _ = stream.shutdown(Shutdown::Write);
    }
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    let complete = loop {
        match stream.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                break false;
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            // A reset after (or instead of) the answer.
            Err(_) => break true,
        }
        if started.elapsed() > READ_TIMEOUT * 2 {
            break false;
        }
    };
    if !complete {
        return Answer::Hung(received);
    }
    parse_answer(received)
}

fn parse_answer(mut received: Vec<u8>) -> Answer {
    loop {
        if received.is_empty() {
            return Answer::Closed;
        }
        let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") else {
            return Answer::Garbage(received);
        };
        let head = String::from_utf8_lossy(&received[..end]).into_owned();
        let mut words = head.split(' ');
        let version = words.next().unwrap_or("");
        let status = words.next().and_then(|s| s.parse::<u16>().ok());
        let (true, Some(status)) = (version == "HTTP/1.1" || version == "HTTP/1.0", status) else {
            return Answer::Garbage(received);
        };
        let body = received.split_off(end + 4);
        if (100..200).contains(&status) {
            received = body;
            continue;
        }
        return Answer::Response { status, head, body };
    }
}

/// Run a property on its own thread, failing if it does not finish in `LIMIT`.
fn bounded(f: impl FnOnce() + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    match rx.recv_timeout(LIMIT) {
        Ok(()) => worker.join().unwrap(),
        Err(RecvTimeoutError::Disconnected) => {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(RecvTimeoutError::Timeout) => panic!("still running after {LIMIT:?}: a hang"),
    }
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_time: 30_000,
        ..Config::default()
    })
}

// ---------------------------------------------------------------------------------------------
// Generators

/// A segment of a request path, as it goes on the wire.
fn raw_segment() -> impl Strategy<Value = Vec<u8>> {
    let listed = prop::sample::select(
        &[
            "",
            ".",
            "..",
            "...",
            ".my",
            ".session",
            ".algo",
            "demo",
            "Hello",
            "util",
            "Echo",
            "Fail",
            "0.1.0",
            "1.0.0",
            "1.*",
            "latestPrivate",
            "%2e%2e",
            "%2E%2E%2F",
            ".%2e",
            "%2e.",
            "%00",
            "a%00b",
            "%5C",
            "..%5C..",
            "%FF",
            "%C3",
            "%C3%28",
            "%2F",
            "%2f..%2f",
            "a+b",
            "a%20b",
            "%3F",
            "data:",
            "s3%3A%2F%2F",
            "%E2%80%AE",
            "%EF%BB%BF",
            "~",
            "hostile-escape",
        ][..],
    )
    .prop_map(|s| {
        if s == "hostile-escape" {
            marker().into_bytes()
        } else {
            s.as_bytes().to_vec()
        }
    });
    prop_oneof![
        6 => listed,
        2 => "[a-zA-Z0-9._~-]{1,12}".prop_map(String::into_bytes),
        1 => (1usize..6000).prop_map(|n| "a".repeat(n).into_bytes()),
        2 => ".{1,6}".prop_map(|s| percent_encode_all(s.as_bytes()).into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 1..6)
            .prop_map(|b| percent_encode_all(&b).into_bytes()),
    ]
}

fn percent_encode_all(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("%{b:02X}")).collect()
}

fn raw_path() -> impl Strategy<Value = Vec<u8>> {
    let prefix = prop::sample::select(
        &[
            "/v1/algo/",
            "/v1/algo/demo/",
            "/v1/algo/util/",
            "/v1/data/",
            "/v1/data/.my/",
            "/v1/data",
            "/v1/connector/",
            "/v1/connector/data/",
            "/v1/connector/data/.my/",
            "/v1/connector/s3/",
            "/v1/connector/s3+x/",
            "/v1/algorithms/",
            "/v1/local/executions/",
            "/v1/",
            "/",
            "http://localhost/v1/data/",
            "//v1/data/",
        ][..],
    );
    let query = prop::option::of(prop::sample::select(
        &[
            "timeout=0.1",
            "timeout=1e300",
            "timeout=-1",
            "timeout=NaN",
            "timeout=",
            "output=raw",
            "output=void",
            "stdout=true",
            "stdout=maybe",
            "marker=ZC9h",
            "marker=!!",
            "acl=true",
            "force=true",
            "%zz=%zz",
            "a=%FF",
            "&&&==",
        ][..],
    ));
    (
        prefix,
        prop::collection::vec(raw_segment(), 0..6),
        prop::sample::select(&["", "/", "//"][..]),
        query,
    )
        .prop_map(|(prefix, segments, end, query)| {
            let mut path = prefix.as_bytes().to_vec();
            path.extend(segments.join(&b'/'));
            path.extend_from_slice(end.as_bytes());
            if let Some(q) = query {
                path.push(b'?');
                path.extend_from_slice(q.as_bytes());
            }
            path
        })
}

#[derive(Debug, Clone)]
enum Auth {
    Good,
    Other,
    Wrong,
    Missing,
    Scheme(&'static str),
    Huge(usize),
    Bytes(Vec<u8>),
}

fn bad_auth() -> impl Strategy<Value = Auth> {
    prop_oneof![
        1 => Just(Auth::Wrong),
        1 => Just(Auth::Missing),
        1 => prop::sample::select(&["Simple", "Simple ", "Bearer", "Basic Zm9vOmJhcg==", "simple  simHostileKey", "Bearer simHostileKey"][..]).prop_map(Auth::Scheme),
        1 => (1usize..70_000).prop_map(Auth::Huge),
        1 => prop::collection::vec(any::<u8>(), 0..16).prop_map(Auth::Bytes),
    ]
}

/// How the body's length is declared.
#[derive(Debug, Clone)]
enum Length {
    Exact,
    Missing,
    /// More than is sent: the client then stops sending.
    Promised(u64),
    /// Less than is sent: the rest is a second, garbage request.
    Short(usize),
    Text(&'static str),
    Twice(u64),
    /// `Transfer-Encoding: chunked`, well formed or not.
    Chunked(bool),
}

fn bad_length() -> impl Strategy<Value = Length> {
    prop_oneof![
        1 => Just(Length::Missing),
        1 => (1u64..1_000_000).prop_map(Length::Promised),
        1 => (0usize..64).prop_map(Length::Short),
        1 => prop::sample::select(&["-1", "abc", "99999999999999999999", "1e3", " 5", "+5", "0x10", "", "5, 5"][..]).prop_map(Length::Text),
        1 => (0u64..100).prop_map(Length::Twice),
        1 => any::<bool>().prop_map(Length::Chunked),
    ]
}

fn line(name: &str, value: &[u8]) -> Vec<u8> {
    let mut line = name.as_bytes().to_vec();
    line.extend_from_slice(b": ");
    line.extend_from_slice(value);
    line.extend_from_slice(b"\r\n");
    line
}

/// A header a client may well send.
fn good_header() -> impl Strategy<Value = Vec<u8>> {
    let name = prop::sample::select(
        &[
            "Accept",
            "X-Request-Id",
            "X-Data-Type",
            "Range",
            "If-Modified-Since",
            "User-Agent",
        ][..],
    );
    let value = prop_oneof![
        3 => prop::sample::select(
            &["application/json", "text/plain", "*/*", "bytes=0-0", "bytes=9-1", "not a date", "req-1"][..]
        )
        .prop_map(str::to_owned),
        1 => "[ -~]{0,40}",
    ];
    (name, value).prop_map(|(n, v)| line(n, v.trim().as_bytes()))
}

/// A header line that is malformed, huge, or contradicts the request.
fn bad_header() -> impl Strategy<Value = Vec<u8>> {
    let name = prop::sample::select(
        &[
            "Host",
            "Bad Name",
            "",
            ":",
            "X-\u{e9}",
            "Transfer-Encoding",
            "Content-Encoding",
            "Content-Type",
            "Accept",
            "Expect",
        ][..],
    );
    let value = prop_oneof![
        prop::sample::select(
            &[
                "gzip",
                "chunked",
                "identity, chunked",
                "100-continue",
                "\u{e9}",
                "a\0b"
            ][..]
        )
        .prop_map(|s| s.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..12),
        (1usize..120_000).prop_map(|n| vec![b'v'; n]),
    ];
    (name, value).prop_map(|(n, v)| line(n, &v))
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => Just(Vec::new()),
        3 => prop::collection::vec(any::<u8>(), 0..512),
        2 => prop::sample::select(
            &[
                r#"{"name":"x"}"#,
                r#"{"name":".."}"#,
                r#"{"name":"a/b"}"#,
                r#"{"name":"hostile-escape"}"#,
                r#"{"name":42}"#,
                r#"{"acl":{"read":["user://*"]}}"#,
                r#"{"acl":"x"}"#,
                r#"{"ms":1,"result":1}"#,
                r#"{"message":"boom","error_type":"X"}"#,
                r#"{"image":"data://.my/x.png","height":-1,"width":1e300}"#,
                r#"{"name":"#,
                r#"["#,
                "\"text\"",
                "hello",
            ][..]
        )
        .prop_map(|s| s.replace("hostile-escape", &marker()).into_bytes()),
        1 => (1usize..2_000_000).prop_map(|n| vec![b'x'; n]),
    ]
}

/// A whole request, and whether it promises more than it sends.
#[derive(Debug, Clone)]
struct Request {
    method: Vec<u8>,
    path: Vec<u8>,
    version: &'static str,
    auth: Auth,
    content_type: Option<&'static str>,
    length: Length,
    extra: Vec<Vec<u8>>,
    body: Vec<u8>,
    cut: Option<prop::sample::Index>,
    /// Headers that may make the server wait for more (`Expect`, `Transfer-Encoding`, ...).
    odd_headers: bool,
}

/// One way to spoil a request that is otherwise well formed.
#[derive(Debug, Clone)]
enum Spoil {
    Method(&'static str),
    Version(&'static str),
    /// Bytes put in the path as they are, not percent-encoded.
    PathBytes(prop::sample::Index, Vec<u8>),
    Auth(Auth),
    Length(Length),
    Header(Vec<u8>),
    /// The request cut short.
    Cut(prop::sample::Index),
}

fn spoil() -> impl Strategy<Value = Spoil> {
    prop_oneof![
        1 => prop::sample::select(&["OPTIONS", "TRACE", "CONNECT", "get", "FOO", "", "G\0T", "PUT PUT", "\u{e9}"][..]).prop_map(Spoil::Method),
        1 => prop::sample::select(&["HTTP/1.0", "HTTP/2.0", "HTTP/1.1 x", "HTTP/1.2", "HTTP/1.1\r"][..]).prop_map(Spoil::Version),
        2 => (
            any::<prop::sample::Index>(),
            prop_oneof![
                prop::sample::select(&["\\", "a\\b", "%", "%z", "?", "#", " ", "\0", "\u{e9}", "..\\..\\"][..])
                    .prop_map(|s| s.as_bytes().to_vec()),
                prop::collection::vec(any::<u8>(), 1..4),
            ],
        )
            .prop_map(|(at, bytes)| Spoil::PathBytes(at, bytes)),
        2 => bad_auth().prop_map(Spoil::Auth),
        3 => bad_length().prop_map(Spoil::Length),
        2 => bad_header().prop_map(Spoil::Header),
        1 => any::<prop::sample::Index>().prop_map(Spoil::Cut),
    ]
}

/// A well-formed request (method, path with any percent-escapes, good key, exact length), with
/// up to two things spoilt.
fn hostile_request() -> impl Strategy<Value = Request> {
    (
        prop::sample::select(&["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"][..]),
        raw_path(),
        prop_oneof![9 => Just(Auth::Good), 1 => Just(Auth::Other)],
        prop::option::of(prop::sample::select(
            &[
                "application/json",
                "text/plain",
                "application/text",
                "application/octet-stream",
                "text/plain; charset=latin1",
                "image/png",
            ][..],
        )),
        prop::collection::vec(good_header(), 0..2),
        body(),
        prop::collection::vec(spoil(), 0..3),
    )
        .prop_map(|(method, path, auth, content_type, extra, body, spoils)| {
            let mut request = Request {
                method: method.as_bytes().to_vec(),
                path,
                version: "HTTP/1.1",
                auth,
                content_type,
                length: Length::Exact,
                extra,
                body,
                cut: None,
                odd_headers: false,
            };
            for spoil in spoils {
                match spoil {
                    Spoil::Method(m) => request.method = m.as_bytes().to_vec(),
                    Spoil::Version(v) => request.version = v,
                    Spoil::PathBytes(at, bytes) => {
                        let at = at.index(request.path.len() + 1);
                        request.path.splice(at..at, bytes);
                    }
                    Spoil::Auth(a) => request.auth = a,
                    Spoil::Length(l) => request.length = l,
                    Spoil::Header(h) => {
                        request.extra.push(h);
                        request.odd_headers = true;
                    }
                    Spoil::Cut(at) => request.cut = Some(at),
                }
            }
            request
        })
}

impl Request {
    /// The bytes to send, and whether the request promises more than that.
    fn bytes(&self) -> (Vec<u8>, bool) {
        let mut out = Vec::new();
        out.extend_from_slice(&self.method);
        out.push(b' ');
        out.extend_from_slice(&self.path);
        out.push(b' ');
        out.extend_from_slice(self.version.as_bytes());
        out.extend_from_slice(b"\r\nHost: localhost\r\nConnection: close\r\n");
        match &self.auth {
            Auth::Good => {
                out.extend_from_slice(format!("Authorization: Simple {KEY}\r\n").as_bytes())
            }
            Auth::Other => {
                out.extend_from_slice(format!("Authorization: Simple {OTHER_KEY}\r\n").as_bytes());
            }
            Auth::Wrong => out.extend_from_slice(b"Authorization: Simple simWrong\r\n"),
            Auth::Missing => {}
            Auth::Scheme(s) => out.extend_from_slice(format!("Authorization: {s}\r\n").as_bytes()),
            Auth::Huge(n) => {
                out.extend_from_slice(b"Authorization: Simple ");
                out.extend(std::iter::repeat_n(b'k', *n));
                out.extend_from_slice(b"\r\n");
            }
            Auth::Bytes(b) => {
                out.extend_from_slice(b"Authorization: ");
                out.extend_from_slice(b);
                out.extend_from_slice(b"\r\n");
            }
        }
        if let Some(ct) = self.content_type {
            out.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
        }
        for line in &self.extra {
            out.extend_from_slice(line);
        }
        // The client stops sending once it has sent this: whatever the server still waits for
        // will not come.
        let mut incomplete = self.odd_headers || !matches!(self.length, Length::Exact);
        let mut body = self.body.clone();
        match &self.length {
            Length::Exact => {
                out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
            }
            Length::Missing => {}
            Length::Promised(more) => {
                let n = body.len() as u64 + more;
                out.extend_from_slice(format!("Content-Length: {n}\r\n").as_bytes());
                incomplete = true;
            }
            Length::Short(less) => {
                let n = body.len().saturating_sub(*less);
                out.extend_from_slice(format!("Content-Length: {n}\r\n").as_bytes());
            }
            Length::Text(t) => out.extend_from_slice(format!("Content-Length: {t}\r\n").as_bytes()),
            Length::Twice(n) => out.extend_from_slice(
                format!("Content-Length: {}\r\nContent-Length: {n}\r\n", body.len()).as_bytes(),
            ),
            Length::Chunked(well_formed) => {
                out.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
                let mut chunked = Vec::new();
                if !body.is_empty() {
                    chunked.extend_from_slice(format!("{:x}\r\n", body.len()).as_bytes());
                    chunked.extend_from_slice(&body);
                    chunked.extend_from_slice(b"\r\n");
                }
                if *well_formed {
                    chunked.extend_from_slice(b"0\r\n\r\n");
                } else {
                    chunked.extend_from_slice(b"zz\r\n");
                    incomplete = true;
                }
                body = chunked;
            }
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&body);
        if let Some(cut) = &self.cut {
            out.truncate(cut.index(out.len() + 1));
            incomplete = true;
        }
        (out, incomplete)
    }
}

/// A response to a hostile request: any status below 500, or a closed connection; never a hang
/// and never bytes that are not HTTP.
fn check_answer(answer: &Answer, what: &str) -> Result<(), TestCaseError> {
    match answer {
        Answer::Response { status, head, body } => {
            prop_assert!(
                (200..500).contains(status),
                "{} got {}: {}\n{}",
                what,
                status,
                head,
                String::from_utf8_lossy(&body[..body.len().min(300)])
            );
        }
        Answer::Closed => {}
        Answer::Garbage(bytes) => prop_assert!(
            false,
            "{} got bytes that are not HTTP: {:?}",
            what,
            String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
        ),
        Answer::Hung(bytes) => prop_assert!(
            false,
            "{} got no complete answer within {:?} (received {} bytes: {:?})",
            what,
            READ_TIMEOUT,
            bytes.len(),
            String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
        ),
    }
    Ok(())
}

fn describe(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(400)]);
    format!("{text:?} ({} bytes)", bytes.len())
}

#[test]
fn hostile_requests_get_a_4xx_or_a_closed_connection() {
    bounded(|| {
        let fixture = Fixture::start();
        let addr = fixture.addr();
        let started = Instant::now();
        let tally = std::sync::Mutex::new(std::collections::BTreeMap::<String, usize>::new());
        runner(1000)
            .run(&hostile_request(), |request| {
                let (bytes, incomplete) = request.bytes();
                let answer = send(addr, &bytes, incomplete);
                let outcome = match &answer {
                    // The app's errors are JSON; hyper's own (a request it cannot parse) are not.
                    Answer::Response { status, body, .. } if body.starts_with(b"{") => {
                        status.to_string()
                    }
                    Answer::Response { status, head, .. } if head.starts_with("HEAD") => {
                        status.to_string()
                    }
                    Answer::Response { status, body, .. } => {
                        if std::env::var_os("HOSTILE_DEBUG").is_some() {
                            eprintln!("{status}: {} => {}", describe(&bytes), describe(body));
                        }
                        format!("{status} (not JSON)")
                    }
                    other => format!("{other:?}").chars().take(6).collect(),
                };
                *tally.lock().unwrap().entry(outcome).or_default() += 1;
                check_answer(&answer, &describe(&bytes))
            })
            .unwrap();
        eprintln!(
            "hostile requests in {:?}: {:?}",
            started.elapsed(),
            tally.lock().unwrap()
        );
        fixture.check_nothing_escaped();
        fixture.check_still_serving();
        fixture.check_nothing_escaped();
    });
}

// ---------------------------------------------------------------------------------------------
// Request path to data URI

/// A decoded path segment, and how to encode it on the wire.
fn decoded_segment() -> impl Strategy<Value = (Vec<u8>, u8)> {
    let text = prop_oneof![
        4 => prop::sample::select(
            &["", ".", "..", "...", "a", ".my", "coll", "a b", "\\", "a\\b", "\0", "ö", "/", "a/b", "%", "+", "?", "#", ":", "://", "%2e", "\u{202e}", "hostile-escape"][..]
        )
        .prop_map(|s| s.replace("hostile-escape", &marker()).into_bytes()),
        2 => "[ -~]{1,8}".prop_map(String::into_bytes),
        1 => ".{1,4}".prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 1..4),
        1 => (250usize..300).prop_map(|n| vec![b'n'; n]),
    ];
    (text, 0u8..3)
}

/// Percent-encode: 0 everything, 1 all but unreserved characters, 2 the same in lower case.
fn encode(bytes: &[u8], how: u8) -> String {
    bytes
        .iter()
        .map(|&b| {
            let unreserved = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
            match how {
                1 | 2 if unreserved => (b as char).to_string(),
                2 => format!("%{b:02x}"),
                _ => format!("%{b:02X}"),
            }
        })
        .collect()
}

#[test]
fn request_paths_become_the_data_uris_the_client_would_parse() {
    bounded(|| {
        let fixture = Fixture::start();
        let addr = fixture.addr();
        let started = Instant::now();
        let connector = prop::sample::select(
            &[
                "data",
                "s3",
                "s3+x",
                "gs",
                "dropbox",
                "azureblob",
                "ftp",
                "s3+",
                "s3+a-b",
                "DATA",
                "d%61ta",
                "%FF",
            ][..],
        );
        let case = (
            connector,
            prop::collection::vec(decoded_segment(), 0..5),
            prop::sample::select(&["GET", "HEAD", "DELETE", "PUT"][..]),
            any::<bool>(),
        );
        runner(300)
            .run(&case, |(connector, segments, method, trailing)| {
                let rest: Vec<String> = segments.iter().map(|(s, how)| encode(s, *how)).collect();
                let mut path = format!("/v1/connector/{connector}/{}", rest.join("/"));
                if trailing {
                    path.push('/');
                }
                // What the client library makes of the same text.
                let raw_rest = path["/v1/connector/".len()..]
                    .split_once('/')
                    .map_or("", |(_, r)| r);
                let expected = percent_decode(connector.as_bytes())
                    .decode_utf8()
                    .ok()
                    .zip(percent_decode(raw_rest.as_bytes()).decode_utf8().ok())
                    .and_then(|(c, r)| DataUri::new(&c, &r).ok());
                let body: &[u8] = if method == "PUT" { b"content" } else { b"" };
                let answer = send(addr, &request(method, &path, Some(KEY), "", body), false);
                check_answer(&answer, &format!("{method} {path}"))?;
                let Answer::Response { status, body, .. } = answer else {
                    return Err(TestCaseError::fail(format!("{method} {path}: closed")));
                };
                match &expected {
                    None => prop_assert_eq!(
                        status,
                        400,
                        "{} {} is not a data URI, yet: {}",
                        method,
                        path,
                        String::from_utf8_lossy(&body)
                    ),
                    Some(uri) => {
                        let special = uri.connector() == "data"
                            && uri.segments().next().is_some_and(|s| {
                                s.starts_with('.') && ![".my", ".session", ".algo"].contains(&s)
                            });
                        // A name longer than the file system takes (with room for `.json`).
                        let long = uri.segments().any(|s| s.len() > 250);
                        // Writing where nothing can be written, over a directory or under a
                        // file is a 400 of its own.
                        let shape = matches!(method, "PUT" | "DELETE");
                        prop_assert!(
                            status != 400 || special || shape || long,
                            "{} {} ({}) was refused: {}",
                            method,
                            path,
                            uri,
                            String::from_utf8_lossy(&body)
                        );
                    }
                }
                Ok(())
            })
            .unwrap();
        eprintln!("300 data paths in {:?}", started.elapsed());
        fixture.check_nothing_escaped();
        fixture.check_still_serving();
    });
}

/// Names longer than the file system takes are the caller's error (400), not the server's
/// (500), and a collection whose ACL cannot be stored is not left half made.
#[test]
fn names_too_long_for_the_file_system_are_refused() {
    let fixture = Fixture::start();
    let addr = fixture.addr();
    for n in [250usize, 252, 255, 256, 300, 5000] {
        let name = "c".repeat(n);
        let created = send(
            addr,
            &request(
                "POST",
                "/v1/data/.my",
                Some(KEY),
                "application/json",
                format!(r#"{{"name":"{name}"}}"#).as_bytes(),
            ),
            false,
        );
        let Answer::Response { status, body, .. } = created else {
            panic!("{n}: {created:?}");
        };
        // `<collection>.json` holds the ACL: 250 characters leave room for it.
        let want = if n <= 250 { 200 } else { 400 };
        assert_eq!(status, want, "{n}: {}", String::from_utf8_lossy(&body));
        let path = format!("/v1/data/.my/{name}");
        let got = send(addr, &request("GET", &path, Some(KEY), "", b""), false);
        let Answer::Response { status, .. } = got else {
            panic!("{n}: {got:?}");
        };
        let want = match n {
            ..=250 => 200,
            251..=255 => 404,
            _ => 400,
        };
        assert_eq!(status, want, "GET a {n}-character collection");
        for method in ["PUT", "GET", "DELETE", "HEAD"] {
            let file = format!("/v1/data/.my/c/{name}");
            let answer = send(addr, &request(method, &file, Some(KEY), "", b"x"), false);
            let Answer::Response { status, .. } = answer else {
                panic!("{method} {n}: {answer:?}");
            };
            assert!(status < 500, "{method} a {n}-character file: {status}");
        }
    }
    fixture.check_nothing_escaped();
}
