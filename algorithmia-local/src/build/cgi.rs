//! `git http-backend` as a CGI program: the request body streamed to its stdin, its output
//! parsed into a status, headers and a body, with a deadline and a size limit. The process is
//! killed when its response is dropped (the client went away) or the deadline passes.

use std::path::PathBuf;
use std::pin::Pin;
use std::process::Stdio;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdout};
use tokio::time::{Instant, Sleep};
use tokio_util::io::ReaderStream;

use super::git::GitEnv;

/// The CGI request: everything `git http-backend` reads from its environment.
#[derive(Debug)]
pub(crate) struct CgiRequest {
    pub(crate) project_root: PathBuf,
    pub(crate) path_info: String,
    pub(crate) method: String,
    pub(crate) query: String,
    pub(crate) content_type: Option<String>,
    pub(crate) content_length: Option<u64>,
    pub(crate) content_encoding: Option<String>,
    pub(crate) git_protocol: Option<String>,
    pub(crate) remote_user: String,
}

/// Why the backend could not answer.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CgiError {
    #[error("could not start git http-backend: {0}")]
    Start(std::io::Error),
    #[error("git http-backend took longer than {0:?}")]
    TimedOut(Duration),
    #[error("the request body is larger than {0} bytes")]
    TooLarge(u64),
    #[error("git http-backend wrote a malformed response: {0}")]
    Malformed(String),
}

/// How the upload of the request body ended.
#[derive(Debug)]
enum Upload {
    Done,
    TooLarge,
    ClientGone,
    ProcessGone,
}

/// A running backend whose headers have been read.
pub(crate) struct CgiResponse {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    stdout: BufReader<ChildStdout>,
    child: Child,
    upload: tokio::task::JoinHandle<Upload>,
    deadline: Instant,
    limit: u64,
}

const MAX_HEADERS: usize = 64 * 1024;

/// Start the backend for `request`, feed it `body`, and read its CGI headers.
pub(crate) async fn start(
    git: &GitEnv,
    request: CgiRequest,
    body: Body,
    limit: u64,
    timeout: Duration,
) -> Result<CgiResponse, CgiError> {
    let deadline = Instant::now() + timeout;
    if request.content_length.is_some_and(|n| n > limit) {
        return Err(CgiError::TooLarge(limit));
    }
    let mut command = git.command("git");
    command
        .arg("http-backend")
        .env("GIT_PROJECT_ROOT", &request.project_root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("PATH_INFO", &request.path_info)
        .env("REQUEST_METHOD", &request.method)
        .env("QUERY_STRING", &request.query)
        .env("REMOTE_USER", &request.remote_user)
        .env("REMOTE_ADDR", "127.0.0.1")
        .env("SERVER_PROTOCOL", "HTTP/1.1")
        .env("GATEWAY_INTERFACE", "CGI/1.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in [
        ("CONTENT_TYPE", request.content_type.clone()),
        (
            "CONTENT_LENGTH",
            request.content_length.map(|n| n.to_string()),
        ),
        ("HTTP_CONTENT_ENCODING", request.content_encoding.clone()),
        ("GIT_PROTOCOL", request.git_protocol.clone()),
    ] {
        if let Some(value) = value {
            command.env(name, value);
        }
    }
    let mut child = command.spawn().map_err(CgiError::Start)?;
    let (Some(mut stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(CgiError::Start(std::io::Error::other("no pipes")));
    };
    let path = request.path_info.clone();
    tokio::spawn(async move {
        let mut lines = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            tracing::warn!(%path, "git http-backend: {line}");
        }
    });
    let upload = tokio::spawn(async move {
        let mut chunks = body.into_data_stream();
        let mut total = 0u64;
        while let Some(chunk) = chunks.next().await {
            let Ok(chunk) = chunk else {
                return Upload::ClientGone;
            };
            total += chunk.len() as u64;
            if total > limit {
                return Upload::TooLarge;
            }
            if stdin.write_all(&chunk).await.is_err() {
                return Upload::ProcessGone;
            }
        }
        Upload::Done
    });
    let mut stdout = BufReader::new(stdout);
    let headers = tokio::time::timeout_at(deadline, read_headers(&mut stdout)).await;
    let (status, headers) = match headers {
        Ok(Ok(parsed)) => parsed,
        Ok(Err(e)) => {
            if matches!(upload.await, Ok(Upload::TooLarge)) {
                return Err(CgiError::TooLarge(limit));
            }
            return Err(e);
        }
        Err(_) => return Err(CgiError::TimedOut(timeout)),
    };
    Ok(CgiResponse {
        status,
        headers,
        stdout,
        child,
        upload,
        deadline,
        limit,
    })
}

async fn read_headers(
    stdout: &mut BufReader<ChildStdout>,
) -> Result<(StatusCode, HeaderMap), CgiError> {
    let mut status = StatusCode::OK;
    let mut headers = HeaderMap::new();
    let mut read = 0;
    loop {
        let mut line = Vec::new();
        let n = stdout
            .read_until(b'\n', &mut line)
            .await
            .map_err(|e| CgiError::Malformed(e.to_string()))?;
        read += n;
        if n == 0 || read > MAX_HEADERS {
            return Err(CgiError::Malformed("no end of headers".into()));
        }
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            return Ok((status, headers));
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(CgiError::Malformed(format!("header line {line:?}")));
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            let code = value.split_whitespace().next().unwrap_or_default();
            status = code
                .parse::<u16>()
                .ok()
                .and_then(|c| StatusCode::from_u16(c).ok())
                .ok_or_else(|| CgiError::Malformed(format!("status {value:?}")))?;
        } else if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.trim().as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.append(name, value);
        }
    }
}

