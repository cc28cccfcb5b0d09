//! Routes (`ALGORITHMIA_ROUTES`): which algorithm, template, output mode and destinations a record
//! gets, by its source kind, its source ARN and, for S3, its object key.
//!
//! ```json
//! [
//!   {"name": "thumbnails", "source": "s3", "key_prefix": "images/", "key_suffix": ".jpg",
//!    "algorithm": "opencv/SmartThumbnail/1.0.0", "output": "raw",
//!    "result_destination": "arn:aws:s3:::results/thumbnails/"},
//!   {"source": "kinesis", "source_arn": "arn:aws:kinesis:us-east-1:123456789012:stream/clicks",
//!    "algorithm": "demo/Score", "template": {"event": "${/data}"}}
//! ]
//! ```
//!
//! The first route that matches a record wins; a record no route matches takes the default route,
//! which the other variables (`ALGORITHMIA_ALGORITHM`, `ALGORITHMIA_INPUT_TEMPLATE`, ...) make. A
//! route's omitted settings are the default route's; `null` clears an optional one (`"template":
//! null`, `"result_destination": null`). A route names at least one condition: `source` (one kind
//! or a list of `s3`, `kinesis`, `dynamodb`, `sqs`, `sns`, `http`, `direct`), `source_arn` (exact,
//! or a prefix ending in `*`), `key_prefix` or `key_suffix` (S3 records only).

use algorithmia_client::AlgoRef;
use serde::Deserialize;
use serde_json::Value;

use super::{ConfigError, OutputMode, error, parse_output};
use crate::destination::Destination;
use crate::events::{Record, Source};
use crate::template::InputTemplate;

const VARIABLE: &str = "ALGORITHMIA_ROUTES";

/// What a record is sent to, and where its result and permanent failure go.
#[derive(Debug, Clone)]
pub struct Target {
    /// The algorithm to call.
    pub algorithm: AlgoRef,
    /// The output mode of the calls.
    pub output: OutputMode,
    /// The input template.
    pub template: Option<InputTemplate>,
    /// Where each success's result goes (`ALGORITHMIA_RESULT_DESTINATION`).
    pub result_destination: Option<Destination>,
    /// Where permanent failures go, acknowledged (`ALGORITHMIA_FAILURE_DESTINATION`).
    pub failure_destination: Option<Destination>,
}

/// The kinds of record a route can name.
const KINDS: [&str; 7] = ["s3", "kinesis", "dynamodb", "sqs", "sns", "http", "direct"];

/// The kind a route sees of a record of an invocation from `source`: S3 for every S3 object
/// event (a notification, through EventBridge, or unwrapped from SQS or SNS).
pub(crate) fn kind_of(source: Source, record: &Record) -> &'static str {
    if record.meta.object.is_some() {
        return "s3";
    }
    match source {
        Source::S3 | Source::EventBridgeS3 => "s3",
        Source::Kinesis => "kinesis",
        Source::DynamoDb => "dynamodb",
        Source::Sqs => "sqs",
        Source::Sns => "sns",
        Source::HttpV1 | Source::HttpV2 => "http",
        Source::Direct => "direct",
    }
}

/// When a route applies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteMatch {
    /// The record kinds (any when empty).
    pub sources: Vec<String>,
    /// The source ARN, exact or (ending in `*`) a prefix.
    pub source_arn: Option<String>,
    /// The S3 object key's prefix.
    pub key_prefix: Option<String>,
    /// The S3 object key's suffix.
    pub key_suffix: Option<String>,
}

impl RouteMatch {
    /// Whether a record of an invocation from `source` matches.
    pub fn matches(&self, source: Source, record: &Record) -> bool {
        if !self.sources.is_empty() && !self.sources.iter().any(|k| k == kind_of(source, record)) {
            return false;
        }
        if let Some(want) = &self.source_arn {
            let Some(arn) = record.meta.source_arn.as_deref() else {
                return false;
            };
            let hit = match want.strip_suffix('*') {
                Some(prefix) => arn.starts_with(prefix),
                None => arn == want,
            };
            if !hit {
                return false;
            }
        }
        if self.key_prefix.is_some() || self.key_suffix.is_some() {
            let key = record
                .meta
                .object
                .as_ref()
                .and_then(|o| o.get("key"))
                .and_then(Value::as_str);
            let Some(key) = key else {
                return false;
            };
            if self
                .key_prefix
                .as_deref()
                .is_some_and(|p| !key.starts_with(p))
                || self
                    .key_suffix
                    .as_deref()
                    .is_some_and(|s| !key.ends_with(s))
            {
                return false;
            }
        }
        true
    }
}

