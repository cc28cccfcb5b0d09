//! Where data lives: a directory on disk, or an S3-compatible bucket through `object_store`.
//!
//! Paths given to a store are validated relative paths (segments without `.`, `..`, `/`, NUL or
//! backslash; see [`algorithmia_client::DataUri`]), so joining them to a root cannot escape it.

mod fs;
mod object;

use std::io;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};

pub(crate) use fs::FsStore;
pub(crate) use object::{ObjectBackend, S3Credentials};

/// A stream of file contents.
pub(crate) type ByteStream = BoxStream<'static, io::Result<Bytes>>;

/// What a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    File {
        size: u64,
        modified: Option<SystemTime>,
    },
    Dir,
}

/// One entry of a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) name: String,
    pub(crate) kind: Kind,
}

/// What can go wrong in a store.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("already exists")]
    AlreadyExists,
    #[error("the directory is not empty")]
    NotEmpty,
    #[error("is a directory")]
    IsADirectory,
    #[error("a parent is a file, not a directory")]
    NotADirectory,
    #[error("the body is larger than the limit of {0} bytes")]
    TooLarge(u64),
    #[error("the upload stalled for more than {0:?}")]
    Stalled(Duration),
    #[error("the upload broke off: {0}")]
    BodyBroken(String),
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("the storage refused access: {0}")]
    PermissionDenied(String),
    #[error("storage backend: {0}")]
    Backend(String),
}

/// Limits on one upload.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UploadLimits {
    pub(crate) max_bytes: u64,
    pub(crate) idle_timeout: Duration,
}

/// Read the next chunk of an upload within the limits.
async fn next_chunk<S>(
    body: &mut S,
    written: u64,
    limits: UploadLimits,
) -> Result<Option<Bytes>, StoreError>
where
    S: Stream<Item = io::Result<Bytes>> + Unpin,
{
    match tokio::time::timeout(limits.idle_timeout, body.next()).await {
        Err(_) => Err(StoreError::Stalled(limits.idle_timeout)),
        Ok(None) => Ok(None),
        Ok(Some(Err(e))) => Err(StoreError::BodyBroken(e.to_string())),
        Ok(Some(Ok(chunk))) => {
            if written + chunk.len() as u64 > limits.max_bytes {
                return Err(StoreError::TooLarge(limits.max_bytes));
            }
            Ok(Some(chunk))
        }
    }
}

/// A store behind one connector.
#[derive(Clone, Debug)]
pub(crate) enum Store {
    Fs(FsStore),
    Object(ObjectBackend),
}

impl Store {
    pub(crate) async fn stat(&self, path: &str) -> Result<Option<Kind>, StoreError> {
        match self {
            Store::Fs(s) => s.stat(path).await,
            Store::Object(s) => s.stat(path).await,
        }
    }

    pub(crate) async fn read(&self, path: &str) -> Result<(ByteStream, Kind), StoreError> {
        match self {
            Store::Fs(s) => s.read(path).await,
            Store::Object(s) => s.read(path).await,
        }
    }

    /// Write a file from a stream. Nothing is visible at `path` until the whole body arrived.
    pub(crate) async fn write<S>(
        &self,
        path: &str,
        body: S,
        limits: UploadLimits,
    ) -> Result<u64, StoreError>
    where
        S: Stream<Item = io::Result<Bytes>> + Send + Unpin,
    {
        match self {
            Store::Fs(s) => s.write(path, body, limits).await,
            Store::Object(s) => s.write(path, body, limits).await,
        }
    }

    pub(crate) async fn list(&self, path: &str) -> Result<Vec<Entry>, StoreError> {
        let mut entries = match self {
            Store::Fs(s) => s.list(path).await?,
            Store::Object(s) => s.list(path).await?,
        };
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    pub(crate) async fn create_dir(&self, path: &str) -> Result<(), StoreError> {
        match self {
            Store::Fs(s) => s.create_dir(path).await,
            Store::Object(s) => s.create_dir(path).await,
        }
    }

    pub(crate) async fn delete_file(&self, path: &str) -> Result<(), StoreError> {
        match self {
            Store::Fs(s) => s.delete_file(path).await,
            Store::Object(s) => s.delete_file(path).await,
        }
    }

    /// Delete a directory; without `force` only an empty one. Returns how many files went.
    pub(crate) async fn delete_dir(&self, path: &str, force: bool) -> Result<u64, StoreError> {
        match self {
            Store::Fs(s) => s.delete_dir(path, force).await,
            Store::Object(s) => s.delete_dir(path, force).await,
        }
    }
}
