//! The handler against a real `algorithmia-local`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use algorithmia_local::{AlgoError, AlgorithmDef, LocalServer, Output};
use base64::Engine as _;
use serde_json::{Value, json};

use crate::{KEY, blueprint, fixture, invoke, server};

fn kinesis_event(records: &[(&str, &str, Value)]) -> Value {
    let records: Vec<Value> = records
        .iter()
        .map(|(seq, partition, data)| {
            json!({
                "eventSource": "aws:kinesis",
                "eventID": format!("shardId-0:{seq}"),
                "kinesis": {
                    "partitionKey": partition,
                    "sequenceNumber": seq,
                    "data": base64::engine::general_purpose::STANDARD.encode(data.to_string()),
                    "approximateArrivalTimestamp": 1428537600.0,
                    "kinesisSchemaVersion": "1.0",
                },
            })
        })
        .collect();
    json!({"Records": records})
}

/// An algorithm that records the order it sees inputs in, and fails on `{"fail": true}`.
fn recorder(seen: Arc<Mutex<Vec<Value>>>) -> AlgorithmDef {
    AlgorithmDef::new("test/Recorder")
        .version("1.0.0")
        .handler(move |input, _ctx| {
            let seen = Arc::clone(&seen);
            async move {
                let value = input.as_json().cloned().unwrap_or(Value::Null);
                seen.lock().unwrap().push(value.clone());
                tokio::time::sleep(Duration::from_millis(5)).await;
                if value.get("fail") == Some(&Value::Bool(true)) {
                    return Err(AlgoError::input("asked to fail"));
                }
                Ok(Output::Json(value))
            }
        })
}

#[tokio::test]
async fn kinesis_partial_failures_are_reported_and_order_holds_per_partition() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let server = LocalServer::builder()
        .api_key(KEY, "blueprint")
        .algorithm(recorder(Arc::clone(&seen)))
        .start()
        .unwrap();
    let bp = blueprint(
        &server,
        "test/Recorder",
        &[("ALGORITHMIA_CONCURRENCY", "4")],
    );
    let event = kinesis_event(&[
        ("1", "a", json!({"p": "a", "n": 1})),
        ("2", "b", json!({"p": "b", "n": 1})),
        ("3", "a", json!({"p": "a", "n": 2, "fail": true})),
        ("4", "b", json!({"p": "b", "n": 2})),
        ("5", "a", json!({"p": "a", "n": 3})),
        ("6", "c", json!({"p": "c", "n": 1, "fail": true})),
        ("7", "b", json!({"p": "b", "n": 3})),
    ]);
    let answer = invoke(&bp, event, None).await.unwrap();
    let failed: Vec<&str> = answer["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap())
        .collect();
    // 3 and 6 failed; 5 was not sent because 3 failed before it in partition a. Records after
    // the first failure that had not started yet (7, depending on timing) are not sent either:
    // Kinesis resends everything from the first failure anyway.
    for id in ["3", "5", "6"] {
        assert!(failed.contains(&id), "{id} in {answer}");
    }
    let seen = seen.lock().unwrap().clone();
    for (id, p, n) in [("1", "a", 1), ("2", "b", 1), ("4", "b", 2), ("7", "b", 3)] {
        let ran_ok = seen.iter().any(|v| v["p"] == p && v["n"] == n);
        assert_eq!(
            ran_ok,
            !failed.contains(&id),
            "record {id} is reported as it went: {answer} {seen:?}"
        );
    }
    assert!(
        !seen.iter().any(|v| v["p"] == "a" && v["n"] == 3),
        "5 must not be sent"
    );
    for partition in ["a", "b"] {
        let order: Vec<i64> = seen
            .iter()
            .filter(|v| v["p"] == partition)
            .map(|v| v["n"].as_i64().unwrap())
            .collect();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted, "partition {partition}");
    }
}

