//! S3 notifications and S3 events through EventBridge.

use aws_lambda_events::event::s3::S3EventRecord;
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

use super::{Payload, Record, RecordInput, RecordMeta, at, parse, str_at};

/// An S3 key as notifications send it: `+` for spaces, the rest percent-encoded.
pub(crate) fn decode_key(raw: &str) -> Result<String, String> {
    percent_decode_str(&raw.replace('+', " "))
        .decode_utf8()
        .map(|k| k.into_owned())
        .map_err(|_| super::clip(format!("the S3 key {raw:?} is not UTF-8 once decoded")))
}

fn input(bucket: &str, key: &str, fields: Value) -> RecordInput {
    let mut view = json!({
        "bucket": bucket,
        "key": key,
        "uri": format!("s3://{bucket}/{key}"),
    });
    if let (Some(view), Some(fields)) = (view.as_object_mut(), fields.as_object()) {
        view.extend(fields.clone());
    }
    RecordInput {
        payload: Payload::Json(view.clone()),
        view,
    }
}

pub(crate) fn record(index: usize, raw: &Value) -> Record {
    let fallback = format!(
        "s3://{}/{}",
        str_at(raw, "/s3/bucket/name").unwrap_or("?"),
        str_at(raw, "/s3/object/key").unwrap_or(&format!("record-{index}"))
    );
    let parsed = parse::<S3EventRecord>(raw, "S3").and_then(|r| {
        let bucket =
            r.s3.bucket
                .name
                .clone()
                .ok_or("the S3 record has no bucket name")?;
        let raw_key =
            r.s3.object
                .key
                .clone()
                .ok_or("the S3 record has no object key")?;
        let key = decode_key(&raw_key)?;
        let fields = json!({
            "size": r.s3.object.size,
            "etag": r.s3.object.e_tag,
            "version_id": r.s3.object.version_id,
            "event_name": r.event_name,
            "event_time": r.event_time.to_rfc3339_opts(chrono_secs(), true),
        });
        Ok((format!("s3://{bucket}/{key}"), input(&bucket, &key, fields)))
    });
    match parsed {
        Ok((id, input)) => Record {
            id,
            group: None,
            input: Ok(input),
            meta: RecordMeta::default(),
        },
        Err(message) => Record {
            id: fallback,
            group: None,
            input: Err(message),
            meta: RecordMeta::default(),
        },
    }
}

fn chrono_secs() -> chrono::SecondsFormat {
    chrono::SecondsFormat::Millis
}

/// An `Object Created` (or other) S3 event delivered by EventBridge: keys arrive decoded.
pub(crate) fn eventbridge_record(event: &Value) -> Record {
    let bucket = str_at(event, "/detail/bucket/name");
    let key = str_at(event, "/detail/object/key");
    match (bucket, key) {
        (Some(bucket), Some(key)) => {
            let fields = json!({
                "size": at(event, "/detail/object/size"),
                "etag": at(event, "/detail/object/etag"),
                "version_id": at(event, "/detail/object/version-id"),
                "event_name": event.get("detail-type"),
                "event_time": event.get("time"),
            });
            Record {
                id: format!("s3://{bucket}/{key}"),
                group: None,
                input: Ok(input(bucket, key, fields)),
                meta: RecordMeta::default(),
            }
        }
        _ => Record {
            id: str_at(event, "/id")
                .unwrap_or("eventbridge-event")
                .to_owned(),
            group: None,
            input: Err(
                "the EventBridge S3 event has no detail.bucket.name or detail.object.key".into(),
            ),
            meta: RecordMeta::default(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{Source, recognise, tests::fixture};

    #[test]
    fn keys_are_decoded_like_s3_encodes_them() {
        for (raw, want) in [
            ("Happy%20Face.jpg", "Happy Face.jpg"),
            ("with+plus+spaces.png", "with plus spaces.png"),
            ("a%2Bb.png", "a+b.png"),
            ("caf%C3%A9/%E6%97%A5%E6%9C%AC.jpg", "café/日本.jpg"),
            ("plain/key.txt", "plain/key.txt"),
        ] {
            assert_eq!(decode_key(raw).unwrap(), want);
        }
        assert!(decode_key("%FF%FE").is_err());
    }

    #[test]
    fn every_record_of_a_notification_is_used() {
        let inv = recognise(fixture("s3-put.json"));
        assert_eq!(inv.source, Source::S3);
        let views: Vec<Value> = inv
            .records
            .iter()
            .map(|r| r.input.as_ref().unwrap().view.clone())
            .collect();
        assert_eq!(views.len(), 3);
        assert_eq!(views[0]["uri"], "s3://photos/uploads/Happy Face.jpg");
        assert_eq!(views[0]["size"], 1024);
        assert_eq!(views[0]["etag"], "0123456789abcdef0123456789abcdef");
        assert_eq!(views[0]["event_name"], "ObjectCreated:Put");
        assert_eq!(views[0]["event_time"], "1970-01-01T00:00:00.000Z");
        assert_eq!(views[1]["key"], "uploads/a+b c.png");
        assert_eq!(views[2]["key"], "uploads/café.jpg");
        assert_eq!(inv.records[1].id, "s3://photos/uploads/a+b c.png");
    }

    #[test]
    fn the_library_fixture_and_eventbridge_events_work() {
        let inv = recognise(fixture("aws-s3-event.json"));
        assert_eq!(
            inv.records[0].input.as_ref().unwrap().view["key"],
            "Happy Face.jpg"
        );
        let inv = recognise(fixture("eventbridge-s3.json"));
        let view = &inv.records[0].input.as_ref().unwrap().view;
        assert_eq!(view["uri"], "s3://example-bucket/example key.png");
        assert_eq!(view["size"], 5);
        assert_eq!(view["event_name"], "Object Created");
    }

    #[test]
    fn a_malformed_record_fails_alone() {
        let mut event = fixture("s3-put.json");
        event["Records"][1]["s3"]["object"]["key"] = Value::Null;
        event["Records"][2]["eventTime"] = json!("not a time");
        let inv = recognise(event);
        assert!(inv.records[0].input.is_ok());
        assert!(
            inv.records[1]
                .input
                .as_ref()
                .unwrap_err()
                .contains("no object key")
        );
        let err = inv.records[2].input.as_ref().unwrap_err();
        assert!(err.contains("eventTime"), "{err}");
    }
}
