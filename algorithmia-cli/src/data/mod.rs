//! The data commands: `ls`, `mkdir`, `rmdir`, `rm`, `cat` and `cp`.
//!
//! Paths are data URIs (`data://.my/photos`, `s3://bucket/key`); `ls`, `mkdir`, `rmdir`, `rm`
//! and `cat` also take a bare path (`.my/photos`) as `data://`. `rm`, `cat` and `cp` expand a
//! final `/*` (`data://.my/photos/*`) to the files of that directory, as the official CLI does.
//! `ls` prints paths as the official CLI does: without `data://` for hosted data.

mod cp;
mod paths;
mod progress;

pub use cp::cp;

use std::time::SystemTime;

use algorithmia_client::{DataAcl, DataEntry, DataUri, Error};
use futures_util::{StreamExt, TryStreamExt};
use serde::Serialize;
use tokio::io::AsyncWriteExt;

use crate::cli::{LsArgs, PathArg, PathsArg, RmdirArgs};
use crate::context::Context;
use crate::error::{CliError, CliResult, describe};
use crate::output;

/// Whether `error` says a directory is where a file was expected.
pub(crate) fn is_directory(error: &Error) -> bool {
    matches!(error, Error::WrongType { found, .. } if found == "directory")
}

/// What failed among many files; the command fails (exit 1) listing every one.
#[derive(Debug, Default)]
pub(crate) struct Failures {
    items: Vec<(String, String)>,
}

impl Failures {
    /// `path` failed because of `why`.
    pub(crate) fn push(&mut self, path: impl Into<String>, why: impl Into<String>) {
        self.items.push((path.into(), why.into()));
    }

    /// How many failed.
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// The failures, as `(path, why)`.
    pub(crate) fn items(&self) -> &[(String, String)] {
        &self.items
    }

    /// `Ok` when nothing failed; else one error listing each failure on its own line.
    pub(crate) fn into_result(mut self, what: &str, of: usize) -> CliResult {
        if self.items.is_empty() {
            return Ok(());
        }
        self.items.sort();
        let mut message = format!("could not {what} {} of {of}:", self.items.len());
        for (path, why) in &self.items {
            message.push_str(&format!("\n  {path}: {why}"));
        }
        Err(CliError::failed(message))
    }
}

/// A path as `ls` prints it: hosted data without `data://` (as the official CLI prints it),
/// other connectors as URIs.
fn shown(uri: &DataUri) -> String {
    if uri.connector() == "data" {
        uri.path().to_owned()
    } else {
        uri.to_string()
    }
}

/// `YYYY-MM-DD HH:MM:SS` in UTC, the official CLI's long-listing time.
fn listing_time(time: SystemTime) -> String {
    let text = humantime::format_rfc3339_seconds(time).to_string();
    text.trim_end_matches('Z').replacen('T', " ", 1)
}

/// An entry of `ls --json`.
#[derive(Debug, Serialize)]
struct ListedEntry {
    /// The entry's name.
    name: String,
    /// `file` or `directory`.
    kind: &'static str,
    /// Its URI.
    uri: String,
    /// Size in bytes (files only).
    size: Option<u64>,
    /// Last modification, RFC 3339 in UTC (files, when the API gives it).
    #[serde(serialize_with = "rfc3339")]
    modified: Option<SystemTime>,
}

/// A time as RFC 3339 in UTC, to the second.
fn rfc3339<S: serde::Serializer>(time: &Option<SystemTime>, out: S) -> Result<S::Ok, S::Error> {
    match time {
        Some(t) => out.collect_str(&humantime::format_rfc3339_seconds(*t)),
        None => out.serialize_none(),
    }
}

impl ListedEntry {
    fn file(uri: &DataUri, size: u64, modified: Option<SystemTime>) -> ListedEntry {
        ListedEntry {
            name: uri.name().unwrap_or_default().to_owned(),
            kind: "file",
            uri: uri.to_string(),
            size: Some(size),
            modified,
        }
    }

    fn dir(uri: &DataUri) -> ListedEntry {
        ListedEntry {
            name: uri.name().unwrap_or_default().to_owned(),
            kind: "directory",
            uri: uri.to_string(),
            size: None,
            modified: None,
        }
    }

    /// The entry as `ls` (`long`: `ls -l`) prints it.
    fn line(&self, uri: &DataUri, long: bool) -> String {
        if self.kind == "directory" {
            return format!("{}/", shown(uri));
        }
        if !long {
            return shown(uri);
        }
        let time = self.modified.map_or_else(|| "-".to_owned(), listing_time);
        format!("{time}   {}   {}", self.size.unwrap_or(0), shown(uri))
    }
}

/// `algo ls`: directories first (with a trailing `/`), then files; a file's own path lists it.
pub async fn ls(ctx: &Context, args: LsArgs) -> CliResult {
    let arg = args.path.as_deref().unwrap_or("data://");
    let uri = paths::remote(arg)?;
    let client = ctx.client();
    // A path may name a file: HEAD tells, without downloading it.
    if !uri.is_root() {
        match client.file(&uri).metadata().await {
            Ok(meta) => {
                let entry = ListedEntry::file(&uri, meta.size, meta.last_modified);
                return if ctx.json {
                    output::json(&[entry])
                } else {
                    output::line(&entry.line(&uri, args.long))
                };
            }
            Err(Error::WrongType { .. }) => {}
            Err(e) => return Err(CliError::api(format_args!("list {uri}"), e)),
        }
    }
    let entries: Vec<DataEntry> = client
        .dir(&uri)
        .list()
        .try_collect()
        .await
        .map_err(|e| CliError::api(format_args!("list {uri}"), e))?;
    let mut dirs = Vec::new();
    let mut files = Vec::new();
    for entry in entries {
        match entry {
            DataEntry::Dir(d) => dirs.push((ListedEntry::dir(&d.uri), d.uri)),
            DataEntry::File(f) => {
                files.push((ListedEntry::file(&f.uri, f.size, f.last_modified), f.uri))
            }
        }
    }
    dirs.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    files.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    let all = dirs.into_iter().chain(files);
    if ctx.json {
        let listed: Vec<ListedEntry> = all.map(|(entry, _)| entry).collect();
        return output::json(&listed);
    }
    let mut text = String::new();
    for (entry, uri) in all {
        text.push_str(&entry.line(&uri, args.long));
        text.push('\n');
    }
    output::bytes(text.as_bytes())
}

