//! What running algorithms leave behind: runtime errors and reported insights.

use rusqlite::{Row, params};

use super::{ErrorRecord, InsightRecord, MAX_ERROR_INPUT, Store, StoreError, now};

/// The most error rows one listing returns (the platform showed at most 200 runs).
pub(crate) const MAX_ERRORS_LISTED: i64 = 200;

const ERROR_COLUMNS: &str = "algorithm_id, created_at, request_id, username, algoname, \
     algoversion, input, error, error_type, worker";

fn error_from(row: &Row<'_>) -> rusqlite::Result<ErrorRecord> {
    Ok(ErrorRecord {
        algorithm_id: row.get(0)?,
        created_at: row.get(1)?,
        request_id: row.get(2)?,
        username: row.get(3)?,
        algoname: row.get(4)?,
        algoversion: row.get(5)?,
        input: row.get(6)?,
        error: row.get(7)?,
        error_type: row.get(8)?,
        worker: row.get(9)?,
    })
}

/// `text` cut to at most `max` bytes, on a character boundary.
pub(crate) fn truncate_utf8(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

impl Store {
    /// Log an algorithm's runtime exception (its input cut to 4 KiB).
    pub(crate) fn record_error(&self, record: &ErrorRecord) -> Result<(), StoreError> {
        self.conn().execute(
            &format!(
                "INSERT INTO errors ({ERROR_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
            ),
            params![
                record.algorithm_id,
                record.created_at,
                record.request_id,
                record.username,
                record.algoname,
                record.algoversion,
                truncate_utf8(&record.input, MAX_ERROR_INPUT),
                record.error,
                record.error_type,
                record.worker,
            ],
        )?;
        Ok(())
    }

    /// The newest errors of one algorithm (at most 200).
    pub(crate) fn errors_of_algorithm(
        &self,
        algorithm_id: &str,
    ) -> Result<Vec<ErrorRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {ERROR_COLUMNS} FROM errors WHERE algorithm_id = ?1
             ORDER BY seq DESC LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![algorithm_id, MAX_ERRORS_LISTED], error_from)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The newest errors of every algorithm `owner` owns (at most 200).
    pub(crate) fn errors_of_owner(&self, owner: &str) -> Result<Vec<ErrorRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {} FROM errors e JOIN algorithms a ON a.id = e.algorithm_id
             WHERE a.owner = ?1 ORDER BY e.seq DESC LIMIT ?2",
            ERROR_COLUMNS
                .split(", ")
                .map(|c| format!("e.{}", c.trim()))
                .collect::<Vec<_>>()
                .join(", ")
        ))?;
        let rows = stmt.query_map(params![owner, MAX_ERRORS_LISTED], error_from)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Store a batch of insights in one transaction.
    pub(crate) fn record_insights(
        &self,
        username: Option<&str>,
        algorithm: Option<&str>,
        insights: &[(String, serde_json::Value)],
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let at = now();
        for (key, value) in insights {
            tx.execute(
                "INSERT INTO insights (created, username, algorithm, key, value)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![at, username, algorithm, key, value.to_string()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Every stored insight, oldest first.
    pub(crate) fn insights(&self) -> Result<Vec<InsightRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT created, username, algorithm, key, value FROM insights ORDER BY seq",
        )?;
        let rows = stmt.query_map([], |row| {
            let value: String = row.get(4)?;
            Ok(InsightRecord {
                created: row.get(0)?,
                username: row.get(1)?,
                algorithm: row.get(2)?,
                key: row.get(3)?,
                value: serde_json::from_str(&value).unwrap_or(serde_json::Value::String(value)),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
