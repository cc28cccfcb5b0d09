//! What the function answers, per source.

use aws_lambda_events::event::sqs::SqsBatchResponse;
use aws_lambda_events::event::streams::{
    DynamoDbBatchItemFailure, DynamoDbEventResponse, KinesisEventResponse,
};
use std::collections::HashSet;

use serde_json::{Value, json};

use crate::caller::CallOutput;
use crate::encoding::to_base64;
use crate::error::BlueprintError;
use crate::events::{Invocation, Source};
use crate::failure::{FailureKind, RecordFailure};
use crate::pipeline::{Done, Outcome};

/// The function's answer to an invocation whose records have been settled.
///
/// Streams and queues name their failed records (`batchItemFailures`, each id once), unless every
/// record failed: then the invocation fails, so the mapping's retry limits and
/// `BisectBatchOnFunctionError` work as AWS designed them (a tumbling window's invocation names
/// them all instead, so its `state` is answered and kept). S3, SNS and EventBridge invocations
/// fail when any record failed (Lambda retries the whole event; records that completed are
/// skipped when there is an idempotency table).
pub(crate) fn answer(
    invocation: &Invocation,
    outcomes: Vec<Outcome>,
) -> Result<Value, BlueprintError> {
    let total = outcomes.len();
    let failures: Vec<RecordFailure> = outcomes
        .iter()
        .filter_map(|o| o.as_ref().err().cloned())
        .collect();
    let mut seen = HashSet::new();
    let mut ids = || {
        failures
            .iter()
            .map(|f| f.id.clone())
            .filter(|id| seen.insert(id.clone()))
            .collect::<Vec<_>>()
    };
    let json = |v: Result<Value, serde_json::Error>| {
        v.map_err(|e| BlueprintError::Internal(e.to_string()))
    };
    let all_failed = total > 0 && failures.len() == total && invocation.window.is_none();
    match invocation.source {
        Source::Kinesis | Source::DynamoDb | Source::Sqs if all_failed => {
            Err(BlueprintError::RecordsFailed { total, failures })
        }
        Source::Kinesis => {
            let mut response = KinesisEventResponse::default();
            response.set_failures(ids());
            json(serde_json::to_value(response)).map(|answer| with_window_state(invocation, answer))
        }
        Source::DynamoDb => {
            let mut response = DynamoDbEventResponse::default();
            response.batch_item_failures = ids()
                .into_iter()
                .map(|id| {
                    let mut f = DynamoDbBatchItemFailure::default();
                    f.item_identifier = Some(id);
                    f
                })
                .collect();
            json(serde_json::to_value(response)).map(|answer| with_window_state(invocation, answer))
        }
        Source::Sqs => {
            let mut response = SqsBatchResponse::default();
            response.set_failures(ids());
            json(serde_json::to_value(response))
        }
        Source::S3 | Source::EventBridgeS3 | Source::Sns => {
            if failures.is_empty() {
                let count = |f: fn(&Outcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
                Ok(json!({
                    "records": total,
                    "succeeded": count(|o| matches!(o, Ok(Done::Output(_)))),
                    "duplicates": count(|o| matches!(o, Ok(Done::Duplicate))),
                    "acknowledged_failures": count(|o| matches!(o, Ok(Done::Acknowledged(_)))),
                }))
            } else {
                Err(BlueprintError::RecordsFailed { total, failures })
            }
        }
        Source::HttpV1 | Source::HttpV2 => Ok(http_response(outcomes.into_iter().next())),
        Source::Direct => match outcomes.into_iter().next() {
            Some(Ok(Done::Output(output))) => Ok(output.to_json()),
            Some(Ok(Done::Duplicate)) => Ok(Value::Null),
            Some(Ok(Done::Acknowledged(f)) | Err(f)) => Err(BlueprintError::Record(f)),
            None => Ok(Value::Null),
        },
    }
}

/// A tumbling window's answer carries its `state` (Lambda fails an answer without one).
fn with_window_state(invocation: &Invocation, mut answer: Value) -> Value {
    if let Some(window) = &invocation.window {
        window.answer_with_state(&mut answer);
    }
    answer
}

fn http(status: u16, content_type: &str, body: String, base64: bool) -> Value {
    json!({
        "statusCode": status,
        "headers": {"content-type": content_type},
        "body": body,
        "isBase64Encoded": base64,
    })
}

/// An HTTP response: the result in its own content type, or a JSON error with a status that
/// says whose fault it was.
fn http_response(outcome: Option<Outcome>) -> Value {
    let outcome = outcome.map(|o| match o {
        Ok(Done::Output(output)) => Ok(output),
        Ok(Done::Duplicate) => Ok(CallOutput::Void(None)),
        Ok(Done::Acknowledged(f)) | Err(f) => Err(f),
    });
    match outcome {
        Some(Ok(CallOutput::Json(v))) => http(200, "application/json", v.to_string(), false),
        Some(Ok(CallOutput::Text(s))) => http(200, "text/plain; charset=utf-8", s, false),
        Some(Ok(CallOutput::Binary(b))) => {
            http(200, "application/octet-stream", to_base64(&b), true)
        }
        Some(Ok(CallOutput::Void(request_id))) => match request_id {
            Some(id) => http(
                202,
                "application/json",
                json!({"request_id": id}).to_string(),
                false,
            ),
            None => http(200, "application/json", "null".into(), false),
        },
        Some(Ok(CallOutput::Raw(body, content_type))) => {
            let content_type = content_type.unwrap_or_else(|| "application/octet-stream".into());
            match String::from_utf8(body.to_vec()) {
                Ok(text) => http(200, &content_type, text, false),
                Err(_) => http(200, &content_type, to_base64(&body), true),
            }
        }
        Some(Err(f)) => {
            let status = match f.kind {
                FailureKind::BadRecord | FailureKind::InputError => 400,
                FailureKind::Timeout | FailureKind::NotSent => 504,
                FailureKind::InProgress => 409,
                FailureKind::Rejected
                | FailureKind::Idempotency
                | FailureKind::Delivery
                | FailureKind::Undeliverable => 502,
                FailureKind::Algorithm
                | FailureKind::Api
                | FailureKind::ApiUnavailable
                | FailureKind::BadResponse
                | FailureKind::Transport
                | FailureKind::Config
                | FailureKind::Internal => 502,
            };
            let body = json!({"error": {"message": f.message, "error_type": f.kind.error_type()}});
            http(status, "application/json", body.to_string(), false)
        }
        None => http(
            500,
            "application/json",
            r#"{"error":{"message":"no record"}}"#.into(),
            false,
        ),
    }
}