/// `algo mkdir`: a directory that exists already is an error (exit 1), as for `mkdir(1)`; the
/// official CLI says nothing then, which leaves a script unable to tell.
pub async fn mkdir(ctx: &Context, args: PathArg) -> CliResult {
    let uri = paths::remote(&args.path)?;
    let dir = ctx.client().dir(&uri);
    let what = format_args!("create {uri}");
    if dir.exists().await.map_err(|e| CliError::api(what, e))? {
        return Err(CliError::failed(format!(
            "could not create {uri}: it exists already"
        )));
    }
    dir.create(DataAcl::default())
        .await
        .map_err(|e| CliError::api(format_args!("create {uri}"), e))
}

/// `algo rmdir`: a non-empty directory only with `-f`.
pub async fn rmdir(ctx: &Context, args: RmdirArgs) -> CliResult {
    let uri = paths::remote(&args.path)?;
    let client = ctx.client();
    if uri.is_root() {
        return Err(CliError::usage(format!(
            "{uri} is a root; it cannot be removed"
        )));
    }
    let dir = client.dir(&uri);
    if !dir
        .exists()
        .await
        .map_err(|e| CliError::api(format_args!("remove {uri}"), e))?
    {
        let why = match client.file(&uri).exists().await {
            Ok(true) => "it is a file (use algo rm)",
            _ => "no such directory",
        };
        return Err(CliError::failed(format!("could not remove {uri}: {why}")));
    }
    if !args.force {
        // Asked first so that the refusal says plainly why, and nothing is touched.
        let mut entries = std::pin::pin!(dir.list());
        if let Some(first) = entries.next().await {
            first.map_err(|e| CliError::api(format_args!("remove {uri}"), e))?;
            return Err(CliError::failed(format!(
                "could not remove {uri}: it is not empty (use -f to remove it with everything in it)"
            )));
        }
    }
    dir.delete(args.force)
        .await
        .map(|_| ())
        .map_err(|e| CliError::api(format_args!("remove {uri}"), e))
}

/// The files `rm` and `cat` work on: each argument, with `dir/*` expanded to the directory's
/// files (in name order).
async fn file_args(ctx: &Context, args: &[String]) -> CliResult<Vec<DataUri>> {
    let mut uris = Vec::new();
    for arg in args {
        match paths::pattern_dir(arg) {
            Some(dir) => {
                let dir = paths::remote(dir)?;
                let entries = paths::expand(ctx.client(), &dir, false).await?;
                uris.extend(entries.into_iter().map(|e| e.uri().clone()));
            }
            None => uris.push(paths::remote(arg)?),
        }
    }
    Ok(uris)
}

/// `algo rm`: each file is removed or said why not; directories are left to `rmdir`.
pub async fn rm(ctx: &Context, args: PathsArg) -> CliResult {
    let uris = file_args(ctx, &args.paths).await?;
    let mut failures = Failures::default();
    for uri in &uris {
        let file = ctx.client().file(uri);
        // HEAD first: DELETE on a directory's path would remove the directory.
        let result = match file.metadata().await {
            Ok(_) => file.delete().await,
            Err(e) => Err(e),
        };
        match result {
            Err(e) if is_directory(&e) => failures.push(
                uri.to_string(),
                format!("{} (use algo rmdir)", describe(&e)),
            ),
            Err(e) => failures.push(uri.to_string(), describe(&e)),
            Ok(()) => {}
        }
    }
    failures.into_result("remove", uris.len())
}

/// `algo cat`: each file streamed to stdout in turn, as it arrives (never whole in memory),
/// bytes as they are. A file that cannot be read is reported and the rest still printed.
pub async fn cat(ctx: &Context, args: PathsArg) -> CliResult {
    let uris = file_args(ctx, &args.paths).await?;
    let mut stdout = tokio::io::stdout();
    let mut failures = Failures::default();
    for uri in &uris {
        let mut stream = match ctx.client().file(uri).get_stream().await {
            Ok(stream) => stream,
            Err(e) => {
                failures.push(uri.to_string(), describe(&e));
                continue;
            }
        };
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(chunk) => {
                    if let Err(e) = stdout.write_all(&chunk).await {
                        return output::write_error(e);
                    }
                }
                Err(e) => {
                    failures.push(uri.to_string(), describe(&e));
                    break;
                }
            }
        }
    }
    if let Err(e) = stdout.flush().await {
        return output::write_error(e);
    }
    failures.into_result("print", uris.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_times_are_the_official_format() {
        let time = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_547_073_871);
        assert_eq!(listing_time(time), "2019-01-09 22:44:31");
    }

    #[test]
    fn hosted_paths_are_shown_without_their_scheme() {
        let uri: DataUri = "data://.my/a/b.txt"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(shown(&uri), ".my/a/b.txt");
        let uri: DataUri = "s3://bucket/k".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(shown(&uri), "s3://bucket/k");
    }
}
