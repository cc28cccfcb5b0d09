//! An AWS Lambda function that forwards events to an Algorithmia algorithm.
//!
//! Kinesis, DynamoDB Streams, SQS (FIFO included), S3 (notifications and EventBridge), SNS, API
//! Gateway (REST and HTTP) and Function URLs are recognised by their shape; anything else is sent
//! as it is. Every record is sent (concurrently, in order within a partition key, an item key or
//! a message group), and every record either succeeds or is reported as failed:
//! `batchItemFailures` for streams and queues, an error naming the failed records for S3, SNS
//! and EventBridge. The API key is plaintext, a KMS ciphertext decrypted once per execution
//! environment, or read from an SSM SecureString parameter or a Secrets Manager secret once per
//! execution environment and again when the API refuses it (so a rotated key works without a
//! redeploy).
//!
//! A workflow on top of it is a few lines, on a runtime sized to the CPU time Lambda gives the
//! function ([`runtime`]: one thread below two vCPUs' worth of memory):
//!
//! ```no_run
//! use lambda_blueprint::Blueprint;
//!
//! fn main() -> Result<(), lambda_runtime::Error> {
//!     lambda_blueprint::runtime()?.block_on(async {
//!         lambda_blueprint::run(Blueprint::from_env().await?).await
//!     })
//! }
//! ```
//!
//! Or, with the configuration built in code and the handler called directly (as tests do):
//!
//! ```no_run
//! use lambda_blueprint::{Blueprint, Config};
//! use lambda_runtime::{Context, LambdaEvent};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = Config::from_lookup(|name| match name {
//!     "ALGORITHMIA_ALGORITHM" => Some("util/Echo".into()),
//!     "ALGORITHMIA_API_KEY" => Some("simKey".into()),
//!     "ALGORITHMIA_API" => Some("http://127.0.0.1:9000".into()),
//!     _ => None,
//! })?;
//! let blueprint = Blueprint::with_plain_key(config)?;
//! let answer = blueprint
//!     .handle(LambdaEvent::new(serde_json::json!({"hello": "world"}), Context::default()))
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! The calls go through an [`AlgorithmCaller`]: [`ApiCaller`], the SDK's handle on the
//! configured algorithm, unless [`Blueprint::with_caller`] is given another (the handler's tests
//! give one that answers in the test, so they need no server).
#![deny(missing_docs)]

mod caller;
mod config;
pub mod destination;
mod encoding;
mod error;
pub mod events;
mod failure;
pub mod idempotency;
mod init_error;
mod key;
mod metrics;
mod pipeline;
mod response;
mod runtime;
mod services;
mod template;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use algorithmia_client::{ApiKey, Client, RetryPolicy};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

pub use caller::{AlgorithmCaller, ApiCaller, CallOutput, CallRequest, Called};
pub use config::{
    BatchMode, Config, ConfigError, DEFAULT_IDEMPOTENCY_TTL, DEFAULT_NAMESPACE, EncryptionContext,
    Idempotency, KeySource, OutputMode, Route, RouteMatch, Target,
};
pub use error::BlueprintError;
pub use failure::{FailureKind, RecordFailure};
pub use init_error::report_init_error;
pub use key::{
    DecryptError, Decrypter, KeyError, KeyStores, ParameterStore, SecretStore, StoreError,
    contexts_to_try, resolve_key,
};
pub use pipeline::{DEADLINE_MARGIN, MIN_CALL_TIME};
pub use runtime::{MB_PER_VCPU, runtime, worker_threads};
pub use services::{Services, aws_services};
pub use template::InputTemplate;

/// The function: configuration, and the algorithm's caller, built once (by default the SDK's
/// client with the resolved key, [`ApiCaller`]).
#[derive(Clone)]
pub struct Blueprint<C = ApiCaller> {
    config: Arc<Config>,
    caller: C,
    services: Services,
}

impl<C> std::fmt::Debug for Blueprint<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blueprint")
            .field("config", &self.config)
            .field("services", &self.services)
            .finish_non_exhaustive()
    }
}

/// Whether the next invocation is the execution environment's first.
static COLD_START: AtomicBool = AtomicBool::new(true);

