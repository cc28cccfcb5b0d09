//! Configuration from the environment, validated once at start.

mod key_source;
mod routes;
mod settings;
#[cfg(test)]
mod tests;

use std::time::Duration;

use algorithmia_client::AlgoRef;
use algorithmia_client::wire::MAX_ALGO_TIMEOUT_SECS;

use crate::template::InputTemplate;

use key_source::read_key_source;
pub use key_source::{EncryptionContext, KeySource};
pub(crate) use routes::kind_of;
pub use routes::{Route, RouteMatch, Target};
pub use settings::{DEFAULT_IDEMPOTENCY_TTL, DEFAULT_NAMESPACE, Idempotency};
use settings::{read_destination, read_idempotency, read_namespace};

/// A configuration error: which variable, and what is wrong with it. Never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub variable: &'static str,
    /// What is wrong.
    pub message: String,
}

pub(crate) fn error(variable: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        message: message.into(),
    }
}

/// The output mode of the calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputMode {
    /// The JSON envelope (result and metadata).
    Default,
    /// The bare result.
    Raw,
    /// Fire and forget.
    Void,
}

/// One call per record, or one call for the whole batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchMode {
    /// One call per record (default).
    Record,
    /// One call with the array of every record's input.
    Batch,
}

/// The output mode named by `text`: `default`, `raw` or `void`.
pub(crate) fn parse_output(text: &str) -> Result<OutputMode, String> {
    match text {
        "default" => Ok(OutputMode::Default),
        "raw" => Ok(OutputMode::Raw),
        "void" => Ok(OutputMode::Void),
        other => Err(format!("{other:?} is not default, raw or void")),
    }
}

/// The blueprint's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The default route: the algorithm (`ALGORITHMIA_ALGORITHM`), output mode
    /// (`ALGORITHMIA_OUTPUT`), input template (`ALGORITHMIA_INPUT_TEMPLATE`) and result and
    /// failure destinations (`ALGORITHMIA_RESULT_DESTINATION`, `ALGORITHMIA_FAILURE_DESTINATION`).
    pub target: Target,
    /// Routes tried before the default one (`ALGORITHMIA_ROUTES`).
    pub routes: Vec<Route>,
    /// The key.
    pub key: KeySource,
    /// The API's base URL (`ALGORITHMIA_API`), if not the default.
    pub api_base: Option<String>,
    /// A fixed algorithm timeout (`ALGORITHMIA_TIMEOUT`); otherwise the invocation's remaining time.
    pub timeout: Option<Duration>,
    /// Calls in flight at most (`ALGORITHMIA_CONCURRENCY`).
    pub concurrency: usize,
    /// Per record or per batch (`ALGORITHMIA_BATCH`).
    pub batch: BatchMode,
    /// The idempotency table (`ALGORITHMIA_IDEMPOTENCY_TABLE`, `ALGORITHMIA_IDEMPOTENCY_TTL`).
    pub idempotency: Option<Idempotency>,
    /// The metrics' CloudWatch namespace (`ALGORITHMIA_METRICS_NAMESPACE`).
    pub metrics_namespace: String,
}

impl Config {
    /// Read the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Read configuration through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let algorithm = get("ALGORITHMIA_ALGORITHM")
            .ok_or_else(|| {
                error(
                    "ALGORITHMIA_ALGORITHM",
                    "required: owner/name[/version] or algo://owner/name",
                )
            })?
            .parse::<AlgoRef>()
            .map_err(|e| error("ALGORITHMIA_ALGORITHM", e.to_string()))?;

        let key = read_key_source(get)?;

        let timeout = match get("ALGORITHMIA_TIMEOUT") {
            None => None,
            Some(text) => {
                let secs: f64 = text.parse().map_err(|_| {
                    error(
                        "ALGORITHMIA_TIMEOUT",
                        format!("{text:?} is not a number of seconds"),
                    )
                })?;
                if !(1.0..=MAX_ALGO_TIMEOUT_SECS as f64).contains(&secs) {
                    return Err(error(
                        "ALGORITHMIA_TIMEOUT",
                        format!("{text} is outside 1..={MAX_ALGO_TIMEOUT_SECS} seconds"),
                    ));
                }
                Some(Duration::from_secs_f64(secs))
            }
        };
        let output = match get("ALGORITHMIA_OUTPUT") {
            None => OutputMode::Default,
            Some(text) => parse_output(&text).map_err(|e| error("ALGORITHMIA_OUTPUT", e))?,
        };
        let concurrency = match get("ALGORITHMIA_CONCURRENCY") {
            None => 16,
            Some(text) => match text.parse::<usize>() {
                Ok(n) if (1..=1024).contains(&n) => n,
                _ => {
                    return Err(error(
                        "ALGORITHMIA_CONCURRENCY",
                        format!("{text:?} is not a whole number from 1 to 1024"),
                    ));
                }
            },
        };
        let batch = match get("ALGORITHMIA_BATCH").as_deref() {
            None | Some("record") => BatchMode::Record,
            Some("batch") => BatchMode::Batch,
            Some(other) => {
                return Err(error(
                    "ALGORITHMIA_BATCH",
                    format!("{other:?} is not record or batch"),
                ));
            }
        };
        let template = get("ALGORITHMIA_INPUT_TEMPLATE")
            .map(|text| {
                InputTemplate::parse(&text).map_err(|e| error("ALGORITHMIA_INPUT_TEMPLATE", e))
            })
            .transpose()?;
        let api_base = get("ALGORITHMIA_API");
        if let Some(base) = &api_base
            && !(base.starts_with("http://") || base.starts_with("https://"))
        {
            return Err(error(
                "ALGORITHMIA_API",
                format!("{base:?} is not an http(s) URL"),
            ));
        }
        let target = Target {
            algorithm,
            output,
            template,
            result_destination: read_destination(&get, "ALGORITHMIA_RESULT_DESTINATION")?,
            failure_destination: read_destination(&get, "ALGORITHMIA_FAILURE_DESTINATION")?,
        };
        let routes = match get("ALGORITHMIA_ROUTES") {
            None => Vec::new(),
            Some(text) => routes::parse_routes(&text, &target)?,
        };
        Ok(Config {
            target,
            routes,
            key,
            api_base,
            timeout,
            concurrency,
            batch,
            idempotency: read_idempotency(&get)?,
            metrics_namespace: read_namespace(&get)?,
        })
    }

    /// The route a record of an invocation from `source` takes: the first route that matches
    /// (its index from 1 and target), else the default route (0).
    pub fn route_of(
        &self,
        source: crate::events::Source,
        record: &crate::events::Record,
    ) -> (usize, &Target) {
        self.routes
            .iter()
            .enumerate()
            .find(|(_, r)| r.when.matches(source, record))
            .map_or((0, &self.target), |(i, r)| (i + 1, &r.target))
    }

    /// Every target: the default route's first, then each route's in order.
    pub fn targets(&self) -> impl Iterator<Item = &Target> {
        std::iter::once(&self.target).chain(self.routes.iter().map(|r| &r.target))
    }
}
