//! DynamoDB images: any item converts to JSON exactly (every number to the same number, or
//! its text), and any image in the stream's wire format, damaged or not, fails its record alone.

use std::collections::HashMap;

use lambda_blueprint::events::{item_to_json, recognise};
use proptest::prelude::*;
use serde_dynamo::AttributeValue;
use serde_json::{Map, Value, json};
use testkit::hostile::{apply, b64, bounded, config, key, mutation, short_string};

use crate::{LIMIT, WORDS, check_invocation, fixture};

/// DynamoDB number text: valid numbers of every size, and text that only looks like one.
fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| f.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
        (
            "-?[0-9]{1,40}",
            "[0-9]{0,40}",
            prop::option::of(-400i32..400)
        )
            .prop_map(|(i, f, e)| {
                let mut s = if f.is_empty() { i } else { format!("{i}.{f}") };
                if let Some(e) = e {
                    s.push_str(&format!("e{e}"));
                }
                s
            }),
        "[0-9.eE+-]{0,12}",
        "[0-9]{1000,5000}",
        short_string(WORDS),
    ]
}

fn attribute() -> impl Strategy<Value = AttributeValue> {
    let leaf = prop_oneof![
        number_text().prop_map(AttributeValue::N),
        short_string(WORDS).prop_map(AttributeValue::S),
        any::<bool>().prop_map(AttributeValue::Bool),
        prop::collection::vec(any::<u8>(), 0..64).prop_map(AttributeValue::B),
        any::<bool>().prop_map(AttributeValue::Null),
        prop::collection::vec(short_string(WORDS), 0..5).prop_map(AttributeValue::Ss),
        prop::collection::vec(number_text(), 0..5).prop_map(AttributeValue::Ns),
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..16), 0..5)
            .prop_map(AttributeValue::Bs),
    ];
    leaf.prop_recursive(6, 128, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(AttributeValue::L),
            prop::collection::hash_map(key(WORDS), inner, 0..6).prop_map(AttributeValue::M),
        ]
    })
}

fn item() -> impl Strategy<Value = serde_dynamo::Item> {
    prop::collection::hash_map(key(WORDS), attribute(), 0..8).prop_map(serde_dynamo::Item::from)
}

/// A decimal number as (negative, significant digits, exponent), zero as (false, "0", 0).
fn decimal(text: &str) -> Option<(bool, String, i64)> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = match rest.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i64>().ok()?),
        None => (rest, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.len() + frac.len() == 0 || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let digits = format!("{int}{frac}");
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Some((false, "0".into(), 0));
    }
    let significant = digits.trim_end_matches('0');
    let exponent = exponent - frac.len() as i64 + (digits.len() - significant.len()) as i64;
    Some((negative, significant.to_owned(), exponent))
}

/// The JSON a number attribute became is the same number exactly, or the text itself.
fn check_number(text: &str, got: &Value) -> Result<(), TestCaseError> {
    match got {
        Value::Number(n) => prop_assert_eq!(
            decimal(&n.to_string()),
            decimal(text),
            "{:?} became {}",
            text,
            n
        ),
        Value::String(s) => {
            prop_assert_eq!(s, text);
            // Integers that fit 64 bits, and short decimals, are numbers.
            let short_decimal = text
                .split_once('.')
                .is_some_and(|(i, f)| i.len() <= 10 && f.len() <= 4 && f.parse::<u16>().is_ok())
                && text.parse::<f64>().is_ok();
            prop_assert!(
                text.parse::<i64>().is_err() && text.parse::<u64>().is_err() && !short_decimal,
                "{:?} stayed a string",
                text
            );
        }
        other => prop_assert!(false, "{:?} became {}", text, other),
    }
    Ok(())
}

