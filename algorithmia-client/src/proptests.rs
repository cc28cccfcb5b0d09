//! Hostile input, by property tests with a bounded number of cases: response decoding (any
//! bytes, any JSON, damaged golden envelopes, any status and content type), data URIs, algorithm
//! references and the headers the client reads never panic, and every failure is a typed
//! [`Error`].

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use proptest::prelude::*;
use proptest::sample::Index;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::{Map, Number, Value};

use crate::algo_ref::{AlgoRef, Version};
use crate::data::DataUri;
use crate::error::{Error, snippet};
use crate::response::{AlgoOutput, AlgoResponse, DecodeContext};
use crate::wire::{self, ContentType};

// ---------------------------------------------------------------------------------------------
// Harness

/// Run `f` on its own thread and fail if it has not finished within `limit`.
fn bounded(limit: Duration, f: fn()) {
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    match rx.recv_timeout(limit) {
        Ok(()) => worker.join().unwrap(),
        Err(RecvTimeoutError::Disconnected) => {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(RecvTimeoutError::Timeout) => panic!("still running after {limit:?}: a hang"),
    }
}

const LIMIT: Duration = Duration::from_secs(60);

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        max_shrink_time: 20_000,
        ..ProptestConfig::default()
    }
}

macro_rules! golden {
    ($($name:literal),* $(,)?) => {
        [$(($name, include_str!(concat!("../tests/fixtures/", $name)))),*]
    };
}

/// The recorded envelopes of the API.
const GOLDEN: [(&str, &str); 12] = golden![
    "algo_async_bool.json",
    "algo_async_void.json",
    "algo_failure.json",
    "algo_success_binary.json",
    "algo_success_json.json",
    "algo_success_json_object.json",
    "algo_success_stdout.json",
    "algo_success_text.json",
    "algo_success_void.json",
    "api_error_not_found.json",
    "api_error_string.json",
    "api_error_unauthorized.json",
];

// ---------------------------------------------------------------------------------------------
// Generators

const KEYS: &[&str] = &[
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
];

const STRINGS: &[&str] = &[
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
];

fn short_string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(STRINGS).prop_map(str::to_owned),
        2 => "[ -~]{0,16}",
        1 => prop::collection::vec(any::<char>(), 0..8).prop_map(String::from_iter),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![4 => prop::sample::select(KEYS).prop_map(str::to_owned), 1 => short_string()]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        prop::sample::select(&[1e300, 1e20, 1.8e19, -1.0, -0.0, 0.0, 5e-324][..])
            .prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
        short_string().prop_map(Value::String),
    ]
}

/// Any JSON, often shaped like the API's envelopes.
fn any_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A change to a JSON document at one of its places.
#[derive(Debug, Clone)]
enum Mutation {
    Remove(Index),
    Replace(Index, Value),
    Truncate(Index, Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<Index>().prop_map(Mutation::Remove),
        (any::<Index>(), any_json()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        (any::<Index>(), any::<Index>()).prop_map(|(i, at)| Mutation::Truncate(i, at)),
    ]
}

fn places(value: &Value) -> Vec<String> {
    fn walk(value: &Value, here: String, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    let k = k.replace('~', "~0").replace('/', "~1");
                    walk(v, format!("{here}/{k}"), out);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(v, format!("{here}/{i}"), out);
                }
            }
            _ => {}
        }
        out.push(here);
    }
    let mut out = Vec::new();
    walk(value, String::new(), &mut out);
    out
}

fn truncate_str(text: &str, at: &Index) -> String {
    let cut = at.index(text.len() + 1);
    let cut = (0..=cut)
        .rev()
        .find(|&c| text.is_char_boundary(c))
        .unwrap_or(0);
    text[..cut].to_owned()
}

