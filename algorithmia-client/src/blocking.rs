//! A synchronous facade over the async client, for code without an async runtime.
//!
//! Every call runs the async implementation on a small runtime the facade owns; there is no second
//! implementation. Calling it from inside an async runtime is an [`Error::Config`], not a panic.
//!
//! ```no_run
//! use algorithmia_client::blocking::Client;
//!
//! let client = Client::new("simYourApiKey")?;
//! let response = client.algo("demo/Hello").pipe("world")?;
//! println!("{}", response.as_text().unwrap_or_default());
//! # Ok::<(), algorithmia_client::Error>(())
//! ```

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::algo::{Envelope, OutputMode};
use crate::algo_ref::{AlgoRef, AlgoRefError, IntoAlgoRef};
use crate::auth::ApiKey;
use crate::error::{Error, Result};
use crate::input::AlgoInput;

struct Runtime(Option<tokio::runtime::Runtime>);

impl Drop for Runtime {
    fn drop(&mut self) {
        // Shutting down in the background never blocks and never panics, even when the last
        // handle is dropped inside some other async runtime.
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

impl Runtime {
    fn block_on<F: Future>(&self, future: F) -> Result<F::Output> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::config(
                "the blocking client was called inside an async runtime; use the async Client there",
            ));
        }
        match &self.0 {
            Some(runtime) => Ok(runtime.block_on(future)),
            None => Err(Error::config("the blocking client's runtime has shut down")),
        }
    }

    fn handle(&self) -> Result<tokio::runtime::Handle> {
        self.0
            .as_ref()
            .map(|r| r.handle().clone())
            .ok_or_else(|| Error::config("the blocking client's runtime has shut down"))
    }
}

/// The blocking counterpart of [`crate::Client`]. Cheap to clone; clones share the connection
/// pool and the runtime.
#[derive(Clone)]
pub struct Client {
    inner: crate::Client,
    runtime: Arc<Runtime>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("blocking::Client")
            .field(&self.inner)
            .finish()
    }
}

impl Client {
    /// See [`crate::Client::new`].
    pub fn new(api_key: impl Into<ApiKey>) -> Result<Client> {
        Client::from_async(crate::Client::new(api_key)?)
    }

    /// See [`crate::Client::from_env`].
    pub fn from_env() -> Result<Client> {
        Client::from_async(crate::Client::from_env()?)
    }

    /// Wrap an async client built with [`crate::Client::builder`].
    pub fn from_async(client: crate::Client) -> Result<Client> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("algorithmia-blocking")
            .enable_all()
            .build()
            .map_err(|e| Error::config(format!("could not start the blocking runtime: {e}")))?;
        Ok(Client {
            inner: client,
            runtime: Arc::new(Runtime(Some(runtime))),
        })
    }

    /// The async client underneath.
    pub fn as_async(&self) -> &crate::Client {
        &self.inner
    }

    /// A handle to an algorithm; see [`crate::Client::algo`].
    pub fn algo(&self, reference: impl IntoAlgoRef) -> Algorithm {
        Algorithm {
            inner: self.inner.algo(reference),
            runtime: Arc::clone(&self.runtime),
        }
    }
}

/// The blocking counterpart of [`crate::Algorithm`].
#[must_use]
pub struct Algorithm<M: OutputMode = Envelope> {
    inner: crate::Algorithm<M>,
    runtime: Arc<Runtime>,
}

impl<M: OutputMode> Clone for Algorithm<M> {
    fn clone(&self) -> Self {
        Algorithm {
            inner: self.inner.clone(),
            runtime: Arc::clone(&self.runtime),
        }
    }
}

impl<M: OutputMode> fmt::Debug for Algorithm<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("blocking::Algorithm")
            .field(&self.inner)
            .finish()
    }
}

impl<M: OutputMode> Algorithm<M> {
    fn map<N: OutputMode>(
        self,
        f: impl FnOnce(crate::Algorithm<M>) -> crate::Algorithm<N>,
    ) -> Algorithm<N> {
        Algorithm {
            inner: f(self.inner),
            runtime: self.runtime,
        }
    }

    /// See [`crate::Algorithm::reference`].
    pub fn reference(&self) -> Result<&AlgoRef, &AlgoRefError> {
        self.inner.reference()
    }

    /// See [`crate::Algorithm::timeout`].
    pub fn timeout(self, timeout: Duration) -> Self {
        self.map(|a| a.timeout(timeout))
    }

    /// See [`crate::Algorithm::stdout`].
    pub fn stdout(self, stdout: bool) -> Self {
        self.map(|a| a.stdout(stdout))
    }

    /// See [`crate::Algorithm::output`].
    pub fn output<N: OutputMode>(self, mode: N) -> Algorithm<N> {
        self.map(|a| a.output(mode))
    }

    /// See [`crate::Algorithm::option`].
    pub fn option(self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.map(|a| a.option(key, value))
    }

    /// See [`crate::Algorithm::pipe`].
    pub fn pipe(&self, input: impl Into<AlgoInput>) -> Result<M::Response> {
        self.runtime.block_on(self.inner.pipe(input))?
    }

    /// See [`crate::Algorithm::pipe_json`].
    pub fn pipe_json<T: Serialize + ?Sized>(&self, input: &T) -> Result<M::Response> {
        self.runtime.block_on(self.inner.pipe_json(input))?
    }

    /// See [`crate::Algorithm::pipe_json_text`].
    pub fn pipe_json_text(&self, json: impl Into<String>) -> Result<M::Response> {
        self.runtime.block_on(self.inner.pipe_json_text(json))?
    }
}

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

    /// The file as a [`std::io::Read`], streamed.
    pub fn get_reader(&self) -> Result<impl std::io::Read + Send + 'static> {
        let reader = self.runtime.block_on(self.inner.get_reader())??;
        let handle = self.runtime.handle()?;
        Ok(tokio_util::io::SyncIoBridge::new_with_handle(
            reader, handle,
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

    /// Upload from a [`std::io::Read`], streamed (read on a thread of its own); not retried.
    pub fn put_reader<R: std::io::Read + Send + 'static>(&self, mut reader: R) -> Result<()> {
        let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<bytes::Bytes>>(4);
        std::thread::spawn(move || {
            let mut buffer = vec![0u8; crate::client::CHUNK_BYTES];
            loop {
                let item = match reader.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(n) => Ok(bytes::Bytes::copy_from_slice(&buffer[..n])),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => Err(e),
                };
                let failed = item.is_err();
                if tx.blocking_send(item).is_err() || failed {
                    break;
                }
            }
        });
        let stream = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        });
        self.runtime.block_on(self.inner.put_stream(stream))?
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
struct BlockingIter<S> {
    stream: std::pin::Pin<Box<S>>,
    runtime: Arc<Runtime>,
    done: bool,
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
        BlockingIter {
            stream: Box::pin(stream),
            runtime: Arc::clone(&self.runtime),
            done: false,
        }
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
