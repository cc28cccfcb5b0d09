//! The one error type of this crate.

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use url::Url;

use crate::algo_ref::AlgoRefError;
use crate::data_uri::DataUriError;
use crate::wire::{self, ErrorEnvelope};

mod detail;

pub use detail::{AlgorithmError, ApiError, DecodeError, TransportError, TransportKind};

/// A boxed error from a lower layer (HTTP stack, JSON, I/O), kept as a `source` so that other
/// crates' types never appear in this crate's public API.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong when talking to the API.
///
/// Match on the variant to tell an algorithm's own failure from the platform refusing the call,
/// a network problem, or a mistake caught before sending. Every variant's `Display` says what was
/// attempted, on what, and what came back; none of them contains the API key.
///
/// ```
/// use algorithmia_client::{Client, Error};
///
/// # async fn run(client: Client) {
/// match client.algo("demo/Hello").pipe("world").await {
///     Ok(response) => println!("{}", response.as_text().unwrap_or_default()),
///     Err(Error::Algorithm(e)) => eprintln!("the algorithm failed: {} ({:?})", e.message, e.error_type),
///     Err(e) if e.is_timeout() => eprintln!("gave up waiting: {e}"),
///     Err(e) => eprintln!("{e}"),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The algorithm ran and raised an error.
    #[error(transparent)]
    Algorithm(Box<AlgorithmError>),
    /// The API refused or failed the request (an HTTP error status).
    #[error(transparent)]
    Api(Box<ApiError>),
    /// The request did not complete: connect failure, timeout, broken connection.
    #[error(transparent)]
    Transport(Box<TransportError>),
    /// A response arrived but its body was not what the API sends.
    #[error(transparent)]
    Decode(Box<DecodeError>),
    /// The algorithm reference does not parse.
    #[error(transparent)]
    InvalidAlgoRef(#[from] AlgoRefError),
    /// A setting of the client or of a call is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The input is larger than the API accepts; nothing was sent.
    #[error("input of {size} bytes is larger than the limit of {limit} bytes; nothing was sent")]
    InputTooLarge {
        /// Size of the encoded input.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// A local file could not be read or written.
    #[error("could not read or write {path}")]
    Io {
        /// The local path.
        path: String,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// A data URI does not parse.
    #[error(transparent)]
    InvalidDataUri(#[from] DataUriError),
    /// A data path is a directory where a file was expected, or the other way round.
    #[error("{uri} is a {found}, not a {expected}")]
    WrongType {
        /// The URI.
        uri: String,
        /// What the operation needs: `file` or `directory`.
        expected: &'static str,
        /// What the server says it is.
        found: String,
    },
    /// The input could not be serialised to JSON; nothing was sent.
    #[error("could not serialise the input as JSON")]
    Serialize {
        /// What serde reported.
        #[source]
        source: BoxError,
    },
    /// A forced directory delete removed some files and then failed: the API answered
    /// `{"error": {"deleted": N}}`.
    #[error("deleting {uri} stopped after {deleted} files: {message}")]
    PartialDelete {
        /// The directory.
        uri: String,
        /// How many files were removed before it stopped.
        deleted: u64,
        /// The API's message, or a description when it sent none.
        message: String,
    },
    /// The path exists neither as the API answered for it nor in its parent's listing.
    #[error("{uri} was not found")]
    NotFound {
        /// The data URI.
        uri: String,
    },
    /// More insights than one report may carry; nothing was sent.
    #[error("{count} insights in one report, more than the limit of {limit}; nothing was sent")]
    TooManyInsights {
        /// How many were given.
        count: usize,
        /// The API's limit.
        limit: usize,
    },
    /// A build was still not finished when the wait's timeout passed.
    #[error(
        "build {build_id} of {algorithm} was still {last_status} after {waited:?}; it may still finish"
    )]
    BuildTimeout {
        /// The algorithm.
        algorithm: String,
        /// The build.
        build_id: String,
        /// How long was waited.
        waited: std::time::Duration,
        /// The last status seen.
        last_status: String,
    },
    /// An archive (an environment template) holds an entry that would be unsafe to unpack, or
    /// is not a readable archive.
    #[error("refused to unpack {entry}: {reason}")]
    UnsafeArchive {
        /// The entry's path as the archive names it.
        entry: String,
        /// Why it was refused.
        reason: String,
    },
    /// Setting a secret needs a secret provider, and the API lists none.
    #[error("the API lists no secret provider at {path}; an administrator must configure one")]
    NoSecretProvider {
        /// The path that was asked.
        path: String,
    },
}

/// Shorthand for `Result<T, algorithmia_client::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The HTTP status of the response, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Algorithm(e) => Some(e.status),
            Error::Api(e) => Some(e.status),
            Error::Decode(e) => e.status,
            _ => None,
        }
    }

    /// Whether the request timed out on the client side, or the algorithm hit its server-side
    /// timeout (`error_type` `TimeoutError`).
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Transport(e) => e.kind == TransportKind::Timeout,
            Error::Algorithm(e) => e.error_type.as_deref() == Some("TimeoutError"),
            _ => false,
        }
    }

    /// Whether the connection could not be established (nothing reached the server).
    pub fn is_connect(&self) -> bool {
        matches!(self, Error::Transport(e) if e.kind == TransportKind::Connect)
    }

    /// Whether the API answered 404, or the path was found missing some other way.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. }) || self.status() == Some(404)
    }

    /// The algorithm's error, when the algorithm itself failed.
    pub fn algorithm_error(&self) -> Option<&AlgorithmError> {
        match self {
            Error::Algorithm(e) => Some(e),
            _ => None,
        }
    }

    /// The API's error, when the platform refused the request.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Error::Config(message.into())
    }

    pub(crate) fn serialize(source: impl Into<BoxError>) -> Self {
        Error::Serialize {
            source: source.into(),
        }
    }

    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    }

    /// A failure of one attempt at a request, with no request id.
    pub(crate) fn transport(
        method: &Method,
        url: &Url,
        kind: TransportKind,
        source: BoxError,
    ) -> Self {
        Error::Transport(Box::new(TransportError::new(method, url, kind, source)))
    }

    /// The HTTP stack's failure after `attempts` attempts at a request sent with `request_id`.
    pub(crate) fn transport_failure(
        method: &Method,
        url: &Url,
        error: impl crate::request::Failure,
        attempts: u32,
        request_id: Option<&HeaderValue>,
    ) -> Self {
        let mut failure = TransportError::new(method, url, error.kind(), Box::new(error));
        failure.attempts = attempts;
        failure.request_id = request_id.and_then(|v| v.to_str().ok()).map(str::to_owned);
        Error::Transport(Box::new(failure))
    }

    /// A call not (or no longer) attempted because its deadline had passed, after `attempts`
    /// attempts: a client-side timeout.
    pub(crate) fn deadline_passed(
        method: &Method,
        url: &Url,
        attempts: u32,
        request_id: Option<&HeaderValue>,
    ) -> Self {
        let mut failure = TransportError::new(
            method,
            url,
            TransportKind::Timeout,
            "the call's deadline had passed".into(),
        );
        failure.attempts = attempts;
        failure.request_id = request_id.and_then(|v| v.to_str().ok()).map(str::to_owned);
        Error::Transport(Box::new(failure))
    }

    /// A non-success answer as [`Error::Api`], its message taken from an `{"error":{...}}` body,
    /// the `X-Error-Message` header, or the status line, in that order.
    pub(crate) fn api(
        method: &Method,
        url: &Url,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Self {
        let mut error = ApiError {
            method: method.to_string(),
            path: url.path().to_owned(),
            status: status.as_u16(),
            message: String::new(),
            error_type: None,
            code: None,
            id: None,
            body_snippet: None,
        };
        if let Ok(envelope) = serde_json::from_slice::<ErrorEnvelope>(body) {
            error.message = envelope.error.message;
            error.error_type = envelope.error.error_type;
            error.code = envelope.error.code;
            error.id = envelope.error.id;
        } else if !body.is_empty() {
            error.body_snippet = Some(snippet(body, 200));
        }
        if error.message.is_empty() {
            error.message = headers
                .get(wire::HEADER_ERROR_MESSAGE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .unwrap_or_else(|| {
                    status
                        .canonical_reason()
                        .unwrap_or("unknown status")
                        .to_owned()
                });
        }
        Error::Api(Box::new(error))
    }

    /// A body that did not decode as `what`.
    pub(crate) fn decode(
        what: impl Into<String>,
        path: impl Into<String>,
        status: Option<u16>,
        snippet: String,
        source: BoxError,
    ) -> Self {
        Error::Decode(Box::new(DecodeError {
            what: what.into(),
            path: path.into(),
            status,
            snippet,
            source,
        }))
    }
}

/// The first `max` characters of a body, for error messages.
pub(crate) fn snippet(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(max * 4)]);
    let mut out: String = text.chars().take(max).collect();
    if text.chars().count() > max || body.len() > max * 4 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A snippet of any body is at most `max` characters and an ellipsis.
    #[test]
    fn snippets_are_bounded() {
        use proptest::prelude::*;
        use testkit::hostile::{bounded, config};

        bounded(std::time::Duration::from_secs(60), || {
            proptest!(config(1000), |(
                bytes in prop::collection::vec(any::<u8>(), 0..1200),
                max in 0usize..300,
            )| {
                let s = snippet(&bytes, max);
                prop_assert!(s.chars().count() <= max + 1);
            });
        });
        assert_eq!(snippet(b"abcdef", 3), "abc\u{2026}");
    }
}
