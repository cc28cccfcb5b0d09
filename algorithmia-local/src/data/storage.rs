//! The server's storage: the data directory, local connectors, and S3-backed connectors.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use super::acl::AclFiles;
use super::store::{FsStore, ObjectBackend, S3Credentials, Store, UploadLimits};

/// Where hosted data and local connectors live: a directory that stays, or a temporary one that
/// is removed when the storage goes.
#[derive(Debug)]
pub(crate) enum DataDir {
    /// Kept after the server stops.
    Kept(PathBuf),
    /// Removed when dropped.
    Temporary(tempfile::TempDir),
}

impl DataDir {
    /// A new temporary directory under the system's temporary directory.
    pub(crate) fn temporary() -> io::Result<DataDir> {
        tempfile::Builder::new()
            .prefix("algorithmia-local-")
            .tempdir()
            .map(DataDir::Temporary)
    }

    /// The directory.
    pub(crate) fn path(&self) -> &Path {
        match self {
            DataDir::Kept(path) => path,
            DataDir::Temporary(dir) => dir.path(),
        }
    }
}

/// Every store the data API reaches, and the limits of uploads to them.
#[derive(Debug)]
pub(crate) struct Storage {
    /// Hosted data (`data://`), including the special areas.
    pub(super) data: Store,
    pub(super) acls: AclFiles,
    pub(super) limits: UploadLimits,
    connectors_root: PathBuf,
    tmp: PathBuf,
    backed: HashMap<String, Store>,
    /// Last, so the stores go before their directory does.
    _dir: DataDir,
}

impl Storage {
    /// Prepare `dir` (`data/`, `connectors/`, `acl/`, `.tmp/`) and the S3-backed connectors,
    /// each `(name, endpoint)`.
    pub(crate) fn new(
        dir: DataDir,
        backed: &[(String, String)],
        credentials: Option<S3Credentials>,
        limits: UploadLimits,
    ) -> io::Result<Storage> {
        let root = dir.path().to_path_buf();
        let tmp = root.join(".tmp");
        for sub in ["data", "connectors", "acl", ".tmp"] {
            std::fs::create_dir_all(root.join(sub))?;
        }
        Ok(Storage {
            data: Store::Fs(FsStore::new(root.join("data"), tmp.clone())),
            acls: AclFiles::new(root.join("acl")),
            limits,
            connectors_root: root.join("connectors"),
            tmp,
            backed: backed
                .iter()
                .map(|(name, endpoint)| {
                    let backend = ObjectBackend::new(endpoint, credentials.clone());
                    (name.clone(), Store::Object(backend))
                })
                .collect(),
            _dir: dir,
        })
    }

    /// The store behind a connector: its endpoint, or a directory under `connectors/`.
    pub(super) fn connector(&self, name: &str) -> Store {
        self.backed.get(name).cloned().unwrap_or_else(|| {
            Store::Fs(FsStore::new(
                self.connectors_root.join(name),
                self.tmp.clone(),
            ))
        })
    }
}