fn apply(doc: &mut Value, mutation: &Mutation) {
    let all = places(doc);
    let pick = |i: &Index| all[i.index(all.len())].clone();
    match mutation {
        Mutation::Remove(i) => {
            let place = pick(i);
            let Some((parent, last)) = place.rsplit_once('/') else {
                *doc = Value::Null;
                return;
            };
            let last = last.replace("~1", "/").replace("~0", "~");
            match doc.pointer_mut(parent) {
                Some(Value::Object(map)) => {
                    map.remove(&last);
                }
                Some(Value::Array(items)) => {
                    if let Some(n) = last.parse::<usize>().ok().filter(|&n| n < items.len()) {
                        items.remove(n);
                    }
                }
                _ => {}
            }
        }
        Mutation::Replace(i, v) => {
            if let Some(slot) = doc.pointer_mut(&pick(i)) {
                *slot = v.clone();
            }
        }
        Mutation::Truncate(i, at) => {
            if let Some(slot) = doc.pointer_mut(&pick(i)) {
                let text = match &*slot {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                *slot = Value::String(truncate_str(&text, at));
            }
        }
    }
}

/// A change to the bytes of a body.
#[derive(Debug, Clone)]
enum ByteDamage {
    Cut(Index),
    Flip(Index, u8),
    Insert(Index, Vec<u8>),
}

fn byte_damage() -> impl Strategy<Value = ByteDamage> {
    prop_oneof![
        any::<Index>().prop_map(ByteDamage::Cut),
        (any::<Index>(), 1u8..=255).prop_map(|(i, x)| ByteDamage::Flip(i, x)),
        (
            any::<Index>(),
            prop_oneof![
                prop::collection::vec(any::<u8>(), 1..8),
                Just(vec![0xff, 0xfe]),
                Just(vec![0xc3]),
                Just(b"\\u".to_vec()),
                Just(b"\\ud800".to_vec()),
            ]
        )
            .prop_map(|(i, b)| ByteDamage::Insert(i, b)),
    ]
}

fn damage(body: &mut Vec<u8>, d: &ByteDamage) {
    match d {
        ByteDamage::Cut(i) => body.truncate(i.index(body.len() + 1)),
        ByteDamage::Flip(i, x) if !body.is_empty() => {
            let at = i.index(body.len());
            body[at] ^= x;
        }
        ByteDamage::Flip(..) => {}
        ByteDamage::Insert(i, bytes) => {
            let at = i.index(body.len() + 1);
            body.splice(at..at, bytes.iter().copied());
        }
    }
}

/// A body: random bytes, random JSON, or a golden envelope damaged in its structure or bytes.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let golden = prop::sample::select(&GOLDEN[..]).prop_map(|(_, text)| text);
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..256),
        2 => any_json().prop_map(|v| v.to_string().into_bytes()),
        1 => golden.clone().prop_map(|t| t.as_bytes().to_vec()),
        4 => (golden.clone(), prop::collection::vec(mutation(), 1..4)).prop_map(|(t, ms)| {
            let mut v: Value = serde_json::from_str(t).unwrap();
            for m in &ms {
                apply(&mut v, m);
            }
            v.to_string().into_bytes()
        }),
        2 => (golden, prop::collection::vec(byte_damage(), 1..4)).prop_map(|(t, ds)| {
            let mut b = t.as_bytes().to_vec();
            for d in &ds {
                damage(&mut b, d);
            }
            b
        }),
    ]
}

fn status() -> impl Strategy<Value = StatusCode> {
    prop_oneof![
        4 => prop::sample::select(&[200u16, 201, 202, 204, 400, 401, 403, 404, 408, 429, 500, 502, 503, 504][..]),
        1 => 100u16..1000,
    ]
    .prop_map(|s| StatusCode::from_u16(s).unwrap())
}

fn header_text() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        prop::sample::select(
            &[
                "application/json",
                "application/json; charset=utf-8",
                "text/plain",
                "application/octet-stream",
                "",
                "*/*",
            ][..]
        )
        .prop_map(str::to_owned),
        "[ -~]{0,40}",
    ])
}

// ---------------------------------------------------------------------------------------------
// Response decoding

/// A decoding error is one of the three kinds a response can give, carries the status, and
/// prints.
fn check_error(e: &Error, status: StatusCode) -> Result<(), TestCaseError> {
    prop_assert!(
        matches!(e, Error::Api(_) | Error::Algorithm(_) | Error::Decode(_)),
        "an unexpected kind of error: {:?}",
        e
    );
    prop_assert_eq!(e.status(), Some(status.as_u16()));
    prop_assert!(!e.to_string().is_empty());
    let _ = (e.is_timeout(), e.is_not_found(), format!("{e:?}"));
    Ok(())
}

