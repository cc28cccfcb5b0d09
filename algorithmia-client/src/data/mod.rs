//! The Data API: files and directories on hosted data (`data://`) and connectors (`s3://`,
//! `s3+label://`, `dropbox://`, `gs://`, `azureblob://`).
//!
//! ```no_run
//! use algorithmia_client::{Client, DataAcl};
//! use futures_util::TryStreamExt;
//!
//! # async fn run(client: Client) -> Result<(), algorithmia_client::Error> {
//! let dir = client.dir("data://.my/robots");
//! if !dir.exists().await? {
//!     dir.create(DataAcl::Private).await?;
//! }
//! dir.file("R2-D2.txt").put_string("beep boop").await?;
//! let text = client.file("data://.my/robots/R2-D2.txt").get_string().await?;
//! let names: Vec<String> = dir.files().map_ok(|f| f.name).try_collect().await?;
//! # Ok(()) }
//! ```

mod acl;
mod dir;
mod durable;
mod file;
mod transfer;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use url::Url;

pub use crate::data_uri::{CONNECTOR_TYPES, DataUri, DataUriError};
pub use acl::DataAcl;
pub use dir::{DataDir, DataEntry, DirEntry, FileEntry};
pub use file::{DataFile, FileMetadata};
pub use transfer::{Progress, TransferFailure, TransferOptions, TransferReport};

use crate::client::Client;
use crate::error::{Error, Result, TransportKind};
use crate::request::{Liveness, RequestSpec, read_body};
use crate::wire::{self, HEADER_DATA_TYPE};

/// Anything `client.file(..)` and `client.dir(..)` accept: a string to parse, or a [`DataUri`].
pub trait IntoDataUri {
    /// Parse or pass through.
    fn into_data_uri(self) -> Result<DataUri, DataUriError>;
}

impl IntoDataUri for DataUri {
    fn into_data_uri(self) -> Result<DataUri, DataUriError> {
        Ok(self)
    }
}

impl IntoDataUri for &DataUri {
    fn into_data_uri(self) -> Result<DataUri, DataUriError> {
        Ok(self.clone())
    }
}

impl IntoDataUri for &str {
    fn into_data_uri(self) -> Result<DataUri, DataUriError> {
        self.parse()
    }
}

impl IntoDataUri for String {
    fn into_data_uri(self) -> Result<DataUri, DataUriError> {
        self.parse()
    }
}

impl IntoDataUri for &String {
    fn into_data_uri(self) -> Result<DataUri, DataUriError> {
        self.parse()
    }
}

/// A parsed URI, or why it did not parse (reported by the first operation).
pub(crate) type UriSlot = Arc<Result<DataUri, DataUriError>>;

pub(crate) fn uri_of(slot: &UriSlot) -> Result<&DataUri> {
    slot.as_ref()
        .as_ref()
        .map_err(|e| Error::InvalidDataUri(e.clone()))
}

/// Parse a listing's `last_modified` (`2019-01-09T22:44:31.632Z`).
pub(crate) fn parse_listing_time(text: &str) -> Option<SystemTime> {
    humantime::parse_rfc3339_weak(text.trim_end_matches('Z'))
        .ok()
        .or_else(|| humantime::parse_rfc3339(text).ok())
}

impl Client {
    /// A handle to a file. The URI is parsed now; a bad one fails every operation.
    pub fn file(&self, uri: impl IntoDataUri) -> DataFile {
        DataFile::new(self.clone(), Arc::new(uri.into_data_uri()))
    }

    /// A handle to a directory. The URI is parsed now; a bad one fails every operation.
    pub fn dir(&self, uri: impl IntoDataUri) -> DataDir {
        DataDir::new(self.clone(), Arc::new(uri.into_data_uri()))
    }

    /// `/v1/connector/{connector}/{path}`, each segment percent-encoded.
    pub(crate) fn data_url(&self, uri: &DataUri) -> Url {
        self.url(
            ["v1", "connector", uri.connector()]
                .into_iter()
                .chain(uri.segments()),
        )
    }

    /// Send a data request and return its response, whatever the status. A `Deadline::Data`
    /// request gets the client's data timeout; a transfer gets none (its body has an idle
    /// timeout instead).
    async fn data_send(
        &self,
        mut spec: RequestSpec,
        deadline: Deadline,
    ) -> Result<reqwest::Response> {
        match deadline {
            Deadline::Data => {
                spec.timeout = Some(self.inner.data_timeout);
                self.execute(spec).await
            }
            Deadline::AtLeast(floor) => {
                spec.timeout = Some(self.inner.data_timeout.max(floor));
                self.execute(spec).await
            }
            Deadline::Transfer => {
                let (method, url) = (spec.method.clone(), spec.url.clone());
                let progress = Liveness::new();
                spec.progress = Some(progress.clone());
                let idle = self.inner.transfer_idle_timeout;
                progress
                    .watch(idle, self.execute(spec))
                    .await
                    .map_err(|idle| stalled(&method, &url, idle))?
            }
        }
    }

