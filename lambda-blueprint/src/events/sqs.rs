//! SQS: the body, ordered by message group on FIFO queues.

use aws_lambda_events::event::sqs::SqsMessage;
use serde_json::{Value, json};

use super::{Payload, Record, RecordInput, RecordMeta, parse, str_at};

pub(crate) fn record(index: usize, raw: &Value) -> Record {
    let id = str_at(raw, "/messageId")
        .map(str::to_owned)
        .unwrap_or_else(|| format!("record-{index}"));
    let group = str_at(raw, "/attributes/MessageGroupId").map(str::to_owned);
    let input = parse::<SqsMessage>(raw, "SQS").map(|m| {
        let payload = Payload::sniff_text(m.body.unwrap_or_default());
        RecordInput {
            view: json!({
                "body": payload.to_json(),
                "message_id": m.message_id,
                "attributes": m.attributes,
            }),
            payload,
        }
    });
    Record {
        id,
        group,
        input,
        meta: RecordMeta::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{recognise, tests::fixture};

    #[test]
    fn fifo_messages_carry_their_group_and_bodies_are_sniffed() {
        let inv = recognise(fixture("sqs-fifo.json"));
        assert_eq!(inv.records.len(), 3);
        assert_eq!(inv.records[0].id, "msg-1");
        assert_eq!(inv.records[0].group.as_deref(), Some("orders-42"));
        assert_eq!(
            inv.records[0].input.as_ref().unwrap().payload,
            Payload::Json(json!({"order": 42, "step": 1}))
        );
        assert_eq!(
            inv.records[2].input.as_ref().unwrap().payload,
            Payload::Text("a plain text body".into())
        );
        assert_eq!(
            inv.records[0].input.as_ref().unwrap().view["attributes"]["MessageGroupId"],
            "orders-42"
        );
        let standard = recognise(fixture("aws-sqs-event.json"));
        assert!(
            standard
                .records
                .iter()
                .all(|r| r.group.is_none() && r.input.is_ok())
        );
    }
}
