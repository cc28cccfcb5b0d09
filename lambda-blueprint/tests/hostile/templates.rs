//! Input templates: any template text parses or is refused with a reason; a parsed one renders
//! any view or names the pointer it could not resolve, and `${pointer}` finds every value.

use lambda_blueprint::InputTemplate;
use lambda_blueprint::events::recognise;
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Map, Value, json};
use testkit::hostile::{any_json, apply, bounded, config, key, leaf, mutation, places, truncate};

use crate::{LIMIT, WORDS, fixture, fixture_name};

/// Template strings built from the pieces the parser looks for.
fn template_string() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("${".to_owned()),
        Just("}".to_owned()),
        Just("${/".to_owned()),
        Just("${}".to_owned()),
        Just("/".to_owned()),
        Just("~0".to_owned()),
        Just("~1".to_owned()),
        Just("~".to_owned()),
        Just("$".to_owned()),
        Just("${/a}".to_owned()),
        Just("${/a/0}".to_owned()),
        Just("${/-}".to_owned()),
        key(WORDS),
    ];
    prop::collection::vec(piece, 0..6).prop_map(|p| p.concat())
}

fn template_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![3 => template_string().prop_map(Value::String), 1 => leaf(WORDS)];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key(WORDS), inner), 0..5)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Template text: random text, generated templates, and generated templates cut short.
fn template_text() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => ".{0,64}",
        1 => template_string(),
        3 => template_json().prop_map(|v| v.to_string()),
        1 => (template_json(), any::<Index>()).prop_map(|(v, at)| truncate(&v.to_string(), &at)),
    ]
}

fn view() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => any_json(WORDS),
        1 => (fixture_name(), prop::collection::vec(mutation(WORDS), 0..3)).prop_map(|(name, m)| {
            let mut event = fixture(name);
            for m in &m {
                apply(&mut event, m);
            }
            match recognise(event).records.into_iter().next().map(|r| r.input) {
                Some(Ok(input)) => input.view,
                _ => Value::Null,
            }
        }),
    ]
}

fn templates_never_panic() {
    proptest!(config(1000), |(text in template_text(), view in view())| {
        match InputTemplate::parse(&text) {
            Ok(template) => {
                if let Err(e) = template.render(&view) {
                    prop_assert!(!e.trim().is_empty());
                    prop_assert!(e.contains("pointer"), "{}", e);
                }
            }
            Err(e) => prop_assert!(!e.trim().is_empty()),
        }
    });
}

/// `"${pointer}"` is the value at that pointer, of any type; inside text, its text.
fn templates_find_every_value() {
    proptest!(config(500), |(view in any_json(WORDS), pick in any::<Index>())| {
        let all: Vec<String> = places(&view).into_iter().filter(|p| !p.contains('}')).collect();
        let pointer = &all[pick.index(all.len())];
        let want = view.pointer(pointer).unwrap().clone();
        let template = InputTemplate::parse(&json!({"whole": format!("${{{pointer}}}"), "text": format!("<${{{pointer}}}>")}).to_string()).unwrap();
        let out = template.render(&view).unwrap();
        prop_assert_eq!(&out["whole"], &want);
        let text = match &want {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        prop_assert_eq!(&out["text"], &json!(format!("<{text}>")));
    });
}

#[test]
fn templates_parse_and_render() {
    bounded(LIMIT, templates_never_panic);
}

#[test]
fn templates_resolve_pointers() {
    bounded(LIMIT, templates_find_every_value);
}
