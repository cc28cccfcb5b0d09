//! Declared media types: how a `Content-Type` header, or a message attribute that names one,
//! decides what a body is.

use bytes::Bytes;
use serde_json::Value;

use super::Payload;
use crate::encoding::from_base64;

/// What a declared media type says a body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Media {
    /// `application/json` and `*+json`.
    Json,
    /// `text/*`.
    Text,
    /// Anything else (`application/octet-stream`, `image/png`, ...).
    Binary,
}

impl Media {
    /// The media type a `Content-Type` value names (its parameters ignored); none when empty.
    pub(crate) fn of(content_type: &str) -> Option<Media> {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        Some(match essence.as_str() {
            "" => return None,
            m if m == "application/json" || m.ends_with("+json") => Media::Json,
            m if m.starts_with("text/") => Media::Text,
            _ => Media::Binary,
        })
    }
}

/// Whether a message attribute's name says it holds the body's content type.
pub(crate) fn is_content_type(name: &str) -> bool {
    name.chars()
        .filter(|c| !matches!(c, '-' | '_'))
        .map(|c| c.to_ascii_lowercase())
        .eq("contenttype".chars())
}

/// The payload of a message body that is text (SQS, SNS) whose media type a message attribute
/// declares: JSON is parsed, text stays text (so `42` or `true` sent as text stay text), and
/// anything else is base64 text for the bytes (a queue or a topic carries only text). `what`
/// names the record kind and the attribute for the error.
pub(crate) fn declared_text(
    text: String,
    media: Media,
    content_type: &str,
    what: &str,
) -> Result<Payload, String> {
    match media {
        Media::Json => serde_json::from_str::<Value>(&text)
            .map(Payload::Json)
            .map_err(|e| {
                super::clip(format!(
                    "malformed {what}: its content type is {content_type:?}, but the body is not JSON: {e}"
                ))
            }),
        Media::Text => Ok(Payload::Text(text)),
        Media::Binary => from_base64(text.trim())
            .map(|bytes| Payload::Binary(Bytes::from(bytes)))
            .map_err(|e| {
                super::clip(format!(
                    "malformed {what}: its content type is {content_type:?}, a binary type, but the body is not base64: {e}"
                ))
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_content_type_is_clipped_in_the_message() {
        let content_type = "application/x-".repeat(1000);
        for media in [Media::Binary, Media::Json] {
            let err = declared_text(
                "not base64 or JSON!".into(),
                media,
                &content_type,
                "SQS record",
            )
            .unwrap_err();
            assert!(err.len() < 1024, "{} bytes", err.len());
            assert!(
                err.starts_with("malformed SQS record: its content type is"),
                "{err}"
            );
        }
    }

    #[test]
    fn media_types_by_their_essence() {
        for (ct, want) in [
            ("application/json", Some(Media::Json)),
            ("Application/JSON; charset=utf-8", Some(Media::Json)),
            ("application/cloudevents+json", Some(Media::Json)),
            ("text/plain", Some(Media::Text)),
            ("text/csv;header=present", Some(Media::Text)),
            ("application/octet-stream", Some(Media::Binary)),
            ("image/png", Some(Media::Binary)),
            ("", None),
            ("  ; charset=utf-8", None),
        ] {
            assert_eq!(Media::of(ct), want, "{ct}");
        }
    }

    #[test]
    fn declared_text_bodies() {
        let text = |s: &str, m| declared_text(s.into(), m, "x", "SQS record");
        assert_eq!(text("42", Media::Text), Ok(Payload::Text("42".into())));
        assert_eq!(text("42", Media::Json), Ok(Payload::Json(42.into())));
        assert_eq!(
            text("aGk=", Media::Binary),
            Ok(Payload::Binary(Bytes::from_static(b"hi")))
        );
        let err = text("{nope", Media::Json).unwrap_err();
        assert!(
            err.starts_with("malformed SQS record") && err.contains("not JSON"),
            "{err}"
        );
        let err = text("not base64!", Media::Binary).unwrap_err();
        assert!(err.contains("not base64"), "{err}");
    }
}
