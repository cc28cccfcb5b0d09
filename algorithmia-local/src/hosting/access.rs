//! Who may read and push an algorithm's repository: its owner, or a member of the organisation
//! that owns it. Everyone else is told the repository does not exist, so a private algorithm's
//! source never shows.

use std::sync::Arc;

use crate::api::Keys;
use crate::build::{Denied, GitAccess, GitUser};
use crate::store::Store;

/// The access check for [`GitHttp`](crate::build::GitHttp): the key's user (a configured key,
/// or one the store knows), then whether that user manages `owner`'s algorithm `name`. Reading
/// and writing take the same right.
pub(crate) fn git_access(store: Arc<Store>, keys: Keys) -> impl GitAccess {
    move |key: &str, owner: &str, name: &str, _write: bool| {
        let user = match keys.user_of(key) {
            Some(user) => user,
            None => store
                .user_of_key(key)
                .map_err(|e| {
                    tracing::warn!(error = %e, "git: could not look the key up");
                    Denied::Unauthenticated
                })?
                .ok_or(Denied::Unauthenticated)?,
        };
        let known = |e: crate::store::StoreError| {
            tracing::warn!(%owner, %name, error = %e, "git: could not check access");
            Denied::NotFound
        };
        if store.algorithm(owner, name).map_err(known)?.is_none() {
            return Err(Denied::NotFound);
        }
        if !store.acts_for(&user, owner).map_err(known)? {
            return Err(Denied::NotFound);
        }
        Ok(GitUser { name: user })
    }
}
