//! Directories: exists, create, delete, lazy paged listings, ACLs.

use std::collections::VecDeque;
use std::fmt;
use std::path::Path;
use std::time::SystemTime;

use futures_util::{Stream, TryStreamExt};
use reqwest::Method;
use serde::Serialize;

use super::{DataAcl, DataFile, DataUri, Deadline, UriSlot, data_type, parse_listing_time, uri_of};
use crate::client::Client;
use crate::error::{Error, Result, snippet};
use crate::request::{Body, RequestSpec};
use crate::retry::RetryClass;
use crate::wire::{self, AclWire, Deleted, DirListing, ResultEnvelope};

/// A file in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// The file's URI.
    pub uri: DataUri,
    /// Its name.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its last modification, when the listing gave a parseable one.
    pub last_modified: Option<SystemTime>,
}

/// A directory in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The directory's URI.
    pub uri: DataUri,
    /// Its name.
    pub name: String,
}

/// One entry of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataEntry {
    /// A file.
    File(FileEntry),
    /// A directory.
    Dir(DirEntry),
}

impl DataEntry {
    /// The entry's name.
    pub fn name(&self) -> &str {
        match self {
            DataEntry::File(f) => &f.name,
            DataEntry::Dir(d) => &d.name,
        }
    }

    /// The entry's URI.
    pub fn uri(&self) -> &DataUri {
        match self {
            DataEntry::File(f) => &f.uri,
            DataEntry::Dir(d) => &d.uri,
        }
    }
}

/// A handle to one directory. Cheap to clone.
///
/// ```no_run
/// use algorithmia_client::{DataAcl, DataEntry};
/// use futures_util::TryStreamExt;
///
/// # async fn run(client: algorithmia_client::Client) -> Result<(), algorithmia_client::Error> {
/// let dir = client.dir("data://.my/photos");
/// dir.create(DataAcl::Private).await?;
/// let mut entries = std::pin::pin!(dir.list());
/// while let Some(entry) = entries.try_next().await? {
///     if let DataEntry::File(f) = entry {
///         println!("{} ({} bytes)", f.name, f.size);
///     }
/// }
/// dir.update_acl(DataAcl::Public).await?;
/// let deleted = dir.delete(true).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct DataDir {
    client: Client,
    uri: UriSlot,
}

impl fmt::Debug for DataDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DataDir").field(&self.uri).finish()
    }
}

#[derive(Serialize)]
struct CreateRequest<'a> {
    name: &'a str,
    acl: AclWire,
}

#[derive(Serialize)]
struct AclUpdate {
    acl: AclWire,
}

struct Listing {
    client: Client,
    uri: DataUri,
    url: url::Url,
    acl: bool,
}

