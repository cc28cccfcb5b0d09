//! SNS: the message.

use aws_lambda_events::event::sns::SnsRecord;
use serde_json::{Value, json};

use super::{Payload, Record, RecordInput, RecordMeta, parse, str_at};

pub(crate) fn record(index: usize, raw: &Value) -> Record {
    let id = str_at(raw, "/Sns/MessageId")
        .map(str::to_owned)
        .unwrap_or_else(|| format!("record-{index}"));
    let input = parse::<SnsRecord>(raw, "SNS").map(|r| {
        let payload = Payload::sniff_text(r.sns.message);
        let attributes: serde_json::Map<String, Value> = r
            .sns
            .message_attributes
            .into_iter()
            .map(|(k, a)| (k, json!({"type": a.data_type, "value": a.value})))
            .collect();
        RecordInput {
            view: json!({
                "message": payload.to_json(),
                "subject": r.sns.subject,
                "message_attributes": attributes,
            }),
            payload,
        }
    });
    Record {
        id,
        group: None,
        input,
        meta: RecordMeta::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{recognise, tests::fixture};

    #[test]
    fn messages_are_sniffed_and_keep_subject_and_attributes() {
        let inv = recognise(fixture("sns.json"));
        let input = inv.records[0].input.as_ref().unwrap();
        assert_eq!(
            input.payload,
            Payload::Json(json!({"image": "s3://b/k.png"}))
        );
        assert_eq!(input.view["subject"], "New image");
        assert_eq!(
            input.view["message_attributes"]["priority"]["value"],
            "high"
        );
        let lib = recognise(fixture("aws-sns-event.json"));
        assert!(lib.records[0].input.is_ok());
    }
}
