//! The parts of a hostile request: paths, keys, declared lengths, header lines and bodies.

use proptest::prelude::*;

use crate::marker;

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

pub fn raw_path() -> impl Strategy<Value = Vec<u8>> {
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

/// The `Authorization` a request carries.
#[derive(Debug, Clone)]
pub enum Auth {
    /// `Simple` with the key of the requests' user.
    Good,
    /// `Simple` with another user's key.
    Other,
    /// `Simple` with an unknown key.
    Wrong,
    /// None.
    Missing,
    /// This header value as it is.
    Scheme(&'static str),
    /// `Simple` with a key of this many bytes.
    Huge(usize),
    /// These bytes as the header value.
    Bytes(Vec<u8>),
}

/// Any `Authorization` but a good one.
pub fn bad_auth() -> impl Strategy<Value = Auth> {
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
pub enum Length {
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

pub fn bad_length() -> impl Strategy<Value = Length> {
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
pub fn good_header() -> impl Strategy<Value = Vec<u8>> {
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
pub fn bad_header() -> impl Strategy<Value = Vec<u8>> {
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

/// A body: none, any bytes, JSON the routes read (some of it broken), or megabytes.
pub fn body() -> impl Strategy<Value = Vec<u8>> {
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
