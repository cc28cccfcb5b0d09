//! Mistakes are caught before anything is sent.

use std::time::Duration;

use algorithmia_client::{AlgoRef, Client, Error, Version};
use wiremock::MockServer;

use crate::{builder, client};

async fn nothing_sent(server: &MockServer) {
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn bad_references_fail_before_sending() {
    let server = MockServer::start().await;
    let client = client(&server);
    for bad in [
        "demo",
        "demo/Hello/1.x",
        "demo/Hello/latest",
        "demo/Hello?timeout=10",
        "a/b/c/d",
    ] {
        let err = client.algo(bad).pipe("x").await.unwrap_err();
        match &err {
            Error::InvalidAlgoRef(e) => assert_eq!(e.input, bad),
            other => panic!("{bad}: {other:?}"),
        }
        assert!(err.to_string().contains(bad), "{err}");
        assert!(client.algo(bad).reference().is_err());
    }
    nothing_sent(&server).await;

    let good = AlgoRef::new("demo", "Hello", Some(Version::Exact(1, 0, 0))).unwrap();
    assert_eq!(client.algo(&good).reference().unwrap(), &good);
}

#[tokio::test]
async fn oversize_input_fails_before_sending() {
    let server = MockServer::start().await;
    let err = client(&server)
        .algo("a/b")
        .pipe(vec![0u8; 10 * 1024 * 1024 + 1])
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InputTooLarge {
                size: 10_485_761,
                limit: 10_485_760
            }
        ),
        "{err:?}"
    );
    let small = builder(&server).max_input_bytes(8).build().unwrap();
    let err = small.algo("a/b").pipe("123456789").await.unwrap_err();
    assert!(
        matches!(err, Error::InputTooLarge { size: 9, limit: 8 }),
        "{err:?}"
    );
    nothing_sent(&server).await;
}

#[tokio::test]
async fn invalid_options_fail_before_sending() {
    let server = MockServer::start().await;
    let algo = client(&server).algo("a/b");
    for bad in [
        algo.clone().timeout(Duration::from_secs(3001)),
        algo.clone().timeout(Duration::ZERO),
        algo.clone().option("timeout", "5"),
    ] {
        let err = bad.pipe("x").await.unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{err:?}");
    }
    nothing_sent(&server).await;
}

#[test]
fn invalid_client_settings_are_config_errors() {
    let cases = [
        Client::builder().base_url("not a url").build(),
        Client::builder().base_url("ftp://example.com").build(),
        Client::builder().api_key("sim\r\nX-Injected: 1").build(),
        Client::builder().proxy("::not a proxy::").build(),
        Client::builder()
            .add_root_certificate_pem("not a pem")
            .build(),
        Client::builder()
            .default_algo_timeout(Duration::from_secs(5000))
            .build(),
        Client::builder().user_agent("bad\nagent").build(),
    ];
    for result in cases {
        let err = result.unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{err:?}");
    }
}

#[test]
fn extra_root_certificates_and_proxies_are_accepted() {
    // A real self-signed CA certificate (generated once for this test).
    let pem = include_str!("../fixtures/test-ca.pem");
    Client::builder()
        .add_root_certificate_pem(pem)
        .proxy("http://127.0.0.1:3128")
        .build()
        .unwrap();
}
