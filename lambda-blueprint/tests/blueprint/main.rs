//! The handler with algorithms that answer in the test itself ([`algorithms::FakeAlgorithm`]):
//! recognition, dispatch, order, deadlines and answers (`handler`), and the event shapes of
//! production wiring (`events`: S3 through SQS and SNS, tumbling windows, HTTP requests), with
//! no server. The blueprint against a real `algorithmia-local`, and the built `bootstrap` under
//! cargo-lambda, are in the `tests` crate (`tests/tests/blueprint`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod algorithms;
mod delivery;
mod events;
mod handler;

use std::collections::HashMap;

use algorithms::FakeAlgorithm;
use lambda_blueprint::{Blueprint, Config};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;

pub const KEY: &str = "simBlueprintKey";

/// A fixture from `lambda-blueprint/tests/fixtures`.
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// A blueprint whose calls go to `algorithm`, with extra settings.
pub fn blueprint(algorithm: &FakeAlgorithm, extra: &[(&str, &str)]) -> Blueprint<FakeAlgorithm> {
    let mut vars: HashMap<String, String> = HashMap::from([
        (
            "ALGORITHMIA_ALGORITHM".to_owned(),
            algorithm.name().to_owned(),
        ),
        ("ALGORITHMIA_API_KEY".to_owned(), KEY.to_owned()),
    ]);
    for (k, v) in extra {
        vars.insert((*k).to_owned(), (*v).to_owned());
    }
    let config = Config::from_lookup(|name| vars.get(name).cloned()).unwrap();
    Blueprint::with_caller(config, algorithm.clone())
}

/// Invoke the handler with a default context (no deadline), or one ending in `deadline_ms`.
pub async fn invoke(
    blueprint: &Blueprint<FakeAlgorithm>,
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
