//! What a record says about where it came from: the source ARN, the S3 object, and the stable key
//! that recognises the record when it is delivered again.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::s3::decode_key;
use super::{Source, str_at};

/// Keys longer than this are replaced by their SHA-256 digest (DynamoDB allows 2,048 bytes in a
/// partition key).
const MAX_KEY_LEN: usize = 1024;

/// Where a record came from, and how to recognise it again.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordMeta {
    /// A key that stays the same when the record is delivered again (Kinesis: stream ARN and
    /// sequence number; DynamoDB Streams: eventID; SQS: messageId; SNS: MessageId; S3: bucket,
    /// key and version id or sequencer). None when the record lacks what makes one.
    pub idempotency_key: Option<String>,
    /// The ARN of the stream, table, queue, topic or bucket.
    pub source_arn: Option<String>,
    /// For S3: `{"bucket", "key", "version_id", "sequencer"}` of the object.
    pub object: Option<Value>,
    /// The index of the record as it arrived in [`Invocation::raw`](super::Invocation::raw).
    pub raw_index: Option<usize>,
    /// The message the record was unwrapped from: an S3 notification that arrived in an SQS
    /// message (S3 → SQS, S3 → SNS → SQS) or an SNS notification (S3 → SNS → Lambda). Such a
    /// record is an S3 record (`object`, `source_arn` and `idempotency_key` are the object's and
    /// its bucket's, the same as when S3 invokes the function itself), delivered by the
    /// invocation's source. None for a record that is its invocation's own kind.
    pub via: Option<Via>,
}

/// The SQS or SNS message an S3 record arrived in.
#[derive(Debug, Clone, PartialEq)]
pub struct Via {
    /// The service that delivered it: [`Source::Sqs`] or [`Source::Sns`] (the invocation's
    /// source).
    pub source: Source,
    /// The message's id: the SQS `messageId` (what `batchItemFailures` names, shared by every
    /// S3 record of the message) or the SNS `MessageId`.
    pub message_id: String,
    /// The queue's or the topic's ARN.
    pub source_arn: Option<String>,
    /// The SNS topic in between, for S3 → SNS → SQS without raw message delivery.
    pub topic_arn: Option<String>,
}

impl Via {
    /// What templates see of it, under `/via` in the record's view.
    pub(crate) fn view(&self) -> Value {
        json!({
            "source": self.source.name(),
            "message_id": self.message_id,
            "source_arn": self.source_arn,
            "topic_arn": self.topic_arn,
        })
    }
}

