//! Users, organisations, their members, and API keys (kept as SHA-256 hashes only).

use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::{AccountRecord, Store, StoreError, now};

/// The hex SHA-256 of a key: what the keys table holds instead of the key.
pub(crate) fn key_hash(key: &str) -> String {
    format!("{:x}", Sha256::digest(key.as_bytes()))
}

impl Store {
    /// Create `name` as a user or org (`kind`) unless it exists; an existing account is kept.
    pub(crate) fn ensure_account(&self, name: &str, kind: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT OR IGNORE INTO users (name, kind, created) VALUES (?1, ?2, ?3)",
            params![name, kind, now()],
        )?;
        Ok(())
    }

    /// Accept `key` as `user` (created as needed); the key is stored hashed.
    pub(crate) fn upsert_key(&self, key: &str, user: &str) -> Result<(), StoreError> {
        self.ensure_account(user, "user")?;
        self.conn().execute(
            "INSERT INTO keys (key_hash, user) VALUES (?1, ?2)
             ON CONFLICT (key_hash) DO UPDATE SET user = excluded.user",
            params![key_hash(key), user],
        )?;
        Ok(())
    }

    /// The user a key belongs to, if any.
    pub(crate) fn user_of_key(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT user FROM keys WHERE key_hash = ?1",
                [key_hash(key)],
                |row| row.get(0),
            )
            .optional()?)
    }

    /// A user or organisation by name.
    pub(crate) fn account(&self, name: &str) -> Result<Option<AccountRecord>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT name, kind, email, fullname, created FROM users WHERE name = ?1",
                [name],
                |row| {
                    Ok(AccountRecord {
                        name: row.get(0)?,
                        kind: row.get(1)?,
                        email: row.get(2)?,
                        fullname: row.get(3)?,
                        created: row.get(4)?,
                    })
                },
            )
            .optional()?)
    }

    /// Make `user` (created as needed) a member of `org` (created as needed).
    pub(crate) fn add_member(&self, org: &str, user: &str) -> Result<(), StoreError> {
        self.ensure_account(org, "org")?;
        self.ensure_account(user, "user")?;
        self.conn().execute(
            "INSERT OR IGNORE INTO org_members (org, user) VALUES (?1, ?2)",
            params![org, user],
        )?;
        Ok(())
    }

    /// The members of `org`, by name.
    pub(crate) fn members(&self, org: &str) -> Result<Vec<String>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT user FROM org_members WHERE org = ?1 ORDER BY user")?;
        let rows = stmt.query_map([org], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Whether `user` may act for `owner`: it is the owner, or a member of the org `owner`.
    pub(crate) fn acts_for(&self, user: &str, owner: &str) -> Result<bool, StoreError> {
        if user == owner {
            return Ok(true);
        }
        let found: Option<i64> = self
            .conn()
            .query_row(
                "SELECT 1 FROM org_members WHERE org = ?1 AND user = ?2",
                params![owner, user],
                |row| row.get(0),
            )
            .optional()?;
        Ok(found.is_some())
    }
}
