//! Whole hostile requests: well formed, with up to two things spoilt; every one gets a 4xx
//! or a closed connection, and the server goes on serving.

use std::time::Instant;

use proptest::prelude::*;
use testkit::hostile::{bounded, config, preview};

use crate::parts::{Auth, Length, bad_auth, bad_header, bad_length, body, good_header, raw_path};
use crate::raw_http::{Answer, check_answer, send};
use crate::{Fixture, KEY, LIMIT, OTHER_KEY};

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

#[test]
fn hostile_requests_get_a_4xx_or_a_closed_connection() {
    bounded(LIMIT, || {
        let fixture = Fixture::start();
        let addr = fixture.addr();
        let started = Instant::now();
        let tally = std::sync::Mutex::new(std::collections::BTreeMap::<String, usize>::new());
        proptest!(config(1000), |(request in hostile_request())| {
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
                        eprintln!("{status}: {} => {}", preview(&bytes, 400), preview(body, 400));
                    }
                    format!("{status} (not JSON)")
                }
                other => format!("{other:?}").chars().take(6).collect(),
            };
            *tally.lock().unwrap().entry(outcome).or_default() += 1;
            check_answer(&answer, &preview(&bytes, 400))?;
        });
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
