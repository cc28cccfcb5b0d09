//! `DataApi`: the data operations, acting as one caller, for the HTTP routes and for hosted
//! algorithms alike.

use std::io;
use std::sync::Arc;
use std::time::SystemTime;

use algorithmia_client::DataUri;
use algorithmia_client::wire::AclWire;
use bytes::Bytes;
use futures_util::TryStreamExt;

use super::DataError;
use super::acl::Acl;
use super::place::{Identity, Place, Target};
use super::storage::Storage;
use super::store::{ByteStream, Entry, Kind, StoreError};

/// One entry of a listing, for algorithms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataEntry {
    /// The entry's name.
    pub name: String,
    /// `None` for a directory, the size in bytes for a file.
    pub size: Option<u64>,
    /// Last modification, for files.
    pub modified: Option<SystemTime>,
}

/// The server's data API, used in-process by hosted algorithms (through
/// [`Context::data`](crate::Context::data)) and by the HTTP routes alike.
///
/// It acts as one caller: `.my` is that caller, and ACLs are checked for them; when it runs on
/// behalf of an algorithm, collections shared with "my algorithms" of that algorithm's owner are
/// readable too.
#[derive(Clone)]
pub struct DataApi {
    storage: Arc<Storage>,
    identity: Identity,
}

impl std::fmt::Debug for DataApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataApi")
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

impl DataApi {
    pub(crate) fn new(
        storage: Arc<Storage>,
        user: String,
        algorithm: Option<(String, String)>,
    ) -> Self {
        DataApi {
            storage,
            identity: Identity { user, algorithm },
        }
    }

    /// The acting user.
    pub fn user(&self) -> &str {
        &self.identity.user
    }

    /// Resolve a URI to its place and store, as this caller sees it.
    pub(crate) fn resolve(&self, uri: &DataUri) -> Result<Target, DataError> {
        self.identity.resolve(&self.storage, uri)
    }

    pub(crate) async fn stat(&self, target: &Target) -> Result<Option<Kind>, DataError> {
        self.identity.check_read(&self.storage, target).await?;
        match &target.place {
            Place::DataRoot | Place::OwnerRoot { .. } => Ok(Some(Kind::Dir)),
            _ => target
                .store
                .stat(&target.path)
                .await
                .map_err(|e| DataError::from_store(&target.uri, e)),
        }
    }

    /// Open a file for streaming.
    pub(crate) async fn open(&self, target: &Target) -> Result<(ByteStream, Kind), DataError> {
        self.identity.check_read(&self.storage, target).await?;
        target
            .store
            .read(&target.path)
            .await
            .map_err(|e| DataError::from_store(&target.uri, e))
    }

    /// Write a file from a stream, atomically.
    pub(crate) async fn write_stream<S>(&self, target: &Target, body: S) -> Result<u64, DataError>
    where
        S: futures_util::Stream<Item = io::Result<Bytes>> + Send + Unpin,
    {
        self.identity.check_write(target)?;
        match &target.place {
            Place::OwnerRoot { .. } | Place::DataRoot => {
                return Err(DataError::IsADirectory(target.uri.to_string()));
            }
            Place::Hosted { rest, .. } if rest.is_empty() => {
                return Err(DataError::IsADirectory(target.uri.to_string()));
            }
            Place::Hosted {
                owner, collection, ..
            } => {
                let collection_uri = format!("data://{owner}/{collection}");
                match self
                    .storage
                    .data
                    .stat(&format!("{owner}/{collection}"))
                    .await
                {
                    Ok(Some(Kind::Dir)) => {}
                    Ok(_) => return Err(DataError::NotFound(collection_uri)),
                    Err(e) => return Err(DataError::from_store(&target.uri, e)),
                }
            }
            Place::Connector if target.uri.segments().count() < 2 => {
                return Err(DataError::Invalid(format!(
                    "{}: a file needs a path below the connector's top level",
                    target.uri
                )));
            }
            _ => {}
        }
        target
            .store
            .write(&target.path, body, self.storage.limits)
            .await
            .map_err(|e| DataError::from_store(&target.uri, e))
    }

