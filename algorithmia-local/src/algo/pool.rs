//! A pool of ADK processes for one hosted algorithm version: up to `workers` calls run at once,
//! each on a process of its own; more wait in a bounded queue; beyond it, or after waiting too
//! long, a call is refused with a capacity error (HTTP 503: it did not run).
//!
//! Workers start on demand: a call that finds no idle worker, while fewer than `workers` exist,
//! starts one. [`WorkerPool::start`] starts the first at once, so a broken command fails when
//! the server starts. Lazy, because a server may host many versions (every built one), each
//! with a pool: a version nobody calls should not cost `workers` loaded processes, and a pool
//! that only ever sees one call at a time keeps one process.
//!
//! A worker belongs to the call it serves (taken out of the idle list, put back after), which
//! is its lock. A worker that breaks (exits, closes its pipes, writes garbage) or overruns the
//! call's timeout is killed: that call fails with a clear error, the next starts a fresh one.

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant};

use algorithmia_client::wire;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::worker::{Launch, Worker};
use super::{AlgoResult, Handler, Input};
use crate::context::{Context, PoolTiming};
use crate::error::AlgoError;

/// The compatibility shim put on every worker's `PYTHONPATH` (see `adk_sitecustomize.py`).
const SITECUSTOMIZE: &str = include_str!("adk_sitecustomize.py");

/// What a worker runs.
#[derive(Clone)]
pub(crate) struct WorkerSpec {
    /// The algorithm, `owner/name` (and version, if it helps), for logs and messages.
    pub(crate) name: String,
    /// The command, run with `sh -c "exec COMMAND"`.
    pub(crate) command: String,
    /// Its working directory (the server's when none).
    pub(crate) cwd: Option<PathBuf>,
    /// Added to its environment. Values may be secrets: they are never logged nor shown by
    /// `Debug`.
    pub(crate) env: Vec<(String, String)>,
}

impl fmt::Debug for WorkerSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.env.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("WorkerSpec")
            .field("name", &self.name)
            .field("command", &self.command)
            .field("cwd", &self.cwd)
            .field("env", &names)
            .finish()
    }
}

/// How many workers, and how many calls may wait for one, and how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PoolOptions {
    /// Processes at most (at least 1).
    pub(crate) workers: usize,
    /// Calls that may wait for a worker; one more is refused at once.
    pub(crate) queue: usize,
    /// How long a call may wait for a worker before it is refused.
    pub(crate) queue_timeout: Duration,
}

/// The default queue wait.
pub(crate) const DEFAULT_QUEUE_TIMEOUT: Duration = Duration::from_secs(60);

/// The number of cores, the default number of workers.
pub(crate) fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl PoolOptions {
    /// `workers` workers (at least 1), a queue of 64 calls per worker, a minute's wait.
    pub(crate) fn with_workers(workers: usize) -> Self {
        let workers = workers.max(1);
        PoolOptions {
            workers,
            queue: 64 * workers,
            queue_timeout: DEFAULT_QUEUE_TIMEOUT,
        }
    }
}

impl Default for PoolOptions {
    /// One worker per core.
    fn default() -> Self {
        PoolOptions::with_workers(default_workers())
    }
}

/// The processes of one algorithm version, and the calls waiting for them.
pub(crate) struct WorkerPool {
    spec: WorkerSpec,
    options: PoolOptions,
    /// `spec.env` with the shim on `PYTHONPATH`.
    env: Vec<(String, String)>,
    /// Holds the shim and the workers' FIFOs; removed with the pool.
    dir: tempfile::TempDir,
    /// One permit per worker: holding one is running a call (or starting its worker).
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    idle: StdMutex<Vec<Worker>>,
    next_worker: AtomicU64,
    closed: AtomicBool,
}