impl Blueprint {
    /// Read the configuration from the environment and resolve the key: decrypted with KMS,
    /// or read from SSM or Secrets Manager (standard AWS configuration; `AWS_ENDPOINT_URL_KMS`,
    /// `AWS_ENDPOINT_URL_SSM` and `AWS_ENDPOINT_URL_SECRETS_MANAGER` honoured).
    pub async fn from_env() -> Result<Blueprint, BlueprintError> {
        let config = Config::from_env()?;
        let needs_services = config.idempotency.is_some()
            || config
                .targets()
                .any(|t| t.result_destination.is_some() || t.failure_destination.is_some());
        if let (KeySource::Plain(key), false) = (&config.key, needs_services) {
            let key = key.clone();
            return Blueprint::new(config, key);
        }
        let function_name = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default();
        let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let services = aws_services(&config, &aws);
        let blueprint = match &config.key {
            KeySource::Plain(key) => {
                let key = key.clone();
                Blueprint::new(config, key)?
            }
            _ => {
                Blueprint::with_key_stores(config, KeyStores::from_sdk_config(&aws), &function_name)
                    .await?
            }
        };
        Ok(blueprint.with_services(services))
    }

    /// A blueprint whose key is resolved from its source through `stores` (`function_name` is
    /// the one `auto` KMS encryption contexts use). A key from SSM or Secrets Manager is read
    /// again, once for the whole execution environment, when the API answers 401, and a call
    /// refused that way is sent again with the new key.
    pub async fn with_key_stores<D, P, S>(
        config: Config,
        stores: KeyStores<D, P, S>,
        function_name: &str,
    ) -> Result<Blueprint, BlueprintError>
    where
        D: Decrypter + 'static,
        P: ParameterStore + 'static,
        S: SecretStore + 'static,
    {
        let key = resolve_key(&config.key, &stores, function_name).await?;
        let described = format!("{} {:?}", config.key.variable(), config.key);
        tracing::info!(source = %described, "resolved the API key");
        if !config.key.can_rotate() {
            return Blueprint::new(config, key);
        }
        let client =
            build_client(&config, key.clone()).map_err(|e| BlueprintError::Client(Box::new(e)))?;
        let stores = Arc::new(stores);
        let source = config.key.clone();
        let function_name = function_name.to_owned();
        let reread: caller::rotation::Reread = Box::new(move || {
            let (stores, source, function_name) =
                (Arc::clone(&stores), source.clone(), function_name.clone());
            Box::pin(async move { resolve_key(&source, &*stores, &function_name).await })
        });
        let for_rebuild = config.clone();
        let rebuild: caller::rotation::Rebuild<Client> = Box::new(move |key| {
            build_client(&for_rebuild, key)
                .map_err(|e| BlueprintError::Client(Box::new(e)).message())
        });
        let rotating = caller::rotation::Rotating::new(client, key, described, reread, rebuild);
        let caller = ApiCaller::rotating(rotating);
        Ok(Blueprint::with_caller(config, caller))
    }

    /// A blueprint whose configuration holds a plaintext key.
    pub fn with_plain_key(config: Config) -> Result<Blueprint, BlueprintError> {
        match &config.key {
            KeySource::Plain(key) => {
                let key = key.clone();
                Blueprint::new(config, key)
            }
            _ => Err(BlueprintError::EncryptedKey),
        }
    }

    /// A blueprint with a resolved key.
    pub fn new(config: Config, key: ApiKey) -> Result<Blueprint, BlueprintError> {
        let client = build_client(&config, key).map_err(|e| BlueprintError::Client(Box::new(e)))?;
        let caller = ApiCaller::new(client);
        Ok(Blueprint::with_caller(config, caller))
    }
}

/// The SDK client with `key`.
fn build_client(config: &Config, key: ApiKey) -> Result<Client, algorithmia_client::Error> {
    let mut builder = Client::builder()
        .api_key(key)
        .user_agent(format!(
            "algorithmia-lambda-blueprint/{}",
            env!("CARGO_PKG_VERSION")
        ))
        // The call's timeout is set from the invocation's deadline; the HTTP request only
        // needs a little more.
        .timeout_margin(Duration::from_millis(500))
        .retry(RetryPolicy::default());
    if let Some(base) = &config.api_base {
        builder = builder.base_url(base);
    }
    builder.build()
}