    /// List a directory (all entries; paging is the caller's). Owner roots list only the
    /// collections the caller may read.
    pub(crate) async fn list_entries(&self, target: &Target) -> Result<Vec<Entry>, DataError> {
        self.identity.check_read(&self.storage, target).await?;
        match &target.place {
            Place::DataRoot => Ok(vec![Entry {
                name: self.identity.user.clone(),
                kind: Kind::Dir,
            }]),
            Place::OwnerRoot { owner } => {
                let entries = match self.storage.data.list(owner).await {
                    Ok(entries) => entries,
                    Err(StoreError::NotFound) => Vec::new(),
                    Err(e) => return Err(DataError::from_store(&target.uri, e)),
                };
                let mut readable = Vec::new();
                for entry in entries.into_iter().filter(|e| e.kind == Kind::Dir) {
                    let place = Place::Hosted {
                        owner: owner.clone(),
                        collection: entry.name.clone(),
                        rest: String::new(),
                    };
                    let probe = Target {
                        place,
                        ..target.clone()
                    };
                    if self
                        .identity
                        .check_read(&self.storage, &probe)
                        .await
                        .is_ok()
                    {
                        readable.push(entry);
                    }
                }
                Ok(readable)
            }
            _ => target
                .store
                .list(&target.path)
                .await
                .map_err(|e| DataError::from_store(&target.uri, e)),
        }
    }

    /// The ACL of a collection.
    pub(crate) async fn acl(&self, target: &Target) -> Result<Option<Acl>, DataError> {
        match &target.place {
            Place::Hosted {
                owner,
                collection,
                rest,
            } if rest.is_empty() => Ok(Some(self.storage.acls.read(owner, collection).await?)),
            _ => Ok(None),
        }
    }

    /// Create the directory `name` inside `parent`. A new collection gets `acl` (default: my
    /// algorithms may read). Returns the new directory's URI.
    pub(crate) async fn create_dir(
        &self,
        parent: &Target,
        name: &str,
        acl: Option<&AclWire>,
    ) -> Result<DataUri, DataError> {
        let uri = parent
            .uri
            .join(name)
            .map_err(|e| DataError::Invalid(e.to_string()))?;
        if name.contains('/') {
            return Err(DataError::Invalid(format!(
                "directory name {name:?} contains `/`"
            )));
        }
        let target = self.resolve(&uri)?;
        self.identity.check_write(&target)?;
        let acl = acl.map(Acl::from_wire).transpose()?;
        let store_error = |e| DataError::from_store(&uri, e);
        match &target.place {
            Place::Hosted {
                owner,
                collection,
                rest,
            } if rest.is_empty() => {
                create_new_dir(&target).await?;
                let written = self
                    .storage
                    .acls
                    .write(owner, collection, &acl.unwrap_or(Acl::MyAlgorithms))
                    .await;
                if let Err(e) = written {
                    // A collection without its ACL is not created.
                    let _ = target.store.delete_dir(&target.path, false).await;
                    return Err(e);
                }
            }
            Place::Hosted { .. } => {
                match self.stat(parent).await? {
                    Some(Kind::Dir) => {}
                    Some(_) => return Err(DataError::NotADirectory(parent.uri.to_string())),
                    None => return Err(DataError::NotFound(parent.uri.to_string())),
                }
                target
                    .store
                    .create_dir(&target.path)
                    .await
                    .map_err(store_error)?;
            }
            Place::Connector if uri.segments().count() < 2 && uri.connector_type() == "s3" => {
                return Err(DataError::Invalid(format!(
                    "{uri}: buckets cannot be created through the data API"
                )));
            }
            Place::Connector | Place::Area => {
                create_new_dir(&target).await?;
            }
            Place::DataRoot | Place::OwnerRoot { .. } => {
                return Err(DataError::Invalid(format!("{uri} cannot be created")));
            }
        }
        Ok(uri)
    }

    /// Replace a collection's ACL.
    pub(crate) async fn update_acl(&self, target: &Target, acl: &AclWire) -> Result<(), DataError> {
        let Place::Hosted {
            owner,
            collection,
            rest,
        } = &target.place
        else {
            return Err(DataError::Invalid(format!(
                "{}: ACLs exist only on hosted data collections (data://owner/collection)",
                target.uri
            )));
        };
        if !rest.is_empty() {
            return Err(DataError::Invalid(format!(
                "{}: ACLs are set on the collection data://{owner}/{collection}",
                target.uri
            )));
        }
        self.identity.check_write(target)?;
        let acl = Acl::from_wire(acl)?;
        if self
            .storage
            .data
            .stat(&target.path)
            .await
            .map_err(|e| DataError::from_store(&target.uri, e))?
            != Some(Kind::Dir)
        {
            return Err(DataError::NotFound(target.uri.to_string()));
        }
        self.storage.acls.write(owner, collection, &acl).await
    }