/// Everything a caller may ask of a response, none of which may panic.
fn check_response(r: &AlgoResponse) -> Result<(), TestCaseError> {
    let _ = (
        r.duration(),
        r.stdout(),
        r.alerts(),
        r.request_id(),
        r.is_void(),
    );
    let _ = (r.as_text(), r.as_json(), r.as_bytes());
    for e in [
        r.decode::<Value>().err(),
        r.decode::<String>().err(),
        r.decode::<Vec<u8>>().err(),
        r.decode::<Option<f64>>().err(),
    ]
    .into_iter()
    .flatten()
    {
        prop_assert!(matches!(e, Error::Decode(_)), "{:?}", e);
        prop_assert!(!e.to_string().is_empty());
    }
    match (r.content_type(), r.output()) {
        (Some(ContentType::Text), out) => prop_assert!(matches!(out, AlgoOutput::Text(_))),
        (Some(ContentType::Binary), out) => prop_assert!(matches!(out, AlgoOutput::Binary(_))),
        (Some(ContentType::Void), out) => prop_assert_eq!(out, &AlgoOutput::Void),
        _ => {}
    }
    Ok(())
}

fn decode_all(
    status: StatusCode,
    content_type: Option<&str>,
    error_message: Option<&str>,
    body: &[u8],
) -> Result<(), TestCaseError> {
    let mut headers = HeaderMap::new();
    if let Some(v) = content_type.and_then(|v| HeaderValue::from_str(v).ok()) {
        headers.insert(CONTENT_TYPE, v);
    }
    if let Some(v) = error_message.and_then(|v| HeaderValue::from_str(v).ok()) {
        headers.insert(wire::HEADER_ERROR_MESSAGE, v);
    }
    let method = Method::POST;
    let url = url::Url::parse("https://api.example.invalid/v1/algo/demo/Hello/0.1.1").unwrap();
    let context = || DecodeContext {
        algorithm: "demo/Hello/0.1.1",
        method: &method,
        url: &url,
        status,
        headers: &headers,
        body: Bytes::copy_from_slice(body),
    };

    match context().into_algo_response() {
        Ok(r) => {
            prop_assert!(status.is_success(), "a {} decoded as a result", status);
            check_response(&r)?;
        }
        Err(e) => check_error(&e, status)?,
    }
    match context().into_async_response() {
        Ok(a) => prop_assert!(
            status.is_success(),
            "a {} decoded as started: {:?}",
            status,
            a
        ),
        Err(e) => check_error(&e, status)?,
    }
    match context().into_raw_response() {
        Ok(raw) => {
            prop_assert!(status.is_success());
            prop_assert_eq!(&raw.body[..], body, "a raw body is returned untouched");
            let want = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
            prop_assert_eq!(raw.content_type.as_deref(), want);
            let _ = raw.as_text();
        }
        Err(e) => {
            prop_assert!(!status.is_success());
            check_error(&e, status)?;
        }
    }
    Ok(())
}

fn decoding_never_panics() {
    proptest!(config(1000), |(
        status in status(),
        content_type in header_text(),
        error_message in header_text(),
        body in body(),
    )| {
        decode_all(status, content_type.as_deref(), error_message.as_deref(), &body)?;
    });
}

/// Golden envelopes decode as they always did, on their usual status: every one of them.
fn golden_envelopes_decode() {
    for (name, text) in GOLDEN {
        let status = if name.starts_with("api_error") {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::OK
        };
        if let Err(e) = decode_all(status, Some("application/json"), None, text.as_bytes()) {
            panic!("{name}: {e}");
        }
    }
}

/// Whatever `metadata.duration` says, asking for it does not panic.
fn durations_never_panic() {
    proptest!(config(512), |(duration in leaf())| {
        let body = serde_json::json!({
            "result": 1,
            "metadata": {"content_type": "json", "duration": duration},
        });
        decode_all(StatusCode::OK, None, None, body.to_string().as_bytes())?;
    });
}

#[test]
fn decoding_any_body_any_status() {
    bounded(LIMIT, decoding_never_panics);
}

#[test]
fn decoding_golden_envelopes() {
    bounded(LIMIT, golden_envelopes_decode);
}

#[test]
fn decoding_durations() {
    bounded(LIMIT, durations_never_panic);
    // It used to be `Duration::from_secs_f64`, which panics past u64::MAX seconds.
    let body = br#"{"result":1,"metadata":{"content_type":"json","duration":1e300}}"#;
    let method = Method::POST;
    let url = url::Url::parse("https://api.example.invalid/v1/algo/demo/Hello").unwrap();
    let response = DecodeContext {
        algorithm: "demo/Hello",
        method: &method,
        url: &url,
        status: StatusCode::OK,
        headers: &HeaderMap::new(),
        body: Bytes::from_static(body),
    }
    .into_algo_response()
    .unwrap();
    assert_eq!(response.duration(), None);
}

