#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! Hostile input, by property tests with a bounded number of cases: event recognition,
//! DynamoDB image conversion and input templates never panic nor hang, every record of a
//! batch comes out as one record, and every failure is a clear per-record message.

use std::collections::HashMap;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use base64::Engine as _;
use lambda_blueprint::InputTemplate;
use lambda_blueprint::events::{Invocation, Payload, Source, item_to_json, recognise};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_dynamo::AttributeValue;
use serde_json::{Map, Number, Value, json};

// ---------------------------------------------------------------------------------------------
// Harness

/// Run `f` on its own thread and fail if it has not finished within `limit`: a hang is a
/// failure, not a stuck test run.
fn bounded(limit: Duration, f: fn()) {
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(move || {
            f();
            let _ = tx.send(());
        })
        .unwrap();
    match rx.recv_timeout(limit) {
        Ok(()) => worker.join().unwrap(),
        Err(RecvTimeoutError::Disconnected) => {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(RecvTimeoutError::Timeout) => panic!("still running after {limit:?}: a hang"),
    }
}

const LIMIT: Duration = Duration::from_secs(90);

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        max_shrink_time: 20_000,
        ..ProptestConfig::default()
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

const FIXTURES: [&str; 15] = [
    "apigw-http.json",
    "apigw-rest.json",
    "aws-dynamodb-event.json",
    "aws-kinesis-event.json",
    "aws-s3-event.json",
    "aws-sns-event.json",
    "aws-sqs-event.json",
    "direct.json",
    "dynamodb.json",
    "eventbridge-s3.json",
    "function-url.json",
    "kinesis.json",
    "s3-put.json",
    "sns.json",
    "sqs-fifo.json",
];

/// The fixtures whose events are a `Records` batch, and their source.
const BATCHES: [(&str, Source); 10] = [
    ("kinesis.json", Source::Kinesis),
    ("aws-kinesis-event.json", Source::Kinesis),
    ("sqs-fifo.json", Source::Sqs),
    ("aws-sqs-event.json", Source::Sqs),
    ("dynamodb.json", Source::DynamoDb),
    ("aws-dynamodb-event.json", Source::DynamoDb),
    ("s3-put.json", Source::S3),
    ("aws-s3-event.json", Source::S3),
    ("sns.json", Source::Sns),
    ("aws-sns-event.json", Source::Sns),
];

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// A longest acceptable error message: a record's error names the problem, it does not
/// repeat a megabyte of its input.
const MAX_MESSAGE: usize = 4096;

/// Every failure has a non-empty, bounded message (an identifier is whatever the event says).
fn check_invocation(inv: &Invocation) -> Result<(), TestCaseError> {
    prop_assert!(!inv.records.is_empty(), "no records at all");
    for record in &inv.records {
        if let Err(message) = &record.input {
            prop_assert!(
                !message.trim().is_empty(),
                "an empty error for {}",
                record.id
            );
            prop_assert!(
                message.len() <= MAX_MESSAGE,
                "a {}-byte error for {}: {}…",
                message.len(),
                record.id,
                message.chars().take(200).collect::<String>()
            );
        }
    }
    Ok(())
}

/// The source a batch must be recognised as: the first record naming a known source.
fn expected_source(records: &[Value]) -> Option<Source> {
    records.iter().find_map(|r| {
        let name = r
            .pointer("/eventSource")
            .or_else(|| r.pointer("/EventSource"))
            .and_then(Value::as_str)?;
        Some(match name {
            "aws:s3" => Source::S3,
            "aws:kinesis" => Source::Kinesis,
            "aws:dynamodb" => Source::DynamoDb,
            "aws:sqs" => Source::Sqs,
            "aws:sns" => Source::Sns,
            _ => return None,
        })
    })
}

// ---------------------------------------------------------------------------------------------
// Generators

/// Keys and strings that real events use, so random JSON reaches the recognisers.
const KEYS: &[&str] = &[
    "Records",
    "eventSource",
    "EventSource",
    "kinesis",
    "data",
    "partitionKey",
    "sequenceNumber",
    "approximateArrivalTimestamp",
    "messageId",
    "body",
    "attributes",
    "MessageGroupId",
    "Sns",
    "Message",
    "MessageId",
    "MessageAttributes",
    "s3",
    "bucket",
    "object",
    "name",
    "key",
    "size",
    "eventTime",
    "dynamodb",
    "Keys",
    "NewImage",
    "OldImage",
    "SequenceNumber",
    "N",
    "S",
    "B",
    "M",
    "L",
    "SS",
    "NS",
    "BS",
    "BOOL",
    "NULL",
    "requestContext",
    "httpMethod",
    "version",
    "http",
    "headers",
    "content-type",
    "isBase64Encoded",
    "queryStringParameters",
    "source",
    "detail",
    "detail-type",
    "requestId",
];

const STRINGS: &[&str] = &[
    "aws:kinesis",
    "aws:sqs",
    "aws:sns",
    "aws:s3",
    "aws:dynamodb",
    "aws.s3",
    "2.0",
    "application/json",
    "text/plain",
    "application/octet-stream",
    "{",
    "{\"a\":",
    "[1,2",
    "SGVsbG8gV29ybGQ=",
    "SGVsbG8",
    "!!! not base64 !!!",
    "====",
    "1e400",
    "-0",
    "NaN",
    "inf",
    "1.1234567890123457",
    "0.00000000000000000001",
    "18446744073709551616",
    "%FF%FE",
    "a+b%20c",
    "${/a}",
    "${",
    "",
    "\u{0}",
    "\u{feff}",
    "1970-01-01T00:00:00.000Z",
    "not a time",
];

fn short_string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(STRINGS).prop_map(str::to_owned),
        2 => "[ -~]{0,16}",
        1 => prop::collection::vec(any::<char>(), 0..8).prop_map(String::from_iter),
        1 => prop::collection::vec(any::<u8>(), 0..24).prop_map(|b| b64(&b)),
        1 => prop::collection::vec(any::<u8>(), 0..24)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(KEYS).prop_map(str::to_owned),
        1 => short_string(),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        (0u32..2_000_000_000, 0u32..1000)
            .prop_map(|(s, ms)| json!(f64::from(s) + f64::from(ms) / 1000.0)),
        short_string().prop_map(Value::String),
    ]
}