impl fmt::Debug for WorkerPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerPool")
            .field("spec", &self.spec)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// Counts a call as waiting for as long as it lives.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl WorkerPool {
    /// A pool with no process yet: writes the shim into a private temporary directory.
    pub(crate) fn new(spec: WorkerSpec, options: PoolOptions) -> std::io::Result<WorkerPool> {
        let options = PoolOptions {
            workers: options.workers.max(1),
            ..options
        };
        let dir = tempfile::Builder::new()
            .prefix("algorithmia-local-pool-")
            .tempdir()?;
        std::fs::write(dir.path().join("sitecustomize.py"), SITECUSTOMIZE)?;
        let inherited = spec
            .env
            .iter()
            .rev()
            .find(|(k, _)| k == "PYTHONPATH")
            .map(|(_, v)| v.clone())
            .or_else(|| std::env::var("PYTHONPATH").ok())
            .filter(|p| !p.is_empty());
        let python_path = match inherited {
            Some(rest) => format!("{}:{rest}", dir.path().display()),
            None => dir.path().display().to_string(),
        };
        let mut env: Vec<(String, String)> = spec
            .env
            .iter()
            .filter(|(k, _)| k != "PYTHONPATH")
            .cloned()
            .collect();
        env.push(("PYTHONPATH".to_owned(), python_path));
        Ok(WorkerPool {
            slots: Arc::new(Semaphore::new(options.workers)),
            spec,
            options,
            env,
            dir,
            waiting: AtomicUsize::new(0),
            idle: StdMutex::new(Vec::new()),
            next_worker: AtomicU64::new(1),
            closed: AtomicBool::new(false),
        })
    }

    /// The algorithm's name, as the spec gives it.
    pub(crate) fn name(&self) -> &str {
        &self.spec.name
    }

    /// Start one worker now and keep it idle, so that a broken command or a missing package
    /// shows at once (the rest start when calls need them).
    pub(crate) async fn start(&self) -> Result<(), String> {
        let worker = self.launch().await?;
        self.put_back(worker);
        Ok(())
    }

    /// Run one call on a worker, waiting in the queue if all are busy. `timeout` bounds the run
    /// (not the wait, which `queue_timeout` bounds); a worker that overruns it is killed. The
    /// time until a worker took the call (queueing, and starting a worker when none was idle)
    /// and the time on it are recorded in `ctx`, for the call's `Server-Timing` header.
    pub(crate) async fn call(&self, input: Input, ctx: &Context, timeout: Duration) -> AlgoResult {
        let arrived = Instant::now();
        let _slot = self.admit().await?;
        let idle = self.idle_workers().pop();
        let mut worker = match idle {
            Some(worker) => worker,
            None => self
                .launch()
                .await
                .map_err(|e| AlgoError::with_type("LoadingError", e))?,
        };
        let pid = worker.pid().unwrap_or_default();
        let on_worker = Instant::now();
        let outcome = tokio::time::timeout(timeout, worker.call(&input, ctx)).await;
        ctx.record_pool_timing(PoolTiming {
            queue: on_worker - arrived,
            worker: on_worker.elapsed(),
        });
        match outcome {
            Ok(Ok(answer)) => {
                self.put_back(worker);
                answer
            }
            Ok(Err(broken)) => {
                worker.stop().await;
                tracing::warn!(algorithm = %self.spec.name, pid, reason = %broken, "worker replaced");
                Err(AlgoError::new(format!(
                    "{} (worker process {pid}): {broken}; it was stopped and will be restarted \
                     for the next call",
                    self.spec.name
                )))
            }
            Err(_) => {
                worker.stop().await;
                Err(AlgoError::with_type(
                    "TimeoutError",
                    format!(
                        "{} timed out after {} seconds; its worker process {pid} was killed and \
                         will be replaced",
                        self.spec.name,
                        timeout.as_secs_f64()
                    ),
                ))
            }
        }
    }

    /// Stop for good: refuse new calls, and kill every idle worker and wait for it. A worker
    /// still running a call is killed when its call ends.
    pub(crate) async fn shutdown(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.slots.close();
        let idle = std::mem::take(&mut *self.idle_workers());
        futures_util::future::join_all(idle.into_iter().map(Worker::stop)).await;
    }

    /// A slot to run in: at once, or after waiting in the queue.
    async fn admit(&self) -> Result<OwnedSemaphorePermit, AlgoError> {
        let stopping = || AlgoError::unavailable(format!("{} is stopping", self.spec.name));
        if self.closed.load(Ordering::SeqCst) {
            return Err(stopping());
        }
        if let Ok(permit) = Arc::clone(&self.slots).try_acquire_owned() {
            return Ok(permit);
        }
        let ahead = self.waiting.fetch_add(1, Ordering::SeqCst);
        let _waiting = Waiting(&self.waiting);
        let PoolOptions {
            workers,
            queue,
            queue_timeout,
        } = self.options;
        if ahead >= queue {
            return Err(AlgoError::unavailable(format!(
                "{} is at capacity: its pool of {workers} worker(s) is busy and its queue of \
                 {queue} call(s) is full; try again later",
                self.spec.name
            )));
        }
        match tokio::time::timeout(queue_timeout, Arc::clone(&self.slots).acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_closed)) => Err(stopping()),
            Err(_) => Err(AlgoError::unavailable(format!(
                "{} is at capacity: the call waited {} s in the queue and none of its pool of \
                 {workers} worker(s) came free; try again later",
                self.spec.name,
                queue_timeout.as_secs_f64()
            ))),
        }
    }

    /// Start a new worker with a FIFO of its own.
    async fn launch(&self) -> Result<Worker, String> {
        let n = self.next_worker.fetch_add(1, Ordering::SeqCst);
        let worker = Worker::start(Launch {
            name: &self.spec.name,
            command: &self.spec.command,
            cwd: self.spec.cwd.as_deref(),
            env: &self.env,
            fifo: self.dir.path().join(format!("algoout-{n}")),
        })
        .await?;
        tracing::debug!(algorithm = %self.spec.name, pid = worker.pid(), "worker started");
        Ok(worker)
    }

    /// Keep a healthy worker for the next call, unless the pool is stopping.
    fn put_back(&self, worker: Worker) {
        if self.closed.load(Ordering::SeqCst) {
            drop(worker);
        } else {
            self.idle_workers().push(worker);
        }
    }

    fn idle_workers(&self) -> std::sync::MutexGuard<'_, Vec<Worker>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The handler of an algorithm version served by `pool` (for the registry). Calls get the
