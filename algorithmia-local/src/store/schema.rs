//! The database's schema as an ordered list of migrations, applied at open.
//!
//! `PRAGMA user_version` holds how many migrations a database has had. Opening applies the
//! missing ones in one transaction; a database from a newer server (more migrations than this
//! code knows) is refused rather than misread.

use rusqlite::Connection;

use super::StoreError;

/// Migration `i` takes a database from version `i` to `i + 1`. Append only: never edit one that
/// has shipped.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: accounts, algorithms, versions and builds.
    "CREATE TABLE users (
        name TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('user', 'org')),
        email TEXT,
        fullname TEXT,
        created TEXT NOT NULL
    );
    CREATE TABLE keys (
        key_hash TEXT PRIMARY KEY,
        user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE
    );
    CREATE TABLE org_members (
        org TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
        user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
        PRIMARY KEY (org, user)
    );
    CREATE TABLE algorithms (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        name TEXT NOT NULL,
        details TEXT NOT NULL,
        settings TEXT NOT NULL,
        version_info TEXT NOT NULL,
        source TEXT NOT NULL,
        created TEXT NOT NULL,
        updated TEXT NOT NULL,
        UNIQUE (owner, name)
    );
    CREATE TABLE versions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        algorithm_id TEXT NOT NULL REFERENCES algorithms(id) ON DELETE CASCADE,
        git_hash TEXT NOT NULL,
        semantic_version TEXT,
        callability TEXT NOT NULL DEFAULT 'private',
        release_notes TEXT,
        sample_input TEXT,
        sample_output TEXT,
        created TEXT NOT NULL,
        published_at TEXT,
        build_id TEXT,
        UNIQUE (algorithm_id, git_hash)
    );
    CREATE TABLE builds (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        build_id TEXT NOT NULL UNIQUE,
        algorithm_id TEXT NOT NULL REFERENCES algorithms(id) ON DELETE CASCADE,
        commit_sha TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('in-progress', 'succeeded', 'failed')),
        log TEXT NOT NULL DEFAULT '',
        started_at TEXT NOT NULL,
        finished_at TEXT,
        semantic_version TEXT
    );",
    // 2: secrets, runtime errors and insights.
    "CREATE TABLE secrets (
        id TEXT PRIMARY KEY,
        algorithm_id TEXT NOT NULL REFERENCES algorithms(id) ON DELETE CASCADE,
        short_name TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        provider_id TEXT NOT NULL,
        secret_key TEXT NOT NULL,
        value TEXT NOT NULL,
        created TEXT NOT NULL,
        modified TEXT NOT NULL,
        UNIQUE (algorithm_id, short_name)
    );
    CREATE TABLE errors (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        algorithm_id TEXT NOT NULL REFERENCES algorithms(id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        request_id TEXT NOT NULL,
        username TEXT NOT NULL,
        algoname TEXT NOT NULL,
        algoversion TEXT NOT NULL,
        input TEXT NOT NULL,
        error TEXT NOT NULL,
        error_type TEXT NOT NULL,
        worker TEXT NOT NULL
    );
    CREATE INDEX errors_by_algorithm ON errors (algorithm_id, created_at);
    CREATE TABLE insights (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        created TEXT NOT NULL,
        username TEXT,
        algorithm TEXT,
        key TEXT NOT NULL,
        value TEXT NOT NULL
    );",
];

/// The schema version this code writes.
pub(super) fn current_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Bring `conn` up to [`current_version`], or refuse a newer database.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let known = current_version();
    if found > known {
        return Err(StoreError::NewerSchema { found, known });
    }
    if found == known {
        return Ok(());
    }
    let tx = conn.transaction()?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found.max(0) as usize) {
        tx.execute_batch(sql)?;
        tracing::info!(version = index + 1, "applied a state database migration");
    }
    // PRAGMA takes no bound parameters; the value is our own constant.
    tx.execute_batch(&format!("PRAGMA user_version = {known}"))?;
    tx.commit()?;
    Ok(())
}
