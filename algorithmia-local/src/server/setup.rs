//! From settings to state: the registry, the keys, the storage and the ADK processes a server
//! needs, checked and built before anything is served.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use algorithmia_client::wire;

use super::{LocalServerBuilder, StartError};
use crate::algo::pool::{PoolOptions, WorkerPool, WorkerSpec, default_workers};
use crate::algo::{self, Registry};
use crate::api::{AppState, DEFAULT_USER, Executions, Keys};
use crate::data::store::{S3Credentials, UploadLimits};
use crate::data::{DataDir, Storage};
use crate::faults::FaultPlan;
use crate::hosting::{self, HostingConfig, PoolLauncher};
use crate::platform::{BuildQueue, Launcher, NoBuilder, NoRuntime};
use crate::store::Store;

/// A built state, and what serving it on a socket takes besides.
pub(super) struct Setup {
    pub(super) state: AppState,
    /// ADK algorithms, each with its worker pool, started before the first connection and
    /// stopped after the last.
    pub(super) pools: Vec<Arc<WorkerPool>>,
    /// A key the server accepts, and its user.
    pub(super) api_key: String,
    pub(super) user: String,
    pub(super) data_dir: PathBuf,
    /// The pools of the algorithms the platform hosts, stopped with the server.
    pub(super) hosted: Option<Arc<PoolLauncher>>,
}

impl LocalServerBuilder {
    /// Check the settings and build the state. `addr` is where the server will listen, for the
    /// ADK algorithms to call back (none without a socket).
    pub(super) fn setup(self, addr: Option<SocketAddr>) -> Result<Setup, StartError> {
        let mut registry = Registry::default();
        let builtins = if self.builtins {
            algo::builtins::all()
        } else {
            Vec::new()
        };
        for def in builtins.into_iter().chain(self.algorithms) {
            registry
                .insert(def)
                .map_err(|e| StartError::Config(e.to_string()))?;
        }
        let keys = keys(&self.keys)?;
        let dir = match &self.data_dir {
            Some(dir) => DataDir::Kept(dir.clone()),
            None => DataDir::temporary().map_err(|source| StartError::DataDir {
                path: std::env::temp_dir(),
                source,
            })?,
        };
        let root = dir.path().to_path_buf();
        let backed = backed_connectors(&self.connectors)?;
        let credentials = self
            .s3_credentials
            .map(|(access_key_id, secret_access_key)| S3Credentials {
                access_key_id,
                secret_access_key,
            });
        let limits = UploadLimits {
            max_bytes: self.max_upload_bytes,
            idle_timeout: self.upload_idle_timeout,
        };
        let storage = Storage::new(dir, &backed, credentials, limits).map_err(|source| {
            StartError::DataDir {
                path: root.clone(),
                source,
            }
        })?;

        let store = Arc::new(open_store(&root, &self.keys, &self.organizations)?);
        let (api_key, user) = match keys.first_key() {
            Some((key, user)) => (key.to_owned(), user.to_owned()),
            None => {
                tracing::warn!(
                    "no API key configured: any non-empty key is accepted as user `{DEFAULT_USER}`"
                );
                (
                    format!("simLocal{}", uuid::Uuid::new_v4().simple()),
                    DEFAULT_USER.to_owned(),
                )
            }
        };
        let mut pools = Vec::new();
        if let Some(addr) = addr {
            for spec in &self.adk {
                let workers = spec
                    .workers
                    .or(self.adk_workers)
                    .unwrap_or_else(default_workers);
                if workers == 0 {
                    return Err(StartError::Config(format!(
                        "algorithm {}: the number of workers must be at least 1",
                        spec.name
                    )));
                }
                let worker = WorkerSpec {
                    name: spec.name.clone(),
                    command: spec.command.clone(),
                    cwd: None,
                    env: vec![
                        ("ALGORITHMIA_API".to_owned(), format!("http://{addr}")),
                        ("ALGORITHMIA_API_KEY".to_owned(), api_key.clone()),
                    ],
                };
                let defaults = PoolOptions::with_workers(workers);
                let options = PoolOptions {
                    queue: self.adk_queue.unwrap_or(defaults.queue),
                    queue_timeout: self.adk_queue_timeout.unwrap_or(defaults.queue_timeout),
                    ..defaults
                };
                let pool =
                    WorkerPool::new(worker, options).map_err(|source| StartError::DataDir {
                        path: std::env::temp_dir(),
                        source,
                    })?;
                let pool = Arc::new(pool);
                registry
                    .insert(algo::adk::definition(spec, Arc::clone(&pool)))
                    .map_err(|e| StartError::Config(e.to_string()))?;
                pools.push(pool);
            }
        }
        let mut env = vec![("ALGORITHMIA_API_KEY".to_owned(), api_key.clone())];
        if let Some(addr) = addr {
            env.push(("ALGORITHMIA_API".to_owned(), format!("http://{addr}")));
        }
        let workers = self.adk_workers.unwrap_or_else(default_workers).max(1);
        let defaults = PoolOptions::with_workers(workers);
        let pool = PoolOptions {
            queue: self.adk_queue.unwrap_or(defaults.queue),
            queue_timeout: self.adk_queue_timeout.unwrap_or(defaults.queue_timeout),
            ..defaults
        };
        let config = HostingConfig {
            env,
            pool,
            python: "python3".to_owned(),
        };
        let platform = Platform::new(
            self.platform,
            self.launcher,
            self.build_queue,
            (&root, &store, &keys, config),
        )?;
        let state = AppState {
            keys,
            registry,
            storage: Arc::new(storage),
            page_size: self.page_size,
            default_timeout: Duration::from_secs(wire::DEFAULT_ALGO_TIMEOUT_SECS),
            max_input_bytes: wire::MAX_INPUT_BYTES,
            body_timeout: Duration::from_secs(120),
            executions: self
                .count_executions
                .then(|| Arc::new(Executions::default())),
            faults: self.faults.map(|spec| Arc::new(FaultPlan::new(spec))),
            store,
            launcher: platform.launcher,
            builds: platform.builds,
            git: platform.git,
        };
        Ok(Setup {
            state,
            pools,
            api_key,
            user,
            data_dir: root,
            hosted: platform.hosted,
        })
    }
}

