//! Publishing, version listings with paging and filters, and calls resolved to stored versions.

use serde_json::{Value, json};

use crate::{ALICE, Api, BOB, start, succeed_build};

fn publish(api: &Api, path: &str, version_type: &str, callability: &str) -> crate::Answer {
    api.post(
        path,
        json!({
            "settings": {"algorithm_callability": callability},
            "version_info": {"version_type": version_type, "release_notes": "notes"},
        }),
    )
}

#[test]
fn publishing_bumps_versions_on_both_paths_and_refuses_a_republish() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let alice = Api::new(&server, ALICE);
    alice.create("alice", "Pub");

    let none = publish(
        &alice,
        "/v1/algorithms/alice/Pub/versions",
        "minor",
        "public",
    );
    assert_eq!(none.status, 400);
    assert!(none.text.contains("no successful build"), "{}", none.text);

    // The first version is 0.1.0 for `minor` (versions count up from 0.0.0).
    let steps = [
        ("versions", "minor", '1', "0.1.0"),
        ("version", "patch", '2', "0.1.1"),
        ("versions", "minor", '3', "0.2.0"),
        ("version", "major", '4', "1.0.0"),
        ("versions", "revision", '5', "1.0.1"),
    ];
    for (path, version_type, digit, expected) in steps {
        let (_, commit) = succeed_build(dir.path(), "alice", "Pub", digit);
        let path = format!("/v1/algorithms/alice/Pub/{path}");
        let answer = publish(&alice, &path, version_type, "public");
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert_eq!(answer.json["version_info"]["semantic_version"], expected);
        assert_eq!(answer.json["version_info"]["git_hash"], commit.as_str());
        assert_eq!(answer.json["version_info"]["release_notes"], "notes");
        let again = publish(&alice, &path, "minor", "public");
        assert_eq!(
            (again.status, again.code()),
            (400, Some(1007)),
            "{}",
            again.text
        );
        assert!(again.text.contains("Version already published"));
    }
    let bad = publish(
        &alice,
        "/v1/algorithms/alice/Pub/versions",
        "huge",
        "public",
    );
    assert_eq!(bad.status, 400);

    let object = alice.get("/v1/algorithms/alice/Pub");
    assert_eq!(object.json["version_info"]["semantic_version"], "1.0.1");

    let bob = Api::new(&server, BOB);
    let refused = publish(&bob, "/v1/algorithms/alice/Pub/versions", "minor", "public");
    assert_eq!((refused.status, refused.code()), (403, Some(2001)));
}

fn versions_of(answer: &crate::Answer) -> Vec<Value> {
    answer.json["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version_info"]["semantic_version"].clone())
        .collect()
}

