//! Hostile settings: route lists and destination ARNs of any shape, damaged or not, fail as
//! configuration errors that name their variable; they never panic.

use std::collections::HashMap;

use lambda_blueprint::Config;
use proptest::prelude::*;
use serde_json::{Value, json};
use testkit::hostile::{Dialect, any_json, apply, bounded, config, mutation};

use crate::LIMIT;

/// Keys and strings of route lists.
const ROUTE_WORDS: Dialect = Dialect {
    keys: &[
        "name",
        "source",
        "source_arn",
        "key_prefix",
        "key_suffix",
        "algorithm",
        "output",
        "template",
        "result_destination",
        "failure_destination",
    ],
    strings: &[
        "s3",
        "kinesis",
        "sqs",
        "raw",
        "util/Echo",
        "arn:aws:s3:::b/p/",
        "arn:aws:sqs:us-east-1:123456789012:q",
        "arn:aws:kinesis:us-east-1:1:stream/*",
        "${/data}",
        "",
    ],
    ..Dialect::SMALL
};

fn settings(pairs: &[(&str, String)]) -> Result<Config, lambda_blueprint::ConfigError> {
    let map: HashMap<&str, String> = pairs.iter().cloned().collect();
    Config::from_lookup(|name| match name {
        "ALGORITHMIA_ALGORITHM" => Some("util/Echo".into()),
        "ALGORITHMIA_API_KEY" => Some("simHostileKey".into()),
        other => map.get(other).cloned(),
    })
}

fn routes_of_any_shape() {
    let valid = json!([
        {"name": "a", "source": "s3", "key_prefix": "in/", "algorithm": "demo/A", "output": "raw",
         "result_destination": "arn:aws:s3:::b/out/"},
        {"source": ["kinesis", "sqs"], "source_arn": "arn:aws:kinesis:us-east-1:1:stream/*",
         "template": {"x": "${/data}"}, "failure_destination": null}
    ]);
    proptest!(config(400), |(
        mutations in prop::collection::vec(mutation(ROUTE_WORDS), 0..4),
        foreign in any_json(ROUTE_WORDS),
        use_foreign in any::<bool>(),
    )| {
        let mut routes = valid.clone();
        for m in &mutations {
            apply(&mut routes, m);
        }
        let text = if use_foreign { foreign.to_string() } else { routes.to_string() };
        match settings(&[("ALGORITHMIA_ROUTES", text.clone())]) {
            // Only a JSON list of routes is accepted.
            Ok(_) => prop_assert!(matches!(serde_json::from_str::<Value>(&text), Ok(Value::Array(_)))),
            Err(e) => {
                prop_assert_eq!(e.variable, "ALGORITHMIA_ROUTES");
                prop_assert!(!e.message.is_empty());
                prop_assert!(!e.to_string().contains("simHostileKey"));
            }
        }
    });
}

fn destinations_of_any_shape() {
    proptest!(config(400), |(arn in "(arn:aws:)?[a-z0-9:/*._-]{0,60}", variable in prop::sample::select(vec![
        "ALGORITHMIA_RESULT_DESTINATION",
        "ALGORITHMIA_FAILURE_DESTINATION",
    ]))| {
        match settings(&[(variable, arn.clone())]) {
            Ok(c) => {
                let d = c.target.result_destination.or(c.target.failure_destination);
                // An empty value is no destination; anything else that parsed is one.
                prop_assert_eq!(d.is_none(), arn.trim().is_empty());
            }
            Err(e) => prop_assert_eq!(e.variable, variable),
        }
    });
}

#[test]
fn settings_routes() {
    bounded(LIMIT, routes_of_any_shape);
}

#[test]
fn settings_destinations() {
    bounded(LIMIT, destinations_of_any_shape);
}
