//! Response decoding, through the public API: whatever status, `Content-Type`,
//! `X-Error-Message` and body a server sends (any bytes, any JSON, golden envelopes damaged in
//! their structure or their bytes), `pipe` in each of the three output modes returns a response
//! the caller can use or a typed error that keeps the status; it never panics.

use algorithmia_client::{
    AlgoOutput, AlgoResponse, Algorithm, Client, ContentType, Error, Raw, RetryPolicy, Void,
};
use proptest::prelude::*;
use serde_json::Value;
use testkit::hostile::{bounded, config, leaf};

use crate::bodies::{GOLDEN, body};
use crate::server::CannedServer;
use crate::{LIMIT, WORDS};

/// The longest snippet of a body an error carries, in characters (the ellipsis included).
const MAX_SNIPPET: usize = 201;

/// A final status: the API's usual ones, or any other a server may send (a 1xx is never
/// final, so it never reaches decoding).
fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        4 => prop::sample::select(&[200u16, 201, 202, 204, 400, 401, 403, 404, 408, 429, 500, 502, 503, 504][..]),
        1 => 200u16..1000,
    ]
}

/// A header value, or none.
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
        // HTTP drops the spaces around a header value; they are not sent.
        "[ -~]{0,40}".prop_map(|s| s.trim_matches(' ').to_owned()),
    ])
}

/// A decoding error is one of the three kinds a response can give, carries the status, prints,
/// and quotes no more than the start of the body.
fn check_error(e: &Error, status: u16) -> Result<(), TestCaseError> {
    prop_assert!(
        matches!(e, Error::Api(_) | Error::Algorithm(_) | Error::Decode(_)),
        "an unexpected kind of error: {:?}",
        e
    );
    prop_assert_eq!(e.status(), Some(status));
    prop_assert!(!e.to_string().is_empty());
    let snippet = match e {
        Error::Api(api) => api.body_snippet.as_deref().unwrap_or_default(),
        Error::Decode(decode) => &decode.snippet,
        _ => "",
    };
    prop_assert!(snippet.chars().count() <= MAX_SNIPPET, "{:?}", snippet);
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

/// One algorithm, called in the three output modes against a server whose answer is set per
/// case. Calls are never retried, so each is one request and one answer.
struct Calls {
    server: CannedServer,
    runtime: tokio::runtime::Runtime,
    envelope: Algorithm,
    raw: Algorithm<Raw>,
    void: Algorithm<Void>,
}

impl Calls {
    fn start() -> Calls {
        let server = CannedServer::start();
        let client = Client::builder()
            .base_url(server.url())
            .api_key("simHostileKey")
            .no_proxy()
            .retry(RetryPolicy::none())
            .build()
            .unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let envelope = client.algo("demo/Hello/0.1.1");
        Calls {
            server,
            runtime,
            raw: envelope.clone().output(Raw),
            void: envelope.clone().output(Void),
            envelope,
        }
    }

    /// Serve this answer and decode it in every output mode.
    fn decode_all(
        &self,
        status: u16,
        content_type: Option<&str>,
        error_message: Option<&str>,
        body: &[u8],
    ) -> Result<Option<AlgoResponse>, TestCaseError> {
        // HTTP carries no body with a 204 or a 304.
        let body = if matches!(status, 204 | 304) {
            &[][..]
        } else {
            body
        };
        let mut headers = Vec::new();
        if let Some(v) = content_type {
            headers.push(("Content-Type", v));
        }
        if let Some(v) = error_message {
            headers.push(("X-Error-Message", v));
        }
        self.server.answer(status, &headers, body);
        let success = (200..300).contains(&status);
        let (envelope, raw, void) = self.runtime.block_on(async {
            (
                self.envelope.pipe("hostile").await,
                self.raw.pipe("hostile").await,
                self.void.pipe("hostile").await,
            )
        });

        let envelope = match envelope {
            Ok(r) => {
                prop_assert!(success, "a {} decoded as a result", status);
                check_response(&r)?;
                Some(r)
            }
            Err(e) => {
                check_error(&e, status)?;
                None
            }
        };
        match void {
            Ok(a) => prop_assert!(success, "a {} decoded as started: {:?}", status, a),
            Err(e) => check_error(&e, status)?,
        }
        match raw {
            Ok(raw) => {
                prop_assert!(success);
                prop_assert_eq!(&raw.body[..], body, "a raw body is returned untouched");
                prop_assert_eq!(raw.content_type.as_deref(), content_type);
                let _ = raw.as_text();
            }
            Err(e) => {
                prop_assert!(!success);
                check_error(&e, status)?;
            }
        }
        Ok(envelope)
    }
}

#[test]
fn decoding_any_body_any_status() {
    bounded(LIMIT, || {
        let calls = Calls::start();
        proptest!(config(1000), |(
            status in status(),
            content_type in header_text(),
            error_message in header_text(),
            body in body(),
        )| {
            calls.decode_all(status, content_type.as_deref(), error_message.as_deref(), &body)?;
        });
    });
}

/// Golden envelopes decode as they always did, on their usual status: every one of them.
#[test]
fn decoding_golden_envelopes() {
    bounded(LIMIT, || {
        let calls = Calls::start();
        for (name, text) in GOLDEN {
            let status = if name.starts_with("api_error") {
                404
            } else {
                200
            };
            let decoded = calls.decode_all(status, Some("application/json"), None, text.as_bytes());
            if let Err(e) = decoded {
                panic!("{name}: {e}");
            }
        }
    });
}

/// Whatever `metadata.duration` says, asking for it does not panic.
#[test]
fn decoding_durations() {
    bounded(LIMIT, || {
        let calls = Calls::start();
        proptest!(config(512), |(duration in leaf(WORDS))| {
            let body = serde_json::json!({
                "result": 1,
                "metadata": {"content_type": "json", "duration": duration},
            });
            calls.decode_all(200, None, None, body.to_string().as_bytes())?;
        });
        // It used to be `Duration::from_secs_f64`, which panics past u64::MAX seconds.
        let body = br#"{"result":1,"metadata":{"content_type":"json","duration":1e300}}"#;
        let response = calls.decode_all(200, None, None, body).unwrap().unwrap();
        assert_eq!(response.duration(), None);
    });
}
