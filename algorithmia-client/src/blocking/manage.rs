//! The management API without async; see [`crate::manage`]. Paged collections are iterators
//! that fetch the next page when they get there.
//!
//! ```no_run
//! use algorithmia_client::blocking::Client;
//! use algorithmia_client::manage::{Publish, VersionType};
//!
//! let client = Client::new("simYourApiKey")?;
//! let algo = client.algorithm("demo/Hello");
//! if algo.exists()? {
//!     algo.compile()?;
//!     algo.publish(Publish::new(VersionType::Revision))?;
//!     for version in algo.versions().published(true).iter() {
//!         println!("{:?}", version?.semantic_version);
//!     }
//! }
//! # Ok::<(), algorithmia_client::Error>(())
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::data::BlockingIter;
use super::{Client, Runtime};
use crate::algo_ref::{AlgoRef, AlgoRefError, IntoAlgoRef};
use crate::error::Result;
use crate::manage::{
    AlgorithmErrorLog, AlgorithmInfo, AlgorithmUpdate, Build, Environment, Language, NewAlgorithm,
    OrgInfo, OrgMember, PagedQuery, Publish, ScmStatus, SecretInfo, SecretValue, UserInfo,
    VersionInfo, WaitOptions,
};

impl Client {
    /// See [`crate::Client::algorithm`].
    pub fn algorithm(&self, reference: impl IntoAlgoRef) -> Algorithm {
        Algorithm {
            inner: self.inner.algorithm(reference),
            runtime: Arc::clone(&self.runtime),
        }
    }

    /// See [`crate::Client::algorithms`].
    pub fn algorithms(&self) -> Algorithms {
        Algorithms {
            inner: self.inner.algorithms(),
            runtime: Arc::clone(&self.runtime),
        }
    }

    /// See [`crate::Client::create_algorithm`].
    pub fn create_algorithm(&self, owner: &str, new: NewAlgorithm) -> Result<AlgorithmInfo> {
        self.runtime
            .block_on(self.inner.create_algorithm(owner, new))?
    }

    /// See [`crate::Client::languages`].
    pub fn languages(&self) -> Result<Vec<Language>> {
        self.runtime.block_on(self.inner.languages())?
    }

    /// See [`crate::Client::environments`].
    pub fn environments(&self, language: &str) -> Result<Vec<Environment>> {
        self.runtime.block_on(self.inner.environments(language))?
    }

    /// See [`crate::Client::environment_template`].
    pub fn environment_template(&self, environment_spec_id: &str) -> Result<bytes::Bytes> {
        self.runtime
            .block_on(self.inner.environment_template(environment_spec_id))?
    }

    /// See [`crate::Client::write_environment_template`].
    pub fn write_environment_template(
        &self,
        environment_spec_id: &str,
        dest: impl AsRef<Path>,
    ) -> Result<Vec<PathBuf>> {
        self.runtime.block_on(
            self.inner
                .write_environment_template(environment_spec_id, dest),
        )?
    }

    /// See [`crate::Client::user`].
    pub fn user(&self, name: &str) -> Result<UserInfo> {
        self.runtime.block_on(self.inner.user(name))?
    }

    /// See [`crate::Client::organization`].
    pub fn organization(&self, name: &str) -> Result<OrgInfo> {
        self.runtime.block_on(self.inner.organization(name))?
    }

    /// See [`crate::Client::organization_members`].
    pub fn organization_members(&self, name: &str) -> Pages<OrgMember> {
        Pages::new(
            self.inner.organization_members(name),
            Arc::clone(&self.runtime),
        )
    }

    /// See [`crate::Client::user_errors`].
    pub fn user_errors(&self, user: &str) -> Result<Vec<AlgorithmErrorLog>> {
        self.runtime.block_on(self.inner.user_errors(user))?
    }

    /// See [`crate::Client::report_insights`].
    pub fn report_insights(
        &self,
        insights: impl IntoIterator<Item = (String, Value)>,
    ) -> Result<()> {
        self.runtime
            .block_on(self.inner.report_insights(insights))?
    }
}

