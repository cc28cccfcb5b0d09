//! Whole-tree transfers: `upload_dir` and `download_dir`, with bounded concurrency, progress,
//! and a report of what failed (a failure does not stop the rest).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::{StreamExt, TryStreamExt};

use super::{DataAcl, DataEntry, DataUri, IntoDataUri};
use crate::client::Client;
use crate::error::{Error, Result};

/// Where a transfer stands, passed to the progress callback after each file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Files finished (successfully or not).
    pub files_done: u64,
    /// Files in the transfer.
    pub files_total: u64,
    /// Bytes of finished files.
    pub bytes_done: u64,
    /// Bytes in the transfer.
    pub bytes_total: u64,
}

/// How a tree transfer runs.
///
/// ```
/// use algorithmia_client::TransferOptions;
///
/// let options = TransferOptions::default()
///     .concurrency(4)
///     .on_progress(|p| eprintln!("{}/{} files", p.files_done, p.files_total));
/// ```
#[derive(Clone)]
pub struct TransferOptions {
    concurrency: usize,
    progress: Option<Arc<dyn Fn(Progress) + Send + Sync>>,
    acl: DataAcl,
}

impl Default for TransferOptions {
    /// Eight files at a time, no progress callback, new directories with the default ACL.
    fn default() -> Self {
        TransferOptions {
            concurrency: 8,
            progress: None,
            acl: DataAcl::default(),
        }
    }
}

impl fmt::Debug for TransferOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransferOptions")
            .field("concurrency", &self.concurrency)
            .field("progress", &self.progress.is_some())
            .field("acl", &self.acl)
            .finish()
    }
}

impl TransferOptions {
    /// How many files move at once (at least 1).
    #[must_use]
    pub fn concurrency(mut self, files: usize) -> Self {
        self.concurrency = files.max(1);
        self
    }

    /// The read ACL of the remote directories an upload creates (directories that exist already
    /// keep theirs).
    #[must_use]
    pub fn acl(mut self, acl: DataAcl) -> Self {
        self.acl = acl;
        self
    }

    /// Called after each file with the running totals.
    #[must_use]
    pub fn on_progress(mut self, callback: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(callback));
        self
    }
}

/// One file that did not transfer.
#[derive(Debug)]
pub struct TransferFailure {
    /// The local path or data URI that failed.
    pub path: String,
    /// Why.
    pub error: Error,
}

/// The outcome of a tree transfer.
#[derive(Debug, Default)]
pub struct TransferReport {
    /// Files transferred.
    pub files: u64,
    /// Bytes transferred.
    pub bytes: u64,
    /// Files that failed, each with its error.
    pub failed: Vec<TransferFailure>,
}

impl TransferReport {
    /// Whether every file transferred.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty()
    }
}

struct Tally {
    files_done: AtomicU64,
    bytes_done: AtomicU64,
    files_total: u64,
    bytes_total: u64,
    callback: Option<Arc<dyn Fn(Progress) + Send + Sync>>,
}

impl Tally {
    fn finished(&self, bytes: u64) {
        let files_done = self.files_done.fetch_add(1, Ordering::SeqCst) + 1;
        let bytes_done = self.bytes_done.fetch_add(bytes, Ordering::SeqCst) + bytes;
        if let Some(callback) = &self.callback {
            callback(Progress {
                files_done,
                files_total: self.files_total,
                bytes_done,
                bytes_total: self.bytes_total,
            });
        }
    }
}

/// What an upload found below its root: paths relative to the root.
#[derive(Default)]
struct LocalTree {
    /// Regular files, with their sizes.
    files: Vec<(PathBuf, u64)>,
    /// Directories.
    dirs: Vec<PathBuf>,
    /// Entries that cannot be uploaded: unreadable, dangling links, links back to a directory
    /// above themselves, sockets and the like.
    failed: Vec<TransferFailure>,
}

impl LocalTree {
    fn fail(&mut self, path: &Path, source: std::io::Error) {
        self.failed.push(TransferFailure {
            path: path.display().to_string(),
            error: Error::io(path, source),
        });
    }
}

