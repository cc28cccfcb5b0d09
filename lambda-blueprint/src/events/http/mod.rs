//! API Gateway REST (v1), HTTP API (v2) and Function URLs.
//!
//! The payload is the body by its content type, merged with the query string parameters when
//! both are objects. The view templates see is that payload, with the request (method, path,
//! headers, query strings, ...) added under `/http` (see [`request`]).

mod request;

use bytes::Bytes;
use serde_json::{Value, json};

use super::media::Media;
use super::{Payload, Record, RecordInput, RecordMeta, str_at};
use crate::encoding::from_base64;

/// Which API Gateway payload format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HttpFlavor {
    V1,
    V2,
}

pub(crate) fn flavor(event: &Value) -> Option<HttpFlavor> {
    let context = event.get("requestContext")?;
    if event.get("httpMethod").is_some() {
        Some(HttpFlavor::V1)
    } else if str_at(event, "/version") == Some("2.0") && context.get("http").is_some() {
        Some(HttpFlavor::V2)
    } else {
        None
    }
}

fn header<'a>(event: &'a Value, name: &str) -> Option<&'a str> {
    event
        .get("headers")?
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str())
}

/// The request body by its content type: JSON, text or bytes; merged with the query string
/// parameters when both are objects. The view adds the request under `http` when the payload
/// is an object (its own `http` field wins: templates that address it keep working) or there
/// is none; a text, binary, array or scalar payload is its own view, as it always was.
pub(crate) fn record(event: &Value, flavor: HttpFlavor) -> Record {
    let id = str_at(event, "/requestContext/requestId")
        .unwrap_or("http-request")
        .to_owned();
    let input = body(event).map(|payload| {
        // Only an object has room for the request: a JSON object body, or none.
        let body = match &payload {
            Payload::Json(body @ (Value::Object(_) | Value::Null)) => Some(body.clone()),
            _ => None,
        };
        let query = event
            .get("queryStringParameters")
            .and_then(Value::as_object)
            .filter(|q| !q.is_empty());
        let payload = match (payload, query) {
            (Payload::Json(Value::Object(mut body)), Some(query)) => {
                for (k, v) in query {
                    body.entry(k.clone()).or_insert_with(|| v.clone());
                }
                Payload::Json(Value::Object(body))
            }
            (Payload::Json(Value::Null), Some(query)) => {
                Payload::Json(Value::Object(query.clone()))
            }
            (payload, _) => payload,
        };
        let view = match (payload.to_json(), body) {
            (Value::Object(mut fields), Some(body)) => {
                fields
                    .entry("http")
                    .or_insert_with(|| request::view(event, flavor, body));
                Value::Object(fields)
            }
            (Value::Null, Some(body)) => json!({"http": request::view(event, flavor, body)}),
            (other, _) => other,
        };
        RecordInput { view, payload }
    });
    Record {
        id,
        group: None,
        input,
        meta: RecordMeta::default(),
    }
}

