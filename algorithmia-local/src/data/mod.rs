//! The Data API: hosted data (`data://`), special areas (`.my`, `.session`, `.algo`) and
//! connectors, with ACLs enforced on hosted collections.

pub(crate) mod route;
pub(crate) mod store;

use std::collections::HashMap;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use algorithmia_client::DataUri;
use algorithmia_client::wire::AclWire;
use bytes::Bytes;
use futures_util::TryStreamExt;

use store::{Entry, FsStore, Kind, ObjectBackend, Store, StoreError, UploadLimits};

/// ACL value: the owner's algorithms may read (the default for new collections).
pub const ACL_MY_ALGORITHMS: &str = "algo://.my/*";
/// ACL value: any user may read.
pub const ACL_PUBLIC: &str = "user://*";

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
    fn from_store(uri: &DataUri, e: StoreError) -> Self {
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

impl From<DataError> for crate::algo::AlgoError {
    fn from(e: DataError) -> Self {
        let error_type = match e {
            DataError::NotFound(_) => "EntityNotFoundError",
            DataError::Invalid(_) | DataError::IsADirectory(_) | DataError::NotADirectory(_) => {
                "InputError"
            }
            DataError::TooLarge { .. } => "TooLargeError",
            _ => "AlgorithmError",
        };
        crate::algo::AlgoError::with_type(error_type, e.to_string())
    }
}

/// A collection's read ACL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Acl {
    Private,
    MyAlgorithms,
    Public,
}

impl Acl {
    fn from_wire(acl: &AclWire) -> Result<Acl, DataError> {
        match acl.read.first().map(String::as_str) {
            None => Ok(Acl::Private),
            Some(ACL_MY_ALGORITHMS) => Ok(Acl::MyAlgorithms),
            Some(ACL_PUBLIC) => Ok(Acl::Public),
            Some(other) => Err(DataError::Invalid(format!(
                "unsupported ACL {other:?}; use [], [\"{ACL_MY_ALGORITHMS}\"] or [\"{ACL_PUBLIC}\"]"
            ))),
        }
    }

    pub(crate) fn to_wire(&self) -> AclWire {
        let read = match self {
            Acl::Private => vec![],
            Acl::MyAlgorithms => vec![ACL_MY_ALGORITHMS.to_owned()],
            Acl::Public => vec![ACL_PUBLIC.to_owned()],
        };
        AclWire { read }
    }
}

/// Where a data URI leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Place {
    /// `data://`: lists the caller (what the Python client's `username()` reads).
    DataRoot,
    /// `data://owner`: the owner's collections.
    OwnerRoot { owner: String },
    /// `data://owner/collection[/rest]`.
    Hosted {
        owner: String,
        collection: String,
        rest: String,
    },
    /// `data://.session/...` and `data://.algo/...`: open to every authenticated user.
    Area,
    /// A connector (`s3://`, `dropbox://`, ...).
    Connector,
}

/// A resolved URI: the place, its store, and the path inside the store.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) uri: DataUri,
    pub(crate) place: Place,
    pub(crate) store: Store,
    pub(crate) path: String,
}

/// The server's storage: the data directory, local connectors, and S3-backed connectors.
#[derive(Debug)]
pub(crate) struct Storage {
    data: Store,
    connectors_root: PathBuf,
    acl_root: PathBuf,
    tmp: PathBuf,
    backed: HashMap<String, Store>,
    pub(crate) limits: UploadLimits,
}

impl Storage {
    pub(crate) fn new(
        root: PathBuf,
        backed: &[(String, String)],
        credentials: Option<store::S3Credentials>,
        limits: UploadLimits,
    ) -> io::Result<Storage> {
        let tmp = root.join(".tmp");
        for dir in ["data", "connectors", "acl", ".tmp"] {
            std::fs::create_dir_all(root.join(dir))?;
        }
        Ok(Storage {
            data: Store::Fs(FsStore::new(root.join("data"), tmp.clone())),
            connectors_root: root.join("connectors"),
            acl_root: root.join("acl"),
            tmp,
            backed: backed
                .iter()
                .map(|(name, endpoint)| {
                    let backend = ObjectBackend::new(endpoint, credentials.clone());
                    (name.clone(), Store::Object(backend))
                })
                .collect(),
            limits,
        })
    }

    fn connector(&self, name: &str) -> Store {
        self.backed.get(name).cloned().unwrap_or_else(|| {
            Store::Fs(FsStore::new(
                self.connectors_root.join(name),
                self.tmp.clone(),
            ))
        })
    }

    fn acl_path(&self, owner: &str, collection: &str) -> PathBuf {
        self.acl_root.join(owner).join(format!("{collection}.json"))
    }

