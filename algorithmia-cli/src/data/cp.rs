//! `algo cp`: local to remote, remote to local, remote to remote, several sources into a
//! directory, and trees with `-r`.
//!
//! The destination is taken as a directory when it ends with `/`, when it is one already, or
//! when there are several sources (a missing one is then created); each source lands in it
//! under its own name. Otherwise a file source is copied to the destination's path, and a tree
//! becomes the destination (as `cp -r` does when the destination does not exist).
//!
//! Every argument is checked before anything moves: a missing local file, a directory without
//! `-r`, a destination that is a file where a directory is needed, and two local sides are
//! usage errors (exit 2) and nothing is copied. Once copying starts, one file failing does not
//! stop the others: what succeeded stays, and the command ends with exit 1 listing every file
//! that failed and why. A downloaded file is written under a temporary name beside its
//! destination and renamed into place when whole.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use algorithmia_client::{
    Client, DataAcl, DataEntry, DataUri, Error, TransferOptions, TransferReport,
};
use futures_util::{StreamExt, TryStreamExt};
use serde::Serialize;

use super::Failures;
use super::paths::{self, Endpoint};
use super::progress::TransferBar;
use crate::cli::CpArgs;
use crate::context::Context;
use crate::error::{CliError, CliResult, describe};
use crate::output;

/// What a source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A file of this many bytes.
    File(u64),
    /// A directory, copied whole (`-r`).
    Tree,
}

/// One thing to copy, from `src` to `dst`.
#[derive(Debug, Clone)]
struct Job {
    src: Endpoint,
    dst: Endpoint,
    kind: Kind,
}

/// What is at the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    Dir,
    File,
    Nothing,
}

/// `cp --json`: what was copied and what failed.
#[derive(Debug, Default, Serialize)]
struct CopyReport {
    /// Files copied.
    files: u64,
    /// Bytes copied.
    bytes: u64,
    /// Files that failed, each with why.
    failed: Vec<FailedFile>,
}

#[derive(Debug, Serialize)]
struct FailedFile {
    path: String,
    error: String,
}

/// `algo cp`.
pub async fn cp(ctx: &Context, args: CpArgs) -> CliResult {
    if args.concurrency == 0 {
        return Err(CliError::usage("--concurrency must be at least 1"));
    }
    let Some((dest_arg, source_args)) = args.paths.split_last() else {
        return Err(CliError::usage("cp needs SOURCE... DEST"));
    };
    if source_args.is_empty() {
        return Err(CliError::usage("cp needs SOURCE... DEST"));
    }
    let client = ctx.client();
    let dest = paths::endpoint(dest_arg)?;
    let sources = sources(client, source_args, args.recursive).await?;
    if sources.is_empty() {
        // `data://dir/*` of an empty directory: nothing to do.
        return finish(ctx, CopyReport::default(), Failures::default(), 0);
    }
    let jobs = plan(client, &sources, &dest, dest_arg.ends_with('/')).await?;
    run(ctx, jobs, args.concurrency).await
}

/// Read the sources: `dir/*` patterns expanded, each checked to exist, sized, and a directory
/// refused without `-r`.
async fn sources(
    client: &Client,
    args: &[String],
    recursive: bool,
) -> CliResult<Vec<(Endpoint, Kind)>> {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for arg in args {
        let endpoint = match paths::pattern_dir(arg).filter(|_| arg.contains("://")) {
            Some(dir) => {
                let dir = paths::remote(dir)?;
                for entry in paths::expand(client, &dir, recursive).await? {
                    match entry {
                        DataEntry::File(f) => {
                            out.push((Endpoint::Remote(f.uri), Kind::File(f.size)))
                        }
                        DataEntry::Dir(d) => out.push((Endpoint::Remote(d.uri), Kind::Tree)),
                    }
                }
                continue;
            }
            None => paths::endpoint(arg)?,
        };
        let kind = match &endpoint {
            Endpoint::Local(path) => match tokio::fs::metadata(path).await {
                Ok(meta) if meta.is_dir() => Kind::Tree,
                Ok(meta) => Kind::File(meta.len()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    bad.push(format!("{}: no such file or directory", path.display()));
                    continue;
                }
                Err(e) => {
                    bad.push(format!("{}: {e}", path.display()));
                    continue;
                }
            },
            Endpoint::Remote(uri) if uri.is_root() => Kind::Tree,
            Endpoint::Remote(uri) => match client.file(uri).metadata().await {
                Ok(meta) => Kind::File(meta.size),
                Err(Error::WrongType { .. }) => Kind::Tree,
                Err(e) if e.is_not_found() => {
                    bad.push(format!("{uri}: no such file or directory"));
                    continue;
                }
                Err(e) => return Err(CliError::api(format_args!("read {uri}"), e)),
            },
        };
        if kind == Kind::Tree && !recursive {
            bad.push(format!("{endpoint} is a directory (use -r to copy it)"));
            continue;
        }
        out.push((endpoint, kind));
    }
    if !bad.is_empty() {
        return Err(CliError::usage(format!(
            "nothing was copied:\n  {}",
            bad.join("\n  ")
        )));
    }
    Ok(out)
}

