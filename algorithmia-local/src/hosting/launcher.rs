//! [`PoolLauncher`]: runs built versions. Each (algorithm, commit) gets a pool of ADK workers,
//! made on its first call from the build's directory (so after a restart too), with the
//! algorithm's secrets as environment variables. When a secret changes, the algorithm's pools
//! are let go: the next call makes a new one with the new values, the old ones end with their
//! calls.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::http::StatusCode;

use crate::algo::Handler;
use crate::algo::pool::{PoolOptions, WorkerPool, WorkerSpec, pooled_handler};
use crate::build::Builder;
use crate::error::AppError;
use crate::platform::Launcher;
use crate::store::{AlgorithmRecord, SecretValue, Store, is_env_name};

/// Names the pool's environment keeps for itself: a secret cannot replace them.
const RESERVED: &[&str] = &["ALGORITHMIA_API", "ALGORITHMIA_API_KEY", "PYTHONPATH"];

/// Worker pools of built versions, made as calls need them.
pub(crate) struct PoolLauncher {
    store: Arc<Store>,
    builder: Builder,
    env: Vec<(String, String)>,
    options: PoolOptions,
    /// By (algorithm id, commit).
    pools: Mutex<HashMap<(String, String), Arc<WorkerPool>>>,
}

impl PoolLauncher {
    /// Pools of `options` running builds of `builder`, each worker with `env` and the secrets.
    pub(crate) fn new(
        store: Arc<Store>,
        builder: Builder,
        env: Vec<(String, String)>,
        options: PoolOptions,
    ) -> PoolLauncher {
        PoolLauncher {
            store,
            builder,
            env,
            options,
            pools: Mutex::new(HashMap::new()),
        }
    }

    fn pools(&self) -> MutexGuard<'_, HashMap<(String, String), Arc<WorkerPool>>> {
        self.pools.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Take the pools of one algorithm out of service; they are no longer handed to calls.
    fn take_algorithm(&self, algorithm_id: &str) -> Vec<Arc<WorkerPool>> {
        let mut pools = self.pools();
        let keys: Vec<_> = pools
            .keys()
            .filter(|(id, _)| id == algorithm_id)
            .cloned()
            .collect();
        keys.iter().filter_map(|key| pools.remove(key)).collect()
    }

    /// Stop the pools of one algorithm (it was deleted).
    pub(crate) async fn drop_algorithm(&self, algorithm_id: &str) {
        let gone = self.take_algorithm(algorithm_id);
        futures_util::future::join_all(gone.iter().map(|pool| pool.shutdown())).await;
    }

    /// Stop every pool (the server is stopping).
    pub(crate) async fn shutdown(&self) {
        let all: Vec<Arc<WorkerPool>> = self.pools().drain().map(|(_, pool)| pool).collect();
        futures_util::future::join_all(all.iter().map(|pool| pool.shutdown())).await;
    }

    /// The workers' environment: the server's variables, then each secret whose name is a
    /// usable variable name.
    fn environment(
        &self,
        algorithm: &AlgorithmRecord,
        secrets: Vec<SecretValue>,
    ) -> Vec<(String, String)> {
        let mut env = self.env.clone();
        for secret in secrets {
            if !is_env_name(&secret.secret_key) || RESERVED.contains(&secret.secret_key.as_str()) {
                // The name only: never the value.
                tracing::warn!(
                    algorithm = %format!("{}/{}", algorithm.owner, algorithm.name),
                    secret = %secret.secret_key.escape_debug(),
                    "secret not set: its name cannot be an environment variable"
                );
                continue;
            }
            env.push((secret.secret_key, secret.value));
        }
        env
    }
}

impl Launcher for PoolLauncher {
    fn runner(&self, algorithm: &AlgorithmRecord, git_hash: &str) -> Result<Handler, AppError> {
        let key = (algorithm.id.clone(), git_hash.to_owned());
        // Held while a pool is made, so a secret change stored meanwhile lets this pool go too.
        let mut pools = self.pools();
        if let Some(pool) = pools.get(&key) {
            return Ok(pooled_handler(Arc::clone(pool)));
        }
        let name = format!("{}/{}/{git_hash}", algorithm.owner, algorithm.name);
        let runtime = self
            .builder
            .built(&algorithm.id, &algorithm.owner, &algorithm.name, git_hash)
            .ok_or_else(|| {
                AppError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!(
                        "algorithm {name} has no runtime in this server: it was not built here"
                    ),
                )
            })?;
        let secrets = self
            .store
            .secret_values(&algorithm.id)
            .map_err(AppError::internal)?;
        let spec = WorkerSpec {
            name: name.clone(),
            command: runtime.command(),
            cwd: Some(runtime.cwd.clone()),
            env: self.environment(algorithm, secrets),
        };
        let pool = Arc::new(WorkerPool::new(spec, self.options).map_err(AppError::internal)?);
        tracing::info!(algorithm = %name, "worker pool made");
        pools.insert(key, Arc::clone(&pool));
        Ok(pooled_handler(pool))
    }

    fn secrets_changed(&self, algorithm_id: &str) {
        let old = self.take_algorithm(algorithm_id);
        // New calls get new pools; these end once their calls have.
        if !old.is_empty()
            && let Ok(handle) = tokio::runtime::Handle::try_current()
        {
            handle.spawn(async move {
                futures_util::future::join_all(old.iter().map(|pool| pool.shutdown())).await;
            });
        }
    }
}
