//! The Data API: hosted data (`data://`), special areas (`.my`, `.session`, `.algo`) and
//! connectors, with ACLs enforced on hosted collections.
//!
//! A request goes through [`DataApi`]: the caller's [`place::Identity`] resolves the URI to a
//! [`Target`] (`place`), is checked against it (`access`, with the ACLs of `acl`), and the
//! operation runs on the target's store (`store`), one of the [`Storage`]'s.

mod access;
mod acl;
mod api;
mod error;
mod place;
mod storage;
pub(crate) mod store;

pub use acl::{ACL_MY_ALGORITHMS, ACL_PUBLIC};
pub use api::{DataApi, DataEntry};
pub use error::DataError;
pub(crate) use place::Target;
pub(crate) use storage::{DataDir, Storage};
pub(crate) use store::{Entry, Kind};
