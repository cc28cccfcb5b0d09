//! Recognising an invocation's payload by its shape, and turning it into records.
//!
//! Each record is parsed on its own, so one malformed record fails alone (with its identifier
//! and a clear message) while the rest of the batch goes on. A record has a payload (what is sent
//! without `ALGORITHMIA_INPUT_TEMPLATE`) and a view (what the template's `${/pointer}`s resolve in).
//!
//! # S3 notifications through SQS and SNS
//!
//! An SQS message whose body is an S3 notification (S3 → SQS), or an SNS envelope of one
//! (S3 → SNS → SQS without raw delivery), and an SNS delivery whose message is one
//! (S3 → SNS → Lambda), become one S3 record per notification record: the same payload and view
//! as when S3 invokes the function itself (so one template serves every path), plus `/via`
//! (`source`, `message_id`, `source_arn`, `topic_arn`) in the view, and [`RecordMeta::via`].
//! Their idempotency key is the object's (bucket, key, version id or sequencer), so one object
//! event that arrives by two paths is one record. The invocation's source stays
//! [`Source::Sqs`] or [`Source::Sns`]: on SQS every S3 record of a message has the message's id
//! (a failure of any gives the whole message back, and `batchItemFailures` may name it more than
//! once); on SNS the id is the S3 URI. The `s3:TestEvent` S3 sends when a notification is
//! configured is no work: that message gives no record, so it is deleted (SQS) or succeeds (SNS).
//! A message with a `content-type` attribute is the sender's own and is never unwrapped.
//!
//! # Tumbling windows
//!
//! A Kinesis or DynamoDB Streams invocation with `window` and `isFinalInvokeForWindow` has a
//! [`Window`]; its answer carries the incoming `state` back unchanged (`{"state": {...},
//! "batchItemFailures": [...]}`; an absent or non-object state is `{}`), including the window's
//! last invocation, which may hold no records (its source then comes from `eventSourceARN`).
//! Views add `/window` (`start`, `end`, `shard_id`, `final_invoke`, `terminated_early`);
//! payloads are as without windows.
//!
//! # HTTP requests
//!
//! The payload of API Gateway (REST v1, HTTP API v2) and Function URL requests is the body by its
//! content type, merged with the query string parameters when both are objects, as it always
//! was. When that payload is an object, or there is no body nor query, the view adds the request
//! under `/http`: `method`, `path`, `route` (v1 `resource`, v2 `routeKey`), `path_parameters`,
//! `headers` (names in lower case, repeated values joined with commas; never `Authorization`,
//! `Proxy-Authorization`, `Cookie`, `Set-Cookie`, `X-Api-Key` nor `X-Amz-Security-Token`, and
//! never v2's `cookies`), `query`, `multi_query` (every value of each parameter: v1's
//! `multiValueQueryStringParameters`; v2's comma-joined values split), `stage`, `request_id`,
//! `source_ip` and `body` (the JSON body before the query is merged in). Templates that address
//! the payload's fields (`${/name}`) work as before; a body field named `http` wins over the
//! request. A whole-view `${}` now includes `http`. A text, binary, array or scalar payload is
//! still its own view, so `${}` of a text body is the text, and its request is not reachable.
//!
//! # SQS and SNS bodies typed by a message attribute
//!
//! A `content-type` string message attribute (any case, with or without `-`/`_`:
//! `content-type`, `ContentType`, `Content-Type`) decides the body's kind: `application/json`
//! and `*+json` are parsed (a body that is not JSON fails its record), `text/*` stays text (so
//! `42` or `true` sent as text stay text), and any other type is base64 text for the bytes (a
//! body that is not base64 fails its record). Without the attribute a body is sniffed as
//! before: JSON, else text.

mod dynamodb;
mod http;
mod kinesis;
mod media;
mod meta;
mod s3;
mod sns;
mod sqs;
mod window;
mod wrapped;

use bytes::Bytes;
use serde_json::Value;

pub use dynamodb::item_to_json;
use http::HttpFlavor;
pub use meta::{RecordMeta, Via};
pub use window::Window;

