//! Algorithms and their versions: create, read, update, delete, list, and publish.

use rusqlite::{OptionalExtension, Row, params};

use super::{
    AlgorithmRecord, BuildStatus, Callability, NewAlgorithm, Store, StoreError, VersionRecord,
    is_unique_violation, now,
};

const ALGORITHM_COLUMNS: &str =
    "id, owner, name, details, settings, version_info, source, created, updated";

const VERSION_COLUMNS: &str = "algorithm_id, git_hash, semantic_version, callability, \
     release_notes, sample_input, sample_output, created, published_at, build_id";

/// Which versions a listing shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct VersionFilter {
    /// Only published (`Some(true)`) or only unpublished (`Some(false)`) versions.
    pub(crate) published: Option<bool>,
    /// Only versions others may call (`Some(true)`: published public) or the rest.
    pub(crate) callable: Option<bool>,
}

/// How the next semantic version follows the latest published one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bump {
    Major,
    Minor,
    /// Also spelt `patch`.
    Revision,
}

impl Bump {
    /// The version after `latest` (`0.0.0` when nothing is published yet, so a first `minor`
    /// publish is 0.1.0, a first `major` 1.0.0, a first `revision` 0.0.1).
    pub(crate) fn next(self, latest: Option<(u64, u64, u64)>) -> (u64, u64, u64) {
        let (a, b, c) = latest.unwrap_or((0, 0, 0));
        match self {
            Bump::Major => (a + 1, 0, 0),
            Bump::Minor => (a, b + 1, 0),
            Bump::Revision => (a, b, c + 1),
        }
    }
}

/// What a publish sets on the version it publishes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VersionPublish {
    pub(crate) bump: Bump,
    pub(crate) callability: Callability,
    pub(crate) release_notes: Option<String>,
    pub(crate) sample_input: Option<String>,
    pub(crate) sample_output: Option<String>,
}

/// Why a publish was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PublishRefusal {
    /// No build of the algorithm has succeeded.
    NoBuild,
    /// The latest successful build is published already, as this version.
    AlreadyPublished(String),
}