/// A key, or its digest when too long.
fn bounded(key: String) -> String {
    if key.len() <= MAX_KEY_LEN {
        return key;
    }
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The S3 part: key and source of an object event.
fn s3_meta(
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
    sequencer: Option<&str>,
) -> RecordMeta {
    let tag = version_id
        .filter(|v| !v.is_empty() && *v != "null")
        .or(sequencer);
    RecordMeta {
        idempotency_key: tag.map(|tag| bounded(format!("s3:{bucket}/{key}:{tag}"))),
        source_arn: Some(format!("arn:aws:s3:::{bucket}")),
        object: Some(json!({
            "bucket": bucket,
            "key": key,
            "version_id": version_id,
            "sequencer": sequencer,
        })),
        raw_index: None,
        via: None,
    }
}

/// The meta of an S3 notification's record (`Records[]` of `aws:s3`), wherever it arrived.
pub(crate) fn of_s3(raw: &Value) -> RecordMeta {
    let bucket = str_at(raw, "/s3/bucket/name");
    let key = str_at(raw, "/s3/object/key").and_then(|k| decode_key(k).ok());
    match (bucket, key) {
        (Some(bucket), Some(key)) => s3_meta(
            bucket,
            &key,
            str_at(raw, "/s3/object/versionId"),
            str_at(raw, "/s3/object/sequencer"),
        ),
        _ => RecordMeta::default(),
    }
}

/// The meta of one record of a `Records` batch of `source` (the batch's: a record is read as
/// its batch's kind, whatever its own `eventSource` says).
pub(crate) fn of(source: Source, raw: &Value) -> RecordMeta {
    let arn = str_at(raw, "/eventSourceARN").map(str::to_owned);
    match source {
        Source::Kinesis => RecordMeta {
            idempotency_key: str_at(raw, "/kinesis/sequenceNumber").map(|seq| {
                bounded(format!(
                    "kinesis:{}:{seq}",
                    arn.as_deref().unwrap_or("unknown-stream")
                ))
            }),
            source_arn: arn,
            object: None,
            raw_index: None,
            via: None,
        },
        Source::DynamoDb => RecordMeta {
            idempotency_key: str_at(raw, "/eventID").map(|id| bounded(format!("dynamodb:{id}"))),
            source_arn: arn,
            object: None,
            raw_index: None,
            via: None,
        },
        Source::Sqs => RecordMeta {
            idempotency_key: str_at(raw, "/messageId").map(|id| bounded(format!("sqs:{id}"))),
            source_arn: arn,
            object: None,
            raw_index: None,
            via: None,
        },
        Source::Sns => RecordMeta {
            idempotency_key: str_at(raw, "/Sns/MessageId").map(|id| bounded(format!("sns:{id}"))),
            source_arn: str_at(raw, "/Sns/TopicArn").map(str::to_owned),
            object: None,
            raw_index: None,
            via: None,
        },
        Source::S3 => of_s3(raw),
        Source::EventBridgeS3 | Source::HttpV1 | Source::HttpV2 | Source::Direct => {
            RecordMeta::default()
        }
    }
}

/// The meta of an S3 event delivered by EventBridge (keys arrive decoded).
pub(crate) fn of_eventbridge_s3(event: &Value) -> RecordMeta {
    match (
        str_at(event, "/detail/bucket/name"),
        str_at(event, "/detail/object/key"),
    ) {
        (Some(bucket), Some(key)) => s3_meta(
            bucket,
            key,
            str_at(event, "/detail/object/version-id"),
            str_at(event, "/detail/object/sequencer"),
        ),
        _ => RecordMeta::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{recognise, tests::fixture};

    #[test]
    fn every_record_source_has_a_stable_key_and_its_arn() {
        for name in [
            "kinesis.json",
            "dynamodb.json",
            "sqs-fifo.json",
            "sns.json",
            "s3-put.json",
            "eventbridge-s3.json",
        ] {
            let first = recognise(fixture(name));
            let again = recognise(fixture(name));
            for (a, b) in first.records.iter().zip(&again.records) {
                let key = a.meta.idempotency_key.as_deref();
                assert!(key.is_some(), "{name}: {:?}", a.meta);
                assert_eq!(key, b.meta.idempotency_key.as_deref(), "{name}");
                assert!(a.meta.source_arn.is_some(), "{name}: {:?}", a.meta);
            }
            let keys: std::collections::HashSet<_> = first
                .records
                .iter()
                .map(|r| r.meta.idempotency_key.clone())
                .collect();
            assert_eq!(keys.len(), first.records.len(), "{name}: keys repeat");
        }
        let s3 = recognise(fixture("s3-put.json"));
        let object = s3.records[0].meta.object.as_ref().unwrap();
        assert!(object["bucket"].is_string() && object["key"].is_string());
        assert!(
            recognise(fixture("direct.json")).records[0]
                .meta
                .idempotency_key
                .is_none()
        );
    }

    #[test]
    fn a_long_key_becomes_its_digest() {
        let long = bounded("k".repeat(5000));
        assert!(
            long.starts_with("sha256:") && long.len() == 7 + 64,
            "{long}"
        );
        assert_eq!(long, bounded("k".repeat(5000)));
        assert_eq!(bounded("short".into()), "short");
    }
}