/// Where an invocation came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// S3 notifications (`aws:s3`).
    S3,
    /// S3 events through EventBridge (`source: aws.s3`).
    EventBridgeS3,
    /// Kinesis Data Streams.
    Kinesis,
    /// DynamoDB Streams.
    DynamoDb,
    /// SQS (standard or FIFO).
    Sqs,
    /// SNS.
    Sns,
    /// API Gateway REST (v1).
    HttpV1,
    /// API Gateway HTTP API (v2) and Function URLs.
    HttpV2,
    /// Anything else: the event is the input.
    Direct,
}

impl Source {
    /// Whether Lambda accepts `batchItemFailures` for this source.
    pub fn reports_item_failures(self) -> bool {
        matches!(self, Source::Kinesis | Source::DynamoDb | Source::Sqs)
    }

    /// A short name for logs.
    pub fn name(self) -> &'static str {
        match self {
            Source::S3 => "s3",
            Source::EventBridgeS3 => "eventbridge-s3",
            Source::Kinesis => "kinesis",
            Source::DynamoDb => "dynamodb",
            Source::Sqs => "sqs",
            Source::Sns => "sns",
            Source::HttpV1 => "apigateway-rest",
            Source::HttpV2 => "apigateway-http",
            Source::Direct => "direct",
        }
    }
}

/// What a record sends when there is no template.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// JSON.
    Json(Value),
    /// Text.
    Text(String),
    /// Bytes.
    Binary(Bytes),
}

impl Payload {
    /// Bytes that are JSON become JSON, else UTF-8 text, else binary.
    pub fn sniff(bytes: Bytes) -> Payload {
        if let Ok(value) = serde_json::from_slice::<Value>(&bytes) {
            return Payload::Json(value);
        }
        match String::from_utf8(bytes.to_vec()) {
            Ok(text) => Payload::Text(text),
            Err(_) => Payload::Binary(bytes),
        }
    }

    /// Text that is JSON becomes JSON, else text.
    pub fn sniff_text(text: String) -> Payload {
        match serde_json::from_str::<Value>(&text) {
            Ok(value) => Payload::Json(value),
            Err(_) => Payload::Text(text),
        }
    }

    /// The payload as a JSON value, for templates and batch arrays (bytes as base64).
    pub fn to_json(&self) -> Value {
        match self {
            Payload::Json(v) => v.clone(),
            Payload::Text(s) => Value::String(s.clone()),
            Payload::Binary(b) => Value::String(crate::encoding::to_base64(b)),
        }
    }
}

/// A record's input: what templates see, and what is sent without a template.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordInput {
    /// The default input as JSON, with the record's metadata (what `${/pointer}` resolves in).
    pub view: Value,
    /// What is sent without a template.
    pub payload: Payload,
}

/// One unit of work.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The identifier Lambda wants back in `batchItemFailures` (Kinesis and DynamoDB sequence
    /// number, SQS message id), or a description for logs (an S3 URI, an SNS message id).
    pub id: String,
    /// Records of one group are sent in order (Kinesis partition key, DynamoDB item key, SQS
    /// FIFO message group).
    pub group: Option<String>,
    /// The input, or why the record could not be read.
    pub input: Result<RecordInput, String>,
    /// Where it came from and how to recognise it when it comes again.
    pub meta: RecordMeta,
}

/// A recognised invocation.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// Where it came from.
    pub source: Source,
    /// Its records (one for HTTP, EventBridge and direct invocations; none when a tumbling
    /// window closes, or when every SQS or SNS message was S3's test event).
    pub records: Vec<Record>,
    /// The records as they arrived (the event itself for HTTP, EventBridge and direct
    /// invocations), which [`RecordMeta::raw_index`] points into.
    pub raw: Vec<Value>,
    /// The tumbling window of a Kinesis or DynamoDB Streams invocation, whose `state` the answer
    /// must carry.
    pub window: Option<Window>,
}

/// A string field of a JSON object, for identifying malformed records.
pub(crate) fn str_at<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    at(value, pointer).and_then(Value::as_str)
}

/// The value at `pointer`, a path of object keys (`/kinesis/data`), as [`Value::pointer`] finds
/// it. Unlike `Value::pointer` it takes neither `~` escapes nor array indices, and so copies no
/// key: every record's fields are read this way, and `Value::pointer`'s unescaping was 10% of
/// the CPU the blueprint's own code spent on a 1,000-record Echo batch.
pub(crate) fn at<'a>(value: &'a Value, pointer: &str) -> Option<&'a Value> {
    debug_assert!(
        pointer.starts_with('/') && !pointer.contains('~'),
        "{pointer}"
    );
    pointer
        .split('/')
        .skip(1)
        .try_fold(value, |value, key| value.as_object()?.get(key))
}