/// Any JSON, shaped like events often enough to get past their first checks.
fn any_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 96, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// One change to a JSON document, at a place chosen among all its places.
#[derive(Debug, Clone)]
enum Mutation {
    /// Remove the field or array element.
    Remove(Index),
    /// Replace the value by another, usually of another type.
    Replace(Index, Value),
    /// Cut a string (or the JSON text of a value) short.
    Truncate(Index, Index),
    /// A long string (hundreds of kilobytes).
    Huge(Index, usize),
    /// Random bytes: as lossy UTF-8 text, or as base64.
    Garbage(Index, Vec<u8>, bool),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        2 => any::<Index>().prop_map(Mutation::Remove),
        3 => (any::<Index>(), any_json()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        3 => (any::<Index>(), any::<Index>()).prop_map(|(i, at)| Mutation::Truncate(i, at)),
        1 => (any::<Index>(), 1usize..400_000).prop_map(|(i, n)| Mutation::Huge(i, n)),
        2 => (any::<Index>(), prop::collection::vec(any::<u8>(), 0..64), any::<bool>())
            .prop_map(|(i, b, as_b64)| Mutation::Garbage(i, b, as_b64)),
    ]
}

/// Every place in a document, as JSON pointers (the root is "").
fn places(value: &Value) -> Vec<String> {
    fn walk(value: &Value, here: String, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    walk(
                        v,
                        format!("{here}/{}", k.replace('~', "~0").replace('/', "~1")),
                        out,
                    );
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(v, format!("{here}/{i}"), out);
                }
            }
            _ => {}
        }
        out.push(here);
    }
    let mut out = Vec::new();
    walk(value, String::new(), &mut out);
    out
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

fn truncate(text: &str, at: &Index) -> String {
    let cut = at.index(text.len() + 1);
    let cut = (0..=cut)
        .rev()
        .find(|&c| text.is_char_boundary(c))
        .unwrap_or(0);
    text[..cut].to_owned()
}

fn apply(doc: &mut Value, mutation: &Mutation) {
    let all = places(doc);
    let pick = |i: &Index| all[i.index(all.len())].clone();
    match mutation {
        Mutation::Remove(i) => {
            let place = pick(i);
            let Some((parent, last)) = place.rsplit_once('/') else {
                *doc = Value::Null;
                return;
            };
            match doc.pointer_mut(parent) {
                Some(Value::Object(map)) => {
                    map.remove(&unescape(last));
                }
                Some(Value::Array(items)) => {
                    if let Some(n) = last.parse::<usize>().ok().filter(|&n| n < items.len()) {
                        items.remove(n);
                    }
                }
                _ => {}
            }
        }
        Mutation::Replace(i, v) => {
            if let Some(slot) = doc.pointer_mut(&pick(i)) {
                *slot = v.clone();
            }
        }
        Mutation::Truncate(i, at) => {
            if let Some(slot) = doc.pointer_mut(&pick(i)) {
                let text = match &*slot {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                *slot = Value::String(truncate(&text, at));
            }
        }
        Mutation::Huge(i, n) => {
            if let Some(slot) = doc.pointer_mut(&pick(i)) {
                let unit = match slot {
                    Value::String(s) if !s.is_empty() => s.clone(),
                    _ => "A".to_owned(),
                };
                *slot = Value::String(unit.repeat(n / unit.len().max(1) + 1));
            }
        }
        Mutation::Garbage(i, bytes, as_b64) => {
            if let Some(slot) = doc.pointer_mut(&pick(i)) {
                *slot = Value::String(if *as_b64 {
                    b64(bytes)
                } else {
                    String::from_utf8_lossy(bytes).into_owned()
                });
            }
        }
    }
}

fn fixture_name() -> impl Strategy<Value = &'static str> {
    prop::sample::select(&FIXTURES[..])
}