impl CgiResponse {
    /// Read the whole body (at most `max` bytes) and wait for the process to exit.
    pub(crate) async fn collect(mut self, max: usize) -> Result<Bytes, CgiError> {
        let timeout = self.deadline.saturating_duration_since(Instant::now());
        let finished = tokio::time::timeout_at(self.deadline, async {
            let mut body = Vec::new();
            (&mut self.stdout)
                .take(max as u64 + 1)
                .read_to_end(&mut body)
                .await
                .map_err(|e| CgiError::Malformed(e.to_string()))?;
            if body.len() > max {
                return Err(CgiError::Malformed(format!("a body over {max} bytes")));
            }
            let _ = self.child.wait().await;
            Ok(body)
        })
        .await;
        let body = finished.map_err(|_| CgiError::TimedOut(timeout))??;
        match (&mut self.upload).await {
            Ok(Upload::TooLarge) => Err(CgiError::TooLarge(self.limit)),
            Ok(Upload::Done | Upload::ClientGone | Upload::ProcessGone) | Err(_) => {
                Ok(Bytes::from(body))
            }
        }
    }

    /// The body as a stream that owns the process: dropping it (the client went away) or the
    /// deadline passing kills the process.
    pub(crate) fn stream(self) -> Body {
        Body::from_stream(CgiBody {
            chunks: ReaderStream::new(self.stdout),
            _child: self.child,
            _upload: AbortOnDrop(self.upload),
            deadline: Box::pin(tokio::time::sleep_until(self.deadline)),
            expired: false,
        })
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<Upload>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

struct CgiBody {
    chunks: ReaderStream<BufReader<ChildStdout>>,
    _child: Child,
    _upload: AbortOnDrop,
    deadline: Pin<Box<Sleep>>,
    expired: bool,
}

impl Stream for CgiBody {
    type Item = std::io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.expired {
            return Poll::Ready(None);
        }
        if this.deadline.as_mut().poll(cx).is_ready() {
            this.expired = true;
            return Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "git http-backend took too long",
            ))));
        }
        this.chunks.poll_next_unpin(cx)
    }
}