/// longest timeout the API allows; the server's own per-call timeout, which drops the call
/// (and so kills its worker), is the one that applies.
pub(crate) fn pooled_handler(pool: Arc<WorkerPool>) -> Handler {
    Arc::new(move |input, ctx| {
        let pool = Arc::clone(&pool);
        Box::pin(async move {
            pool.call(
                input,
                &ctx,
                Duration::from_secs(wire::MAX_ALGO_TIMEOUT_SECS),
            )
            .await
        })
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::time::Duration;

    use super::*;
    use crate::data::store::UploadLimits;
    use crate::data::{DataDir, Storage};

    const SECRET: &str = "pool-secret-8c1f2e";

    fn context() -> Context {
        let limits = UploadLimits {
            max_bytes: 1024,
            idle_timeout: Duration::from_secs(5),
        };
        let storage = Storage::new(DataDir::temporary().unwrap(), &[], None, limits).unwrap();
        Context::new(
            Arc::new(storage),
            "alice".into(),
            "req-pool".into(),
            "test/Secret/1.0.0".parse().unwrap(),
        )
    }

    fn spec() -> WorkerSpec {
        WorkerSpec {
            name: "test/Secret".into(),
            command: format!(
                "{} tests/adk/test_algorithm.py",
                testkit::venv_bin("python").display()
            ),
            cwd: Some(PathBuf::from(env!("CARGO_MANIFEST_DIR"))),
            env: vec![("POOL_SECRET".into(), SECRET.into())],
        }
    }

    /// Everything logged, at every level.
    #[derive(Clone, Default)]
    struct Captured(Arc<StdMutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut log) = self.0.lock() {
                log.extend_from_slice(bytes);
            }
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_spec_env_reaches_the_process_and_its_values_stay_out_of_debug_and_logs() {
        let log = Captured::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let pool = WorkerPool::new(spec(), PoolOptions::with_workers(1)).unwrap();
        let ctx = context();
        let timeout = Duration::from_secs(30);
        tracing::subscriber::with_default(subscriber, || {
            runtime.block_on(async {
                pool.start().await.unwrap();
                let seen = pool
                    .call(
                        Input::Json(serde_json::json!({"action": "env", "name": "POOL_SECRET"})),
                        &ctx,
                        timeout,
                    )
                    .await
                    .unwrap();
                assert_eq!(
                    seen,
                    crate::algo::Output::Json(serde_json::json!({"value": SECRET}))
                );
                // A crash and a restart log what happened, with the worker's environment near.
                let crash = Input::Json(serde_json::json!({"action": "crash"}));
                let err = pool.call(crash, &ctx, timeout).await.unwrap_err();
                assert!(!err.message.contains(SECRET), "{err}");
                let echo = Input::Json(serde_json::json!({"who": "next"}));
                pool.call(echo, &ctx, timeout).await.unwrap();
                pool.shutdown().await;
            })
        });
        let log = String::from_utf8_lossy(&log.0.lock().unwrap()).into_owned();
        assert!(
            log.contains("worker replaced"),
            "the log was captured: {log}"
        );
        assert!(!log.contains(SECRET), "{log}");
        for debug in [format!("{:?}", spec()), format!("{pool:?}")] {
            assert!(
                debug.contains("POOL_SECRET") && !debug.contains(SECRET),
                "{debug}"
            );
        }
    }

    #[test]
    fn options_default_to_a_worker_per_core_and_a_bounded_queue() {
        let options = PoolOptions::default();
        assert_eq!(options.workers, default_workers());
        assert_eq!(options.queue, 64 * options.workers);
        assert_eq!(PoolOptions::with_workers(0).workers, 1);
    }
}
