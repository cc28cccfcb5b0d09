//! A local server that speaks the Algorithmia API v1 and hosts real algorithms.
//!
//! Embed it in tests, examples and benchmarks, or run the `algorithmia-local` binary. It serves
//! algorithm calls (`/v1/algo`) and the Data API (`/v1/connector`, `/v1/data`) well enough for
//! the official Python and Node clients to work against it unchanged.
//!
//! It is also a small platform: the management API (`/v1/algorithms/...`: create, update,
//! publish, versions, builds, secrets, errors; users, organisations, insights, build
//! environments) keeps its state in SQLite, `state.db` in the data directory, so a restart on
//! the same [`data_dir`](LocalServerBuilder::data_dir) keeps every algorithm, version, build and
//! secret. API keys are stored there only as SHA-256 hashes; secret values are never answered.
//! [`StateStore`] opens that database from outside the server.
//!
//! ```
//! use algorithmia_local::{AlgorithmDef, AlgoError, LocalServer, Output};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = LocalServer::builder()
//!     .algorithm(
//!         AlgorithmDef::new("demo/Upper").version("1.0.0").handler(|input, ctx| async move {
//!             let text = input.as_text().ok_or_else(|| AlgoError::input("send text"))?;
//!             ctx.print("upper-casing\n");
//!             Ok(Output::Text(text.to_uppercase()))
//!         }),
//!     )
//!     .start()?;
//!
//! let client = algorithmia_client::Client::builder()
//!     .base_url(server.base_url())
//!     .api_key(server.api_key())
//!     .build()?;
//! let response = client.algo("demo/Upper").pipe("quiet").await?;
//! assert_eq!(response.as_text(), Some("QUIET"));
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod algo;
mod api;
pub mod build;
mod conn;
mod context;
mod data;
mod error;
pub mod faults;
mod hosting;
mod platform;
mod server;
mod state;
mod store;
mod template;

pub use algo::{
    AdkAlgorithm, AlgoResult, AlgorithmDef, BoxFuture, FIFO_PATH, Input, Output, PublishedVersion,
    Visibility,
};
pub use api::{AppState, DEFAULT_USER, app};
pub use context::Context;
pub use data::{ACL_MY_ALGORITHMS, ACL_PUBLIC, DataApi, DataEntry, DataError};
pub use error::AlgoError;
pub use faults::{FaultKind, FaultSpec, FaultSpecError, FaultStats};
pub use server::{
    DEFAULT_HEADER_READ_TIMEOUT, LocalServer, LocalServerBuilder, ServerHandle, StartError,
};
pub use state::{StateError, StateStore};

// The workspace README's examples compile here, where both crates are in scope.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

/// The port the binary listens on when `--bind` names only an address.
pub const DEFAULT_PORT: u16 = 9000;
