//! The management handle of one algorithm: read, update, delete, compile, publish, versions,
//! builds and logs.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures_util::Stream;
use reqwest::Method;
use url::Url;

use super::create::AlgorithmUpdate;
use super::model::algorithm::{AlgorithmErrorLog, AlgorithmInfo, ScmStatus, VersionInfo};
use super::model::build::{Build, BuildLogs};
use super::model::list::AnyList;
use super::paging::PagedQuery;
use super::publish::Publish;
use super::request::decode;
use crate::algo_ref::{AlgoRef, AlgoRefError, IntoAlgoRef};
use crate::client::Client;
use crate::data::Deadline;
use crate::error::{Error, Result};

/// The shortest time a compile request is given (see [`Algorithm::compile`]).
pub const COMPILE_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// The API's error code for "algorithm not found".
const ALGORITHM_NOT_FOUND: i64 = 1000;

/// A handle to manage one algorithm (`owner/name`, or its UUID): its settings, builds,
/// versions, logs and secrets. Made by [`Client::algorithm`]; cheap to clone; nothing is sent
/// until a method is called.
///
/// Not to be confused with [`crate::Algorithm`], the handle that *calls* an algorithm.
///
/// ```no_run
/// use algorithmia_client::manage::{Callability, Publish, VersionType, WaitOptions};
///
/// # async fn run(client: algorithmia_client::Client) -> Result<(), algorithmia_client::Error> {
/// let algo = client.algorithm("demo/Hello");
/// if algo.exists().await? {
///     let compiled = algo.compile().await?;
///     println!("built {:?}", compiled.version_info.and_then(|v| v.git_hash));
///     let version = algo
///         .publish(Publish::new(VersionType::Minor).callability(Callability::Public))
///         .await?;
///     println!("published {:?}", version.semantic_version);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Algorithm {
    client: Client,
    reference: Arc<Result<AlgoRef, AlgoRefError>>,
}

impl fmt::Debug for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("manage::Algorithm")
            .field(&self.reference)
            .finish()
    }
}

impl Client {
    /// A handle to manage the algorithm `owner/name` (or one given by its UUID). A reference that
    /// does not parse, or that names a version, fails every call with [`Error::InvalidAlgoRef`].
    pub fn algorithm(&self, reference: impl IntoAlgoRef) -> Algorithm {
        let reference = reference.into_algo_ref().and_then(|r| match r.version() {
            None => Ok(r),
            Some(v) => Err(AlgoRefError {
                input: r.to_string(),
                reason: format!(
                    "management addresses the algorithm, not a version; drop /{v} (use version(hash) for one version)"
                ),
            }),
        });
        Algorithm {
            client: self.clone(),
            reference: Arc::new(reference),
        }
    }
}

