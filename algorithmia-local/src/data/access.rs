//! Who may read and write where: owners write their own data; others read a hosted collection
//! as its ACL allows.

use super::DataError;
use super::acl::Acl;
use super::place::{Identity, Place, Target};
use super::storage::Storage;

impl Identity {
    /// Whether the caller may read a place.
    pub(super) async fn check_read(
        &self,
        storage: &Storage,
        target: &Target,
    ) -> Result<(), DataError> {
        let Place::Hosted {
            owner, collection, ..
        } = &target.place
        else {
            return Ok(());
        };
        if *owner == self.user {
            return Ok(());
        }
        let allowed = match storage.acls.read(owner, collection).await? {
            Acl::Public => true,
            Acl::MyAlgorithms => self
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
                self.user
            )))
        }
    }

    /// Whether the caller may write a place.
    pub(super) fn check_write(&self, target: &Target) -> Result<(), DataError> {
        match &target.place {
            Place::DataRoot => Err(DataError::Invalid(
                "nothing can be written at data://; use data://.my/<collection>".into(),
            )),
            Place::OwnerRoot { owner } | Place::Hosted { owner, .. } if *owner != self.user => {
                Err(DataError::PermissionDenied(format!(
                    "{} may not write to data://{owner}",
                    self.user
                )))
            }
            _ => Ok(()),
        }
    }
}
