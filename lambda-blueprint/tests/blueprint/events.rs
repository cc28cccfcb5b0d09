//! Event shapes of production wiring, through the whole handler: S3 notifications through SQS
//! and SNS, tumbling windows, HTTP requests reached by templates, SQS bodies typed by a message
//! attribute.

use lambda_blueprint::BlueprintError;
use serde_json::{Value, json};

use crate::algorithms::FakeAlgorithm;
use crate::{blueprint, fixture, invoke};

fn failed_ids(answer: &Value) -> Vec<&str> {
    answer["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn s3_through_sqs_runs_each_object_and_a_failure_gives_its_message_back() {
    let recorder = FakeAlgorithm::recorder();
    // The same template as for S3 itself: it works whichever way the notification came.
    let bp = blueprint(
        &recorder,
        &[("ALGORITHMIA_INPUT_TEMPLATE", r#"{"image":"${/uri}"}"#)],
    );
    let answer = invoke(&bp, fixture("sqs-s3.json"), None).await.unwrap();
    let mut images: Vec<String> = recorder
        .inputs()
        .iter()
        .map(|v| v["image"].as_str().unwrap().to_owned())
        .collect();
    images.sort();
    // Three objects ran; the test event did not; the plain message has no /uri and fails.
    assert_eq!(
        images,
        [
            "s3://photos/uploads/Happy Face.jpg",
            "s3://photos/uploads/a+b c.png",
            "s3://photos/uploads/café.jpg",
        ]
    );
    assert_eq!(failed_ids(&answer), ["plain"]);
}

#[tokio::test]
async fn an_invocation_of_test_events_only_succeeds_with_nothing_run() {
    let recorder = FakeAlgorithm::recorder();
    let bp = blueprint(&recorder, &[]);
    let mut event = fixture("sqs-s3.json");
    event["Records"] = json!([event["Records"][2].clone()]);
    let answer = invoke(&bp, event, None).await.unwrap();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    let mut sns = fixture("sns-s3.json");
    sns["Records"] = json!([sns["Records"][1].clone()]);
    assert!(invoke(&bp, sns, None).await.is_ok());
    assert!(recorder.inputs().is_empty());
}

#[tokio::test]
async fn s3_through_sns_fails_the_invocation_naming_the_object() {
    let recorder = FakeAlgorithm::recorder();
    let bp = blueprint(
        &recorder,
        &[(
            "ALGORITHMIA_INPUT_TEMPLATE",
            r#"{"fail":"${/via/message_id}"}"#,
        )],
    );
    // The template sends {"fail": "sns-s3"}, which the recorder takes; now make it fail.
    assert!(invoke(&bp, fixture("sns-s3.json"), None).await.is_ok());
    assert_eq!(recorder.inputs().len(), 2);
    let failing = blueprint(
        &recorder,
        &[(
            "ALGORITHMIA_INPUT_TEMPLATE",
            r#"{"fail":true,"k":"${/key}"}"#,
        )],
    );
    match invoke(&failing, fixture("sns-s3.json"), None).await {
        Err(BlueprintError::RecordsFailed { total, failures }) => {
            assert_eq!(total, 2);
            assert!(
                failures
                    .iter()
                    .any(|f| f.id == "s3://photos/uploads/Happy Face.jpg")
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn tumbling_windows_answer_their_state_even_with_no_records() {
    let recorder = FakeAlgorithm::recorder();
    let bp = blueprint(
        &recorder,
        &[(
            "ALGORITHMIA_INPUT_TEMPLATE",
            r#"{"data":"${/data}","window":"${/window/start}/${/window/end}"}"#,
        )],
    );
    let answer = invoke(&bp, fixture("kinesis-window.json"), None)
        .await
        .unwrap();
    assert_eq!(answer["state"], json!({"1": 282, "10": 3450}), "{answer}");
    assert_eq!(answer["batchItemFailures"], json!([]));
    assert_eq!(
        recorder.inputs()[0]["window"],
        "2020-07-30T17:00:00Z/2020-07-30T17:05:00Z"
    );
    // The window's last invocation may hold no records: it is answered all the same.
    let mut closing = fixture("kinesis-window.json");
    closing["Records"] = json!([]);
    closing["isFinalInvokeForWindow"] = json!(true);
    let answer = invoke(&bp, closing, None).await.unwrap();
    assert_eq!(
        answer,
        json!({"state": {"1": 282, "10": 3450}, "batchItemFailures": []})
    );
    let mut dynamo = fixture("dynamodb-window.json");
    dynamo["Records"][1]["dynamodb"]["Keys"] = json!("not keys");
    let plain = blueprint(&recorder, &[]);
    let answer = invoke(&plain, dynamo, None).await.unwrap();
    assert_eq!(answer["state"], json!({"1": "state1"}));
    assert_eq!(failed_ids(&answer), ["222"], "{answer}");
    // Without a window, answers are as they were: no state.
    let answer = invoke(&plain, fixture("kinesis.json"), None).await.unwrap();
    assert!(answer.get("state").is_none(), "{answer}");
}

#[tokio::test]
async fn http_templates_reach_the_request_but_never_its_credentials() {
    let recorder = FakeAlgorithm::recorder();
    let bp = blueprint(
        &recorder,
        &[(
            "ALGORITHMIA_INPUT_TEMPLATE",
            r#"{"user":"${/http/path_parameters/id}","tags":"${/http/multi_query/tag}","agent":"${/http/headers/user-agent}","all":"${/http}"}"#,
        )],
    );
    for name in ["apigw-rest-multi.json", "apigw-http-multi.json"] {
        recorder.clear();
        let answer = invoke(&bp, fixture(name), None).await.unwrap();
        assert_eq!(answer["statusCode"], 200, "{name}: {answer}");
        let input = &recorder.inputs()[0];
        assert_eq!(input["user"], "42", "{name}");
        assert_eq!(input["tags"], json!(["a", "b"]), "{name}");
        assert_eq!(input["agent"], "curl/8", "{name}");
        let sent = input.to_string();
        for secret in ["Bearer", "session=", "api-key-value", "Basic "] {
            assert!(!sent.contains(secret), "{name}: {secret} sent in {sent}");
        }
    }
    // A template that works today, addressing the body's fields at the top, still does.
    recorder.clear();
    let today = blueprint(
        &recorder,
        &[(
            "ALGORITHMIA_INPUT_TEMPLATE",
            r#"{"n":"${/name}","w":"${/width}"}"#,
        )],
    );
    invoke(&today, fixture("apigw-http.json"), None)
        .await
        .unwrap();
    assert_eq!(recorder.inputs(), [json!({"n": "ada", "w": "200"})]);
}

#[tokio::test]
async fn sqs_text_declared_by_an_attribute_stays_text() {
    let recorder = FakeAlgorithm::echo();
    let bp = blueprint(&recorder, &[]);
    let answer = invoke(&bp, fixture("sqs-content-type.json"), None)
        .await
        .unwrap();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    let inputs = recorder.inputs();
    assert!(inputs.contains(&json!("42")), "{inputs:?}");
    assert!(inputs.contains(&json!("true")), "{inputs:?}");
    assert!(
        inputs.contains(&json!(42)),
        "the undeclared one is sniffed: {inputs:?}"
    );
}
