//! Data URIs: `connector://path`, `connector+label://path`, or a bare path meaning `data://`.

use std::fmt;
use std::str::FromStr;

/// The connector types the API knows. A connector is one of these, optionally with `+label`.
pub const CONNECTOR_TYPES: [&str; 5] = ["data", "s3", "dropbox", "gs", "azureblob"];

/// Why a string is not a data URI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid data URI {input:?}: {reason}")]
pub struct DataUriError {
    /// The text that was given.
    pub input: String,
    /// What is wrong with it.
    pub reason: String,
}

/// A validated data URI: a connector (`data`, `s3`, `s3+label`, ...) and a path of non-empty
/// segments, none of them `.` or `..`, without NUL or backslash.
///
/// ```
/// use algorithmia_client::DataUri;
///
/// let uri: DataUri = "s3+backup://bucket/photos/cat.png".parse()?;
/// assert_eq!(uri.connector(), "s3+backup");
/// assert_eq!(uri.connector_type(), "s3");
/// assert_eq!(uri.label(), Some("backup"));
/// assert_eq!(uri.path(), "bucket/photos/cat.png");
/// assert_eq!(uri.name(), Some("cat.png"));
/// assert_eq!(uri.parent().unwrap().to_string(), "s3+backup://bucket/photos");
///
/// let bare: DataUri = ".my/robots/R2-D2.txt".parse()?;
/// assert_eq!(bare.to_string(), "data://.my/robots/R2-D2.txt");
/// assert_eq!(bare.parent().unwrap().join("C-3PO.txt")?.to_string(), "data://.my/robots/C-3PO.txt");
///
/// assert!("ftp://host/file".parse::<DataUri>().is_err());
/// assert!("data://a/../b".parse::<DataUri>().is_err());
/// # Ok::<(), algorithmia_client::DataUriError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DataUri {
    connector: String,
    path: String,
}

fn error(input: &str, reason: impl Into<String>) -> DataUriError {
    DataUriError {
        input: input.to_owned(),
        reason: reason.into(),
    }
}

/// Check a connector name: a known type, optionally `+label` with an alphanumeric label.
fn check_connector(connector: &str, input: &str) -> Result<(), DataUriError> {
    let (kind, label) = match connector.split_once('+') {
        Some((kind, label)) => (kind, Some(label)),
        None => (connector, None),
    };
    if !CONNECTOR_TYPES.contains(&kind) {
        return Err(error(
            input,
            format!(
                "unknown connector {kind:?}; expected one of {}",
                CONNECTOR_TYPES.join(", ")
            ),
        ));
    }
    if let Some(label) = label
        && (label.is_empty() || !label.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        return Err(error(
            input,
            format!("connector label {label:?} must be letters and digits"),
        ));
    }
    Ok(())
}

/// Check one path segment.
pub(crate) fn check_segment(segment: &str) -> Result<(), String> {
    if segment.is_empty() {
        Err("the path has an empty segment (`//`)".into())
    } else if segment == "." || segment == ".." {
        Err(format!("the path segment {segment:?} is not allowed"))
    } else if segment.contains(['\0', '\\']) {
        Err("the path contains a NUL byte or a backslash".into())
    } else {
        Ok(())
    }
}

impl DataUri {
    /// A URI from a connector and a path (no leading `/`; a trailing `/` is dropped).
    pub fn new(connector: &str, path: &str) -> Result<Self, DataUriError> {
        let input = format!("{connector}://{path}");
        check_connector(connector, &input)?;
        let path = path.strip_suffix('/').unwrap_or(path);
        if !path.is_empty() {
            for segment in path.split('/') {
                check_segment(segment).map_err(|reason| error(&input, reason))?;
            }
        }
        Ok(DataUri {
            connector: connector.to_owned(),
            path: path.to_owned(),
        })
    }

    /// The connector: `data`, `s3`, `s3+label`, `dropbox`, `gs`, `azureblob`, ...
    pub fn connector(&self) -> &str {
        &self.connector
    }

    /// The connector's type, without its label.
    pub fn connector_type(&self) -> &str {
        self.connector
            .split_once('+')
            .map_or(self.connector.as_str(), |(kind, _)| kind)
    }

