//! SQS: the body, ordered by message group on FIFO queues; its kind from a `content-type`
//! message attribute when one names it; S3 notifications inside it unwrapped.

use std::collections::HashMap;

use aws_lambda_events::event::sqs::{SqsMessage, SqsMessageAttribute};
use serde_json::{Value, json};

use super::media::{Media, declared_text, is_content_type};
use super::meta::{self, Via};
use super::wrapped::{S3Message, s3_message, s3_records};
use super::{Payload, Record, RecordInput, Source, parse, str_at};

/// The records of one SQS message: one, or one per S3 record of a notification it carries (all
/// with the message's id, so a failure of any gives the message back), or none for S3's test
/// event.
pub(crate) fn records(index: usize, raw: &Value) -> Vec<Record> {
    let id = str_at(raw, "/messageId")
        .map(str::to_owned)
        .unwrap_or_else(|| format!("record-{index}"));
    let group = str_at(raw, "/attributes/MessageGroupId").map(str::to_owned);
    let message = match parse::<SqsMessage>(raw, "SQS") {
        Ok(message) => message,
        Err(e) => {
            return vec![Record {
                id,
                group,
                input: Err(e),
                meta: meta::of(Source::Sqs, raw),
            }];
        }
    };
    let body = message.body.unwrap_or_default();
    let declared = content_type(&message.message_attributes);
    if declared.is_none() {
        match s3_message(&body, true) {
            Some(S3Message::TestEvent) => return Vec::new(),
            Some(S3Message::Notification { records, topic_arn }) => {
                let via = Via {
                    source: Source::Sqs,
                    message_id: id.clone(),
                    source_arn: message.event_source_arn,
                    topic_arn,
                };
                return s3_records(&records, &via, Some(&id), group.as_deref());
            }
            None => {}
        }
    }
    let payload = match declared {
        Some((media, content_type)) => declared_text(body, media, content_type, "SQS record"),
        None => Ok(Payload::sniff_text(body)),
    };
    let input = payload.map(|payload| RecordInput {
        view: json!({
            "body": payload.to_json(),
            "message_id": message.message_id,
            "attributes": message.attributes,
        }),
        payload,
    });
    vec![Record {
        id,
        group,
        input,
        meta: meta::of(Source::Sqs, raw),
    }]
}

/// The media type a `content-type` (or `ContentType`, `Content_Type`...) string attribute
/// declares, with the attribute's value.
fn content_type(attributes: &HashMap<String, SqsMessageAttribute>) -> Option<(Media, &str)> {
    attributes.iter().find_map(|(name, attribute)| {
        let value = attribute.string_value.as_deref()?;
        is_content_type(name).then_some(())?;
        Some((Media::of(value)?, value))
    })
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

    #[test]
    fn s3_notifications_in_messages_become_s3_records_with_the_message_id() {
        let inv = recognise(fixture("sqs-s3.json"));
        assert_eq!(inv.source, Source::Sqs);
        let ids: Vec<&str> = inv.records.iter().map(|r| r.id.as_str()).collect();
        // Two S3 records in the first message, one through SNS, none for the test event.
        assert_eq!(ids, ["s3-direct", "s3-direct", "s3-via-sns", "plain"]);
        let direct = recognise(fixture("s3-put.json"));
        for (got, alone) in inv.records[..3].iter().zip(&direct.records) {
            let input = got.input.as_ref().unwrap();
            let want = alone.input.as_ref().unwrap();
            // The payload is the one S3 itself gives, and the record is the same object event.
            assert_eq!(input.payload, want.payload);
            assert_eq!(input.view["uri"], want.view["uri"]);
            assert_eq!(got.meta.idempotency_key, alone.meta.idempotency_key);
            assert!(got.meta.idempotency_key.is_some());
            assert_eq!(got.meta.source_arn.as_deref(), Some("arn:aws:s3:::photos"));
            assert_eq!(got.meta.object, alone.meta.object);
            let via = got.meta.via.as_ref().unwrap();
            assert_eq!(via.source, Source::Sqs);
            assert_eq!(via.message_id, got.id);
            assert_eq!(
                via.source_arn.as_deref(),
                Some("arn:aws:sqs:us-east-1:123456789012:uploads")
            );
            assert_eq!(input.view["via"]["message_id"], json!(got.id));
        }
        let through_sns = inv.records[2].meta.via.as_ref().unwrap();
        assert_eq!(
            through_sns.topic_arn.as_deref(),
            Some("arn:aws:sns:us-east-1:123456789012:uploads")
        );
        assert_eq!(inv.records[0].meta.via.as_ref().unwrap().topic_arn, None);
        // An ordinary message stays what it was.
        let plain = &inv.records[3];
        assert!(plain.meta.via.is_none());
        assert_eq!(plain.meta.idempotency_key.as_deref(), Some("sqs:plain"));
        assert_eq!(
            plain.input.as_ref().unwrap().payload,
            Payload::Json(json!({"order": 7}))
        );
    }

    #[test]
    fn a_broken_s3_record_in_a_message_fails_alone_under_the_message_id() {
        let mut event = fixture("sqs-s3.json");
        let mut notification = fixture("s3-put.json");
        notification["Records"][1]["s3"]["object"]["key"] = Value::Null;
        event["Records"][0]["body"] = json!(notification.to_string());
        let inv = recognise(event);
        let first: Vec<&Record> = inv.records.iter().filter(|r| r.id == "s3-direct").collect();
        assert_eq!(first.len(), 3);
        assert!(first[0].input.is_ok() && first[2].input.is_ok());
        let err = first[1].input.as_ref().unwrap_err();
        assert!(err.contains("no object key"), "{err}");
    }

    #[test]
    fn a_content_type_attribute_decides_the_body_kind() {
        let inv = recognise(fixture("sqs-content-type.json"));
        let payloads: Vec<Result<Payload, String>> = inv
            .records
            .iter()
            .map(|r| r.input.clone().map(|i| i.payload))
            .collect();
        assert_eq!(
            payloads,
            [
                Ok(Payload::Text("42".into())),
                Ok(Payload::Text("true".into())),
                Ok(Payload::Json(json!({"a": 1}))),
                Ok(Payload::Binary(bytes::Bytes::from_static(&[
                    0x89, b'P', b'N', b'G'
                ]))),
                // An attribute of another name does not count: sniffed as before.
                Ok(Payload::Json(json!(42))),
            ]
        );
        let mut bad = fixture("sqs-content-type.json");
        bad["Records"][2]["body"] = json!("{not json");
        bad["Records"][3]["body"] = json!("not base64!");
        let inv = recognise(bad);
        for i in [2, 3] {
            let err = inv.records[i].input.as_ref().unwrap_err();
            assert!(err.starts_with("malformed SQS record"), "{err}");
        }
        // A declared body is the sender's own, even when it looks like S3's.
        let mut declared = fixture("sqs-s3.json");
        declared["Records"][0]["messageAttributes"] =
            fixture("sqs-content-type.json")["Records"][2]["messageAttributes"].clone();
        let inv = recognise(declared);
        assert!(inv.records[0].meta.via.is_none());
        assert!(matches!(
            inv.records[0].input.as_ref().unwrap().payload,
            Payload::Json(_)
        ));
    }
}
