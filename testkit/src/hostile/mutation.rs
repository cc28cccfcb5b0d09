//! Damage to JSON documents: one change at a place chosen among all the places of a document,
//! so that a golden document (a recorded envelope, a real event) fails in every way it can.

use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;

use super::bytes::b64;
use super::json::{Dialect, any_json};

/// One change to a JSON document, at a place chosen among all its places (see [`places`]).
#[derive(Debug, Clone)]
pub enum Mutation {
    /// Remove the field or array element (the root becomes `null`).
    Remove(Index),
    /// Replace the value by another, usually of another type.
    Replace(Index, Value),
    /// Cut a string (or the JSON text of a value) short.
    Truncate(Index, Index),
    /// A long string, of about this many bytes.
    Huge(Index, usize),
    /// Random bytes: as lossy UTF-8 text, or (when `true`) as base64.
    Garbage(Index, Vec<u8>, bool),
}

/// A mutation, its replacements drawn from `dialect`; huge strings only when the dialect allows
/// them.
pub fn mutation(dialect: Dialect) -> BoxedStrategy<Mutation> {
    let common = prop_oneof![
        2 => any::<Index>().prop_map(Mutation::Remove),
        3 => (any::<Index>(), any_json(dialect)).prop_map(|(i, v)| Mutation::Replace(i, v)),
        3 => (any::<Index>(), any::<Index>()).prop_map(|(i, at)| Mutation::Truncate(i, at)),
        2 => (any::<Index>(), prop::collection::vec(any::<u8>(), 0..64), any::<bool>())
            .prop_map(|(i, b, as_b64)| Mutation::Garbage(i, b, as_b64)),
    ];
    if dialect.huge == 0 {
        return common.boxed();
    }
    prop_oneof![
        10 => common,
        1 => (any::<Index>(), 1..dialect.huge).prop_map(|(i, n)| Mutation::Huge(i, n)),
    ]
    .boxed()
}

/// Every place in a document, as JSON pointers, children before their parent (the root, `""`,
/// is last).
pub fn places(value: &Value) -> Vec<String> {
    fn walk(value: &Value, here: String, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    let k = k.replace('~', "~0").replace('/', "~1");
                    walk(v, format!("{here}/{k}"), out);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(v, format!("{here}/{i}"), out);
                }
            }
            _ => {}
        }
        out.push(here);
    }
    let mut out = Vec::new();
    walk(value, String::new(), &mut out);
    out
}

/// The key a JSON pointer segment names.
fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// `text` cut at a place `at` picks (on a character boundary, at or before it).
pub fn truncate(text: &str, at: &Index) -> String {
    let cut = at.index(text.len() + 1);
    let cut = (0..=cut)
        .rev()
        .find(|&c| text.is_char_boundary(c))
        .unwrap_or(0);
    text[..cut].to_owned()
}

/// Make `mutation` to `doc`.
pub fn apply(doc: &mut Value, mutation: &Mutation) {
    let all = places(doc);
    // `places` always holds the root, so `all` is never empty.
    let pick = |i: &Index| all[i.index(all.len())].clone();
    match mutation {
        Mutation::Remove(i) => {
            let place = pick(i);
            let Some((parent, last)) = place.rsplit_once('/') else {
                *doc = Value::Null;
                return;
            };
            match doc.pointer_mut(parent) {
                Some(Value::Object(map)) => {
                    map.remove(&unescape(last));
                }
                Some(Value::Array(items)) => {
                    if let Some(n) = last.parse::<usize>().ok().filter(|&n| n < items.len()) {
                        items.remove(n);
                    }
                }
                _ => {}
            }
        }
        Mutation::Replace(i, v) => {
            if let Some(slot) = doc.pointer_mut(&pick(i)) {
                *slot = v.clone();
            }
        }
        Mutation::Truncate(i, at) => {
            if let Some(slot) = doc.pointer_mut(&pick(i)) {
                let text = match &*slot {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                *slot = Value::String(truncate(&text, at));
            }
        }
        Mutation::Huge(i, n) => {
            if let Some(slot) = doc.pointer_mut(&pick(i)) {
                let unit = match slot {
                    Value::String(s) if !s.is_empty() => s.clone(),
                    _ => "A".to_owned(),
                };
                *slot = Value::String(unit.repeat(n / unit.len().max(1) + 1));
            }
        }
        Mutation::Garbage(i, bytes, as_b64) => {
            if let Some(slot) = doc.pointer_mut(&pick(i)) {
                *slot = Value::String(if *as_b64 {
                    b64(bytes)
                } else {
                    String::from_utf8_lossy(bytes).into_owned()
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    use serde_json::json;

    /// An index that picks item `n` of `len`.
    fn pick(n: usize, len: usize) -> Index {
        let mut runner = TestRunner::deterministic();
        loop {
            let Ok(tree) = any::<Index>().new_tree(&mut runner) else {
                continue;
            };
            let index = tree.current();
            if index.index(len) == n {
                return index;
            }
        }
    }

    #[test]
    fn places_name_every_value_and_escape_keys() {
        let doc = json!({"a/b": [1, {"~": 2}]});
        assert_eq!(
            places(&doc),
            ["/a~1b/0", "/a~1b/1/~0", "/a~1b/1", "/a~1b", ""]
        );
        for place in places(&doc) {
            assert!(doc.pointer(&place).is_some(), "{place}");
        }
    }

    #[test]
    fn mutations_change_the_chosen_place() {
        let mut doc = json!({"a/b": [1, {"~": "hello"}]});
        apply(&mut doc, &Mutation::Truncate(pick(1, 5), pick(3, 6)));
        assert_eq!(doc, json!({"a/b": [1, {"~": "hel"}]}));
        apply(&mut doc, &Mutation::Remove(pick(0, 5)));
        assert_eq!(doc, json!({"a/b": [{"~": "hel"}]}));
        apply(&mut doc, &Mutation::Huge(pick(0, 4), 10));
        assert_eq!(doc, json!({"a/b": [{"~": "helhelhelhel"}]}));
        apply(&mut doc, &Mutation::Remove(pick(3, 4)));
        assert_eq!(doc, Value::Null);
        assert_eq!(truncate("é", &pick(1, 3)), "");
    }
}