    /// The connector's label, for `type+label` connectors.
    pub fn label(&self) -> Option<&str> {
        self.connector.split_once('+').map(|(_, label)| label)
    }

    /// The path after `connector://`, without leading or trailing `/`; empty at the root.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The path's segments (none at the root).
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.path.split('/').filter(|s| !s.is_empty())
    }

    /// Whether this is the connector's root (`data://`).
    pub fn is_root(&self) -> bool {
        self.path.is_empty()
    }

    /// The last segment: the file or directory name. `None` at the root.
    pub fn name(&self) -> Option<&str> {
        self.segments().last()
    }

    /// The parent directory. `None` at the root.
    pub fn parent(&self) -> Option<DataUri> {
        if self.is_root() {
            return None;
        }
        let parent = self.path.rsplit_once('/').map_or("", |(parent, _)| parent);
        Some(DataUri {
            connector: self.connector.clone(),
            path: parent.to_owned(),
        })
    }

    /// A child of this directory. `child` may hold several segments (`a/b.txt`).
    pub fn join(&self, child: &str) -> Result<DataUri, DataUriError> {
        let child = child.strip_suffix('/').unwrap_or(child);
        let input = format!("{self}/{child}");
        for segment in child.split('/') {
            check_segment(segment).map_err(|reason| error(&input, reason))?;
        }
        let path = if self.path.is_empty() {
            child.to_owned()
        } else {
            format!("{}/{child}", self.path)
        };
        Ok(DataUri {
            connector: self.connector.clone(),
            path,
        })
    }
}

impl FromStr for DataUri {
    type Err = DataUriError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (connector, path) = match s.split_once("://") {
            Some((connector, path)) => {
                if path.starts_with('/') {
                    return Err(error(s, "the path after `://` starts with `/`"));
                }
                (connector, path)
            }
            None => ("data", s.strip_prefix('/').unwrap_or(s)),
        };
        DataUri::new(connector, path).map_err(|e| error(s, e.reason))
    }
}

impl fmt::Display for DataUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.connector, self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        for (input, connector, path) in [
            ("data://demo/coll/file.txt", "data", "demo/coll/file.txt"),
            ("data://.my/coll/", "data", ".my/coll"),
            ("data://", "data", ""),
            ("/foo", "data", "foo"),
            ("foo/bar", "data", "foo/bar"),
            (
                "s3://bucket/key with space#?.txt",
                "s3",
                "bucket/key with space#?.txt",
            ),
            (
                "s3+test://my_bucket/example/test.png",
                "s3+test",
                "my_bucket/example/test.png",
            ),
            ("dropbox://folder", "dropbox", "folder"),
            ("gs://b/ö.txt", "gs", "b/ö.txt"),
            ("azureblob://c/b", "azureblob", "c/b"),
            (
                "data://.algo/demo/Hello/temp/x",
                "data",
                ".algo/demo/Hello/temp/x",
            ),
        ] {
            let uri: DataUri = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!((uri.connector(), uri.path()), (connector, path), "{input}");
        }
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "ftp://x/y",
            "s3+://b/k",
            "s3+a-b://b/k",
            "data:///x",
            "data://a//b",
            "data://a/./b",
            "data://../etc",
            "data://a/b\\c",
            "data://a/\0",
            "://x",
        ] {
            let err = bad.parse::<DataUri>().expect_err(bad);
            assert_eq!(err.input, bad);
        }
    }

    #[test]
    fn navigation() {
        let root: DataUri = "data://".parse().unwrap();
        assert!(root.is_root() && root.parent().is_none() && root.name().is_none());
        let coll = root.join(".my").unwrap().join("coll").unwrap();
        assert_eq!(coll.to_string(), "data://.my/coll");
        assert_eq!(coll.parent().unwrap().to_string(), "data://.my");
        assert_eq!(coll.parent().unwrap().parent().unwrap(), root);
        assert_eq!(coll.join("a/b.txt").unwrap().name(), Some("b.txt"));
        assert!(coll.join("../x").is_err());
        assert!(coll.join("").is_err());
    }
}
