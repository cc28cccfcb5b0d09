//! Starting a server: the builder's settings, the state they make, the thread and connection
//! loop that serve it, and the handle that stops it.

mod builder;
mod handle;
mod serve;
mod setup;

use std::net::SocketAddr;
use std::path::PathBuf;

pub use builder::{DEFAULT_HEADER_READ_TIMEOUT, LocalServer, LocalServerBuilder};
pub use handle::ServerHandle;

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The address could not be bound.
    #[error("could not listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The data directory could not be prepared.
    #[error("could not prepare the data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The state database could not be opened or migrated (for one, it was written by a newer
    /// server).
    #[error("could not open the state database {path}: {message}")]
    Database {
        /// The database file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// An option is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The server's runtime could not start.
    #[error("could not start the server runtime: {0}")]
    Runtime(#[source] std::io::Error),
}