fn json_column(row: &Row<'_>, index: usize) -> rusqlite::Result<serde_json::Value> {
    let text: String = row.get(index)?;
    serde_json::from_str(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn algorithm_from(row: &Row<'_>) -> rusqlite::Result<AlgorithmRecord> {
    Ok(AlgorithmRecord {
        id: row.get(0)?,
        owner: row.get(1)?,
        name: row.get(2)?,
        details: json_column(row, 3)?,
        settings: json_column(row, 4)?,
        version_info: json_column(row, 5)?,
        source: json_column(row, 6)?,
        created: row.get(7)?,
        updated: row.get(8)?,
    })
}

/// `1.2.3` as numbers; anything else (never written by us) as unpublished.
fn parse_semver(text: Option<String>) -> Option<(u64, u64, u64)> {
    let text = text?;
    let mut parts = text.split('.').map(|p| p.parse::<u64>().ok());
    match (parts.next()?, parts.next()?, parts.next()?, parts.next()) {
        (Some(a), Some(b), Some(c), None) => Some((a, b, c)),
        _ => None,
    }
}

fn version_from(row: &Row<'_>) -> rusqlite::Result<VersionRecord> {
    let callability: String = row.get(3)?;
    Ok(VersionRecord {
        algorithm_id: row.get(0)?,
        git_hash: row.get(1)?,
        semantic_version: parse_semver(row.get(2)?),
        callability: Callability::parse(&callability).unwrap_or(Callability::Private),
        release_notes: row.get(4)?,
        sample_input: row.get(5)?,
        sample_output: row.get(6)?,
        created: row.get(7)?,
        published_at: row.get(8)?,
        build_id: row.get(9)?,
    })
}

impl Store {
    /// Create an algorithm; a taken `owner/name` is a [`StoreError::Conflict`].
    pub(crate) fn create_algorithm(
        &self,
        new: NewAlgorithm,
    ) -> Result<AlgorithmRecord, StoreError> {
        let created = now();
        let record = AlgorithmRecord {
            id: uuid::Uuid::new_v4().to_string(),
            owner: new.owner,
            name: new.name,
            details: new.details,
            settings: new.settings,
            version_info: new.version_info,
            source: new.source,
            updated: created.clone(),
            created,
        };
        let inserted = self.conn().execute(
            &format!("INSERT INTO algorithms ({ALGORITHM_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
            params![
                record.id,
                record.owner,
                record.name,
                record.details.to_string(),
                record.settings.to_string(),
                record.version_info.to_string(),
                record.source.to_string(),
                record.created,
                record.updated,
            ],
        );
        match inserted {
            Ok(_) => Ok(record),
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!(
                "algorithm {}/{} already exists",
                record.owner, record.name
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// An algorithm by owner and name.
    pub(crate) fn algorithm(
        &self,
        owner: &str,
        name: &str,
    ) -> Result<Option<AlgorithmRecord>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                &format!(
                    "SELECT {ALGORITHM_COLUMNS} FROM algorithms WHERE owner = ?1 AND name = ?2"
                ),
                params![owner, name],
                algorithm_from,
            )
            .optional()?)
    }

    /// An algorithm by its UUID.
    pub(crate) fn algorithm_by_id(&self, id: &str) -> Result<Option<AlgorithmRecord>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {ALGORITHM_COLUMNS} FROM algorithms WHERE id = ?1"),
                [id],
                algorithm_from,
            )
            .optional()?)
    }

    /// The algorithms `owner` owns, by name.
    pub(crate) fn algorithms_of(&self, owner: &str) -> Result<Vec<AlgorithmRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {ALGORITHM_COLUMNS} FROM algorithms WHERE owner = ?1 ORDER BY name"
        ))?;
        let rows = stmt.query_map([owner], algorithm_from)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Replace an algorithm's JSON fields (its id, owner and name never change).
    pub(crate) fn update_algorithm(
        &self,
        record: &AlgorithmRecord,
    ) -> Result<AlgorithmRecord, StoreError> {
        let updated = now();
        self.conn().execute(
            "UPDATE algorithms SET details = ?2, settings = ?3, version_info = ?4, source = ?5,
             updated = ?6 WHERE id = ?1",
            params![
                record.id,
                record.details.to_string(),
                record.settings.to_string(),
                record.version_info.to_string(),
                record.source.to_string(),
                updated,
            ],
        )?;
        Ok(AlgorithmRecord {
            updated,
            ..record.clone()
        })
    }

    /// Delete an algorithm with its versions, builds, secrets and errors.
    pub(crate) fn delete_algorithm(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn()
            .execute("DELETE FROM algorithms WHERE id = ?1", [id])?
            > 0)
    }

    /// A page of versions, newest first: `limit` rows after skipping `offset`, and whether
    /// more follow.
    pub(crate) fn versions(
        &self,
        algorithm_id: &str,
        filter: VersionFilter,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<VersionRecord>, bool), StoreError> {
        let mut sql = format!("SELECT {VERSION_COLUMNS} FROM versions WHERE algorithm_id = ?1");
        match filter.published {
            Some(true) => sql.push_str(" AND semantic_version IS NOT NULL"),
            Some(false) => sql.push_str(" AND semantic_version IS NULL"),
            None => {}
        }
        match filter.callable {
            Some(true) => {
                sql.push_str(" AND semantic_version IS NOT NULL AND callability = 'public'")
            }
            Some(false) => {
                sql.push_str(" AND (semantic_version IS NULL OR callability <> 'public')")
            }
            None => {}
        }
        sql.push_str(" ORDER BY seq DESC LIMIT ?2 OFFSET ?3");
        let conn = self.conn();
        let mut stmt = conn.prepare(&sql)?;
        let fetch = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
        let skip = i64::try_from(offset).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![algorithm_id, fetch, skip], version_from)?;
        let mut versions: Vec<VersionRecord> = rows.collect::<Result<_, _>>()?;
        let more = versions.len() as u64 > limit;
        versions.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok((versions, more))
    }

    /// Every version of an algorithm, oldest first (for call resolution).
    pub(crate) fn all_versions(
        &self,
        algorithm_id: &str,
    ) -> Result<Vec<VersionRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {VERSION_COLUMNS} FROM versions WHERE algorithm_id = ?1 ORDER BY seq"
        ))?;
        let rows = stmt.query_map([algorithm_id], version_from)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The version built from `git_hash` (full hash, any case).
    pub(crate) fn version_by_hash(
        &self,
        algorithm_id: &str,
        git_hash: &str,
    ) -> Result<Option<VersionRecord>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                &format!(
                    "SELECT {VERSION_COLUMNS} FROM versions WHERE algorithm_id = ?1 AND git_hash = ?2"
                ),
                params![algorithm_id, git_hash.to_ascii_lowercase()],
                version_from,
            )
            .optional()?)
    }

    /// Publish the latest successful build as the next semantic version.
    pub(crate) fn publish(
        &self,
        algorithm_id: &str,
        publish: &VersionPublish,
    ) -> Result<Result<VersionRecord, PublishRefusal>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let build: Option<(String, String)> = tx
            .query_row(
                "SELECT build_id, commit_sha FROM builds WHERE algorithm_id = ?1 AND status = ?2
                 ORDER BY seq DESC LIMIT 1",
                params![algorithm_id, BuildStatus::Succeeded.as_str()],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let Some((build_id, commit)) = build else {
            return Ok(Err(PublishRefusal::NoBuild));
        };
        let existing: Option<Option<String>> = tx
            .query_row(
                "SELECT semantic_version FROM versions WHERE algorithm_id = ?1 AND git_hash = ?2",
                params![algorithm_id, commit],
                |row| row.get(0),
            )
            .optional()?;
        if let Some(Some(version)) = existing {
            return Ok(Err(PublishRefusal::AlreadyPublished(version)));
        }
        let published: Vec<Option<String>> = {
            let mut stmt = tx.prepare(
                "SELECT semantic_version FROM versions
                 WHERE algorithm_id = ?1 AND semantic_version IS NOT NULL",
            )?;
            let rows = stmt.query_map([algorithm_id], |row| row.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        let latest = published.into_iter().filter_map(parse_semver).max();
        let (a, b, c) = publish.bump.next(latest);
        let version = format!("{a}.{b}.{c}");
        let at = now();
        tx.execute(
            "INSERT INTO versions (algorithm_id, git_hash, created, build_id)
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (algorithm_id, git_hash) DO NOTHING",
            params![algorithm_id, commit, at, build_id],
        )?;
        tx.execute(
            "UPDATE versions SET semantic_version = ?3, callability = ?4, release_notes = ?5,
             sample_input = ?6, sample_output = ?7, published_at = ?8, build_id = ?9
             WHERE algorithm_id = ?1 AND git_hash = ?2",
            params![
                algorithm_id,
                commit,
                version,
                publish.callability.as_str(),
                publish.release_notes,
                publish.sample_input,
                publish.sample_output,
                at,
                build_id,
            ],
        )?;
        tx.execute(
            "UPDATE builds SET semantic_version = ?2 WHERE build_id = ?1",
            params![build_id, version],
        )?;
        let record = tx.query_row(
            &format!(
                "SELECT {VERSION_COLUMNS} FROM versions WHERE algorithm_id = ?1 AND git_hash = ?2"
            ),
            params![algorithm_id, commit],
            version_from,
        )?;
        tx.commit()?;
        Ok(Ok(record))
    }
}
