//! The objects management routes send back.

pub(crate) mod account;
pub(crate) mod algorithm;
pub(crate) mod build;
pub(crate) mod environment;
pub(crate) mod list;
