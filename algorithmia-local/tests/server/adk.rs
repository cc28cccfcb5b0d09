//! Hosting algorithms written with the official Python ADK, unchanged: stdout capture, an
//! exception with its error_type, a crash and restart, concurrent calls, and start-up errors.

use algorithmia_local::{AdkAlgorithm, LocalServer, ServerHandle, StartError};
use serde_json::{Value, json};

use crate::{ALICE, client};

fn script() -> String {
    format!("{}/tests/adk/test_algorithm.py", env!("CARGO_MANIFEST_DIR"))
}

fn adk_server() -> ServerHandle {
    let python = testkit::venv_bin("python");
    crate::builder()
        .adk_algorithm(AdkAlgorithm {
            name: "test/AdkEcho".into(),
            version: "1.0.0".into(),
            command: format!("{} {}", python.display(), script()),
            workers: None,
        })
        .start()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn adk_algorithms_answer_text_json_and_binary_and_capture_stdout() {
    let server = adk_server();
    let c = client(&server, ALICE);
    let algo = c.algo("test/AdkEcho/1.0.0");
    assert_eq!(
        algo.pipe("world").await.unwrap().as_text(),
        Some("hi world")
    );
    let echoed = algo.pipe(json!({"n": 1})).await.unwrap();
    assert_eq!(echoed.as_json().unwrap()["echo"], json!({"n": 1}));
    assert_eq!(echoed.as_json().unwrap()["greeting"], "hi");
    let reversed = algo.pipe(vec![1u8, 2, 3, 255]).await.unwrap();
    assert_eq!(reversed.as_bytes(), Some(&[255u8, 3, 2, 1][..]));
    let printed = algo
        .clone()
        .stdout(true)
        .pipe(json!({"action": "print", "text": "a captured line"}))
        .await
        .unwrap();
    assert_eq!(printed.stdout(), Some("a captured line\n"));
    assert_eq!(printed.as_json(), Some(&json!({"printed": true})));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_exception_keeps_its_error_type_and_a_crash_restarts_the_process() {
    let server = adk_server();
    let algo = client(&server, ALICE).algo("test/AdkEcho");
    let err = algo
        .pipe(json!({"action": "raise", "message": "no such thing"}))
        .await
        .unwrap_err();
    let e = err.algorithm_error().unwrap();
    assert_eq!(
        (e.message.as_str(), e.error_type.as_deref()),
        ("no such thing", Some("InputError"))
    );
    assert!(e.stacktrace.as_deref().unwrap_or("").contains("Traceback"));

    let before = algo
        .pipe(json!({"who": "am i"}))
        .await
        .unwrap()
        .as_json()
        .unwrap()["pid"]
        .clone();
    let err = algo.pipe(json!({"action": "crash"})).await.unwrap_err();
    let message = &err.algorithm_error().unwrap().message;
    assert!(
        message.contains("exited") && message.contains("restarted"),
        "{message}"
    );
    let after = algo
        .pipe(json!({"who": "am i"}))
        .await
        .unwrap()
        .as_json()
        .unwrap()["pid"]
        .clone();
    assert_ne!(before, after, "a new process answers after the crash");
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_calls_never_mix_their_responses() {
    let server = adk_server();
    let algo = client(&server, ALICE).algo("test/AdkEcho");
    let calls = (0..16).map(|n| {
        let algo = algo.clone();
        async move { (n, algo.pipe(json!({"n": n})).await) }
    });
    for (n, result) in futures_util::future::join_all(calls).await {
        let value: Value = result.unwrap().as_json().unwrap().clone();
        assert_eq!(value["echo"]["n"], n, "call {n} got {value}");
    }
}

#[test]
fn a_missing_interpreter_or_package_fails_at_start() {
    for (command, needle) in [
        ("no-such-python3 algorithm.py".to_owned(), "not found"),
        (
            format!(
                "{} -c 'import no_such_package'",
                testkit::venv_bin("python").display()
            ),
            "ModuleNotFoundError",
        ),
    ] {
        let err = LocalServer::builder()
            .adk_algorithm(AdkAlgorithm {
                name: "test/Broken".into(),
                version: "1.0.0".into(),
                command,
                workers: None,
            })
            .start()
            .unwrap_err();
        assert!(matches!(err, StartError::Config(_)), "{err:?}");
        let text = err.to_string();
        assert!(
            text.contains("test/Broken") && text.contains(needle),
            "{text}"
        );
    }
}
