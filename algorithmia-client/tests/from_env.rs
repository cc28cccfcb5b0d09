//! `Client::from_env` reads the official clients' variables. This is its own test binary with a
//! single test, because changing the environment while other threads read it is not sound.
#![allow(clippy::unwrap_used, unsafe_code)]

use algorithmia_client::Client;
use wiremock::matchers::{header, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(
        r#"{"result":"ok","metadata":{"content_type":"text","duration":0.1}}"#,
        "application/json",
    )
}

#[tokio::test]
async fn from_env_reads_the_official_variables() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("authorization", "Simple simFROMENV"))
        .respond_with(ok())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(header("authorization", "Bearer tokenFROMENV"))
        .respond_with(ok())
        .expect(1)
        .mount(&server)
        .await;
    // SAFETY: this binary runs this one test; the wiremock thread does not read the environment.
    unsafe {
        std::env::set_var("ALGORITHMIA_API", server.uri());
        std::env::set_var("ALGORITHMIA_API_KEY", "simFROMENV");
        std::env::set_var("ALGORITHMIA_BEARER_TOKEN", "tokenFROMENV");
    }
    let client = Client::from_env().unwrap();
    assert_eq!(client.base_url().as_str(), format!("{}/", server.uri()));
    client.algo("a/b").pipe("x").await.unwrap();
    unsafe { std::env::set_var("ALGORITHMIA_API_KEY", "") };
    Client::from_env()
        .unwrap()
        .algo("a/b")
        .pipe("x")
        .await
        .unwrap();
    unsafe {
        std::env::remove_var("ALGORITHMIA_API");
        std::env::remove_var("ALGORITHMIA_API_KEY");
        std::env::remove_var("ALGORITHMIA_BEARER_TOKEN");
    }
    server.verify().await;

    // Explicit settings win over the environment, whichever is called first, and whether the
    // environment has a key or none.
    let explicit = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("authorization", "Simple simEXPLICIT"))
        .respond_with(ok())
        .expect(4)
        .mount(&explicit)
        .await;
    let other = MockServer::start().await;
    for env_key in [None, Some("simFROMENV")] {
        // SAFETY: as above.
        unsafe {
            std::env::set_var("ALGORITHMIA_API", other.uri());
            match env_key {
                Some(key) => std::env::set_var("ALGORITHMIA_API_KEY", key),
                None => std::env::remove_var("ALGORITHMIA_API_KEY"),
            }
        }
        let before = Client::builder()
            .base_url(explicit.uri())
            .api_key("simEXPLICIT")
            .from_env()
            .build()
            .unwrap();
        let after = Client::builder()
            .from_env()
            .api_key("simEXPLICIT")
            .base_url(explicit.uri())
            .build()
            .unwrap();
        for client in [before, after] {
            assert_eq!(client.base_url().as_str(), format!("{}/", explicit.uri()));
            client.algo("a/b").pipe("x").await.unwrap();
        }
    }
    unsafe {
        std::env::remove_var("ALGORITHMIA_API");
        std::env::remove_var("ALGORITHMIA_API_KEY");
    }
    explicit.verify().await;
}
