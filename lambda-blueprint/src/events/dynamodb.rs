//! DynamoDB Streams: images as plain JSON, ordered by item key.

use std::collections::HashMap;

use aws_lambda_events::event::dynamodb::EventRecord;
use serde_dynamo::AttributeValue;
use serde_json::{Map, Number, Value, json};

use super::{Payload, Record, RecordInput, RecordMeta, parse, str_at};
use crate::encoding::to_base64;

/// A DynamoDB number as JSON: a number when that is exact, else the original string.
fn number(text: &str) -> Value {
    if let Ok(i) = text.parse::<i64>() {
        return Value::Number(i.into());
    }
    if let Ok(u) = text.parse::<u64>() {
        return Value::Number(u.into());
    }
    // Up to 15 significant digits survive a round trip through f64 exactly, when it is normal
    // (subnormals have fewer digits, and underflow is 0).
    let digits = text
        .trim_start_matches(['-', '+'])
        .split(['e', 'E'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>();
    let significant = digits.trim_start_matches('0').trim_end_matches('0').len();
    match text.parse::<f64>() {
        Ok(f) if (f.is_normal() || significant == 0) && f.is_finite() && significant <= 15 => {
            Number::from_f64(f).map_or_else(|| Value::String(text.to_owned()), Value::Number)
        }
        _ => Value::String(text.to_owned()),
    }
}

fn attribute(value: &AttributeValue) -> Value {
    let b64 = |b: &[u8]| Value::String(to_base64(b));
    match value {
        AttributeValue::N(n) => number(n),
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::B(b) => b64(b),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::M(m) => map(m),
        AttributeValue::L(l) => Value::Array(l.iter().map(attribute).collect()),
        AttributeValue::Ss(s) => json!(s),
        AttributeValue::Ns(n) => Value::Array(n.iter().map(|n| number(n)).collect()),
        AttributeValue::Bs(b) => Value::Array(b.iter().map(|b| b64(b)).collect()),
    }
}

fn map(m: &HashMap<String, AttributeValue>) -> Value {
    Value::Object(
        m.iter()
            .map(|(k, v)| (k.clone(), attribute(v)))
            .collect::<Map<_, _>>(),
    )
}

/// A DynamoDB item as plain JSON: binary as base64 strings, sets as arrays, numbers as JSON
/// numbers when exact and strings otherwise.
pub fn item_to_json(item: &serde_dynamo::Item) -> Value {
    map(item)
}

pub(crate) fn record(index: usize, raw: &Value) -> Record {
    let id = str_at(raw, "/dynamodb/SequenceNumber")
        .map(str::to_owned)
        .unwrap_or_else(|| format!("record-{index}"));
    let parsed = parse::<EventRecord>(raw, "DynamoDB");
    // The item key, as canonical JSON (object keys sorted), orders the item's changes.
    let group = parsed
        .as_ref()
        .ok()
        .map(|r| item_to_json(&r.change.keys).to_string());
    let input = parsed.map(|r| {
        let view = json!({
            "event_name": r.event_name,
            "keys": item_to_json(&r.change.keys),
            "new_image": item_to_json(&r.change.new_image),
            "old_image": item_to_json(&r.change.old_image),
            "sequence_number": r.change.sequence_number,
        });
        RecordInput {
            payload: Payload::Json(view.clone()),
            view,
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
    fn numbers_are_numbers_only_when_exact() {
        assert_eq!(number("42"), json!(42));
        assert_eq!(number("-7"), json!(-7));
        assert_eq!(
            number("18446744073709551615"),
            json!(18446744073709551615u64)
        );
        assert_eq!(number("3.25"), json!(3.25));
        assert_eq!(number("1e3"), json!(1000.0));
        assert_eq!(
            number("123456789012345678901234567890"),
            json!("123456789012345678901234567890")
        );
        assert_eq!(
            number("0.1234567890123456789"),
            json!("0.1234567890123456789")
        );
    }

    #[test]
    fn every_attribute_type_becomes_plain_json() {
        let inv = recognise(fixture("dynamodb.json"));
        let view = &inv.records[0].input.as_ref().unwrap().view;
        assert_eq!(view["event_name"], "INSERT");
        assert_eq!(view["keys"], json!({"id": "item-1"}));
        let image = &view["new_image"];
        assert_eq!(image["id"], "item-1");
        assert_eq!(image["count"], 3);
        assert_eq!(image["price"], 19.99);
        assert_eq!(image["huge"], "12345678901234567890123456789");
        assert_eq!(image["active"], true);
        assert_eq!(image["nothing"], Value::Null);
        assert_eq!(image["blob"], "AAEC/w==");
        assert_eq!(image["tags"], json!(["a", "b"]));
        assert_eq!(image["scores"], json!([1, 2.5]));
        assert_eq!(image["blobs"], json!(["AQ==", "Ag=="]));
        assert_eq!(image["nested"], json!({"list": [1, "two", {"deep": true}]}));
        assert_eq!(view["old_image"], json!({}));
        assert_eq!(inv.records[0].group.as_deref(), Some(r#"{"id":"item-1"}"#));
        assert_eq!(
            inv.records[1].input.as_ref().unwrap().view["event_name"],
            "MODIFY"
        );
        assert_eq!(
            inv.records[2].input.as_ref().unwrap().view["event_name"],
            "REMOVE"
        );
        assert_eq!(inv.records[0].id, "111");
        // The library's fixture has binary attributes, which serde_dynamo alone cannot convert.
        let lib = recognise(fixture("aws-dynamodb-event.json"));
        assert!(lib.records.iter().all(|r| r.input.is_ok()));
    }
}
