//! Lenient decoding of the envelope's known fields: one field of an unexpected type never hides
//! the rest of a response, and above all never hides its `error`.

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use super::{ContentType, ErrorBody, Metadata};

/// The body as a JSON object, or `None` when it is not one.
pub(crate) fn json_object(body: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

/// An `error` field as servers send it: an object in the docs, a bare string from some mocks;
/// `null` is no error.
pub(crate) fn lenient_error(value: Value) -> Option<ErrorBody> {
    match value {
        Value::Null => None,
        Value::Object(map) => Some(ErrorBody::from_map(map)),
        Value::String(message) => Some(ErrorBody::new(message)),
        other => Some(ErrorBody::new(other.to_string())),
    }
}

/// A request id sent as a string or a number.
pub(crate) fn lenient_request_id(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `error` for `#[serde(deserialize_with)]`: an object or a bare message.
pub(super) fn error_body<'de, D: Deserializer<'de>>(d: D) -> Result<ErrorBody, D::Error> {
    lenient_error(Value::deserialize(d)?).ok_or_else(|| serde::de::Error::custom("`error` is null"))
}

/// Take `key` out of `map` if `convert` accepts its value; otherwise leave it where it is.
fn take<T>(
    map: &mut Map<String, Value>,
    key: &str,
    convert: impl FnOnce(&Value) -> Option<T>,
) -> Option<T> {
    let converted = convert(map.get(key)?);
    if converted.is_some() || map.get(key).is_some_and(Value::is_null) {
        map.remove(key);
    }
    converted
}

fn string(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned)
}

impl Metadata {
    /// Metadata from a JSON object, field by field (see the type's documentation).
    pub fn from_map(mut map: Map<String, Value>) -> Metadata {
        Metadata {
            content_type: take(&mut map, "content_type", |v| {
                v.as_str().map(ContentType::from)
            }),
            duration: take(&mut map, "duration", |v| match v {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            })
            .filter(|d: &f64| d.is_finite()),
            stdout: take(&mut map, "stdout", string),
            alerts: take(&mut map, "alerts", |v| match v {
                Value::Array(items) => Some(
                    items
                        .iter()
                        .map(|item| {
                            item.as_str()
                                .map_or_else(|| item.to_string(), str::to_owned)
                        })
                        .collect(),
                ),
                Value::String(s) => Some(vec![s.clone()]),
                _ => None,
            })
            .unwrap_or_default(),
            request_id: take(&mut map, "request_id", lenient_request_id),
            extra: map,
        }
    }
}

impl<'de> Deserialize<'de> for Metadata {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Metadata::from_map(Map::deserialize(d)?))
    }
}

impl ErrorBody {
    /// An error body from a JSON object, field by field (see the type's documentation).
    pub fn from_map(mut map: Map<String, Value>) -> ErrorBody {
        ErrorBody {
            message: take(&mut map, "message", |v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Null => None,
                other => Some(other.to_string()),
            })
            .unwrap_or_default(),
            error_type: take(&mut map, "error_type", string),
            stacktrace: take(&mut map, "stacktrace", |v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Array(lines) => Some(
                    lines
                        .iter()
                        .map(|l| l.as_str().map_or_else(|| l.to_string(), str::to_owned))
                        .collect::<Vec<_>>()
                        .join("\n"),
                ),
                _ => None,
            }),
            code: take(&mut map, "code", |v| match v {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            }),
            id: take(&mut map, "id", lenient_request_id),
            extra: map,
        }
    }
}

impl<'de> Deserialize<'de> for ErrorBody {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(ErrorBody::from_map(Map::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn odd_metadata_fields_are_converted_or_kept() {
        let m: Metadata = serde_json::from_value(json!({
            "content_type": 5, "duration": "0.25", "stdout": null, "alerts": "low balance",
            "request_id": 17, "billing": {"x": 1}
        }))
        .unwrap();
        assert_eq!(m.content_type, None);
        assert_eq!(m.extra["content_type"], 5);
        assert_eq!(m.duration, Some(0.25));
        assert_eq!(m.stdout, None);
        assert!(!m.extra.contains_key("stdout"));
        assert_eq!(m.alerts, ["low balance"]);
        assert_eq!(m.request_id.as_deref(), Some("17"));
        assert_eq!(m.extra["billing"]["x"], 1);
    }

    #[test]
    fn odd_error_fields_are_converted_or_kept() {
        let e: ErrorBody = serde_json::from_value(json!({
            "message": 404, "code": "2002", "stacktrace": ["a", "b"], "id": 9, "deleted": 3
        }))
        .unwrap();
        assert_eq!(e.message, "404");
        assert_eq!(e.code, Some(2002));
        assert_eq!(e.stacktrace.as_deref(), Some("a\nb"));
        assert_eq!(e.id.as_deref(), Some("9"));
        assert_eq!(e.extra["deleted"], 3);
        assert_eq!(lenient_error(Value::Null), None);
        assert_eq!(lenient_error(json!("boom")).unwrap().message, "boom");
    }
}
