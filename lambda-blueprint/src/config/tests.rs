//! The configuration's tests.
use super::key_source::parse_context;
use super::*;
use std::collections::HashMap;

fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect();
    Config::from_lookup(|name| map.get(name).cloned())
}

const ALGO: (&str, &str) = ("ALGORITHMIA_ALGORITHM", "demo/Hello/0.1.*");
const KEY: (&str, &str) = ("ALGORITHMIA_API_KEY", "simSECRET");

#[test]
fn a_minimal_configuration_has_the_defaults() {
    let c = config(&[ALGO, KEY]).unwrap();
    assert_eq!(c.target.algorithm.to_string(), "demo/Hello/0.1.*");
    assert_eq!(
        (c.concurrency, c.target.output, c.batch),
        (16, OutputMode::Default, BatchMode::Record)
    );
    assert!(c.timeout.is_none() && c.target.template.is_none() && c.api_base.is_none());
    assert!(!format!("{c:?}").contains("SECRET"));
}

#[test]
fn every_setting_is_read() {
    let c = config(&[
        ("ALGORITHMIA_ALGORITHM", "algo://util/Echo/1.0.0"),
        ("ALGORITHMIA_API_KEY_ENCRYPTED", "AQID BA=="),
        (
            "ALGORITHMIA_KMS_ENCRYPTION_CONTEXT",
            "app=thumbs, stage=prod",
        ),
        ("ALGORITHMIA_API", "http://127.0.0.1:9000"),
        ("ALGORITHMIA_TIMEOUT", "120"),
        ("ALGORITHMIA_OUTPUT", "raw"),
        ("ALGORITHMIA_CONCURRENCY", "4"),
        ("ALGORITHMIA_BATCH", "batch"),
        ("ALGORITHMIA_INPUT_TEMPLATE", r#"{"image":"${/uri}"}"#),
    ])
    .unwrap();
    let KeySource::Encrypted {
        ciphertext,
        context,
    } = &c.key
    else {
        panic!()
    };
    assert_eq!(ciphertext, &[1, 2, 3, 4]);
    let EncryptionContext::Explicit(map) = context else {
        panic!()
    };
    assert_eq!(map["app"], "thumbs");
    assert_eq!(map["stage"], "prod");
    assert_eq!(c.timeout, Some(Duration::from_secs(120)));
    assert_eq!(
        (c.target.output, c.concurrency, c.batch),
        (OutputMode::Raw, 4, BatchMode::Batch)
    );
    assert!(c.target.template.is_some());
    for (text, want) in [
        ("auto", EncryptionContext::Auto),
        ("none", EncryptionContext::None),
        ("", EncryptionContext::Auto),
    ] {
        assert_eq!(parse_context(text).unwrap(), want);
    }
}

#[test]
fn every_configuration_error_names_its_variable() {
    let enc = ("ALGORITHMIA_API_KEY_ENCRYPTED", "AQID");
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![KEY], "ALGORITHMIA_ALGORITHM"),
        (
            vec![("ALGORITHMIA_ALGORITHM", "nope"), KEY],
            "ALGORITHMIA_ALGORITHM",
        ),
        (
            vec![("ALGORITHMIA_ALGORITHM", "a/b/1.x"), KEY],
            "ALGORITHMIA_ALGORITHM",
        ),
        (vec![ALGO], "ALGORITHMIA_API_KEY"),
        (vec![ALGO, KEY, enc], "ALGORITHMIA_API_KEY"),
        (
            vec![ALGO, ("ALGORITHMIA_API_KEY", "YOUR_API_KEY")],
            "ALGORITHMIA_API_KEY",
        ),
        (
            vec![
                ALGO,
                ("ALGORITHMIA_API_KEY_ENCRYPTED", "<kmsEncryptedApiKey>"),
            ],
            "ALGORITHMIA_API_KEY_ENCRYPTED",
        ),
        (
            vec![ALGO, ("ALGORITHMIA_API_KEY_ENCRYPTED", "not base64!")],
            "ALGORITHMIA_API_KEY_ENCRYPTED",
        ),
        (
            vec![ALGO, enc, ("ALGORITHMIA_KMS_ENCRYPTION_CONTEXT", "novalue")],
            "ALGORITHMIA_KMS_ENCRYPTION_CONTEXT",
        ),
        (
            vec![ALGO, enc, ("ALGORITHMIA_KMS_ENCRYPTION_CONTEXT", "a=1,a=2")],
            "ALGORITHMIA_KMS_ENCRYPTION_CONTEXT",
        ),
        (
            vec![ALGO, KEY, ("ALGORITHMIA_TIMEOUT", "0")],
            "ALGORITHMIA_TIMEOUT",
        ),
        (
            vec![ALGO, KEY, ("ALGORITHMIA_TIMEOUT", "3001")],
            "ALGORITHMIA_TIMEOUT",
        ),
        (
            vec![ALGO, KEY, ("ALGORITHMIA_TIMEOUT", "soon")],
            "ALGORITHMIA_TIMEOUT",
        ),
        (
            vec![ALGO, KEY, ("ALGORITHMIA_OUTPUT", "json")],
            "ALGORITHMIA_OUTPUT",
        ),
        (
            vec![ALGO, KEY, ("ALGORITHMIA_CONCURRENCY", "0")],
            "ALGORITHMIA_CONCURRENCY",
        ),
        (
            vec![ALGO, KEY, ("ALGORITHMIA_CONCURRENCY", "many")],
            "ALGORITHMIA_CONCURRENCY",
        ),
        (
            vec![ALGO, KEY, ("ALGORITHMIA_BATCH", "all")],
            "ALGORITHMIA_BATCH",
        ),
        (
            vec![ALGO, KEY, ("ALGORITHMIA_INPUT_TEMPLATE", "{not json")],
            "ALGORITHMIA_INPUT_TEMPLATE",
        ),
        (
            vec![
                ALGO,
                KEY,
                ("ALGORITHMIA_INPUT_TEMPLATE", r#"{"a":"${uri}"}"#),
            ],
            "ALGORITHMIA_INPUT_TEMPLATE",
        ),
        (
            vec![ALGO, KEY, ("ALGORITHMIA_API", "ftp://x")],
            "ALGORITHMIA_API",
        ),
    ];
    for (pairs, variable) in cases {
        let err = config(&pairs).unwrap_err();
        assert_eq!(err.variable, variable, "{pairs:?}: {err}");
        assert!(err.to_string().starts_with(variable));
        assert!(!err.to_string().contains("simSECRET"));
    }
}

