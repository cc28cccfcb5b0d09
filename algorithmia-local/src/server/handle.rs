//! Serving on a thread of the server's own, and [`ServerHandle`], which reads and stops it.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;

use super::StartError;
use super::serve::{ConnTimeouts, serve};
use super::setup::Setup;
use crate::algo::pool::WorkerPool;
use crate::api::Executions;
use crate::faults::{FaultKind, FaultPlan, FaultStats};

/// Serve `setup` on `listener` (bound to `addr`) from a new thread with a runtime of `worker_threads`, and return
/// once connections are accepted (or the ADK processes failed to start).
pub(super) fn spawn(
    listener: TcpListener,
    addr: SocketAddr,
    setup: Setup,
    worker_threads: usize,
    timeouts: ConnTimeouts,
) -> Result<ServerHandle, StartError> {
    let Setup {
        state,
        pools,
        api_key,
        user,
        data_dir,
        hosted,
    } = setup;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_threads)
        .thread_name("algorithmia-local")
        .enable_all()
        .build()
        .map_err(StartError::Runtime)?;
    listener
        .set_nonblocking(true)
        .map_err(|source| StartError::Bind { addr, source })?;
    let executions = state.executions.clone();
    let faults = state.faults.clone();
    let router = crate::app(state);
    let (stop, stopped) = oneshot::channel::<()>();
    let (ready, is_ready) = std::sync::mpsc::channel::<Result<(), StartError>>();
    let thread = std::thread::Builder::new()
        .name("algorithmia-local".into())
        .spawn(move || {
            runtime.block_on(async move {
                // ADK processes start first, so a missing interpreter or package fails start().
                for pool in &pools {
                    if let Err(e) = pool.start().await {
                        stop_pools(&pools).await;
                        if let Some(hosted) = &hosted {
                            hosted.shutdown().await;
                        }
                        let name = pool.name();
                        let _ =
                            ready.send(Err(StartError::Config(format!("algorithm {name}: {e}"))));
                        return;
                    }
                }
                let listener = match tokio::net::TcpListener::from_std(listener) {
                    Ok(l) => l,
                    Err(e) => {
                        let _ = ready.send(Err(StartError::Runtime(e)));
                        return;
                    }
                };
                let _ = ready.send(Ok(()));
                serve(listener, router, timeouts, async move {
                    let _ = stopped.await;
                })
                .await;
                // No process outlives the server: idle workers now, busy ones as their calls
                // end (or as the runtime drops them).
                stop_pools(&pools).await;
                if let Some(hosted) = &hosted {
                    hosted.shutdown().await;
                }
            });
            // In-flight work gets a moment to finish; then the runtime goes, and with it the
            // state and a temporary data directory.
            runtime.shutdown_timeout(Duration::from_secs(5));
        })
        .map_err(StartError::Runtime)?;
    is_ready
        .recv()
        .map_err(|_| StartError::Runtime(std::io::Error::other("the server thread died")))??;
    tracing::info!(%addr, "listening");
    Ok(ServerHandle {
        base_url: format!("http://{addr}"),
        addr,
        api_key: algorithmia_client::ApiKey::new(api_key),
        user,
        data_dir,
        stop: Some(stop),
        thread: Some(thread),
        executions,
        faults,
    })
}

/// Stop every ADK worker pool, waiting for their idle processes to exit.
async fn stop_pools(pools: &[Arc<WorkerPool>]) {
    futures_util::future::join_all(pools.iter().map(|pool| pool.shutdown())).await;
}

/// A running server. Dropping it stops the server (and removes a temporary data directory).
#[derive(Debug)]
pub struct ServerHandle {
    base_url: String,
    addr: SocketAddr,
    /// Redacted in `Debug`.
    api_key: algorithmia_client::ApiKey,
    user: String,
    data_dir: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    executions: Option<Arc<Executions>>,
    faults: Option<Arc<FaultPlan>>,
}

impl ServerHandle {
    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A key the server accepts: the first configured one, or a generated one when any key is
    /// accepted.
    pub fn api_key(&self) -> &str {
        self.api_key.expose()
    }

    /// The user that [`ServerHandle::api_key`] belongs to.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// Where hosted data lives.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// How many times the call with this request id ran its algorithm (0 when execution
    /// counting is off; see [`LocalServerBuilder::count_executions`](crate::LocalServerBuilder::count_executions)).
    pub fn executions(&self, request_id: &str) -> u64 {
        self.executions.as_ref().map_or(0, |e| e.of(request_id))
    }

    /// Every counted request id with its number of executions.
    pub fn all_executions(&self) -> HashMap<String, u64> {
        self.executions
            .as_ref()
            .map(|e| e.snapshot())
            .unwrap_or_default()
    }

    /// The fault each attempt of the call with this request id met, in order (`None`: it was
    /// answered, possibly late). Empty without [`LocalServerBuilder::faults`](crate::LocalServerBuilder::faults) or when the call
    /// sent no `X-Request-Id`.
    pub fn fault_log(&self, request_id: &str) -> Vec<Option<FaultKind>> {
        self.faults
            .as_ref()
            .map(|f| f.attempts_of(request_id))
            .unwrap_or_default()
    }

    /// What the fault layer has done so far (all zero without
    /// [`LocalServerBuilder::faults`](crate::LocalServerBuilder::faults)).
    pub fn fault_stats(&self) -> FaultStats {
        self.faults.as_ref().map(|f| f.stats()).unwrap_or_default()
    }

    /// Stop accepting connections, let running requests finish (up to a few seconds), and wait
    /// until the server is gone.
    pub fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        // Signal only: joining here could block an async caller's executor.
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
