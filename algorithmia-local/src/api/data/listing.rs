//! Directory listings: one page at a time, folders first, with an opaque marker to the next.

use std::time::SystemTime;

use algorithmia_client::wire::{DirListing, FileEntry, FolderEntry};
use base64::Engine as _;

use crate::data::{Entry, Kind};
use crate::error::AppError;

/// `YYYY-MM-DDTHH:MM:SS.000Z`, the form every official client parses.
fn listing_time(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t)
        .format("%Y-%m-%dT%H:%M:%S.000Z")
        .to_string()
}

fn marker_key(entry: &Entry) -> String {
    let tag = if entry.kind == Kind::Dir { 'd' } else { 'f' };
    format!("{tag}/{}", entry.name)
}

fn encode_marker(key: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key)
}

fn decode_marker(marker: &str) -> Result<String, AppError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(marker)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .filter(|k| k.starts_with("d/") || k.starts_with("f/"))
        .ok_or_else(|| AppError::bad_request("invalid marker").code(5002))
}

/// One page of a directory: folders first, then files, each by name.
pub(super) fn page(
    mut entries: Vec<Entry>,
    marker: Option<&str>,
    size: usize,
) -> Result<DirListing, AppError> {
    entries.sort_by(|a, b| {
        (b.kind == Kind::Dir)
            .cmp(&(a.kind == Kind::Dir))
            .then_with(|| a.name.cmp(&b.name))
    });
    let start = match marker {
        None => 0,
        Some(marker) => {
            let after = decode_marker(marker)?;
            entries
                .iter()
                .position(|e| {
                    let key = marker_key(e);
                    // Folders sort before files; within a kind, by name.
                    (key.starts_with('f') && after.starts_with('d'))
                        || (key[..1] == after[..1] && key > after)
                })
                .unwrap_or(entries.len())
        }
    };
    let end = (start + size.max(1)).min(entries.len());
    let mut listing = DirListing::default();
    for entry in &entries[start..end] {
        match entry.kind {
            Kind::Dir => listing.folders.push(FolderEntry {
                name: entry.name.clone(),
            }),
            Kind::File { size, modified } => listing.files.push(FileEntry {
                filename: entry.name.clone(),
                last_modified: Some(listing_time(modified.unwrap_or(SystemTime::UNIX_EPOCH))),
                size,
            }),
        }
    }
    if end < entries.len() && end > start {
        listing.marker = Some(encode_marker(&marker_key(&entries[end - 1])));
    }
    Ok(listing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(names: &[(&str, bool)]) -> Vec<Entry> {
        names
            .iter()
            .map(|(n, dir)| Entry {
                name: (*n).to_owned(),
                kind: if *dir {
                    Kind::Dir
                } else {
                    Kind::File {
                        size: 1,
                        modified: None,
                    }
                },
            })
            .collect()
    }

    #[test]
    fn pages_cover_every_entry_once_and_end_without_a_marker() {
        let all = entries(&[
            ("b", false),
            ("z", true),
            ("a", false),
            ("c", false),
            ("y", true),
        ]);
        let mut seen = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let listing = page(all.clone(), marker.as_deref(), 2).unwrap();
            seen.extend(listing.folders.iter().map(|f| format!("d:{}", f.name)));
            seen.extend(listing.files.iter().map(|f| format!("f:{}", f.filename)));
            match listing.marker {
                Some(m) => {
                    assert!(!m.is_empty());
                    marker = Some(m);
                }
                None => break,
            }
        }
        assert_eq!(seen, ["d:y", "d:z", "f:a", "f:b", "f:c"]);
        assert!(page(all, Some("bogus!"), 2).is_err());
    }

    #[test]
    fn listing_time_format() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_452_041_554_632);
        assert_eq!(listing_time(t), "2016-01-06T00:52:34.000Z");
    }
}
