//! A download written to disk as it arrives, by a thread of its own, and flushed as it goes:
//! the file must be on disk before it is renamed into place, and starting the write-back of each
//! region while the next one still arrives leaves little for the final `fsync`.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::sync::mpsc;

use crate::error::{Error, Result};

/// Network chunks queued for the writing thread. A chunk is at most a few hundred KiB, so this
/// bounds the memory a download holds while the disk catches up.
const QUEUE_CHUNKS: usize = 16;

/// Written data is handed to the disk in regions of this size; the writer waits for the region
/// before the last one, so at most about two regions are dirty or in flight at once.
const FLUSH_REGION: u64 = 8 << 20;

/// Why writing a download failed: the local file, or the body (which the caller may retry).
pub(super) enum WriteFailure {
    Local(Error),
    Body(Error),
}

/// Write `chunks` to a new file at `temp`, flushed to disk when this returns `Ok`: the bytes
/// written.
pub(super) async fn write_durably<S>(
    mut chunks: S,
    temp: &Path,
) -> std::result::Result<u64, WriteFailure>
where
    S: Stream<Item = Result<Bytes>> + Unpin,
{
    let local = |e: std::io::Error| WriteFailure::Local(Error::io(temp, e));
    let (sender, receiver) = mpsc::channel::<Bytes>(QUEUE_CHUNKS);
    let path: PathBuf = temp.to_path_buf();
    let writer = tokio::task::spawn_blocking(move || write_chunks(&path, receiver));
    let mut broken = None;
    while let Some(chunk) = chunks.next().await {
        match chunk {
            // A closed queue means the writer stopped on an error: it is reported below.
            Ok(chunk) => {
                if sender.send(chunk).await.is_err() {
                    break;
                }
            }
            Err(error) => {
                broken = Some(error);
                break;
            }
        }
    }
    drop(sender);
    let (file, written) = writer
        .await
        .map_err(|e| local(std::io::Error::other(e)))?
        .map_err(local)?;
    if let Some(error) = broken {
        return Err(WriteFailure::Body(error));
    }
    tokio::task::spawn_blocking(move || file.sync_all())
        .await
        .map_err(|e| local(std::io::Error::other(e)))?
        .map_err(local)?;
    Ok(written)
}

/// The writing thread: every chunk until the queue closes, each region's write-back started as
/// soon as it is complete. The file is returned open, not yet synced.
fn write_chunks(path: &Path, mut receiver: mpsc::Receiver<Bytes>) -> std::io::Result<(File, u64)> {
    let mut file = File::create(path)?;
    let mut written = 0u64;
    let mut flushed = 0u64;
    while let Some(chunk) = receiver.blocking_recv() {
        file.write_all(&chunk)?;
        written += chunk.len() as u64;
        while written - flushed >= FLUSH_REGION {
            write_back(&file, flushed);
            flushed += FLUSH_REGION;
        }
    }
    Ok((file, written))
}

/// Start writing the region at `offset` to disk, and wait for the region before it. Advisory:
/// the final `fsync` is what makes the file durable, so a failure here (a file system without
/// the call) only means that the flush is left to the end.
#[cfg(target_os = "linux")]
fn write_back(file: &File, offset: u64) {
    use std::os::fd::AsRawFd;

    let region = FLUSH_REGION as libc::off64_t;
    let start = offset as libc::off64_t;
    sync_file_range(file.as_raw_fd(), start, region, libc::SYNC_FILE_RANGE_WRITE);
    if start >= region {
        sync_file_range(
            file.as_raw_fd(),
            start - region,
            region,
            libc::SYNC_FILE_RANGE_WAIT_BEFORE
                | libc::SYNC_FILE_RANGE_WRITE
                | libc::SYNC_FILE_RANGE_WAIT_AFTER,
        );
    }
}

/// `sync_file_range(2)` on an open descriptor; its result is ignored (see [`write_back`]).
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn sync_file_range(fd: std::os::fd::RawFd, offset: libc::off64_t, len: libc::off64_t, flags: u32) {
    // SAFETY: the call takes plain integers and touches no memory of ours; `fd` is the open
    // descriptor of a `File` borrowed by the caller for the length of the call.
    let result = unsafe { libc::sync_file_range(fd, offset, len, flags) };
    if result != 0 {
        tracing::trace!(error = %std::io::Error::last_os_error(), "sync_file_range");
    }
}

/// Elsewhere the whole flush is left to the final `fsync`.
#[cfg(not(target_os = "linux"))]
fn write_back(_file: &File, _offset: u64) {}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(items: Vec<Result<Bytes>>) -> impl Stream<Item = Result<Bytes>> + Unpin {
        futures_util::stream::iter(items)
    }

    #[tokio::test]
    async fn every_byte_arrives_in_order_across_flush_regions() {
        let dir = tempfile::tempdir().unwrap();
        let temp = dir.path().join("download.part");
        // Two and a half regions, in odd-sized chunks, each byte telling its position.
        let len = (FLUSH_REGION * 5 / 2) as usize;
        let all: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let items = all
            .chunks(100_003)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        let written = match write_durably(chunks(items), &temp).await {
            Ok(written) => written,
            Err(_) => panic!("the write failed"),
        };
        assert_eq!(written, len as u64);
        assert!(std::fs::read(&temp).unwrap() == all, "the file differs");
    }

    #[tokio::test]
    async fn a_broken_body_is_a_body_failure() {
        let dir = tempfile::tempdir().unwrap();
        let temp = dir.path().join("download.part");
        let items = vec![
            Ok(Bytes::from_static(b"some")),
            Err(Error::io(
                &temp,
                std::io::Error::other("the peer went away"),
            )),
            Ok(Bytes::from_static(b"never written")),
        ];
        match write_durably(chunks(items), &temp).await {
            // The body's own error, passed on as it came.
            Err(WriteFailure::Body(e)) => assert!(matches!(e, Error::Io { .. }), "{e}"),
            Err(WriteFailure::Local(e)) => panic!("a local failure: {e}"),
            Ok(n) => panic!("{n} bytes written from a broken body"),
        }
        assert_eq!(std::fs::read(&temp).unwrap(), b"some");
    }

    #[tokio::test]
    async fn a_file_that_cannot_be_created_is_a_local_failure_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let temp = dir.path().join("missing").join("download.part");
        let items = (0..100).map(|_| Ok(Bytes::from_static(b"data"))).collect();
        match write_durably(chunks(items), &temp).await {
            Err(WriteFailure::Local(e)) => {
                assert!(e.to_string().contains("download.part"), "{e}")
            }
            Err(WriteFailure::Body(e)) => panic!("a body failure: {e}"),
            Ok(n) => panic!("{n} bytes written to a missing directory"),
        }
    }
}
