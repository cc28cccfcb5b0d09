//! Where results and permanent failures go: an S3 bucket (with an optional key prefix), an SQS
//! queue, an SNS topic, an EventBridge bus, a Kinesis stream or a DynamoDB table, named by ARN.
//!
//! A [`Sink`] takes a list of [`Document`]s and says, for each, whether it was written, so a
//! record whose document was refused fails alone (transiently: Lambda gives it back).

pub mod aws;

use std::fmt;
use std::str::FromStr;

use futures_util::future::BoxFuture;
use serde_json::Value;

/// A destination, parsed from its ARN.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Destination {
    /// `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/prefix/`: one object per document.
    S3 {
        /// The bucket.
        bucket: String,
        /// The key prefix (empty, or as given after the bucket name).
        prefix: String,
    },
    /// `arn:aws:sqs:region:account:queue`.
    Sqs {
        /// The queue's ARN.
        arn: String,
    },
    /// `arn:aws:sns:region:account:topic`.
    Sns {
        /// The topic's ARN.
        arn: String,
    },
    /// `arn:aws:events:region:account:event-bus/name`.
    EventBridge {
        /// The bus's ARN.
        arn: String,
    },
    /// `arn:aws:kinesis:region:account:stream/name`.
    Kinesis {
        /// The stream's ARN.
        arn: String,
    },
    /// `arn:aws:dynamodb:region:account:table/name`.
    DynamoDb {
        /// The table's ARN.
        arn: String,
    },
}

/// The fields of an ARN: `arn:partition:service:region:account:resource`.
struct Arn<'a> {
    service: &'a str,
    region: &'a str,
    account: &'a str,
    resource: &'a str,
}

fn split_arn(text: &str) -> Result<Arn<'_>, String> {
    let mut parts = text.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(service), Some(region), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(format!(
            "{text:?} is not an ARN (arn:partition:service:region:account:resource)"
        ));
    };
    if partition.is_empty() || resource.is_empty() {
        return Err(format!(
            "{text:?} is not an ARN: its partition or resource is empty"
        ));
    }
    Ok(Arn {
        service,
        region,
        account,
        resource,
    })
}

impl FromStr for Destination {
    type Err = String;

    fn from_str(text: &str) -> Result<Destination, String> {
        let text = text.trim();
        let arn = split_arn(text)?;
        let regional = |what: &str| -> Result<(), String> {
            if arn.region.is_empty() || arn.account.is_empty() {
                Err(format!(
                    "{text:?}: a {what} ARN names its region and account"
                ))
            } else {
                Ok(())
            }
        };
        let named = |prefix: &str, what: &str| -> Result<(), String> {
            match arn.resource.strip_prefix(prefix) {
                Some(name) if !name.is_empty() && !name.contains('/') => Ok(()),
                _ => Err(format!("{text:?}: a {what} ARN ends in {prefix}NAME")),
            }
        };
        match arn.service {
            "s3" => {
                let (bucket, prefix) = match arn.resource.split_once('/') {
                    Some((bucket, prefix)) => (bucket, prefix),
                    None => (arn.resource, ""),
                };
                if bucket.is_empty() || bucket.contains(['*', '?']) {
                    return Err(format!("{text:?}: an S3 ARN names one bucket"));
                }
                Ok(Destination::S3 {
                    bucket: bucket.to_owned(),
                    prefix: prefix.to_owned(),
                })
            }
            "sqs" => {
                regional("queue")?;
                if arn.resource.contains('/') {
                    return Err(format!("{text:?}: a queue ARN ends in the queue's name"));
                }
                Ok(Destination::Sqs { arn: text.into() })
            }
            "sns" => {
                regional("topic")?;
                if arn.resource.contains([':', '/']) {
                    return Err(format!(
                        "{text:?}: a topic ARN ends in the topic's name (not a subscription's)"
                    ));
                }
                Ok(Destination::Sns { arn: text.into() })
            }
            "events" => {
                regional("event bus")?;
                named("event-bus/", "event bus")?;
                Ok(Destination::EventBridge { arn: text.into() })
            }
            "kinesis" => {
                regional("stream")?;
                named("stream/", "Kinesis stream")?;
                Ok(Destination::Kinesis { arn: text.into() })
            }
            "dynamodb" => {
                regional("table")?;
                named("table/", "DynamoDB table")?;
                Ok(Destination::DynamoDb { arn: text.into() })
            }
            other => Err(format!(
                "{text:?}: {other:?} is not a destination service (s3, sqs, sns, events, kinesis or dynamodb)"
            )),
        }
    }
}

