//! SNS: `PublishBatch` to the topic's ARN.

use aws_config::SdkConfig;
use aws_sdk_sns::types::PublishBatchRequestEntry;
use futures_util::future::BoxFuture;

use super::batch::{
    EntryOutcome, Limits, json_text, outcomes_by_position, refused, send_in_batches, within_limits,
};
use super::{fifo_deduplication_id, fifo_group_id, is_fifo, region, service_error};
use crate::destination::{DeliveryError, Document, Sink};

const LIMITS: Limits = Limits {
    call: "SNS PublishBatch",
    entries: 10,
    entry_bytes: 256 * 1024,
    call_bytes: 256 * 1024,
    concurrency: 4,
};

/// Messages on an SNS topic (FIFO included).
pub(crate) struct SnsSink {
    client: aws_sdk_sns::Client,
    arn: String,
}

impl SnsSink {
    pub(crate) fn new(config: &SdkConfig, arn: &str) -> SnsSink {
        let mut builder = aws_sdk_sns::config::Builder::from(config);
        builder.set_region(region(arn, config));
        SnsSink {
            client: aws_sdk_sns::Client::from_conf(builder.build()),
            arn: arn.to_owned(),
        }
    }

    async fn send(
        &self,
        documents: &[Document],
        texts: &[String],
        batch: Vec<usize>,
    ) -> Result<Vec<EntryOutcome>, String> {
        let fifo = is_fifo(&self.arn);
        let entries = batch
            .iter()
            .enumerate()
            .map(|(position, &i)| {
                let id = &documents[i].id;
                PublishBatchRequestEntry::builder()
                    .id(position.to_string())
                    .message(&texts[i])
                    .set_message_group_id(fifo.then(|| fifo_group_id(id)))
                    .set_message_deduplication_id(fifo.then(|| fifo_deduplication_id(id)))
                    .build()
                    .map_err(|e| format!("{}: {e}", LIMITS.call))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let out = self
            .client
            .publish_batch()
            .topic_arn(&self.arn)
            .set_publish_batch_request_entries(Some(entries))
            .send()
            .await
            .map_err(|e| service_error(LIMITS.call, &e))?;
        Ok(outcomes_by_position(
            batch.len(),
            out.successful().iter().filter_map(|entry| entry.id()),
            out.failed().iter().map(|entry| {
                let outcome = refused(
                    LIMITS.call,
                    entry.code(),
                    entry.message(),
                    !entry.sender_fault(),
                );
                (entry.id(), outcome)
            }),
        ))
    }
}

impl Sink for SnsSink {
    fn deliver<'a>(
        &'a self,
        documents: &'a [Document],
    ) -> BoxFuture<'a, Vec<Result<(), DeliveryError>>> {
        Box::pin(async move {
            let texts: Vec<String> = documents.iter().map(|d| json_text(&d.body)).collect();
            let mut results = vec![Ok(()); documents.len()];
            let sizes = within_limits(texts.iter().map(String::len), &LIMITS, &mut results);
            send_in_batches(&mut results, &sizes, &LIMITS, |batch| {
                self.send(documents, &texts, batch)
            })
            .await;
            results
        })
    }

    fn describe(&self) -> String {
        self.arn.clone()
    }
}