/// Walk the tree at `root`, following symbolic links. A link to a directory above itself would
/// never end, so it is reported as failed instead of followed.
async fn local_tree(root: &Path) -> Result<LocalTree> {
    let mut tree = LocalTree::default();
    let top = tokio::fs::canonicalize(root)
        .await
        .map_err(|e| Error::io(root, e))?;
    // Each pending directory carries the real paths of the directories above it.
    let mut pending = vec![(PathBuf::new(), Arc::new(vec![top]))];
    while let Some((relative, ancestors)) = pending.pop() {
        let dir = root.join(&relative);
        let mut entries = match tokio::fs::read_dir(&dir).await {
            Ok(entries) => entries,
            Err(e) if relative.as_os_str().is_empty() => return Err(Error::io(&dir, e)),
            Err(e) => {
                tree.fail(&dir, e);
                continue;
            }
        };
        loop {
            let entry = match entries.next_entry().await {
                Ok(Some(entry)) => entry,
                Ok(None) => break,
                Err(e) => {
                    tree.fail(&dir, e);
                    break;
                }
            };
            let path = relative.join(entry.file_name());
            let full = entry.path();
            // `fs::metadata` follows links, so a link counts as what it points to.
            let meta = match tokio::fs::metadata(&full).await {
                Ok(meta) => meta,
                Err(e) => {
                    tree.fail(&full, e);
                    continue;
                }
            };
            if meta.is_file() {
                tree.files.push((path, meta.len()));
            } else if meta.is_dir() {
                let real = match tokio::fs::canonicalize(&full).await {
                    Ok(real) => real,
                    Err(e) => {
                        tree.fail(&full, e);
                        continue;
                    }
                };
                if ancestors.contains(&real) {
                    let message = format!(
                        "a symbolic link loop: it leads back to {}, a directory above it",
                        real.display()
                    );
                    tree.fail(&full, std::io::Error::other(message));
                    continue;
                }
                let mut below = ancestors.as_ref().clone();
                below.push(real);
                tree.dirs.push(path.clone());
                pending.push((path, Arc::new(below)));
            } else {
                tree.fail(
                    &full,
                    std::io::Error::other("neither a regular file nor a directory"),
                );
            }
        }
    }
    tree.dirs.sort();
    tree.files.sort();
    Ok(tree)
}

fn remote_child(root: &DataUri, relative: &Path) -> Result<DataUri> {
    let relative = relative
        .to_str()
        .ok_or_else(|| Error::config(format!("{} is not UTF-8", relative.display())))?;
    Ok(root.join(&relative.replace('\\', "/"))?)
}

/// Create a remote directory with `acl` unless it is there already.
async fn ensure_remote_dir(client: &Client, uri: &DataUri, acl: DataAcl) -> Result<()> {
    let dir = client.dir(uri);
    if dir.exists().await? {
        return Ok(());
    }
    match dir.create(acl).await {
        Ok(()) => Ok(()),
        // Created meanwhile by someone else: fine.
        Err(e) if dir.exists().await.unwrap_or(false) => {
            tracing::debug!(error = %e, %uri, "directory appeared while creating it");
            Ok(())
        }
        Err(e) => Err(e),
    }
}

