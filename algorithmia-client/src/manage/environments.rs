//! Build environments: languages, each language's environments, and their templates.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use reqwest::Method;

use super::model::environment::{Environment, Language};
use super::model::list::AnyList;
use super::template::extract_template;
use crate::client::Client;
use crate::error::{Error, Result};

const ENVIRONMENTS: [&str; 3] = ["v1", "algorithm-environments", "edge"];

impl Client {
    /// The languages algorithms can be written in
    /// (`GET /v1/algorithm-environments/edge/languages`).
    pub async fn languages(&self) -> Result<Vec<Language>> {
        let url = self.url(ENVIRONMENTS.into_iter().chain(["languages"]));
        let list: AnyList<Language> = self.manage_get(url, "language list").await?;
        Ok(list.0)
    }

    /// The build environments of a language; an environment's `id` goes into
    /// [`crate::manage::NewAlgorithm::algorithm_environment`].
    pub async fn environments(&self, language: &str) -> Result<Vec<Environment>> {
        let url = self.url(
            ENVIRONMENTS
                .into_iter()
                .chain(["languages", language, "environments"]),
        );
        let list: AnyList<Environment> = self.manage_get(url, "environment list").await?;
        Ok(list.0)
    }

    /// An environment's template, as the API sends it (a tar.gz), by the environment
    /// specification id.
    pub async fn environment_template(&self, environment_spec_id: &str) -> Result<Bytes> {
        let url = self.url(ENVIRONMENTS.into_iter().chain([
            "environment-specifications",
            environment_spec_id,
            "template",
        ]));
        self.manage_send(Method::GET, url, None).await
    }

    /// Download an environment's template and unpack it under `dest` (see
    /// [`crate::manage::extract_template`] for what is refused); returns the files written,
    /// relative to `dest`.
    pub async fn write_environment_template(
        &self,
        environment_spec_id: &str,
        dest: impl AsRef<Path>,
    ) -> Result<Vec<PathBuf>> {
        let archive = self.environment_template(environment_spec_id).await?;
        let dest = dest.as_ref().to_path_buf();
        tokio::task::spawn_blocking(move || extract_template(&archive, &dest))
            .await
            .map_err(|e| Error::config(format!("unpacking the template stopped: {e}")))?
    }
}
