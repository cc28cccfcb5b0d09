//! Where data lives: a directory on disk, or an S3-compatible bucket through `object_store`.
//!
//! Paths given to a store are validated relative paths (segments without `.`, `..`, `/`, NUL or
//! backslash; see [`algorithmia_client::DataUri`]), so joining them to a root cannot escape it.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt, TryStreamExt};
use object_store::{ObjectStore, ObjectStoreExt, buffered::BufWriter};
use tokio::io::AsyncWriteExt;

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

    async fn stat(&self, path: &str) -> Result<Option<Kind>, StoreError> {
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

    async fn read(&self, path: &str) -> Result<(ByteStream, Kind), StoreError> {
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

    async fn write<S>(
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

    async fn list(&self, path: &str) -> Result<Vec<Entry>, StoreError> {
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
    async fn create_dir(&self, path: &str) -> Result<(), StoreError> {
        let full = self.full(path);
        if let Some(parent) = full.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(not_found_as)?;
        }
        tokio::fs::create_dir(full).await.map_err(not_found_as)
    }

    async fn delete_file(&self, path: &str) -> Result<(), StoreError> {
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

    async fn delete_dir(&self, path: &str, force: bool) -> Result<u64, StoreError> {
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

/// Name of the empty object that stands for a created directory in a bucket (S3 has no
/// directories; listings hide it).
pub(crate) const FOLDER_MARKER: &str = ".algorithmia-folder";

/// An S3-compatible endpoint. The first path segment is the bucket.
/// Credentials for an S3-compatible endpoint. Never printed.
#[derive(Clone)]
pub(crate) struct S3Credentials {
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: String,
}

#[derive(Clone)]
pub(crate) struct ObjectBackend {
    endpoint: String,
    credentials: Option<S3Credentials>,
    stores: Arc<std::sync::Mutex<std::collections::HashMap<String, Arc<dyn ObjectStore>>>>,
}

impl std::fmt::Debug for ObjectBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectBackend")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

fn backend_error(e: object_store::Error) -> StoreError {
    match &e {
        object_store::Error::NotFound { .. } => StoreError::NotFound,
        object_store::Error::AlreadyExists { .. } => StoreError::AlreadyExists,
        object_store::Error::PermissionDenied { .. }
        | object_store::Error::Unauthenticated { .. } => {
            StoreError::PermissionDenied(e.to_string())
        }
        // object_store reports a missing bucket only as a generic error with S3's code in it.
        _ if e.to_string().contains("<Code>NoSuchBucket</Code>") => StoreError::NotFound,
        _ => StoreError::Backend(e.to_string()),
    }
}

impl ObjectBackend {
    /// A backend for `endpoint` (e.g. `http://127.0.0.1:5000`), with the given credentials or
    /// else those of the usual AWS environment variables; the region from the environment or
    /// `us-east-1`.
    pub(crate) fn new(endpoint: &str, credentials: Option<S3Credentials>) -> Self {
        ObjectBackend {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            credentials,
            stores: Arc::default(),
        }
    }

    fn bucket(&self, bucket: &str) -> Result<Arc<dyn ObjectStore>, StoreError> {
        let mut stores = self
            .stores
            .lock()
            .map_err(|_| StoreError::Backend("store cache poisoned".into()))?;
        if let Some(store) = stores.get(bucket) {
            return Ok(Arc::clone(store));
        }
        let mut builder = object_store::aws::AmazonS3Builder::from_env()
            .with_endpoint(&self.endpoint)
            .with_allow_http(true)
            .with_virtual_hosted_style_request(false)
            .with_bucket_name(bucket);
        if std::env::var_os("AWS_REGION").is_none()
            && std::env::var_os("AWS_DEFAULT_REGION").is_none()
        {
            builder = builder.with_region("us-east-1");
        }
        if let Some(credentials) = &self.credentials {
            builder = builder
                .with_access_key_id(&credentials.access_key_id)
                .with_secret_access_key(&credentials.secret_access_key);
        } else if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            builder = builder.with_skip_signature(true);
        }
        let store: Arc<dyn ObjectStore> = Arc::new(
            builder
                .build()
                .map_err(|e| StoreError::Backend(e.to_string()))?,
        );
        stores.insert(bucket.to_owned(), Arc::clone(&store));
        Ok(store)
    }

    /// Split `bucket/key...` into the bucket's store and the key.
    fn locate(
        &self,
        path: &str,
    ) -> Result<(Arc<dyn ObjectStore>, object_store::path::Path), StoreError> {
        let mut parts = path.split('/').filter(|s| !s.is_empty());
        let bucket = parts.next().ok_or(StoreError::IsADirectory)?;
        let key: object_store::path::Path = parts.collect();
        Ok((self.bucket(bucket)?, key))
    }

    fn child(key: &object_store::path::Path, name: &str) -> object_store::path::Path {
        key.parts().chain(std::iter::once(name.into())).collect()
    }

    async fn stat(&self, path: &str) -> Result<Option<Kind>, StoreError> {
        let (store, key) = self.locate(path)?;
        if key.as_ref().is_empty() {
            return match store.list_with_delimiter(None).await {
                Ok(_) => Ok(Some(Kind::Dir)),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(backend_error(e)),
            };
        }
        match store.head(&key).await {
            Ok(meta) => {
                return Ok(Some(Kind::File {
                    size: meta.size,
                    modified: Some(meta.last_modified.into()),
                }));
            }
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(backend_error(e)),
        }
        let listing = store
            .list_with_delimiter(Some(&key))
            .await
            .map_err(backend_error)?;
        Ok(
            (!listing.objects.is_empty() || !listing.common_prefixes.is_empty())
                .then_some(Kind::Dir),
        )
    }

    async fn read(&self, path: &str) -> Result<(ByteStream, Kind), StoreError> {
        let (store, key) = self.locate(path)?;
        let result = store.get(&key).await.map_err(backend_error)?;
        let kind = Kind::File {
            size: result.meta.size,
            modified: Some(result.meta.last_modified.into()),
        };
        let stream = result
            .into_stream()
            .map_err(|e| io::Error::other(e.to_string()))
            .boxed();
        Ok((stream, kind))
    }

    async fn write<S>(
        &self,
        path: &str,
        mut body: S,
        limits: UploadLimits,
    ) -> Result<u64, StoreError>
    where
        S: Stream<Item = io::Result<Bytes>> + Send + Unpin,
    {
        let (store, key) = self.locate(path)?;
        // BufWriter uploads small bodies with one PUT and large ones as a multipart upload, so
        // memory stays bounded; S3 makes the object visible only when the upload completes.
        let mut writer = BufWriter::new(store, key);
        let mut written = 0u64;
        loop {
            match next_chunk(&mut body, written, limits).await {
                Ok(Some(chunk)) => {
                    written += chunk.len() as u64;
                    if let Err(e) = writer.write_all(&chunk).await {
                        let _ = writer.abort().await;
                        return Err(StoreError::Backend(e.to_string()));
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(e);
                }
            }
        }
        writer
            .shutdown()
            .await
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        Ok(written)
    }

    async fn list(&self, path: &str) -> Result<Vec<Entry>, StoreError> {
        let (store, key) = self.locate(path)?;
        let prefix = (!key.as_ref().is_empty()).then_some(&key);
        let listing = store
            .list_with_delimiter(prefix)
            .await
            .map_err(backend_error)?;
        let mut entries: Vec<Entry> = listing
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_owned))
            .map(|name| Entry {
                name,
                kind: Kind::Dir,
            })
            .collect();
        entries.extend(listing.objects.iter().filter_map(|meta| {
            let name = meta.location.filename()?;
            (name != FOLDER_MARKER).then(|| Entry {
                name: name.to_owned(),
                kind: Kind::File {
                    size: meta.size,
                    modified: Some(meta.last_modified.into()),
                },
            })
        }));
        Ok(entries)
    }

    async fn create_dir(&self, path: &str) -> Result<(), StoreError> {
        let (store, key) = self.locate(path)?;
        if key.as_ref().is_empty() {
            return Err(StoreError::Backend(
                "buckets cannot be created through the data API".into(),
            ));
        }
        store
            .put(&Self::child(&key, FOLDER_MARKER), Bytes::new().into())
            .await
            .map_err(backend_error)?;
        Ok(())
    }

    async fn delete_file(&self, path: &str) -> Result<(), StoreError> {
        let (store, key) = self.locate(path)?;
        store.head(&key).await.map_err(backend_error)?;
        store.delete(&key).await.map_err(backend_error)
    }

    async fn delete_dir(&self, path: &str, force: bool) -> Result<u64, StoreError> {
        let (store, key) = self.locate(path)?;
        let prefix = (!key.as_ref().is_empty()).then_some(&key);
        let objects: Vec<object_store::ObjectMeta> = store
            .list(prefix)
            .try_collect()
            .await
            .map_err(backend_error)?;
        let files = objects
            .iter()
            .filter(|m| m.location.filename() != Some(FOLDER_MARKER))
            .count() as u64;
        if objects.is_empty() {
            return Err(StoreError::NotFound);
        }
        if files > 0 && !force {
            return Err(StoreError::NotEmpty);
        }
        for meta in objects {
            store.delete(&meta.location).await.map_err(backend_error)?;
        }
        Ok(files)
    }
}
