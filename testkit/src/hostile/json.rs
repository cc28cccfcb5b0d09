//! Generators of JSON shaped like what the code under test reads: its own keys and strings
//! often enough to get past its first checks, and anything else the rest of the time.

use proptest::prelude::*;
use serde_json::{Map, Number, Value, json};

use super::bytes::b64;

/// The JSON a suite's code reads: the keys and strings it looks for, and how deep and big
/// generated documents grow.
#[derive(Debug, Clone, Copy)]
pub struct Dialect {
    /// Object keys the code looks for (`"result"`, `"Records"`, ...).
    pub keys: &'static [&'static str],
    /// Strings it treats specially (content types, event sources, edge-case numbers as text).
    pub strings: &'static [&'static str],
    /// How deep documents nest.
    pub depth: u32,
    /// The number of values a document aims at.
    pub size: u32,
    /// The most items in one array or object.
    pub items: usize,
    /// The longest string a [`Mutation::Huge`](super::Mutation::Huge) writes; 0 for none.
    pub huge: usize,
}

impl Dialect {
    /// Small documents, without huge strings: for code whose every case is cheap to check.
    pub const SMALL: Dialect = Dialect {
        keys: &[],
        strings: &[],
        depth: 4,
        size: 64,
        items: 6,
        huge: 0,
    };

    /// Larger documents, with strings of hundreds of kilobytes: for parsers of whole events.
    pub const LARGE: Dialect = Dialect {
        keys: &[],
        strings: &[],
        depth: 5,
        size: 96,
        items: 8,
        huge: 400_000,
    };
}

/// One of `words`, or (with no words) printable text.
fn word(words: &'static [&'static str]) -> BoxedStrategy<String> {
    if words.is_empty() {
        "[ -~]{0,16}".boxed()
    } else {
        prop::sample::select(words).prop_map(str::to_owned).boxed()
    }
}

/// A short string: one of the dialect's strings, printable text, any characters, base64 of any
/// bytes, or any bytes read as lossy UTF-8.
pub fn short_string(dialect: Dialect) -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        3 => word(dialect.strings),
        2 => "[ -~]{0,16}",
        1 => prop::collection::vec(any::<char>(), 0..8).prop_map(String::from_iter),
        1 => prop::collection::vec(any::<u8>(), 0..24).prop_map(|b| b64(&b)),
        1 => prop::collection::vec(any::<u8>(), 0..24)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

/// An object key: usually one the code looks for.
pub fn key(dialect: Dialect) -> impl Strategy<Value = String> + Clone {
    prop_oneof![4 => word(dialect.keys), 1 => short_string(dialect).boxed()]
}

/// Numbers at the edges of what a `f64` or a `Duration` holds.
const EDGE_FLOATS: &[f64] = &[1e300, 1e20, 1.8e19, -1.0, -0.0, 0.0, 5e-324];

/// A JSON value that is not an array or an object: null, booleans, integers of either sign and
/// any size, any finite float, floats at the edges, epoch times with milliseconds, and strings.
pub fn leaf(dialect: Dialect) -> impl Strategy<Value = Value> + Clone {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        prop::sample::select(EDGE_FLOATS)
            .prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
        (0u32..2_000_000_000, 0u32..1000)
            .prop_map(|(s, ms)| json!(f64::from(s) + f64::from(ms) / 1000.0)),
        short_string(dialect).prop_map(Value::String),
    ]
}

/// Any JSON document, with the dialect's keys and strings often enough to reach past the first
/// checks of the code that reads it.
pub fn any_json(dialect: Dialect) -> impl Strategy<Value = Value> + Clone {
    let items = dialect.items;
    leaf(dialect).prop_recursive(
        dialect.depth,
        dialect.size,
        u32::try_from(items).unwrap_or(u32::MAX),
        move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..items).prop_map(Value::Array),
                prop::collection::vec((key(dialect), inner), 0..items)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
            ]
        },
    )
}
