//! Builds: one build, its logs, and waiting for it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use algorithmia_client::Error;
use algorithmia_client::manage::{BuildStatus, WaitOptions};
use serde_json::json;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer};

use crate::{client, json, requests};

const BUILD: &str = "/v1/algorithms/demo/Hello/builds/b1";

async fn answer_build(server: &MockServer, status: &str, times: Option<u64>) {
    let mock = Mock::given(path(BUILD)).respond_with(json(
        200,
        json!({"build_id": "b1", "commit_sha": "abc", "started_at": "2026-01-01T00:00:00Z",
               "status": status, "resource_type": "algorithm_build"}),
    ));
    match times {
        Some(n) => mock.up_to_n_times(n).mount(server).await,
        None => mock.mount(server).await,
    }
}

#[tokio::test]
async fn waiting_polls_until_the_build_succeeds_and_reports_each_status() {
    let server = MockServer::start().await;
    answer_build(&server, "in-progress", Some(2)).await;
    answer_build(&server, "succeeded", None).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    let options = WaitOptions::default()
        .poll_interval(Duration::from_millis(10), Duration::from_millis(20))
        .on_progress(move |b| record.lock().unwrap().push(b.status.clone()));
    let build = client(&server)
        .algorithm("demo/Hello")
        .wait_for_build("b1", options)
        .await
        .unwrap();
    assert_eq!(build.status, BuildStatus::Succeeded);
    assert_eq!(build.commit_sha.as_deref(), Some("abc"));
    assert_eq!(
        *seen.lock().unwrap(),
        [
            BuildStatus::InProgress,
            BuildStatus::InProgress,
            BuildStatus::Succeeded
        ]
    );
    assert_eq!(requests(&server).await.len(), 3);
}

#[tokio::test]
async fn a_failed_build_ends_the_wait_too() {
    let server = MockServer::start().await;
    answer_build(&server, "failed", None).await;
    let build = client(&server)
        .algorithm("demo/Hello")
        .wait_for_build("b1", WaitOptions::default())
        .await
        .unwrap();
    assert_eq!(build.status, BuildStatus::Failed);
}

#[tokio::test]
async fn waiting_times_out_with_a_typed_error() {
    let server = MockServer::start().await;
    answer_build(&server, "in-progress", None).await;
    let started = Instant::now();
    let err = client(&server)
        .algorithm("demo/Hello")
        .wait_for_build(
            "b1",
            WaitOptions::default()
                .timeout(Duration::from_millis(300))
                .poll_interval(Duration::from_millis(50), Duration::from_millis(100)),
        )
        .await
        .unwrap_err();
    let Error::BuildTimeout {
        build_id,
        last_status,
        waited,
        algorithm,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        (build_id.as_str(), last_status.as_str()),
        ("b1", "in-progress")
    );
    assert_eq!(algorithm, "demo/Hello");
    assert!(*waited >= Duration::from_millis(300), "{waited:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(requests(&server).await.len() >= 3);
}

#[tokio::test]
async fn logs_are_read_and_a_404_before_the_end_is_not_found() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/algorithms/demo/Hello/builds/b1/logs"))
        .respond_with(json(200, json!({"logs": "Step 1/3\nok\n"})))
        .mount(&server)
        .await;
    Mock::given(path("/v1/algorithms/demo/Hello/builds/b2/logs"))
        .respond_with(json(
            404,
            json!({"error": {"message": "logs not available yet"}}),
        ))
        .mount(&server)
        .await;
    let algo = client(&server).algorithm("demo/Hello");
    assert_eq!(algo.build_logs("b1").await.unwrap(), "Step 1/3\nok\n");
    let err = algo.build_logs("b2").await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
}