/// What is at `dest`.
async fn found(client: &Client, dest: &Endpoint) -> CliResult<Found> {
    match dest {
        Endpoint::Local(path) => match tokio::fs::metadata(path).await {
            Ok(meta) if meta.is_dir() => Ok(Found::Dir),
            Ok(_) => Ok(Found::File),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Found::Nothing),
            Err(e) => Err(CliError::failed(format!(
                "could not read {}: {e}",
                path.display()
            ))),
        },
        Endpoint::Remote(uri) if uri.is_root() => Ok(Found::Dir),
        Endpoint::Remote(uri) => match client.file(uri).metadata().await {
            Ok(_) => Ok(Found::File),
            Err(Error::WrongType { .. }) => Ok(Found::Dir),
            Err(e) if e.is_not_found() => Ok(Found::Nothing),
            Err(e) => Err(CliError::api(format_args!("read {uri}"), e)),
        },
    }
}

/// `dir/name`, where `name` is the last part of `src`.
fn child(dir: &Endpoint, src: &Endpoint) -> CliResult<Endpoint> {
    let name = match src {
        Endpoint::Local(path) => path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| CliError::usage(format!("{} has no file name", path.display())))?,
        Endpoint::Remote(uri) => uri
            .name()
            .map(str::to_owned)
            .ok_or_else(|| CliError::usage(format!("{uri} is a root and has no name")))?,
    };
    match dir {
        Endpoint::Local(path) => Ok(Endpoint::Local(path.join(&name))),
        Endpoint::Remote(uri) => uri
            .join(&name)
            .map(Endpoint::Remote)
            .map_err(|e| CliError::usage(format!("cannot name {name} under {uri}: {e}"))),
    }
}

/// Pair each source with its destination, refusing what cannot work before anything moves.
async fn plan(
    client: &Client,
    sources: &[(Endpoint, Kind)],
    dest: &Endpoint,
    dest_is_dir: bool,
) -> CliResult<Vec<Job>> {
    for (src, _) in sources {
        if matches!((src, dest), (Endpoint::Local(_), Endpoint::Local(_))) {
            return Err(CliError::usage(format!(
                "cannot copy {src} to {dest}: one of them must be a data URI (data://...)"
            )));
        }
    }
    let found = found(client, dest).await?;
    let single_tree = matches!(sources, [(_, Kind::Tree)]);
    let into_dir = dest_is_dir || found == Found::Dir || sources.len() > 1;
    if found == Found::File {
        if sources.len() > 1 {
            return Err(CliError::usage(format!(
                "{dest} is a file; copying {} sources needs a directory",
                sources.len()
            )));
        }
        if single_tree {
            return Err(CliError::usage(format!(
                "{dest} is a file; copying a directory needs a directory"
            )));
        }
        if dest_is_dir {
            return Err(CliError::usage(format!(
                "{dest} is a file, not a directory"
            )));
        }
    }
    if !into_dir || (found == Found::Nothing && single_tree) {
        // One source, copied to the destination's own path.
        return Ok(sources
            .iter()
            .map(|(src, kind)| Job {
                src: src.clone(),
                dst: dest.clone(),
                kind: *kind,
            })
            .collect());
    }
    if found == Found::Nothing {
        make_dir(client, dest).await?;
    }
    sources
        .iter()
        .map(|(src, kind)| {
            Ok(Job {
                src: src.clone(),
                dst: child(dest, src)?,
                kind: *kind,
            })
        })
        .collect()
}