// ---------------------------------------------------------------------------------------------
// Event recognition

fn recognise_never_panics_on_any_json() {
    proptest!(config(1000), |(event in any_json())| {
        let records = event.get("Records").and_then(Value::as_array).cloned();
        let inv = recognise(event);
        check_invocation(&inv)?;
        if let Some(records) = records
            && let Some(source) = expected_source(&records)
        {
            prop_assert_eq!(inv.source, source);
            prop_assert_eq!(inv.records.len(), records.len());
        }
    });
}

fn recognise_never_panics_on_mutated_fixtures() {
    proptest!(config(600), |(
        name in fixture_name(),
        mutations in prop::collection::vec(mutation(), 1..5),
    )| {
        let mut event = fixture(name);
        for m in &mutations {
            apply(&mut event, m);
        }
        let records = event.get("Records").and_then(Value::as_array).cloned();
        let inv = recognise(event);
        check_invocation(&inv)?;
        if let Some(source) = records.as_deref().and_then(expected_source) {
            prop_assert_eq!(inv.source, source);
            prop_assert_eq!(inv.records.len(), records.map_or(0, |r| r.len()));
        }
    });
}

/// One record of a generated batch: a fixture's record as it is, changed in place, or
/// replaced whole by something that is not a record at all.
#[derive(Debug, Clone)]
enum Member {
    Intact(Index),
    Mutated(Index, Vec<Mutation>),
    Replaced(Value),
}

fn member() -> impl Strategy<Value = Member> {
    prop_oneof![
        3 => any::<Index>().prop_map(Member::Intact),
        4 => (any::<Index>(), prop::collection::vec(mutation(), 1..4))
            .prop_map(|(i, m)| Member::Mutated(i, m)),
        1 => any_json().prop_map(Member::Replaced),
    ]
}

fn batches_keep_every_record() {
    proptest!(config(600), |(
        batch in prop::sample::select(&BATCHES[..]),
        members in prop::collection::vec(member(), 1..9),
    )| {
        let (name, source) = batch;
        let originals = fixture(name)["Records"].as_array().cloned().unwrap();
        let records: Vec<Value> = members
            .iter()
            .map(|m| match m {
                Member::Intact(i) => originals[i.index(originals.len())].clone(),
                Member::Mutated(i, mutations) => {
                    let mut r = originals[i.index(originals.len())].clone();
                    for m in mutations {
                        apply(&mut r, m);
                    }
                    r
                }
                Member::Replaced(v) => v.clone(),
            })
            .collect();
        let expected = expected_source(&records);
        let inv = recognise(json!({"Records": records.clone()}));
        check_invocation(&inv)?;
        let Some(expected) = expected else {
            // No record names a known source: the event is a direct invocation.
            prop_assert_eq!(inv.source, Source::Direct);
            prop_assert_eq!(inv.records.len(), 1);
            return Ok(());
        };
        prop_assert_eq!(inv.source, expected);
        prop_assert_eq!(inv.records.len(), records.len(), "a record was dropped or added");
        if expected != source {
            return Ok(());
        }
        for (i, (m, got)) in members.iter().zip(&inv.records).enumerate() {
            if let Member::Intact(o) = m {
                // An intact record comes out as it does alone, whatever its neighbours are.
                let alone = recognise(json!({"Records": [originals[o.index(originals.len())]]}));
                let want = &alone.records[0];
                prop_assert!(want.input.is_ok(), "the fixture's record fails alone");
                prop_assert_eq!(&got.input, &want.input, "record {} changed", i);
                prop_assert_eq!(&got.group, &want.group);
                if want.id != "record-0" {
                    prop_assert_eq!(&got.id, &want.id);
                }
            }
            if let Err(message) = &got.input {
                let named = match source {
                    Source::S3 => message.contains("S3"),
                    Source::Kinesis => message.contains("malformed Kinesis record"),
                    Source::Sqs => message.contains("malformed SQS record"),
                    Source::Sns => message.contains("malformed SNS record"),
                    Source::DynamoDb => message.contains("malformed DynamoDB record"),
                    _ => true,
                };
                prop_assert!(named, "record {}: an unclear message: {}", i, message);
            }
        }
    });
}

