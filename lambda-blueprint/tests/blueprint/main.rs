//! The blueprint end to end: the handler against a real `algorithmia-local`, and the built
//! `bootstrap` under cargo-lambda's Runtime API emulator with moto's KMS.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod e2e;
mod handler;
mod soak;

use std::collections::HashMap;

use algorithmia_local::{LocalServer, ServerHandle};
use lambda_blueprint::{Blueprint, Config};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;

pub const KEY: &str = "simBlueprintKey";

/// A server with the built-ins and one known key.
pub fn server() -> ServerHandle {
    LocalServer::builder()
        .api_key(KEY, "blueprint")
        .start()
        .unwrap()
}

/// A fixture from `lambda-blueprint/tests/fixtures`.
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// A blueprint for `algorithm` on `server`, with extra settings.
pub fn blueprint(server: &ServerHandle, algorithm: &str, extra: &[(&str, &str)]) -> Blueprint {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("ALGORITHMIA_ALGORITHM".to_owned(), algorithm.to_owned()),
        ("ALGORITHMIA_API_KEY".to_owned(), KEY.to_owned()),
        ("ALGORITHMIA_API".to_owned(), server.base_url().to_owned()),
    ]);
    for (k, v) in extra {
        vars.insert((*k).to_owned(), (*v).to_owned());
    }
    Blueprint::with_plain_key(Config::from_lookup(|name| vars.get(name).cloned()).unwrap()).unwrap()
}

/// Invoke the handler with a default context (no deadline), or one ending in `deadline_ms`.
pub async fn invoke(
    blueprint: &Blueprint,
    event: Value,
    deadline_ms: Option<u64>,
) -> Result<Value, lambda_blueprint::BlueprintError> {
    let mut context = Context::default();
    context.request_id = "test-request".into();
    if let Some(ms) = deadline_ms {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        context.deadline = now + ms;
    }
    blueprint.handle(LambdaEvent::new(event, context)).await
}