async fn make_dir(client: &Client, dir: &Endpoint) -> CliResult {
    match dir {
        Endpoint::Local(path) => tokio::fs::create_dir_all(path)
            .await
            .map_err(|e| CliError::failed(format!("could not create {}: {e}", path.display()))),
        Endpoint::Remote(uri) => client
            .dir(uri)
            .create(DataAcl::default())
            .await
            .map_err(|e| CliError::api(format_args!("create {uri}"), e)),
    }
}

/// Copy the jobs: single files `concurrency` at a time, then each tree with as many files at a
/// time; failures are gathered, not fatal.
async fn run(ctx: &Context, jobs: Vec<Job>, concurrency: usize) -> CliResult {
    let client = ctx.client();
    let mut report = CopyReport::default();
    let mut failures = Failures::default();
    let (files, trees): (Vec<Job>, Vec<Job>) = jobs
        .into_iter()
        .partition(|job| matches!(job.kind, Kind::File(_)));

    if !files.is_empty() {
        let total_files = files.len() as u64;
        let total_bytes = files
            .iter()
            .map(|job| match job.kind {
                Kind::File(size) => size,
                Kind::Tree => 0,
            })
            .sum();
        let bar = TransferBar::new(ctx.progress, total_files, total_bytes);
        let mut done = futures_util::stream::iter(files)
            .map(|job| async move {
                let result = copy_file(client, &job.src, &job.dst).await;
                (job, result)
            })
            .buffer_unordered(concurrency);
        let mut finished = 0;
        while let Some((job, result)) = done.next().await {
            finished += 1;
            match result {
                Ok(bytes) => {
                    report.files += 1;
                    report.bytes += bytes;
                }
                Err(why) => failures.push(job.src.to_string(), why),
            }
            bar.show(finished, total_files, report.bytes, total_bytes);
        }
        bar.finish();
    }

    for job in trees {
        let bar = TransferBar::new(ctx.progress, 0, 0);
        let progress = bar.clone();
        let options = TransferOptions::default()
            .concurrency(concurrency)
            .on_progress(move |p| {
                progress.show(p.files_done, p.files_total, p.bytes_done, p.bytes_total);
            });
        let outcome = match (&job.src, &job.dst) {
            (Endpoint::Local(src), Endpoint::Remote(dst)) => {
                client.upload_dir(src, dst, options).await
            }
            (Endpoint::Remote(src), Endpoint::Local(dst)) => {
                client.download_dir(src, dst, options).await
            }
            (Endpoint::Remote(src), Endpoint::Remote(dst)) => {
                copy_remote_tree(
                    client,
                    src,
                    dst,
                    concurrency,
                    &bar,
                    &mut report,
                    &mut failures,
                )
                .await;
                Ok(TransferReport::default())
            }
            (Endpoint::Local(_), Endpoint::Local(_)) => Ok(TransferReport::default()),
        };
        bar.finish();
        match outcome {
            Ok(tree) => {
                report.files += tree.files;
                report.bytes += tree.bytes;
                for failure in tree.failed {
                    failures.push(failure.path, describe(&failure.error));
                }
            }
            Err(e) => failures.push(job.src.to_string(), describe(&e)),
        }
    }
    let attempted = report.files as usize + failures.len();
    finish(ctx, report, failures, attempted)
}

/// Print the report (`--json`) and turn failures into the command's error.
fn finish(
    ctx: &Context,
    mut report: CopyReport,
    failures: Failures,
    attempted: usize,
) -> CliResult {
    if ctx.json {
        report.failed = failures
            .items()
            .iter()
            .map(|(path, error)| FailedFile {
                path: path.clone(),
                error: error.clone(),
            })
            .collect();
        output::json(&report)?;
    }
    failures.into_result("copy", attempted)
}

