//! [`PoolLauncher`]: runs built versions. Each (algorithm, commit) gets a pool of ADK workers,
//! made on its first call from the build's directory (so after a restart too), with the
//! algorithm's secrets as environment variables. The pool is keyed also by a digest of the
//! secret values: when a secret changes, the next call gets a new pool and the old one stops.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::http::StatusCode;
use sha2::{Digest, Sha256};

use crate::algo::Handler;
use crate::algo::pool::{PoolOptions, WorkerPool, WorkerSpec, pooled_handler};
use crate::build::Builder;
use crate::error::AppError;
use crate::platform::Launcher;
use crate::store::{AlgorithmRecord, SecretValue, Store};

/// Names the pool's environment keeps for itself: a secret cannot replace them.
const RESERVED: &[&str] = &["ALGORITHMIA_API", "ALGORITHMIA_API_KEY", "PYTHONPATH"];

struct Hosted {
    /// SHA-256 of the secrets the pool's workers were started with.
    secrets: [u8; 32],
    pool: Arc<WorkerPool>,
}

/// Worker pools of built versions, made as calls need them.
pub(crate) struct PoolLauncher {
    store: Arc<Store>,
    builder: Builder,
    env: Vec<(String, String)>,
    options: PoolOptions,
    /// By (algorithm id, commit).
    pools: Mutex<HashMap<(String, String), Hosted>>,
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

    fn pools(&self) -> MutexGuard<'_, HashMap<(String, String), Hosted>> {
        self.pools.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stop the pools of one algorithm (it was deleted).
    pub(crate) async fn drop_algorithm(&self, algorithm_id: &str) {
        let gone: Vec<Arc<WorkerPool>> = {
            let mut pools = self.pools();
            let keys: Vec<_> = pools
                .keys()
                .filter(|(id, _)| id == algorithm_id)
                .cloned()
                .collect();
            keys.iter()
                .filter_map(|key| pools.remove(key))
                .map(|hosted| hosted.pool)
                .collect()
        };
        futures_util::future::join_all(gone.iter().map(|pool| pool.shutdown())).await;
    }

    /// Stop every pool (the server is stopping).
    pub(crate) async fn shutdown(&self) {
        let all: Vec<Arc<WorkerPool>> = self.pools().drain().map(|(_, h)| h.pool).collect();
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
            if !is_variable_name(&secret.secret_key)
                || RESERVED.contains(&secret.secret_key.as_str())
            {
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
        let secrets = self
            .store
            .secret_values(&algorithm.id)
            .map_err(AppError::internal)?;
        let digest = digest(&secrets);
        let key = (algorithm.id.clone(), git_hash.to_owned());
        let mut pools = self.pools();
        if let Some(hosted) = pools.get(&key)
            && hosted.secrets == digest
        {
            return Ok(pooled_handler(Arc::clone(&hosted.pool)));
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
        let spec = WorkerSpec {
            name: name.clone(),
            command: runtime.command(),
            cwd: Some(runtime.cwd.clone()),
            env: self.environment(algorithm, secrets),
        };
        let pool = Arc::new(WorkerPool::new(spec, self.options).map_err(AppError::internal)?);
        tracing::info!(algorithm = %name, "worker pool made");
        let hosted = Hosted {
            secrets: digest,
            pool: Arc::clone(&pool),
        };
        if let Some(old) = pools.insert(key, hosted) {
            // Its secrets changed: new calls go to the new pool; this one ends with its calls.
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                handle.spawn(async move { old.pool.shutdown().await });
            }
        }
        Ok(pooled_handler(pool))
    }
}

/// SHA-256 over the secrets' names and values, each ended by a NUL.
fn digest(secrets: &[SecretValue]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for secret in secrets {
        hasher.update(secret.secret_key.as_bytes());
        hasher.update([0]);
        hasher.update(secret.value.as_bytes());
        hasher.update([0]);
    }
    hasher.finalize().into()
}

/// Letters, digits and `_`, not starting with a digit.
fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_names_and_digests() {
        for good in ["GREETING", "_x", "a1_B"] {
            assert!(is_variable_name(good), "{good}");
        }
        for bad in ["", "1A", "A=B", "A B", "A\0"] {
            assert!(!is_variable_name(bad), "{bad:?}");
        }
        let one = |value: &str| {
            digest(&[SecretValue {
                secret_key: "K".into(),
                value: value.into(),
            }])
        };
        assert_eq!(one("a"), one("a"));
        assert_ne!(one("a"), one("b"));
    }
}