#[tokio::test]
async fn a_stream_does_not_start_records_after_its_first_failure_but_a_queue_does() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let server = LocalServer::builder()
        .api_key(KEY, "blueprint")
        .algorithm(recorder(Arc::clone(&seen)))
        .start()
        .unwrap();
    let bp = blueprint(
        &server,
        "test/Recorder",
        &[("ALGORITHMIA_CONCURRENCY", "1")],
    );
    let event = kinesis_event(&[
        ("1", "a", json!({"p": "a", "n": 1})),
        ("2", "b", json!({"p": "b", "n": 1, "fail": true})),
        ("3", "c", json!({"p": "c", "n": 1})),
    ]);
    let answer = invoke(&bp, event, None).await.unwrap();
    // Kinesis would resend 3 after 2 failed, so 3 is not run now (it would run twice).
    assert_eq!(
        answer,
        json!({"batchItemFailures": [{"itemIdentifier": "2"}, {"itemIdentifier": "3"}]})
    );
    assert_eq!(seen.lock().unwrap().len(), 2);
    assert!(!seen.lock().unwrap().iter().any(|v| v["p"] == "c"));
    // SQS deletes each message on its own: a failure stops nothing else.
    seen.lock().unwrap().clear();
    let mut sqs = fixture("aws-sqs-event.json");
    let template = sqs["Records"][0].clone();
    let records: Vec<Value> = [
        ("m1", json!({"p": "a", "n": 1})),
        ("m2", json!({"p": "b", "n": 1, "fail": true})),
        ("m3", json!({"p": "c", "n": 1})),
    ]
    .into_iter()
    .map(|(id, body)| {
        let mut r = template.clone();
        r["messageId"] = json!(id);
        r["body"] = json!(body.to_string());
        r
    })
    .collect();
    sqs["Records"] = json!(records);
    let answer = invoke(&bp, sqs, None).await.unwrap();
    assert_eq!(
        answer,
        json!({"batchItemFailures": [{"itemIdentifier": "m2"}]})
    );
    assert_eq!(seen.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn sqs_fifo_dynamodb_and_success_answers() {
    let server = server();
    let echo = blueprint(&server, "util/Echo", &[]);
    assert_eq!(
        invoke(&echo, fixture("sqs-fifo.json"), None).await.unwrap(),
        json!({"batchItemFailures": []})
    );
    assert_eq!(
        invoke(&echo, fixture("dynamodb.json"), None).await.unwrap(),
        json!({"batchItemFailures": []})
    );
    assert_eq!(
        invoke(&echo, fixture("kinesis.json"), None).await.unwrap(),
        json!({"batchItemFailures": []})
    );
    // Every record made to fail: every message of every group is reported, with message ids.
    let fail = blueprint(
        &server,
        "util/Fail",
        &[("ALGORITHMIA_INPUT_TEMPLATE", r#"{"message":"no"}"#)],
    );
    let answer = invoke(&fail, fixture("sqs-fifo.json"), None).await.unwrap();
    assert_eq!(
        answer,
        json!({"batchItemFailures": [{"itemIdentifier": "msg-1"}, {"itemIdentifier": "msg-2"}, {"itemIdentifier": "msg-3"}]})
    );
    let answer = invoke(&fail, fixture("dynamodb.json"), None).await.unwrap();
    assert_eq!(answer["batchItemFailures"].as_array().unwrap().len(), 3);
    assert_eq!(answer["batchItemFailures"][0]["itemIdentifier"], "111");
}

#[tokio::test]
async fn s3_and_sns_failures_are_errors_naming_the_records() {
    let server = server();
    let echo = blueprint(&server, "util/Echo", &[]);
    assert_eq!(
        invoke(&echo, fixture("s3-put.json"), None).await.unwrap(),
        json!({"records": 3, "succeeded": 3})
    );
    assert_eq!(
        invoke(&echo, fixture("sns.json"), None).await.unwrap(),
        json!({"records": 1, "succeeded": 1})
    );
    let fail = blueprint(
        &server,
        "util/Fail",
        &[(
            "ALGORITHMIA_INPUT_TEMPLATE",
            r#"{"message":"cannot thumbnail ${/key}","error_type":"InputError"}"#,
        )],
    );
    let err = invoke(&fail, fixture("s3-put.json"), None)
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "RecordsFailed");
    let text = err.to_string();
    assert!(text.starts_with("3 of 3 records failed"), "{text}");
    assert!(text.contains("s3://photos/uploads/Happy Face.jpg (algorithm util/Fail raised InputError: cannot thumbnail uploads/Happy Face.jpg"), "{text}");
    assert!(text.contains("s3://photos/uploads/café.jpg ("), "{text}");
    let diagnostic: lambda_runtime::Diagnostic = err.into();
    assert_eq!(diagnostic.error_type, "RecordsFailed");
}

#[tokio::test]
async fn templates_shape_the_input_and_a_missing_pointer_fails_only_its_record() {
    let inputs = Arc::new(Mutex::new(Vec::new()));
    let server = LocalServer::builder()
        .api_key(KEY, "blueprint")
        .algorithm(recorder(Arc::clone(&inputs)))
        .start()
        .unwrap();
    let bp = blueprint(
        &server,
        "test/Recorder",
        &[(
            "ALGORITHMIA_INPUT_TEMPLATE",
            r#"{"image":"${/uri}","outputUrl":"s3://thumbs/${/key}","width":200,"size":"${/size}"}"#,
        )],
    );
    assert!(invoke(&bp, fixture("s3-put.json"), None).await.is_ok());
    let mut seen = inputs.lock().unwrap().clone();
    seen.sort_by_key(|v| v["image"].as_str().unwrap().to_owned());
    assert_eq!(
        seen[0],
        json!({"image": "s3://photos/uploads/Happy Face.jpg", "outputUrl": "s3://thumbs/uploads/Happy Face.jpg", "width": 200, "size": 1024})
    );
    inputs.lock().unwrap().clear();
    let partial = blueprint(
        &server,
        "test/Recorder",
        &[("ALGORITHMIA_INPUT_TEMPLATE", r#"{"user":"${/data/user}"}"#)],
    );
    let answer = invoke(&partial, fixture("kinesis.json"), None)
        .await
        .unwrap();
    // Record 1 is JSON with a user; records 2 and 3 (text, bytes) have no /data/user.
    let failed: Vec<&str> = answer["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap())
        .collect();
    assert_eq!(failed.len(), 2);
    assert!(failed.iter().all(|id| !id.ends_with("8898")), "{failed:?}");
    assert_eq!(inputs.lock().unwrap().as_slice(), &[json!({"user": "ada"})]);
}

#[tokio::test]
async fn http_requests_get_http_answers() {
    let server = server();
    let echo = blueprint(&server, "util/Echo", &[]);
    let answer = invoke(&echo, fixture("apigw-http.json"), None)
        .await
        .unwrap();
    assert_eq!(answer["statusCode"], 200);
    assert_eq!(answer["headers"]["content-type"], "application/json");
    assert_eq!(
        serde_json::from_str::<Value>(answer["body"].as_str().unwrap()).unwrap(),
        json!({"name": "ada", "width": "200"})
    );
    let answer = invoke(&echo, fixture("function-url.json"), None)
        .await
        .unwrap();
    assert_eq!(
        (
            &answer["statusCode"],
            &answer["isBase64Encoded"],
            &answer["body"]
        ),
        (&json!(200), &json!(true), &json!("iVBORw=="))
    );
    let hello = blueprint(&server, "demo/Hello", &[]);
    let mut text = fixture("apigw-rest.json");
    text["headers"] = json!({"Content-Type": "text/plain"});
    text["body"] = json!("lambda");
    text["queryStringParameters"] = Value::Null;
    let answer = invoke(&hello, text, None).await.unwrap();
    assert_eq!(
        (&answer["statusCode"], &answer["body"]),
        (&json!(200), &json!("Hello lambda"))
    );
    // An InputError is a 400, another algorithm error a 502, a bad body a 400, a timeout a 504.
    let answer = invoke(&hello, fixture("apigw-rest.json"), None)
        .await
        .unwrap();
    assert_eq!(answer["statusCode"], 400, "{answer}");
    let fail = blueprint(
        &server,
        "util/Fail",
        &[("ALGORITHMIA_INPUT_TEMPLATE", r#"{"message":"no ${/name}"}"#)],
    );
    let answer = invoke(&fail, fixture("apigw-http.json"), None)
        .await
        .unwrap();
    assert_eq!(answer["statusCode"], 502);
    let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["error"]["error_type"], "AlgorithmError");
    let mut bad = fixture("apigw-http.json");
    bad["body"] = json!("{broken");
    assert_eq!(invoke(&echo, bad, None).await.unwrap()["statusCode"], 400);
    let slow = blueprint(&server, "util/Delay", &[("ALGORITHMIA_TIMEOUT", "1")]);
    let mut delay = fixture("apigw-http.json");
    delay["body"] = json!(r#"{"ms": 3000}"#);
    assert_eq!(invoke(&slow, delay, None).await.unwrap()["statusCode"], 504);
}

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
async fn batch_mode_sends_one_array() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let server = LocalServer::builder()
        .api_key(KEY, "blueprint")
        .algorithm(recorder(Arc::clone(&seen)))
        .start()
        .unwrap();
    let bp = blueprint(&server, "test/Recorder", &[("ALGORITHMIA_BATCH", "batch")]);
    let answer = invoke(&bp, fixture("kinesis.json"), None).await.unwrap();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0],
        json!([{"user": "ada", "n": 1}, "plain text, not JSON", "//4AAQ=="])
    );
}

#[tokio::test]
async fn records_are_not_started_when_time_runs_short() {
    let server = server();
    let bp = blueprint(
        &server,
        "util/Delay",
        &[
            ("ALGORITHMIA_CONCURRENCY", "1"),
            ("ALGORITHMIA_INPUT_TEMPLATE", r#"{"ms":800}"#),
        ],
    );
    let event = kinesis_event(&[
        ("1", "a", json!(1)),
        ("2", "b", json!(2)),
        ("3", "c", json!(3)),
        ("4", "d", json!(4)),
    ]);
    let started = Instant::now();
    let answer = invoke(&bp, event, Some(3_500)).await.unwrap();
    let elapsed = started.elapsed();
    let failed = answer["batchItemFailures"].as_array().unwrap().len();
    // 3.5 s less the 1 s margin, 800 ms a call one at a time, and 1 s needed to start one:
    // about two calls go, the rest are reported, and the handler answers before the deadline.
    assert!((1..=3).contains(&failed), "{answer}");
    assert!(elapsed < Duration::from_millis(3_300), "{elapsed:?}");
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
