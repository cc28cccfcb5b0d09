//! The management API's paging: `limit` and an opaque `marker` in, `{marker, next_link,
//! results}` out, with both null on the last page.

use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::error::AppError;

/// Results per page unless `limit` says otherwise.
pub(super) const DEFAULT_LIMIT: u64 = 50;
/// The most results one page may ask for.
pub(super) const MAX_LIMIT: u64 = 1000;

/// Where a page starts and how long it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Page {
    pub(super) offset: u64,
    pub(super) limit: u64,
}

fn query_value<'q>(query: &'q [(String, String)], name: &str) -> Option<&'q str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The page a request's `limit` and `marker` ask for: a bad limit is error 5003, a bad marker 5002.
pub(super) fn page_of(query: &[(String, String)]) -> Result<Page, AppError> {
    let limit = match query_value(query, "limit").filter(|v| !v.is_empty()) {
        None => DEFAULT_LIMIT,
        Some(text) => match text.parse::<u64>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                return Err(AppError::bad_request(format!(
                    "invalid limit {text:?}: give a whole number from 1 to {MAX_LIMIT}"
                ))
                .code(5003));
            }
        },
    };
    let offset = match query_value(query, "marker").filter(|v| !v.is_empty()) {
        None => 0,
        Some(marker) => decode_marker(marker).ok_or_else(|| {
            AppError::new(
                StatusCode::BAD_REQUEST,
                "invalid marker: pass the marker of a previous page",
            )
            .code(5002)
        })?,
    };
    Ok(Page { offset, limit })
}

fn encode_marker(offset: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{{\"offset\":{offset}}}"))
}

fn decode_marker(marker: &str) -> Option<u64> {
    let bytes = URL_SAFE_NO_PAD.decode(marker.trim_end_matches('=')).ok()?;
    let value: Value = serde_json::from_slice(&bytes).ok()?;
    value.get("offset")?.as_u64()
}

/// The paged answer: `results`, and when `more` follow, the marker of the next page and a
/// ready-made link to it (`link_base` is the collection's URL; `filters` are kept in the link).
pub(super) fn paged(
    results: Vec<Value>,
    page: Page,
    more: bool,
    link_base: &str,
    filters: &[(&str, String)],
) -> Value {
    if !more {
        return json!({"marker": null, "next_link": null, "results": results});
    }
    let marker = encode_marker(page.offset + page.limit);
    let mut link = format!("{link_base}?limit={}&marker={marker}", page.limit);
    for (name, value) in filters {
        link.push_str(&format!("&{name}={value}"));
    }
    json!({"marker": marker, "next_link": link, "results": results})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| ((*a).into(), (*b).into()))
            .collect()
    }

    #[test]
    fn limits_and_markers_are_checked() {
        assert_eq!(
            page_of(&q(&[])).unwrap(),
            Page {
                offset: 0,
                limit: 50
            }
        );
        for bad in ["0", "-1", "x", "1001"] {
            assert_eq!(
                page_of(&q(&[("limit", bad)])).unwrap_err().body.code,
                Some(5003)
            );
        }
        for bad in ["%%%", "bm90anNvbg", "e30"] {
            assert_eq!(
                page_of(&q(&[("marker", bad)])).unwrap_err().body.code,
                Some(5002)
            );
        }
        let marker = encode_marker(7);
        assert_eq!(page_of(&q(&[("marker", &marker)])).unwrap().offset, 7);
    }
}
