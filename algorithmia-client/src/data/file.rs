//! Files: exists, metadata, get (bytes, text, JSON, stream, reader, to a path), put, delete.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use reqwest::Method;
use reqwest::header::{CONTENT_LENGTH, LAST_MODIFIED};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::io::AsyncRead;

use super::durable::{WriteFailure, write_durably};
use super::{Deadline, UriSlot, data_type, expect_type, uri_of};
use crate::client::Client;
use crate::error::{BoxError, Error, Result, TransportKind, snippet};
use crate::request::{Body, CHUNK_BYTES, ChunkStream, RequestSpec};
use crate::retry::RetryClass;
use crate::wire;

/// What the API says about a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileMetadata {
    /// Size in bytes.
    pub size: u64,
    /// Last modification: from `Last-Modified`, else from the parent's listing; `None` when the
    /// API gives neither (never the response's `Date`).
    pub last_modified: Option<SystemTime>,
}

/// A handle to one file. Cheap to clone.
///
/// ```no_run
/// # async fn run(client: algorithmia_client::Client) -> Result<(), algorithmia_client::Error> {
/// let file = client.file("data://.my/robots/R2-D2.txt");
/// file.put_string("beep").await?;
/// assert!(file.exists().await?);
/// assert_eq!(file.get_string().await?, "beep");
/// file.download_to("/tmp/r2d2.txt").await?;   // streamed, written under a temporary name
/// file.delete().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct DataFile {
    client: Client,
    uri: UriSlot,
}

impl fmt::Debug for DataFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DataFile").field(&self.uri).finish()
    }
}

/// Why one attempt at a download failed: before the body (already retried as the policy
/// allows, or not retryable) or while it streamed (the whole download may start again).
enum Failure {
    Request(Error),
    Body(Error),
}

impl DataFile {
    pub(crate) fn new(client: Client, uri: UriSlot) -> Self {
        DataFile { client, uri }
    }

    /// The file's URI.
    pub fn uri(&self) -> Result<&super::DataUri> {
        uri_of(&self.uri)
    }

    fn request(&self, method: Method, class: RetryClass) -> Result<RequestSpec> {
        let uri = uri_of(&self.uri)?;
        Ok(RequestSpec::new(method, self.client.data_url(uri), class))
    }