    async fn read_acl(&self, owner: &str, collection: &str) -> Result<Acl, DataError> {
        match tokio::fs::read(self.acl_path(owner, collection)).await {
            Ok(bytes) => {
                let wire: AclWire =
                    serde_json::from_slice(&bytes).map_err(|e| DataError::Storage {
                        uri: format!("data://{owner}/{collection}"),
                        detail: format!("stored ACL is corrupt: {e}"),
                    })?;
                Acl::from_wire(&wire)
            }
            // No ACL file can have a name too long for the file system.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::InvalidFilename
                ) =>
            {
                Ok(Acl::MyAlgorithms)
            }
            Err(e) => Err(DataError::Storage {
                uri: format!("data://{owner}/{collection}"),
                detail: e.to_string(),
            }),
        }
    }

    async fn write_acl(&self, owner: &str, collection: &str, acl: &Acl) -> Result<(), DataError> {
        let path = self.acl_path(owner, collection);
        let storage_error = |e: io::Error| match e.kind() {
            io::ErrorKind::InvalidFilename => DataError::Invalid(format!(
                "data://{owner}/{collection}: the name is too long for this store"
            )),
            _ => DataError::Storage {
                uri: format!("data://{owner}/{collection}"),
                detail: e.to_string(),
            },
        };
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(storage_error)?;
        }
        let body = serde_json::to_vec(&acl.to_wire()).map_err(|e| DataError::Storage {
            uri: format!("data://{owner}/{collection}"),
            detail: e.to_string(),
        })?;
        tokio::fs::write(path, body).await.map_err(storage_error)
    }

    async fn remove_acl(&self, owner: &str, collection: &str) {
        let _ = tokio::fs::remove_file(self.acl_path(owner, collection)).await;
    }
}

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

/// Who is acting on data: the caller, and the algorithm it runs through (if any).
#[derive(Debug, Clone)]
struct Identity {
    user: String,
    algorithm: Option<(String, String)>,
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

    /// Resolve a URI to its place and store.
    pub(crate) fn resolve(&self, uri: &DataUri) -> Result<Target, DataError> {
        let storage = &self.storage;
        if uri.connector() != "data" {
            return Ok(Target {
                uri: uri.clone(),
                place: Place::Connector,
                store: storage.connector(uri.connector()),
                path: uri.path().to_owned(),
            });
        }
        let segments: Vec<&str> = uri.segments().collect();
        let target = |place, path: String| Target {
            uri: uri.clone(),
            place,
            store: storage.data.clone(),
            path,
        };
        let Some((&first, rest)) = segments.split_first() else {
            return Ok(target(Place::DataRoot, String::new()));
        };
        match first {
            ".session" => Ok(target(Place::Area, segments.join("/"))),
            ".algo" => {
                // Inside an algorithm, `.algo/temp/x` is short for `.algo/<owner>/<algo>/temp/x`.
                let path = match (rest.first(), &self.identity.algorithm) {
                    (Some(&("temp" | "perm")), Some((owner, name))) => {
                        format!(".algo/{owner}/{name}/{}", rest.join("/"))
                    }
                    _ => segments.join("/"),
                };
                Ok(target(Place::Area, path))
            }
            other if other.starts_with('.') && other != ".my" => Err(DataError::Invalid(format!(
                "{uri}: unknown special collection {other:?}; use .my, .session or .algo"
            ))),
            owner => {
                let owner = if owner == ".my" {
                    self.identity.user.clone()
                } else {
                    owner.to_owned()
                };
                let place = match rest.split_first() {
                    None => Place::OwnerRoot {
                        owner: owner.clone(),
                    },
                    Some((collection, below)) => Place::Hosted {
                        owner: owner.clone(),
                        collection: (*collection).to_owned(),
                        rest: below.join("/"),
                    },
                };
                let mut path = owner;
                for segment in rest {
                    path.push('/');
                    path.push_str(segment);
                }
                Ok(target(place, path))
            }
        }
    }

    /// Whether the caller may read a place.
    async fn check_read(&self, target: &Target) -> Result<(), DataError> {
        let Place::Hosted {
            owner, collection, ..
        } = &target.place
        else {
            return Ok(());
        };
        if *owner == self.identity.user {
            return Ok(());
        }
        let allowed = match self.storage.read_acl(owner, collection).await? {
            Acl::Public => true,
            Acl::MyAlgorithms => self
                .identity
                .algorithm
                .as_ref()
                .is_some_and(|(algo_owner, _)| algo_owner == owner),
            Acl::Private => false,
        };
        if allowed {
            Ok(())
        } else {
            Err(DataError::PermissionDenied(format!(
                "{} may not read data://{owner}/{collection}",
                self.identity.user
            )))
        }
    }

    /// Whether the caller may write a place.
    fn check_write(&self, target: &Target) -> Result<(), DataError> {
        match &target.place {
            Place::DataRoot => Err(DataError::Invalid(
                "nothing can be written at data://; use data://.my/<collection>".into(),
            )),
            Place::OwnerRoot { owner } | Place::Hosted { owner, .. }
                if *owner != self.identity.user =>
            {
                Err(DataError::PermissionDenied(format!(
                    "{} may not write to data://{owner}",
                    self.identity.user
                )))
            }
            _ => Ok(()),
        }
    }

    pub(crate) async fn stat(&self, target: &Target) -> Result<Option<Kind>, DataError> {
        self.check_read(target).await?;
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
    pub(crate) async fn open(
        &self,
        target: &Target,
    ) -> Result<(store::ByteStream, Kind), DataError> {
        self.check_read(target).await?;
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
        self.check_write(target)?;
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
        self.check_read(target).await?;
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
                    if self.check_read(&probe).await.is_ok() {
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
            } if rest.is_empty() => Ok(Some(self.storage.read_acl(owner, collection).await?)),
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
        self.check_write(&target)?;
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
                    .write_acl(owner, collection, &acl.unwrap_or(Acl::MyAlgorithms))
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
        self.check_write(target)?;
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
        self.storage.write_acl(owner, collection, &acl).await
    }

    /// Delete a file (1) or a directory (its file count; non-empty ones only with `force`).
    pub(crate) async fn delete(&self, target: &Target, force: bool) -> Result<u64, DataError> {
        self.check_write(target)?;
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
            self.storage.remove_acl(owner, collection).await;
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
