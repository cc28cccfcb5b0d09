//! The bodies a hostile server sends: the API's recorded envelopes, damaged in their structure
//! or their bytes, random JSON in the API's words, and random bytes.

use proptest::prelude::*;
use serde_json::Value;
use testkit::hostile::{any_json, apply, byte_damage, damage, mutation};

use crate::WORDS;

macro_rules! golden {
    ($($name:literal),* $(,)?) => {
        [$(($name, include_str!(concat!("../fixtures/", $name)))),*]
    };
}

/// The recorded envelopes of the API.
pub const GOLDEN: [(&str, &str); 12] = golden![
    "algo_async_bool.json",
    "algo_async_void.json",
    "algo_failure.json",
    "algo_success_binary.json",
    "algo_success_json.json",
    "algo_success_json_object.json",
    "algo_success_stdout.json",
    "algo_success_text.json",
    "algo_success_void.json",
    "api_error_not_found.json",
    "api_error_string.json",
    "api_error_unauthorized.json",
];

/// A body: random bytes, random JSON, or a golden envelope damaged in its structure or bytes.
pub fn body() -> impl Strategy<Value = Vec<u8>> {
    let golden = prop::sample::select(&GOLDEN[..]).prop_map(|(_, text)| text);
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..256),
        2 => any_json(WORDS).prop_map(|v| v.to_string().into_bytes()),
        1 => golden.clone().prop_map(|t| t.as_bytes().to_vec()),
        4 => (golden.clone(), prop::collection::vec(mutation(WORDS), 1..4)).prop_map(|(t, ms)| {
            let mut v: Value = serde_json::from_str(t).unwrap();
            for m in &ms {
                apply(&mut v, m);
            }
            v.to_string().into_bytes()
        }),
        2 => (golden, prop::collection::vec(byte_damage(), 1..4)).prop_map(|(t, ds)| {
            let mut b = t.as_bytes().to_vec();
            for d in &ds {
                damage(&mut b, d);
            }
            b
        }),
    ]
}
