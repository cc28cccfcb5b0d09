//! The blueprint with real components: the handler against `algorithmia-local`
//! (`handler_server`), with keys in moto's SSM and Secrets Manager (`key_stores`), the
//! idempotency stores on moto's DynamoDB and in memory (`idempotency`), every kind of result
//! destination written and read back from moto (`destinations`), and the built
//! `bootstrap` under cargo-lambda's Runtime API emulator with moto's KMS, SSM and Secrets Manager,
//! end to end (`e2e`) and under injected faults (`soak`).
//!
//! The `bootstrap` is built fresh from the sources (`testkit::blueprint_bootstrap`); the tools
//! come from `.venv` (`scripts/test.sh` installs them).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod destinations;
mod e2e;
mod handler_server;
mod idempotency;
mod key_stores;
mod platform;
mod soak;

use std::collections::HashMap;

use algorithmia_local::{LocalServer, ServerHandle};
use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_kms::primitives::Blob;
use base64::Engine as _;
use lambda_blueprint::{Blueprint, Config};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;
use testkit::Moto;

pub const KEY: &str = "simBlueprintKey";

/// The function name the `bootstrap` runs as, which `auto` encryption contexts use.
pub const FUNCTION: &str = "thumbnailer";

/// A server with the built-ins and one known key.
pub fn server() -> ServerHandle {
    LocalServer::builder()
        .api_key(KEY, "blueprint")
        .start()
        .unwrap()
}

/// A fixture from `lambda-blueprint/tests/fixtures`.
pub fn fixture(name: &str) -> Value {
    let path = testkit::repo_root()
        .join("lambda-blueprint/tests/fixtures")
        .join(name);
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

/// The AWS configuration of clients of `moto`: us-east-1, test credentials.
pub fn sdk_config(moto: &Moto) -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(&moto.url)
        .credentials_provider(aws_sdk_s3::config::SharedCredentialsProvider::new(
            aws_sdk_s3::config::Credentials::new("testing", "testing", None, None, "test"),
        ))
        .build()
}

/// A table as the template makes its tables: partition key `id`, a string; on demand.
pub async fn create_id_table(client: &aws_sdk_dynamodb::Client, name: &str) {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    client
        .create_table()
        .table_name(name)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
}

/// A KMS key in moto and ciphertexts of `plaintext`, with and without the function's context.
pub async fn ciphertexts(moto: &Moto, plaintext: &str) -> (String, String) {
    let config = aws_sdk_kms::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&moto.url)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .build();
    let kms = aws_sdk_kms::Client::from_conf(config);
    let key = kms.create_key().send().await.unwrap();
    let key_id = key.key_metadata().unwrap().key_id().to_owned();
    let encrypt = |context: bool| {
        let mut request = kms
            .encrypt()
            .key_id(&key_id)
            .plaintext(Blob::new(plaintext.as_bytes()));
        if context {
            request = request.encryption_context("LambdaFunctionName", FUNCTION);
        }
        request
    };
    let with = encrypt(true).send().await.unwrap();
    let without = encrypt(false).send().await.unwrap();
    let b64 = |blob: &Blob| base64::engine::general_purpose::STANDARD.encode(blob.as_ref());
    (
        b64(with.ciphertext_blob().unwrap()),
        b64(without.ciphertext_blob().unwrap()),
    )
}
