//! Why a record failed: the kinds Lambda sees, and how an SDK error becomes one.

use algorithmia_client::{Error, TransportKind};

/// Why a record failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureKind {
    /// The record could not be read, the template did not fit it, or its input could not be sent
    /// (too large, not serialisable).
    BadRecord,
    /// The algorithm rejected its input (`InputError`).
    InputError,
    /// The algorithm failed otherwise.
    Algorithm,
    /// The call timed out.
    Timeout,
    /// The API refused the key or the access (401, 403): a rotated key or a granted permission
    /// changes that, so the record is retried.
    Api,
    /// The API rejected the request (400, 404, 413, ... any 4xx but 401, 403, 408, 409, 425 and
    /// 429): sending it again as it is will not help.
    Rejected,
    /// The API could not take the call now (429 or 5xx): a later attempt may succeed.
    ApiUnavailable,
    /// The API answered, but not with anything the SDK could decode.
    BadResponse,
    /// The network failed.
    Transport,
    /// The call's settings are invalid (the algorithm reference, a timeout).
    Config,
    /// The SDK reported an error an algorithm call does not produce (local I/O, data URIs).
    Internal,
    /// Not sent: time ran short, or an earlier record of its group failed.
    NotSent,
    /// Another invocation holds the record's idempotency lock.
    InProgress,
    /// The idempotency table could not be read or written, so the record was not run.
    Idempotency,
    /// The destination did not take the record's result (or permanent failure).
    Delivery,
    /// The result can never be delivered to its destination (larger than the service takes).
    Undeliverable,
}

impl FailureKind {
    /// The `errorType` Lambda reports.
    pub fn error_type(self) -> &'static str {
        match self {
            FailureKind::BadRecord => "BadRecord",
            FailureKind::InputError => "InputError",
            FailureKind::Algorithm => "AlgorithmError",
            FailureKind::Timeout => "TimeoutError",
            FailureKind::Api => "ApiError",
            FailureKind::ApiUnavailable => "ApiUnavailable",
            FailureKind::BadResponse => "BadResponse",
            FailureKind::Transport => "TransportError",
            FailureKind::Config => "ConfigError",
            FailureKind::Internal => "InternalError",
            FailureKind::NotSent => "NotSent",
            FailureKind::Rejected => "RequestRejected",
            FailureKind::InProgress => "InProgress",
            FailureKind::Idempotency => "IdempotencyError",
            FailureKind::Delivery => "DeliveryError",
            FailureKind::Undeliverable => "Undeliverable",
        }
    }

    /// Whether sending the record again can never succeed (it cannot be read, the template does
    /// not fit it, the algorithm rejects its input, the API rejects the request, its result is
    /// too large for its destination): with a failure destination, such a record is sent there
    /// and acknowledged instead of retried.
    pub fn is_permanent(self) -> bool {
        match self {
            FailureKind::BadRecord
            | FailureKind::InputError
            | FailureKind::Rejected
            | FailureKind::Config
            | FailureKind::Undeliverable => true,
            FailureKind::Algorithm
            | FailureKind::Timeout
            | FailureKind::Api
            | FailureKind::ApiUnavailable
            | FailureKind::BadResponse
            | FailureKind::Transport
            | FailureKind::Internal
            | FailureKind::NotSent
            | FailureKind::InProgress
            | FailureKind::Idempotency
            | FailureKind::Delivery => false,
        }
    }

    /// `permanent` or `transient`, for logs, documents and metrics.
    pub fn permanence(self) -> &'static str {
        if self.is_permanent() {
            "permanent"
        } else {
            "transient"
        }
    }
}

/// A failed record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFailure {
    /// The record's identifier.
    pub id: String,
    /// What kind of failure.
    pub kind: FailureKind,
    /// What went wrong (never the key).
    pub message: String,
}

/// The kind of failure an SDK error is, one arm per kind of SDK error.
pub(crate) fn classify(error: &Error) -> FailureKind {
    match error {
        Error::Algorithm(e) => match e.error_type.as_deref() {
            Some("InputError") => FailureKind::InputError,
            Some("TimeoutError") => FailureKind::Timeout,
            _ => FailureKind::Algorithm,
        },
        Error::Api(e) if matches!(e.status, 408 | 409 | 425 | 429) || e.status >= 500 => {
            FailureKind::ApiUnavailable
        }
        Error::Api(e) if matches!(e.status, 401 | 403) => FailureKind::Api,
        Error::Api(e) if (400..500).contains(&e.status) => FailureKind::Rejected,
        Error::Api(_) => FailureKind::BadResponse,
        Error::Transport(e) => match e.kind {
            TransportKind::Timeout => FailureKind::Timeout,
            TransportKind::Connect | TransportKind::Other => FailureKind::Transport,
            // Kinds of transport failure the SDK adds later.
            _ => FailureKind::Transport,
        },
        Error::Decode(_) => FailureKind::BadResponse,
        Error::InvalidAlgoRef(_) => FailureKind::Config,
        Error::Config(_) => FailureKind::Config,
        Error::InputTooLarge { .. } => FailureKind::BadRecord,
        Error::Io { .. } => FailureKind::Internal,
        Error::InvalidDataUri(_) => FailureKind::Internal,
        Error::WrongType { .. } => FailureKind::Internal,
        Error::Serialize { .. } => FailureKind::BadRecord,
        // Kinds of error the SDK adds later.
        _ => FailureKind::Internal,
    }
}

/// What a person reading the failure needs: the SDK's message with its causes (a connection
/// refused, a JSON syntax error), or, for a refused key, what to do.
pub(crate) fn describe(error: &Error) -> String {
    match error {
        Error::Api(e) if e.status == 401 => format!(
            "the Algorithmia API refused the API key (HTTP 401): {}",
            e.message
        ),
        other => story(other),
    }
}

