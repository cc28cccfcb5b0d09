//! The Algorithmia API v1 wire protocol: envelopes, limits and header names.
//!
//! This module is the one definition of the protocol's shapes. The client decodes with it, and
//! `algorithmia-local` encodes with it, so the two cannot drift apart. Everything here is plain
//! data with `serde` derives; nothing performs I/O.
//!
//! ```
//! use algorithmia_client::wire::{ErrorBody, ErrorEnvelope};
//!
//! let body = r#"{"error":{"message":"boom","error_type":"InputError"},"metadata":{"duration":0.1}}"#;
//! let env: ErrorEnvelope = serde_json::from_str(body)?;
//! assert_eq!(env.error.message, "boom");
//! assert_eq!(env.error.error_type.as_deref(), Some("InputError"));
//! # Ok::<(), serde_json::Error>(())
//! ```

mod lenient;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub(crate) use lenient::{json_object, lenient_error, lenient_request_id};

/// Default API host when none is configured.
pub const DEFAULT_API_BASE: &str = "https://api.algorithmia.com";
/// Largest request body the API accepts for an algorithm call: 10 MiB.
pub const MAX_INPUT_BYTES: usize = 10 * 1024 * 1024;
/// Server-side algorithm timeout when the caller sends none, in seconds.
pub const DEFAULT_ALGO_TIMEOUT_SECS: u64 = 300;
/// Largest `timeout` query value the API accepts, in seconds.
pub const MAX_ALGO_TIMEOUT_SECS: u64 = 3000;
/// Most entries in one page of a directory listing.
pub const DEFAULT_PAGE_SIZE: usize = 1000;

/// Response header that says whether a data path is a `file` or a `directory`.
pub const HEADER_DATA_TYPE: &str = "x-data-type";
/// Response header that carries an error's text where there is no body (HEAD).
pub const HEADER_ERROR_MESSAGE: &str = "x-error-message";
/// Request header naming an algorithm call, the same on every attempt; the server answers with
/// it as the call's request id.
pub const HEADER_REQUEST_ID: &str = "x-request-id";

/// Request content type for JSON input.
pub const CONTENT_TYPE_JSON: &str = "application/json";
/// Request content type for text input (what every official client sends).
pub const CONTENT_TYPE_TEXT: &str = "text/plain";
/// The documented, alternative spelling of the text content type.
pub const CONTENT_TYPE_TEXT_ALT: &str = "application/text";
/// Request content type for binary input.
pub const CONTENT_TYPE_BINARY: &str = "application/octet-stream";

/// `metadata.content_type` of a result: what the algorithm returned.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ContentType {
    /// A UTF-8 string, sent as a JSON string.
    Text,
    /// Any JSON value.
    Json,
    /// Bytes, sent as a standard base64 string.
    Binary,
    /// Nothing; `result` is `null`.
    Void,
    /// A value this crate does not know, kept as received.
    Other(String),
}

impl ContentType {
    /// The wire spelling.
    pub fn as_str(&self) -> &str {
        match self {
            ContentType::Text => "text",
            ContentType::Json => "json",
            ContentType::Binary => "binary",
            ContentType::Void => "void",
            ContentType::Other(s) => s,
        }
    }
}

impl From<&str> for ContentType {
    fn from(s: &str) -> Self {
        match s {
            "text" => ContentType::Text,
            "json" => ContentType::Json,
            "binary" => ContentType::Binary,
            "void" => ContentType::Void,
            other => ContentType::Other(other.to_owned()),
        }
    }
}

impl Serialize for ContentType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ContentType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Ok(ContentType::from(s.as_ref()))
    }
}

/// The `metadata` object of an algorithm response, on success and on error.
///
/// Decoded field by field and leniently: a known field of an unexpected type (`"alerts": null`, a
/// numeric `request_id`) is converted where the meaning is plain, and otherwise kept in
/// [`Metadata::extra`] as received, so one odd field never fails a whole response.
///
/// ```
/// use algorithmia_client::wire::Metadata;
///
/// let m: Metadata = serde_json::from_str(r#"{"alerts":null,"request_id":42,"duration":"x"}"#)?;
/// assert!(m.alerts.is_empty());
/// assert_eq!(m.request_id.as_deref(), Some("42"));
/// assert_eq!(m.duration, None);
/// assert_eq!(m.extra["duration"], "x");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Metadata {
    /// What the algorithm returned. Present on success, often absent on error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<ContentType>,
    /// How long the call ran, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<f64>,
    /// The algorithm's standard output, when `stdout=true` was asked for by its owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdout: Option<String>,
    /// API alerts, such as a low-balance warning.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<String>,
    /// The request id (`req-<uuid>`). The API has been seen to send it here or at the top level;
    /// the client fills it from either place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Every other field, and known fields of an unexpected type, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The body of an `error` object, on algorithm, data and management routes alike.
