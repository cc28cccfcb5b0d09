//! Kinesis Data Streams: base64 data, ordered by partition key.

use aws_lambda_events::event::kinesis::KinesisEventRecord;
use bytes::Bytes;
use serde_json::{Value, json};

use super::{Payload, Record, RecordInput, RecordMeta, at, clip, parse, str_at};

pub(crate) fn record(index: usize, raw: &Value) -> Record {
    let id = str_at(raw, "/kinesis/sequenceNumber")
        .map(str::to_owned)
        .unwrap_or_else(|| format!("record-{index}"));
    let group = str_at(raw, "/kinesis/partitionKey").map(str::to_owned);
    // aws_lambda_events reads the digits after the point as a count of milliseconds (".5" as
    // 5 ms), and overflows (a panic in debug builds) on more than 13 of them: it is given whole
    // seconds when there are more than 3, and the arrival time is read here.
    let arrival = at(raw, "/kinesis/approximateArrivalTimestamp").and_then(seconds_of);
    // (Whole seconds, the usual case, are written without a point: not formatted to find out.)
    let whole = arrival
        .filter(|s| {
            s.fract() != 0.0
                && s.to_string()
                    .split_once('.')
                    .is_some_and(|(_, f)| f.len() > 3)
        })
        .map(|s| {
            let mut copy = raw.clone();
            if let Some(slot) = copy.pointer_mut("/kinesis/approximateArrivalTimestamp") {
                *slot = json!(s.trunc());
            }
            copy
        });
    // serde would read `kinesis` from an array too, positionally (its first item as the
    // timestamp, unchecked): only an object is a Kinesis record.
    let parsed = match raw.get("kinesis") {
        Some(kinesis) if !kinesis.is_object() => Err(format!(
            "malformed Kinesis record: kinesis: expected an object, found {}",
            clip(kinesis.to_string())
        )),
        _ => parse::<KinesisEventRecord>(whole.as_ref().unwrap_or(raw), "Kinesis"),
    };
    // A string the base64 decoder rejects says only "Invalid symbol 33, offset 0.".
    let input = parsed.map_err(|e| match e.split_once("kinesis.data: ") {
        Some((_, why)) if at(raw, "/kinesis/data").is_some_and(Value::is_string) => {
            format!("malformed Kinesis record: kinesis.data is not base64: {why}")
        }
        _ => e,
    });
    let input = input.map(|r| {
        let payload = Payload::sniff(Bytes::from(r.kinesis.data.0));
        let arrival = arrival.map_or_else(
            || r.kinesis.approximate_arrival_timestamp.0.timestamp_millis() as f64 / 1000.0,
            |s| (s * 1000.0).round() / 1000.0,
        );
        RecordInput {
            view: json!({
                "data": payload.to_json(),
                "partition_key": r.kinesis.partition_key,
                "sequence_number": r.kinesis.sequence_number,
                "arrival_time": arrival,
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

/// A timestamp in seconds: a number, or a number in a string.
fn seconds_of(value: &Value) -> Option<f64> {
    let seconds = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.parse::<f64>().ok()?,
        _ => return None,
    };
    Some(seconds).filter(|s| s.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{recognise, tests::fixture};

    #[test]
    fn data_is_json_text_or_bytes_and_keeps_its_partition_key() {
        let inv = recognise(fixture("kinesis.json"));
        let inputs: Vec<&RecordInput> = inv
            .records
            .iter()
            .map(|r| r.input.as_ref().unwrap())
            .collect();
        assert_eq!(
            inputs[0].payload,
            Payload::Json(json!({"user": "ada", "n": 1}))
        );
        assert_eq!(
            inputs[1].payload,
            Payload::Text("plain text, not JSON".into())
        );
        assert_eq!(
            inputs[2].payload,
            Payload::Binary(Bytes::from_static(&[0xff, 0xfe, 0x00, 0x01]))
        );
        assert_eq!(inputs[2].view["data"], "//4AAQ==");
        assert_eq!(inputs[0].view["partition_key"], "user-ada");
        assert_eq!(inputs[0].view["arrival_time"], 1428537600.0);
        assert_eq!(
            inv.records[0].id,
            "49590338271490256608559692538361571095921575989136588898"
        );
        assert_eq!(inv.records[0].group.as_deref(), Some("user-ada"));
        // The library's own fixture too.
        let lib = recognise(fixture("aws-kinesis-event.json"));
        assert!(lib.records.iter().all(|r| r.input.is_ok()));
    }

    #[test]
    fn data_that_is_not_base64_fails_that_record() {
        let mut event = fixture("kinesis.json");
        event["Records"][1]["kinesis"]["data"] = json!("!!! not base64 !!!");
        let inv = recognise(event);
        assert!(inv.records[0].input.is_ok() && inv.records[2].input.is_ok());
        let err = inv.records[1].input.as_ref().unwrap_err();
        assert!(
            err.contains("malformed Kinesis record") && err.contains("data"),
            "{err}"
        );
        assert_eq!(
            inv.records[1].id,
            "49590338271490256608559692538361571095921575989136588899"
        );
    }
}
