//! A typed async client for the Algorithmia API v1.
//!
//! # Calling an algorithm
//!
//! Build one [`Client`] and share it; ask it for an [`Algorithm`] handle and `pipe` input in.
//! The input's type decides its content type: a string is text, bytes are binary, a
//! `serde_json::Value` (or anything through [`Algorithm::pipe_json`]) is JSON.
//!
//! ```no_run
//! use std::time::Duration;
//! use algorithmia_client::{Client, Error};
//! use serde_json::json;
//!
//! # async fn run() -> Result<(), Error> {
//! let client = Client::builder()
//!     .base_url("http://127.0.0.1:9000")
//!     .api_key("simYourApiKey")
//!     .build()?;
//!
//! // Text in, text out.
//! let hello = client.algo("demo/Hello/0.1.*").pipe("world").await?;
//! assert_eq!(hello.as_text(), Some("Hello world"));
//!
//! // Typed JSON in and out, with a server-side timeout the HTTP request follows.
//! #[derive(serde::Deserialize)]
//! struct Delayed { done: bool }
//! let delayed: Delayed = client
//!     .algo("util/Delay")
//!     .timeout(Duration::from_secs(5))
//!     .pipe(json!({"ms": 10, "result": {"done": true}}))
//!     .await?
//!     .decode()?;
//! assert!(delayed.done);
//!
//! // Bytes in; the algorithm's failure is a typed error with its metadata.
//! match client.algo("util/Fail").pipe(vec![0u8, 1, 2]).await {
//!     Err(Error::Algorithm(e)) => eprintln!("{}: {}", e.error_type.as_deref().unwrap_or("?"), e.message),
//!     other => println!("{other:?}"),
//! }
//! # Ok(()) }
//! ```
//!
//! # Output modes
//!
//! [`Algorithm::output`] switches the handle to [`Raw`] (the bare result, no envelope) or
//! [`Void`] (return at once with a request id); the mode fixes what `pipe` returns.
//!
//! # Errors, retries, timeouts
//!
//! One [`Error`] enum tells an algorithm's failure ([`Error::Algorithm`]) from the platform's
//! ([`Error::Api`]), the network's ([`Error::Transport`], with [`Error::is_timeout`]) and
//! mistakes caught before sending. Algorithm calls are retried only when they cannot have run
//! (connection refused, 429, 503); see [`RetryPolicy`]. There is no client-wide timeout: each
//! call's HTTP timeout is its algorithm timeout plus a margin.
//!
//! # Connections
//!
//! Requests go through reqwest, with rustls (the platform's trust store, plus any root added
//! with [`ClientBuilder::add_root_certificate_pem`]) and HTTP/2 where an HTTPS server offers
//! it. Algorithm calls to a plain `http://` server reached without a proxy (an
//! `algorithmia-local` on the same host or network) take a shorter path: kept-alive HTTP/1.1
//! connections of the client's own, with each call's head pre-built, about 1.5 times the calls
//! per second of the general path on one core. Both paths share the checks, retry rules, errors
//! and decoding.
//!
//! # Managing algorithms
//!
//! The [`manage`] module covers the management API: [`Client::algorithm`] returns a handle to
//! create, update, compile, publish and delete an algorithm, list its versions and builds (as
//! lazy paged streams), wait for a build, read its logs and manage its secrets; the client also
//! lists languages and environments, downloads templates, reads users and organisations, and
//! reports insights.
//!
//! ```no_run
//! use algorithmia_client::manage::{Publish, VersionType};
//!
//! # async fn run(client: algorithmia_client::Client) -> Result<(), algorithmia_client::Error> {
//! let algo = client.algorithm("demo/Hello");
//! if algo.exists().await? {
//!     algo.compile().await?;
//!     algo.publish(Publish::new(VersionType::Revision)).await?;
//! }
//! # Ok(()) }
//! ```
//!
//! # Profiles
//!
//! [`Client::from_profile`] reads a profile of the official CLI's config file
//! (`~/.algorithmia/config`); the [`profile`] module reads and writes that file.
//!
//! # Features
//!
#![cfg_attr(
    feature = "blocking",
    doc = "- `blocking`: [`blocking::Client`], the same API without async."
)]
#![cfg_attr(
    not(feature = "blocking"),
    doc = "- `blocking`: `blocking::Client`, the same API without async."
)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

mod algo;
mod algo_ref;
mod auth;
#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub mod blocking;
mod client;
pub mod data;
mod data_uri;
mod direct;
mod error;
mod input;
pub mod manage;
pub mod profile;
mod request;
mod response;
mod retry;
pub mod wire;

pub use algo::{Algorithm, Envelope, OutputMode, Raw, Void};
pub use algo_ref::{AlgoRef, AlgoRefError, IntoAlgoRef, Version};
pub use auth::{ApiKey, Auth};
pub use client::{
    Client, ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_DATA_TIMEOUT, DEFAULT_TIMEOUT_MARGIN,
};
pub use data::{
    DataAcl, DataDir, DataEntry, DataFile, DataUri, DataUriError, DirEntry, FileEntry,
    FileMetadata, IntoDataUri, Progress, TransferFailure, TransferOptions, TransferReport,
};
pub use error::{
    AlgorithmError, ApiError, BoxError, DecodeError, Error, Result, TransportError, TransportKind,
};
pub use input::AlgoInput;
pub use response::{AlgoOutput, AlgoResponse, AsyncResponse, RawResponse};
pub use retry::RetryPolicy;
pub use wire::{AsyncProtocol, ContentType, Metadata};

const _: () = {
    const fn assert_send_sync_clone<T: Send + Sync + Clone>() {}
    assert_send_sync_clone::<Client>();
    assert_send_sync_clone::<Algorithm>();
    assert_send_sync_clone::<Algorithm<Raw>>();
    assert_send_sync_clone::<manage::Algorithm>();
    assert_send_sync_clone::<manage::Secrets>();
};