/// The image converted by hand, checking every number on the way.
fn check_attribute(a: &AttributeValue, got: &Value) -> Result<(), TestCaseError> {
    match (a, got) {
        (AttributeValue::N(n), got) => check_number(n, got)?,
        (AttributeValue::S(s), Value::String(g)) => prop_assert_eq!(s, g),
        (AttributeValue::Bool(b), Value::Bool(g)) => prop_assert_eq!(b, g),
        (AttributeValue::B(b), Value::String(g)) => prop_assert_eq!(&b64(b), g),
        (AttributeValue::Null(_), Value::Null) => {}
        (AttributeValue::Ss(s), Value::Array(g)) => {
            prop_assert_eq!(&json!(s), &Value::Array(g.clone()))
        }
        (AttributeValue::Ns(ns), Value::Array(g)) => {
            prop_assert_eq!(ns.len(), g.len());
            for (n, g) in ns.iter().zip(g) {
                check_number(n, g)?;
            }
        }
        (AttributeValue::Bs(bs), Value::Array(g)) => {
            prop_assert_eq!(bs.len(), g.len());
            for (b, g) in bs.iter().zip(g) {
                prop_assert_eq!(&json!(b64(b)), g);
            }
        }
        (AttributeValue::L(l), Value::Array(g)) => {
            prop_assert_eq!(l.len(), g.len());
            for (a, g) in l.iter().zip(g) {
                check_attribute(a, g)?;
            }
        }
        (AttributeValue::M(m), Value::Object(g)) => check_map(m, g)?,
        (a, got) => prop_assert!(false, "{:?} became {}", a, got),
    }
    Ok(())
}

fn check_map(
    m: &HashMap<String, AttributeValue>,
    got: &Map<String, Value>,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(m.len(), got.len());
    for (k, a) in m {
        let Some(g) = got.get(k) else {
            return Err(TestCaseError::fail(format!("{k:?} is missing")));
        };
        check_attribute(a, g)?;
    }
    Ok(())
}

fn item_to_json_is_exact_and_valid_json() {
    proptest!(config(500), |(item in item())| {
        let json = item_to_json(&item);
        let Value::Object(map) = &json else {
            return Err(TestCaseError::fail("an item is an object"));
        };
        check_map(&item, map)?;
        // Valid JSON text, read back as the same value (serde_json's float parser may be one
        // unit in the last place off, without its `float_roundtrip` feature).
        let text = serde_json::to_string(&json).unwrap();
        let back = serde_json::from_str::<Value>(&text).unwrap();
        prop_assert!(same_json(&back, &json), "{} read back as {}", json, back);
    });
}

fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            x == y || (x - y).abs() <= f64::EPSILON * x.abs().max(y.abs())
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// An item in DynamoDB's wire format, as a stream record carries it, with random damage.
fn dynamodb_records_from_the_wire_never_panic() {
    proptest!(config(400), |(
        new_image in item(),
        mutations in prop::collection::vec(mutation(WORDS), 0..3),
    )| {
        let mut wire = serde_json::to_value(&new_image).unwrap();
        for m in &mutations {
            apply(&mut wire, m);
        }
        let mut event = fixture("dynamodb.json");
        event["Records"][1]["dynamodb"]["NewImage"] = wire;
        let inv = recognise(event);
        check_invocation(&inv)?;
        prop_assert_eq!(inv.records.len(), 3);
        prop_assert!(inv.records[0].input.is_ok() && inv.records[2].input.is_ok());
        match &inv.records[1].input {
            Ok(input) if mutations.is_empty() => {
                prop_assert_eq!(&input.view["new_image"], &item_to_json(&new_image));
            }
            Ok(_) => {}
            Err(e) => {
                prop_assert!(!mutations.is_empty(), "an intact image failed: {}", e);
                prop_assert!(e.contains("malformed DynamoDB record"), "{}", e);
            }
        }
    });
}

#[test]
fn dynamodb_item_to_json() {
    bounded(LIMIT, item_to_json_is_exact_and_valid_json);
}

#[test]
fn dynamodb_wire_images() {
    bounded(LIMIT, dynamodb_records_from_the_wire_never_panic);
}

#[test]
fn dynamodb_numbers_at_the_edges() {
    let item: serde_dynamo::Item = HashMap::from(
        [
            "0",
            "-0",
            "-0.0",
            "1e-400",
            "1e400",
            "1e-320",
            "1.5e-310",
            "1.23456789012345e-320",
            "2.2250738585072014e-308",
            "1.7976931348623157e308",
            "99999999999999999999",
            "-9223372036854775809",
            ".5",
            "5.",
            "+7",
            "NaN",
            "inf",
            "-infinity",
            "1_000",
            " 1",
            "1e",
            "e1",
            "--1",
            "",
        ]
        .map(|n| (n.to_owned(), AttributeValue::N(n.to_owned()))),
    )
    .into();
    let json = item_to_json(&item);
    for (text, got) in json.as_object().unwrap() {
        check_number(text, got).unwrap_or_else(|e| panic!("{e}"));
    }
}
