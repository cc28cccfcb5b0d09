//! The shapes of production wiring: S3 notifications inside SQS and SNS messages, tumbling
//! windows with any state, and HTTP requests with credentials in any letter case.

use lambda_blueprint::events::{Source, recognise};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use testkit::hostile::{any_json, apply, bounded, config, mutation};

use crate::{LIMIT, WORDS, check_invocation, fixture};

/// How an S3 notification reaches the function.
#[derive(Debug, Clone, Copy)]
enum Path {
    /// S3 → SQS.
    Sqs,
    /// S3 → SNS → SQS, without raw delivery.
    SnsInSqs,
    /// S3 → SNS → Lambda.
    Sns,
}

fn path() -> impl Strategy<Value = Path> {
    prop_oneof![Just(Path::Sqs), Just(Path::SnsInSqs), Just(Path::Sns)]
}

/// The event that carries `message` (the text of an S3 notification) by `path`.
fn carried(path: Path, message: String) -> Value {
    match path {
        Path::Sqs | Path::SnsInSqs => {
            let body = match path {
                Path::SnsInSqs => json!({
                    "Type": "Notification",
                    "TopicArn": "arn:aws:sns:us-east-1:123456789012:uploads",
                    "Message": message,
                })
                .to_string(),
                _ => message,
            };
            let mut event = fixture("sqs-s3.json");
            event["Records"][0]["body"] = json!(body);
            event["Records"] = json!([event["Records"][0].clone()]);
            event
        }
        Path::Sns => {
            let mut event = fixture("sns-s3.json");
            event["Records"][0]["Sns"]["Message"] = json!(message);
            event["Records"] = json!([event["Records"][0].clone()]);
            event
        }
    }
}

/// Any number of S3 records, damaged or not, by any path: one record each (the message's id
/// on SQS), each as S3 itself would give it; S3's test event is no record.
fn s3_inside_messages() {
    proptest!(config(300), |(
        path in path(),
        picks in prop::collection::vec((0usize..3, prop::collection::vec(mutation(WORDS), 0..3)), 1..5),
        test_event in any::<bool>(),
    )| {
        let originals = fixture("s3-put.json")["Records"].as_array().cloned().unwrap();
        let records: Vec<Value> = picks
            .iter()
            .map(|(i, mutations)| {
                let mut r = originals[*i].clone();
                for m in mutations {
                    apply(&mut r, m);
                }
                r
            })
            .collect();
        let message = if test_event {
            json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "photos"}).to_string()
        } else {
            json!({"Records": records}).to_string()
        };
        let notification_is_s3 = records
            .iter()
            .any(|r| r.get("eventSource") == Some(&json!("aws:s3")));
        let inv = recognise(carried(path, message));
        check_invocation(&inv)?;
        prop_assert_eq!(inv.source, match path { Path::Sns => Source::Sns, _ => Source::Sqs });
        if test_event {
            prop_assert!(inv.records.is_empty());
            return Ok(());
        }
        if !notification_is_s3 {
            // No record says S3's: the message is an ordinary one.
            prop_assert_eq!(inv.records.len(), 1);
            prop_assert!(inv.records[0].meta.via.is_none());
            return Ok(());
        }
        prop_assert_eq!(inv.records.len(), records.len());
        // As S3 would send them itself, after the same trip through JSON text.
        let sent: Value = serde_json::from_str(&json!({"Records": records}).to_string()).unwrap();
        let direct = recognise(sent);
        for (got, want) in inv.records.iter().zip(&direct.records) {
            prop_assert!(got.meta.via.is_some());
            prop_assert_eq!(&got.meta.idempotency_key, &want.meta.idempotency_key);
            prop_assert_eq!(
                got.input.as_ref().map(|i| &i.payload),
                want.input.as_ref().map(|i| &i.payload)
            );
            match path {
                Path::Sns => prop_assert_eq!(&got.id, &want.id),
                _ => prop_assert_eq!(got.id.as_str(), "s3-direct"),
            }
        }
    });
}

