//! The blocking facade runs the same code path without an async runtime of the caller's.

use algorithmia_client::{Error, Raw, blocking};
use wiremock::matchers::{method, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{builder, json_fixture};

#[test]
fn calls_options_and_errors_work_without_a_runtime() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(MockServer::start());
    runtime.block_on(async {
        Mock::given(method("POST"))
            .and(query_param("output", "raw"))
            .respond_with(ResponseTemplate::new(200).set_body_raw("raw!", "text/plain"))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(wiremock::matchers::path("/v1/algo/util/Fail"))
            .respond_with(json_fixture(200, "algo_failure.json"))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(json_fixture(200, "algo_success_json.json"))
            .mount(&server)
            .await;
    });
    let client = blocking::Client::from_async(builder(&server).build().unwrap()).unwrap();
    let response = client.algo("a/b").pipe(serde_json::json!([1])).unwrap();
    assert_eq!(response.decode::<Vec<u8>>().unwrap(), vec![2, 2, 2, 3, 3]);
    let raw = client.algo("a/b").output(Raw).pipe("x").unwrap();
    assert_eq!(raw.as_text(), Some("raw!"));
    let err = client.algo("util/Fail").pipe_json(&1).unwrap_err();
    assert!(matches!(err, Error::Algorithm(_)), "{err:?}");
    let err = client.algo("nope").pipe_json_text("1").unwrap_err();
    assert!(matches!(err, Error::InvalidAlgoRef(_)), "{err:?}");

    // Clones share the runtime and work from other threads at once.
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            std::thread::spawn(move || {
                client
                    .algo("a/b")
                    .pipe("x")
                    .map(|r| r.request_id().map(str::to_owned))
            })
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap().unwrap().is_some());
    }
    drop(client);
}

#[tokio::test]
async fn calling_it_inside_an_async_runtime_is_an_error_not_a_panic() {
    let client = blocking::Client::from_async(
        algorithmia_client::Client::builder()
            .base_url("http://127.0.0.1:9")
            .build()
            .unwrap(),
    )
    .unwrap();
    let err = client.algo("a/b").pipe("x").unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    // Dropping it here must not panic either.
    drop(client);
}
