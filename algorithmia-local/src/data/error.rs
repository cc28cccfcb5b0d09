//! `DataError`: what the data API reports, from its own checks and from a store's failures.

use std::io;

use algorithmia_client::DataUri;

use super::store::StoreError;
use crate::error::AlgoError;

/// An error of the data API, in-process or over HTTP.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The URI or request is malformed.
    #[error("{0}")]
    Invalid(String),
    /// Nothing is at the URI.
    #[error("{0} not found")]
    NotFound(String),
    /// The caller may not do this.
    #[error("{0}")]
    PermissionDenied(String),
    /// Something is already at the URI.
    #[error("{0} already exists")]
    AlreadyExists(String),
    /// A directory is not empty and `force` was not given.
    #[error("{0} is not empty; delete it with force=true")]
    NotEmpty(String),
    /// A file was expected but the URI is a directory.
    #[error("{0} is a directory")]
    IsADirectory(String),
    /// A directory was expected but the URI (or a parent) is a file.
    #[error("{0} is not a directory")]
    NotADirectory(String),
    /// An upload is larger than allowed.
    #[error("the upload to {uri} is larger than the limit of {limit} bytes")]
    TooLarge {
        /// Where it was going.
        uri: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// An upload stopped sending.
    #[error("the upload to {0} stalled")]
    Stalled(String),
    /// An upload broke off.
    #[error("the upload to {0} broke off")]
    Broken(String),
    /// The storage behind the URI failed.
    #[error("storage failure on {uri}: {detail}")]
    Storage {
        /// The URI.
        uri: String,
        /// What the storage said.
        detail: String,
    },
}

impl DataError {
    /// A store's failure on `uri`, said in the API's terms.
    pub(super) fn from_store(uri: &DataUri, e: StoreError) -> Self {
        let u = uri.to_string();
        match e {
            StoreError::NotFound => DataError::NotFound(u),
            StoreError::AlreadyExists => DataError::AlreadyExists(u),
            StoreError::NotEmpty => DataError::NotEmpty(u),
            StoreError::IsADirectory => DataError::IsADirectory(u),
            StoreError::NotADirectory => DataError::NotADirectory(u),
            StoreError::TooLarge(limit) => DataError::TooLarge { uri: u, limit },
            StoreError::Stalled(_) => DataError::Stalled(u),
            StoreError::BodyBroken(_) => DataError::Broken(u),
            // ENAMETOOLONG: a name longer than the file system takes is the caller's doing.
            StoreError::Io(e) if e.kind() == io::ErrorKind::InvalidFilename => {
                DataError::Invalid(format!("{u}: a name is too long for this store"))
            }
            StoreError::Io(e) => DataError::Storage {
                uri: u,
                detail: e.to_string(),
            },
            StoreError::PermissionDenied(detail) => {
                DataError::PermissionDenied(format!("{u}: {detail}"))
            }
            StoreError::Backend(detail) => DataError::Storage { uri: u, detail },
        }
    }
}

/// Inside an algorithm, `?` on a data call raises the algorithm error a caller expects.
impl From<DataError> for AlgoError {
    fn from(e: DataError) -> Self {
        let error_type = match e {
            DataError::NotFound(_) => "EntityNotFoundError",
            DataError::Invalid(_) | DataError::IsADirectory(_) | DataError::NotADirectory(_) => {
                "InputError"
            }
            DataError::TooLarge { .. } => "TooLargeError",
            _ => "AlgorithmError",
        };
        AlgoError::with_type(error_type, e.to_string())
    }
}
