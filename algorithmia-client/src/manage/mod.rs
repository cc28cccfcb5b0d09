//! The management API: create, change, build, publish and inspect algorithms; their secrets;
//! build environments; users and organisations; insights.
//!
//! [`Client::algorithm`](crate::Client::algorithm) gives a handle to manage one algorithm
//! (not to be confused with [`Client::algo`](crate::Client::algo), which calls one). Paged
//! collections are lazy streams that fetch the next page only when it is read. Failures are
//! [`Error::Api`](crate::Error::Api) with the API's numeric `code` and `id`; requests that
//! create something (create, compile, publish, secrets, insights) are never retried after they
//! may have reached the server.
//!
//! ```no_run
//! use algorithmia_client::Client;
//! use algorithmia_client::manage::{
//!     Callability, NewAlgorithm, Publish, SecretValue, VersionType, WaitOptions,
//! };
//! use futures_util::TryStreamExt;
//!
//! # async fn run(client: Client) -> Result<(), algorithmia_client::Error> {
//! // Pick an environment and create the algorithm.
//! let env = client.environments("python3").await?.into_iter().next();
//! let mut new = NewAlgorithm::new("Hello", "Hello world").summary("Says hello");
//! if let Some(env) = &env {
//!     new = new.algorithm_environment(env.id.clone());
//! }
//! client.create_algorithm("demo", new).await?;
//!
//! // Build it, wait for the build, publish it.
//! let algo = client.algorithm("demo/Hello");
//! algo.compile().await?;
//! let latest = algo.builds().page_size(1).stream();
//! let mut latest = std::pin::pin!(latest);
//! if let Some(build) = latest.try_next().await? {
//!     let done = algo
//!         .wait_for_build(&build.build_id, WaitOptions::default().on_progress(|b| {
//!             eprintln!("{}: {}", b.build_id, b.status)
//!         }))
//!         .await?;
//!     println!("{}", algo.build_logs(&done.build_id).await?);
//! }
//! let version = algo
//!     .publish(Publish::new(VersionType::Minor).callability(Callability::Public))
//!     .await?;
//! println!("published {:?}", version.semantic_version);
//!
//! // Every published version, page by page as they are read.
//! let versions: Vec<_> = algo.versions().published(true).stream().try_collect().await?;
//!
//! // A secret the algorithm reads from its environment; its value is never printed.
//! algo.secrets().set("DB_PASSWORD", SecretValue::new("hunter2"), None).await?;
//! # Ok(()) }
//! ```

mod accounts;
mod algorithm;
mod create;
mod environments;
mod insights;
mod model;
mod paging;
mod publish;
mod request;
mod secrets;
mod template;
mod wait;

pub use algorithm::{Algorithm, COMPILE_TIMEOUT, VersionQuery};
pub use create::{AlgorithmUpdate, Algorithms, NewAlgorithm};
pub use insights::MAX_INSIGHTS;
pub use model::account::{OrgInfo, OrgMember, UserInfo};
pub use model::algorithm::{
    AlgorithmErrorLog, AlgorithmInfo, Compilation, Details, ScmStatus, Settings, Source,
    VersionInfo,
};
pub use model::build::{Build, BuildStatus};
pub use model::environment::{Environment, Language};
pub use paging::PagedQuery;
pub use publish::{Callability, Publish, UnknownVersionType, VersionType};
pub use secrets::{SecretInfo, SecretValue, Secrets};
pub use template::{MAX_TEMPLATE_BYTES, extract_template};
pub use wait::{DEFAULT_BUILD_WAIT, WaitOptions};
