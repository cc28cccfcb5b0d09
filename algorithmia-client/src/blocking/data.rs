//! The Data API without async: files, directories, tree transfers.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use super::{Client, Runtime, outside_runtime};
use crate::error::{Error, Result};

impl Client {
    /// See [`crate::Client::file`].
    pub fn file(&self, uri: impl crate::IntoDataUri) -> DataFile {
        DataFile {
            inner: self.inner.file(uri),
            runtime: Arc::clone(&self.runtime),
        }
    }

    /// See [`crate::Client::dir`].
    pub fn dir(&self, uri: impl crate::IntoDataUri) -> DataDir {
        DataDir {
            inner: self.inner.dir(uri),
            runtime: Arc::clone(&self.runtime),
        }
    }

    /// See [`crate::Client::upload_dir`].
    pub fn upload_dir(
        &self,
        local: impl AsRef<std::path::Path>,
        remote: impl crate::IntoDataUri,
        options: crate::TransferOptions,
    ) -> Result<crate::TransferReport> {
        self.runtime
            .block_on(self.inner.upload_dir(local, remote, options))?
    }

    /// See [`crate::Client::download_dir`].
    pub fn download_dir(
        &self,
        remote: impl crate::IntoDataUri,
        local: impl AsRef<std::path::Path>,
        options: crate::TransferOptions,
    ) -> Result<crate::TransferReport> {
        self.runtime
            .block_on(self.inner.download_dir(remote, local, options))?
    }
}

/// The blocking counterpart of [`crate::DataFile`].
#[derive(Clone)]
pub struct DataFile {
    inner: crate::DataFile,
    runtime: Arc<Runtime>,
}

impl fmt::Debug for DataFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("blocking::DataFile")
            .field(&self.inner)
            .finish()
    }
}

impl DataFile {
    /// See [`crate::DataFile::uri`].
    pub fn uri(&self) -> Result<&crate::DataUri> {
        self.inner.uri()
    }

    /// See [`crate::DataFile::exists`].
    pub fn exists(&self) -> Result<bool> {
        self.runtime.block_on(self.inner.exists())?
    }

    /// See [`crate::DataFile::metadata`].
    pub fn metadata(&self) -> Result<crate::FileMetadata> {
        self.runtime.block_on(self.inner.metadata())?
    }

    /// See [`crate::DataFile::get_bytes`].
    pub fn get_bytes(&self) -> Result<bytes::Bytes> {
        self.runtime.block_on(self.inner.get_bytes())?
    }

    /// See [`crate::DataFile::get_string`].
    pub fn get_string(&self) -> Result<String> {
        self.runtime.block_on(self.inner.get_string())?
    }

    /// See [`crate::DataFile::get_json`].
    pub fn get_json<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        self.runtime.block_on(self.inner.get_json())?
    }

    /// The file as a [`std::io::Read`], streamed. Reading it inside an async runtime fails with
    /// the same [`Error::Config`] as every other blocking call there (wrapped in an
    /// [`std::io::Error`]), not a panic.
    pub fn get_reader(&self) -> Result<impl std::io::Read + Send + 'static> {
        let reader = self.runtime.block_on(self.inner.get_reader())??;
        let handle = self.runtime.handle()?;
        Ok(BlockingReader(
            tokio_util::io::SyncIoBridge::new_with_handle(reader, handle),
        ))
    }

    /// See [`crate::DataFile::download_to`].
    pub fn download_to(&self, path: impl AsRef<std::path::Path>) -> Result<u64> {
        self.runtime.block_on(self.inner.download_to(path))?
    }

    /// See [`crate::DataFile::put_bytes`].
    pub fn put_bytes(&self, contents: impl Into<bytes::Bytes>) -> Result<()> {
        self.runtime.block_on(self.inner.put_bytes(contents))?
    }

    /// See [`crate::DataFile::put_string`].
    pub fn put_string(&self, text: impl Into<String>) -> Result<()> {
        self.runtime.block_on(self.inner.put_string(text))?
    }

    /// See [`crate::DataFile::put_json`].
    pub fn put_json<T: Serialize + ?Sized>(&self, value: &T) -> Result<()> {
        self.runtime.block_on(self.inner.put_json(value))?
    }

    /// See [`crate::DataFile::put_file`].
    pub fn put_file(&self, path: impl AsRef<std::path::Path>) -> Result<u64> {
        self.runtime.block_on(self.inner.put_file(path))?
    }

    /// Upload from a [`std::io::Read`], streamed; not retried. The reader is read on the calling
    /// thread while the upload runs on the client's runtime, so no thread outlives the call: when
    /// the upload fails, reading stops at the next chunk.
    pub fn put_reader<R: std::io::Read>(&self, mut reader: R) -> Result<()> {
        outside_runtime()?;
        let handle = self.runtime.handle()?;
        let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<bytes::Bytes>>(4);
        let stream = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        });
        let file = self.inner.clone();
        let upload = handle.spawn(async move { file.put_stream(stream).await });
        let mut buffer = vec![0u8; crate::request::CHUNK_BYTES];
        loop {
            let item = match reader.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => Ok(bytes::Bytes::copy_from_slice(&buffer[..n])),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => Err(e),
            };
            let failed = item.is_err();
            // A closed channel means the upload ended early; its result says why.
            if tx.blocking_send(item).is_err() || failed {
                break;
            }
        }
        drop(tx);
        match self.runtime.block_on(upload)? {
            Ok(result) => result,
            Err(e) => Err(Error::config(format!("the upload task failed: {e}"))),
        }
    }

    /// See [`crate::DataFile::delete`].
    pub fn delete(&self) -> Result<()> {
        self.runtime.block_on(self.inner.delete())?
    }
}