/// Deserialize one record, with the failing field's path in the error.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(
    value: &Value,
    what: &str,
) -> Result<T, String> {
    // serde reads an array (or null, for some types) as a struct of defaults.
    if !value.is_object() {
        return Err(format!(
            "malformed {what} record: expected an object, found {}",
            clip(value.to_string())
        ));
    }
    // The path is only needed in an error, so a record is read again to find it: tracking it
    // on every read was a quarter of the blueprint's own CPU on a 1,000-record Echo batch.
    T::deserialize(value).or_else(|_| {
        serde_path_to_error::deserialize(value)
            .map_err(|e| clip(format!("malformed {what} record: {e}")))
    })
}

/// A message that quotes a long value (serde's errors quote the string they reject) keeps its
/// beginning and end.
pub(crate) fn clip(message: String) -> String {
    const HEAD: usize = 400;
    const TAIL: usize = 200;
    if message.len() <= HEAD + TAIL + 100 {
        return message;
    }
    let head = (0..=HEAD)
        .rev()
        .find(|&i| message.is_char_boundary(i))
        .unwrap_or(0);
    let tail = (message.len() - TAIL..message.len())
        .find(|&i| message.is_char_boundary(i))
        .unwrap_or(message.len());
    format!(
        "{} [… {} bytes …] {}",
        &message[..head],
        tail - head,
        &message[tail..]
    )
}

/// The records of a `Records` batch from `source`, each read on its own (an SQS message or an
/// SNS delivery may hold several S3 records, or none).
fn read_records(source: Source, records: &[Value]) -> Vec<Record> {
    let one_each = |f: fn(usize, &Value) -> Record| {
        records
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut record = f(i, r);
                record.meta = meta::of(source, r);
                record.meta.raw_index = Some(i);
                record
            })
            .collect::<Vec<_>>()
    };
    let each = |f: fn(usize, &Value) -> Vec<Record>| {
        records
            .iter()
            .enumerate()
            .flat_map(|(i, r)| {
                f(i, r).into_iter().map(move |mut record| {
                    record.meta.raw_index = Some(i);
                    record
                })
            })
            .collect::<Vec<_>>()
    };
    match source {
        Source::S3 => one_each(s3::record),
        Source::Kinesis => one_each(kinesis::record),
        Source::DynamoDb => one_each(dynamodb::record),
        Source::Sqs => each(sqs::records),
        Source::Sns => each(sns::records),
        // Not a batch source: never asked for.
        Source::EventBridgeS3 | Source::HttpV1 | Source::HttpV2 | Source::Direct => Vec::new(),
    }
}

