//! Insights reported and listed; errors logs are for the owner.

use serde_json::json;

use crate::{ALICE, Api, BOB, start};

#[test]
fn insights_are_stored_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let alice = Api::new(&server, ALICE);
    let stored = alice.post(
        "/v1/insights",
        json!([{"insight_key": "cats_in_image", "insight_value": "4"},
               {"insight_key": "score", "insight_value": {"p": 0.9}}]),
    );
    assert_eq!(stored.status, 200, "{}", stored.text);
    // The official clients report from inside an algorithm, without a key.
    let anonymous = reqwest::blocking::Client::new()
        .post(format!("{}/v1/insights", alice.base))
        .json(&json!([{"insight_key": "anon", "insight_value": 1}]))
        .send()
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 200);

    let listed = alice.get("/v1/local/insights").json["results"].clone();
    assert_eq!(listed.as_array().unwrap().len(), 3);
    assert_eq!(listed[0]["insight_key"], "cats_in_image");
    assert_eq!(listed[0]["insight_value"], "4");
    assert_eq!(listed[0]["username"], "alice");
    assert_eq!(listed[1]["insight_value"]["p"], 0.9);
    assert!(listed[2]["username"].is_null());

    let too_many: Vec<_> = (0..26)
        .map(|i| json!({"insight_key": format!("k{i}"), "insight_value": i}))
        .collect();
    assert_eq!(alice.post("/v1/insights", json!(too_many)).status, 400);
    assert_eq!(
        alice
            .post("/v1/insights", json!({"insight_key": "k"}))
            .status,
        400
    );
}

#[test]
fn errors_logs_are_listed_for_owners_only() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let alice = Api::new(&server, ALICE);
    let id = alice.create("alice", "Flaky")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let by_name = alice.get("/v1/algorithms/alice/Flaky/errors");
    assert_eq!(by_name.status, 200);
    assert_eq!(by_name.json, json!([]));
    assert_eq!(
        alice.get(&format!("/v1/algorithms/{id}/errors")).json,
        json!([])
    );
    assert_eq!(alice.get("/v1/users/alice/errors").json, json!([]));

    let bob = Api::new(&server, BOB);
    let refused = bob.get("/v1/algorithms/alice/Flaky/errors");
    assert_eq!((refused.status, refused.code()), (403, Some(2001)));
    let refused = bob.get("/v1/users/alice/errors");
    assert_eq!((refused.status, refused.code()), (403, Some(2001)));
    let unknown = bob.get("/v1/users/nobody/errors");
    assert_eq!((unknown.status, unknown.code()), (404, Some(3000)));
}
