//! Configuration from the environment, validated once at start.

mod key_source;

use std::time::Duration;

use algorithmia_client::AlgoRef;
use algorithmia_client::wire::MAX_ALGO_TIMEOUT_SECS;

use crate::template::InputTemplate;

use key_source::read_key_source;
pub use key_source::{EncryptionContext, KeySource};

/// A configuration error: which variable, and what is wrong with it. Never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub variable: &'static str,
    /// What is wrong.
    pub message: String,
}

fn error(variable: &'static str, message: impl Into<String>) -> ConfigError {
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

/// The blueprint's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The algorithm to call.
    pub algorithm: AlgoRef,
    /// The key.
    pub key: KeySource,
    /// The API's base URL (`ALGORITHMIA_API`), if not the default.
    pub api_base: Option<String>,
    /// A fixed algorithm timeout (`ALGORITHMIA_TIMEOUT`); otherwise the invocation's remaining time.
    pub timeout: Option<Duration>,
    /// The output mode (`ALGORITHMIA_OUTPUT`).
    pub output: OutputMode,
    /// Calls in flight at most (`ALGORITHMIA_CONCURRENCY`).
    pub concurrency: usize,
    /// Per record or per batch (`ALGORITHMIA_BATCH`).
    pub batch: BatchMode,
    /// The input template (`ALGORITHMIA_INPUT_TEMPLATE`).
    pub template: Option<InputTemplate>,
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
        let output = match get("ALGORITHMIA_OUTPUT").as_deref() {
            None | Some("default") => OutputMode::Default,
            Some("raw") => OutputMode::Raw,
            Some("void") => OutputMode::Void,
            Some(other) => {
                return Err(error(
                    "ALGORITHMIA_OUTPUT",
                    format!("{other:?} is not default, raw or void"),
                ));
            }
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
        Ok(Config {
            algorithm,
            key,
            api_base,
            timeout,
            output,
            concurrency,
            batch,
            template,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::key_source::parse_context;
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    const ALGO: (&str, &str) = ("ALGORITHMIA_ALGORITHM", "demo/Hello/0.1.*");
    const KEY: (&str, &str) = ("ALGORITHMIA_API_KEY", "simSECRET");

    #[test]
    fn a_minimal_configuration_has_the_defaults() {
        let c = config(&[ALGO, KEY]).unwrap();
        assert_eq!(c.algorithm.to_string(), "demo/Hello/0.1.*");
        assert_eq!(
            (c.concurrency, c.output, c.batch),
            (16, OutputMode::Default, BatchMode::Record)
        );
        assert!(c.timeout.is_none() && c.template.is_none() && c.api_base.is_none());
        assert!(!format!("{c:?}").contains("SECRET"));
    }

    #[test]
    fn every_setting_is_read() {
        let c = config(&[
            ("ALGORITHMIA_ALGORITHM", "algo://util/Echo/1.0.0"),
            ("ALGORITHMIA_API_KEY_ENCRYPTED", "AQID BA=="),
            (
                "ALGORITHMIA_KMS_ENCRYPTION_CONTEXT",
                "app=thumbs, stage=prod",
            ),
            ("ALGORITHMIA_API", "http://127.0.0.1:9000"),
            ("ALGORITHMIA_TIMEOUT", "120"),
            ("ALGORITHMIA_OUTPUT", "raw"),
            ("ALGORITHMIA_CONCURRENCY", "4"),
            ("ALGORITHMIA_BATCH", "batch"),
            ("ALGORITHMIA_INPUT_TEMPLATE", r#"{"image":"${/uri}"}"#),
        ])
        .unwrap();
        let KeySource::Encrypted {
            ciphertext,
            context,
        } = &c.key
        else {
            panic!()
        };
        assert_eq!(ciphertext, &[1, 2, 3, 4]);
        let EncryptionContext::Explicit(map) = context else {
            panic!()
        };
        assert_eq!(map["app"], "thumbs");
        assert_eq!(map["stage"], "prod");
        assert_eq!(c.timeout, Some(Duration::from_secs(120)));
        assert_eq!(
            (c.output, c.concurrency, c.batch),
            (OutputMode::Raw, 4, BatchMode::Batch)
        );
        assert!(c.template.is_some());
        for (text, want) in [
            ("auto", EncryptionContext::Auto),
            ("none", EncryptionContext::None),
            ("", EncryptionContext::Auto),
        ] {
            assert_eq!(parse_context(text).unwrap(), want);
        }
    }

    #[test]
    fn every_configuration_error_names_its_variable() {
        let enc = ("ALGORITHMIA_API_KEY_ENCRYPTED", "AQID");
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (vec![KEY], "ALGORITHMIA_ALGORITHM"),
            (
                vec![("ALGORITHMIA_ALGORITHM", "nope"), KEY],
                "ALGORITHMIA_ALGORITHM",
            ),
            (
                vec![("ALGORITHMIA_ALGORITHM", "a/b/1.x"), KEY],
                "ALGORITHMIA_ALGORITHM",
            ),
            (vec![ALGO], "ALGORITHMIA_API_KEY"),
            (vec![ALGO, KEY, enc], "ALGORITHMIA_API_KEY"),
            (
                vec![ALGO, ("ALGORITHMIA_API_KEY", "YOUR_API_KEY")],
                "ALGORITHMIA_API_KEY",
            ),
            (
                vec![
                    ALGO,
                    ("ALGORITHMIA_API_KEY_ENCRYPTED", "<kmsEncryptedApiKey>"),
                ],
                "ALGORITHMIA_API_KEY_ENCRYPTED",
            ),
            (
                vec![ALGO, ("ALGORITHMIA_API_KEY_ENCRYPTED", "not base64!")],
                "ALGORITHMIA_API_KEY_ENCRYPTED",
            ),
            (
                vec![ALGO, enc, ("ALGORITHMIA_KMS_ENCRYPTION_CONTEXT", "novalue")],
                "ALGORITHMIA_KMS_ENCRYPTION_CONTEXT",
            ),
            (
                vec![ALGO, enc, ("ALGORITHMIA_KMS_ENCRYPTION_CONTEXT", "a=1,a=2")],
                "ALGORITHMIA_KMS_ENCRYPTION_CONTEXT",
            ),
            (
                vec![ALGO, KEY, ("ALGORITHMIA_TIMEOUT", "0")],
                "ALGORITHMIA_TIMEOUT",
            ),
            (
                vec![ALGO, KEY, ("ALGORITHMIA_TIMEOUT", "3001")],
                "ALGORITHMIA_TIMEOUT",
            ),
            (
                vec![ALGO, KEY, ("ALGORITHMIA_TIMEOUT", "soon")],
                "ALGORITHMIA_TIMEOUT",
            ),
            (
                vec![ALGO, KEY, ("ALGORITHMIA_OUTPUT", "json")],
                "ALGORITHMIA_OUTPUT",
            ),
            (
                vec![ALGO, KEY, ("ALGORITHMIA_CONCURRENCY", "0")],
                "ALGORITHMIA_CONCURRENCY",
            ),
            (
                vec![ALGO, KEY, ("ALGORITHMIA_CONCURRENCY", "many")],
                "ALGORITHMIA_CONCURRENCY",
            ),
            (
                vec![ALGO, KEY, ("ALGORITHMIA_BATCH", "all")],
                "ALGORITHMIA_BATCH",
            ),
            (
                vec![ALGO, KEY, ("ALGORITHMIA_INPUT_TEMPLATE", "{not json")],
                "ALGORITHMIA_INPUT_TEMPLATE",
            ),
            (
                vec![
                    ALGO,
                    KEY,
                    ("ALGORITHMIA_INPUT_TEMPLATE", r#"{"a":"${uri}"}"#),
                ],
                "ALGORITHMIA_INPUT_TEMPLATE",
            ),
            (
                vec![ALGO, KEY, ("ALGORITHMIA_API", "ftp://x")],
                "ALGORITHMIA_API",
            ),
        ];
        for (pairs, variable) in cases {
            let err = config(&pairs).unwrap_err();
            assert_eq!(err.variable, variable, "{pairs:?}: {err}");
            assert!(err.to_string().starts_with(variable));
            assert!(!err.to_string().contains("simSECRET"));
        }
    }
}
