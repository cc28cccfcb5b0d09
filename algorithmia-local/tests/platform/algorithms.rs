//! Creating, reading, updating, deleting and listing algorithms, and who may.

use serde_json::json;

use crate::{ALICE, Api, BOB, CAROL, start};

#[test]
fn an_algorithm_is_created_read_updated_listed_and_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let alice = Api::new(&server, ALICE);

    let created = alice.create("alice", "Greeter");
    assert_eq!(created["name"], "Greeter");
    assert_eq!(created["resource_type"], "algorithm");
    assert_eq!(created["details"]["label"], "The Greeter");
    assert_eq!(created["settings"]["license"], "mit");
    assert_eq!(created["settings"]["language"], "python3");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 36);
    assert!(
        created["self_link"]
            .as_str()
            .unwrap()
            .ends_with("/v1/algorithms/alice/Greeter")
    );

    let got = alice.get("/v1/algorithms/alice/Greeter");
    assert_eq!(got.status, 200);
    assert_eq!(got.json["id"], id.as_str());
    assert_eq!(
        alice.get(&format!("/v1/algorithms/{id}")).json["name"],
        "Greeter"
    );

    let updated = alice.put(
        "/v1/algorithms/alice/Greeter",
        json!({"details": {"summary": "says hello"}, "settings": {"license": "apl"}}),
    );
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(updated.json["details"]["summary"], "says hello");
    assert_eq!(updated.json["details"]["label"], "The Greeter");
    assert_eq!(updated.json["settings"]["license"], "apl");

    alice.create("alice", "Another");
    let listed = alice.get("/v1/users/alice/algorithms?limit=1");
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json["results"][0]["name"], "Another");
    let marker = listed.json["marker"].as_str().unwrap();
    let next = alice.get(&format!(
        "/v1/users/alice/algorithms?limit=1&marker={marker}"
    ));
    assert_eq!(next.json["results"][0]["name"], "Greeter");
    assert!(next.json["marker"].is_null());

    let deleted = alice.delete("/v1/algorithms/alice/Greeter");
    assert_eq!(deleted.status, 204);
    let gone = alice.get("/v1/algorithms/alice/Greeter");
    assert_eq!((gone.status, gone.code()), (404, Some(1000)));
}

#[test]
fn names_duplicates_and_bodies_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let alice = Api::new(&server, ALICE);
    alice.create("alice", "Taken");
    let again = alice.post("/v1/algorithms/alice", json!({"name": "Taken"}));
    assert_eq!(again.status, 409);
    assert!(again.text.contains("already exists"), "{}", again.text);
    for bad in ["1abc", "_x", "has-dash", "has space", ""] {
        let answer = alice.post("/v1/algorithms/alice", json!({"name": bad}));
        assert_eq!(answer.status, 400, "{bad}: {}", answer.text);
    }
    let no_name = alice.post("/v1/algorithms/alice", json!({"details": {}}));
    assert_eq!(no_name.status, 400);
    let bad_details = alice.post("/v1/algorithms/alice", json!({"name": "X", "details": 3}));
    assert_eq!(bad_details.status, 400);
}

#[test]
fn only_owners_and_org_members_manage_an_algorithm() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let (alice, bob, carol) = (
        Api::new(&server, ALICE),
        Api::new(&server, BOB),
        Api::new(&server, CAROL),
    );
    alice.create("alice", "Mine");

    let create_for_alice = bob.post("/v1/algorithms/alice", json!({"name": "Sneaky"}));
    assert_eq!(
        (create_for_alice.status, create_for_alice.code()),
        (403, Some(2001))
    );
    let update = bob.put(
        "/v1/algorithms/alice/Mine",
        json!({"details": {"label": "x"}}),
    );
    assert_eq!((update.status, update.code()), (403, Some(2001)));
    let delete = bob.delete("/v1/algorithms/alice/Mine");
    assert_eq!((delete.status, delete.code()), (403, Some(2001)));
    let scm = bob.get("/v1/algorithms/alice/Mine/scm/status");
    assert_eq!((scm.status, scm.code()), (403, Some(2001)));
    assert_eq!(
        alice.get("/v1/algorithms/alice/Mine/scm/status").json["scm_connection_status"],
        "active"
    );

    // An organisation's members manage its algorithms; others do not.
    carol.create("acme", "Shared");
    let by_bob = bob.put(
        "/v1/algorithms/acme/Shared",
        json!({"details": {"label": "x"}}),
    );
    assert_eq!(by_bob.code(), Some(2001));
    let by_bob = bob.post("/v1/algorithms/acme", json!({"name": "Other"}));
    assert_eq!(by_bob.code(), Some(2001));

    let unknown = bob.get("/v1/algorithms/alice/Nothing");
    assert_eq!((unknown.status, unknown.code()), (404, Some(1000)));
    let unknown = bob.put("/v1/algorithms/alice/Nothing", json!({}));
    assert_eq!((unknown.status, unknown.code()), (404, Some(1000)));

    let stranger = Api::new(&server, "simNobody");
    let refused = stranger.get("/v1/algorithms/alice/Mine");
    assert_eq!((refused.status, refused.code()), (401, Some(2002)));
}

#[test]
fn compiling_without_a_builder_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let server = crate::builder(dir.path()).platform(false).start().unwrap();
    let alice = Api::new(&server, ALICE);
    alice.create("alice", "Unbuilt");
    let answer = alice.post("/v1/algorithms/alice/Unbuilt/compile", json!({}));
    assert_eq!(answer.status, 503, "{}", answer.text);
    assert!(answer.text.contains("no builder"), "{}", answer.text);
    let bob = Api::new(&server, BOB);
    assert_eq!(
        bob.post("/v1/algorithms/alice/Unbuilt/compile", json!({}))
            .code(),
        Some(2001)
    );
}