/// The blocking counterpart of [`crate::manage::PagedQuery`].
#[must_use = "a query does nothing until it is iterated"]
pub struct Pages<T> {
    inner: PagedQuery<T>,
    runtime: Arc<Runtime>,
}

impl<T> fmt::Debug for Pages<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("blocking::Pages").field(&self.inner).finish()
    }
}

impl<T: DeserializeOwned + Send + 'static> Pages<T> {
    fn new(inner: PagedQuery<T>, runtime: Arc<Runtime>) -> Self {
        Pages { inner, runtime }
    }

    /// See [`crate::manage::PagedQuery::page_size`].
    pub fn page_size(self, size: u32) -> Self {
        Pages {
            inner: self.inner.page_size(size),
            runtime: self.runtime,
        }
    }

    /// Every item; the next page is fetched when the iterator gets there.
    pub fn iter(self) -> impl Iterator<Item = Result<T>> + use<T> {
        BlockingIter::new(self.inner.stream(), self.runtime)
    }
}

/// The blocking counterpart of [`crate::manage::VersionQuery`].
#[must_use = "a query does nothing until it is iterated"]
pub struct VersionQuery {
    inner: crate::manage::VersionQuery,
    runtime: Arc<Runtime>,
}

impl fmt::Debug for VersionQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("blocking::VersionQuery")
            .field(&self.inner)
            .finish()
    }
}

impl VersionQuery {
    fn map(
        self,
        f: impl FnOnce(crate::manage::VersionQuery) -> crate::manage::VersionQuery,
    ) -> Self {
        VersionQuery {
            inner: f(self.inner),
            runtime: self.runtime,
        }
    }

    /// See [`crate::manage::VersionQuery::published`].
    pub fn published(self, published: bool) -> Self {
        self.map(|q| q.published(published))
    }

    /// See [`crate::manage::VersionQuery::callable`].
    pub fn callable(self, callable: bool) -> Self {
        self.map(|q| q.callable(callable))
    }

    /// See [`crate::manage::VersionQuery::page_size`].
    pub fn page_size(self, size: u32) -> Self {
        self.map(|q| q.page_size(size))
    }

    /// Every matching version; the next page is fetched when the iterator gets there.
    pub fn iter(self) -> impl Iterator<Item = Result<VersionInfo>> + use<> {
        BlockingIter::new(self.inner.stream(), self.runtime)
    }
}

/// The blocking counterpart of [`crate::manage::Algorithm`].
#[derive(Clone)]
pub struct Algorithm {
    inner: crate::manage::Algorithm,
    runtime: Arc<Runtime>,
}

impl fmt::Debug for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("blocking::manage::Algorithm")
            .field(&self.inner)
            .finish()
    }
}

impl Algorithm {
    /// See [`crate::manage::Algorithm::reference`].
    pub fn reference(&self) -> Result<&AlgoRef, &AlgoRefError> {
        self.inner.reference()
    }

    /// See [`crate::manage::Algorithm::get`].
    pub fn get(&self) -> Result<AlgorithmInfo> {
        self.runtime.block_on(self.inner.get())?
    }

    /// See [`crate::manage::Algorithm::exists`].
    pub fn exists(&self) -> Result<bool> {
        self.runtime.block_on(self.inner.exists())?
    }

    /// See [`crate::manage::Algorithm::update`].
    pub fn update(&self, update: AlgorithmUpdate) -> Result<AlgorithmInfo> {
        self.runtime.block_on(self.inner.update(update))?
    }

    /// See [`crate::manage::Algorithm::delete`].
    pub fn delete(&self) -> Result<()> {
        self.runtime.block_on(self.inner.delete())?
    }

    /// See [`crate::manage::Algorithm::versions`].
    pub fn versions(&self) -> VersionQuery {
        VersionQuery {
            inner: self.inner.versions(),
            runtime: Arc::clone(&self.runtime),
        }
    }

    /// See [`crate::manage::Algorithm::version`].
    pub fn version(&self, git_hash: &str) -> Result<VersionInfo> {
        self.runtime.block_on(self.inner.version(git_hash))?
    }

