use serde_json::json;

use super::*;

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_in(dir.path()).unwrap();
    (dir, store)
}

fn algorithm(store: &Store, owner: &str, name: &str) -> AlgorithmRecord {
    store.ensure_account(owner, "user").unwrap();
    store
        .create_algorithm(NewAlgorithm {
            owner: owner.into(),
            name: name.into(),
            details: json!({"label": name}),
            settings: json!({}),
            version_info: json!({}),
            source: json!({}),
        })
        .unwrap()
}

fn publish(bump: Bump) -> VersionPublish {
    VersionPublish {
        bump,
        callability: Callability::Public,
        release_notes: None,
        sample_input: None,
        sample_output: None,
    }
}

#[test]
fn keys_are_stored_hashed_and_found() {
    let (dir, store) = store();
    store.upsert_key("simSecretKey", "alice").unwrap();
    assert_eq!(
        store.user_of_key("simSecretKey").unwrap().as_deref(),
        Some("alice")
    );
    assert_eq!(store.user_of_key("simOther").unwrap(), None);
    drop(store);
    let raw = std::fs::read(dir.path().join(STATE_FILE)).unwrap();
    let wal = std::fs::read(dir.path().join("state.db-wal")).unwrap_or_default();
    for bytes in [raw, wal] {
        assert!(!bytes.windows(12).any(|w| w == b"simSecretKey"));
    }
}

#[test]
fn names_are_unique_per_owner() {
    let (_dir, store) = store();
    algorithm(&store, "alice", "A");
    let err = store
        .create_algorithm(NewAlgorithm {
            owner: "alice".into(),
            name: "A".into(),
            details: json!({}),
            settings: json!({}),
            version_info: json!({}),
            source: json!({}),
        })
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    algorithm(&store, "bob", "A");
}

#[test]
fn publishing_follows_builds_and_bumps() {
    let (_dir, store) = store();
    let algo = algorithm(&store, "alice", "A");
    assert_eq!(
        store.publish(&algo.id, &publish(Bump::Minor)).unwrap(),
        Err(PublishRefusal::NoBuild)
    );
    let failed = store.create_build(&algo.id, &"f".repeat(40)).unwrap();
    store
        .finish_build(&failed.build_id, BuildStatus::Failed, "boom")
        .unwrap();
    assert_eq!(
        store.publish(&algo.id, &publish(Bump::Minor)).unwrap(),
        Err(PublishRefusal::NoBuild)
    );
    let mut seen = Vec::new();
    for (i, bump) in [Bump::Minor, Bump::Revision, Bump::Minor, Bump::Major]
        .into_iter()
        .enumerate()
    {
        let build = store
            .create_build(&algo.id, &format!("{i}").repeat(40))
            .unwrap();
        store
            .finish_build(&build.build_id, BuildStatus::Succeeded, "ok")
            .unwrap();
        let version = store.publish(&algo.id, &publish(bump)).unwrap().unwrap();
        seen.push(version.version_string().unwrap());
        assert_eq!(
            store.publish(&algo.id, &publish(bump)).unwrap(),
            Err(PublishRefusal::AlreadyPublished(
                seen.last().unwrap().clone()
            ))
        );
    }
    assert_eq!(seen, ["0.1.0", "0.1.1", "0.2.0", "1.0.0"]);
    let (page, more) = store
        .versions(&algo.id, VersionFilter::default(), 0, 3)
        .unwrap();
    assert_eq!(page.len(), 3);
    assert!(more);
    assert_eq!(page[0].version_string().as_deref(), Some("1.0.0"));
}

#[test]
fn a_newer_schema_is_refused_and_an_older_one_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(STATE_FILE);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(schema::MIGRATIONS[0]).unwrap();
        conn.execute_batch("PRAGMA user_version = 1").unwrap();
    }
    let store = Store::open(&path).unwrap();
    let algo = algorithm(&store, "alice", "A");
    store
        .create_secret(
            &algo.id,
            NewSecret {
                short_name: "S".into(),
                description: String::new(),
                provider_id: "p".into(),
                secret_key: "S".into(),
                value: "v".into(),
            },
        )
        .unwrap();
    drop(store);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA user_version = 99").unwrap();
    }
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::NewerSchema { found: 99, .. }),
        "{err}"
    );
}

#[test]
fn error_inputs_are_cut_on_a_character_boundary() {
    let text = "é".repeat(3000);
    let cut = activity::truncate_utf8(&text, MAX_ERROR_INPUT);
    assert!(cut.len() <= MAX_ERROR_INPUT);
    assert!(cut.len() >= MAX_ERROR_INPUT - 1);
}

#[test]
fn secret_values_are_redacted_in_debug() {
    let value = SecretValue {
        secret_key: "TOKEN".into(),
        value: "hunter2".into(),
    };
    assert!(!format!("{value:?}").contains("hunter2"));
}

#[test]
fn unfinished_builds_are_failed_and_finished_ones_kept() {
    let (_dir, store) = store();
    let algo = algorithm(&store, "alice", "Interrupted");
    let done = store.create_build(&algo.id, &"a".repeat(40)).unwrap();
    store
        .finish_build(&done.build_id, BuildStatus::Succeeded, "ok")
        .unwrap();
    let running = store.create_build(&algo.id, &"b".repeat(40)).unwrap();
    assert_eq!(store.fail_unfinished_builds("stopped").unwrap(), 1);
    let running = store.build(&algo.id, &running.build_id).unwrap().unwrap();
    assert_eq!(
        (running.status, running.log.as_str()),
        (BuildStatus::Failed, "stopped")
    );
    assert!(running.finished_at.is_some());
    let done = store.build(&algo.id, &done.build_id).unwrap().unwrap();
    assert_eq!(
        (done.status, done.log.as_str()),
        (BuildStatus::Succeeded, "ok")
    );
    assert_eq!(store.fail_unfinished_builds("again").unwrap(), 0);
}