#[test]
fn versions_are_paged_and_filtered() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let alice = Api::new(&server, ALICE);
    alice.create("alice", "Paged");
    for (digit, callability) in [('a', "public"), ('b', "private"), ('c', "public")] {
        succeed_build(dir.path(), "alice", "Paged", digit);
        let answer = publish(
            &alice,
            "/v1/algorithms/alice/Paged/versions",
            "minor",
            callability,
        );
        assert_eq!(answer.status, 200, "{}", answer.text);
    }
    // One built but unpublished version.
    succeed_build(dir.path(), "alice", "Paged", 'd');

    let first = alice.get("/v1/algorithms/alice/Paged/versions?limit=2");
    assert_eq!(first.status, 200);
    assert_eq!(versions_of(&first), [Value::Null, json!("0.3.0")]);
    let marker = first.json["marker"].as_str().unwrap();
    let link = first.json["next_link"].as_str().unwrap();
    assert!(link.contains(&format!("marker={marker}")), "{link}");
    let second = alice.get(&link.replace(&alice.base, ""));
    assert_eq!(versions_of(&second), [json!("0.2.0"), json!("0.1.0")]);
    assert!(second.json["marker"].is_null() && second.json["next_link"].is_null());

    let published = alice.get("/v1/algorithms/alice/Paged/versions?published=true&limit=2");
    assert_eq!(versions_of(&published), [json!("0.3.0"), json!("0.2.0")]);
    let link = published.json["next_link"].as_str().unwrap();
    assert!(link.contains("published=true"), "{link}");
    let unpublished = alice.get("/v1/algorithms/alice/Paged/versions?published=false");
    assert_eq!(versions_of(&unpublished), [Value::Null]);
    let callable = alice.get("/v1/algorithms/alice/Paged/versions?callable=true");
    assert_eq!(versions_of(&callable), [json!("0.3.0"), json!("0.1.0")]);

    let bad_marker = alice.get("/v1/algorithms/alice/Paged/versions?marker=garbage");
    assert_eq!((bad_marker.status, bad_marker.code()), (400, Some(5002)));
    let bad_limit = alice.get("/v1/algorithms/alice/Paged/versions?limit=0");
    assert_eq!((bad_limit.status, bad_limit.code()), (400, Some(5003)));

    // Others see the published public versions only.
    let bob = Api::new(&server, BOB);
    let seen = bob.get("/v1/algorithms/alice/Paged/versions");
    assert_eq!(versions_of(&seen), [json!("0.3.0"), json!("0.1.0")]);
    let private_hash = "b".repeat(40);
    let hidden = bob.get(&format!(
        "/v1/algorithms/alice/Paged/versions/{private_hash}"
    ));
    assert_eq!((hidden.status, hidden.code()), (404, Some(1000)));
    let own = alice.get(&format!(
        "/v1/algorithms/alice/Paged/versions/{private_hash}"
    ));
    assert_eq!(own.json["version_info"]["semantic_version"], "0.2.0");
    assert_eq!(own.json["settings"]["algorithm_callability"], "private");
}

/// Calls resolve to stored versions by the platform's rules; without a runtime the server
/// answers 503 naming the version it resolved, and 404 for what the caller may not call.
#[test]
fn calls_resolve_to_stored_versions_by_who_may_call_them() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let alice = Api::new(&server, ALICE);
    let bob = Api::new(&server, BOB);
    alice.create("alice", "Callee");
    let call =
        |api: &Api, version: &str| api.post(&format!("/v1/algo/alice/Callee{version}"), json!("x"));

    let (_, built) = succeed_build(dir.path(), "alice", "Callee", 'e');
    let by_hash = call(&alice, &format!("/{built}"));
    assert_eq!(by_hash.status, 503, "{}", by_hash.text);
    assert!(
        by_hash
            .text
            .contains(&format!("alice/Callee/{built} has no runtime")),
        "{}",
        by_hash.text
    );
    assert_eq!(call(&bob, &format!("/{built}")).code(), Some(1000));
    assert_eq!(call(&alice, "").code(), Some(1000));

    publish(
        &alice,
        "/v1/algorithms/alice/Callee/versions",
        "minor",
        "private",
    );
    assert_eq!(call(&alice, "/latestPrivate").status, 503);
    assert_eq!(call(&alice, "/0.1.0").status, 503);
    assert_eq!(call(&bob, "/0.1.0").code(), Some(1000));
    assert_eq!(call(&bob, "/latestPrivate").code(), Some(1000));
    assert_eq!(call(&alice, "").code(), Some(1000));

    succeed_build(dir.path(), "alice", "Callee", 'f');
    publish(
        &alice,
        "/v1/algorithms/alice/Callee/versions",
        "minor",
        "public",
    );
    let latest = call(&bob, "");
    assert_eq!(latest.status, 503, "{}", latest.text);
    assert!(latest.text.contains(&"f".repeat(40)), "{}", latest.text);
    assert_eq!(call(&bob, "/0.*").status, 503);
    assert_eq!(call(&bob, "/0.2.0").status, 503);
    assert_eq!(call(&bob, "/1.*").code(), Some(1000));
    let unknown = bob.post("/v1/algo/alice/Nothing", json!("x"));
    assert_eq!((unknown.status, unknown.code()), (404, Some(1000)));
}
