//! The conformance suite (`tests::conformance`) against `algorithmia-local` in-process, against
//! the `algorithmia-local` binary, and, when asked for, against any compatible server named by
//! the environment.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use algorithmia_local::LocalServer;
use testkit::{LocalBinary, workspace_binary};
use tests::conformance::{LOCAL_CONNECTORS, Target, run_all};

const ALICE: &str = "simConformanceAlice";
const BOB: &str = "simConformanceBob";
/// Small pages, so that listings follow markers.
const PAGE_SIZE: usize = 3;

/// Alice's view of a local server: Bob as the second user, and every local connector.
fn local_target(name: &str, base_url: &str) -> Target {
    Target::new(name, base_url, ALICE)
        .with_second_user("alice", BOB)
        .with_connectors(LOCAL_CONNECTORS)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn against_the_in_process_server() {
    let server = LocalServer::builder()
        .api_key(ALICE, "alice")
        .api_key(BOB, "bob")
        .page_size(PAGE_SIZE)
        .start()
        .unwrap();
    run_all(&local_target(
        "algorithmia-local in-process",
        server.base_url(),
    ))
    .await
    .assert_complete();
    // The checks clean up after themselves, as they must on a shared account.
    let left: Vec<_> = std::fs::read_dir(server.data_dir().join("data/alice"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name())
                .collect()
        })
        .unwrap_or_default();
    assert!(left.is_empty(), "left behind in data://alice: {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn against_the_binary() {
    let program = workspace_binary("algorithmia-local", "algorithmia-local");
    let data = tempfile::tempdir().unwrap();
    let binary = LocalBinary::start(
        &program,
        &[
            "--api-key",
            &format!("{ALICE}:alice"),
            "--api-key",
            &format!("{BOB}:bob"),
            "--page-size",
            &PAGE_SIZE.to_string(),
            "--data-dir",
            data.path().to_str().unwrap(),
        ],
        &[],
    );
    let report = run_all(&local_target(
        "the algorithmia-local binary",
        &binary.base_url,
    ))
    .await;
    let log = binary.logs();
    drop(binary);
    assert!(
        report.failed.is_empty(),
        "{report}\nthe server's log:\n{log}"
    );
    report.assert_complete();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a server: set ALGORITHMIA_CONFORMANCE_API and ALGORITHMIA_CONFORMANCE_KEY \
            (optional: ALGORITHMIA_CONFORMANCE_KEY2 and ALGORITHMIA_CONFORMANCE_USER for the \
            permission checks, ALGORITHMIA_CONFORMANCE_CONNECTORS, and the algorithm names in \
            ALGORITHMIA_CONFORMANCE_HELLO, _ECHO, _DELAY, _FAIL)"]
async fn against_the_server_named_by_the_environment() {
    let target = Target::from_env().unwrap_or_else(|e| panic!("{e}"));
    run_all(&target).await.assert_passed();
}
