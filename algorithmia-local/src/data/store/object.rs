//! A store that is an S3-compatible endpoint, through `object_store`; the first path segment
//! is the bucket.

use std::io;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use object_store::{ObjectStore, ObjectStoreExt, buffered::BufWriter};
use tokio::io::AsyncWriteExt;

use super::{ByteStream, Entry, Kind, StoreError, UploadLimits, next_chunk};

/// Name of the empty object that stands for a created directory in a bucket (S3 has no
/// directories; listings hide it).
const FOLDER_MARKER: &str = ".algorithmia-folder";

/// Credentials for an S3-compatible endpoint. Never printed.
#[derive(Clone)]
pub(crate) struct S3Credentials {
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: String,
}

/// An S3-compatible endpoint, with one `object_store` client per bucket.
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

    pub(super) async fn stat(&self, path: &str) -> Result<Option<Kind>, StoreError> {
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

    pub(super) async fn read(&self, path: &str) -> Result<(ByteStream, Kind), StoreError> {
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

    pub(super) async fn write<S>(
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

    pub(super) async fn list(&self, path: &str) -> Result<Vec<Entry>, StoreError> {
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

    pub(super) async fn create_dir(&self, path: &str) -> Result<(), StoreError> {
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

    pub(super) async fn delete_file(&self, path: &str) -> Result<(), StoreError> {
        let (store, key) = self.locate(path)?;
        store.head(&key).await.map_err(backend_error)?;
        store.delete(&key).await.map_err(backend_error)
    }

    pub(super) async fn delete_dir(&self, path: &str, force: bool) -> Result<u64, StoreError> {
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
