//! Lists that servers send bare (`[...]`) or wrapped (`{"results": [...]}`, `{"secrets": [...]}`).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A list sent as an array, or as an object holding it under one of a few keys.
#[derive(Debug)]
pub(crate) struct AnyList<T>(pub(crate) Vec<T>);

/// The keys a wrapped list has been seen under.
const LIST_KEYS: [&str; 5] = ["results", "secrets", "environments", "languages", "errors"];

impl<'de, T: DeserializeOwned> Deserialize<'de> for AnyList<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let items = match Value::deserialize(d)? {
            Value::Array(items) => Value::Array(items),
            Value::Null => Value::Array(Vec::new()),
            Value::Object(mut map) => LIST_KEYS
                .iter()
                .find_map(|key| map.remove(*key).filter(Value::is_array))
                .ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "expected a list, or an object with one of {LIST_KEYS:?}"
                    ))
                })?,
            other => {
                return Err(serde::de::Error::custom(format!(
                    "expected a list, found {other}"
                )));
            }
        };
        serde_json::from_value(items)
            .map(AnyList)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_arrive_bare_or_wrapped() {
        for text in [r#"[1,2]"#, r#"{"results":[1,2]}"#, r#"{"secrets":[1,2]}"#] {
            let list: AnyList<u8> = serde_json::from_str(text).unwrap();
            assert_eq!(list.0, [1, 2], "{text}");
        }
        assert!(serde_json::from_str::<AnyList<u8>>(r#"{"x":[1]}"#).is_err());
        assert!(serde_json::from_str::<AnyList<u8>>(r#""x""#).is_err());
    }
}
