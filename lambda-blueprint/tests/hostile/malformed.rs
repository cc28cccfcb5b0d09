//! Malformed events, one by one: truncated bodies, wrong types, data that is not base64, odd
//! arrival times, 6 MB records and `kinesis` given as an array.

use std::time::{Duration, Instant};

use lambda_blueprint::events::{Invocation, Payload, Source, recognise};
use serde_json::{Value, json};
use testkit::hostile::{b64, bounded};

use crate::{LIMIT, MAX_MESSAGE, fixture};

fn errors(inv: &Invocation) -> Vec<(usize, &str)> {
    inv.records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.input.as_ref().err().map(|e| (i, e.as_str())))
        .collect()
}

#[test]
fn a_truncated_json_body_is_text_in_sqs_and_an_error_in_api_gateway() {
    let mut event = fixture("sqs-fifo.json");
    let body = event["Records"][0]["body"].as_str().unwrap().to_owned();
    let cut = &body[..body.len() / 2];
    event["Records"][0]["body"] = json!(cut);
    let inv = recognise(event);
    assert_eq!(inv.records.len(), 3);
    // An SQS body is any text: JSON when it parses, else text as it is.
    assert_eq!(
        inv.records[0].input.as_ref().unwrap().payload,
        Payload::Text(cut.to_owned())
    );
    assert!(errors(&inv).is_empty());

    for name in ["apigw-http.json", "apigw-rest.json"] {
        let mut event = fixture(name);
        event["headers"] = json!({"content-type": "application/json"});
        event["body"] = json!(r#"{"message": "hi", "la"#);
        let inv = recognise(event);
        let err = inv.records[0].input.as_ref().unwrap_err();
        assert!(err.contains("not valid JSON"), "{name}: {err}");
    }
}

#[test]
fn wrong_types_fail_their_record_alone() {
    let mut event = fixture("kinesis.json");
    event["Records"][1]["kinesis"]["data"] = json!(42);
    let inv = recognise(event);
    assert_eq!(inv.records.len(), 3);
    let errs = errors(&inv);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].0, 1);
    assert!(
        errs[0].1.contains("kinesis.data") && errs[0].1.contains("invalid type"),
        "{}",
        errs[0].1
    );

    // `Records` that is not an array: a direct invocation of the event as it is.
    let inv = recognise(json!({"Records": "x"}));
    assert_eq!(inv.source, Source::Direct);
    assert_eq!(inv.records.len(), 1);

    // Records that are not objects, next to one that names the source: each fails alone.
    let real = fixture("sqs-fifo.json")["Records"][0].clone();
    let inv = recognise(json!({"Records": [42, "x", null, real, [], {}]}));
    assert_eq!(inv.source, Source::Sqs);
    assert_eq!(inv.records.len(), 6);
    assert!(inv.records[3].input.is_ok());
    for i in [0, 1, 2, 4] {
        let err = inv.records[i].input.as_ref().unwrap_err();
        assert!(err.contains("malformed SQS record"), "{i}: {err}");
        assert_eq!(inv.records[i].id, format!("record-{i}"));
    }

    // A first record without its eventSource does not hide the batch.
    let mut event = fixture("kinesis.json");
    event["Records"][0]
        .as_object_mut()
        .unwrap()
        .remove("eventSource");
    event["Records"][0]["kinesis"]["sequenceNumber"] = json!(7);
    let inv = recognise(event);
    assert_eq!(inv.source, Source::Kinesis);
    assert_eq!(inv.records.len(), 3);
    let err = inv.records[0].input.as_ref().unwrap_err();
    assert!(err.contains("kinesis.sequenceNumber"), "{err}");
    assert!(inv.records[1].input.is_ok() && inv.records[2].input.is_ok());

    // Wrong types in S3, SNS and DynamoDB records.
    let mut event = fixture("s3-put.json");
    event["Records"][0]["s3"]["object"]["size"] = json!("big");
    let err = recognise(event).records[0].input.clone().unwrap_err();
    assert!(err.contains("s3.object.size"), "{err}");
    let mut event = fixture("sns.json");
    event["Records"][0]["Sns"] = json!([1, 2]);
    let err = recognise(event).records[0].input.clone().unwrap_err();
    assert!(
        err.contains("malformed SNS record") && err.contains("Sns"),
        "{err}"
    );
    let mut event = fixture("dynamodb.json");
    event["Records"][0]["dynamodb"]["NewImage"]["count"] = json!({"N": 3});
    let inv = recognise(event);
    let err = inv.records[0].input.as_ref().unwrap_err();
    assert!(err.contains("dynamodb.NewImage"), "{err}");
    assert!(inv.records[1].input.is_ok());
}

#[test]
fn a_kinesis_record_that_is_not_base64_fails_alone() {
    let mut event = fixture("kinesis.json");
    event["Records"][1]["kinesis"]["data"] = json!("this is not base64!");
    let inv = recognise(event);
    assert_eq!(inv.records.len(), 3);
    let err = inv.records[1].input.as_ref().unwrap_err();
    assert!(
        err.contains("malformed Kinesis record") && err.contains("not base64"),
        "{err}"
    );
    assert_eq!(
        inv.records[1].id,
        "49590338271490256608559692538361571095921575989136588899"
    );
    assert!(inv.records[0].input.is_ok() && inv.records[2].input.is_ok());
}

