//! Data URIs: any text either parses into a URI that keeps every invariant and prints as text
//! that parses back to it, or is refused with a reason; joining a child does the same.

use algorithmia_client::DataUri;
use proptest::prelude::*;
use testkit::hostile::{bounded, config};

use crate::LIMIT;

/// Text shaped like a data URI, from the pieces its parser looks at.
fn data_uri_text() -> impl Strategy<Value = String> {
    let connector = prop_oneof![
        prop::sample::select(
            &[
                "data",
                "s3",
                "dropbox",
                "gs",
                "azureblob",
                "s3+backup",
                "s3+",
                "s3+a-b",
                "ftp",
                "DATA",
                "",
                "data+1",
                "data+x+y",
                " data",
            ][..]
        )
        .prop_map(str::to_owned),
        "[a-z0-9+:/]{0,8}",
    ];
    let separator = prop::sample::select(&["://", ":/", ":///", "", "/", "//"][..]);
    let segment = prop_oneof![
        prop::sample::select(
            &[
                "", ".", "..", "...", ".my", "a", "ö", "a b", "\\", "a\\b", "\0", "%2F", "%00",
                "://", "?", "#", "+", "~",
            ][..]
        )
        .prop_map(str::to_owned),
        "[ -~]{1,8}",
        prop::collection::vec(any::<char>(), 1..4).prop_map(String::from_iter),
    ];
    (
        connector,
        separator,
        prop::collection::vec(segment, 0..5),
        prop::sample::select(&["", "/", "//"][..]),
    )
        .prop_map(|(c, sep, segments, end)| format!("{c}{sep}{}{end}", segments.join("/")))
}

/// Every invariant a parsed URI keeps.
fn check_uri(uri: &DataUri) -> Result<(), TestCaseError> {
    let text = uri.to_string();
    let again: DataUri = text.parse().map_err(|e| {
        TestCaseError::fail(format!("{uri:?} prints as {text:?}, which fails: {e}"))
    })?;
    prop_assert_eq!(&again, uri, "{:?} does not round-trip", text);
    let prefix = format!("{}://", uri.connector());
    prop_assert!(text.starts_with(&prefix), "{:?}", text);
    for s in uri.segments() {
        prop_assert!(!s.is_empty() && s != "." && s != "..", "{:?}", s);
        prop_assert!(!s.contains(['\0', '\\', '/']), "{:?}", s);
    }
    prop_assert_eq!(uri.segments().count() == 0, uri.is_root());
    if let (Some(parent), Some(name)) = (uri.parent(), uri.name()) {
        prop_assert_eq!(&parent.join(name).unwrap(), uri);
        prop_assert_eq!(parent.segments().count() + 1, uri.segments().count());
    }
    Ok(())
}

#[test]
fn data_uris() {
    bounded(LIMIT, || {
        proptest!(config(1000), |(
            text in prop_oneof![3 => data_uri_text(), 1 => ".{0,24}"],
            child in prop_oneof![data_uri_text(), "[ -~]{0,12}"],
        )| {
            match text.parse::<DataUri>() {
                Ok(uri) => {
                    check_uri(&uri)?;
                    match uri.join(&child) {
                        Ok(joined) => {
                            check_uri(&joined)?;
                            prop_assert_eq!(joined.connector(), uri.connector());
                            prop_assert!(joined.segments().count() > uri.segments().count());
                        }
                        Err(e) => prop_assert!(!e.reason.is_empty()),
                    }
                }
                Err(e) => {
                    prop_assert_eq!(&e.input, &text);
                    prop_assert!(!e.reason.is_empty() && !e.to_string().is_empty());
                }
            }
        });
    });
}

#[test]
fn data_uris_from_parts() {
    bounded(LIMIT, || {
        proptest!(config(512), |(
            connector in prop_oneof![
                prop::sample::select(&["data", "s3+x", "gs"][..]).prop_map(str::to_owned),
                ".{0,8}",
            ],
            path in prop_oneof![data_uri_text(), ".{0,24}"],
        )| {
            if let Ok(uri) = DataUri::new(&connector, &path) {
                check_uri(&uri)?;
            }
        });
    });
}
