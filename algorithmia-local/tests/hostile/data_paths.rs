//! Request paths to data URIs: a path under `/v1/connector/` means the data URI the client
//! would parse from the same text, and names longer than the file system takes are refused.

use std::time::Instant;

use algorithmia_client::DataUri;
use percent_encoding::percent_decode;
use proptest::prelude::*;
use testkit::hostile::{bounded, config};

use crate::raw_http::{Answer, check_answer, request, send};
use crate::{Fixture, KEY, LIMIT, marker};

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
    bounded(LIMIT, || {
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
        proptest!(config(300), |(
            connector in connector,
            segments in prop::collection::vec(decoded_segment(), 0..5),
            method in prop::sample::select(&["GET", "HEAD", "DELETE", "PUT"][..]),
            trailing in any::<bool>(),
        )| {
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
            });
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
