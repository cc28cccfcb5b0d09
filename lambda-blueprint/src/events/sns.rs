//! SNS: the message, its kind from a `content-type` message attribute when one names it; S3
//! notifications in it unwrapped.

use aws_lambda_events::event::sns::SnsRecord;
use serde_json::{Value, json};

use super::media::{Media, declared_text, is_content_type};
use super::meta::{self, Via};
use super::wrapped::{S3Message, s3_message, s3_records};
use super::{Payload, Record, RecordInput, Source, parse, str_at};

/// The records of one SNS delivery: one, or one per S3 record of a notification it carries
/// (each with its S3 URI as id), or none for S3's test event.
pub(crate) fn records(index: usize, raw: &Value) -> Vec<Record> {
    let id = str_at(raw, "/Sns/MessageId")
        .map(str::to_owned)
        .unwrap_or_else(|| format!("record-{index}"));
    let r = match parse::<SnsRecord>(raw, "SNS") {
        Ok(r) => r,
        Err(e) => {
            return vec![Record {
                id,
                group: None,
                input: Err(e),
                meta: meta::of(Source::Sns, raw),
            }];
        }
    };
    let declared = r.sns.message_attributes.iter().find_map(|(name, a)| {
        (a.data_type == "String" && is_content_type(name))
            .then(|| Media::of(&a.value).map(|m| (m, a.value.as_str())))
            .flatten()
    });
    if declared.is_none() {
        match s3_message(&r.sns.message, false) {
            Some(S3Message::TestEvent) => return Vec::new(),
            Some(S3Message::Notification { records, .. }) => {
                let via = Via {
                    source: Source::Sns,
                    message_id: r.sns.message_id.clone(),
                    source_arn: Some(r.sns.topic_arn.clone()),
                    topic_arn: None,
                };
                return s3_records(&records, &via, None, None);
            }
            None => {}
        }
    }
    let attributes: serde_json::Map<String, Value> = r
        .sns
        .message_attributes
        .iter()
        .map(|(k, a)| (k.clone(), json!({"type": a.data_type, "value": a.value})))
        .collect();
    let payload = match declared {
        Some((media, content_type)) => {
            declared_text(r.sns.message.clone(), media, content_type, "SNS record")
        }
        None => Ok(Payload::sniff_text(r.sns.message.clone())),
    };
    let input = payload.map(|payload| RecordInput {
        view: json!({
            "message": payload.to_json(),
            "subject": r.sns.subject,
            "message_attributes": attributes,
        }),
        payload,
    });
    vec![Record {
        id,
        group: None,
        input,
        meta: meta::of(Source::Sns, raw),
    }]
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

    #[test]
    fn s3_notifications_in_sns_become_s3_records_and_test_events_none() {
        let inv = recognise(fixture("sns-s3.json"));
        assert_eq!(inv.source, crate::events::Source::Sns);
        let direct = recognise(fixture("s3-put.json"));
        assert_eq!(inv.records.len(), 2, "the test event is no record");
        for (got, alone) in inv.records.iter().zip(&direct.records) {
            // Nothing gives an SNS record back to Lambda: its id is the S3 URI, as from S3.
            assert_eq!(got.id, alone.id);
            assert_eq!(
                got.input.as_ref().unwrap().payload,
                alone.input.as_ref().unwrap().payload
            );
            assert_eq!(got.meta.idempotency_key, alone.meta.idempotency_key);
            let via = got.meta.via.as_ref().unwrap();
            assert_eq!(via.message_id, "sns-s3");
            assert_eq!(
                via.source_arn.as_deref(),
                Some("arn:aws:sns:us-east-1:123456789012:uploads")
            );
        }
    }

    #[test]
    fn a_content_type_attribute_keeps_text_as_text() {
        let mut event = fixture("sns.json");
        event["Records"][0]["Sns"]["Message"] = json!("42");
        let sniffed = recognise(event.clone());
        assert_eq!(
            sniffed.records[0].input.as_ref().unwrap().payload,
            Payload::Json(json!(42))
        );
        event["Records"][0]["Sns"]["MessageAttributes"]["content-type"] =
            json!({"Type": "String", "Value": "text/plain"});
        let declared = recognise(event);
        assert_eq!(
            declared.records[0].input.as_ref().unwrap().payload,
            Payload::Text("42".into())
        );
    }
}
