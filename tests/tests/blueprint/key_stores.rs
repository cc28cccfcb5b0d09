//! Keys from SSM Parameter Store and Secrets Manager (moto's, through the AWS SDK clients), with
//! calls against `algorithmia-local`: each source resolves and a call succeeds, a rotated secret
//! is read again once when the API answers 401, and the key never shows in an error.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
use lambda_blueprint::{Blueprint, Config, KeyStores, SecretStore, StoreError};
use serde_json::{Value, json};
use testkit::Moto;

use crate::{FUNCTION, KEY, fixture, invoke, server};

/// AWS SDK clients on moto.
pub struct MotoClients {
    pub kms: aws_sdk_kms::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
}

pub fn clients(moto: &Moto) -> MotoClients {
    let credentials = Credentials::new("testing", "testing", None, None, "test");
    let region = Region::new("us-east-1");
    MotoClients {
        kms: aws_sdk_kms::Client::from_conf(
            aws_sdk_kms::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(region.clone())
                .endpoint_url(&moto.url)
                .credentials_provider(credentials.clone())
                .build(),
        ),
        ssm: aws_sdk_ssm::Client::from_conf(
            aws_sdk_ssm::Config::builder()
                .behavior_version(aws_sdk_ssm::config::BehaviorVersion::latest())
                .region(aws_sdk_ssm::config::Region::new("us-east-1"))
                .endpoint_url(&moto.url)
                .credentials_provider(credentials.clone())
                .build(),
        ),
        secrets: aws_sdk_secretsmanager::Client::from_conf(
            aws_sdk_secretsmanager::Config::builder()
                .behavior_version(aws_sdk_secretsmanager::config::BehaviorVersion::latest())
                .region(aws_sdk_secretsmanager::config::Region::new("us-east-1"))
                .endpoint_url(&moto.url)
                .credentials_provider(credentials)
                .build(),
        ),
    }
}

/// Put `value` into the SecureString parameter `name` (overwriting).
pub async fn put_parameter(ssm: &aws_sdk_ssm::Client, name: &str, value: &str) {
    ssm.put_parameter()
        .name(name)
        .value(value)
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .overwrite(true)
        .send()
        .await
        .unwrap();
}

/// Create the secret `name` holding `value`; its ARN.
pub async fn create_secret(
    secrets: &aws_sdk_secretsmanager::Client,
    name: &str,
    value: &str,
) -> String {
    let out = secrets
        .create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await
        .unwrap();
    out.arn().unwrap().to_owned()
}

/// The Secrets Manager client, counting its reads.
struct CountingSecrets {
    inner: aws_sdk_secretsmanager::Client,
    reads: Arc<AtomicUsize>,
}

impl SecretStore for CountingSecrets {
    async fn secret_string(&self, id: &str) -> Result<String, StoreError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.secret_string(id).await
    }
}

fn config(server: &algorithmia_local::ServerHandle, extra: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("ALGORITHMIA_ALGORITHM".to_owned(), "util/Echo".to_owned()),
        ("ALGORITHMIA_API".to_owned(), server.base_url().to_owned()),
    ]);
    for (k, v) in extra {
        vars.insert((*k).to_owned(), (*v).to_owned());
    }
    Config::from_lookup(|name| vars.get(name).cloned()).unwrap()
}

