//! The handler, with algorithms answering in the test.

use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;
use lambda_blueprint::CallOutput;
use lambda_blueprint::events::Payload;
use serde_json::{Value, json};

use crate::algorithms::{Answer, FakeAlgorithm};
use crate::{blueprint, fixture, invoke};

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

#[tokio::test]
async fn kinesis_partial_failures_are_reported_and_order_holds_per_partition() {
    let recorder = FakeAlgorithm::recorder();
    let bp = blueprint(&recorder, &[("ALGORITHMIA_CONCURRENCY", "4")]);
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
    let seen = recorder.inputs();
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
async fn calls_run_up_to_the_concurrency_and_never_beyond_it() {
    // 40 records in 10 partitions of 4, and 25 records of their own partition: at most 6 calls
    // at once (reached, as there are more groups than that), and each partition in order.
    let recorder = FakeAlgorithm::recorder();
    let bp = blueprint(&recorder, &[("ALGORITHMIA_CONCURRENCY", "6")]);
    let mut records = Vec::new();
    for n in 0..4 {
        for p in 0..10 {
            records.push((format!("{}", records.len()), format!("p{p}"), n));
        }
    }
    for p in 10..35 {
        records.push((format!("{}", records.len()), format!("p{p}"), 0));
    }
    let event = kinesis_event(
        &records
            .iter()
            .map(|(seq, p, n)| (seq.as_str(), p.as_str(), json!({"p": p, "n": n})))
            .collect::<Vec<_>>(),
    );
    let answer = invoke(&bp, event, None).await.unwrap();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    assert_eq!(recorder.inputs().len(), records.len());
    assert_eq!(recorder.peak_concurrency(), 6);
    for p in 0..10 {
        let order: Vec<i64> = recorder
            .inputs()
            .iter()
            .filter(|v| v["p"] == format!("p{p}"))
            .map(|v| v["n"].as_i64().unwrap())
            .collect();
        assert_eq!(order, [0, 1, 2, 3], "partition p{p}");
    }
}

#[tokio::test]
async fn a_stream_does_not_start_records_after_its_first_failure_but_a_queue_does() {
    let recorder = FakeAlgorithm::recorder();
    let bp = blueprint(&recorder, &[("ALGORITHMIA_CONCURRENCY", "1")]);
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
    assert_eq!(recorder.inputs().len(), 2);
    assert!(!recorder.inputs().iter().any(|v| v["p"] == "c"));
    // SQS deletes each message on its own: a failure stops nothing else.
    recorder.clear();
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
    assert_eq!(recorder.inputs().len(), 3);
}

#[tokio::test]
async fn sqs_fifo_dynamodb_and_success_answers() {
    let echo = blueprint(&FakeAlgorithm::echo(), &[]);
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
    // Every record made to fail: the invocation fails (so the mapping's retry limits and
    // bisection apply), naming every message of every group.
    let fail = blueprint(
        &FakeAlgorithm::fail(),
        &[("ALGORITHMIA_INPUT_TEMPLATE", r#"{"message":"no"}"#)],
    );
    for (name, ids) in [
        ("sqs-fifo.json", ["msg-1", "msg-2", "msg-3"]),
        ("dynamodb.json", ["111", "222", "333"]),
    ] {
        let err = invoke(&fail, fixture(name), None).await.unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("3 of 3 records failed"), "{name}: {text}");
        for id in ids {
            assert!(text.contains(id), "{name}: {id} in {text}");
        }
    }
}

#[tokio::test]
async fn s3_and_sns_failures_are_errors_naming_the_records() {
    let echo = blueprint(&FakeAlgorithm::echo(), &[]);
    assert_eq!(
        invoke(&echo, fixture("s3-put.json"), None).await.unwrap(),
        json!({"records": 3, "succeeded": 3, "duplicates": 0, "acknowledged_failures": 0})
    );
    assert_eq!(
        invoke(&echo, fixture("sns.json"), None).await.unwrap(),
        json!({"records": 1, "succeeded": 1, "duplicates": 0, "acknowledged_failures": 0})
    );
    let fail = blueprint(
        &FakeAlgorithm::fail(),
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
    let recorder = FakeAlgorithm::recorder();
    let bp = blueprint(
        &recorder,
        &[(
            "ALGORITHMIA_INPUT_TEMPLATE",
            r#"{"image":"${/uri}","outputUrl":"s3://thumbs/${/key}","width":200,"size":"${/size}"}"#,
        )],
    );
    assert!(invoke(&bp, fixture("s3-put.json"), None).await.is_ok());
    let mut seen = recorder.inputs();
    seen.sort_by_key(|v| v["image"].as_str().unwrap().to_owned());
    assert_eq!(
        seen[0],
        json!({"image": "s3://photos/uploads/Happy Face.jpg", "outputUrl": "s3://thumbs/uploads/Happy Face.jpg", "width": 200, "size": 1024})
    );
    recorder.clear();
    let partial = blueprint(
        &recorder,
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
    assert_eq!(recorder.inputs(), [json!({"user": "ada"})]);
}

#[tokio::test]
async fn http_requests_get_http_answers() {
    let echo = blueprint(&FakeAlgorithm::echo(), &[]);
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
    let hello = blueprint(&FakeAlgorithm::hello(), &[]);
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
        &FakeAlgorithm::fail(),
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
    let slow = blueprint(&FakeAlgorithm::delay(), &[("ALGORITHMIA_TIMEOUT", "1")]);
    let mut delay = fixture("apigw-http.json");
    delay["body"] = json!(r#"{"ms": 3000}"#);
    assert_eq!(invoke(&slow, delay, None).await.unwrap()["statusCode"], 504);
}

#[tokio::test]
async fn direct_invocations_return_the_result_or_the_error() {
    let echo = blueprint(&FakeAlgorithm::echo(), &[]);
    assert_eq!(
        invoke(&echo, fixture("direct.json"), None).await.unwrap(),
        fixture("direct.json")
    );
    let fail = blueprint(&FakeAlgorithm::fail(), &[]);
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
    // What the raw and void output modes return (the SDK's part is tested against the
    // server, in the `tests` crate): the body as the result, and nothing.
    let raw = FakeAlgorithm::new("util/Echo", |input| {
        Answer::Output(CallOutput::Raw(
            Bytes::from(input.to_json().to_string()),
            Some("application/json".into()),
        ))
    });
    assert_eq!(
        invoke(&blueprint(&raw, &[]), json!({"k": 1}), None)
            .await
            .unwrap(),
        json!({"k": 1})
    );
    let void = FakeAlgorithm::new("util/Echo", |_| {
        Answer::Output(CallOutput::Void(Some("req-1".into())))
    });
    assert_eq!(
        invoke(&blueprint(&void, &[]), json!({"k": 1}), None)
            .await
            .unwrap(),
        Value::Null
    );
}

#[tokio::test]
async fn batch_mode_sends_one_array() {
    let recorder = FakeAlgorithm::recorder();
    let bp = blueprint(&recorder, &[("ALGORITHMIA_BATCH", "batch")]);
    let answer = invoke(&bp, fixture("kinesis.json"), None).await.unwrap();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    let seen = recorder.inputs();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0],
        json!([{"user": "ada", "n": 1}, "plain text, not JSON", "//4AAQ=="])
    );
}

#[tokio::test]
async fn records_are_not_started_when_time_runs_short() {
    let bp = blueprint(
        &FakeAlgorithm::delay(),
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
async fn every_call_must_end_a_margin_before_the_invocation() {
    use lambda_blueprint::DEADLINE_MARGIN;

    let echo = FakeAlgorithm::echo();
    for batch in ["record", "batch"] {
        echo.clear();
        let bp = blueprint(&echo, &[("ALGORITHMIA_BATCH", batch)]);
        let event = kinesis_event(&[("1", "a", json!(1)), ("2", "b", json!(2))]);
        let before = Instant::now();
        invoke(&bp, event, Some(10_000)).await.unwrap();
        let after = Instant::now();
        let deadlines = echo.deadlines();
        assert_eq!(deadlines.len(), if batch == "record" { 2 } else { 1 });
        for deadline in deadlines {
            // 10 s from when the handler was invoked, less the margin kept for answering.
            let deadline = deadline.expect("a call given the invocation's deadline");
            let budget = Duration::from_secs(10) - DEADLINE_MARGIN;
            assert!(deadline <= after + budget, "{batch}");
            assert!(
                deadline + Duration::from_millis(50) >= before + budget,
                "{batch}"
            );
        }
    }
    echo.clear();
    let bp = blueprint(&echo, &[]);
    invoke(&bp, json!({"x": 1}), None).await.unwrap();
    assert_eq!(echo.deadlines(), vec![None]);
}

#[tokio::test]
async fn a_refused_key_is_surfaced_clearly() {
    let refused = FakeAlgorithm::new("util/Echo", |_| {
        Answer::Refuse(401, "authorization required".into())
    });
    let bp = blueprint(&refused, &[]);
    let err = invoke(&bp, json!({"x": 1}), None).await.unwrap_err();
    assert_eq!(err.error_type(), "ApiError");
    let text = err.to_string();
    assert!(text.contains("refused the API key (HTTP 401)"), "{text}");
    assert!(!text.contains(crate::KEY));
    assert!(!format!("{bp:?}").contains(crate::KEY));
}

/// An algorithm that answers `{"status": N}` with the API refusing the call with N,
/// `{"unreachable": true}` with a connection failure, and anything else with itself.
fn flaky() -> FakeAlgorithm {
    FakeAlgorithm::new("util/Echo", |input| {
        let field = |name: &str| match input {
            Payload::Json(v) => v.get(name).cloned(),
            _ => None,
        };
        if let Some(status) = field("status").and_then(|s| s.as_u64()) {
            Answer::Refuse(status as u16, "not now".into())
        } else if field("unreachable").is_some() {
            Answer::Unreachable
        } else {
            Answer::echo(input)
        }
    })
}

#[tokio::test]
async fn refusals_outages_and_broken_connections_are_told_apart() {
    let bp = blueprint(&flaky(), &[]);
    for (input, error_type) in [
        (json!({"status": 403}), "ApiError"),
        (json!({"status": 429}), "ApiUnavailable"),
        (json!({"status": 503}), "ApiUnavailable"),
        (json!({"unreachable": true}), "TransportError"),
    ] {
        let err = invoke(&bp, input.clone(), None).await.unwrap_err();
        assert_eq!(err.error_type(), error_type, "{input}: {err}");
        let diagnostic = lambda_runtime::Diagnostic::from(err);
        assert_eq!(diagnostic.error_type, error_type);
        assert!(!diagnostic.error_message.is_empty());
        // Over HTTP each is the upstream's fault, a 502, and says which it was.
        let mut request = fixture("apigw-http.json");
        request["body"] = json!(input.to_string());
        let answer = invoke(&bp, request, None).await.unwrap();
        assert_eq!(answer["statusCode"], 502, "{input}: {answer}");
        let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["error"]["error_type"], error_type, "{input}");
    }
    let unreachable = invoke(&bp, json!({"unreachable": true}), None)
        .await
        .unwrap_err()
        .to_string();
    assert!(unreachable.contains("could not connect"), "{unreachable}");
    // In a queue's batch, only the failed messages come back.
    let mut sqs = fixture("aws-sqs-event.json");
    let template = sqs["Records"][0].clone();
    let records: Vec<Value> = [
        ("m1", json!({"n": 1})),
        ("m2", json!({"status": 500})),
        ("m3", json!({"unreachable": true})),
        ("m4", json!({"status": 404})),
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
    assert_eq!(
        invoke(&bp, sqs, None).await.unwrap(),
        json!({"batchItemFailures": [{"itemIdentifier": "m2"}, {"itemIdentifier": "m3"}, {"itemIdentifier": "m4"}]})
    );
}