/// A route: when it applies, and what it sends to.
#[derive(Debug, Clone)]
pub struct Route {
    /// Its name (given, or `route N`), for logs and errors.
    pub name: String,
    /// When it applies.
    pub when: RouteMatch,
    /// What it sends to.
    pub target: Target,
}

/// One route as written: every setting optional; `Some(None)` is an explicit `null`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteSpec {
    name: Option<String>,
    #[serde(default)]
    source: Option<OneOrMany>,
    source_arn: Option<String>,
    key_prefix: Option<String>,
    key_suffix: Option<String>,
    algorithm: Option<String>,
    output: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    template: Option<Option<Value>>,
    #[serde(default, deserialize_with = "nullable")]
    result_destination: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    failure_destination: Option<Option<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// A present field, `null` included (`Some(None)`), as opposed to an absent one (`None`).
fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Parse `ALGORITHMIA_ROUTES` against the default route's settings.
pub(crate) fn parse_routes(text: &str, default: &Target) -> Result<Vec<Route>, ConfigError> {
    let specs: Vec<Value> = serde_json::from_str(text).map_err(|e| {
        let message = if e.is_data() {
            format!("not a JSON list of routes: {e}")
        } else {
            format!("not JSON (line {}, column {}): {e}", e.line(), e.column())
        };
        error(VARIABLE, message)
    })?;
    specs
        .into_iter()
        .enumerate()
        .map(|(i, spec)| {
            let fallback = format!("route {}", i + 1);
            let label = match spec.get("name").and_then(Value::as_str) {
                Some(name) => format!("{fallback} ({name:?})"),
                None => fallback.clone(),
            };
            let at = |message: String| error(VARIABLE, format!("{label}: {message}"));
            let spec: RouteSpec = serde_path_to_error::deserialize(&spec).map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                if path == "." {
                    at(inner.to_string())
                } else {
                    at(format!("{path}: {inner}"))
                }
            })?;
            route(spec, default, fallback).map_err(at)
        })
        .collect()
}

