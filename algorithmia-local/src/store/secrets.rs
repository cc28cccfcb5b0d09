//! An algorithm's secrets. Values go in and, for a runtime, come out through
//! [`Store::secret_values`]; every other read leaves them out.

use rusqlite::{OptionalExtension, Row, params};

use super::{SecretRecord, SecretValue, Store, StoreError, is_unique_violation, now};

const SECRET_COLUMNS: &str =
    "id, algorithm_id, short_name, description, provider_id, secret_key, created, modified";

fn secret_from(row: &Row<'_>) -> rusqlite::Result<SecretRecord> {
    Ok(SecretRecord {
        id: row.get(0)?,
        algorithm_id: row.get(1)?,
        short_name: row.get(2)?,
        description: row.get(3)?,
        provider_id: row.get(4)?,
        secret_key: row.get(5)?,
        created: row.get(6)?,
        modified: row.get(7)?,
    })
}

/// Whether `name` can be an environment variable (a secret reaches its algorithm as one):
/// `[A-Za-z_][A-Za-z0-9_]*`, at most 255 long.
pub(crate) fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 255
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// What a new secret is; `value` is never shown.
pub(crate) struct NewSecret {
    pub(crate) short_name: String,
    pub(crate) description: String,
    pub(crate) provider_id: String,
    pub(crate) secret_key: String,
    pub(crate) value: String,
}

impl Store {
    /// Add a secret; a taken short name is a [`StoreError::Conflict`].
    pub(crate) fn create_secret(
        &self,
        algorithm_id: &str,
        new: NewSecret,
    ) -> Result<SecretRecord, StoreError> {
        let at = now();
        let record = SecretRecord {
            id: uuid::Uuid::new_v4().to_string(),
            algorithm_id: algorithm_id.to_owned(),
            short_name: new.short_name,
            description: new.description,
            provider_id: new.provider_id,
            secret_key: new.secret_key,
            created: at.clone(),
            modified: at,
        };
        let inserted = self.conn().execute(
            "INSERT INTO secrets (id, algorithm_id, short_name, description, provider_id,
             secret_key, value, created, modified) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                record.id,
                record.algorithm_id,
                record.short_name,
                record.description,
                record.provider_id,
                record.secret_key,
                new.value,
                record.created,
                record.modified,
            ],
        );
        match inserted {
            Ok(_) => Ok(record),
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!(
                "the algorithm already has a secret named {}",
                record.short_name
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// The secrets of an algorithm, by short name, without values.
    pub(crate) fn secrets(&self, algorithm_id: &str) -> Result<Vec<SecretRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {SECRET_COLUMNS} FROM secrets WHERE algorithm_id = ?1 ORDER BY short_name"
        ))?;
        let rows = stmt.query_map([algorithm_id], secret_from)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One secret of an algorithm, without its value.
    pub(crate) fn secret(
        &self,
        algorithm_id: &str,
        id: &str,
    ) -> Result<Option<SecretRecord>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                &format!(
                    "SELECT {SECRET_COLUMNS} FROM secrets WHERE algorithm_id = ?1 AND id = ?2"
                ),
                params![algorithm_id, id],
                secret_from,
            )
            .optional()?)
    }

    /// Change a secret's description and, when given, its value.
    pub(crate) fn update_secret(
        &self,
        algorithm_id: &str,
        id: &str,
        description: Option<&str>,
        value: Option<&str>,
    ) -> Result<Option<SecretRecord>, StoreError> {
        let changed = self.conn().execute(
            "UPDATE secrets SET description = COALESCE(?3, description),
             value = COALESCE(?4, value), modified = ?5 WHERE algorithm_id = ?1 AND id = ?2",
            params![algorithm_id, id, description, value, now()],
        )?;
        if changed == 0 {
            return Ok(None);
        }
        self.secret(algorithm_id, id)
    }

    /// Delete a secret; whether it existed.
    pub(crate) fn delete_secret(&self, algorithm_id: &str, id: &str) -> Result<bool, StoreError> {
        Ok(self.conn().execute(
            "DELETE FROM secrets WHERE algorithm_id = ?1 AND id = ?2",
            params![algorithm_id, id],
        )? > 0)
    }

    /// The secrets' values, as environment variables for the algorithm's runtime.
    pub(crate) fn secret_values(&self, algorithm_id: &str) -> Result<Vec<SecretValue>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT secret_key, value FROM secrets WHERE algorithm_id = ?1 ORDER BY short_name",
        )?;
        let rows = stmt.query_map([algorithm_id], |row| {
            Ok(SecretValue {
                secret_key: row.get(0)?,
                value: row.get(1)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