/// A window invocation of any state and any records is recognised, keeps every record, and
/// keeps its state as it came (an object; anything else is an empty state).
fn windows_keep_their_state() {
    proptest!(config(300), |(
        state in any_json(WORDS),
        count in 0usize..4,
        final_invoke in any_json(WORDS),
        dynamo in any::<bool>(),
    )| {
        let name = if dynamo { "dynamodb-window.json" } else { "kinesis-window.json" };
        let mut event = fixture(name);
        let records = event["Records"].as_array().cloned().unwrap();
        event["Records"] = Value::Array(records.iter().cycle().take(count).cloned().collect());
        event["state"] = state.clone();
        event["isFinalInvokeForWindow"] = final_invoke;
        let inv = recognise(event);
        check_invocation(&inv)?;
        prop_assert_eq!(inv.source, if dynamo { Source::DynamoDb } else { Source::Kinesis });
        prop_assert_eq!(inv.records.len(), count);
        let window = inv.window.as_ref();
        prop_assert!(window.is_some());
        let want = state.as_object().cloned().unwrap_or_default();
        prop_assert_eq!(&window.unwrap().state, &want);
        let mut answer = json!({"batchItemFailures": []});
        window.unwrap().answer_with_state(&mut answer);
        prop_assert_eq!(&answer["state"], &Value::Object(want));
    });
}

/// Header names a template must never see, in any letter case.
const HIDDEN: [&str; 5] = [
    "Authorization",
    "Proxy-Authorization",
    "Cookie",
    "Set-Cookie",
    "X-Api-Key",
];

fn cased(name: &str, mask: &[bool]) -> String {
    name.chars()
        .zip(mask.iter().cycle())
        .map(|(c, upper)| {
            if *upper {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// Credentials and cookies, in any letter case, in `headers` and v1's `multiValueHeaders`,
/// never reach the view; every other header does, in lower case.
fn credentials_never_reach_templates() {
    proptest!(config(300), |(
        v1 in any::<bool>(),
        hidden in prop::collection::vec((0usize..5, prop::collection::vec(any::<bool>(), 1..8)), 1..6),
        shown in prop::collection::vec(("[A-Za-z][A-Za-z-]{0,12}", "[ -~]{0,20}"), 0..6),
        body in prop_oneof![Just(Value::Null), Just(json!("{\"a\": 1}"))],
    )| {
        let mut event = fixture(if v1 { "apigw-rest-multi.json" } else { "apigw-http-multi.json" });
        let mut headers = Map::new();
        let mut multi = Map::new();
        for (n, (i, mask)) in hidden.iter().enumerate() {
            let name = cased(HIDDEN[*i], mask);
            let secret = format!("secret-{n}-token");
            headers.insert(name.clone(), json!(secret));
            multi.insert(name, json!([secret]));
        }
        for (name, value) in &shown {
            if HIDDEN.iter().any(|h| h.eq_ignore_ascii_case(name)) {
                continue;
            }
            headers.insert(name.clone(), json!(value));
            multi.insert(name.clone(), json!([value]));
        }
        event["headers"] = Value::Object(headers);
        event["multiValueHeaders"] = if v1 { Value::Object(multi) } else { Value::Null };
        event["body"] = body;
        event["cookies"] = json!(["session=secret-cookie-token"]);
        let inv = recognise(event);
        check_invocation(&inv)?;
        let input = inv.records[0].input.as_ref().unwrap();
        let seen = &input.view["http"]["headers"];
        let text = input.view.to_string();
        prop_assert!(!text.contains("-token"), "a secret in {}", text);
        prop_assert!(!input.payload.to_json().to_string().contains("-token"));
        let seen = seen.as_object().unwrap();
        for name in seen.keys() {
            prop_assert_eq!(name.clone(), name.to_ascii_lowercase());
            prop_assert!(!HIDDEN.iter().any(|h| h.eq_ignore_ascii_case(name)));
        }
        for (name, _) in &shown {
            if !HIDDEN.iter().any(|h| h.eq_ignore_ascii_case(name)) {
                prop_assert!(seen.contains_key(&name.to_ascii_lowercase()), "{} missing", name);
            }
        }
    });
}

#[test]
fn wiring_s3_inside_messages() {
    bounded(LIMIT, s3_inside_messages);
}

#[test]
fn wiring_windows_keep_their_state() {
    bounded(LIMIT, windows_keep_their_state);
}

#[test]
fn wiring_credentials_never_reach_templates() {
    bounded(LIMIT, credentials_never_reach_templates);
}