// ---------------------------------------------------------------------------------------------
// Headers and listing fields the client reads

fn headers_never_panic() {
    proptest!(config(1000), |(
        text in prop_oneof![
            ".{0,40}",
            "[0-9.eE+-]{1,30}",
            prop::sample::select(&[
                "1e300", "1e20", "18446744073709551616", "inf", "NaN", "-1", "-0", "0.5",
                "Wed, 21 Oct 2015 07:28:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT",
                "Thu, 01 Jan 1970 00:00:00 GMT", "2019-01-09T22:44:31.632Z",
                "9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z",
            ][..]).prop_map(str::to_owned),
        ],
        bytes in prop::collection::vec(any::<u8>(), 0..1200),
        max in 0usize..300,
    )| {
        let now = SystemTime::now();
        let _ = crate::retry::parse_retry_after(&text, now);
        let _ = crate::data::parse_listing_time(&text);
        let s = snippet(&bytes, max);
        prop_assert!(s.chars().count() <= max + 1);
    });
}

#[test]
fn retry_after_and_listing_times() {
    bounded(LIMIT, headers_never_panic);
    let now = SystemTime::UNIX_EPOCH;
    // It used to be `Duration::from_secs_f64`, which panics past u64::MAX seconds.
    assert_eq!(
        crate::retry::parse_retry_after("1e300", now),
        Some(Duration::MAX)
    );
}

// ---------------------------------------------------------------------------------------------
// Data URIs

/// Text shaped like a data URI, from the pieces its parser looks at.
fn data_uri_text() -> impl Strategy<Value = String> {
    let connector = prop_oneof![
        prop::sample::select(
            &[
                "data",
                "s3",
                "dropbox",
                "gs",
                "azureblob",
                "s3+backup",
                "s3+",
                "s3+a-b",
                "ftp",
                "DATA",
                "",
                "data+1",
                "data+x+y",
                " data",
            ][..]
        )
        .prop_map(str::to_owned),
        "[a-z0-9+:/]{0,8}",
    ];
    let separator = prop::sample::select(&["://", ":/", ":///", "", "/", "//"][..]);
    let segment = prop_oneof![
        prop::sample::select(
            &[
                "", ".", "..", "...", ".my", "a", "ö", "a b", "\\", "a\\b", "\0", "%2F", "%00",
                "://", "?", "#", "+", "~",
            ][..]
        )
        .prop_map(str::to_owned),
        "[ -~]{1,8}",
        prop::collection::vec(any::<char>(), 1..4).prop_map(String::from_iter),
    ];
    (
        connector,
        separator,
        prop::collection::vec(segment, 0..5),
        prop::sample::select(&["", "/", "//"][..]),
    )
        .prop_map(|(c, sep, segments, end)| format!("{c}{sep}{}{end}", segments.join("/")))
}

/// Every invariant a parsed URI keeps.
fn check_uri(uri: &DataUri) -> Result<(), TestCaseError> {
    let text = uri.to_string();
    let again: DataUri = text.parse().map_err(|e| {
        TestCaseError::fail(format!("{uri:?} prints as {text:?}, which fails: {e}"))
    })?;
    prop_assert_eq!(&again, uri, "{:?} does not round-trip", text);
    let prefix = format!("{}://", uri.connector());
    prop_assert!(text.starts_with(&prefix), "{:?}", text);
    for s in uri.segments() {
        prop_assert!(!s.is_empty() && s != "." && s != "..", "{:?}", s);
        prop_assert!(!s.contains(['\0', '\\', '/']), "{:?}", s);
    }
    prop_assert_eq!(uri.segments().count() == 0, uri.is_root());
    if let (Some(parent), Some(name)) = (uri.parent(), uri.name()) {
        prop_assert_eq!(&parent.join(name).unwrap(), uri);
        prop_assert_eq!(parent.segments().count() + 1, uri.segments().count());
    }
    Ok(())
}

fn data_uris_round_trip() {
    proptest!(config(1000), |(
        text in prop_oneof![3 => data_uri_text(), 1 => ".{0,24}"],
        child in prop_oneof![data_uri_text(), "[ -~]{0,12}"],
    )| {
        match text.parse::<DataUri>() {
            Ok(uri) => {
                check_uri(&uri)?;
                match uri.join(&child) {
                    Ok(joined) => {
                        check_uri(&joined)?;
                        prop_assert_eq!(joined.connector(), uri.connector());
                        prop_assert!(joined.segments().count() > uri.segments().count());
                    }
                    Err(e) => prop_assert!(!e.reason.is_empty()),
                }
            }
            Err(e) => {
                prop_assert_eq!(&e.input, &text);
                prop_assert!(!e.reason.is_empty() && !e.to_string().is_empty());
            }
        }
    });
}

