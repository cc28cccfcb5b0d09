//! A store that is a directory tree on the local disk.

use std::io;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::io::AsyncWriteExt;

use super::{ByteStream, Entry, Kind, StoreError, UploadLimits, next_chunk};

/// A directory tree on the local disk.
#[derive(Clone, Debug)]
pub(crate) struct FsStore {
    root: PathBuf,
    /// Where uploads are written before they are renamed into place (same file system).
    tmp: PathBuf,
}

fn not_found_as(e: io::Error) -> StoreError {
    match e.kind() {
        io::ErrorKind::NotFound => StoreError::NotFound,
        io::ErrorKind::NotADirectory => StoreError::NotADirectory,
        io::ErrorKind::IsADirectory => StoreError::IsADirectory,
        io::ErrorKind::DirectoryNotEmpty => StoreError::NotEmpty,
        io::ErrorKind::AlreadyExists => StoreError::AlreadyExists,
        _ => StoreError::Io(e),
    }
}

impl FsStore {
    pub(crate) fn new(root: PathBuf, tmp: PathBuf) -> Self {
        FsStore { root, tmp }
    }

    fn full(&self, path: &str) -> PathBuf {
        let mut full = self.root.clone();
        full.extend(path.split('/').filter(|s| !s.is_empty()));
        full
    }

    pub(super) async fn stat(&self, path: &str) -> Result<Option<Kind>, StoreError> {
        match tokio::fs::metadata(self.full(path)).await {
            Ok(m) if m.is_dir() => Ok(Some(Kind::Dir)),
            Ok(m) => Ok(Some(Kind::File {
                size: m.len(),
                modified: m.modified().ok(),
            })),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    pub(super) async fn read(&self, path: &str) -> Result<(ByteStream, Kind), StoreError> {
        let file = tokio::fs::File::open(self.full(path))
            .await
            .map_err(not_found_as)?;
        let meta = file.metadata().await?;
        if meta.is_dir() {
            return Err(StoreError::IsADirectory);
        }
        let kind = Kind::File {
            size: meta.len(),
            modified: meta.modified().ok(),
        };
        let stream = tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024).boxed();
        Ok((stream, kind))
    }

    pub(super) async fn write<S>(
        &self,
        path: &str,
        mut body: S,
        limits: UploadLimits,
    ) -> Result<u64, StoreError>
    where
        S: Stream<Item = io::Result<Bytes>> + Send + Unpin,
    {
        let target = self.full(path);
        if let Some(parent) = target.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(not_found_as)?;
        }
        if tokio::fs::metadata(&target).await.is_ok_and(|m| m.is_dir()) {
            return Err(StoreError::IsADirectory);
        }
        tokio::fs::create_dir_all(&self.tmp).await?;
        let temp = self.tmp.join(format!("upload-{}", uuid::Uuid::new_v4()));
        // The temporary file is removed on every path out of here except the rename.
        let guard = TempGuard(Some(temp.clone()));
        let mut file = tokio::fs::File::create(&temp).await?;
        let mut written = 0u64;
        while let Some(chunk) = next_chunk(&mut body, written, limits).await? {
            file.write_all(&chunk).await?;
            written += chunk.len() as u64;
        }
        file.flush().await?;
        file.sync_all().await?;
        drop(file);
        tokio::fs::rename(&temp, &target)
            .await
            .map_err(not_found_as)?;
        guard.defuse();
        Ok(written)
    }

    pub(super) async fn list(&self, path: &str) -> Result<Vec<Entry>, StoreError> {
        let mut dir = tokio::fs::read_dir(self.full(path))
            .await
            .map_err(not_found_as)?;
        let mut entries = Vec::new();
        while let Some(entry) = dir.next_entry().await? {
            let Ok(name) = entry.file_name().into_string() else {
                continue; // not UTF-8: not created through the API
            };
            let meta = entry.metadata().await?;
            let kind = if meta.is_dir() {
                Kind::Dir
            } else {
                Kind::File {
                    size: meta.len(),
                    modified: meta.modified().ok(),
                }
            };
            entries.push(Entry { name, kind });
        }
        Ok(entries)
    }

    /// Create a directory and any missing parents (callers check parents where the API
    /// requires them); an existing directory is `AlreadyExists`.
    pub(super) async fn create_dir(&self, path: &str) -> Result<(), StoreError> {
        let full = self.full(path);
        if let Some(parent) = full.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(not_found_as)?;
        }
        tokio::fs::create_dir(full).await.map_err(not_found_as)
    }

    pub(super) async fn delete_file(&self, path: &str) -> Result<(), StoreError> {
        let full = self.full(path);
        if tokio::fs::metadata(&full)
            .await
            .map_err(not_found_as)?
            .is_dir()
        {
            return Err(StoreError::IsADirectory);
        }
        tokio::fs::remove_file(full).await.map_err(not_found_as)
    }

    pub(super) async fn delete_dir(&self, path: &str, force: bool) -> Result<u64, StoreError> {
        let full = self.full(path);
        let meta = tokio::fs::metadata(&full).await.map_err(not_found_as)?;
        if !meta.is_dir() {
            return Err(StoreError::NotADirectory);
        }
        let files = count_files(&full).await?;
        if !force {
            let mut dir = tokio::fs::read_dir(&full).await?;
            if dir.next_entry().await?.is_some() {
                return Err(StoreError::NotEmpty);
            }
        }
        tokio::fs::remove_dir_all(&full)
            .await
            .map_err(not_found_as)?;
        Ok(files)
    }
}

/// Count the files below a directory, iteratively.
async fn count_files(root: &Path) -> io::Result<u64> {
    let mut pending = vec![root.to_path_buf()];
    let mut count = 0;
    while let Some(dir) = pending.pop() {
        let mut entries = tokio::fs::read_dir(&dir).await?;
        while let Some(entry) = entries.next_entry().await? {
            if entry.file_type().await?.is_dir() {
                pending.push(entry.path());
            } else {
                count += 1;
            }
        }
    }
    Ok(count)
}

/// Removes a temporary upload file unless defused.
struct TempGuard(Option<PathBuf>);

impl TempGuard {
    fn defuse(mut self) {
        self.0 = None;
    }
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            // Synchronous on purpose: it runs on error paths and on cancellation, where no
            // executor may be left to run an async removal.
            let _ = std::fs::remove_file(path);
        }
    }
}