/// The blocking counterpart of [`crate::DataDir`]; listings are iterators.
#[derive(Clone)]
pub struct DataDir {
    inner: crate::DataDir,
    runtime: Arc<Runtime>,
}

impl fmt::Debug for DataDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("blocking::DataDir")
            .field(&self.inner)
            .finish()
    }
}

/// Drive a stream one item per `next()`.
pub(super) struct BlockingIter<S> {
    stream: std::pin::Pin<Box<S>>,
    runtime: Arc<Runtime>,
    done: bool,
}

impl<S> BlockingIter<S> {
    /// Read `stream` on `runtime`, one item per `next()`.
    pub(super) fn new(stream: S, runtime: Arc<Runtime>) -> Self {
        BlockingIter {
            stream: Box::pin(stream),
            runtime,
            done: false,
        }
    }
}

impl<T, S: futures_util::Stream<Item = Result<T>>> Iterator for BlockingIter<S> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        if self.done {
            return None;
        }
        let item = match self
            .runtime
            .block_on(futures_util::StreamExt::next(&mut self.stream))
        {
            Ok(item) => item,
            Err(e) => Some(Err(e)),
        };
        self.done = !matches!(item, Some(Ok(_)));
        item
    }
}

impl DataDir {
    fn iter<T, S: futures_util::Stream<Item = Result<T>>>(&self, stream: S) -> BlockingIter<S> {
        BlockingIter::new(stream, Arc::clone(&self.runtime))
    }

    /// See [`crate::DataDir::uri`].
    pub fn uri(&self) -> Result<&crate::DataUri> {
        self.inner.uri()
    }

    /// See [`crate::DataDir::file`].
    pub fn file(&self, name: &str) -> DataFile {
        DataFile {
            inner: self.inner.file(name),
            runtime: Arc::clone(&self.runtime),
        }
    }

    /// See [`crate::DataDir::dir`].
    pub fn dir(&self, name: &str) -> DataDir {
        DataDir {
            inner: self.inner.dir(name),
            runtime: Arc::clone(&self.runtime),
        }
    }

    /// See [`crate::DataDir::exists`].
    pub fn exists(&self) -> Result<bool> {
        self.runtime.block_on(self.inner.exists())?
    }

    /// See [`crate::DataDir::create`].
    pub fn create(&self, acl: crate::DataAcl) -> Result<()> {
        self.runtime.block_on(self.inner.create(acl))?
    }

    /// See [`crate::DataDir::delete`].
    pub fn delete(&self, force: bool) -> Result<u64> {
        self.runtime.block_on(self.inner.delete(force))?
    }

    /// See [`crate::DataDir::list`]: pages are fetched as the iterator advances.
    pub fn list(&self) -> impl Iterator<Item = Result<crate::DataEntry>> + use<> {
        self.iter(self.inner.list())
    }

    /// See [`crate::DataDir::files`].
    pub fn files(&self) -> impl Iterator<Item = Result<crate::FileEntry>> + use<> {
        self.iter(self.inner.files())
    }

    /// See [`crate::DataDir::dirs`].
    pub fn dirs(&self) -> impl Iterator<Item = Result<crate::DirEntry>> + use<> {
        self.iter(self.inner.dirs())
    }

    /// See [`crate::DataDir::acl`].
    pub fn acl(&self) -> Result<Option<crate::DataAcl>> {
        self.runtime.block_on(self.inner.acl())?
    }

    /// See [`crate::DataDir::update_acl`].
    pub fn update_acl(&self, acl: crate::DataAcl) -> Result<()> {
        self.runtime.block_on(self.inner.update_acl(acl))?
    }

    /// See [`crate::DataDir::put_file`].
    pub fn put_file(&self, path: impl AsRef<std::path::Path>) -> Result<DataFile> {
        let inner = self.runtime.block_on(self.inner.put_file(path))??;
        Ok(DataFile {
            inner,
            runtime: Arc::clone(&self.runtime),
        })
    }
}

/// A blocking reader over an async one that refuses, rather than panics, inside a runtime.
struct BlockingReader<R>(R);

impl<R: std::io::Read> std::io::Read for BlockingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        outside_runtime().map_err(std::io::Error::other)?;
        self.0.read(buf)
    }
}
