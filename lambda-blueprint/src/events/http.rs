//! API Gateway REST (v1), HTTP API (v2) and Function URLs.

use bytes::Bytes;
use serde_json::Value;

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
/// parameters when both are objects.
pub(crate) fn record(event: &Value) -> Record {
    let id = str_at(event, "/requestContext/requestId")
        .unwrap_or("http-request")
        .to_owned();
    let input = body(event).map(|payload| {
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
        RecordInput {
            view: payload.to_json(),
            payload,
        }
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
    let media = header(event, "content-type")
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if bytes.is_empty() {
        return Ok(Payload::Json(Value::Null));
    }
    match media.as_str() {
        m if m == "application/json" || m.ends_with("+json") => serde_json::from_slice(&bytes)
            .map(Payload::Json)
            .map_err(|e| format!("the request body is not valid JSON: {e}")),
        m if m.starts_with("text/") => String::from_utf8(bytes.to_vec())
            .map(Payload::Text)
            .map_err(|_| "the text body is not UTF-8".to_owned()),
        "" => Ok(Payload::sniff(bytes)),
        _ => Ok(Payload::Binary(bytes)),
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
}