/// Kinesis data of any bytes arrives intact, and data that is not base64 fails that record
/// alone, saying so.
fn kinesis_data_is_decoded_or_rejected_per_record() {
    proptest!(config(400), |(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
        junk in "[ -~]{1,40}",
        timestamp in prop_oneof![
            any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
            any::<u64>().prop_map(Value::from),
            "[0-9.eE+-]{0,24}".prop_map(Value::String),
        ],
    )| {
        let mut event = fixture("kinesis.json");
        event["Records"][0]["kinesis"]["data"] = json!(b64(&bytes));
        event["Records"][1]["kinesis"]["data"] = json!(junk.clone());
        event["Records"][2]["kinesis"]["approximateArrivalTimestamp"] = timestamp;
        let inv = recognise(event);
        check_invocation(&inv)?;
        prop_assert_eq!(inv.records.len(), 3);
        let first = inv.records[0].input.as_ref().unwrap();
        prop_assert_eq!(&first.payload, &Payload::sniff(bytes.clone().into()));
        let decodable = base64::engine::general_purpose::STANDARD.decode(&junk).is_ok();
        match &inv.records[1].input {
            Ok(_) => prop_assert!(decodable, "{:?} was taken as base64", junk),
            Err(e) => {
                prop_assert!(!decodable);
                prop_assert!(e.contains("base64") && e.contains("kinesis.data"), "{}", e);
            }
        }
        if let Err(e) = &inv.records[2].input {
            prop_assert!(e.contains("approximateArrivalTimestamp"), "{}", e);
        }
    });
}

#[test]
fn recognise_any_json() {
    bounded(LIMIT, recognise_never_panics_on_any_json);
}

#[test]
fn recognise_mutated_fixtures() {
    bounded(LIMIT, recognise_never_panics_on_mutated_fixtures);
}

#[test]
fn recognise_batches_keep_every_record() {
    bounded(LIMIT, batches_keep_every_record);
}

#[test]
fn recognise_kinesis_data() {
    bounded(LIMIT, kinesis_data_is_decoded_or_rejected_per_record);
}

// ---------------------------------------------------------------------------------------------
// Explicit malformed events

fn errors(inv: &Invocation) -> Vec<(usize, &str)> {
    inv.records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.input.as_ref().err().map(|e| (i, e.as_str())))
        .collect()
}

#[test]
fn a_truncated_json_body_is_text_in_sqs_and_an_error_in_api_gateway() {
    let mut event = fixture("sqs-fifo.json");
    let body = event["Records"][0]["body"].as_str().unwrap().to_owned();
    let cut = &body[..body.len() / 2];
    event["Records"][0]["body"] = json!(cut);
    let inv = recognise(event);
    assert_eq!(inv.records.len(), 3);
    // An SQS body is any text: JSON when it parses, else text as it is.
    assert_eq!(
        inv.records[0].input.as_ref().unwrap().payload,
        Payload::Text(cut.to_owned())
    );
    assert!(errors(&inv).is_empty());

    for name in ["apigw-http.json", "apigw-rest.json"] {
        let mut event = fixture(name);
        event["headers"] = json!({"content-type": "application/json"});
        event["body"] = json!(r#"{"message": "hi", "la"#);
        let inv = recognise(event);
        let err = inv.records[0].input.as_ref().unwrap_err();
        assert!(err.contains("not valid JSON"), "{name}: {err}");
    }
}

#[test]
fn wrong_types_fail_their_record_alone() {
    let mut event = fixture("kinesis.json");
    event["Records"][1]["kinesis"]["data"] = json!(42);
    let inv = recognise(event);
    assert_eq!(inv.records.len(), 3);
    let errs = errors(&inv);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].0, 1);
    assert!(
        errs[0].1.contains("kinesis.data") && errs[0].1.contains("invalid type"),
        "{}",
        errs[0].1
    );

    // `Records` that is not an array: a direct invocation of the event as it is.
    let inv = recognise(json!({"Records": "x"}));
    assert_eq!(inv.source, Source::Direct);
    assert_eq!(inv.records.len(), 1);

    // Records that are not objects, next to one that names the source: each fails alone.
    let real = fixture("sqs-fifo.json")["Records"][0].clone();
    let inv = recognise(json!({"Records": [42, "x", null, real, [], {}]}));
    assert_eq!(inv.source, Source::Sqs);
    assert_eq!(inv.records.len(), 6);
    assert!(inv.records[3].input.is_ok());
    for i in [0, 1, 2, 4] {
        let err = inv.records[i].input.as_ref().unwrap_err();
        assert!(err.contains("malformed SQS record"), "{i}: {err}");
        assert_eq!(inv.records[i].id, format!("record-{i}"));
    }

    // A first record without its eventSource does not hide the batch.
    let mut event = fixture("kinesis.json");
    event["Records"][0]
        .as_object_mut()
        .unwrap()
        .remove("eventSource");
    event["Records"][0]["kinesis"]["sequenceNumber"] = json!(7);
    let inv = recognise(event);
    assert_eq!(inv.source, Source::Kinesis);
    assert_eq!(inv.records.len(), 3);
    let err = inv.records[0].input.as_ref().unwrap_err();
    assert!(err.contains("kinesis.sequenceNumber"), "{err}");
    assert!(inv.records[1].input.is_ok() && inv.records[2].input.is_ok());

    // Wrong types in S3, SNS and DynamoDB records.
    let mut event = fixture("s3-put.json");
    event["Records"][0]["s3"]["object"]["size"] = json!("big");
    let err = recognise(event).records[0].input.clone().unwrap_err();
    assert!(err.contains("s3.object.size"), "{err}");
    let mut event = fixture("sns.json");
    event["Records"][0]["Sns"] = json!([1, 2]);
    let err = recognise(event).records[0].input.clone().unwrap_err();
    assert!(
        err.contains("malformed SNS record") && err.contains("Sns"),
        "{err}"
    );
    let mut event = fixture("dynamodb.json");
    event["Records"][0]["dynamodb"]["NewImage"]["count"] = json!({"N": 3});
    let inv = recognise(event);
    let err = inv.records[0].input.as_ref().unwrap_err();
    assert!(err.contains("dynamodb.NewImage"), "{err}");
    assert!(inv.records[1].input.is_ok());
}

