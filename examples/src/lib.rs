//! The workflows Algorithmia sold with its Lambda blueprint, run end to end on one machine
//! through the same code that runs in Lambda.
//!
//! - [`thumbnail`]: an image uploaded to S3 becomes a smart thumbnail in another bucket.
//! - [`speech`]: a recording uploaded to S3 becomes a JSON transcript in another bucket.
//! - [`predict`]: every DynamoDB update is priced by a model, the prediction stored as data.

pub mod predict;
pub mod speech;
pub mod thumbnail;

use algorithmia_client::{ApiKey, Client};
use algorithmia_local::{LocalServer, ServerHandle};
use serde_json::{Value, json};

/// The command-line options every workflow program shares: where to run.
#[derive(Debug, Clone, clap::Args)]
pub struct Connection {
    /// An Algorithmia-compatible API to use instead of the embedded server.
    #[arg(long, requires = "key")]
    pub api: Option<String>,
    /// The API key for --api (redacted in `Debug`).
    #[arg(long, env = "ALGORITHMIA_API_KEY", hide_env_values = true)]
    pub key: Option<ApiKey>,
}

impl Connection {
    /// The remote API when `--api` was given, else `embedded()`.
    pub fn target(
        &self,
        embedded: impl FnOnce() -> Result<Target, algorithmia_local::StartError>,
    ) -> Result<Target, String> {
        match (&self.api, &self.key) {
            (Some(url), Some(key)) => Ok(Target::Remote {
                url: url.clone(),
                key: key.clone(),
            }),
            _ => embedded().map_err(|e| format!("could not start the local server: {e}")),
        }
    }
}

/// A binary's exit: success, or `program: error` on stderr and failure.
pub fn exit_code(
    program: &str,
    outcome: Result<(), Box<dyn std::error::Error>>,
) -> std::process::ExitCode {
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The message, then each cause: errors keep their causes as sources.
            let mut text = e.to_string();
            let mut cause = e.source();
            while let Some(c) = cause {
                text.push_str(": ");
                text.push_str(&c.to_string());
                cause = c.source();
            }
            eprintln!("{program}: {text}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Where a workflow's algorithms run.
pub enum Target {
    /// An `algorithmia-local` started in this process (the default: no account, no network).
    Embedded(ServerHandle),
    /// Any Algorithmia-compatible API.
    Remote {
        /// Its base URL.
        url: String,
        /// The API key (redacted in `Debug`).
        key: ApiKey,
    },
}

impl Target {
    /// An embedded server with the built-in algorithms.
    pub fn embedded() -> Result<Target, algorithmia_local::StartError> {
        Ok(Target::Embedded(LocalServer::builder().start()?))
    }

    /// The API's base URL.
    pub fn url(&self) -> &str {
        match self {
            Target::Embedded(server) => server.base_url(),
            Target::Remote { url, .. } => url,
        }
    }

    /// The API key.
    pub fn key(&self) -> &str {
        match self {
            Target::Embedded(server) => server.api_key(),
            Target::Remote { key, .. } => key.expose(),
        }
    }

    /// A description for the report.
    pub fn describe(&self) -> String {
        match self {
            Target::Embedded(server) => {
                format!("embedded algorithmia-local at {}", server.base_url())
            }
            Target::Remote { url, .. } => format!("the API at {url}"),
        }
    }

    /// An SDK client for the target.
    pub fn client(&self) -> Result<Client, algorithmia_client::Error> {
        Client::builder()
            .base_url(self.url())
            .api_key(self.key())
            .build()
    }

    /// The blueprint's configuration for the target: these variables plus `extra`.
    pub fn config(
        &self,
        extra: &[(&str, String)],
    ) -> Result<lambda_blueprint::Config, lambda_blueprint::ConfigError> {
        let mut vars = vec![
            ("ALGORITHMIA_API_KEY".to_owned(), self.key().to_owned()),
            ("ALGORITHMIA_API".to_owned(), self.url().to_owned()),
        ];
        vars.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        lambda_blueprint::Config::from_lookup(|name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }
}

/// An S3 key as S3 notifications encode it (space as `+`, the rest percent-encoded).
pub fn encode_key(key: &str) -> String {
    key.split('/')
        .map(|part| {
            part.bytes()
                .map(|b| match b {
                    b' ' => "+".to_owned(),
                    b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                        (b as char).to_string()
                    }
                    other => format!("%{other:02X}"),
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The S3 notification Lambda receives for an upload.
pub fn s3_event(bucket: &str, key: &str, size: u64) -> Value {
    json!({"Records": [{
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2026-01-01T00:00:00.000Z",
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "LOCAL"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "thumbnails",
            "bucket": {"name": bucket, "arn": format!("arn:aws:s3:::{bucket}")},
            "object": {"key": encode_key(key), "size": size, "eTag": "0"},
        },
    }]})
}
