//! The built `bootstrap` under cargo-lambda's Runtime API emulator (`cargo lambda watch
//! --only-lambda-apis`), invoked with `cargo lambda invoke --data-file`, with moto's KMS and an
//! `algorithmia-local`, all on free loopback ports started here.

use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};
use testkit::{Emulator, Function, Moto};

use crate::{FUNCTION, KEY, ciphertexts, server};

fn fixture_event(name: &str) -> Value {
    crate::fixture(name)
}

fn output_json(text: &str) -> Value {
    testkit::first_json(text).unwrap_or_else(|| panic!("no JSON in {text:?}"))
}

fn start(emulator: &Emulator, env: &[(&str, String)]) -> Function {
    Function::start(&testkit::blueprint_bootstrap(), emulator, FUNCTION, env)
}

fn kinesis_with_failures() -> Value {
    let record = |seq: &str, key: &str, data: Value| {
        json!({
            "eventSource": "aws:kinesis",
            "eventID": format!("shardId-0:{seq}"),
            "kinesis": {
                "partitionKey": key,
                "sequenceNumber": seq,
                "data": base64::engine::general_purpose::STANDARD.encode(data.to_string()),
                "approximateArrivalTimestamp": 1428537600.0,
                "kinesisSchemaVersion": "1.0",
            },
        })
    };
    json!({"Records": [
        record("101", "a", json!({"n": 1})),
        record("102", "b", json!({"message": "record 102 is bad", "error_type": "InputError"})),
        record("103", "c", json!({"n": 3})),
        record("104", "b", json!({"n": 4})),
    ]})
}