/// The launcher, build queue and git routes a server gets: the platform's own unless it is off
/// or they were replaced.
struct Platform {
    launcher: Arc<dyn Launcher>,
    builds: Arc<dyn BuildQueue>,
    git: Option<axum::Router>,
    hosted: Option<Arc<PoolLauncher>>,
}

impl Platform {
    fn new(
        on: bool,
        launcher: Option<Arc<dyn Launcher>>,
        builds: Option<Arc<dyn BuildQueue>>,
        (root, store, keys, config): (&Path, &Arc<Store>, &Keys, HostingConfig),
    ) -> Result<Platform, StartError> {
        if !on || (launcher.is_some() && builds.is_some()) {
            return Ok(Platform {
                launcher: launcher.unwrap_or_else(|| Arc::new(NoRuntime)),
                builds: builds.unwrap_or_else(|| Arc::new(NoBuilder)),
                git: None,
                hosted: None,
            });
        }
        let hosting = hosting::hosting(root, Arc::clone(store), keys.clone(), config)
            .map_err(|e| StartError::Config(format!("could not set up hosting: {e}")))?;
        let hosted = launcher.is_none().then(|| Arc::clone(&hosting.launcher));
        Ok(Platform {
            launcher: launcher.unwrap_or(hosting.launcher),
            builds: builds.unwrap_or(hosting.builds),
            git: Some(hosting.git),
            hosted,
        })
    }
}

/// Open `state.db` in `root`, and record the configured keys (hashed), their users, the
/// default user and the organisations.
fn open_store(
    root: &Path,
    keys: &[(String, String)],
    organizations: &[(String, Vec<String>)],
) -> Result<Store, StartError> {
    let path = root.join(crate::store::STATE_FILE);
    let failed = |e: crate::store::StoreError| StartError::Database {
        path: path.clone(),
        message: e.to_string(),
    };
    let store = Store::open(&path).map_err(failed)?;
    store.ensure_account(DEFAULT_USER, "user").map_err(failed)?;
    for (key, user) in keys {
        store.upsert_key(key, user).map_err(failed)?;
    }
    for (org, members) in organizations {
        if org.is_empty() || members.iter().any(String::is_empty) {
            return Err(StartError::Config(
                "organisation and member names cannot be empty".into(),
            ));
        }
        if let Some(account) = store.account(org).map_err(failed)?
            && account.kind != "org"
        {
            return Err(StartError::Config(format!(
                "{org:?} is a user, not an organisation"
            )));
        }
        store.ensure_account(org, "org").map_err(failed)?;
        for member in members {
            store.add_member(org, member).map_err(failed)?;
        }
    }
    Ok(store)
}

/// The accepted keys, each with its user; neither may be empty.
fn keys(pairs: &[(String, String)]) -> Result<Keys, StartError> {
    let mut keys = Keys::default();
    for (key, user) in pairs {
        if key.is_empty() || user.is_empty() {
            return Err(StartError::Config(
                "API keys and users cannot be empty".into(),
            ));
        }
        keys.insert(key.clone(), user.clone());
    }
    Ok(keys)
}

/// The connectors backed by an S3-compatible endpoint, each `(name, endpoint URL)`, checked.
fn backed_connectors(connectors: &[(String, String)]) -> Result<Vec<(String, String)>, StartError> {
    let mut backed = Vec::new();
    for (name, target) in connectors {
        let uri = algorithmia_client::DataUri::new(name, "")
            .map_err(|e| StartError::Config(format!("connector {name:?}: {}", e.reason)))?;
        if name == "data" {
            return Err(StartError::Config(
                "the data connector cannot be redirected".into(),
            ));
        }
        if !(target.starts_with("http://") || target.starts_with("https://")) {
            return Err(StartError::Config(format!(
                "connector {name:?}: the target must be an http(s) endpoint URL, not {target:?}"
            )));
        }
        if uri.connector_type() != "s3" {
            return Err(StartError::Config(format!(
                "connector {name:?}: only s3 connectors can be backed by an endpoint"
            )));
        }
        backed.push((name.clone(), target.clone()));
    }
    Ok(backed)
}
