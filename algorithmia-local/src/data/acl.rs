//! Collection ACLs: the three the API knows, and the files they are kept in.

use std::io;
use std::path::PathBuf;

use algorithmia_client::wire::AclWire;

use super::DataError;

/// ACL value: the owner's algorithms may read (the default for new collections).
pub const ACL_MY_ALGORITHMS: &str = "algo://.my/*";
/// ACL value: any user may read.
pub const ACL_PUBLIC: &str = "user://*";

/// A collection's read ACL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Acl {
    /// Only the owner.
    Private,
    /// The owner and the owner's algorithms.
    MyAlgorithms,
    /// Anyone.
    Public,
}

impl Acl {
    pub(super) fn from_wire(acl: &AclWire) -> Result<Acl, DataError> {
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

/// Where collection ACLs are kept: `<owner>/<collection>.json` under one directory. A
/// collection without a file has the default, "my algorithms may read".
#[derive(Debug)]
pub(super) struct AclFiles {
    root: PathBuf,
}

impl AclFiles {
    pub(super) fn new(root: PathBuf) -> Self {
        AclFiles { root }
    }

    fn path(&self, owner: &str, collection: &str) -> PathBuf {
        self.root.join(owner).join(format!("{collection}.json"))
    }

    /// A collection's ACL (the default when none was set).
    pub(super) async fn read(&self, owner: &str, collection: &str) -> Result<Acl, DataError> {
        match tokio::fs::read(self.path(owner, collection)).await {
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

    /// Set a collection's ACL.
    pub(super) async fn write(
        &self,
        owner: &str,
        collection: &str,
        acl: &Acl,
    ) -> Result<(), DataError> {
        let path = self.path(owner, collection);
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

    /// Forget a deleted collection's ACL.
    pub(super) async fn remove(&self, owner: &str, collection: &str) {
        let _ = tokio::fs::remove_file(self.path(owner, collection)).await;
    }
}
