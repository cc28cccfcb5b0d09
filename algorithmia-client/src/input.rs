//! Algorithm input: text, JSON or bytes, each sent with its own content type.

use bytes::Bytes;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::wire;

/// What an algorithm is called with. The variant decides the request's `Content-Type`, so text is
/// never sent as a JSON string and bytes never as an array of numbers.
///
/// `From` conversions pick the variant the way the type suggests:
///
/// ```
/// use algorithmia_client::AlgoInput;
/// use serde_json::json;
///
/// assert!(matches!(AlgoInput::from("hello"), AlgoInput::Text(_)));
/// assert!(matches!(AlgoInput::from(vec![0u8, 1, 2]), AlgoInput::Binary(_)));
/// assert!(matches!(AlgoInput::from(&b"\x89PNG"[..]), AlgoInput::Binary(_)));
/// assert!(matches!(AlgoInput::from(json!({"a": 1})), AlgoInput::Json(_)));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum AlgoInput {
    /// UTF-8 text, sent as `text/plain`.
    Text(String),
    /// A JSON value, sent as `application/json`.
    Json(Value),
    /// JSON that is already serialised, sent as `application/json` after a syntax check.
    JsonText(String),
    /// Bytes, sent as `application/octet-stream`.
    Binary(Bytes),
}

impl AlgoInput {
    /// The request body and its content type.
    pub(crate) fn encode(self) -> Result<(Bytes, &'static str)> {
        Ok(match self {
            AlgoInput::Text(s) => (Bytes::from(s), wire::CONTENT_TYPE_TEXT),
            AlgoInput::Json(v) => (
                Bytes::from(serde_json::to_vec(&v).map_err(Error::serialize)?),
                wire::CONTENT_TYPE_JSON,
            ),
            AlgoInput::JsonText(s) => {
                // A syntax error here would otherwise come back as an algorithm's parse failure.
                serde_json::from_str::<serde::de::IgnoredAny>(&s).map_err(Error::serialize)?;
                (Bytes::from(s), wire::CONTENT_TYPE_JSON)
            }
            AlgoInput::Binary(b) => (b, wire::CONTENT_TYPE_BINARY),
        })
    }
}

impl From<&str> for AlgoInput {
    fn from(s: &str) -> Self {
        AlgoInput::Text(s.to_owned())
    }
}

impl From<String> for AlgoInput {
    fn from(s: String) -> Self {
        AlgoInput::Text(s)
    }
}

impl From<&String> for AlgoInput {
    fn from(s: &String) -> Self {
        AlgoInput::Text(s.clone())
    }
}

impl From<Vec<u8>> for AlgoInput {
    fn from(b: Vec<u8>) -> Self {
        AlgoInput::Binary(Bytes::from(b))
    }
}

impl From<&[u8]> for AlgoInput {
    fn from(b: &[u8]) -> Self {
        AlgoInput::Binary(Bytes::copy_from_slice(b))
    }
}

impl<const N: usize> From<&[u8; N]> for AlgoInput {
    fn from(b: &[u8; N]) -> Self {
        AlgoInput::Binary(Bytes::copy_from_slice(b))
    }
}

impl From<Bytes> for AlgoInput {
    fn from(b: Bytes) -> Self {
        AlgoInput::Binary(b)
    }
}

impl From<Value> for AlgoInput {
    fn from(v: Value) -> Self {
        AlgoInput::Json(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        let (b, ct) = AlgoInput::from("hi").encode().unwrap();
        assert_eq!((&b[..], ct), (&b"hi"[..], "text/plain"));
        let (b, ct) = AlgoInput::from(vec![1u8, 2]).encode().unwrap();
        assert_eq!((&b[..], ct), (&[1u8, 2][..], "application/octet-stream"));
        let (b, ct) = AlgoInput::from(serde_json::json!([1, "a"]))
            .encode()
            .unwrap();
        assert_eq!((&b[..], ct), (&br#"[1,"a"]"#[..], "application/json"));
        let (b, ct) = AlgoInput::JsonText(" {\"a\": 1} ".into()).encode().unwrap();
        assert_eq!((&b[..], ct), (&b" {\"a\": 1} "[..], "application/json"));
    }

    #[test]
    fn invalid_json_text_is_a_serialize_error() {
        let err = AlgoInput::JsonText("{not json".into())
            .encode()
            .unwrap_err();
        assert!(matches!(err, Error::Serialize { .. }), "{err}");
    }
}
