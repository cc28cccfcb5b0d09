//! Builds: started in progress, finished as succeeded or failed. A successful build becomes an
//! (unpublished) version, callable by its commit hash.

use rusqlite::{OptionalExtension, Row, params};

use super::{BuildRecord, BuildStatus, Store, StoreError, now};

const BUILD_COLUMNS: &str =
    "build_id, algorithm_id, commit_sha, status, log, started_at, finished_at, semantic_version";

fn build_from(row: &Row<'_>) -> rusqlite::Result<BuildRecord> {
    let status: String = row.get(3)?;
    Ok(BuildRecord {
        build_id: row.get(0)?,
        algorithm_id: row.get(1)?,
        commit_sha: row.get(2)?,
        status: BuildStatus::parse(&status).unwrap_or(BuildStatus::Failed),
        log: row.get(4)?,
        started_at: row.get(5)?,
        finished_at: row.get(6)?,
        semantic_version: row.get(7)?,
    })
}

impl Store {
    /// Record a new build of `commit` (a git hash), in progress.
    pub(crate) fn create_build(
        &self,
        algorithm_id: &str,
        commit: &str,
    ) -> Result<BuildRecord, StoreError> {
        let record = BuildRecord {
            build_id: uuid::Uuid::new_v4().to_string(),
            algorithm_id: algorithm_id.to_owned(),
            commit_sha: commit.to_ascii_lowercase(),
            status: BuildStatus::InProgress,
            log: String::new(),
            started_at: now(),
            finished_at: None,
            semantic_version: None,
        };
        self.conn().execute(
            &format!(
                "INSERT INTO builds ({BUILD_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, NULL)"
            ),
            params![
                record.build_id,
                record.algorithm_id,
                record.commit_sha,
                record.status.as_str(),
                record.log,
                record.started_at,
            ],
        )?;
        Ok(record)
    }

    /// Finish a build with its status and log. A success adds its commit as a version (kept as it
    /// is if that commit was built before). Returns the finished build, or `None` for an unknown id.
    pub(crate) fn finish_build(
        &self,
        build_id: &str,
        status: BuildStatus,
        log: &str,
    ) -> Result<Option<BuildRecord>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let finished = now();
        let changed = tx.execute(
            "UPDATE builds SET status = ?2, log = ?3, finished_at = ?4 WHERE build_id = ?1",
            params![build_id, status.as_str(), log, finished],
        )?;
        if changed == 0 {
            return Ok(None);
        }
        let record = tx.query_row(
            &format!("SELECT {BUILD_COLUMNS} FROM builds WHERE build_id = ?1"),
            [build_id],
            build_from,
        )?;
        if status == BuildStatus::Succeeded {
            tx.execute(
                "INSERT INTO versions (algorithm_id, git_hash, created, build_id)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (algorithm_id, git_hash) DO UPDATE SET build_id = excluded.build_id
                 WHERE semantic_version IS NULL",
                params![record.algorithm_id, record.commit_sha, finished, build_id],
            )?;
        }
        tx.commit()?;
        Ok(Some(record))
    }

    /// Fail every build still in progress, with `log` (a server that stopped mid-build runs
    /// none of them any more). Returns how many there were.
    pub(crate) fn fail_unfinished_builds(&self, log: &str) -> Result<usize, StoreError> {
        Ok(self.conn().execute(
            "UPDATE builds SET status = ?1, log = ?2, finished_at = ?3 WHERE status = ?4",
            params![
                BuildStatus::Failed.as_str(),
                log,
                now(),
                BuildStatus::InProgress.as_str()
            ],
        )?)
    }

    /// One build of an algorithm.
    pub(crate) fn build(
        &self,
        algorithm_id: &str,
        build_id: &str,
    ) -> Result<Option<BuildRecord>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                &format!(
                    "SELECT {BUILD_COLUMNS} FROM builds WHERE algorithm_id = ?1 AND build_id = ?2"
                ),
                params![algorithm_id, build_id],
                build_from,
            )
            .optional()?)
    }

    /// A page of builds, newest first, and whether more follow.
    pub(crate) fn builds(
        &self,
        algorithm_id: &str,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<BuildRecord>, bool), StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {BUILD_COLUMNS} FROM builds WHERE algorithm_id = ?1
             ORDER BY seq DESC LIMIT ?2 OFFSET ?3"
        ))?;
        let fetch = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
        let skip = i64::try_from(offset).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![algorithm_id, fetch, skip], build_from)?;
        let mut builds: Vec<BuildRecord> = rows.collect::<Result<_, _>>()?;
        let more = builds.len() as u64 > limit;
        builds.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok((builds, more))
    }

    /// The newest build of an algorithm that succeeded.
    #[allow(dead_code)] // For the builder and the runtimes, which the lead wires in.
    pub(crate) fn latest_successful_build(
        &self,
        algorithm_id: &str,
    ) -> Result<Option<BuildRecord>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                &format!(
                    "SELECT {BUILD_COLUMNS} FROM builds WHERE algorithm_id = ?1 AND status = ?2
                     ORDER BY seq DESC LIMIT 1"
                ),
                params![algorithm_id, BuildStatus::Succeeded.as_str()],
                build_from,
            )
            .optional()?)
    }
}