#[tokio::test(flavor = "multi_thread")]
async fn every_source_through_the_real_bootstrap_with_a_kms_key() {
    let moto = Moto::start();
    let (with_context, without_context) = ciphertexts(&moto, KEY).await;
    let server = server();
    let emulator = Emulator::start();
    let mut function = start(
        &emulator,
        &[
            ("ALGORITHMIA_ALGORITHM", "util/Fail".into()),
            ("ALGORITHMIA_API", server.base_url().into()),
            ("ALGORITHMIA_API_KEY_ENCRYPTED", with_context),
            ("AWS_ENDPOINT_URL_KMS", moto.url.clone()),
        ],
    );
    let mut outputs = Vec::new();
    let mut call = |event: Value| {
        let (ok, text) = emulator.invoke(&event.to_string());
        outputs.push(text.clone());
        (ok, text)
    };

    // Success from every source.
    for (name, want) in [
        (
            "s3-put.json",
            json!({"records": 3, "succeeded": 3, "duplicates": 0, "acknowledged_failures": 0}),
        ),
        (
            "eventbridge-s3.json",
            json!({"records": 1, "succeeded": 1, "duplicates": 0, "acknowledged_failures": 0}),
        ),
        (
            "sns.json",
            json!({"records": 1, "succeeded": 1, "duplicates": 0, "acknowledged_failures": 0}),
        ),
        ("sqs-fifo.json", json!({"batchItemFailures": []})),
        ("dynamodb.json", json!({"batchItemFailures": []})),
        ("kinesis.json", json!({"batchItemFailures": []})),
        ("direct.json", fixture_event("direct.json")),
    ] {
        let (ok, text) = call(fixture_event(name));
        assert!(ok, "{name}: {text}");
        assert_eq!(output_json(&text), want, "{name}");
    }
    // Partial batch failure: the record util/Fail raised on and its partition's later record
    // are reported. Record 103 (another partition) is reported too when it had not started by
    // the time 102 failed: after a stream record fails, no later record of the batch is sent,
    // since Lambda resends everything after the lowest failure anyway. Both answers are right;
    // which one comes depends on timing.
    let (ok, text) = call(kinesis_with_failures());
    assert!(ok, "{text}");
    let answer = output_json(&text);
    let reported: Vec<&str> = answer["batchItemFailures"]
        .as_array()
        .map(|failures| {
            failures
                .iter()
                .filter_map(|f| f["itemIdentifier"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        reported == ["102", "104"] || reported == ["102", "103", "104"],
        "{answer}"
    );
    // An HTTP request with a query string.
    let (ok, text) = call(fixture_event("apigw-http.json"));
    assert!(ok, "{text}");
    let answer = output_json(&text);
    assert_eq!(answer["statusCode"], 200);
    assert_eq!(
        serde_json::from_str::<Value>(answer["body"].as_str().unwrap()).unwrap(),
        json!({"name": "ada", "width": "200"})
    );
    // A failing S3 invocation is an error that names the record.
    let mut s3 = fixture_event("s3-put.json");
    s3["Records"] = json!([s3["Records"][0].clone()]);
    let bad = blueprint_with_template(&server, &moto, &without_context);
    let (ok, text) = bad.1.invoke(&s3.to_string());
    outputs.push(text.clone());
    assert!(!ok, "{text}");
    assert!(
        text.contains("RecordsFailed") && text.contains("s3://photos/uploads/Happy Face.jpg"),
        "{text}"
    );
    drop(bad);

    assert!(
        function.exit_within(Duration::from_millis(10)).is_none(),
        "the function stays up"
    );
    let logs = function.logs();
    assert!(
        logs.contains("invocation") && logs.contains("record failed"),
        "{logs}"
    );
    for text in outputs
        .iter()
        .chain([&logs, &emulator.log.lock().unwrap().clone()])
    {
        assert!(!text.contains(KEY), "the plaintext key leaked");
    }
}

/// A second function (on a second emulator) whose key was encrypted without a context, which
/// `auto` falls back to, and whose template makes every record fail.
fn blueprint_with_template(
    server: &algorithmia_local::ServerHandle,
    moto: &Moto,
    ciphertext: &str,
) -> (Function, Emulator) {
    let emulator = Emulator::start();
    let function = start(
        &emulator,
        &[
            ("ALGORITHMIA_ALGORITHM", "util/Fail".into()),
            ("ALGORITHMIA_API", server.base_url().into()),
            ("ALGORITHMIA_API_KEY_ENCRYPTED", ciphertext.into()),
            ("AWS_ENDPOINT_URL_KMS", moto.url.clone()),
            (
                "ALGORITHMIA_INPUT_TEMPLATE",
                r#"{"message":"cannot thumbnail ${/key}","error_type":"InputError"}"#.into(),
            ),
        ],
    );
    (function, emulator)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_key_and_an_undecryptable_ciphertext_fail_clearly() {
    let moto = Moto::start();
    let (_, without_context) = ciphertexts(&moto, KEY).await;
    let server = server();

    // A wrong plaintext key: the 401 reaches the caller clearly.
    let emulator = Emulator::start();
    let _function = start(
        &emulator,
        &[
            ("ALGORITHMIA_ALGORITHM", "util/Echo".into()),
            ("ALGORITHMIA_API", server.base_url().into()),
            ("ALGORITHMIA_API_KEY", "simWrongKey123".into()),
        ],
    );
    let (ok, text) = emulator.invoke(&json!({"hello": "world"}).to_string());
    assert!(!ok, "{text}");
    assert!(text.contains("refused the API key (HTTP 401)"), "{text}");
    assert!(!text.contains("simWrongKey123"));

    // A ciphertext KMS cannot decrypt with the given context: start-up fails, naming the variable.
    let emulator = Emulator::start();
    let mut function = start(
        &emulator,
        &[
            ("ALGORITHMIA_ALGORITHM", "util/Echo".into()),
            ("ALGORITHMIA_API", server.base_url().into()),
            ("ALGORITHMIA_API_KEY_ENCRYPTED", without_context.clone()),
            ("ALGORITHMIA_KMS_ENCRYPTION_CONTEXT", "app=other".into()),
            ("AWS_ENDPOINT_URL_KMS", moto.url.clone()),
        ],
    );
    let status = function
        .exit_within(Duration::from_secs(30))
        .expect("the function exits at start-up");
    assert!(!status.success());
    let logs = function.logs();
    assert!(
        logs.contains(
            "ALGORITHMIA_API_KEY_ENCRYPTED: could not decrypt with KMS (context app=other)"
        ),
        "{logs}"
    );
    assert!(!logs.contains(KEY));

    // Garbage that is not a KMS ciphertext at all.
    let mut garbage = start(
        &emulator,
        &[
            ("ALGORITHMIA_ALGORITHM", "util/Echo".into()),
            (
                "ALGORITHMIA_API_KEY_ENCRYPTED",
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into(),
            ),
            ("AWS_ENDPOINT_URL_KMS", moto.url.clone()),
        ],
    );
    assert!(
        !garbage
            .exit_within(Duration::from_secs(30))
            .expect("exits")
            .success()
    );
    assert!(garbage.logs().contains("could not decrypt with KMS (context LambdaFunctionName=thumbnailer, then no encryption context)"));

    // Bad configuration is an initialisation error that names the variable.
    let mut misconfigured = start(&emulator, &[("ALGORITHMIA_API_KEY", KEY.into())]);
    assert!(
        !misconfigured
            .exit_within(Duration::from_secs(30))
            .expect("exits")
            .success()
    );
    let logs = misconfigured.logs();
    assert!(logs.contains("ALGORITHMIA_ALGORITHM: required"), "{logs}");
    assert!(
        !logs.contains(KEY),
        "the plaintext key leaked into the logs"
    );
}

/// Wait until the function's logs contain `line`.
fn wait_for_log(function: &Function, line: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !function.logs().contains(line) {
        assert!(
            std::time::Instant::now() < deadline,
            "no {line:?} in {}",
            function.logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_from_ssm_is_read_again_once_rotated() {
    let moto = Moto::start();
    let ssm = crate::key_stores::clients(&moto).ssm;
    let old = "simOldSsmKey";
    crate::key_stores::put_parameter(&ssm, "/prod/algorithmia/api-key", old).await;
    let server = server();
    let emulator = Emulator::start();
    let function = start(
        &emulator,
        &[
            ("ALGORITHMIA_ALGORITHM", "util/Echo".into()),
            ("ALGORITHMIA_API", server.base_url().into()),
            (
                "ALGORITHMIA_API_KEY_SSM_PARAMETER",
                "/prod/algorithmia/api-key".into(),
            ),
            ("AWS_ENDPOINT_URL_SSM", moto.url.clone()),
        ],
    );
    // The old key is resolved at start; the parameter is rotated to the key the server knows
    // after that, and the first calls are refused, read the parameter again, and succeed.
    wait_for_log(&function, "resolved the API key");
    crate::key_stores::put_parameter(&ssm, "/prod/algorithmia/api-key", KEY).await;
    let (ok, text) = emulator.invoke(&fixture_event("kinesis.json").to_string());
    assert!(ok, "{text}");
    assert_eq!(output_json(&text), json!({"batchItemFailures": []}));
    let (ok, text) = emulator.invoke(&fixture_event("direct.json").to_string());
    assert!(ok, "{text}");
    assert_eq!(output_json(&text), fixture_event("direct.json"));
    let logs = function.logs();
    assert!(
        logs.contains("ALGORITHMIA_API_KEY_SSM_PARAMETER")
            && logs.contains("/prod/algorithmia/api-key"),
        "{logs}"
    );
    assert_eq!(logs.matches("read a new key").count(), 1, "{logs}");
    for text in [&logs, &text, &emulator.log.lock().unwrap().clone()] {
        assert!(!text.contains(KEY) && !text.contains(old), "a key leaked");
    }

    // A parameter that does not exist: start-up fails, naming the variable and the parameter.
    let emulator = Emulator::start();
    let mut missing = start(
        &emulator,
        &[
            ("ALGORITHMIA_ALGORITHM", "util/Echo".into()),
            ("ALGORITHMIA_API_KEY_SSM_PARAMETER", "/prod/missing".into()),
            ("AWS_ENDPOINT_URL_SSM", moto.url.clone()),
        ],
    );
    assert!(
        !missing
            .exit_within(Duration::from_secs(30))
            .expect("exits")
            .success()
    );
    let logs = missing.logs();
    assert!(
        logs.contains(
            "ALGORITHMIA_API_KEY_SSM_PARAMETER: could not read the SSM parameter /prod/missing"
        ),
        "{logs}"
    );

    // Two sources: start-up fails, naming all four variables.
    let mut two = start(
        &emulator,
        &[
            ("ALGORITHMIA_ALGORITHM", "util/Echo".into()),
            ("ALGORITHMIA_API_KEY", KEY.into()),
            ("ALGORITHMIA_API_KEY_SECRET_ARN", "algorithmia".into()),
        ],
    );
    assert!(
        !two.exit_within(Duration::from_secs(30))
            .expect("exits")
            .success()
    );
    let logs = two.logs();
    for variable in [
        "ALGORITHMIA_API_KEY,",
        "ALGORITHMIA_API_KEY_ENCRYPTED",
        "ALGORITHMIA_API_KEY_SSM_PARAMETER",
        "ALGORITHMIA_API_KEY_SECRET_ARN",
    ] {
        assert!(logs.contains(variable), "{variable}: {logs}");
    }
    assert!(!logs.contains(KEY), "the plaintext key leaked");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_from_a_json_secret_works_and_never_shows_in_the_logs() {
    let moto = Moto::start();
    let secrets = crate::key_stores::clients(&moto).secrets;
    let arn = crate::key_stores::create_secret(
        &secrets,
        "algorithmia",
        &json!({"api_key": KEY, "owner": "ops"}).to_string(),
    )
    .await;
    let server = server();
    let emulator = Emulator::start();
    let function = start(
        &emulator,
        &[
            ("ALGORITHMIA_ALGORITHM", "util/Echo".into()),
            ("ALGORITHMIA_API", server.base_url().into()),
            ("ALGORITHMIA_API_KEY_SECRET_ARN", arn.clone()),
            ("AWS_ENDPOINT_URL_SECRETS_MANAGER", moto.url.clone()),
        ],
    );
    let (ok, text) = emulator.invoke(&fixture_event("sqs-fifo.json").to_string());
    assert!(ok, "{text}");
    assert_eq!(output_json(&text), json!({"batchItemFailures": []}));
    let logs = function.logs();
    assert!(
        logs.contains("resolved the API key") && logs.contains(&arn),
        "{logs}"
    );
    for text in [&logs, &text, &emulator.log.lock().unwrap().clone()] {
        assert!(!text.contains(KEY), "the key leaked");
    }
}
