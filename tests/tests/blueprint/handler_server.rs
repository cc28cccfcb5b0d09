//! The handler against a real `algorithmia-local`, where the SDK's wire behaviour is what is
//! tested: the output modes, a key the server refuses, and 429s that ask for more time than the
//! invocation has.

use std::time::{Duration, Instant};

use algorithmia_local::LocalServer;
use lambda_blueprint::{BlueprintError, FailureKind};
use serde_json::{Value, json};

use crate::{KEY, blueprint, fixture, invoke, server};

#[tokio::test]
async fn direct_invocations_return_the_result_or_the_error() {
    let server = server();
    let echo = blueprint(&server, "util/Echo/1.0.0", &[]);
    assert_eq!(
        invoke(&echo, fixture("direct.json"), None).await.unwrap(),
        fixture("direct.json")
    );
    let fail = blueprint(&server, "util/Fail", &[]);
    let err = invoke(
        &fail,
        json!({"message": "direct failure", "error_type": "InputError"}),
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type(), "InputError");
    assert!(
        err.to_string().starts_with(
            "InputError: algorithm util/Fail raised InputError: direct failure (request "
        ),
        "{err}"
    );
    let raw = blueprint(&server, "util/Echo", &[("ALGORITHMIA_OUTPUT", "raw")]);
    assert_eq!(
        invoke(&raw, json!({"k": 1}), None).await.unwrap(),
        json!({"k": 1})
    );
    let void = blueprint(&server, "util/Echo", &[("ALGORITHMIA_OUTPUT", "void")]);
    assert_eq!(
        invoke(&void, json!({"k": 1}), None).await.unwrap(),
        Value::Null
    );
}

#[tokio::test]
async fn a_wrong_key_is_surfaced_clearly() {
    let server = server();
    let bp = blueprint(
        &server,
        "util/Echo",
        &[("ALGORITHMIA_API_KEY", "simWrongKey")],
    );
    let err = invoke(&bp, json!({"x": 1}), None).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("refused the API key (HTTP 401)"), "{text}");
    assert!(!text.contains("simWrongKey"));
    assert!(!format!("{bp:?}").contains("simWrongKey"));
}

/// An SNS notification of `count` records, each with its own message (so each draws its own fault).
fn sns_event(count: usize) -> Value {
    let template = fixture("sns.json")["Records"][0].clone();
    let records: Vec<Value> = (0..count)
        .map(|i| {
            let mut record = template.clone();
            record["Sns"]["MessageId"] = json!(format!("message-{i}"));
            record["Sns"]["Message"] = json!(json!({"n": i}).to_string());
            record
        })
        .collect();
    json!({"Records": records})
}

#[tokio::test]
async fn a_429_longer_than_the_time_left_fails_its_record_at_once() {
    // Half the calls answered 429 with `Retry-After: 30`, far past the invocation's 4 s. The seed
    // is fixed and the fixed timeout keeps the calls' URLs the same, so the draw is the same in
    // every run: some records hit, some not.
    let server = LocalServer::builder()
        .api_key(KEY, "blueprint")
        .faults("seed=3;algo:429=0.5@30s".parse().unwrap())
        .start()
        .unwrap();
    let bp = blueprint(&server, "util/Echo", &[("ALGORITHMIA_TIMEOUT", "2")]);
    let records = 8;
    let started = Instant::now();
    let err = invoke(&bp, sns_event(records), Some(4_000))
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    // No call waited for its 30 s: the invocation ended well before its deadline.
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    let BlueprintError::RecordsFailed { total, failures } = err else {
        panic!("expected failed records, got {err:?}");
    };
    assert_eq!(total, records);
    let stats = server.fault_stats();
    // One attempt per record (no retry), and exactly the records answered 429 failed, each as
    // transient; the others succeeded.
    assert_eq!(stats.requests, records as u64, "{stats:?}");
    assert_eq!(
        failures.len() as u64,
        stats.too_many_requests,
        "{failures:?}"
    );
    assert!(
        !failures.is_empty() && failures.len() < records,
        "the draw should hit some records and spare others: {failures:?}"
    );
    for failure in &failures {
        assert_eq!(failure.kind, FailureKind::ApiUnavailable, "{failure:?}");
        assert!(failure.message.contains("429"), "{}", failure.message);
    }
}

#[tokio::test]
async fn a_direct_invocation_hit_by_a_long_429_answers_before_its_deadline() {
    let server = LocalServer::builder()
        .api_key(KEY, "blueprint")
        .faults("algo:429=1@30s".parse().unwrap())
        .start()
        .unwrap();
    let bp = blueprint(&server, "util/Echo", &[]);
    let started = Instant::now();
    let err = invoke(&bp, json!({"x": 1}), Some(3_000)).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(err.error_type(), "ApiUnavailable", "{err}");
    assert_eq!(server.fault_stats().requests, 1);
}
