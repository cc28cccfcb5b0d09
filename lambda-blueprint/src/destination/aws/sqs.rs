//! SQS: `SendMessageBatch`, to the URL `GetQueueUrl` gives for the queue's ARN.

use aws_config::SdkConfig;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use futures_util::future::BoxFuture;
use tokio::sync::OnceCell;

use super::batch::{
    EntryOutcome, Limits, fail_all, json_text, outcomes_by_position, refused, send_in_batches,
    within_limits,
};
use super::{arn_field, fifo_deduplication_id, fifo_group_id, is_fifo, region, service_error};
use crate::destination::{DeliveryError, Document, Sink};

const LIMITS: Limits = Limits {
    call: "SQS SendMessageBatch",
    entries: 10,
    entry_bytes: 256 * 1024,
    call_bytes: 256 * 1024,
    concurrency: 4,
};

/// Messages on an SQS queue (FIFO included).
pub(crate) struct SqsSink {
    client: aws_sdk_sqs::Client,
    arn: String,
    /// Found once, on the first delivery that needs it.
    url: OnceCell<String>,
}

impl SqsSink {
    pub(crate) fn new(config: &SdkConfig, arn: &str) -> SqsSink {
        let mut builder = aws_sdk_sqs::config::Builder::from(config);
        builder.set_region(region(arn, config));
        SqsSink {
            client: aws_sdk_sqs::Client::from_conf(builder.build()),
            arn: arn.to_owned(),
            url: OnceCell::new(),
        }
    }

    async fn queue_url(&self) -> Result<&str, String> {
        let url = self
            .url
            .get_or_try_init(|| async {
                let account = arn_field(&self.arn, 4);
                let out = self
                    .client
                    .get_queue_url()
                    .queue_name(arn_field(&self.arn, 5))
                    .set_queue_owner_aws_account_id((!account.is_empty()).then(|| account.into()))
                    .send()
                    .await
                    .map_err(|e| service_error("SQS GetQueueUrl", &e))?;
                out.queue_url()
                    .map(str::to_owned)
                    .ok_or_else(|| "SQS GetQueueUrl: the answer has no QueueUrl".to_owned())
            })
            .await?;
        Ok(url)
    }

    async fn send(
        &self,
        url: &str,
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
                SendMessageBatchRequestEntry::builder()
                    .id(position.to_string())
                    .message_body(&texts[i])
                    .set_message_group_id(fifo.then(|| fifo_group_id(id)))
                    .set_message_deduplication_id(fifo.then(|| fifo_deduplication_id(id)))
                    .build()
                    .map_err(|e| format!("{}: {e}", LIMITS.call))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let out = self
            .client
            .send_message_batch()
            .queue_url(url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| service_error(LIMITS.call, &e))?;
        Ok(outcomes_by_position(
            batch.len(),
            out.successful().iter().map(|entry| entry.id()),
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

impl Sink for SqsSink {
    fn deliver<'a>(
        &'a self,
        documents: &'a [Document],
    ) -> BoxFuture<'a, Vec<Result<(), DeliveryError>>> {
        Box::pin(async move {
            let texts: Vec<String> = documents.iter().map(|d| json_text(&d.body)).collect();
            let mut results = vec![Ok(()); documents.len()];
            let sizes = within_limits(texts.iter().map(String::len), &LIMITS, &mut results);
            if sizes.is_empty() {
                return results;
            }
            match self.queue_url().await {
                Ok(url) => {
                    send_in_batches(&mut results, &sizes, &LIMITS, |batch| {
                        self.send(url, documents, &texts, batch)
                    })
                    .await;
                }
                Err(message) => fail_all(&mut results, &sizes, &message),
            }
            results
        })
    }

    fn describe(&self) -> String {
        self.arn.clone()
    }
}