#[test]
fn a_kinesis_record_that_is_not_base64_fails_alone() {
    let mut event = fixture("kinesis.json");
    event["Records"][1]["kinesis"]["data"] = json!("this is not base64!");
    let inv = recognise(event);
    assert_eq!(inv.records.len(), 3);
    let err = inv.records[1].input.as_ref().unwrap_err();
    assert!(
        err.contains("malformed Kinesis record") && err.contains("not base64"),
        "{err}"
    );
    assert_eq!(
        inv.records[1].id,
        "49590338271490256608559692538361571095921575989136588899"
    );
    assert!(inv.records[0].input.is_ok() && inv.records[2].input.is_ok());
}

#[test]
fn kinesis_arrival_times_keep_their_milliseconds_and_never_overflow() {
    for (timestamp, want) in [
        (json!(1480641523.5), json!(1480641523.5)),
        (json!(1480641523.47), json!(1480641523.47)),
        (json!(1480641523.477), json!(1480641523.477)),
        (json!("1480641523.25"), json!(1480641523.25)),
        (json!(1480641523), json!(1480641523.0)),
        // More digits than aws_lambda_events can take (it overflowed on these).
        (json!(1.1234567890123457), json!(1.123)),
        (json!(1e-20), json!(0.0)),
        (json!("0.00000000000000000001"), json!(0.0)),
    ] {
        let mut event = fixture("kinesis.json");
        event["Records"][0]["kinesis"]["approximateArrivalTimestamp"] = timestamp.clone();
        let inv = recognise(event);
        let view = &inv.records[0].input.as_ref().unwrap().view;
        assert_eq!(view["arrival_time"], want, "{timestamp}");
    }
    for bad in [json!(-1.5), json!("soon"), json!(null), json!([1])] {
        let mut event = fixture("kinesis.json");
        event["Records"][0]["kinesis"]["approximateArrivalTimestamp"] = bad.clone();
        let err = recognise(event).records[0].input.clone().unwrap_err();
        assert!(err.contains("approximateArrivalTimestamp"), "{bad}: {err}");
    }
}

const SIX_MB: usize = 6 * 1024 * 1024;

