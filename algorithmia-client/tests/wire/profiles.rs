//! A client built from a profile of the config file sends that profile's credentials to that
//! profile's server, and explicit builder settings win over the profile.

use algorithmia_client::Client;
use algorithmia_client::profile::{ConfigFile, Profile};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::json_fixture;

async fn expect_auth(server: &MockServer, value: &str) {
    Mock::given(method("POST"))
        .and(path("/v1/algo/demo/Hello"))
        .and(header("authorization", value))
        .respond_with(json_fixture(200, "algo_success_text.json"))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_profile_client_sends_the_profile_key_and_token_to_its_server() {
    let server = MockServer::start().await;
    expect_auth(&server, "Simple simPROFILEKEY").await;
    expect_auth(&server, "Bearer header.payload.sig").await;
    expect_auth(&server, "Simple simEXPLICIT").await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config");
    let mut config = ConfigFile::load(&file).unwrap();
    config
        .set_profile(
            "keyed",
            &Profile::new()
                .api_key("simPROFILEKEY")
                .api_server(server.uri()),
        )
        .unwrap();
    config
        .set_profile(
            "token",
            &Profile::new()
                .bearer_token("header.payload.sig")
                .api_server(server.uri()),
        )
        .unwrap();
    config.save().unwrap();

    for name in ["keyed", "token"] {
        let client = Client::builder()
            .config_file(&file)
            .profile(name)
            .no_proxy()
            .build()
            .unwrap();
        assert_eq!(client.base_url().as_str(), format!("{}/", server.uri()));
        assert!(!format!("{client:?}").contains("simPROFILEKEY"));
        client.algo("demo/Hello").pipe("x").await.unwrap();
    }
    // An explicit key wins over the profile's, whatever the order.
    Client::builder()
        .api_key("simEXPLICIT")
        .config_file(&file)
        .profile("keyed")
        .no_proxy()
        .build()
        .unwrap()
        .algo("demo/Hello")
        .pipe("x")
        .await
        .unwrap();
    server.verify().await;
}

#[tokio::test]
async fn profile_errors_fail_the_build_with_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config");
    std::fs::write(
        &file,
        "[profiles.default]\napi_key = \"simK\"\nca_cert = \"/no/such/ca.pem\"\n",
    )
    .unwrap();
    let build = |name: &str| {
        Client::builder()
            .config_file(&file)
            .profile(name)
            .build()
            .unwrap_err()
    };
    let missing = build("missing").to_string();
    assert!(
        missing.contains("\"missing\"") && missing.contains(&file.display().to_string()),
        "{missing}"
    );
    let ca = build("default").to_string();
    assert!(ca.contains("/no/such/ca.pem"), "{ca}");
    // A file that holds no certificate is named too.
    let not_pem = dir.path().join("not-a-cert.pem");
    std::fs::write(&not_pem, "hello\n").unwrap();
    std::fs::write(
        &file,
        format!(
            "[profiles.default]\napi_key = \"simK\"\nca_cert = {:?}\n",
            not_pem.display().to_string()
        ),
    )
    .unwrap();
    let bad = build("default").to_string();
    assert!(bad.contains("not-a-cert.pem"), "{bad}");
    std::fs::write(&file, "[profiles.default\n").unwrap();
    let malformed = build("default");
    assert!(matches!(malformed, algorithmia_client::Error::Config(_)));
    assert!(malformed.to_string().contains("line 1"), "{malformed}");
}