    /// See [`crate::manage::Algorithm::compile`].
    pub fn compile(&self) -> Result<AlgorithmInfo> {
        self.runtime.block_on(self.inner.compile())?
    }

    /// See [`crate::manage::Algorithm::publish`].
    pub fn publish(&self, publish: Publish) -> Result<VersionInfo> {
        self.runtime.block_on(self.inner.publish(publish))?
    }

    /// See [`crate::manage::Algorithm::builds`].
    pub fn builds(&self) -> Pages<Build> {
        Pages::new(self.inner.builds(), Arc::clone(&self.runtime))
    }

    /// See [`crate::manage::Algorithm::build`].
    pub fn build(&self, build_id: &str) -> Result<Build> {
        self.runtime.block_on(self.inner.build(build_id))?
    }

    /// See [`crate::manage::Algorithm::build_logs`].
    pub fn build_logs(&self, build_id: &str) -> Result<String> {
        self.runtime.block_on(self.inner.build_logs(build_id))?
    }

    /// See [`crate::manage::Algorithm::wait_for_build`].
    pub fn wait_for_build(&self, build_id: &str, options: WaitOptions) -> Result<Build> {
        self.runtime
            .block_on(self.inner.wait_for_build(build_id, options))?
    }

    /// See [`crate::manage::Algorithm::scm_status`].
    pub fn scm_status(&self) -> Result<ScmStatus> {
        self.runtime.block_on(self.inner.scm_status())?
    }

    /// See [`crate::manage::Algorithm::errors`].
    pub fn errors(&self) -> Result<Vec<AlgorithmErrorLog>> {
        self.runtime.block_on(self.inner.errors())?
    }

    /// See [`crate::manage::Algorithm::secrets`].
    pub fn secrets(&self) -> Secrets {
        Secrets {
            inner: self.inner.secrets(),
            runtime: Arc::clone(&self.runtime),
        }
    }
}

/// The blocking counterpart of [`crate::manage::Algorithms`].
#[derive(Clone)]
pub struct Algorithms {
    inner: crate::manage::Algorithms,
    runtime: Arc<Runtime>,
}

impl fmt::Debug for Algorithms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("blocking::manage::Algorithms")
            .field(&self.inner)
            .finish()
    }
}

impl Algorithms {
    /// See [`crate::manage::Algorithms::create`].
    pub fn create(&self, owner: &str, new: NewAlgorithm) -> Result<AlgorithmInfo> {
        self.runtime.block_on(self.inner.create(owner, new))?
    }

    /// See [`crate::manage::Algorithms::list`].
    pub fn list(&self, owner: &str) -> Pages<AlgorithmInfo> {
        Pages::new(self.inner.list(owner), Arc::clone(&self.runtime))
    }
}

/// The blocking counterpart of [`crate::manage::Secrets`].
#[derive(Clone)]
pub struct Secrets {
    inner: crate::manage::Secrets,
    runtime: Arc<Runtime>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("blocking::manage::Secrets")
            .field(&self.inner)
            .finish()
    }
}

impl Secrets {
    /// See [`crate::manage::Secrets::list`].
    pub fn list(&self) -> Result<Vec<SecretInfo>> {
        self.runtime.block_on(self.inner.list())?
    }

    /// See [`crate::manage::Secrets::set`].
    pub fn set(
        &self,
        short_name: &str,
        value: SecretValue,
        description: Option<&str>,
    ) -> Result<SecretInfo> {
        self.runtime
            .block_on(self.inner.set(short_name, value, description))?
    }

    /// See [`crate::manage::Secrets::update`].
    pub fn update(
        &self,
        secret_id: &str,
        value: SecretValue,
        description: Option<&str>,
    ) -> Result<()> {
        self.runtime
            .block_on(self.inner.update(secret_id, value, description))?
    }

    /// See [`crate::manage::Secrets::delete`].
    pub fn delete(&self, secret_id: &str) -> Result<()> {
        self.runtime.block_on(self.inner.delete(secret_id))?
    }
}