impl<C: AlgorithmCaller> Blueprint<C> {
    /// A blueprint whose calls go through `caller` (the configuration's algorithm, key and
    /// output mode are the caller's business).
    pub fn with_caller(config: Config, caller: C) -> Blueprint<C> {
        Blueprint {
            config: Arc::new(config),
            caller,
            services: Services::none(),
        }
    }

    /// The blueprint with `services`: the sinks of its result and failure destinations and its
    /// idempotency store. [`Blueprint::from_env`] sets them up on AWS.
    pub fn with_services(mut self, services: Services) -> Blueprint<C> {
        self.services = services;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Handle one invocation: recognise the event, run and settle its records, log what
    /// happened (and print its metrics), and answer.
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, BlueprintError> {
        let (payload, context) = event.into_parts();
        let started = Instant::now();
        let cold_start = COLD_START.swap(false, Ordering::Relaxed);
        let deadline = deadline_of(context.deadline);
        let invocation = events::recognise(payload);
        let source = invocation.source.name();
        let ctx = pipeline::Context {
            config: &self.config,
            services: &self.services,
            deadline,
            request_id: &context.request_id,
        };
        let span = tracing::info_span!("invocation", request_id = %context.request_id, source);
        span.in_scope(|| {
            tracing::debug!(
                deadline_ms = context.deadline,
                cold_start,
                "invocation received"
            );
        });
        let (outcomes, stats) = tracing::Instrument::instrument(
            pipeline::run(&ctx, &invocation, &self.caller),
            span.clone(),
        )
        .await;
        let _entered = span.enter();
        for f in outcomes.iter().filter_map(|o| o.as_ref().err()) {
            tracing::warn!(record = %f.id, error_type = f.kind.error_type(), permanence = f.kind.permanence(), error = %f.message, "record failed");
        }
        tracing::info!(
            records = stats.records,
            succeeded = stats.succeeded,
            failed = stats.reported(),
            duplicates = stats.duplicates,
            acknowledged = stats.acknowledged,
            delivered = stats.delivered,
            duration_ms = started.elapsed().as_millis() as u64,
            cold_start,
            "invocation"
        );
        metrics::emit(&metrics::document(
            &self.config.metrics_namespace,
            &context.env_config.function_name,
            source,
            &stats,
            cold_start,
            &context.request_id,
        ));
        response::answer(&invocation, outcomes)
    }
}

/// Deadlines below this (September 2001 in epoch milliseconds) are read as milliseconds from
/// now: Lambda sends epoch milliseconds, but cargo-lambda's emulator sends the time left.
const EPOCH_MS_FLOOR: u64 = 1_000_000_000_000;

/// The Lambda deadline as an `Instant`; none for a zero deadline.
fn deadline_of(deadline_ms: u64) -> Option<Instant> {
    if deadline_ms == 0 {
        return None;
    }
    if deadline_ms < EPOCH_MS_FLOOR {
        return Some(Instant::now() + Duration::from_millis(deadline_ms));
    }
    let now_ms = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    Some(Instant::now() + Duration::from_millis(deadline_ms.saturating_sub(now_ms)))
}

/// Serve invocations with `blueprint` until the runtime stops.
pub async fn run<C: AlgorithmCaller>(blueprint: Blueprint<C>) -> Result<(), lambda_runtime::Error> {
    let blueprint = &blueprint;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        blueprint.handle(event).await
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_in_epoch_ms_and_relative_ms() {
        assert!(deadline_of(0).is_none());
        let now_ms = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let left = deadline_of(now_ms + 5_000).unwrap() - Instant::now();
        assert!(
            left > Duration::from_millis(4_500) && left <= Duration::from_millis(5_000),
            "{left:?}"
        );
        let left = deadline_of(600_000).unwrap() - Instant::now();
        assert!(left > Duration::from_secs(599), "{left:?}");
        let past = deadline_of(now_ms - 1_000).unwrap();
        assert!(past <= Instant::now());
    }
}
