//! Kinesis and DynamoDB Streams tumbling windows: the window an invocation belongs to, and the
//! `state` its answer must carry.
//!
//! With tumbling windows on, Lambda sends `window`, `state`, `shardId`, `eventSourceARN`,
//! `isFinalInvokeForWindow` and `isWindowTerminatedEarly` beside `Records` (and, to close a
//! window, an invocation with no records at all), and expects the answer to carry a `state`
//! object (`{"state": {...}, "batchItemFailures": [...]}`, aws_lambda_events'
//! `KinesisTimeWindowEventResponse`). The blueprint keeps no aggregate of its own: the state
//! goes back as it came.

use serde_json::{Map, Value, json};

use super::{Source, str_at};

/// The tumbling window of a Kinesis or DynamoDB Streams invocation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Window {
    /// When the window starts (`window.start`, as Lambda writes it: RFC 3339).
    pub start: Option<String>,
    /// When it ends (`window.end`).
    pub end: Option<String>,
    /// The incoming `state`, answered back unchanged (empty when absent or not an object).
    pub state: Map<String, Value>,
    /// The shard (`shardId`).
    pub shard_id: Option<String>,
    /// Whether this is the window's last invocation (`isFinalInvokeForWindow`).
    pub final_invoke: bool,
    /// Whether the window ended early (`isWindowTerminatedEarly`).
    pub terminated_early: bool,
}

impl Window {
    /// The window of `event`, when it is a tumbling-window invocation: it has a `window`
    /// object and `isFinalInvokeForWindow`.
    pub(crate) fn of(event: &Value) -> Option<Window> {
        let window = event.get("window").filter(|w| w.is_object())?;
        let final_invoke = event
            .get("isFinalInvokeForWindow")?
            .as_bool()
            .unwrap_or(false);
        Some(Window {
            start: str_at(window, "/start").map(str::to_owned),
            end: str_at(window, "/end").map(str::to_owned),
            state: event
                .get("state")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
            shard_id: str_at(event, "/shardId").map(str::to_owned),
            final_invoke,
            terminated_early: event
                .get("isWindowTerminatedEarly")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    }

    /// The source of a window invocation whose records do not say it (none at all, when a
    /// window closes): the top-level `eventSourceARN`'s service. Both answer alike, so an ARN
    /// that names neither is taken as Kinesis.
    pub(crate) fn source_of(event: &Value) -> Source {
        match str_at(event, "/eventSourceARN") {
            Some(arn) if arn.starts_with("arn:") && arn.contains(":dynamodb:") => Source::DynamoDb,
            _ => Source::Kinesis,
        }
    }

    /// What templates see, under `/window` in each record's view.
    pub(crate) fn view(&self) -> Value {
        json!({
            "start": self.start,
            "end": self.end,
            "shard_id": self.shard_id,
            "final_invoke": self.final_invoke,
            "terminated_early": self.terminated_early,
        })
    }

    /// Add the `state` to an answer (`{"batchItemFailures": [...]}`), making it the
    /// `TimeWindowEventResponse` Lambda expects.
    pub fn answer_with_state(&self, answer: &mut Value) {
        if let Some(answer) = answer.as_object_mut() {
            answer.insert("state".into(), Value::Object(self.state.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{recognise, tests::fixture};

    #[test]
    fn window_invocations_keep_their_state_and_show_the_window() {
        let inv = recognise(fixture("kinesis-window.json"));
        assert_eq!(inv.source, Source::Kinesis);
        assert_eq!(inv.records.len(), 2);
        let window = inv.window.as_ref().unwrap();
        assert_eq!(window.start.as_deref(), Some("2020-07-30T17:00:00Z"));
        assert_eq!(window.shard_id.as_deref(), Some("shardId-000000000006"));
        assert!(!window.final_invoke && !window.terminated_early);
        // The state goes back as it came, numbers included (AWS's own example has numbers; Java
        // functions write strings).
        assert_eq!(
            Value::Object(window.state.clone()),
            json!({"1": 282, "10": 3450})
        );
        let view = &inv.records[0].input.as_ref().unwrap().view;
        assert_eq!(view["window"]["start"], "2020-07-30T17:00:00Z");
        assert_eq!(view["window"]["end"], "2020-07-30T17:05:00Z");
        // The payload sent without a template is the data, as without windows.
        assert_eq!(
            inv.records[0].input.as_ref().unwrap().payload,
            crate::events::Payload::Json(json!({"user": "ada", "n": 1}))
        );
        let mut answer = json!({"batchItemFailures": []});
        window.answer_with_state(&mut answer);
        assert_eq!(
            answer,
            json!({"batchItemFailures": [], "state": {"1": 282, "10": 3450}})
        );

        let dynamo = recognise(fixture("dynamodb-window.json"));
        assert_eq!(dynamo.source, Source::DynamoDb);
        assert!(dynamo.window.is_some());
        let view = &dynamo.records[0].input.as_ref().unwrap().view;
        assert_eq!(
            view["window"]["shard_id"],
            "shardId-00000001596000000000-aaaa1111"
        );
        // The payload is the view without the window, as without windows.
        assert!(
            dynamo.records[0]
                .input
                .as_ref()
                .unwrap()
                .payload
                .to_json()
                .get("window")
                .is_none()
        );
    }

    #[test]
    fn a_closing_window_without_records_is_recognised_by_its_arn() {
        let mut event = fixture("kinesis-window.json");
        event["Records"] = json!([]);
        event["isFinalInvokeForWindow"] = json!(true);
        let inv = recognise(event.clone());
        assert_eq!(inv.source, Source::Kinesis);
        assert!(inv.records.is_empty());
        assert!(inv.window.as_ref().unwrap().final_invoke);
        let mut dynamo = fixture("dynamodb-window.json");
        dynamo["Records"] = json!([]);
        assert_eq!(recognise(dynamo).source, Source::DynamoDb);
        // A missing or odd state is answered as an empty one.
        event["state"] = json!("odd");
        assert!(recognise(event).window.unwrap().state.is_empty());
        // Without `isFinalInvokeForWindow`, a `window` is no window (and no records: direct).
        let plain = json!({"Records": [], "window": {"start": "x"}});
        assert_eq!(recognise(plain).source, Source::Direct);
        // Windows belong to streams: a queue's records ignore one.
        let mut sqs = fixture("sqs-fifo.json");
        sqs["window"] = json!({"start": "x", "end": "y"});
        sqs["isFinalInvokeForWindow"] = json!(false);
        assert!(recognise(sqs).window.is_none());
    }
}