#[test]
fn six_megabyte_records_are_handled_and_leave_the_others_intact() {
    bounded(LIMIT, || {
        let started = Instant::now();
        // Kinesis: 6 MB of base64 (4.5 MB of bytes), as binary and as a JSON document.
        let bytes: Vec<u8> = (0..SIX_MB / 4 * 3)
            .map(|i| (i * 7 + i / 13) as u8)
            .collect();
        let mut doc = String::from("[");
        while doc.len() < SIX_MB / 4 * 3 - 20 {
            doc.push_str("{\"k\":\"vvvvvvvvvvvv\",\"n\":12345},");
        }
        doc.push_str("null]");
        let mut event = fixture("kinesis.json");
        event["Records"][0]["kinesis"]["data"] = json!(b64(&bytes));
        event["Records"][1]["kinesis"]["data"] = json!(b64(doc.as_bytes()));
        let inv = recognise(event);
        assert_eq!(inv.records.len(), 3);
        assert!(errors(&inv).is_empty(), "{:?}", errors(&inv));
        let Payload::Binary(data) = &inv.records[0].input.as_ref().unwrap().payload else {
            panic!("binary data is binary");
        };
        assert_eq!(data.len(), bytes.len());
        assert!(matches!(
            &inv.records[1].input.as_ref().unwrap().payload,
            Payload::Json(Value::Array(items)) if items.len() > 100_000
        ));

        // 6 MB that is not base64: a short, clear error for that record only.
        let mut event = fixture("kinesis.json");
        event["Records"][1]["kinesis"]["data"] = json!("#".repeat(SIX_MB));
        let inv = recognise(event);
        let errs = errors(&inv);
        assert_eq!(errs.len(), 1);
        assert!(
            errs[0].1.contains("not base64") && errs[0].1.len() < 200,
            "{}",
            errs[0].1
        );

        // SQS and SNS: a 6 MB body or message.
        let mut event = fixture("sqs-fifo.json");
        event["Records"][1]["body"] = json!("x".repeat(SIX_MB));
        let inv = recognise(event);
        assert!(errors(&inv).is_empty());
        assert_eq!(
            inv.records[1].input.as_ref().unwrap().payload,
            Payload::Text("x".repeat(SIX_MB))
        );
        let mut event = fixture("sns.json");
        event["Records"][0]["Sns"]["Message"] = json!(doc);
        assert!(recognise(event).records[0].input.is_ok());

        // A 6 MB value where a number belongs: the error does not repeat it.
        let mut event = fixture("s3-put.json");
        event["Records"][0]["s3"]["object"]["size"] = json!("9".repeat(SIX_MB));
        let inv = recognise(event);
        let err = inv.records[0].input.as_ref().unwrap_err();
        assert!(
            err.contains("s3.object.size") && err.len() <= MAX_MESSAGE,
            "{} bytes",
            err.len()
        );
        assert!(inv.records[1].input.is_ok() && inv.records[2].input.is_ok());

        // API Gateway: a 6 MB body, base64 and JSON.
        let mut event = fixture("function-url.json");
        event["body"] = json!(b64(&bytes[..SIX_MB / 2]));
        assert!(recognise(event).records[0].input.is_ok());
        let mut event = fixture("apigw-http.json");
        event["body"] = json!(doc);
        assert!(recognise(event).records[0].input.is_ok());

        // DynamoDB: a 6 MB string attribute.
        let mut event = fixture("dynamodb.json");
        event["Records"][0]["dynamodb"]["NewImage"]["id"] = json!({"S": "s".repeat(SIX_MB)});
        let inv = recognise(event);
        assert!(errors(&inv).is_empty());

        assert!(
            started.elapsed() < Duration::from_secs(60),
            "6 MB records took {:?}",
            started.elapsed()
        );
    });
}

// ---------------------------------------------------------------------------------------------
// DynamoDB images

/// DynamoDB number text: valid numbers of every size, and text that only looks like one.
fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| f.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
        (
            "-?[0-9]{1,40}",
            "[0-9]{0,40}",
            prop::option::of(-400i32..400)
        )
            .prop_map(|(i, f, e)| {
                let mut s = if f.is_empty() { i } else { format!("{i}.{f}") };
                if let Some(e) = e {
                    s.push_str(&format!("e{e}"));
                }
                s
            }),
        "[0-9.eE+-]{0,12}",
        "[0-9]{1000,5000}",
        short_string(),
    ]
}

fn attribute() -> impl Strategy<Value = AttributeValue> {
    let leaf = prop_oneof![
        number_text().prop_map(AttributeValue::N),
        short_string().prop_map(AttributeValue::S),
        any::<bool>().prop_map(AttributeValue::Bool),
        prop::collection::vec(any::<u8>(), 0..64).prop_map(AttributeValue::B),
        any::<bool>().prop_map(AttributeValue::Null),
        prop::collection::vec(short_string(), 0..5).prop_map(AttributeValue::Ss),
        prop::collection::vec(number_text(), 0..5).prop_map(AttributeValue::Ns),
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..16), 0..5)
            .prop_map(AttributeValue::Bs),
    ];
    leaf.prop_recursive(6, 128, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(AttributeValue::L),
            prop::collection::hash_map(key(), inner, 0..6).prop_map(AttributeValue::M),
        ]
    })
}

fn item() -> impl Strategy<Value = serde_dynamo::Item> {
    prop::collection::hash_map(key(), attribute(), 0..8).prop_map(serde_dynamo::Item::from)
}

/// A decimal number as (negative, significant digits, exponent), zero as (false, "0", 0).
fn decimal(text: &str) -> Option<(bool, String, i64)> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = match rest.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i64>().ok()?),
        None => (rest, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.len() + frac.len() == 0 || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let digits = format!("{int}{frac}");
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Some((false, "0".into(), 0));
    }
    let significant = digits.trim_end_matches('0');
    let exponent = exponent - frac.len() as i64 + (digits.len() - significant.len()) as i64;
    Some((negative, significant.to_owned(), exponent))
}