    /// Send a data request; a non-success status becomes [`Error::Api`].
    pub(crate) async fn data_request(
        &self,
        spec: RequestSpec,
        deadline: Deadline,
    ) -> Result<reqwest::Response> {
        let (method, url) = (spec.method.clone(), spec.url.clone());
        let response = self.data_send(spec, deadline).await?;
        if response.status().is_success() {
            return Ok(response);
        }
        let answer = self.error_answer(method, url, response).await;
        Err(Error::api(
            &answer.method,
            &answer.url,
            answer.status,
            &answer.headers,
            &answer.body,
        ))
    }

    /// An error answer, read within the data timeout (it is small; it does not get forever). A
    /// body that cannot be read is taken as empty: the status still tells what happened.
    async fn error_answer(
        &self,
        method: Method,
        url: Url,
        response: reqwest::Response,
    ) -> DataAnswer {
        let status = response.status();
        let headers = response.headers().clone();
        let body =
            tokio::time::timeout(self.inner.data_timeout, read_body(&method, &url, response))
                .await
                .ok()
                .and_then(|body| body.ok())
                .unwrap_or_default();
        DataAnswer {
            method,
            url,
            status,
            headers,
            body,
        }
    }

    /// Send a data request and read its (small) answer, whatever its status.
    pub(crate) async fn data_answer(
        &self,
        spec: RequestSpec,
        deadline: Deadline,
    ) -> Result<DataAnswer> {
        let (method, url) = (spec.method.clone(), spec.url.clone());
        let response = self.data_send(spec, deadline).await?;
        if !response.status().is_success() {
            return Ok(self.error_answer(method, url, response).await);
        }
        let status = response.status();
        let headers = response.headers().clone();
        let body = read_body(&method, &url, response).await?;
        Ok(DataAnswer {
            method,
            url,
            status,
            headers,
            body,
        })
    }

    /// Send a data request and read its (small) JSON answer, honouring an `error` key even on a
    /// success status.
    pub(crate) async fn data_json(
        &self,
        spec: RequestSpec,
        deadline: Deadline,
    ) -> Result<(HeaderMap, Bytes)> {
        self.data_answer(spec, deadline).await?.checked()
    }
}

/// A data request's whole answer.
pub(crate) struct DataAnswer {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl DataAnswer {
    /// The headers and body of a success that carries no `error` key; else the API's error.
    pub(crate) fn checked(self) -> Result<(HeaderMap, Bytes)> {
        let error = wire::json_object(&self.body).is_some_and(|map| map.contains_key("error"));
        if !self.status.is_success() || error {
            return Err(Error::api(
                &self.method,
                &self.url,
                self.status,
                &self.headers,
                &self.body,
            ));
        }
        Ok((self.headers, self.body))
    }
}

/// A transfer on which nothing moved for the idle timeout.
fn stalled(method: &Method, url: &Url, idle: Duration) -> Error {
    Error::transport(
        method,
        url,
        TransportKind::Timeout,
        format!("nothing moved for {idle:?}").into(),
    )
}

/// Whether a data request has an overall deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Deadline {
    /// Metadata operations: the client's data timeout.
    Data,
    /// Transfers of whole files: no overall deadline.
    Transfer,
    /// Requests the server answers only when its work is done (a compile): the data timeout,
    /// but no less than this.
    AtLeast(Duration),
}

/// The `X-Data-Type` of a response, if any.
pub(crate) fn data_type(headers: &HeaderMap) -> Option<&str> {
    headers.get(HEADER_DATA_TYPE).and_then(|v| v.to_str().ok())
}

/// Fail unless a response is for a `file` (a missing header is taken as a file).
pub(crate) fn expect_type(
    headers: &HeaderMap,
    uri: &DataUri,
    expected: &'static str,
) -> Result<()> {
    match data_type(headers) {
        Some(found) if found != expected => Err(Error::WrongType {
            uri: uri.to_string(),
            expected,
            found: found.to_owned(),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever a listing says a file's `last_modified` is, reading it does not panic.
    #[test]
    fn listing_times_never_panic() {
        use proptest::prelude::*;
        use testkit::hostile::{bounded, config, time_text};

        bounded(Duration::from_secs(60), || {
            proptest!(config(1000), |(text in time_text())| {
                let _ = parse_listing_time(&text);
            });
        });
        assert!(parse_listing_time("2019-01-09T22:44:31.632Z").is_some());
    }
}