impl Listing {
    async fn page(&self, marker: Option<&str>) -> Result<DirListing> {
        let mut url = self.url.clone();
        {
            let mut query = url.query_pairs_mut();
            if let Some(marker) = marker {
                query.append_pair("marker", marker);
            }
            if self.acl {
                query.append_pair("acl", "true");
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        let (headers, body) = self
            .client
            .data_json(
                RequestSpec::new(Method::GET, url.clone(), RetryClass::Idempotent),
                Deadline::Data,
            )
            .await?;
        if data_type(&headers) == Some("file") {
            return Err(Error::WrongType {
                uri: self.uri.to_string(),
                expected: "directory",
                found: "file".into(),
            });
        }
        let mut de = serde_json::Deserializer::from_slice(&body);
        serde_path_to_error::deserialize(&mut de).map_err(|e| {
            Error::decode(
                "directory listing",
                url.path(),
                None,
                snippet(&body, 200),
                e.to_string().into(),
            )
        })
    }

    fn entries(&self, page: DirListing) -> Result<Vec<DataEntry>> {
        let mut out = Vec::with_capacity(page.folders.len() + page.files.len());
        for folder in page.folders {
            out.push(DataEntry::Dir(DirEntry {
                uri: self.uri.join(&folder.name)?,
                name: folder.name,
            }));
        }
        for file in page.files {
            out.push(DataEntry::File(FileEntry {
                uri: self.uri.join(&file.filename)?,
                last_modified: file.last_modified.as_deref().and_then(parse_listing_time),
                size: file.size,
                name: file.filename,
            }));
        }
        Ok(out)
    }
}

enum Cursor {
    Start,
    Next(String),
    Done,
}

impl DataDir {
    pub(crate) fn new(client: Client, uri: UriSlot) -> Self {
        DataDir { client, uri }
    }

    /// The directory's URI.
    pub fn uri(&self) -> Result<&DataUri> {
        uri_of(&self.uri)
    }

    fn child(&self, name: &str) -> std::result::Result<DataUri, super::DataUriError> {
        match self.uri.as_ref() {
            Ok(uri) => uri.join(name),
            Err(e) => Err(e.clone()),
        }
    }

    /// A file in this directory.
    pub fn file(&self, name: &str) -> DataFile {
        DataFile::new(self.client.clone(), std::sync::Arc::new(self.child(name)))
    }

    /// A sub-directory.
    pub fn dir(&self, name: &str) -> DataDir {
        DataDir::new(self.client.clone(), std::sync::Arc::new(self.child(name)))
    }

    /// Whether a directory is at the URI (a file there is `false`). Asked with HEAD, so a file
    /// is never downloaded; a server that refuses HEAD on directories is asked with GET.
    pub async fn exists(&self) -> Result<bool> {
        let uri = uri_of(&self.uri)?;
        let ask =
            |method| RequestSpec::new(method, self.client.data_url(uri), RetryClass::Idempotent);
        let answer = match self
            .client
            .data_request(ask(Method::HEAD), Deadline::Data)
            .await
        {
            Err(e) if !e.is_not_found() && e.api_error().is_some() => {
                self.client
                    .data_request(ask(Method::GET), Deadline::Data)
                    .await
            }
            answer => answer,
        };
        match answer {
            // Dropped unread: only the header was wanted.
            Ok(response) => Ok(data_type(response.headers()) != Some("file")),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Create the directory, with a read ACL (used by hosted collections).
    pub async fn create(&self, acl: DataAcl) -> Result<()> {
        let uri = uri_of(&self.uri)?;
        let (Some(parent), Some(name)) = (uri.parent(), uri.name()) else {
            return Err(Error::config(format!(
                "{uri} is a root and cannot be created"
            )));
        };
        let body = serde_json::to_vec(&CreateRequest {
            name,
            acl: acl.to_wire(),
        })
        .map_err(Error::serialize)?;
        let spec = RequestSpec::new(
            Method::POST,
            self.client.data_url(&parent),
            RetryClass::RunsOnce,
        )
        .with_body(Body::Bytes(body.into(), wire::CONTENT_TYPE_JSON));
        self.client
            .data_json(spec, Deadline::Data)
            .await
            .map(|_| ())
    }

    /// Delete the directory; a non-empty one only with `force`. Returns how many files went.
    ///
    /// A forced delete that stops part-way is [`Error::PartialDelete`], with the count of files
    /// that were removed.
    pub async fn delete(&self, force: bool) -> Result<u64> {
        let uri = uri_of(&self.uri)?;
        let mut url = self.client.data_url(uri);
        if force {
            url.query_pairs_mut().append_pair("force", "true");
        }
        let spec = RequestSpec::new(Method::DELETE, url.clone(), RetryClass::Idempotent);
        let answer = self.client.data_answer(spec, Deadline::Data).await?;
        if let Some(partial) = partial_delete(uri, &answer.body) {
            return Err(partial);
        }
        let (_, body) = answer.checked()?;
        serde_json::from_slice::<ResultEnvelope<Deleted>>(&body)
            .map(|r| r.result.deleted)
            .map_err(|e| {
                Error::decode(
                    "delete result",
                    url.path(),
                    None,
                    snippet(&body, 200),
                    Box::new(e),
                )
            })
    }

    /// Every entry, folders and files, fetched page by page as the stream is read. A failure is
    /// yielded as an error (and ends the stream), never taken for the end of the listing.
    pub fn list(&self) -> impl Stream<Item = Result<DataEntry>> + Send + use<> {
        let listing = uri_of(&self.uri).map(|uri| Listing {
            client: self.client.clone(),
            url: self.client.data_url(uri),
            uri: uri.clone(),
            acl: false,
        });
        futures_util::stream::try_unfold(
            (listing, Cursor::Start, VecDeque::new()),
            |(listing, mut cursor, mut buffer)| async move {
                let listing = listing?;
                loop {
                    if let Some(entry) = buffer.pop_front() {
                        return Ok(Some((entry, (Ok(listing), cursor, buffer))));
                    }
                    let marker = match &cursor {
                        Cursor::Done => return Ok(None),
                        Cursor::Start => None,
                        Cursor::Next(marker) => Some(marker.clone()),
                    };
                    let page = listing.page(marker.as_deref()).await?;
                    cursor = match page.marker.as_deref() {
                        None | Some("") => Cursor::Done,
                        Some(next) if Some(next) == marker.as_deref() => {
                            return Err(Error::decode(
                                "directory listing",
                                listing.url.path(),
                                None,
                                String::new(),
                                format!("the server repeated the marker {next:?}").into(),
                            ));
                        }
                        Some(next) => Cursor::Next(next.to_owned()),
                    };
                    buffer.extend(listing.entries(page)?);
                }
            },
        )
    }

    /// Only the files of [`DataDir::list`].
    pub fn files(&self) -> impl Stream<Item = Result<FileEntry>> + Send + use<> {
        self.list().try_filter_map(|entry| async move {
            Ok(match entry {
                DataEntry::File(f) => Some(f),
                DataEntry::Dir(_) => None,
            })
        })
    }

    /// Only the sub-directories of [`DataDir::list`].
    pub fn dirs(&self) -> impl Stream<Item = Result<DirEntry>> + Send + use<> {
        self.list().try_filter_map(|entry| async move {
            Ok(match entry {
                DataEntry::Dir(d) => Some(d),
                DataEntry::File(_) => None,
            })
        })
    }

    /// The directory's read ACL; `None` where the API gives none (special areas, connectors).
    pub async fn acl(&self) -> Result<Option<DataAcl>> {
        let uri = uri_of(&self.uri)?;
        let listing = Listing {
            client: self.client.clone(),
            url: self.client.data_url(uri),
            uri: uri.clone(),
            acl: true,
        };
        let page = listing.page(None).await?;
        Ok(page.acl.map(|acl| DataAcl::from_read_list(acl.read)))
    }

    /// Replace the directory's read ACL.
    pub async fn update_acl(&self, acl: DataAcl) -> Result<()> {
        let uri = uri_of(&self.uri)?;
        let body =
            serde_json::to_vec(&AclUpdate { acl: acl.to_wire() }).map_err(Error::serialize)?;
        let spec = RequestSpec::new(
            Method::PATCH,
            self.client.data_url(uri),
            RetryClass::Idempotent,
        )
        .with_body(Body::Bytes(body.into(), wire::CONTENT_TYPE_JSON));
        // A 200 that carries `{"error": ...}` did not change the ACL.
        self.client
            .data_json(spec, Deadline::Data)
            .await
            .map(|_| ())
    }

    /// Upload a local file into this directory under its own name. Returns the new file.
    pub async fn put_file(&self, path: impl AsRef<Path>) -> Result<DataFile> {
        let path = path.as_ref();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| Error::config(format!("{} has no UTF-8 file name", path.display())))?;
        let file = self.file(name);
        file.put_file(path).await?;
        Ok(file)
    }
}

/// The API's answer to a forced delete that stopped part-way: `{"error": {"deleted": N, ...}}`,
/// on a success status or not.
fn partial_delete(uri: &DataUri, body: &[u8]) -> Option<Error> {
    let error = wire::lenient_error(wire::json_object(body)?.remove("error")?)?;
    let deleted = error.extra.get("deleted")?.as_u64()?;
    let message = if error.message.is_empty() {
        "the API did not say why".to_owned()
    } else {
        error.message
    };
    Some(Error::PartialDelete {
        uri: uri.to_string(),
        deleted,
        message,
    })
}
