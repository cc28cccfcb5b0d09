//! The Data API: data URIs (`data://`, `s3://`, `dropbox://`, ...).

mod uri;

pub use uri::{CONNECTOR_TYPES, DataUri, DataUriError};
