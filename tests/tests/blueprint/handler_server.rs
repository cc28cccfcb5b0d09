//! The handler against a real `algorithmia-local`, where the SDK's wire behaviour is what is
//! tested: the output modes, and a key the server refuses.

use serde_json::{Value, json};

use crate::{blueprint, fixture, invoke, server};

#[tokio::test]
async fn direct_invocations_return_the_result_or_the_error() {
    let server = server();
    let echo = blueprint(&server, "util/Echo/1.0.0", &[]);
    assert_eq!(
        invoke(&echo, fixture("direct.json"), None).await.unwrap(),
        fixture("direct.json")
    );
    let fail = blueprint(&server, "util/Fail", &[]);
    let err = invoke(
        &fail,
        json!({"message": "direct failure", "error_type": "InputError"}),
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type(), "InputError");
    assert!(
        err.to_string().starts_with(
            "InputError: algorithm util/Fail raised InputError: direct failure (request "
        ),
        "{err}"
    );
    let raw = blueprint(&server, "util/Echo", &[("ALGORITHMIA_OUTPUT", "raw")]);
    assert_eq!(
        invoke(&raw, json!({"k": 1}), None).await.unwrap(),
        json!({"k": 1})
    );
    let void = blueprint(&server, "util/Echo", &[("ALGORITHMIA_OUTPUT", "void")]);
    assert_eq!(
        invoke(&void, json!({"k": 1}), None).await.unwrap(),
        Value::Null
    );
}

#[tokio::test]
async fn a_wrong_key_is_surfaced_clearly() {
    let server = server();
    let bp = blueprint(
        &server,
        "util/Echo",
        &[("ALGORITHMIA_API_KEY", "simWrongKey")],
    );
    let err = invoke(&bp, json!({"x": 1}), None).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("refused the API key (HTTP 401)"), "{text}");
    assert!(!text.contains("simWrongKey"));
    assert!(!format!("{bp:?}").contains("simWrongKey"));
}