fn data_uri_parts_round_trip() {
    proptest!(config(512), |(
        connector in prop_oneof![prop::sample::select(&["data", "s3+x", "gs"][..]).prop_map(str::to_owned), ".{0,8}"],
        path in prop_oneof![data_uri_text(), ".{0,24}"],
    )| {
        if let Ok(uri) = DataUri::new(&connector, &path) {
            check_uri(&uri)?;
        }
    });
}

#[test]
fn data_uris() {
    bounded(LIMIT, data_uris_round_trip);
}

#[test]
fn data_uris_from_parts() {
    bounded(LIMIT, data_uri_parts_round_trip);
}

// ---------------------------------------------------------------------------------------------
// Algorithm references

fn version_text() -> impl Strategy<Value = String> {
    let number = prop_oneof![
        (0u64..100).prop_map(|n| n.to_string()),
        Just(u64::MAX.to_string()),
        Just("18446744073709551616".to_owned()),
        Just("01".to_owned()),
        Just("*".to_owned()),
        Just(String::new()),
        Just("-1".to_owned()),
        Just("+1".to_owned()),
        Just("x".to_owned()),
    ];
    prop_oneof![
        3 => prop::collection::vec(number, 1..5).prop_map(|p| p.join(".")),
        1 => "[0-9a-fA-F]{38,42}",
        1 => prop::sample::select(&["latestPrivate", "latest", "LATESTPRIVATE"][..]).prop_map(str::to_owned),
        1 => "[ -~]{0,12}",
    ]
}

fn algo_ref_text() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        prop::sample::select(
            &[
                "demo", "Hello", "", ".", "..", "a b", "a?b", "a#b", "a%20b", "a\\b", "ö", "\t",
                "algo:", "-_"
            ][..]
        )
        .prop_map(str::to_owned),
        "[ -~]{1,10}",
    ];
    (
        prop::sample::select(&["", "/", "algo://", "algo:/", "ALGO://", "//"][..]),
        segment.clone(),
        segment,
        prop::option::of(version_text()),
        prop::sample::select(&["", "/", "//"][..]),
    )
        .prop_map(|(prefix, owner, name, version, end)| match version {
            Some(v) => format!("{prefix}{owner}/{name}/{v}{end}"),
            None => format!("{prefix}{owner}/{name}{end}"),
        })
}

fn check_algo_ref(r: &AlgoRef) -> Result<(), TestCaseError> {
    let text = r.to_string();
    let again: AlgoRef = text
        .parse()
        .map_err(|e| TestCaseError::fail(format!("{r:?} prints as {text:?}, which fails: {e}")))?;
    prop_assert_eq!(&again, r, "{:?} does not round-trip", text);
    let joined = r.path_segments().collect::<Vec<_>>().join("/");
    prop_assert_eq!(joined, text);
    Ok(())
}

fn algo_refs_round_trip() {
    proptest!(config(1000), |(text in prop_oneof![3 => algo_ref_text(), 1 => ".{0,24}"])| {
        match text.parse::<AlgoRef>() {
            Ok(r) => check_algo_ref(&r)?,
            Err(e) => {
                prop_assert_eq!(&e.input, &text);
                prop_assert!(!e.reason.is_empty());
            }
        }
    });
}

fn algo_ref_parts_round_trip() {
    proptest!(config(512), |(
        owner in prop_oneof![Just("demo".to_owned()), "[ -~]{0,8}", ".{0,6}"],
        name in prop_oneof![Just("Hello".to_owned()), "[ -~]{0,8}", ".{0,6}"],
        version in prop::option::of(version_text()),
    )| {
        let version = version.and_then(|v| v.parse::<Version>().ok());
        if let Some(v) = &version {
            prop_assert_eq!(&v.to_string().parse::<Version>().unwrap(), v);
        }
        if let Ok(r) = AlgoRef::new(owner, name, version) {
            check_algo_ref(&r)?;
        }
    });
}

#[test]
fn algo_refs() {
    bounded(LIMIT, algo_refs_round_trip);
}

#[test]
fn algo_refs_from_parts() {
    bounded(LIMIT, algo_ref_parts_round_trip);
}
