//! `ALGORITHMIA_INPUT_TEMPLATE`: a JSON document whose `${/pointer}` placeholders take values
//! from a record's default input.

use serde_json::Value;

/// A parsed, validated input template.
///
/// A string that is exactly `"${/json/pointer}"` becomes the value at that RFC 6901 pointer
/// (any JSON type); `${/pointer}` inside a longer string is substituted as text.
///
/// ```
/// use lambda_blueprint::InputTemplate;
/// use serde_json::json;
///
/// let t = InputTemplate::parse(r#"{"image":"${/uri}","outputUrl":"s3://thumbs/${/key}","size":"${/size}"}"#)?;
/// let input = t.render(&json!({"uri": "s3://in/cat.png", "key": "cat.png", "size": 42}))?;
/// assert_eq!(input, json!({"image": "s3://in/cat.png", "outputUrl": "s3://thumbs/cat.png", "size": 42}));
/// assert!(t.render(&json!({"uri": "x"})).is_err()); // a missing pointer fails the record
/// # Ok::<(), String>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct InputTemplate(Node);

/// A template, split into its pieces once, when it is parsed.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    /// A value without placeholders, copied as it is.
    Literal(Value),
    /// A string with placeholders.
    Text(Vec<Piece>),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
}

/// One piece of a templated string.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    Pointer(String),
}

/// Split a string into text and `${pointer}` pieces.
fn pieces(s: &str) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        if start > 0 {
            out.push(Piece::Text(rest[..start].to_owned()));
        }
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("{s:?}: a `${{` is not closed by `}}`"))?;
        let pointer = &after[..end];
        if !(pointer.is_empty() || pointer.starts_with('/')) {
            return Err(format!(
                "{s:?}: `${{{pointer}}}` is not a JSON pointer (it must start with `/`)"
            ));
        }
        out.push(Piece::Pointer(pointer.to_owned()));
        rest = &after[end + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest.to_owned()));
    }
    Ok(out)
}

fn compile(value: Value) -> Result<Node, String> {
    Ok(match value {
        Value::String(s) => {
            let parts = pieces(&s)?;
            if parts.iter().any(|p| matches!(p, Piece::Pointer(_))) {
                Node::Text(parts)
            } else {
                Node::Literal(Value::String(s))
            }
        }
        Value::Array(items) => {
            Node::Array(items.into_iter().map(compile).collect::<Result<_, _>>()?)
        }
        Value::Object(map) => Node::Object(
            map.into_iter()
                .map(|(k, v)| Ok((k, compile(v)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => Node::Literal(other),
    })
}

fn lookup<'v>(view: &'v Value, pointer: &str) -> Result<&'v Value, String> {
    view.pointer(pointer).ok_or_else(|| {
        format!("the input template's pointer {pointer:?} is missing in this record")
    })
}

fn render_node(node: &Node, view: &Value) -> Result<Value, String> {
    Ok(match node {
        Node::Literal(value) => value.clone(),
        Node::Text(parts) => {
            if let [Piece::Pointer(pointer)] = parts.as_slice() {
                return lookup(view, pointer).cloned();
            }
            let mut text = String::new();
            for part in parts {
                match part {
                    Piece::Text(t) => text.push_str(t),
                    Piece::Pointer(p) => match lookup(view, p)? {
                        Value::String(s) => text.push_str(s),
                        other => text.push_str(&other.to_string()),
                    },
                }
            }
            Value::String(text)
        }
        Node::Array(items) => Value::Array(
            items
                .iter()
                .map(|n| render_node(n, view))
                .collect::<Result<_, _>>()?,
        ),
        Node::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, n)| Ok((k.clone(), render_node(n, view)?)))
                .collect::<Result<_, String>>()?,
        ),
    })
}

impl InputTemplate {
    /// Parse and validate a template.
    pub fn parse(text: &str) -> Result<InputTemplate, String> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
        compile(value).map(InputTemplate)
    }

    /// Fill the template from a record's default input.
    pub fn render(&self, view: &Value) -> Result<Value, String> {
        render_node(&self.0, view)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn whole_values_keep_their_type_and_text_is_substituted() {
        let t = InputTemplate::parse(
            r#"{"all":"${}","n":"${/n}","obj":"${/o}","list":["${/o/a}", "x-${/n}-${/s}", 7],"plain":"no pointers","esc":"${/a~1b}"}"#,
        )
        .unwrap();
        let view = json!({"n": 5, "s": "str", "o": {"a": [1, 2]}, "a/b": true});
        let out = t.render(&view).unwrap();
        assert_eq!(out["all"], view);
        assert_eq!(out["n"], 5);
        assert_eq!(out["obj"], json!({"a": [1, 2]}));
        assert_eq!(out["list"], json!([[1, 2], "x-5-str", 7]));
        assert_eq!(out["plain"], "no pointers");
        assert_eq!(out["esc"], true);
    }

    #[test]
    fn malformed_templates_and_missing_pointers_are_errors() {
        for bad in ["{", r#""${/unclosed""#, r#"{"a":"${key}"}"#] {
            assert!(InputTemplate::parse(bad).is_err(), "{bad}");
        }
        let t = InputTemplate::parse(r#"{"a":"prefix ${/missing}"}"#).unwrap();
        let err = t.render(&json!({})).unwrap_err();
        assert!(err.contains("/missing"), "{err}");
    }
}