/// The JSON a number attribute became is the same number exactly, or the text itself.
fn check_number(text: &str, got: &Value) -> Result<(), TestCaseError> {
    match got {
        Value::Number(n) => prop_assert_eq!(
            decimal(&n.to_string()),
            decimal(text),
            "{:?} became {}",
            text,
            n
        ),
        Value::String(s) => {
            prop_assert_eq!(s, text);
            // Integers that fit 64 bits, and short decimals, are numbers.
            let short_decimal = text
                .split_once('.')
                .is_some_and(|(i, f)| i.len() <= 10 && f.len() <= 4 && f.parse::<u16>().is_ok())
                && text.parse::<f64>().is_ok();
            prop_assert!(
                text.parse::<i64>().is_err() && text.parse::<u64>().is_err() && !short_decimal,
                "{:?} stayed a string",
                text
            );
        }
        other => prop_assert!(false, "{:?} became {}", text, other),
    }
    Ok(())
}

/// The image converted by hand, checking every number on the way.
fn check_attribute(a: &AttributeValue, got: &Value) -> Result<(), TestCaseError> {
    match (a, got) {
        (AttributeValue::N(n), got) => check_number(n, got)?,
        (AttributeValue::S(s), Value::String(g)) => prop_assert_eq!(s, g),
        (AttributeValue::Bool(b), Value::Bool(g)) => prop_assert_eq!(b, g),
        (AttributeValue::B(b), Value::String(g)) => prop_assert_eq!(&b64(b), g),
        (AttributeValue::Null(_), Value::Null) => {}
        (AttributeValue::Ss(s), Value::Array(g)) => {
            prop_assert_eq!(&json!(s), &Value::Array(g.clone()))
        }
        (AttributeValue::Ns(ns), Value::Array(g)) => {
            prop_assert_eq!(ns.len(), g.len());
            for (n, g) in ns.iter().zip(g) {
                check_number(n, g)?;
            }
        }
        (AttributeValue::Bs(bs), Value::Array(g)) => {
            prop_assert_eq!(bs.len(), g.len());
            for (b, g) in bs.iter().zip(g) {
                prop_assert_eq!(&json!(b64(b)), g);
            }
        }
        (AttributeValue::L(l), Value::Array(g)) => {
            prop_assert_eq!(l.len(), g.len());
            for (a, g) in l.iter().zip(g) {
                check_attribute(a, g)?;
            }
        }
        (AttributeValue::M(m), Value::Object(g)) => check_map(m, g)?,
        (a, got) => prop_assert!(false, "{:?} became {}", a, got),
    }
    Ok(())
}

fn check_map(
    m: &HashMap<String, AttributeValue>,
    got: &Map<String, Value>,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(m.len(), got.len());
    for (k, a) in m {
        let Some(g) = got.get(k) else {
            return Err(TestCaseError::fail(format!("{k:?} is missing")));
        };
        check_attribute(a, g)?;
    }
    Ok(())
}

fn item_to_json_is_exact_and_valid_json() {
    proptest!(config(500), |(item in item())| {
        let json = item_to_json(&item);
        let Value::Object(map) = &json else {
            return Err(TestCaseError::fail("an item is an object"));
        };
        check_map(&item, map)?;
        // Valid JSON text, read back as the same value (serde_json's float parser may be one
        // unit in the last place off, without its `float_roundtrip` feature).
        let text = serde_json::to_string(&json).unwrap();
        let back = serde_json::from_str::<Value>(&text).unwrap();
        prop_assert!(same_json(&back, &json), "{} read back as {}", json, back);
    });
}

fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            x == y || (x - y).abs() <= f64::EPSILON * x.abs().max(y.abs())
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// An item in DynamoDB's wire format, as a stream record carries it, with random damage.
fn dynamodb_records_from_the_wire_never_panic() {
    proptest!(config(400), |(
        new_image in item(),
        mutations in prop::collection::vec(mutation(), 0..3),
    )| {
        let mut wire = serde_json::to_value(&new_image).unwrap();
        for m in &mutations {
            apply(&mut wire, m);
        }
        let mut event = fixture("dynamodb.json");
        event["Records"][1]["dynamodb"]["NewImage"] = wire;
        let inv = recognise(event);
        check_invocation(&inv)?;
        prop_assert_eq!(inv.records.len(), 3);
        prop_assert!(inv.records[0].input.is_ok() && inv.records[2].input.is_ok());
        match &inv.records[1].input {
            Ok(input) if mutations.is_empty() => {
                prop_assert_eq!(&input.view["new_image"], &item_to_json(&new_image));
            }
            Ok(_) => {}
            Err(e) => {
                prop_assert!(!mutations.is_empty(), "an intact image failed: {}", e);
                prop_assert!(e.contains("malformed DynamoDB record"), "{}", e);
            }
        }
    });
}

#[test]
fn dynamodb_item_to_json() {
    bounded(LIMIT, item_to_json_is_exact_and_valid_json);
}

