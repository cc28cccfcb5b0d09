//! Hosting: what makes the server a platform. Algorithms created through the management API get
//! a git repository (`<data>/git`), served over git's smart HTTP protocol; a push to `master` or
//! a compile builds the head commit (`<data>/builds`, in the background, recorded in the store);
//! a call of a built version runs on a pool of ADK workers made from that build.
//!
//! - [`SourceBuilds`]: the [`BuildQueue`](crate::platform::BuildQueue): repositories made on
//!   create and removed on delete, builds started on compile and on push.
//! - [`PoolLauncher`]: the [`Launcher`](crate::platform::Launcher): one worker pool per built
//!   version and set of secret values.
//! - [`git_access`]: who may clone and push (the owner, or a member of the owning organisation).

mod access;
mod builds;
mod launcher;

use std::path::Path;
use std::sync::Arc;

use axum::Router;

use crate::algo::pool::PoolOptions;
use crate::api::Keys;
use crate::build::{Builder, GitHttp, Repositories};
use crate::store::Store;

pub(crate) use access::git_access;
pub(crate) use builds::SourceBuilds;
pub(crate) use launcher::PoolLauncher;

/// What a platform server runs besides the API: the build queue, the launcher, and the git
/// routes.
pub(crate) struct Hosting {
    pub(crate) builds: Arc<SourceBuilds>,
    pub(crate) launcher: Arc<PoolLauncher>,
    /// `/git/{owner}/{name}.git/...`, to merge into the API's router.
    pub(crate) git: Router,
}

/// How hosted algorithms run.
pub(crate) struct HostingConfig {
    /// Variables every worker gets (the API's address and a key), before the secrets.
    pub(crate) env: Vec<(String, String)>,
    /// Workers per version, and their queue.
    pub(crate) pool: PoolOptions,
    /// The interpreter builds make their virtual environments with.
    pub(crate) python: String,
}

/// Set up hosting in the data directory `root`: repositories in `root/git`, builds in
/// `root/builds`.
pub(crate) fn hosting(
    root: &Path,
    store: Arc<Store>,
    keys: Keys,
    config: HostingConfig,
) -> Result<Hosting, String> {
    let repos = Repositories::new(root.join("git")).map_err(|e| e.to_string())?;
    // Builds a stopped server left in progress will never end: say so.
    let interrupted = store
        .fail_unfinished_builds("Build failed: the server stopped before it finished.\n")
        .map_err(|e| e.to_string())?;
    if interrupted > 0 {
        tracing::warn!(
            builds = interrupted,
            "builds left in progress by the last run marked failed"
        );
    }
    let parallel = std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1));
    let builder = Builder::new(root.join("builds"), config.python.into(), parallel)
        .map_err(|e| format!("could not prepare {}: {e}", root.join("builds").display()))?;
    let launcher = Arc::new(PoolLauncher::new(
        Arc::clone(&store),
        builder.clone(),
        config.env,
        config.pool,
    ));
    let builds = Arc::new(SourceBuilds::new(
        Arc::clone(&store),
        repos.clone(),
        builder,
        Arc::clone(&launcher),
    ));
    let on_push = Arc::clone(&builds);
    let git = GitHttp::new(repos, git_access(store, keys))
        .on_push(move |owner: &str, name: &str, head: &str| on_push.pushed(owner, name, head))
        .router();
    Ok(Hosting {
        builds,
        launcher,
        git,
    })
}

/// Run `future` to its end from a blocking thread inside the server's runtime (where the
/// platform seams are called).
fn block_on<F: std::future::Future>(future: F) -> Result<F::Output, crate::error::AppError> {
    let handle = tokio::runtime::Handle::try_current()
        .map_err(|e| crate::error::AppError::internal(format!("no runtime: {e}")))?;
    Ok(handle.block_on(future))
}
