//! Event recognition: any JSON, damaged recorded events and batches of mixed records are
//! recognised as the right source, keep every record, and fail record by record.

use base64::Engine as _;
use lambda_blueprint::events::{Payload, Source, recognise};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Number, Value, json};
use testkit::hostile::{Mutation, any_json, apply, b64, bounded, config, mutation};

use crate::{
    BATCHES, LIMIT, WORDS, alone, check_invocation, expected_records, expected_source, fixture,
    fixture_name,
};

fn recognise_never_panics_on_any_json() {
    proptest!(config(1000), |(event in any_json(WORDS))| {
        let records = event.get("Records").and_then(Value::as_array).cloned();
        let inv = recognise(event);
        check_invocation(&inv)?;
        if let Some(records) = records
            && let Some(source) = expected_source(&records)
        {
            prop_assert_eq!(inv.source, source);
            prop_assert_eq!(inv.records.len(), expected_records(source, &records));
        }
    });
}

fn recognise_never_panics_on_mutated_fixtures() {
    proptest!(config(600), |(
        name in fixture_name(),
        mutations in prop::collection::vec(mutation(WORDS), 1..5),
    )| {
        let mut event = fixture(name);
        for m in &mutations {
            apply(&mut event, m);
        }
        let records = event.get("Records").and_then(Value::as_array).cloned();
        let inv = recognise(event);
        check_invocation(&inv)?;
        if let Some(records) = records
            && let Some(source) = expected_source(&records)
        {
            prop_assert_eq!(inv.source, source);
            prop_assert_eq!(inv.records.len(), expected_records(source, &records));
        }
    });
}

/// One record of a generated batch: a fixture's record as it is, changed in place, or
/// replaced whole by something that is not a record at all.
#[derive(Debug, Clone)]
enum Member {
    Intact(Index),
    Mutated(Index, Vec<Mutation>),
    Replaced(Value),
}

fn member() -> impl Strategy<Value = Member> {
    prop_oneof![
        3 => any::<Index>().prop_map(Member::Intact),
        4 => (any::<Index>(), prop::collection::vec(mutation(WORDS), 1..4))
            .prop_map(|(i, m)| Member::Mutated(i, m)),
        1 => any_json(WORDS).prop_map(Member::Replaced),
    ]
}

