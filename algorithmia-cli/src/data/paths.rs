//! What a command-line path names: a local path or a data URI, and `dir/*` patterns expanded
//! to the entries of a remote directory.

use std::fmt;
use std::path::PathBuf;

use algorithmia_client::{Client, DataEntry, DataUri};
use futures_util::TryStreamExt;

use crate::error::{CliError, CliResult};

/// One side of a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// A path on this machine.
    Local(PathBuf),
    /// A data URI.
    Remote(DataUri),
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Local(path) => write!(f, "{}", path.display()),
            Endpoint::Remote(uri) => write!(f, "{uri}"),
        }
    }
}

/// Whether `arg` is written as a URI (`scheme://...`); only those name remote data in `cp`, as
/// in the official CLI, so that `photos/cat.png` stays a local path.
fn has_scheme(arg: &str) -> bool {
    arg.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+')
    })
}

/// A data URI typed by the user: `data://...`, a connector's URI, or a bare path (`.my/x`,
/// taken as `data://.my/x`). A malformed one is a usage error.
pub(crate) fn remote(arg: &str) -> CliResult<DataUri> {
    arg.parse::<DataUri>()
        .map_err(|e| CliError::usage(format!("{arg} is not a data path: {e}")))
}

/// `cp`'s reading of an argument: a URI is remote, anything else local.
pub(crate) fn endpoint(arg: &str) -> CliResult<Endpoint> {
    if has_scheme(arg) {
        remote(arg).map(Endpoint::Remote)
    } else {
        Ok(Endpoint::Local(PathBuf::from(arg)))
    }
}

/// The directory of a `dir/*` pattern (`data://.my/photos/*`), if `arg` is one.
pub(crate) fn pattern_dir(arg: &str) -> Option<&str> {
    match arg.strip_suffix('*') {
        Some(rest) if rest.ends_with("://") => Some(rest),
        Some(rest) => rest.strip_suffix('/'),
        None => None,
    }
}

/// The entries of the remote directory `dir` (a `dir/*` pattern): its files, and with
/// `with_dirs` its sub-directories too. Sorted by name.
pub(crate) async fn expand(
    client: &Client,
    dir: &DataUri,
    with_dirs: bool,
) -> CliResult<Vec<DataEntry>> {
    let mut entries: Vec<DataEntry> = client
        .dir(dir)
        .list()
        .try_filter(|entry| std::future::ready(with_dirs || matches!(entry, DataEntry::File(_))))
        .try_collect()
        .await
        .map_err(|e| CliError::api(format_args!("list {dir}"), e))?;
    entries.sort_by(|a, b| a.name().cmp(b.name()));
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_uris_are_remote() {
        assert!(matches!(endpoint("data://.my/x"), Ok(Endpoint::Remote(_))));
        assert!(matches!(
            endpoint("s3+backup://b/k"),
            Ok(Endpoint::Remote(_))
        ));
        assert!(matches!(endpoint(".my/x"), Ok(Endpoint::Local(_))));
        assert!(matches!(endpoint("./a b/c.txt"), Ok(Endpoint::Local(_))));
        assert!(endpoint("ftp://host/x").is_err());
    }

    #[test]
    fn patterns_name_their_directory() {
        assert_eq!(pattern_dir("data://.my/p/*"), Some("data://.my/p"));
        assert_eq!(pattern_dir("data://*"), Some("data://"));
        assert_eq!(pattern_dir("data://.my/p"), None);
        assert_eq!(pattern_dir("data://.my/p*"), None);
    }
}
