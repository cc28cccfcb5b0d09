//! Where a data URI leads, for whom: the place, its store, and the path inside the store.

use algorithmia_client::DataUri;

use super::DataError;
use super::storage::Storage;
use super::store::Store;

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

/// Who is acting on data: the caller, and the algorithm it runs through (if any).
#[derive(Debug, Clone)]
pub(super) struct Identity {
    pub(super) user: String,
    /// `(owner, name)` of the algorithm acting for the user.
    pub(super) algorithm: Option<(String, String)>,
}

impl Identity {
    /// Resolve a URI to its place and store, as this identity sees it (`.my` is the user).
    pub(super) fn resolve(&self, storage: &Storage, uri: &DataUri) -> Result<Target, DataError> {
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
                let path = match (rest.first(), &self.algorithm) {
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
                    self.user.clone()
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
}