/// An error, then each cause that adds to it (one whose text is already told is skipped), joined
/// by `: `, the way error reporters print a chain.
pub(crate) fn story(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        let text = error.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        cause = error.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use algorithmia_client::{AlgorithmError, ApiError, Client, RetryPolicy};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    fn api(status: u16) -> Error {
        Error::Api(Box::new(ApiError {
            method: "POST".into(),
            path: "/v1/algo/util/Echo".into(),
            status,
            message: "refused".into(),
            error_type: None,
            code: None,
            id: None,
            body_snippet: None,
        }))
    }

    fn algorithm(error_type: Option<&str>) -> Error {
        Error::Algorithm(Box::new(AlgorithmError {
            algorithm: "util/Fail".into(),
            message: "no".into(),
            error_type: error_type.map(str::to_owned),
            stacktrace: None,
            metadata: None,
            status: 200,
        }))
    }

    /// The error of a real call to `base`, with nothing retried.
    async fn call_error(base: &str, timeout: Duration) -> Error {
        let client = Client::builder()
            .api_key("simTest")
            .base_url(base)
            .retry(RetryPolicy::none())
            .timeout_margin(Duration::from_millis(100))
            .build()
            .unwrap();
        client
            .algo("util/Echo")
            .timeout(timeout)
            .pipe("x")
            .await
            .unwrap_err()
    }

    /// A loopback address that answers every request with `response`, or never.
    async fn stub(response: Option<&'static str>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut request = [0u8; 8192];
                    let _ = socket.read(&mut request).await;
                    match response {
                        Some(response) => {
                            let _ = socket.write_all(response.as_bytes()).await;
                        }
                        None => tokio::time::sleep(Duration::from_secs(60)).await,
                    }
                });
            }
        });
        format!("http://{address}")
    }

    #[test]
    fn algorithm_and_api_errors_are_told_apart() {
        assert_eq!(
            classify(&algorithm(Some("InputError"))),
            FailureKind::InputError
        );
        assert_eq!(
            classify(&algorithm(Some("TimeoutError"))),
            FailureKind::Timeout
        );
        assert_eq!(classify(&algorithm(None)), FailureKind::Algorithm);
        assert_eq!(
            classify(&algorithm(Some("AlgorithmError"))),
            FailureKind::Algorithm
        );
        for status in [401, 403] {
            assert_eq!(classify(&api(status)), FailureKind::Api, "{status}");
            assert!(!classify(&api(status)).is_permanent());
        }
        for status in [400, 404, 413, 422] {
            assert_eq!(classify(&api(status)), FailureKind::Rejected, "{status}");
            assert!(classify(&api(status)).is_permanent());
        }
        for status in [408, 409, 425, 429, 500, 502, 503, 504] {
            assert_eq!(
                classify(&api(status)),
                FailureKind::ApiUnavailable,
                "{status}"
            );
        }
        assert!(
            describe(&api(401)).starts_with("the Algorithmia API refused the API key (HTTP 401)")
        );
        assert_eq!(describe(&api(403)), api(403).to_string());
    }

    #[test]
    fn mistakes_caught_before_sending_have_their_own_kinds() {
        let bad_ref = "nope".parse::<algorithmia_client::AlgoRef>().unwrap_err();
        assert_eq!(
            classify(&Error::InvalidAlgoRef(bad_ref)),
            FailureKind::Config
        );
        assert_eq!(
            classify(&Error::Config("timeout".into())),
            FailureKind::Config
        );
        assert_eq!(
            classify(&Error::InputTooLarge {
                size: 11,
                limit: 10
            }),
            FailureKind::BadRecord
        );
        assert_eq!(
            classify(&Error::Serialize {
                source: "not JSON".into()
            }),
            FailureKind::BadRecord
        );
        assert_eq!(
            classify(&Error::Io {
                path: "/tmp/x".into(),
                source: std::io::Error::other("disk")
            }),
            FailureKind::Internal
        );
        let bad_uri = "data://a/../b"
            .parse::<algorithmia_client::DataUri>()
            .unwrap_err();
        assert_eq!(
            classify(&Error::InvalidDataUri(bad_uri)),
            FailureKind::Internal
        );
        assert_eq!(
            classify(&Error::WrongType {
                uri: "data://.my/x".into(),
                expected: "file",
                found: "directory".into()
            }),
            FailureKind::Internal
        );
    }

    #[tokio::test]
    async fn transport_and_decode_errors_come_from_real_calls() {
        let closed = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}", listener.local_addr().unwrap())
        };
        let refused = call_error(&closed, Duration::from_secs(1)).await;
        assert!(refused.is_connect(), "{refused}");
        assert_eq!(classify(&refused), FailureKind::Transport);
        // The record's message tells the cause, which the SDK keeps as a source.
        let cause = std::error::Error::source(&refused).unwrap().to_string();
        assert!(
            describe(&refused).contains(&cause),
            "{}",
            describe(&refused)
        );

        let silent = stub(None).await;
        let timed_out = call_error(&silent, Duration::from_secs(1)).await;
        assert!(matches!(timed_out, Error::Transport(_)), "{timed_out}");
        assert_eq!(classify(&timed_out), FailureKind::Timeout);

        let garbled = stub(Some(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 8\r\nconnection: close\r\n\r\nnot json",
        ))
        .await;
        let undecodable = call_error(&garbled, Duration::from_secs(1)).await;
        assert!(matches!(undecodable, Error::Decode(_)), "{undecodable}");
        assert_eq!(classify(&undecodable), FailureKind::BadResponse);
        let cause = std::error::Error::source(&undecodable).unwrap().to_string();
        assert!(
            describe(&undecodable).contains(&cause),
            "{}",
            describe(&undecodable)
        );
    }
}