fn route(spec: RouteSpec, default: &Target, fallback: String) -> Result<Route, String> {
    let sources = match spec.source {
        None => Vec::new(),
        Some(OneOrMany::One(kind)) => vec![kind],
        Some(OneOrMany::Many(kinds)) => kinds,
    };
    if let Some(bad) = sources.iter().find(|k| !KINDS.contains(&k.as_str())) {
        return Err(format!(
            "source: {bad:?} is not one of {}",
            KINDS.join(", ")
        ));
    }
    let when = RouteMatch {
        sources,
        source_arn: spec.source_arn.filter(|a| !a.is_empty()),
        key_prefix: spec.key_prefix,
        key_suffix: spec.key_suffix,
    };
    if when == RouteMatch::default() {
        return Err(
            "names no condition (source, source_arn, key_prefix or key_suffix), so it would take \
             every record: put its settings in the default variables instead"
                .into(),
        );
    }
    if (when.key_prefix.is_some() || when.key_suffix.is_some())
        && !(when.sources.is_empty() || when.sources == ["s3"])
    {
        return Err("key_prefix and key_suffix apply to S3 records only (source \"s3\")".into());
    }
    let algorithm = match spec.algorithm {
        None => default.algorithm.clone(),
        Some(text) => text
            .parse::<AlgoRef>()
            .map_err(|e| format!("algorithm: {e}"))?,
    };
    let output = match spec.output {
        None => default.output,
        Some(text) => parse_output(&text).map_err(|e| format!("output: {e}"))?,
    };
    let template = match spec.template {
        None => default.template.clone(),
        Some(None) => None,
        Some(Some(value)) => {
            let text = match value {
                Value::String(text) => text,
                other => other.to_string(),
            };
            Some(InputTemplate::parse(&text).map_err(|e| format!("template: {e}"))?)
        }
    };
    let destination = |given: Option<Option<String>>,
                       inherited: &Option<Destination>,
                       field: &str|
     -> Result<Option<Destination>, String> {
        match given {
            None => Ok(inherited.clone()),
            Some(None) => Ok(None),
            Some(Some(arn)) => arn
                .parse::<Destination>()
                .map(Some)
                .map_err(|e| format!("{field}: {e}")),
        }
    };
    Ok(Route {
        name: spec.name.unwrap_or(fallback),
        when,
        target: Target {
            algorithm,
            output,
            template,
            result_destination: destination(
                spec.result_destination,
                &default.result_destination,
                "result_destination",
            )?,
            failure_destination: destination(
                spec.failure_destination,
                &default.failure_destination,
                "failure_destination",
            )?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{RecordInput, RecordMeta};
    use serde_json::json;

    fn default() -> Target {
        Target {
            algorithm: "util/Echo".parse().unwrap(),
            output: OutputMode::Default,
            template: None,
            result_destination: Some("arn:aws:s3:::results".parse().unwrap()),
            failure_destination: None,
        }
    }

    fn record(arn: Option<&str>, key: Option<&str>) -> Record {
        Record {
            id: "r".into(),
            group: None,
            input: Ok(RecordInput {
                view: json!({}),
                payload: crate::events::Payload::Json(json!({})),
            }),
            meta: RecordMeta {
                idempotency_key: None,
                source_arn: arn.map(str::to_owned),
                object: key.map(|k| json!({"bucket": "b", "key": k})),
                raw_index: None,
                via: None,
            },
        }
    }

    #[test]
    fn routes_match_by_kind_arn_and_key() {
        let routes = parse_routes(
            r#"[
              {"name": "thumbs", "source": "s3", "key_prefix": "images/", "key_suffix": ".jpg",
               "algorithm": "opencv/SmartThumbnail", "output": "raw", "result_destination": null},
              {"source": ["kinesis", "dynamodb"], "source_arn": "arn:aws:kinesis:us-east-1:1:stream/*",
               "algorithm": "demo/Score", "template": {"event": "${/data}"}}
            ]"#,
            &default(),
        )
        .unwrap();
        let thumbs = &routes[0];
        assert_eq!(thumbs.name, "thumbs");
        assert_eq!(thumbs.target.output, OutputMode::Raw);
        assert!(thumbs.target.result_destination.is_none());
        assert!(
            thumbs
                .when
                .matches(Source::S3, &record(None, Some("images/a.jpg")))
        );
        assert!(
            thumbs
                .when
                .matches(Source::Sqs, &record(None, Some("images/a.jpg")))
        );
        assert!(
            !thumbs
                .when
                .matches(Source::S3, &record(None, Some("images/a.png")))
        );
        assert!(
            !thumbs
                .when
                .matches(Source::S3, &record(None, Some("docs/a.jpg")))
        );
        assert!(!thumbs.when.matches(Source::Kinesis, &record(None, None)));
        let score = &routes[1];
        assert_eq!(score.name, "route 2");
        assert_eq!(score.target.algorithm.to_string(), "demo/Score");
        assert!(score.target.template.is_some());
        assert_eq!(
            score.target.result_destination,
            default().result_destination
        );
        let clicks = record(Some("arn:aws:kinesis:us-east-1:1:stream/clicks"), None);
        assert!(score.when.matches(Source::Kinesis, &clicks));
        assert!(!score.when.matches(Source::Sqs, &clicks));
        assert!(
            !score
                .when
                .matches(Source::Kinesis, &record(Some("arn:aws:sqs:x"), None))
        );
        assert!(!score.when.matches(Source::Kinesis, &record(None, None)));
    }

    #[test]
    fn a_bad_route_list_says_where() {
        for (text, want) in [
            ("[{not json", "not JSON (line 1, column 3)"),
            (r#"{"a": 1}"#, "not a JSON list"),
            (
                r#"[{"source": "s3", "algoritm": "a/b"}]"#,
                "route 1: algoritm: unknown field `algoritm`",
            ),
            (
                r#"[{"source": "ftp"}]"#,
                r#"route 1: source: "ftp" is not one of"#,
            ),
            (
                r#"[{"source": "s3"}, {"name": "x"}]"#,
                r#"route 2 ("x"): names no condition"#,
            ),
            (
                r#"[{"source": "s3", "algorithm": "nope"}]"#,
                "route 1: algorithm:",
            ),
            (
                r#"[{"source": "s3", "output": "json"}]"#,
                "route 1: output:",
            ),
            (
                r#"[{"source": "s3", "template": "{bad"}]"#,
                "route 1: template:",
            ),
            (
                r#"[{"source": "s3", "result_destination": "arn:aws:lambda:us-east-1:1:function:f"}]"#,
                "route 1: result_destination:",
            ),
            (
                r#"[{"source": "sqs", "key_prefix": "a/"}]"#,
                "S3 records only",
            ),
            (r#"[{"source": 7}]"#, "route 1: source:"),
        ] {
            let err = parse_routes(text, &default()).unwrap_err();
            assert_eq!(err.variable, VARIABLE);
            assert!(err.message.contains(want), "{text}: {err}");
        }
    }
}
