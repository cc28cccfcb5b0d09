//! Algorithms as a platform builds them: source repositories, git's smart HTTP protocol, and
//! builds of a commit into a runnable Python environment.
//!
//! - [`Repositories`]: bare repositories at `<data>/git/OWNER/NAME.git`, created with one commit.
//! - [`GitHttp`]: `/git/OWNER/NAME.git/...` for a stock `git clone` and `git push`, with the API
//!   key as the HTTP Basic password, checked by a [`GitAccess`] the caller provides, and a push
//!   hook when the default branch moves.
//! - [`Builder`]: a commit checked out under `<data>/builds/ID/COMMIT`, a virtual environment with
//!   its `requirements.txt`, its sources compiled; the [`Runtime`] it gives runs as an
//!   [`AdkAlgorithm`](crate::AdkAlgorithm) through [`Runtime::command`].
//!
//! Nothing here knows the store: ids, users and keys come from the caller. Every git process
//! runs without system or user configuration and with a private `HOME`.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use algorithmia_local::build::{BuildRequest, Builder, Repositories};
//! let repos = Repositories::new("/tmp/data/git".into())?;
//! let files = vec![("src/Hello.py".into(), b"print('hello')\n".to_vec())];
//! let commit = repos.create("alice", "Hello", &files, "alice").await?;
//! let builder = Builder::new("/tmp/data/builds".into(), "python3".into(), 2)?;
//! let output = builder
//!     .build(BuildRequest {
//!         algorithm_id: "1".into(),
//!         owner: "alice".into(),
//!         name: "Hello".into(),
//!         repo: repos.path("alice", "Hello")?,
//!         commit,
//!     })
//!     .await;
//! println!("{:?}\n{}", output.status, output.log);
//! # Ok(()) }
//! ```

mod builder;
mod cgi;
mod git;
mod git_http;
mod log;
mod names;
mod repo;
mod runtime;
mod step;

pub use builder::{
    BuildError, BuildOutput, BuildRequest, BuildStatus, Builder, DEFAULT_PIP_TIMEOUT,
};
pub use git_http::{
    DEFAULT_BODY_LIMIT, DEFAULT_TIMEOUT, Denied, GitAccess, GitHttp, GitUser, PushHook,
};
pub use log::DEFAULT_LOG_CAP;
pub use names::NameError;
pub use repo::{DEFAULT_BRANCH, RepoError, Repositories};
pub use runtime::Runtime;