async fn blueprint_from(
    moto: &Moto,
    config: Config,
) -> Result<Blueprint, lambda_blueprint::BlueprintError> {
    let c = clients(moto);
    Blueprint::with_key_stores(
        config,
        KeyStores {
            kms: c.kms,
            ssm: c.ssm,
            secrets: c.secrets,
        },
        FUNCTION,
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn ssm_parameters_and_secrets_by_arn_and_name_plain_and_json_resolve() {
    let moto = Moto::start();
    let server = server();
    let c = clients(&moto);
    put_parameter(&c.ssm, "/prod/algorithmia/api-key", KEY).await;
    let plain_arn = create_secret(&c.secrets, "algorithmia-plain", KEY).await;
    create_secret(
        &c.secrets,
        "algorithmia-json",
        &json!({"api_key": KEY, "owner": "ops"}).to_string(),
    )
    .await;
    let json_arn = create_secret(
        &c.secrets,
        "algorithmia-json-by-arn",
        &json!({"api_key": KEY}).to_string(),
    )
    .await;

    for (variable, value) in [
        (
            "ALGORITHMIA_API_KEY_SSM_PARAMETER",
            "/prod/algorithmia/api-key",
        ),
        ("ALGORITHMIA_API_KEY_SECRET_ARN", plain_arn.as_str()),
        ("ALGORITHMIA_API_KEY_SECRET_ARN", "algorithmia-plain"),
        ("ALGORITHMIA_API_KEY_SECRET_ARN", "algorithmia-json"),
        ("ALGORITHMIA_API_KEY_SECRET_ARN", json_arn.as_str()),
    ] {
        let bp = blueprint_from(&moto, config(&server, &[(variable, value)]))
            .await
            .unwrap_or_else(|e| panic!("{variable}={value}: {e}"));
        assert_eq!(
            invoke(&bp, fixture("direct.json"), None).await.unwrap(),
            fixture("direct.json"),
            "{variable}={value}"
        );
        assert!(!format!("{bp:?}").contains(KEY), "{bp:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unreadable_or_unusable_sources_fail_at_start_naming_the_variable_never_the_key() {
    let moto = Moto::start();
    let server = server();
    let c = clients(&moto);
    create_secret(&c.secrets, "no-field", &json!({"key": KEY}).to_string()).await;
    c.secrets
        .create_secret()
        .name("binary")
        .secret_binary(aws_sdk_secretsmanager::primitives::Blob::new(
            KEY.as_bytes(),
        ))
        .send()
        .await
        .unwrap();
    for (variable, value, want) in [
        (
            "ALGORITHMIA_API_KEY_SSM_PARAMETER",
            "/missing",
            "ALGORITHMIA_API_KEY_SSM_PARAMETER: could not read the SSM parameter /missing: ",
        ),
        (
            "ALGORITHMIA_API_KEY_SECRET_ARN",
            "missing",
            "ALGORITHMIA_API_KEY_SECRET_ARN: could not read the secret missing: ",
        ),
        (
            "ALGORITHMIA_API_KEY_SECRET_ARN",
            "no-field",
            "ALGORITHMIA_API_KEY_SECRET_ARN: the value of no-field is a JSON object without an \"api_key\" field",
        ),
        (
            "ALGORITHMIA_API_KEY_SECRET_ARN",
            "binary",
            "ALGORITHMIA_API_KEY_SECRET_ARN: could not read the secret binary: the secret holds a SecretBinary",
        ),
    ] {
        let err = blueprint_from(&moto, config(&server, &[(variable, value)]))
            .await
            .unwrap_err();
        let text = err.message();
        assert!(text.starts_with(want), "{text}");
        assert_eq!(err.error_type(), "Runtime.KeyError");
        assert!(
            !text.contains(KEY) && !format!("{err:?}").contains(KEY),
            "{text}"
        );
    }
}

/// A batch of SQS messages, each echoed.
fn sqs_batch(n: usize) -> Value {
    let records: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "messageId": format!("m{i}"),
                "receiptHandle": "r",
                "body": json!({"n": i}).to_string(),
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
                "awsRegion": "us-east-1",
            })
        })
        .collect();
    json!({ "Records": records })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rotated_secret_is_read_again_once_and_the_batch_succeeds() {
    let moto = Moto::start();
    // The server knows the new key (KEY) only; the secret holds the old one at start.
    let server = server();
    let c = clients(&moto);
    let old = "simOldRotatedKey";
    create_secret(&c.secrets, "rotating", &json!({"api_key": old}).to_string()).await;
    let reads = Arc::new(AtomicUsize::new(0));
    let bp = Blueprint::with_key_stores(
        config(
            &server,
            &[
                ("ALGORITHMIA_API_KEY_SECRET_ARN", "rotating"),
                ("ALGORITHMIA_CONCURRENCY", "8"),
            ],
        ),
        KeyStores {
            kms: c.kms.clone(),
            ssm: c.ssm.clone(),
            secrets: CountingSecrets {
                inner: c.secrets.clone(),
                reads: Arc::clone(&reads),
            },
        },
        FUNCTION,
    )
    .await
    .unwrap();
    assert_eq!(reads.load(Ordering::SeqCst), 1, "resolved once at start");

    // Rotated after the blueprint resolved the old key: the first calls are refused, the
    // secret is read again once for all of them, and each is sent again with the new key.
    c.secrets
        .put_secret_value()
        .secret_id("rotating")
        .secret_string(json!({"api_key": KEY}).to_string())
        .send()
        .await
        .unwrap();
    let answer = invoke(&bp, sqs_batch(8), None).await.unwrap();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    assert_eq!(reads.load(Ordering::SeqCst), 2, "read again once");
    // Later calls use the new key without reading again.
    let answer = invoke(&bp, sqs_batch(3), None).await.unwrap();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    assert_eq!(reads.load(Ordering::SeqCst), 2);

    // A secret rotated to a key the server does not know either: one more read, then the 401
    // is the record's failure, as with a plaintext key, and the key shows nowhere.
    let wrong = "simAlsoUnknownKey";
    create_secret(&c.secrets, "rotating-wrong", old).await;
    let reads = Arc::new(AtomicUsize::new(0));
    let bp = Blueprint::with_key_stores(
        config(
            &server,
            &[("ALGORITHMIA_API_KEY_SECRET_ARN", "rotating-wrong")],
        ),
        KeyStores {
            kms: c.kms.clone(),
            ssm: c.ssm.clone(),
            secrets: CountingSecrets {
                inner: c.secrets.clone(),
                reads: Arc::clone(&reads),
            },
        },
        FUNCTION,
    )
    .await
    .unwrap();
    c.secrets
        .put_secret_value()
        .secret_id("rotating-wrong")
        .secret_string(wrong)
        .send()
        .await
        .unwrap();
    let err = invoke(&bp, json!({"x": 1}), None).await.unwrap_err();
    let text = err.message();
    assert!(text.contains("refused the API key (HTTP 401)"), "{text}");
    for key in [old, KEY, wrong] {
        assert!(
            !text.contains(key) && !format!("{bp:?}").contains(key),
            "{text}"
        );
    }
    assert_eq!(reads.load(Ordering::SeqCst), 2, "read again once");
    // The next refusals read once more, find the same key, and report the 401; after that
    // fruitless read, refusals do not read again for a while.
    // Every record of the batch failed, so the invocation fails, naming both.
    for _ in 0..2 {
        let err = invoke(&bp, sqs_batch(2), None).await.unwrap_err();
        let text = err.message();
        assert!(text.starts_with("2 of 2 records failed"), "{text}");
        assert!(text.contains("m0") && text.contains("m1"), "{text}");
        assert_eq!(reads.load(Ordering::SeqCst), 3);
    }
}
