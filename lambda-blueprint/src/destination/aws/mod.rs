//! Sinks on the AWS SDK, one for each kind of [`Destination`]: [`aws_sink`].
//!
//! Every document is its JSON text (one object, message, event, record or item per document).
//! A document larger than the service takes fails permanently and is not sent; its neighbours
//! still go. A call the service refuses as a whole (an unknown queue, a missing permission)
//! fails each of its documents, transiently, with the service's error code and message. Entries
//! a batch call throttled or could not process are sent again, at most [`ATTEMPTS`] calls in
//! all, a few hundred milliseconds apart; after that they fail transiently.
//!
//! | Kind | Call | Per call | Per document | Where a document lands |
//! |---|---|---|---|---|
//! | S3 | `PutObject`, 8 at once | 1 | any size | [`object_key`]: prefix + percent-encoded id + `.json`, `application/json` |
//! | SQS | `SendMessageBatch` | 10, 256 KiB | 256 KiB | a message; on a `.fifo` queue, in the group [`fifo_group_id`] with the deduplication id [`fifo_deduplication_id`] |
//! | SNS | `PublishBatch` | 10, 256 KiB | 256 KiB | a message; `.fifo` topics as SQS |
//! | EventBridge | `PutEvents` | 10, 256 KiB | 256 KiB | an event from [`EVENT_SOURCE`], its detail-type from [`detail_type`] |
//! | Kinesis | `PutRecords`, in order | 500, 5 MiB | 1 MiB | a record, its partition key from [`partition_key`] |
//! | DynamoDB | `BatchWriteItem` | 25 | 400 KB | an item: [`dynamodb_item`] |
//!
//! S3 objects and DynamoDB items are keyed by the document's id, so the same record's document
//! delivered again overwrites the first. The destinations' limits here are the services'
//! documented ones (SQS now takes 1 MiB messages; 256 KiB is what every queue takes).
//!
//! The SQS queue's URL is looked up once (`GetQueueUrl`, with the account from the ARN) and
//! kept. Clients for SQS, SNS, EventBridge, Kinesis and DynamoDB use the region of the ARN.

mod batch;
mod dynamodb;
mod eventbridge;
mod kinesis;
mod s3;
mod sns;
mod sqs;

use std::sync::Arc;

use aws_config::{Region, SdkConfig};
use aws_sdk_sqs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use sha2::{Digest as _, Sha256};

pub use batch::ATTEMPTS;
pub use dynamodb::dynamodb_item;
pub use eventbridge::{EVENT_SOURCE, detail_type};
pub use kinesis::partition_key;
pub use s3::object_key;

use super::{Destination, Sink};

/// A [`Sink`] writing to `destination` with clients made from `config` (credentials, retries,
/// endpoints; the region from the destination's ARN where it has one).
pub fn aws_sink(destination: &Destination, config: &SdkConfig) -> Arc<dyn Sink> {
    match destination {
        Destination::S3 { bucket, prefix } => {
            Arc::new(s3::S3Sink::new(config, bucket.clone(), prefix.clone()))
        }
        Destination::Sqs { arn } => Arc::new(sqs::SqsSink::new(config, arn)),
        Destination::Sns { arn } => Arc::new(sns::SnsSink::new(config, arn)),
        Destination::EventBridge { arn } => {
            Arc::new(eventbridge::EventBridgeSink::new(config, arn))
        }
        Destination::Kinesis { arn } => Arc::new(kinesis::KinesisSink::new(config, arn)),
        Destination::DynamoDb { arn } => Arc::new(dynamodb::DynamoDbSink::new(
            config,
            arn,
            destination.name().to_owned(),
        )),
    }
}

/// `call: code: message` from the service, or the error's chain of causes when the service
/// said nothing (a timeout, a refused connection).
pub(crate) fn service_error<E, R>(call: &str, error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{call}: {code}: {message}"),
        (Some(code), None) => format!("{call}: {code}"),
        _ => format!("{call}: {}", DisplayErrorContext(error)),
    }
}

/// The field `n` (0-based) of `arn:partition:service:region:account:resource`.
pub(crate) fn arn_field(arn: &str, n: usize) -> &str {
    arn.split(':').nth(n).unwrap_or("")
}

/// The region named in `arn`, else the configuration's.
pub(crate) fn region(arn: &str, config: &SdkConfig) -> Option<Region> {
    match arn_field(arn, 3) {
        "" => config.region().cloned(),
        region => Some(Region::new(region.to_owned())),
    }
}

/// The SHA-256 of `text`, in lowercase hex (64 characters).
pub(crate) fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// A FIFO queue's or topic's message group for a document: its id when that is a valid group id
/// (1 to 128 printable ASCII characters), else the id's SHA-256 in hex. Each record is its own
/// group, so one slow consumer never holds back the others.
pub fn fifo_group_id(id: &str) -> String {
    if (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic()) {
        id.to_owned()
    } else {
        sha256_hex(id)
    }
}

/// A FIFO queue's or topic's deduplication id for a document: the SHA-256 of its id in hex, so
/// the same record's document sent again within the service's five-minute window is dropped.
pub fn fifo_deduplication_id(id: &str) -> String {
    sha256_hex(id)
}

/// Whether a queue's or topic's ARN names a FIFO one.
pub(crate) fn is_fifo(arn: &str) -> bool {
    arn.ends_with(".fifo")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_ids_are_valid_and_stable() {
        assert_eq!(fifo_group_id("shard-1:42"), "shard-1:42");
        for id in ["", "a b", "é", &"x".repeat(129)] {
            let group = fifo_group_id(id);
            assert_eq!(group.len(), 64, "{id:?}");
            assert_eq!(group, fifo_group_id(id));
        }
        let dedup = fifo_deduplication_id("arn:aws:kinesis:us-east-1:1:stream/s/49590");
        assert_eq!(dedup.len(), 64);
        assert!(dedup.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(dedup, fifo_deduplication_id("another"));
    }

    #[test]
    fn regions_come_from_the_arn() {
        let config = SdkConfig::builder()
            .region(Region::new("eu-west-1"))
            .build();
        assert_eq!(
            region("arn:aws:sqs:us-east-2:123456789012:q", &config),
            Some(Region::new("us-east-2"))
        );
        assert_eq!(
            region("arn:aws:s3:::bucket", &config),
            Some(Region::new("eu-west-1"))
        );
        assert_eq!(
            arn_field("arn:aws:sqs:us-east-2:123456789012:q", 4),
            "123456789012"
        );
    }

    #[test]
    fn sha256_is_hex() {
        assert_eq!(
            sha256_hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
