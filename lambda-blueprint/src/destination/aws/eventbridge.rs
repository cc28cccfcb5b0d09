//! EventBridge: `PutEvents` on the bus named by ARN.

use aws_config::SdkConfig;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use futures_util::future::BoxFuture;
use serde_json::{Value, json};

use super::batch::{
    EntryOutcome, Limits, json_text, ordered_outcomes, send_in_batches, within_limits,
};
use super::{region, service_error};
use crate::destination::{DeliveryError, Document, Sink};

/// The `source` of every event the blueprint puts on a bus (for rules to match on).
pub const EVENT_SOURCE: &str = "algorithmia.blueprint";

const LIMITS: Limits = Limits {
    call: "EventBridge PutEvents",
    entries: 10,
    entry_bytes: 256 * 1024,
    call_bytes: 256 * 1024,
    concurrency: 4,
};

/// Error codes of an entry that may be taken when sent again.
const RETRYABLE: [&str; 3] = [
    "ThrottlingException",
    "InternalFailure",
    "InternalException",
];

/// An event's `detail-type` for a document: `AlgorithmFailure` when the document's top-level
/// `kind` is `"failure"`, else `AlgorithmResult`, so rules can tell the two apart.
///
/// ```
/// use lambda_blueprint::destination::aws::detail_type;
/// use serde_json::json;
///
/// assert_eq!(detail_type(&json!({"kind": "failure", "error": "..."})), "AlgorithmFailure");
/// assert_eq!(detail_type(&json!({"kind": "result"})), "AlgorithmResult");
/// assert_eq!(detail_type(&json!([1, 2])), "AlgorithmResult");
/// ```
pub fn detail_type(body: &Value) -> &'static str {
    match body.get("kind").and_then(Value::as_str) {
        Some("failure") => "AlgorithmFailure",
        _ => "AlgorithmResult",
    }
}

/// An event's `detail`: the document when it is a JSON object (as EventBridge requires), else
/// `{"document": ...}` around it.
fn detail(body: &Value) -> String {
    if body.is_object() {
        json_text(body)
    } else {
        json_text(&json!({ "document": body }))
    }
}

/// Events on an EventBridge bus.
pub(crate) struct EventBridgeSink {
    client: aws_sdk_eventbridge::Client,
    arn: String,
}

impl EventBridgeSink {
    pub(crate) fn new(config: &SdkConfig, arn: &str) -> EventBridgeSink {
        let mut builder = aws_sdk_eventbridge::config::Builder::from(config);
        builder.set_region(region(arn, config));
        EventBridgeSink {
            client: aws_sdk_eventbridge::Client::from_conf(builder.build()),
            arn: arn.to_owned(),
        }
    }

    async fn send(
        &self,
        documents: &[Document],
        details: &[String],
        batch: Vec<usize>,
    ) -> Result<Vec<EntryOutcome>, String> {
        let entries = batch
            .iter()
            .map(|&i| {
                PutEventsRequestEntry::builder()
                    .event_bus_name(&self.arn)
                    .source(EVENT_SOURCE)
                    .detail_type(detail_type(&documents[i].body))
                    .detail(&details[i])
                    .build()
            })
            .collect();
        let out = self
            .client
            .put_events()
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| service_error(LIMITS.call, &e))?;
        // The answer lists the entries in the order they were sent.
        Ok(ordered_outcomes(
            LIMITS.call,
            out.entries()
                .iter()
                .map(|e| (e.error_code(), e.error_message())),
            &RETRYABLE,
        ))
    }
}

impl Sink for EventBridgeSink {
    fn deliver<'a>(
        &'a self,
        documents: &'a [Document],
    ) -> BoxFuture<'a, Vec<Result<(), DeliveryError>>> {
        Box::pin(async move {
            let details: Vec<String> = documents.iter().map(|d| detail(&d.body)).collect();
            let mut results = vec![Ok(()); documents.len()];
            // EventBridge counts an entry as its source, detail-type and detail.
            let sizes = within_limits(
                documents.iter().zip(&details).map(|(document, detail)| {
                    EVENT_SOURCE.len() + detail_type(&document.body).len() + detail.len()
                }),
                &LIMITS,
                &mut results,
            );
            send_in_batches(&mut results, &sizes, &LIMITS, |batch| {
                self.send(documents, &details, batch)
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
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn details_are_objects() {
        let object = json!({"id": "r1", "result": 2});
        assert_eq!(
            serde_json::from_str::<Value>(&detail(&object)).unwrap(),
            object
        );
        assert_eq!(
            serde_json::from_str::<Value>(&detail(&json!("text"))).unwrap(),
            json!({"document": "text"})
        );
    }
}