#[test]
fn kinesis_arrival_times_keep_their_milliseconds_and_never_overflow() {
    for (timestamp, want) in [
        (json!(1480641523.5), json!(1480641523.5)),
        (json!(1480641523.47), json!(1480641523.47)),
        (json!(1480641523.477), json!(1480641523.477)),
        (json!("1480641523.25"), json!(1480641523.25)),
        (json!(1480641523), json!(1480641523.0)),
        // More digits than aws_lambda_events can take (it overflowed on these).
        (json!(1.1234567890123457), json!(1.123)),
        (json!(1e-20), json!(0.0)),
        (json!("0.00000000000000000001"), json!(0.0)),
    ] {
        let mut event = fixture("kinesis.json");
        event["Records"][0]["kinesis"]["approximateArrivalTimestamp"] = timestamp.clone();
        let inv = recognise(event);
        let view = &inv.records[0].input.as_ref().unwrap().view;
        assert_eq!(view["arrival_time"], want, "{timestamp}");
    }
    for bad in [json!(-1.5), json!("soon"), json!(null), json!([1])] {
        let mut event = fixture("kinesis.json");
        event["Records"][0]["kinesis"]["approximateArrivalTimestamp"] = bad.clone();
        let err = recognise(event).records[0].input.clone().unwrap_err();
        assert!(err.contains("approximateArrivalTimestamp"), "{bad}: {err}");
    }
}

const SIX_MB: usize = 6 * 1024 * 1024;

#[test]
fn six_megabyte_records_are_handled_and_leave_the_others_intact() {
    bounded(LIMIT, || {
        let started = Instant::now();
        // Kinesis: 6 MB of base64 (4.5 MB of bytes), as binary and as a JSON document.
        let bytes: Vec<u8> = (0..SIX_MB / 4 * 3)
            .map(|i| (i * 7 + i / 13) as u8)
            .collect();
        let mut doc = String::from("[");
        while doc.len() < SIX_MB / 4 * 3 - 20 {
            doc.push_str("{\"k\":\"vvvvvvvvvvvv\",\"n\":12345},");
        }
        doc.push_str("null]");
        let mut event = fixture("kinesis.json");
        event["Records"][0]["kinesis"]["data"] = json!(b64(&bytes));
        event["Records"][1]["kinesis"]["data"] = json!(b64(doc.as_bytes()));
        let inv = recognise(event);
        assert_eq!(inv.records.len(), 3);
        assert!(errors(&inv).is_empty(), "{:?}", errors(&inv));
        let Payload::Binary(data) = &inv.records[0].input.as_ref().unwrap().payload else {
            panic!("binary data is binary");
        };
        assert_eq!(data.len(), bytes.len());
        assert!(matches!(
            &inv.records[1].input.as_ref().unwrap().payload,
            Payload::Json(Value::Array(items)) if items.len() > 100_000
        ));

        // 6 MB that is not base64: a short, clear error for that record only.
        let mut event = fixture("kinesis.json");
        event["Records"][1]["kinesis"]["data"] = json!("#".repeat(SIX_MB));
        let inv = recognise(event);
        let errs = errors(&inv);
        assert_eq!(errs.len(), 1);
        assert!(
            errs[0].1.contains("not base64") && errs[0].1.len() < 200,
            "{}",
            errs[0].1
        );

        // SQS and SNS: a 6 MB body or message.
        let mut event = fixture("sqs-fifo.json");
        event["Records"][1]["body"] = json!("x".repeat(SIX_MB));
        let inv = recognise(event);
        assert!(errors(&inv).is_empty());
        assert_eq!(
            inv.records[1].input.as_ref().unwrap().payload,
            Payload::Text("x".repeat(SIX_MB))
        );
        let mut event = fixture("sns.json");
        event["Records"][0]["Sns"]["Message"] = json!(doc);
        assert!(recognise(event).records[0].input.is_ok());

        // A 6 MB value where a number belongs: the error does not repeat it.
        let mut event = fixture("s3-put.json");
        event["Records"][0]["s3"]["object"]["size"] = json!("9".repeat(SIX_MB));
        let inv = recognise(event);
        let err = inv.records[0].input.as_ref().unwrap_err();
        assert!(
            err.contains("s3.object.size") && err.len() <= MAX_MESSAGE,
            "{} bytes",
            err.len()
        );
        assert!(inv.records[1].input.is_ok() && inv.records[2].input.is_ok());

        // API Gateway: a 6 MB body, base64 and JSON.
        let mut event = fixture("function-url.json");
        event["body"] = json!(b64(&bytes[..SIX_MB / 2]));
        assert!(recognise(event).records[0].input.is_ok());
        let mut event = fixture("apigw-http.json");
        event["body"] = json!(doc);
        assert!(recognise(event).records[0].input.is_ok());

        // DynamoDB: a 6 MB string attribute.
        let mut event = fixture("dynamodb.json");
        event["Records"][0]["dynamodb"]["NewImage"]["id"] = json!({"S": "s".repeat(SIX_MB)});
        let inv = recognise(event);
        assert!(errors(&inv).is_empty());

        assert!(
            started.elapsed() < Duration::from_secs(60),
            "6 MB records took {:?}",
            started.elapsed()
        );
    });
}

/// serde reads a struct from an array too, positionally: a `kinesis` array (whose first item
/// would be taken, unchecked, as the timestamp and overflow the library) fails its record alone.
#[test]
fn kinesis_records_given_as_arrays_fail_alone() {
    let tiny = json!(2.1249901236573898e-123);
    for value in [json!([tiny]), json!([tiny, "SGVsbG8="]), json!([])] {
        let mut event = fixture("aws-kinesis-event.json");
        event["Records"][0]["kinesis"] = value.clone();
        let inv = recognise(event);
        assert_eq!(inv.records.len(), 2, "{value}");
        let message = inv.records[0].input.clone().unwrap_err();
        assert!(
            message.contains("kinesis: expected an object"),
            "{value}: {message}"
        );
        assert!(inv.records[1].input.is_ok());
    }
}
