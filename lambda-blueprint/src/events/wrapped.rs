//! S3 notifications that arrive inside SQS and SNS messages (S3 → SQS, S3 → SNS → SQS,
//! S3 → SNS → Lambda), unwrapped into S3 records.
//!
//! A message whose text is an S3 notification (`{"Records":[{"eventSource":"aws:s3",...}]}`),
//! or, in SQS, an SNS envelope (`{"Type":"Notification","Message":"<notification>",...}`) of
//! one, becomes one S3 record per notification record. The `s3:TestEvent` S3 sends when a
//! notification is configured is no work: its message becomes no record (an SQS message is then
//! deleted, an SNS delivery succeeds). Every other message stays what it is today.

use serde_json::Value;

use super::meta::{self, Via};
use super::{Record, s3, str_at};

/// What a message's text holds, when it is S3's.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum S3Message {
    /// The `Records` of a notification, and the SNS topic whose envelope held it (SQS only).
    Notification {
        records: Vec<Value>,
        topic_arn: Option<String>,
    },
    /// `s3:TestEvent`: no work.
    TestEvent,
}

/// Whether `text` (an SQS body, or an SNS message) is an S3 notification or S3's test event;
/// an SNS envelope is looked into when `envelope` allows it.
pub(crate) fn s3_message(text: &str, envelope: bool) -> Option<S3Message> {
    // Most bodies are not S3's: they are not parsed a second time.
    if !text.contains("aws:s3") && !text.contains("s3:TestEvent") {
        return None;
    }
    let value: Value = serde_json::from_str(text).ok()?;
    if envelope
        && str_at(&value, "/Type") == Some("Notification")
        && let Some(message) = str_at(&value, "/Message")
    {
        return match s3_message(message, false)? {
            S3Message::Notification { records, .. } => Some(S3Message::Notification {
                records,
                topic_arn: str_at(&value, "/TopicArn").map(str::to_owned),
            }),
            S3Message::TestEvent => Some(S3Message::TestEvent),
        };
    }
    if str_at(&value, "/Service") == Some("Amazon S3")
        && str_at(&value, "/Event") == Some("s3:TestEvent")
    {
        return Some(S3Message::TestEvent);
    }
    let records = value.get("Records")?.as_array()?;
    records
        .iter()
        .any(|r| str_at(r, "/eventSource") == Some("aws:s3"))
        .then(|| S3Message::Notification {
            records: records.clone(),
            topic_arn: None,
        })
}

/// The S3 records of a notification that arrived in the message `via`: each is read as S3
/// would send it alone (a malformed one fails alone), and carries `via` in its meta and its view
/// (`/via`); the payload is the one S3 itself would give. `id` replaces each record's id when
/// the message's id is what Lambda wants back (SQS); `group` keeps a FIFO group's order.
pub(crate) fn s3_records(
    records: &[Value],
    via: &Via,
    id: Option<&str>,
    group: Option<&str>,
) -> Vec<Record> {
    records
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            let mut record = s3::record(i, raw);
            record.meta = meta::of_s3(raw);
            record.meta.via = Some(via.clone());
            if let Some(id) = id {
                record.id = id.to_owned();
            }
            record.group = group.map(str::to_owned);
            if let Ok(input) = &mut record.input
                && let Some(view) = input.view.as_object_mut()
            {
                view.insert("via".into(), via.view());
            }
            record
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn notification() -> Value {
        json!({"Records": [{"eventSource": "aws:s3", "s3": {}}]})
    }

    #[test]
    fn s3_notifications_and_test_events_are_found_in_messages_and_envelopes() {
        let text = notification().to_string();
        assert!(matches!(
            s3_message(&text, true),
            Some(S3Message::Notification { ref records, topic_arn: None }) if records.len() == 1
        ));
        let envelope = json!({
            "Type": "Notification",
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:uploads",
            "Message": text,
        })
        .to_string();
        match s3_message(&envelope, true) {
            Some(S3Message::Notification { topic_arn, .. }) => assert_eq!(
                topic_arn.as_deref(),
                Some("arn:aws:sns:us-east-1:123456789012:uploads")
            ),
            other => panic!("{other:?}"),
        }
        // An SNS message is not an envelope itself: only SQS bodies are looked into.
        assert_eq!(s3_message(&envelope, false), None);
        let test = json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"});
        assert_eq!(
            s3_message(&test.to_string(), true),
            Some(S3Message::TestEvent)
        );
        let wrapped_test = json!({"Type": "Notification", "Message": test.to_string()});
        assert_eq!(
            s3_message(&wrapped_test.to_string(), true),
            Some(S3Message::TestEvent)
        );
        // Other messages, even ones that mention S3, are not S3's.
        for other in [
            json!({"Records": [{"eventSource": "aws:sqs"}], "note": "aws:s3"}).to_string(),
            json!({"Records": [], "note": "aws:s3"}).to_string(),
            json!({"Type": "Notification", "Message": "aws:s3 is not JSON"}).to_string(),
            "aws:s3 as text".to_owned(),
            json!({"order": 42}).to_string(),
        ] {
            assert_eq!(s3_message(&other, true), None, "{other}");
        }
    }
}
