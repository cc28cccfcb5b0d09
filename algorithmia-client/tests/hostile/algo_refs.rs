//! Algorithm references: any text either parses into a reference that prints as text that
//! parses back to it (and whose URL path segments are that text), or is refused with a reason.

use algorithmia_client::{AlgoRef, Version};
use proptest::prelude::*;
use testkit::hostile::{bounded, config};

use crate::LIMIT;

fn version_text() -> impl Strategy<Value = String> {
    let number = prop_oneof![
        (0u64..100).prop_map(|n| n.to_string()),
        Just(u64::MAX.to_string()),
        Just("18446744073709551616".to_owned()),
        Just("01".to_owned()),
        Just("*".to_owned()),
        Just(String::new()),
        Just("-1".to_owned()),
        Just("+1".to_owned()),
        Just("x".to_owned()),
    ];
    prop_oneof![
        3 => prop::collection::vec(number, 1..5).prop_map(|p| p.join(".")),
        1 => "[0-9a-fA-F]{38,42}",
        1 => prop::sample::select(&["latestPrivate", "latest", "LATESTPRIVATE"][..]).prop_map(str::to_owned),
        1 => "[ -~]{0,12}",
    ]
}

fn algo_ref_text() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        prop::sample::select(
            &[
                "demo", "Hello", "", ".", "..", "a b", "a?b", "a#b", "a%20b", "a\\b", "ö", "\t",
                "algo:", "-_"
            ][..]
        )
        .prop_map(str::to_owned),
        "[ -~]{1,10}",
    ];
    (
        prop::sample::select(&["", "/", "algo://", "algo:/", "ALGO://", "//"][..]),
        segment.clone(),
        segment,
        prop::option::of(version_text()),
        prop::sample::select(&["", "/", "//"][..]),
    )
        .prop_map(|(prefix, owner, name, version, end)| match version {
            Some(v) => format!("{prefix}{owner}/{name}/{v}{end}"),
            None => format!("{prefix}{owner}/{name}{end}"),
        })
}

fn check_algo_ref(r: &AlgoRef) -> Result<(), TestCaseError> {
    let text = r.to_string();
    let again: AlgoRef = text
        .parse()
        .map_err(|e| TestCaseError::fail(format!("{r:?} prints as {text:?}, which fails: {e}")))?;
    prop_assert_eq!(&again, r, "{:?} does not round-trip", text);
    let joined = r.path_segments().collect::<Vec<_>>().join("/");
    prop_assert_eq!(joined, text);
    Ok(())
}

#[test]
fn algo_refs() {
    bounded(LIMIT, || {
        proptest!(config(1000), |(text in prop_oneof![3 => algo_ref_text(), 1 => ".{0,24}"])| {
            match text.parse::<AlgoRef>() {
                Ok(r) => check_algo_ref(&r)?,
                Err(e) => {
                    prop_assert_eq!(&e.input, &text);
                    prop_assert!(!e.reason.is_empty());
                }
            }
        });
    });
}

#[test]
fn algo_refs_from_parts() {
    bounded(LIMIT, || {
        proptest!(config(512), |(
            owner in prop_oneof![Just("demo".to_owned()), "[ -~]{0,8}", ".{0,6}"],
            name in prop_oneof![Just("Hello".to_owned()), "[ -~]{0,8}", ".{0,6}"],
            version in prop::option::of(version_text()),
        )| {
            let version = version.and_then(|v| v.parse::<Version>().ok());
            if let Some(v) = &version {
                prop_assert_eq!(&v.to_string().parse::<Version>().unwrap(), v);
            }
            if let Ok(r) = AlgoRef::new(owner, name, version) {
                check_algo_ref(&r)?;
            }
        });
    });
}