fn batches_keep_every_record() {
    proptest!(config(600), |(
        batch in prop::sample::select(&BATCHES[..]),
        members in prop::collection::vec(member(), 1..9),
    )| {
        let (name, source) = batch;
        let originals = fixture(name)["Records"].as_array().cloned().unwrap();
        let records: Vec<Value> = members
            .iter()
            .map(|m| match m {
                Member::Intact(i) => originals[i.index(originals.len())].clone(),
                Member::Mutated(i, mutations) => {
                    let mut r = originals[i.index(originals.len())].clone();
                    for m in mutations {
                        apply(&mut r, m);
                    }
                    r
                }
                Member::Replaced(v) => v.clone(),
            })
            .collect();
        let expected = expected_source(&records);
        let inv = recognise(json!({"Records": records.clone()}));
        check_invocation(&inv)?;
        let Some(expected) = expected else {
            // No record names a known source: the event is a direct invocation.
            prop_assert_eq!(inv.source, Source::Direct);
            prop_assert_eq!(inv.records.len(), 1);
            return Ok(());
        };
        prop_assert_eq!(inv.source, expected);
        // Every record comes out as it does alone, whatever its neighbours are: none dropped,
        // none added (an SQS message or SNS delivery may hold several S3 records, or none).
        let mut at = 0;
        for (i, (m, raw)) in members.iter().zip(&records).enumerate() {
            let want = alone(expected, raw);
            let got = inv.records.get(at..at + want.len());
            prop_assert!(got.is_some(), "record {} was dropped", i);
            for (got, want) in got.unwrap_or_default().iter().zip(&want) {
                // A message without an id is named by its place (`record-N`), here and alone.
                let placeless = |input: &Result<lambda_blueprint::events::RecordInput, String>| {
                    let mut input = input.clone();
                    if let Ok(input) = &mut input
                        && let Some(via) = input.view.get_mut("via").and_then(Value::as_object_mut)
                        && via.get("message_id").and_then(Value::as_str).is_some_and(|id| id.starts_with("record-"))
                    {
                        via.remove("message_id");
                    }
                    input
                };
                prop_assert_eq!(placeless(&got.input), placeless(&want.input), "record {} changed", i);
                prop_assert_eq!(&got.group, &want.group);
                // The same meta, but pointing at its own place in the batch (and a message
                // without an id named by that place).
                let mut meta = want.meta.clone();
                meta.raw_index = Some(i);
                let mut got_meta = got.meta.clone();
                for via in [&mut meta.via, &mut got_meta.via].into_iter().flatten() {
                    if via.message_id.starts_with("record-") {
                        via.message_id.clear();
                    }
                }
                prop_assert_eq!(&got_meta, &meta);
                if !want.id.contains("record-") {
                    prop_assert_eq!(&got.id, &want.id);
                }
                if let Err(message) = &got.input {
                    // S3 records unwrapped from a message say S3.
                    let named = message.contains("S3")
                        || match expected {
                            Source::Kinesis => message.contains("malformed Kinesis record"),
                            Source::Sqs => message.contains("malformed SQS record"),
                            Source::Sns => message.contains("malformed SNS record"),
                            Source::DynamoDb => message.contains("malformed DynamoDB record"),
                            _ => true,
                        };
                    prop_assert!(named, "record {}: an unclear message: {}", i, message);
                }
            }
            if expected == source && matches!(m, Member::Intact(_)) {
                prop_assert!(
                    want.iter().all(|r| r.input.is_ok()),
                    "the fixture's record {} fails alone",
                    i
                );
            }
            at += want.len();
        }
        prop_assert_eq!(at, inv.records.len(), "a record was added");
    });
}

/// Kinesis data of any bytes arrives intact, and data that is not base64 fails that record
/// alone, saying so.
fn kinesis_data_is_decoded_or_rejected_per_record() {
    proptest!(config(400), |(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
        junk in "[ -~]{1,40}",
        timestamp in prop_oneof![
            any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
            any::<u64>().prop_map(Value::from),
            "[0-9.eE+-]{0,24}".prop_map(Value::String),
        ],
    )| {
        let mut event = fixture("kinesis.json");
        event["Records"][0]["kinesis"]["data"] = json!(b64(&bytes));
        event["Records"][1]["kinesis"]["data"] = json!(junk.clone());
        event["Records"][2]["kinesis"]["approximateArrivalTimestamp"] = timestamp;
        let inv = recognise(event);
        check_invocation(&inv)?;
        prop_assert_eq!(inv.records.len(), 3);
        let first = inv.records[0].input.as_ref().unwrap();
        prop_assert_eq!(&first.payload, &Payload::sniff(bytes.clone().into()));
        let decodable = base64::engine::general_purpose::STANDARD.decode(&junk).is_ok();
        match &inv.records[1].input {
            Ok(_) => prop_assert!(decodable, "{:?} was taken as base64", junk),
            Err(e) => {
                prop_assert!(!decodable);
                prop_assert!(e.contains("base64") && e.contains("kinesis.data"), "{}", e);
            }
        }
        if let Err(e) = &inv.records[2].input {
            prop_assert!(e.contains("approximateArrivalTimestamp"), "{}", e);
        }
    });
}

#[test]
fn recognise_any_json() {
    bounded(LIMIT, recognise_never_panics_on_any_json);
}

#[test]
fn recognise_mutated_fixtures() {
    bounded(LIMIT, recognise_never_panics_on_mutated_fixtures);
}

#[test]
fn recognise_batches_keep_every_record() {
    bounded(LIMIT, batches_keep_every_record);
}

#[test]
fn recognise_kinesis_data() {
    bounded(LIMIT, kinesis_data_is_decoded_or_rejected_per_record);
}