#[test]
fn delivery_settings_are_read() {
    let c = config(&[
        ALGO,
        KEY,
        (
            "ALGORITHMIA_RESULT_DESTINATION",
            "arn:aws:s3:::results/out/",
        ),
        (
            "ALGORITHMIA_FAILURE_DESTINATION",
            "arn:aws:sqs:us-east-1:123456789012:poison",
        ),
        (
            "ALGORITHMIA_IDEMPOTENCY_TABLE",
            "arn:aws:dynamodb:us-east-1:123456789012:table/marks",
        ),
        ("ALGORITHMIA_IDEMPOTENCY_TTL", "90m"),
        ("ALGORITHMIA_METRICS_NAMESPACE", "Thumbnails/Prod"),
        (
            "ALGORITHMIA_ROUTES",
            r#"[{"source": "sqs", "algorithm": "demo/Other"}]"#,
        ),
    ])
    .unwrap();
    assert_eq!(
        c.target.result_destination.as_ref().unwrap().to_string(),
        "arn:aws:s3:::results/out/"
    );
    assert_eq!(c.target.failure_destination.as_ref().unwrap().kind(), "sqs");
    let idempotency = c.idempotency.as_ref().unwrap();
    assert_eq!(idempotency.table, "marks");
    assert_eq!(idempotency.ttl, Duration::from_secs(5400));
    assert_eq!(c.metrics_namespace, "Thumbnails/Prod");
    assert_eq!(c.routes.len(), 1);
    // The route inherits the default route's destinations.
    assert_eq!(
        c.routes[0].target.result_destination,
        c.target.result_destination
    );
    assert_eq!(c.targets().count(), 2);

    let plain = config(&[ALGO, KEY, ("ALGORITHMIA_IDEMPOTENCY_TABLE", "marks")]).unwrap();
    assert_eq!(plain.idempotency.unwrap().ttl, DEFAULT_IDEMPOTENCY_TTL);
    assert_eq!(plain.metrics_namespace, DEFAULT_NAMESPACE);
    assert_eq!(
        config(&[
            ALGO,
            KEY,
            ("ALGORITHMIA_IDEMPOTENCY_TABLE", "m.a-r_ks"),
            ("ALGORITHMIA_IDEMPOTENCY_TTL", "7200")
        ])
        .unwrap()
        .idempotency
        .unwrap()
        .ttl,
        Duration::from_secs(7200)
    );
}

#[test]
fn bad_delivery_settings_name_their_variable() {
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("ALGORITHMIA_RESULT_DESTINATION", "results")],
            "ALGORITHMIA_RESULT_DESTINATION",
        ),
        (
            vec![(
                "ALGORITHMIA_FAILURE_DESTINATION",
                "arn:aws:lambda:us-east-1:123456789012:function:f",
            )],
            "ALGORITHMIA_FAILURE_DESTINATION",
        ),
        (
            vec![("ALGORITHMIA_IDEMPOTENCY_TABLE", "a b")],
            "ALGORITHMIA_IDEMPOTENCY_TABLE",
        ),
        (
            vec![("ALGORITHMIA_IDEMPOTENCY_TABLE", "arn:aws:s3:::not-a-table")],
            "ALGORITHMIA_IDEMPOTENCY_TABLE",
        ),
        (
            vec![
                ("ALGORITHMIA_IDEMPOTENCY_TABLE", "marks"),
                ("ALGORITHMIA_IDEMPOTENCY_TTL", "soon"),
            ],
            "ALGORITHMIA_IDEMPOTENCY_TTL",
        ),
        (
            vec![
                ("ALGORITHMIA_IDEMPOTENCY_TABLE", "marks"),
                ("ALGORITHMIA_IDEMPOTENCY_TTL", "5"),
            ],
            "ALGORITHMIA_IDEMPOTENCY_TTL",
        ),
        (
            vec![("ALGORITHMIA_IDEMPOTENCY_TTL", "3600")],
            "ALGORITHMIA_IDEMPOTENCY_TTL",
        ),
        (
            vec![("ALGORITHMIA_METRICS_NAMESPACE", "AWS/Lambda")],
            "ALGORITHMIA_METRICS_NAMESPACE",
        ),
        (
            vec![("ALGORITHMIA_METRICS_NAMESPACE", "bad\nname")],
            "ALGORITHMIA_METRICS_NAMESPACE",
        ),
        (vec![("ALGORITHMIA_ROUTES", "[{")], "ALGORITHMIA_ROUTES"),
    ];
    for (extra, variable) in cases {
        let mut pairs = vec![ALGO, KEY];
        pairs.extend(extra);
        let err = config(&pairs).unwrap_err();
        assert_eq!(err.variable, variable, "{pairs:?}: {err}");
    }
}