impl Client {
    /// Upload the directory tree at `local` into `remote`, creating directories as needed (with
    /// the options' ACL). Symbolic links are followed; one that dangles or loops back to a
    /// directory above it is listed in the report's failures, as is anything that is neither a
    /// file nor a directory. Files move `options.concurrency` at a time; one failing does not stop
    /// the others, and the report lists every failure. Fails outright only when the top of the
    /// tree cannot be read or the remote top directory cannot be made.
    pub async fn upload_dir(
        &self,
        local: impl AsRef<Path>,
        remote: impl IntoDataUri,
        options: TransferOptions,
    ) -> Result<TransferReport> {
        let local = local.as_ref();
        let remote = remote.into_data_uri()?;
        let LocalTree {
            files,
            dirs,
            failed,
        } = local_tree(local).await?;
        ensure_remote_dir(self, &remote, options.acl.clone()).await?;
        let mut report = TransferReport {
            failed,
            ..TransferReport::default()
        };
        for dir in &dirs {
            let uri = remote_child(&remote, dir)?;
            if let Err(error) = ensure_remote_dir(self, &uri, options.acl.clone()).await {
                report.failed.push(TransferFailure {
                    path: uri.to_string(),
                    error,
                });
            }
        }
        let tally = Arc::new(Tally {
            files_done: AtomicU64::new(0),
            bytes_done: AtomicU64::new(0),
            files_total: files.len() as u64,
            bytes_total: files.iter().map(|(_, size)| size).sum(),
            callback: options.progress.clone(),
        });
        let results: Vec<(PathBuf, Result<u64>)> = futures_util::stream::iter(files)
            .map(|(relative, size)| {
                let tally = Arc::clone(&tally);
                let remote = remote.clone();
                let path = local.join(&relative);
                async move {
                    let result = async {
                        let uri = remote_child(&remote, &relative)?;
                        self.file(uri).put_file(&path).await
                    }
                    .await;
                    tally.finished(if result.is_ok() { size } else { 0 });
                    (path, result)
                }
            })
            .buffer_unordered(options.concurrency)
            .collect()
            .await;
        for (path, result) in results {
            match result {
                Ok(bytes) => {
                    report.files += 1;
                    report.bytes += bytes;
                }
                Err(error) => report.failed.push(TransferFailure {
                    path: path.display().to_string(),
                    error,
                }),
            }
        }
        Ok(report)
    }

    /// Download the tree at `remote` into the local directory `local` (created as needed).
    /// Each file is streamed to a temporary name and renamed, so a failure leaves no partial
    /// file. Failures are reported, not fatal; listing the remote tree is.
    pub async fn download_dir(
        &self,
        remote: impl IntoDataUri,
        local: impl AsRef<Path>,
        options: TransferOptions,
    ) -> Result<TransferReport> {
        let local = local.as_ref();
        let remote = remote.into_data_uri()?;
        // Walk the remote tree first, so the totals are known.
        let mut files = Vec::new();
        let mut pending = vec![(remote.clone(), PathBuf::new())];
        while let Some((uri, relative)) = pending.pop() {
            let target = local.join(&relative);
            tokio::fs::create_dir_all(&target)
                .await
                .map_err(|e| Error::io(&target, e))?;
            let entries: Vec<DataEntry> = self.dir(&uri).list().try_collect().await?;
            for entry in entries {
                match entry {
                    DataEntry::Dir(d) => pending.push((d.uri, relative.join(&d.name))),
                    DataEntry::File(f) => files.push((f.uri, relative.join(&f.name), f.size)),
                }
            }
        }
        let tally = Arc::new(Tally {
            files_done: AtomicU64::new(0),
            bytes_done: AtomicU64::new(0),
            files_total: files.len() as u64,
            bytes_total: files.iter().map(|(_, _, size)| size).sum(),
            callback: options.progress.clone(),
        });
        let results: Vec<(DataUri, Result<u64>)> = futures_util::stream::iter(files)
            .map(|(uri, relative, _)| {
                let tally = Arc::clone(&tally);
                let path = local.join(relative);
                async move {
                    let result = self.file(&uri).download_to(&path).await;
                    tally.finished(*result.as_ref().unwrap_or(&0));
                    (uri, result)
                }
            })
            .buffer_unordered(options.concurrency)
            .collect()
            .await;
        let mut report = TransferReport::default();
        for (uri, result) in results {
            match result {
                Ok(bytes) => {
                    report.files += 1;
                    report.bytes += bytes;
                }
                Err(error) => report.failed.push(TransferFailure {
                    path: uri.to_string(),
                    error,
                }),
            }
        }
        Ok(report)
    }
}