    /// Whether a file is at the URI (a directory there is `false`).
    pub async fn exists(&self) -> Result<bool> {
        match self.head().await {
            Ok(headers) => Ok(data_type(&headers) != Some("directory")),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn head(&self) -> Result<reqwest::header::HeaderMap> {
        let response = self
            .client
            .data_request(
                self.request(Method::HEAD, RetryClass::Idempotent)?,
                Deadline::Data,
            )
            .await?;
        Ok(response.headers().clone())
    }

    /// Size and last modification, from HEAD. Only when HEAD gives no size is the parent's
    /// listing read for it; a file missing from that listing is [`Error::NotFound`].
    pub async fn metadata(&self) -> Result<FileMetadata> {
        let uri = uri_of(&self.uri)?;
        let headers = self.head().await?;
        expect_type(&headers, uri, "file")?;
        let size = headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let last_modified = headers
            .get(LAST_MODIFIED)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok());
        if let Some(size) = size {
            return Ok(FileMetadata {
                size,
                last_modified,
            });
        }
        if let (Some(parent), Some(name)) = (uri.parent(), uri.name()) {
            let mut entries = std::pin::pin!(self.client.dir(parent).files());
            while let Some(entry) = entries.next().await {
                let entry = entry?;
                if entry.name == name {
                    return Ok(FileMetadata {
                        size: entry.size,
                        last_modified: last_modified.or(entry.last_modified),
                    });
                }
            }
        }
        Err(Error::NotFound {
            uri: uri.to_string(),
        })
    }

    /// Open the file for streaming; fails if the URI is a directory.
    async fn open(&self) -> Result<(reqwest::Response, Method, url::Url)> {
        let spec = self.request(Method::GET, RetryClass::Idempotent)?;
        let (method, url) = (spec.method.clone(), spec.url.clone());
        // A download has no overall deadline (it may be large); chunks have an idle timeout.
        let response = self.client.data_request(spec, Deadline::Transfer).await?;
        expect_type(response.headers(), uri_of(&self.uri)?, "file")?;
        Ok((response, method, url))
    }

    /// The whole file in memory.
    ///
    /// A download that breaks off part-way (not one that times out) starts again from the
    /// beginning, as often as the retry policy allows.
    pub async fn get_bytes(&self) -> Result<Bytes> {
        self.restarting(async || {
            let mut stream = self.get_stream().await.map_err(Failure::Request)?;
            let mut all = bytes::BytesMut::new();
            while let Some(chunk) = stream.next().await {
                all.extend_from_slice(&chunk.map_err(Failure::Body)?);
            }
            Ok(all.freeze())
        })
        .await
    }

    /// Run a whole download again when its body broke off (a reset or a truncated answer, not a
    /// timeout), up to the retry policy's attempts.
    async fn restarting<T>(
        &self,
        mut run: impl AsyncFnMut() -> std::result::Result<T, Failure>,
    ) -> Result<T> {
        let policy = &self.client.inner.retry;
        let mut attempt = 1;
        loop {
            let error = match run().await {
                Ok(value) => return Ok(value),
                Err(Failure::Request(error)) => return Err(error),
                Err(Failure::Body(error)) => error,
            };
            let broke = matches!(&error, Error::Transport(t) if t.kind == TransportKind::Other);
            let delay = (broke && attempt < policy.attempts())
                .then(|| policy.delay(attempt, None))
                .flatten();
            let Some(delay) = delay else {
                return Err(match error {
                    Error::Transport(mut t) => {
                        t.attempts = attempt;
                        Error::Transport(t)
                    }
                    other => other,
                });
            };
            tracing::debug!(attempt, error = %error, "download broke off; starting again");
            attempt += 1;
            tokio::time::sleep(delay).await;
        }
    }

    /// The whole file as UTF-8 text.
    pub async fn get_string(&self) -> Result<String> {
        let bytes = self.get_bytes().await?;
        String::from_utf8(bytes.to_vec())
            .map_err(|e| self.decode_error("file as UTF-8 text", &bytes, Box::new(e)))
    }

    /// The whole file, decoded from JSON.
    pub async fn get_json<T: DeserializeOwned>(&self) -> Result<T> {
        let bytes = self.get_bytes().await?;
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(&mut de)
            .map_err(|e| self.decode_error("file as JSON", &bytes, e.to_string().into()))
    }

    fn decode_error(&self, what: &str, body: &[u8], source: BoxError) -> Error {
        let path = self
            .uri
            .as_ref()
            .as_ref()
            .map_or_else(|e| e.input.clone(), ToString::to_string);
        Error::decode(what, path, None, snippet(body, 120), source)
    }

    /// The file as a stream of chunks, never held whole in memory. A pause longer than the
    /// client's transfer idle timeout ends the stream with a timeout error.
    pub async fn get_stream(
        &self,
    ) -> Result<impl Stream<Item = Result<Bytes>> + Send + Unpin + 'static> {
        let (response, method, url) = self.open().await?;
        let idle = self.client.inner.transfer_idle_timeout;
        let chunks = response.bytes_stream();
        Ok(Box::pin(futures_util::stream::unfold(
            Some((chunks, method, url)),
            move |state| async move {
                let (mut chunks, method, url) = state?;
                match tokio::time::timeout(idle, chunks.next()).await {
                    Err(_) => Some((
                        Err(Error::transport(
                            &method,
                            &url,
                            TransportKind::Timeout,
                            format!("no data for {idle:?}").into(),
                        )),
                        None,
                    )),
                    Ok(None) => None,
                    Ok(Some(Err(e))) => {
                        let kind = TransportKind::of(&e);
                        Some((
                            Err(Error::transport(&method, &url, kind, Box::new(e))),
                            None,
                        ))
                    }
                    Ok(Some(Ok(chunk))) => Some((Ok(chunk), Some((chunks, method, url)))),
                }
            },
        )))
    }

