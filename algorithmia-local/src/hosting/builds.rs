//! [`SourceBuilds`]: the build queue of a platform server. Each algorithm has a repository made
//! from the Python template when it is created; a compile or a push to `master` records a build
//! of the head commit at once and runs it in the background, and the build's end (status and
//! log) goes to the store, where a success becomes a version callable by its hash.

use std::sync::Arc;

use axum::http::StatusCode;

use super::{PoolLauncher, block_on};
use crate::build::{self, BuildRequest, Builder, RepoError, Repositories};
use crate::error::AppError;
use crate::platform::BuildQueue;
use crate::store::{AlgorithmRecord, BuildRecord, BuildStatus, Store};
use crate::template::render_template;

/// Repositories and builds of the algorithms in the store.
pub(crate) struct SourceBuilds {
    store: Arc<Store>,
    repos: Repositories,
    builder: Builder,
    launcher: Arc<PoolLauncher>,
}

impl SourceBuilds {
    pub(crate) fn new(
        store: Arc<Store>,
        repos: Repositories,
        builder: Builder,
        launcher: Arc<PoolLauncher>,
    ) -> SourceBuilds {
        SourceBuilds {
            store,
            repos,
            builder,
            launcher,
        }
    }

    /// The push hook: `owner/name`'s `master` moved to `head`. Records the build and returns at
    /// once; the build runs in the background. Called inside the runtime.
    pub(crate) fn pushed(&self, owner: &str, name: &str, head: &str) {
        let algorithm = match self.store.algorithm(owner, name) {
            Ok(Some(algorithm)) => algorithm,
            Ok(None) => {
                tracing::warn!(%owner, %name, "push to a repository with no algorithm: not built");
                return;
            }
            Err(e) => {
                tracing::error!(%owner, %name, error = %e, "push: could not read the algorithm");
                return;
            }
        };
        if self.begin(&algorithm, head).is_err() {
            // The reason is logged where it happened.
            tracing::error!(%owner, %name, "push: could not start the build");
        }
    }

    /// Record a build of `commit` in progress and run it in the background.
    fn begin(&self, algorithm: &AlgorithmRecord, commit: &str) -> Result<BuildRecord, AppError> {
        let repo = self
            .repos
            .path(&algorithm.owner, &algorithm.name)
            .map_err(AppError::internal)?;
        let record = self
            .store
            .create_build(&algorithm.id, commit)
            .map_err(AppError::internal)?;
        let request = BuildRequest {
            algorithm_id: algorithm.id.clone(),
            owner: algorithm.owner.clone(),
            name: algorithm.name.clone(),
            repo,
            commit: record.commit_sha.clone(),
        };
        let (store, builder) = (Arc::clone(&self.store), self.builder.clone());
        let build_id = record.build_id.clone();
        tokio::spawn(async move {
            let output = builder.build(request).await;
            let status = match output.status {
                build::BuildStatus::Succeeded => BuildStatus::Succeeded,
                build::BuildStatus::Failed => BuildStatus::Failed,
            };
            let finished = tokio::task::spawn_blocking(move || {
                store.finish_build(&build_id, status, &output.log)
            })
            .await;
            match finished {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "could not record the build's end"),
                Err(e) => tracing::error!(error = %e, "could not record the build's end"),
            }
        });
        Ok(record)
    }

    /// Make the repository from the template; one left from an earlier algorithm of the same
    /// name is replaced.
    async fn make_repository(&self, algorithm: &AlgorithmRecord) -> Result<String, RepoError> {
        let (owner, name) = (&algorithm.owner, &algorithm.name);
        if self.repos.exists(owner, name)? {
            tracing::warn!(%owner, %name, "replacing a repository left from an earlier algorithm");
            self.repos.delete(owner, name).await?;
        }
        let files = render_template(owner, name);
        self.repos.create(owner, name, &files, owner).await
    }
}

impl BuildQueue for SourceBuilds {
    fn start(&self, algorithm: &AlgorithmRecord) -> Result<BuildRecord, AppError> {
        let (owner, name) = (&algorithm.owner, &algorithm.name);
        let head = block_on(async {
            if !self.repos.exists(owner, name)? {
                // Created while this server hosted nothing: it gets its repository now.
                return self.make_repository(algorithm).await.map(Some);
            }
            self.repos.head(owner, name).await
        })?
        .map_err(AppError::internal)?
        .ok_or_else(|| {
            AppError::new(
                StatusCode::BAD_REQUEST,
                format!("algorithm {owner}/{name} has no commit on master to build"),
            )
        })?;
        self.begin(algorithm, &head)
    }

    fn created(&self, algorithm: &AlgorithmRecord) -> Result<(), AppError> {
        block_on(self.make_repository(algorithm))?
            .map(|_| ())
            .map_err(AppError::internal)
    }

    fn deleted(&self, algorithm: &AlgorithmRecord) -> Result<(), AppError> {
        let (owner, name) = (&algorithm.owner, &algorithm.name);
        block_on(async {
            self.launcher.drop_algorithm(&algorithm.id).await;
            let builds = self.builder.remove(&algorithm.id).await;
            let repo = match self.repos.delete(owner, name).await {
                Err(RepoError::NotFound { .. }) => Ok(()),
                other => other,
            };
            builds.map_err(AppError::internal)?;
            repo.map_err(AppError::internal)
        })?
    }
}
