//! The state survives a restart; an old database is migrated; a newer one is refused.

use algorithmia_local::{LocalServer, StartError};
use serde_json::json;

use crate::{ALICE, Api, start, succeed_build};

#[test]
fn a_restart_on_the_same_data_dir_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let alice = Api::new(&server, ALICE);
    let id = alice.create("alice", "Durable")["id"].clone();
    let (build, _) = succeed_build(dir.path(), "alice", "Durable", '7');
    let published = alice.post(
        "/v1/algorithms/alice/Durable/versions",
        json!({"settings": {"algorithm_callability": "public"}, "version_info": {"version_type": "major"}}),
    );
    assert_eq!(published.status, 200, "{}", published.text);
    let secret = alice.post(
        "/v1/algorithms/alice/Durable/secrets",
        json!({"short_name": "KEPT", "secret_value": "v"}),
    );
    assert_eq!(secret.status, 201);
    alice.post(
        "/v1/insights",
        json!([{"insight_key": "kept", "insight_value": 1}]),
    );
    server.shutdown();

    // Only the key of the new server is given: alice's key is remembered by its hash.
    let server = LocalServer::builder()
        .data_dir(dir.path())
        .api_key("simOtherKey", "other")
        .builtins(false)
        .start()
        .unwrap();
    let alice = Api::new(&server, ALICE);
    let got = alice.get("/v1/algorithms/alice/Durable");
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.json["id"], id);
    assert_eq!(got.json["version_info"]["semantic_version"], "1.0.0");
    let builds = alice.get("/v1/algorithms/alice/Durable/builds");
    assert_eq!(builds.json["results"][0]["build_id"], build.as_str());
    let secrets = alice.get("/v1/algorithms/alice/Durable/secrets");
    assert_eq!(secrets.json["results"][0]["short_name"], "KEPT");
    let insights = alice.get("/v1/local/insights");
    assert_eq!(insights.json["results"][0]["insight_key"], "kept");
    let again = alice.post("/v1/algorithms/alice/Durable/versions", json!({}));
    assert_eq!(again.code(), Some(1007));
}

/// Schema version 1 as it shipped, written by hand.
const V1: &str = "
    CREATE TABLE users (name TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('user', 'org')),
        email TEXT, fullname TEXT, created TEXT NOT NULL);
    CREATE TABLE keys (key_hash TEXT PRIMARY KEY,
        user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE);
    CREATE TABLE org_members (org TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
        user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE, PRIMARY KEY (org, user));
    CREATE TABLE algorithms (id TEXT PRIMARY KEY, owner TEXT NOT NULL, name TEXT NOT NULL,
        details TEXT NOT NULL, settings TEXT NOT NULL, version_info TEXT NOT NULL,
        source TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL, UNIQUE (owner, name));
    CREATE TABLE versions (seq INTEGER PRIMARY KEY AUTOINCREMENT,
        algorithm_id TEXT NOT NULL REFERENCES algorithms(id) ON DELETE CASCADE,
        git_hash TEXT NOT NULL, semantic_version TEXT, callability TEXT NOT NULL DEFAULT 'private',
        release_notes TEXT, sample_input TEXT, sample_output TEXT, created TEXT NOT NULL,
        published_at TEXT, build_id TEXT, UNIQUE (algorithm_id, git_hash));
    CREATE TABLE builds (seq INTEGER PRIMARY KEY AUTOINCREMENT, build_id TEXT NOT NULL UNIQUE,
        algorithm_id TEXT NOT NULL REFERENCES algorithms(id) ON DELETE CASCADE,
        commit_sha TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('in-progress', 'succeeded', 'failed')),
        log TEXT NOT NULL DEFAULT '', started_at TEXT NOT NULL, finished_at TEXT,
        semantic_version TEXT);
    INSERT INTO users VALUES ('alice', 'user', NULL, NULL, '2025-01-01T00:00:00.000Z');
    INSERT INTO algorithms VALUES ('0b6f6c4e-1d2a-4c3b-9e8f-7a6b5c4d3e2f', 'alice', 'Old',
        '{\"label\":\"Old\"}', '{}', '{}', '{}', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z');
    PRAGMA user_version = 1;
";

#[test]
fn an_old_database_is_migrated_and_a_newer_one_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.db");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch(V1)
        .unwrap();

    let server = start(dir.path());
    let alice = Api::new(&server, ALICE);
    let old = alice.get("/v1/algorithms/alice/Old");
    assert_eq!(old.status, 200, "{}", old.text);
    assert_eq!(old.json["details"]["label"], "Old");
    // Version 2 added secrets.
    let secret = alice.post(
        "/v1/algorithms/alice/Old/secrets",
        json!({"short_name": "NEW", "secret_value": "v"}),
    );
    assert_eq!(secret.status, 201, "{}", secret.text);
    server.shutdown();
    let version: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, 2);

    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("PRAGMA user_version = 42")
        .unwrap();
    let refused = LocalServer::builder()
        .data_dir(dir.path())
        .start()
        .unwrap_err();
    match &refused {
        StartError::Database { message, .. } => {
            assert!(message.contains("newer"), "{message}");
        }
        other => panic!("expected a database error, got {other}"),
    }
}