impl Algorithm {
    /// The algorithm's reference, or why it did not parse.
    pub fn reference(&self) -> Result<&AlgoRef, &AlgoRefError> {
        self.reference.as_ref().as_ref()
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// `/v1/algorithms/{owner}/{name}/{tail...}` (or `/v1/algorithms/{id}/...`).
    pub(crate) fn url(&self, tail: &[&str]) -> Result<Url> {
        let reference = self.reference().map_err(|e| Error::from(e.clone()))?;
        let head = ["v1", "algorithms"].into_iter().map(Into::into);
        Ok(self.client.url(
            head.chain(reference.path_segments())
                .chain(tail.iter().map(|t| (*t).into()))
                .collect::<Vec<std::borrow::Cow<'_, str>>>(),
        ))
    }

    /// The algorithm object.
    pub async fn get(&self) -> Result<AlgorithmInfo> {
        self.client.manage_get(self.url(&[])?, "algorithm").await
    }

    /// Whether the algorithm exists: `false` on 404 or error code 1000; other failures are errors.
    pub async fn exists(&self) -> Result<bool> {
        match self.get().await {
            Ok(_) => Ok(true),
            Err(e) if is_missing(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Change details and settings (`PUT`); returns the updated algorithm.
    pub async fn update(&self, update: AlgorithmUpdate) -> Result<AlgorithmInfo> {
        let url = self.url(&[])?;
        self.client
            .manage_json(Method::PUT, url, Some(&update), "algorithm")
            .await
    }

    /// Delete the algorithm.
    pub async fn delete(&self) -> Result<()> {
        let url = self.url(&[])?;
        self.client.manage_send(Method::DELETE, url, None).await?;
        Ok(())
    }

    /// The algorithm's versions, newest first as the server lists them; filter and page it,
    /// then read [`VersionQuery::stream`].
    pub fn versions(&self) -> VersionQuery {
        VersionQuery(PagedQuery::new(
            self.client.clone(),
            self.url(&["versions"]),
            "version list",
        ))
    }

    /// One version, by the git hash it was built from.
    pub async fn version(&self, git_hash: &str) -> Result<VersionInfo> {
        let url = self.url(&["versions", git_hash])?;
        self.client.manage_get(url, "version").await
    }

    /// Build the algorithm's latest source (`POST .../compile`). The API may answer only when
    /// the build is done, so the request may take the client's data timeout or
    /// [`COMPILE_TIMEOUT`], whichever is longer. Not retried once sent.
    pub async fn compile(&self) -> Result<AlgorithmInfo> {
        let url = self.url(&["compile"])?;
        let path = url.path().to_owned();
        let body = self
            .client
            .manage_send_within(Method::POST, url, None, Deadline::AtLeast(COMPILE_TIMEOUT))
            .await?;
        decode("algorithm", &path, &body)
    }

    /// Publish the latest build as a new version (`POST .../versions`). Not retried once sent.
    pub async fn publish(&self, publish: Publish) -> Result<VersionInfo> {
        let url = self.url(&["versions"])?;
        self.client
            .manage_json(Method::POST, url, Some(&publish), "published version")
            .await
    }

    /// The algorithm's builds, page by page.
    pub fn builds(&self) -> PagedQuery<Build> {
        PagedQuery::new(self.client.clone(), self.url(&["builds"]), "build list")
    }

    /// One build.
    pub async fn build(&self, build_id: &str) -> Result<Build> {
        let url = self.url(&["builds", build_id])?;
        self.client.manage_get(url, "build").await
    }

    /// A build's log. The API answers 404 until the build has finished: that is
    /// [`Error::is_not_found`], not a missing build.
    pub async fn build_logs(&self, build_id: &str) -> Result<String> {
        let url = self.url(&["builds", build_id, "logs"])?;
        let logs: BuildLogs = self.client.manage_get(url, "build logs").await?;
        Ok(logs.logs.unwrap_or_default())
    }

    /// The state of the algorithm's source repository connection.
    pub async fn scm_status(&self) -> Result<ScmStatus> {
        let url = self.url(&["scm", "status"])?;
        self.client.manage_get(url, "SCM status").await
    }

    /// Failed calls of the last days, as the API logs them.
    pub async fn errors(&self) -> Result<Vec<AlgorithmErrorLog>> {
        let url = self.url(&["errors"])?;
        let list: AnyList<AlgorithmErrorLog> = self.client.manage_get(url, "error log").await?;
        Ok(list.0)
    }
}

/// Whether a management error says the thing is not there.
pub(crate) fn is_missing(error: &Error) -> bool {
    error.status() == Some(404)
        || error
            .api_error()
            .is_some_and(|e| e.code == Some(ALGORITHM_NOT_FOUND))
}

/// The versions of an algorithm to list. Nothing is sent until the stream is read.
#[derive(Debug, Clone)]
#[must_use = "a query does nothing until its stream is read"]
pub struct VersionQuery(PagedQuery<VersionInfo>);

impl VersionQuery {
    /// Only published versions (`true`), or only unpublished builds (`false`).
    pub fn published(self, published: bool) -> Self {
        VersionQuery(self.0.param("published", published.to_string()))
    }

    /// Only versions the caller may call (`true`), or only the others (`false`).
    pub fn callable(self, callable: bool) -> Self {
        VersionQuery(self.0.param("callable", callable.to_string()))
    }

    /// Items per page (`limit`).
    pub fn page_size(self, size: u32) -> Self {
        VersionQuery(self.0.page_size(size))
    }

    /// Every matching version, page by page as the stream is read (see [`PagedQuery::stream`]).
    pub fn stream(self) -> impl Stream<Item = Result<VersionInfo>> + Send + use<> {
        self.0.stream()
    }
}