fn body(event: &Value) -> Result<Payload, String> {
    let text = match event.get("body") {
        None | Some(Value::Null) => return Ok(Payload::Json(Value::Null)),
        Some(Value::String(s)) => s,
        Some(other) => return Ok(Payload::Json(other.clone())),
    };
    let bytes = if event.get("isBase64Encoded").and_then(Value::as_bool) == Some(true) {
        Bytes::from(
            from_base64(text)
                .map_err(|e| format!("the request body is marked base64 but is not: {e}"))?,
        )
    } else {
        Bytes::from(text.clone())
    };
    if bytes.is_empty() {
        return Ok(Payload::Json(Value::Null));
    }
    match header(event, "content-type").and_then(Media::of) {
        Some(Media::Json) => serde_json::from_slice(&bytes)
            .map(Payload::Json)
            .map_err(|e| format!("the request body is not valid JSON: {e}")),
        Some(Media::Text) => String::from_utf8(bytes.to_vec())
            .map(Payload::Text)
            .map_err(|_| "the text body is not UTF-8".to_owned()),
        None => Ok(Payload::sniff(bytes)),
        Some(Media::Binary) => Ok(Payload::Binary(bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{Source, recognise, tests::fixture};
    use serde_json::json;

    #[test]
    fn bodies_merge_with_query_parameters() {
        let inv = recognise(fixture("apigw-http.json"));
        assert_eq!(inv.source, Source::HttpV2);
        let input = inv.records[0].input.as_ref().unwrap();
        assert_eq!(
            input.payload,
            Payload::Json(json!({"name": "ada", "width": "200"}))
        );
        let inv = recognise(fixture("apigw-rest.json"));
        let input = inv.records[0].input.as_ref().unwrap();
        assert_eq!(
            input.payload,
            Payload::Json(json!({"message": "hi", "lang": "en"}))
        );
    }

    #[test]
    fn base64_and_text_and_binary_bodies() {
        let inv = recognise(fixture("function-url.json"));
        assert_eq!(
            inv.records[0].input.as_ref().unwrap().payload,
            Payload::Binary(Bytes::from_static(&[0x89, b'P', b'N', b'G']))
        );
        let mut text = fixture("apigw-http.json");
        text["headers"] = json!({"Content-Type": "text/plain"});
        text["body"] = json!("just text");
        text["queryStringParameters"] = Value::Null;
        assert_eq!(
            recognise(text).records[0].input.as_ref().unwrap().payload,
            Payload::Text("just text".into())
        );
        let mut bad = fixture("apigw-http.json");
        bad["body"] = json!("{not json");
        assert!(
            recognise(bad).records[0]
                .input
                .as_ref()
                .unwrap_err()
                .contains("not valid JSON")
        );
        let mut only_query = fixture("apigw-rest.json");
        only_query["body"] = Value::Null;
        assert_eq!(only_query_payload(only_query), json!({"lang": "en"}));
    }

    fn only_query_payload(event: Value) -> Value {
        recognise(event).records[0]
            .input
            .as_ref()
            .unwrap()
            .payload
            .to_json()
    }

    fn view_of(event: Value) -> Value {
        recognise(event).records[0]
            .input
            .as_ref()
            .unwrap()
            .view
            .clone()
    }

    #[test]
    fn templates_see_the_request_under_http_and_the_payload_at_the_top() {
        let view = view_of(fixture("apigw-rest.json"));
        // Today's templates address the payload's fields at the top: they still do.
        assert_eq!(view["message"], "hi");
        assert_eq!(view["lang"], "en");
        let http = &view["http"];
        assert_eq!(http["method"], "POST");
        assert_eq!(http["stage"], "prod");
        assert!(http["request_id"].is_string() && http["path"].is_string());
        assert_eq!(http["body"], json!({"message": "hi"}));

        let v1 = view_of(fixture("apigw-rest-multi.json"));
        let http = &v1["http"];
        assert_eq!(http["path"], "/users/42/photos");
        assert_eq!(http["route"], "/users/{id}/photos");
        assert_eq!(http["path_parameters"], json!({"id": "42"}));
        assert_eq!(http["query"]["tag"], "b");
        assert_eq!(http["multi_query"]["tag"], json!(["a", "b"]));
        assert_eq!(http["multi_query"]["size"], json!(["large"]));
        assert_eq!(http["headers"]["accept"], "image/png,image/webp");
        assert_eq!(http["headers"]["user-agent"], "curl/8");
        assert_eq!(http["source_ip"], "203.0.113.7");
        assert_eq!(http["request_id"], "req-rest-multi");

        let v2 = view_of(fixture("apigw-http-multi.json"));
        let http = &v2["http"];
        assert_eq!(http["method"], "GET");
        assert_eq!(http["path"], "/users/42/photos");
        assert_eq!(http["route"], "GET /users/{id}/photos");
        assert_eq!(http["path_parameters"]["id"], "42");
        assert_eq!(http["query"]["tag"], "a,b");
        assert_eq!(http["multi_query"]["tag"], json!(["a", "b"]));
        assert_eq!(http["stage"], "$default");
        // Without a body the payload is the query, as before: its fields stay at the top.
        assert_eq!(v2["tag"], "a,b");
        assert_eq!(v2.as_object().unwrap().len(), 2, "{v2}");
        // With neither, the view is the request alone (the payload stays null).
        let mut bare = fixture("apigw-http-multi.json");
        bare["queryStringParameters"] = Value::Null;
        let inv = recognise(bare);
        let input = inv.records[0].input.as_ref().unwrap();
        assert_eq!(input.payload, Payload::Json(Value::Null));
        assert_eq!(input.view.as_object().unwrap().len(), 1);
        assert_eq!(input.view["http"]["path_parameters"]["id"], "42");
    }

    #[test]
    fn credentials_and_cookies_never_reach_the_view() {
        for name in ["apigw-rest-multi.json", "apigw-http-multi.json"] {
            let event = fixture(name);
            let view = view_of(event.clone());
            let headers = view["http"]["headers"].as_object().unwrap();
            for hidden in [
                "authorization",
                "proxy-authorization",
                "cookie",
                "set-cookie",
                "x-api-key",
            ] {
                assert!(!headers.contains_key(hidden), "{name}: {hidden}");
            }
            assert!(
                headers.keys().all(|k| *k == k.to_ascii_lowercase()),
                "{name}"
            );
            let text = view.to_string();
            for secret in ["Bearer", "session=", "api-key-value"] {
                assert!(!text.contains(secret), "{name}: {secret} in {text}");
            }
            // The payload sent without a template holds none of it either.
            let payload = recognise(event).records[0]
                .input
                .as_ref()
                .unwrap()
                .payload
                .to_json();
            assert!(payload.get("http").is_none(), "{name}");
        }
    }

    #[test]
    fn a_body_field_named_http_and_non_object_payloads_keep_their_view() {
        let mut own = fixture("apigw-http.json");
        own["body"] = json!(r#"{"http": "mine"}"#);
        assert_eq!(view_of(own)["http"], "mine");
        let mut text = fixture("apigw-http.json");
        text["headers"] = json!({"content-type": "text/plain"});
        text["body"] = json!("just text");
        assert_eq!(view_of(text), json!("just text"));
        let binary = view_of(fixture("function-url.json"));
        assert!(binary.is_string(), "{binary}");
    }
}
