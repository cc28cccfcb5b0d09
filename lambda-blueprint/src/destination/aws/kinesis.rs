//! Kinesis: `PutRecords` to the stream's ARN, one call at a time so records keep their order.

use aws_config::SdkConfig;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use futures_util::future::BoxFuture;

use super::batch::{
    EntryOutcome, Limits, json_text, ordered_outcomes, send_in_batches, within_limits,
};
use super::{region, service_error, sha256_hex};
use crate::destination::{DeliveryError, Document, Sink};

const LIMITS: Limits = Limits {
    call: "Kinesis PutRecords",
    entries: 500,
    entry_bytes: 1024 * 1024,
    call_bytes: 5 * 1024 * 1024,
    concurrency: 1,
};

/// Error codes of a record that may be taken when sent again.
const RETRYABLE: [&str; 2] = ["ProvisionedThroughputExceededException", "InternalFailure"];

/// A record's partition key for a document: its id when that has 1 to 256 characters (as
/// Kinesis requires), else the id's SHA-256 in hex. Long ids share long prefixes (a stream
/// ARN), so cutting them short would put every record on one shard.
///
/// ```
/// use lambda_blueprint::destination::aws::partition_key;
///
/// assert_eq!(partition_key("order-42"), "order-42");
/// assert_eq!(partition_key(&"é".repeat(300)).len(), 64);
/// ```
pub fn partition_key(id: &str) -> String {
    if (1..=256).contains(&id.chars().count()) {
        id.to_owned()
    } else {
        sha256_hex(id)
    }
}

/// Records on a Kinesis data stream.
pub(crate) struct KinesisSink {
    client: aws_sdk_kinesis::Client,
    arn: String,
}

impl KinesisSink {
    pub(crate) fn new(config: &SdkConfig, arn: &str) -> KinesisSink {
        let mut builder = aws_sdk_kinesis::config::Builder::from(config);
        builder.set_region(region(arn, config));
        KinesisSink {
            client: aws_sdk_kinesis::Client::from_conf(builder.build()),
            arn: arn.to_owned(),
        }
    }

    async fn send(
        &self,
        keys: &[String],
        texts: &[String],
        batch: Vec<usize>,
    ) -> Result<Vec<EntryOutcome>, String> {
        let records = batch
            .iter()
            .map(|&i| {
                PutRecordsRequestEntry::builder()
                    .data(Blob::new(texts[i].as_bytes()))
                    .partition_key(&keys[i])
                    .build()
                    .map_err(|e| format!("{}: {e}", LIMITS.call))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let out = self
            .client
            .put_records()
            .stream_arn(&self.arn)
            .set_records(Some(records))
            .send()
            .await
            .map_err(|e| service_error(LIMITS.call, &e))?;
        // The answer lists the records in the order they were sent.
        Ok(ordered_outcomes(
            LIMITS.call,
            out.records()
                .iter()
                .map(|r| (r.error_code(), r.error_message())),
            &RETRYABLE,
        ))
    }
}

impl Sink for KinesisSink {
    fn deliver<'a>(
        &'a self,
        documents: &'a [Document],
    ) -> BoxFuture<'a, Vec<Result<(), DeliveryError>>> {
        Box::pin(async move {
            let texts: Vec<String> = documents.iter().map(|d| json_text(&d.body)).collect();
            let keys: Vec<String> = documents.iter().map(|d| partition_key(&d.id)).collect();
            let mut results = vec![Ok(()); documents.len()];
            // Kinesis counts a record as its data and its partition key.
            let sizes = within_limits(
                texts
                    .iter()
                    .zip(&keys)
                    .map(|(text, key)| text.len() + key.len()),
                &LIMITS,
                &mut results,
            );
            send_in_batches(&mut results, &sizes, &LIMITS, |batch| {
                self.send(&keys, &texts, batch)
            })
            .await;
            results
        })
    }

    fn describe(&self) -> String {
        self.arn.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_keys_are_bounded_and_stable() {
        let long = format!("arn:aws:kinesis:us-east-1:1:stream/in/{}", "9".repeat(300));
        assert_eq!(partition_key(&long), partition_key(&long));
        assert_ne!(partition_key(&long), partition_key(&format!("{long}0")));
        assert_eq!(partition_key(&long).len(), 64);
        let exactly = "ü".repeat(256);
        assert_eq!(partition_key(&exactly), exactly);
        assert_eq!(partition_key("").len(), 64);
    }
}