    /// Delete a file (1) or a directory (its file count; non-empty ones only with `force`).
    pub(crate) async fn delete(&self, target: &Target, force: bool) -> Result<u64, DataError> {
        self.identity.check_write(target)?;
        if matches!(target.place, Place::DataRoot | Place::OwnerRoot { .. })
            || target.path.is_empty()
        {
            return Err(DataError::Invalid(format!(
                "{} cannot be deleted",
                target.uri
            )));
        }
        let store_error = |e| DataError::from_store(&target.uri, e);
        let deleted = match target.store.stat(&target.path).await.map_err(store_error)? {
            None => return Err(DataError::NotFound(target.uri.to_string())),
            Some(Kind::File { .. }) => {
                target
                    .store
                    .delete_file(&target.path)
                    .await
                    .map_err(store_error)?;
                1
            }
            Some(Kind::Dir) => target
                .store
                .delete_dir(&target.path, force)
                .await
                .map_err(store_error)?,
        };
        if let Place::Hosted {
            owner,
            collection,
            rest,
        } = &target.place
            && rest.is_empty()
        {
            self.storage.acls.remove(owner, collection).await;
        }
        Ok(deleted)
    }

    fn parse(&self, uri: &str) -> Result<Target, DataError> {
        let uri: DataUri = uri
            .parse()
            .map_err(|e: algorithmia_client::DataUriError| DataError::Invalid(e.to_string()))?;
        self.resolve(&uri)
    }

    /// Read a whole file.
    pub async fn read(&self, uri: &str) -> Result<Bytes, DataError> {
        let target = self.parse(uri)?;
        let (stream, _) = self.open(&target).await?;
        let chunks: Vec<Bytes> = stream.try_collect().await.map_err(|e| DataError::Storage {
            uri: target.uri.to_string(),
            detail: e.to_string(),
        })?;
        Ok(Bytes::from(chunks.concat()))
    }

    /// Write a whole file, replacing what was there. Returns its URI.
    pub async fn write(&self, uri: &str, contents: impl Into<Bytes>) -> Result<DataUri, DataError> {
        let target = self.parse(uri)?;
        let body = futures_util::stream::iter([Ok::<_, io::Error>(contents.into())]);
        self.write_stream(&target, body).await?;
        Ok(target.uri)
    }

    /// Whether a file or directory exists (and may be read).
    pub async fn exists(&self, uri: &str) -> Result<bool, DataError> {
        let target = self.parse(uri)?;
        Ok(self.stat(&target).await?.is_some())
    }

    /// Delete a file, or a directory with everything in it. Returns how many files went.
    pub async fn delete_all(&self, uri: &str) -> Result<u64, DataError> {
        let target = self.parse(uri)?;
        self.delete(&target, true).await
    }

    /// List a directory.
    pub async fn list(&self, uri: &str) -> Result<Vec<DataEntry>, DataError> {
        let target = self.parse(uri)?;
        Ok(self
            .list_entries(&target)
            .await?
            .into_iter()
            .map(|e| match e.kind {
                Kind::Dir => DataEntry {
                    name: e.name,
                    size: None,
                    modified: None,
                },
                Kind::File { size, modified } => DataEntry {
                    name: e.name,
                    size: Some(size),
                    modified,
                },
            })
            .collect())
    }
}

/// Create a directory that must not exist yet.
async fn create_new_dir(target: &Target) -> Result<(), DataError> {
    let store_error = |e| DataError::from_store(&target.uri, e);
    if target
        .store
        .stat(&target.path)
        .await
        .map_err(store_error)?
        .is_some()
    {
        return Err(DataError::AlreadyExists(target.uri.to_string()));
    }
    target
        .store
        .create_dir(&target.path)
        .await
        .map_err(store_error)
}
