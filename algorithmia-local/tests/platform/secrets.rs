//! Secrets: created, listed, updated and deleted by the owner, by id or by name, and never shown.

use serde_json::json;

use crate::{ALICE, Api, BOB, start};

const VALUE: &str = "s3cr3t-value-never-shown";
const NEW_VALUE: &str = "an0ther-value-never-shown";

#[test]
fn secrets_are_managed_by_the_owner_and_their_values_never_answered() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let alice = Api::new(&server, ALICE);
    let bob = Api::new(&server, BOB);
    let id = alice.create("alice", "Secretive")["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let providers = alice.get("/v1/secret-provider");
    let provider = providers.json[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(providers.json[0]["isDefault"], true);

    let created = alice.post(
        &format!("/v1/algorithms/{id}/secrets"),
        json!({
            "owner_type": "algorithm", "owner_id": id, "short_name": "API_TOKEN",
            "provider_id": provider, "secret_key": "API_TOKEN", "secret_value": VALUE,
            "description": "a token",
        }),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let secret_id = created.json["id"].as_str().unwrap().to_owned();
    assert_eq!(created.json["short_name"], "API_TOKEN");

    let duplicate = alice.post(
        "/v1/algorithms/alice/Secretive/secrets",
        json!({"short_name": "API_TOKEN", "secret_value": "x"}),
    );
    assert_eq!(duplicate.status, 409);
    for bad in ["1ABC", "HAS-DASH", "A B", ""] {
        let refused = alice.post(
            "/v1/algorithms/alice/Secretive/secrets",
            json!({"short_name": bad, "secret_value": "x"}),
        );
        assert_eq!(refused.status, 400, "{bad}");
    }

    let listed = alice.get(&format!("/v1/algorithms/{id}/secrets"));
    assert_eq!(listed.json["results"][0]["id"], secret_id.as_str());
    let by_name = alice.get("/v1/algorithms/alice/Secretive/secrets");
    assert_eq!(by_name.json["results"].as_array().unwrap().len(), 1);

    let updated = alice.put(
        &format!("/v1/algorithms/{id}/secrets/{secret_id}"),
        json!({"description": "rotated", "secret_value": NEW_VALUE}),
    );
    assert_eq!(updated.json["description"], "rotated");

    for attempt in [
        bob.get(&format!("/v1/algorithms/{id}/secrets")),
        bob.post(
            &format!("/v1/algorithms/{id}/secrets"),
            json!({"short_name": "X", "secret_value": "y"}),
        ),
        bob.put(
            &format!("/v1/algorithms/{id}/secrets/{secret_id}"),
            json!({"secret_value": "z"}),
        ),
        bob.delete(&format!("/v1/algorithms/{id}/secrets/{secret_id}")),
    ] {
        assert_eq!(
            (attempt.status, attempt.code()),
            (403, Some(2001)),
            "{}",
            attempt.text
        );
    }

    let deleted = alice.delete(&format!("/v1/algorithms/{id}/secrets/{secret_id}"));
    assert_eq!(deleted.status, 204);
    let again = alice.delete(&format!("/v1/algorithms/{id}/secrets/{secret_id}"));
    assert_eq!(again.status, 404);

    for body in alice
        .bodies
        .borrow()
        .iter()
        .chain(bob.bodies.borrow().iter())
    {
        assert!(
            !body.contains(VALUE) && !body.contains(NEW_VALUE),
            "a value leaked: {body}"
        );
    }
    assert!(!format!("{server:?}").contains(VALUE));
}