/// Copy one file; the bytes copied, or why not.
async fn copy_file(client: &Client, src: &Endpoint, dst: &Endpoint) -> Result<u64, String> {
    match (src, dst) {
        (Endpoint::Local(src), Endpoint::Remote(dst)) => client
            .file(dst)
            .put_file(src)
            .await
            .map_err(|e| describe(&e)),
        (Endpoint::Remote(src), Endpoint::Local(dst)) => client
            .file(src)
            .download_to(dst)
            .await
            .map_err(|e| local_target(&e, dst)),
        (Endpoint::Remote(src), Endpoint::Remote(dst)) => remote_to_remote(client, src, dst).await,
        (Endpoint::Local(_), Endpoint::Local(_)) => Err("both sides are local".to_owned()),
    }
}

fn local_target(error: &Error, dst: &Path) -> String {
    let why = describe(error);
    if why.contains(&dst.display().to_string()) {
        why
    } else {
        format!("{why} (writing {})", dst.display())
    }
}

/// Stream a remote file into another remote file: nothing is held whole, nothing touches disk.
async fn remote_to_remote(client: &Client, src: &DataUri, dst: &DataUri) -> Result<u64, String> {
    let stream = client
        .file(src)
        .get_stream()
        .await
        .map_err(|e| describe(&e))?;
    let moved = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&moved);
    let counted = stream.inspect_ok(move |chunk| {
        counter.fetch_add(chunk.len() as u64, Ordering::Relaxed);
    });
    client
        .file(dst)
        .put_stream(counted)
        .await
        .map_err(|e| format!("writing {dst}: {}", describe(&e)))?;
    Ok(moved.load(Ordering::Relaxed))
}

/// Copy the remote tree `src` to `dst` (created as needed), `concurrency` files at a time,
/// adding to `report` and `failures`.
async fn copy_remote_tree(
    client: &Client,
    src: &DataUri,
    dst: &DataUri,
    concurrency: usize,
    bar: &TransferBar,
    report: &mut CopyReport,
    failures: &mut Failures,
) {
    let mut files = Vec::new();
    let mut pending = vec![(src.clone(), dst.clone())];
    while let Some((from, to)) = pending.pop() {
        let target = client.dir(&to);
        let made = match target.exists().await {
            Ok(true) => Ok(()),
            Ok(false) => target.create(DataAcl::default()).await,
            Err(e) => Err(e),
        };
        if let Err(e) = made {
            failures.push(
                to.to_string(),
                format!("could not create it: {}", describe(&e)),
            );
            continue;
        }
        let listed: Result<Vec<DataEntry>, Error> = client.dir(&from).list().try_collect().await;
        let entries = match listed {
            Ok(entries) => entries,
            Err(e) => {
                failures.push(
                    from.to_string(),
                    format!("could not list it: {}", describe(&e)),
                );
                continue;
            }
        };
        for entry in entries {
            let to_child = match to.join(entry.name()) {
                Ok(uri) => uri,
                Err(e) => {
                    failures.push(entry.uri().to_string(), e.to_string());
                    continue;
                }
            };
            match entry {
                DataEntry::Dir(d) => pending.push((d.uri, to_child)),
                DataEntry::File(f) => files.push((f.uri, to_child, f.size)),
            }
        }
    }
    let total_files = files.len() as u64;
    let total_bytes = files.iter().map(|(_, _, size)| size).sum();
    let (mut finished, mut bytes) = (0, 0);
    let mut done = futures_util::stream::iter(files)
        .map(|(from, to, _)| async move {
            let result = remote_to_remote(client, &from, &to).await;
            (from, result)
        })
        .buffer_unordered(concurrency);
    while let Some((from, result)) = done.next().await {
        finished += 1;
        match result {
            Ok(moved) => {
                report.files += 1;
                report.bytes += moved;
                bytes += moved;
            }
            Err(why) => failures.push(from.to_string(), why),
        }
        bar.show(finished, total_files, bytes, total_bytes);
    }
}