#[test]
fn dynamodb_wire_images() {
    bounded(LIMIT, dynamodb_records_from_the_wire_never_panic);
}

#[test]
fn dynamodb_numbers_at_the_edges() {
    let item: serde_dynamo::Item = HashMap::from(
        [
            "0",
            "-0",
            "-0.0",
            "1e-400",
            "1e400",
            "1e-320",
            "1.5e-310",
            "1.23456789012345e-320",
            "2.2250738585072014e-308",
            "1.7976931348623157e308",
            "99999999999999999999",
            "-9223372036854775809",
            ".5",
            "5.",
            "+7",
            "NaN",
            "inf",
            "-infinity",
            "1_000",
            " 1",
            "1e",
            "e1",
            "--1",
            "",
        ]
        .map(|n| (n.to_owned(), AttributeValue::N(n.to_owned()))),
    )
    .into();
    let json = item_to_json(&item);
    for (text, got) in json.as_object().unwrap() {
        check_number(text, got).unwrap_or_else(|e| panic!("{e}"));
    }
}

// ---------------------------------------------------------------------------------------------
// Input templates

/// Template strings built from the pieces the parser looks for.
fn template_string() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("${".to_owned()),
        Just("}".to_owned()),
        Just("${/".to_owned()),
        Just("${}".to_owned()),
        Just("/".to_owned()),
        Just("~0".to_owned()),
        Just("~1".to_owned()),
        Just("~".to_owned()),
        Just("$".to_owned()),
        Just("${/a}".to_owned()),
        Just("${/a/0}".to_owned()),
        Just("${/-}".to_owned()),
        key(),
    ];
    prop::collection::vec(piece, 0..6).prop_map(|p| p.concat())
}

fn template_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![3 => template_string().prop_map(Value::String), 1 => leaf()];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..5)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Template text: random text, generated templates, and generated templates cut short.
fn template_text() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => ".{0,64}",
        1 => template_string(),
        3 => template_json().prop_map(|v| v.to_string()),
        1 => (template_json(), any::<Index>()).prop_map(|(v, at)| truncate(&v.to_string(), &at)),
    ]
}

fn view() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => any_json(),
        1 => (fixture_name(), prop::collection::vec(mutation(), 0..3)).prop_map(|(name, m)| {
            let mut event = fixture(name);
            for m in &m {
                apply(&mut event, m);
            }
            match recognise(event).records.into_iter().next().map(|r| r.input) {
                Some(Ok(input)) => input.view,
                _ => Value::Null,
            }
        }),
    ]
}

fn templates_never_panic() {
    proptest!(config(1000), |(text in template_text(), view in view())| {
        match InputTemplate::parse(&text) {
            Ok(template) => {
                if let Err(e) = template.render(&view) {
                    prop_assert!(!e.trim().is_empty());
                    prop_assert!(e.contains("pointer"), "{}", e);
                }
            }
            Err(e) => prop_assert!(!e.trim().is_empty()),
        }
    });
}

/// `"${pointer}"` is the value at that pointer, of any type; inside text, its text.
fn templates_find_every_value() {
    proptest!(config(500), |(view in any_json(), pick in any::<Index>())| {
        let all: Vec<String> = places(&view).into_iter().filter(|p| !p.contains('}')).collect();
        let pointer = &all[pick.index(all.len())];
        let want = view.pointer(pointer).unwrap().clone();
        let template = InputTemplate::parse(&json!({"whole": format!("${{{pointer}}}"), "text": format!("<${{{pointer}}}>")}).to_string()).unwrap();
        let out = template.render(&view).unwrap();
        prop_assert_eq!(&out["whole"], &want);
        let text = match &want {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        prop_assert_eq!(&out["text"], &json!(format!("<{text}>")));
    });
}

#[test]
fn templates_parse_and_render() {
    bounded(LIMIT, templates_never_panic);
}

#[test]
fn templates_resolve_pointers() {
    bounded(LIMIT, templates_find_every_value);
}

/// serde reads a struct from an array too, positionally: a `kinesis` array (whose first item
/// would be taken, unchecked, as the timestamp and overflow the library) fails its record alone.
#[test]
fn kinesis_records_given_as_arrays_fail_alone() {
    let tiny = json!(2.1249901236573898e-123);
    for value in [json!([tiny]), json!([tiny, "SGVsbG8="]), json!([])] {
        let mut event = fixture("aws-kinesis-event.json");
        event["Records"][0]["kinesis"] = value.clone();
        let inv = recognise(event);
        assert_eq!(inv.records.len(), 2, "{value}");
        let message = inv.records[0].input.clone().unwrap_err();
        assert!(
            message.contains("kinesis: expected an object"),
            "{value}: {message}"
        );
        assert!(inv.records[1].input.is_ok());
    }
}
