//! The JSON documents sent to destinations: one per successful record's result, one per
//! permanent failure.

use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::caller::{CallOutput, Called};
use crate::config::{Target, kind_of};
use crate::encoding::to_base64;
use crate::events::{Invocation, Record};
use crate::failure::RecordFailure;

use super::Context;

/// A result as JSON: its content type and the JSON value, the text, or the bytes as base64.
///
/// ```json
/// {"content_type": "application/json", "json": {"n": 1}}
/// {"content_type": "text/plain; charset=utf-8", "text": "hello"}
/// {"content_type": "image/png", "base64": "iVBORw0KGgo="}
/// {"content_type": null, "void": true, "request_id": "req-..."}
/// ```
pub(crate) fn result_body(output: &CallOutput) -> Value {
    match output {
        CallOutput::Json(v) => json!({"content_type": "application/json", "json": v}),
        CallOutput::Text(s) => json!({"content_type": "text/plain; charset=utf-8", "text": s}),
        CallOutput::Binary(b) => {
            json!({"content_type": "application/octet-stream", "base64": to_base64(b)})
        }
        CallOutput::Void(id) => json!({"content_type": null, "void": true, "request_id": id}),
        CallOutput::Raw(body, content_type) => match std::str::from_utf8(body) {
            Ok(text) => json!({"content_type": content_type, "text": text}),
            Err(_) => json!({"content_type": content_type, "base64": to_base64(body)}),
        },
    }
}

/// What every document says of its record: where it came from and what it was sent to.
fn common(
    ctx: &Context<'_>,
    invocation: &Invocation,
    record: &Record,
    target: &Target,
    kind: &str,
) -> Map<String, Value> {
    let mut doc = Map::new();
    doc.insert("kind".into(), json!(kind));
    doc.insert("record_id".into(), json!(record.id));
    doc.insert("idempotency_key".into(), json!(record.meta.idempotency_key));
    doc.insert(
        "event_source".into(),
        json!(kind_of(invocation.source, record)),
    );
    doc.insert("source_arn".into(), json!(record.meta.source_arn));
    doc.insert(
        "algorithm".into(),
        json!(target.algorithm.clone().with_version(None).to_string()),
    );
    doc.insert(
        "version".into(),
        json!(target.algorithm.version().map(ToString::to_string)),
    );
    doc.insert("request_id".into(), json!(ctx.request_id));
    if let Some(object) = &record.meta.object {
        doc.insert("object".into(), object.clone());
    }
    doc
}

/// The document of a record's result.
pub(crate) fn result(
    ctx: &Context<'_>,
    invocation: &Invocation,
    record: &Record,
    target: &Target,
    called: &Called,
    duration: Duration,
) -> Value {
    let mut doc = common(ctx, invocation, record, target, "result");
    doc.insert("algorithm_request_id".into(), json!(called.request_id));
    doc.insert(
        "duration_ms".into(),
        json!((duration.as_secs_f64() * 1e6).round() / 1e3),
    );
    doc.insert("result".into(), result_body(&called.output));
    Value::Object(doc)
}

/// The document of a record's permanent failure, with the record as it arrived.
pub(crate) fn failure(
    ctx: &Context<'_>,
    invocation: &Invocation,
    record: &Record,
    target: &Target,
    failure: &RecordFailure,
) -> Value {
    let mut doc = common(ctx, invocation, record, target, "failure");
    doc.insert(
        "error".into(),
        json!({
            "error_type": failure.kind.error_type(),
            "permanence": failure.kind.permanence(),
            "message": failure.message,
        }),
    );
    let raw = record
        .meta
        .raw_index
        .and_then(|i| invocation.raw.get(i))
        .cloned();
    doc.insert("record".into(), raw.unwrap_or(Value::Null));
    Value::Object(doc)
}