///
/// Decoded leniently, like [`Metadata`]: a numeric `code` sent as a string, a stack trace sent as
/// a list of lines, or a message that is not a string still give a usable error.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ErrorBody {
    /// What went wrong. Always present on the wire; empty if a server left it out.
    #[serde(default)]
    pub message: String,
    /// The error class, such as `InputError` or `AlgorithmError`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    /// The algorithm's stack trace, when the caller may see the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stacktrace: Option<String>,
    /// Numeric error code of management and platform errors (e.g. 2002 unknown API key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    /// Error instance id of management errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Every other field (for example `deleted` on a partial delete), kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ErrorBody {
    /// An error body with just a message.
    pub fn new(message: impl Into<String>) -> Self {
        ErrorBody {
            message: message.into(),
            ..ErrorBody::default()
        }
    }

    /// The same body with an `error_type`.
    pub fn with_type(mut self, error_type: impl Into<String>) -> Self {
        self.error_type = Some(error_type.into());
        self
    }
}

/// `{"error": {...}, "metadata": {...}}`: an error response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    /// The error. Accepted as an object or, as some servers send it, a bare message string.
    #[serde(deserialize_with = "lenient::error_body")]
    pub error: ErrorBody,
    /// Present when the error came from running an algorithm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

/// `{"result": ..., "metadata": {...}}`: a successful algorithm call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuccessEnvelope {
    /// The result: a JSON string for text, a base64 string for binary, `null` for void.
    #[serde(default)]
    pub result: Value,
    /// Metadata; `content_type` and `duration` are always sent by the API.
    pub metadata: Metadata,
    /// The request id, where the API puts it at the top level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// `{"async": "void", "request_id": "req-..."}`: the answer to an `output=void` call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AsyncEnvelope {
    /// The protocol: the string `"void"` in practice; a boolean in the OpenAPI spec.
    #[serde(rename = "async")]
    pub async_protocol: AsyncProtocol,
    /// The id of the request that was started.
    pub request_id: String,
}

/// The `async` field of a void response, which sources give as a string or a boolean.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AsyncProtocol {
    /// The string form, `"void"`.
    Name(String),
    /// The boolean form.
    Flag(bool),
}

/// The Data API's directory listing page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DirListing {
    /// Sub-directories on this page.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub folders: Vec<FolderEntry>,
    /// Files on this page.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileEntry>,
    /// Where the next page starts; absent (never empty) on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
    /// The directory's ACL, sent when `?acl=true` was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acl: Option<AclWire>,
}

/// A folder in a listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FolderEntry {
    /// The folder's name.
    pub name: String,
}

/// A file in a listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    /// The file's name.
    pub filename: String,
    /// Last modification, formatted `YYYY-MM-DDTHH:MM:SS.000Z`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// Size in bytes.
    #[serde(default)]
    pub size: u64,
}

/// An ACL as the Data API sends it: `{"read": ["user://*"]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AclWire {
    /// Who may read; clients read the first element only.
    #[serde(default)]
    pub read: Vec<String>,
}

/// The answer to a data DELETE: `{"result": {"deleted": N}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deleted {
    /// How many files were removed.
    pub deleted: u64,
}

/// `{"result": T}`: the Data API's success wrapper.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultEnvelope<T> {
    /// The payload.
    pub result: T,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_keeps_unknown_fields_and_round_trips() {
        let json = r#"{"content_type":"json","duration":0.5,"billing":{"x":1}}"#;
        let m: Metadata = serde_json::from_str(json).unwrap();
        assert_eq!(m.content_type, Some(ContentType::Json));
        assert_eq!(m.extra["billing"]["x"], 1);
        let back = serde_json::to_value(&m).unwrap();
        assert_eq!(back["billing"]["x"], 1);
        assert_eq!(back["content_type"], "json");
    }

    #[test]
    fn async_protocol_accepts_string_and_bool() {
        let a: AsyncEnvelope =
            serde_json::from_str(r#"{"async":"void","request_id":"r"}"#).unwrap();
        assert_eq!(a.async_protocol, AsyncProtocol::Name("void".into()));
        let b: AsyncEnvelope = serde_json::from_str(r#"{"async":true,"request_id":"r"}"#).unwrap();
        assert_eq!(b.async_protocol, AsyncProtocol::Flag(true));
    }

    #[test]
    fn error_may_be_a_string() {
        let e: ErrorEnvelope = serde_json::from_str(r#"{"error":"No such algorithm"}"#).unwrap();
        assert_eq!(e.error.message, "No such algorithm");
    }

    #[test]
    fn listing_omits_empty_parts() {
        let s = serde_json::to_string(&DirListing::default()).unwrap();
        assert_eq!(s, "{}");
    }
}
