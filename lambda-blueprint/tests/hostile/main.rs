//! Hostile input to the blueprint, by property tests with a bounded number of cases.
//!
//! What is hostile here: the events Lambda hands the function (any JSON, the recorded events
//! damaged at any place, batches of intact, damaged and foreign records, records of 6 MB),
//! DynamoDB images in the stream's wire format, input templates with the views they render, and
//! route lists and destination ARNs.
//!
//! What holds: nothing panics nor hangs; every record of a batch comes out as one record, an
//! intact one as it does alone; every failure is a clear per-record message of at most
//! `MAX_MESSAGE` bytes; DynamoDB numbers convert exactly; templates find every value.
//!
//! The bound: every property runs within `LIMIT` (a hang is a failure), with the case counts
//! given where it runs, no failure persistence, and a shrink of at most 20 s
//! (`testkit::hostile`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod dynamodb;
mod events;
mod malformed;
mod settings;
mod templates;
mod wiring;

use std::time::Duration;

use lambda_blueprint::events::{Invocation, Record, Source, recognise};
use proptest::prelude::*;
use serde_json::{Value, json};
use testkit::hostile::{Dialect, check_message};

/// Every property's whole run.
const LIMIT: Duration = Duration::from_secs(90);

/// The JSON of events: the keys and strings real events use, so random JSON reaches the
/// recognisers; large documents, with strings of hundreds of kilobytes.
const WORDS: Dialect = Dialect {
    keys: KEYS,
    strings: STRINGS,
    ..Dialect::LARGE
};

/// Keys real events use.
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
    "messageAttributes",
    "stringValue",
    "MessageAttributes",
    "Type",
    "Value",
    "TopicArn",
    "Service",
    "Event",
    "window",
    "state",
    "isFinalInvokeForWindow",
    "eventSourceARN",
    "pathParameters",
    "multiValueHeaders",
    "multiValueQueryStringParameters",
    "rawPath",
];

/// Strings real events use, and text the recognisers find hard.
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
    "Notification",
    "Amazon S3",
    "s3:TestEvent",
    "String",
    "authorization",
    "Cookie",
];

const FIXTURES: [&str; 22] = [
    "apigw-http-multi.json",
    "apigw-http.json",
    "apigw-rest-multi.json",
    "apigw-rest.json",
    "aws-dynamodb-event.json",
    "aws-kinesis-event.json",
    "aws-s3-event.json",
    "aws-sns-event.json",
    "aws-sqs-event.json",
    "direct.json",
    "dynamodb-window.json",
    "dynamodb.json",
    "eventbridge-s3.json",
    "function-url.json",
    "kinesis-window.json",
    "kinesis.json",
    "s3-put.json",
    "sns-s3.json",
    "sns.json",
    "sqs-content-type.json",
    "sqs-fifo.json",
    "sqs-s3.json",
];

/// The fixtures whose events are a `Records` batch, and their source.
const BATCHES: [(&str, Source); 15] = [
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
    ("sqs-s3.json", Source::Sqs),
    ("sqs-content-type.json", Source::Sqs),
    ("sns-s3.json", Source::Sns),
    ("kinesis-window.json", Source::Kinesis),
    ("dynamodb-window.json", Source::DynamoDb),
];

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn fixture_name() -> impl Strategy<Value = &'static str> {
    prop::sample::select(&FIXTURES[..])
}

/// A longest acceptable error message: a record's error names the problem, it does not
/// repeat a megabyte of its input.
const MAX_MESSAGE: usize = 4096;

/// Every failure has a non-empty, bounded message (an identifier is whatever the event says).
/// Only a closing tumbling window, or SQS and SNS messages that were all S3's test event, have
/// no records.
fn check_invocation(inv: &Invocation) -> Result<(), TestCaseError> {
    prop_assert!(
        !inv.records.is_empty()
            || inv.window.is_some()
            || matches!(inv.source, Source::Sqs | Source::Sns),
        "no records at all"
    );
    for record in &inv.records {
        if let Err(message) = &record.input {
            check_message(message, MAX_MESSAGE)
                .map_err(|e| TestCaseError::fail(format!("the error for {}: {e}", record.id)))?;
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

/// The records `record` comes out as in a batch of `source`: what it gives after an intact
/// record of that source (a batch is read record by record, so neighbours change nothing). One
/// SQS message or SNS delivery may give several S3 records, or none (S3's test event).
fn alone(source: Source, record: &Value) -> Vec<Record> {
    let anchor = match source {
        Source::Kinesis => "kinesis.json",
        Source::DynamoDb => "dynamodb.json",
        Source::Sqs => "sqs-fifo.json",
        Source::Sns => "sns.json",
        _ => "s3-put.json",
    };
    let anchor = fixture(anchor)["Records"][0].clone();
    let mut records = recognise(json!({"Records": [anchor, record]})).records;
    records.split_off(1)
}

/// How many records a batch of `source` gives.
fn expected_records(source: Source, records: &[Value]) -> usize {
    records.iter().map(|r| alone(source, r).len()).sum()
}
