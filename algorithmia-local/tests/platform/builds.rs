//! Builds: listed (paged), one by id, logs once finished; owners only.

use algorithmia_local::StateStore;

use crate::{ALICE, Api, BOB, start};

#[test]
fn builds_and_their_logs_are_for_the_owner() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let alice = Api::new(&server, ALICE);
    alice.create("alice", "Built");
    let empty = alice.get("/v1/algorithms/alice/Built/builds");
    assert_eq!(empty.status, 200);
    assert_eq!(empty.json["results"].as_array().unwrap().len(), 0);
    assert!(empty.json["marker"].is_null());

    let state = StateStore::open(dir.path()).unwrap();
    let failed = state
        .create_build("alice", "Built", &"1".repeat(40))
        .unwrap();
    state.finish_build(&failed, false, "pip said no").unwrap();
    let running = state
        .create_build("alice", "Built", &"2".repeat(40))
        .unwrap();

    let page = alice.get("/v1/algorithms/alice/Built/builds?limit=1");
    assert_eq!(page.json["results"][0]["build_id"], running.as_str());
    assert_eq!(page.json["results"][0]["status"], "in-progress");
    assert_eq!(page.json["results"][0]["resource_type"], "algorithm_build");
    let marker = page.json["marker"].as_str().unwrap();
    let next = alice.get(&format!(
        "/v1/algorithms/alice/Built/builds?limit=1&marker={marker}"
    ));
    assert_eq!(next.json["results"][0]["build_id"], failed.as_str());
    assert_eq!(next.json["results"][0]["status"], "failed");
    assert_eq!(next.json["results"][0]["commit_sha"], "1".repeat(40));

    let one = alice.get(&format!("/v1/algorithms/alice/Built/builds/{failed}"));
    assert_eq!(one.json["status"], "failed");
    assert!(one.json["finished_at"].is_string());
    let logs = alice.get(&format!("/v1/algorithms/alice/Built/builds/{failed}/logs"));
    assert_eq!(logs.json["logs"], "pip said no");
    let pending = alice.get(&format!("/v1/algorithms/alice/Built/builds/{running}/logs"));
    assert_eq!(pending.status, 404);
    state.finish_build(&running, true, "ok").unwrap();
    let done = alice.get(&format!("/v1/algorithms/alice/Built/builds/{running}/logs"));
    assert_eq!(done.json["logs"], "ok");
    let object = alice.get("/v1/algorithms/alice/Built");
    assert_eq!(object.json["compilation"]["successful"], true);
    assert_eq!(object.json["version_info"]["git_hash"], "2".repeat(40));

    let missing = alice.get("/v1/algorithms/alice/Built/builds/nope");
    assert_eq!(missing.status, 404);

    let bob = Api::new(&server, BOB);
    for path in [
        "/v1/algorithms/alice/Built/builds".to_owned(),
        format!("/v1/algorithms/alice/Built/builds/{failed}"),
        format!("/v1/algorithms/alice/Built/builds/{failed}/logs"),
    ] {
        let refused = bob.get(&path);
        assert_eq!(
            (refused.status, refused.code()),
            (403, Some(2001)),
            "{path}"
        );
        assert!(!refused.text.contains("pip said no"));
    }
}