/// Recognise the payload's source by its shape and read its records.
pub fn recognise(mut event: Value) -> Invocation {
    if let Some(records) = event.get("Records").and_then(Value::as_array) {
        // The first record that names a known source: a malformed first record fails alone
        // rather than turning the batch into one direct invocation.
        let named = records.iter().find_map(|r| {
            match str_at(r, "/eventSource").or_else(|| str_at(r, "/EventSource"))? {
                "aws:s3" => Some(Source::S3),
                "aws:kinesis" => Some(Source::Kinesis),
                "aws:dynamodb" => Some(Source::DynamoDb),
                "aws:sqs" => Some(Source::Sqs),
                "aws:sns" => Some(Source::Sns),
                _ => None,
            }
        });
        let window = Window::of(&event);
        // A window invocation's records may not say their source (when a window closes there
        // are none): its ARN does.
        let source = named.or_else(|| window.as_ref().map(|_| Window::source_of(&event)));
        if let Some(source) = source {
            let mut records = read_records(source, records);
            let window = window.filter(|_| matches!(source, Source::Kinesis | Source::DynamoDb));
            if let Some(window) = &window {
                for record in &mut records {
                    if let Ok(input) = &mut record.input
                        && let Some(view) = input.view.as_object_mut()
                    {
                        view.insert("window".into(), window.view());
                    }
                }
            }
            let raw = match event.get_mut("Records").map(Value::take) {
                Some(Value::Array(raw)) => raw,
                _ => Vec::new(),
            };
            return Invocation {
                source,
                records,
                window,
                raw,
            };
        }
    }
    if str_at(&event, "/source") == Some("aws.s3") && event.get("detail").is_some() {
        let mut record = s3::eventbridge_record(&event);
        record.meta = meta::of_eventbridge_s3(&event);
        record.meta.raw_index = Some(0);
        return Invocation {
            source: Source::EventBridgeS3,
            records: vec![record],
            window: None,
            raw: vec![event],
        };
    }
    if let Some(flavor) = http::flavor(&event) {
        return Invocation {
            source: match flavor {
                HttpFlavor::V1 => Source::HttpV1,
                HttpFlavor::V2 => Source::HttpV2,
            },
            records: vec![http::record(&event, flavor)],
            window: None,
            raw: vec![event],
        };
    }
    Invocation {
        source: Source::Direct,
        records: vec![Record {
            id: "event".into(),
            group: None,
            input: Ok(RecordInput {
                payload: Payload::Json(event.clone()),
                view: event,
            }),
            meta: RecordMeta::default(),
        }],
        window: None,
        // The event is the record's input (its view), not kept twice.
        raw: Vec::new(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A fixture from `tests/fixtures`.
    pub(crate) fn fixture(name: &str) -> Value {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn sources_are_recognised_by_shape() {
        for (name, source) in [
            ("s3-put.json", Source::S3),
            ("eventbridge-s3.json", Source::EventBridgeS3),
            ("kinesis.json", Source::Kinesis),
            ("dynamodb.json", Source::DynamoDb),
            ("sqs-fifo.json", Source::Sqs),
            ("sns.json", Source::Sns),
            ("apigw-rest.json", Source::HttpV1),
            ("apigw-http.json", Source::HttpV2),
            ("function-url.json", Source::HttpV2),
            ("direct.json", Source::Direct),
        ] {
            assert_eq!(recognise(fixture(name)).source, source, "{name}");
        }
        // Anything else, even odd JSON, is a direct invocation.
        for odd in [
            serde_json::json!("just a string"),
            serde_json::json!([1, 2]),
            serde_json::json!({"Records": "no"}),
        ] {
            let inv = recognise(odd.clone());
            assert_eq!(inv.source, Source::Direct);
            assert_eq!(
                inv.records[0].input.as_ref().unwrap().payload,
                Payload::Json(odd)
            );
        }
    }

    #[test]
    fn at_finds_what_value_pointer_finds_along_object_keys() {
        let event = serde_json::json!({
            "kinesis": {"data": "aGk=", "partitionKey": "k", "n": null, "list": [{"a": 1}]},
            "a/b": 1,
            "": {"": 2},
        });
        for pointer in [
            "/kinesis",
            "/kinesis/data",
            "/kinesis/partitionKey",
            "/kinesis/n",
            "/kinesis/missing",
            "/kinesis/data/deeper",
            "/missing/data",
            "/kinesis/list",
            "/",
            "//",
        ] {
            assert_eq!(at(&event, pointer), event.pointer(pointer), "{pointer}");
        }
        // Through an array it goes nowhere (no pointer the blueprint reads crosses one).
        assert_eq!(at(&event, "/kinesis/list/0/a"), None);
        assert_eq!(str_at(&event, "/kinesis/data"), Some("aGk="));
        assert_eq!(str_at(&event, "/kinesis/n"), None);
        assert_eq!(str_at(&serde_json::json!("text"), "/kinesis"), None);
    }

    #[test]
    fn payload_sniffing() {
        assert_eq!(
            Payload::sniff(Bytes::from_static(b"{\"a\":1}")),
            Payload::Json(serde_json::json!({"a": 1}))
        );
        assert_eq!(
            Payload::sniff(Bytes::from_static(b"plain")),
            Payload::Text("plain".into())
        );
        assert_eq!(
            Payload::sniff(Bytes::from_static(&[0xff, 0x00])),
            Payload::Binary(Bytes::from_static(&[0xff, 0x00]))
        );
        assert_eq!(Payload::Binary(Bytes::from_static(b"hi")).to_json(), "aGk=");
    }
}