    /// The file as an [`AsyncRead`].
    pub async fn get_reader(&self) -> Result<impl AsyncRead + Send + Unpin + 'static> {
        let stream = self.get_stream().await?;
        Ok(tokio_util::io::StreamReader::new(
            stream.map_err(std::io::Error::other),
        ))
    }

    /// Download to a local path, streamed. The data goes to a temporary file beside `path`,
    /// written by a thread of its own and flushed to disk as it arrives; the file is renamed
    /// into place only once all of it is on disk, so a failed download (or a crash) leaves no
    /// partial file at `path`. Returns the number of bytes written.
    pub async fn download_to(&self, path: impl AsRef<Path>) -> Result<u64> {
        let path = path.as_ref();
        let temp = temp_path(path);
        let result = self
            .restarting(async || {
                let stream = self.get_stream().await.map_err(Failure::Request)?;
                let written =
                    write_durably(stream, &temp)
                        .await
                        .map_err(|failure| match failure {
                            WriteFailure::Local(e) => Failure::Request(e),
                            WriteFailure::Body(e) => Failure::Body(e),
                        })?;
                tokio::fs::rename(&temp, path)
                    .await
                    .map_err(|e| Failure::Request(Error::io(path, e)))?;
                Ok(written)
            })
            .await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(&temp).await;
        }
        result
    }

    async fn put(&self, body: Body, class: RetryClass) -> Result<()> {
        let spec = self.request(Method::PUT, class)?.with_body(body);
        // Uploads may be large: no overall deadline.
        self.client
            .data_json(spec, Deadline::Transfer)
            .await
            .map(|_| ())
    }

    /// Write bytes, replacing the file. Retried where safe.
    pub async fn put_bytes(&self, contents: impl Into<Bytes>) -> Result<()> {
        self.put(
            Body::Bytes(contents.into(), wire::CONTENT_TYPE_BINARY),
            RetryClass::Idempotent,
        )
        .await
    }

    /// Write text, replacing the file.
    pub async fn put_string(&self, text: impl Into<String>) -> Result<()> {
        self.put(
            Body::Bytes(Bytes::from(text.into()), wire::CONTENT_TYPE_TEXT),
            RetryClass::Idempotent,
        )
        .await
    }

    /// Write a value as JSON, replacing the file.
    pub async fn put_json<T: Serialize + ?Sized>(&self, value: &T) -> Result<()> {
        let body = serde_json::to_vec(value).map_err(Error::serialize)?;
        self.put(
            Body::Bytes(Bytes::from(body), wire::CONTENT_TYPE_JSON),
            RetryClass::Idempotent,
        )
        .await
    }

    /// Upload a local file, streamed (never read whole into memory). Retried where safe, by
    /// reopening the file. Returns its size.
    pub async fn put_file(&self, path: impl AsRef<Path>) -> Result<u64> {
        let path = path.as_ref();
        let size = tokio::fs::metadata(path)
            .await
            .map_err(|e| Error::io(path, e))?
            .len();
        self.put(Body::File(path.to_path_buf()), RetryClass::Idempotent)
            .await?;
        Ok(size)
    }

    /// Upload from a one-shot stream of chunks. It cannot be replayed, so it is not retried.
    pub async fn put_stream<S, E>(&self, stream: S) -> Result<()>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Send + 'static,
        E: Into<BoxError> + 'static,
    {
        let chunks: ChunkStream = Box::pin(stream.map_err(Into::into));
        self.put(Body::stream(chunks), RetryClass::Idempotent).await
    }

    /// Upload from an [`AsyncRead`], streamed; not retried.
    pub async fn put_reader<R: AsyncRead + Send + 'static>(&self, reader: R) -> Result<()> {
        self.put_stream(tokio_util::io::ReaderStream::with_capacity(
            reader,
            CHUNK_BYTES,
        ))
        .await
    }

    /// Delete the file.
    pub async fn delete(&self) -> Result<()> {
        let spec = self.request(Method::DELETE, RetryClass::Idempotent)?;
        self.client
            .data_json(spec, Deadline::Data)
            .await
            .map(|_| ())
    }
}

/// A temporary name beside `path`: hidden, unique, same directory (so the rename is atomic).
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "download".into());
    path.with_file_name(format!(".{name}.part-{:016x}", fastrand::u64(..)))
}