impl Destination {
    /// The kind, for logs and metrics: `s3`, `sqs`, `sns`, `eventbridge`, `kinesis`, `dynamodb`.
    pub fn kind(&self) -> &'static str {
        match self {
            Destination::S3 { .. } => "s3",
            Destination::Sqs { .. } => "sqs",
            Destination::Sns { .. } => "sns",
            Destination::EventBridge { .. } => "eventbridge",
            Destination::Kinesis { .. } => "kinesis",
            Destination::DynamoDb { .. } => "dynamodb",
        }
    }

    /// The name after the last `/` or `:` of the ARN (a queue's, topic's, bus's, stream's or
    /// table's name; the bucket for S3).
    pub fn name(&self) -> &str {
        match self {
            Destination::S3 { bucket, .. } => bucket,
            Destination::Sqs { arn }
            | Destination::Sns { arn }
            | Destination::EventBridge { arn }
            | Destination::Kinesis { arn }
            | Destination::DynamoDb { arn } => arn.rsplit(['/', ':']).next().unwrap_or(arn),
        }
    }
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Destination::S3 { bucket, prefix } if prefix.is_empty() => {
                write!(f, "arn:aws:s3:::{bucket}")
            }
            Destination::S3 { bucket, prefix } => write!(f, "arn:aws:s3:::{bucket}/{prefix}"),
            Destination::Sqs { arn }
            | Destination::Sns { arn }
            | Destination::EventBridge { arn }
            | Destination::Kinesis { arn }
            | Destination::DynamoDb { arn } => f.write_str(arn),
        }
    }
}

/// One JSON document to deliver, for one record.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The record's id: a Kinesis partition key, an S3 object's name, a DynamoDB item's key
    /// are made from it, so the same record's document lands in the same place when delivered
    /// again.
    pub id: String,
    /// The document.
    pub body: Value,
}

/// Why a document was not delivered: the service's error, named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DeliveryError {
    /// What the service answered (its error code and message), or why the document was not
    /// sent (too large for the service).
    pub message: String,
    /// The document can never be delivered there as it is (larger than the service takes).
    pub permanent: bool,
}

/// Writes documents somewhere.
pub trait Sink: Send + Sync {
    /// Deliver `documents`, batched where the service allows; one result per document, in
    /// order.
    fn deliver<'a>(
        &'a self,
        documents: &'a [Document],
    ) -> BoxFuture<'a, Vec<Result<(), DeliveryError>>>;

    /// The destination, for logs.
    fn describe(&self) -> String;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_arn_is_read() {
        let cases = [
            ("arn:aws:s3:::results", "s3", "results"),
            ("arn:aws:s3:::results/out/", "s3", "results"),
            ("arn:aws:sqs:us-east-1:123456789012:done", "sqs", "done"),
            ("arn:aws:sns:us-east-1:123456789012:done", "sns", "done"),
            (
                "arn:aws:events:us-east-1:123456789012:event-bus/default",
                "eventbridge",
                "default",
            ),
            (
                "arn:aws:kinesis:us-east-1:123456789012:stream/out",
                "kinesis",
                "out",
            ),
            (
                "arn:aws:dynamodb:us-east-1:123456789012:table/results",
                "dynamodb",
                "results",
            ),
        ];
        for (arn, kind, name) in cases {
            let d: Destination = arn.parse().unwrap();
            assert_eq!((d.kind(), d.name()), (kind, name), "{arn}");
            assert_eq!(d.to_string(), arn);
        }
        let with_prefix: Destination = "arn:aws:s3:::results/out/".parse().unwrap();
        assert_eq!(
            with_prefix,
            Destination::S3 {
                bucket: "results".into(),
                prefix: "out/".into()
            }
        );
    }

    #[test]
    fn bad_arns_say_what_is_wrong() {
        for bad in [
            "",
            "results",
            "arn:aws:s3",
            "arn:aws:lambda:us-east-1:123456789012:function:f",
            "arn:aws:sqs:::done",
            "arn:aws:sns:us-east-1:123456789012:topic:subscription-id",
            "arn:aws:kinesis:us-east-1:123456789012:out",
            "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2024",
            "arn:aws:events:us-east-1:123456789012:rule/r",
            "arn:aws:s3:::*",
        ] {
            let err = bad.parse::<Destination>().unwrap_err();
            assert!(err.contains(bad) || bad.is_empty(), "{bad}: {err}");
        }
    }
}
