//! Languages, environments, templates; users and organisations; insights.

use std::io::Write;

use algorithmia_client::Error;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{client, json, requests};

#[tokio::test]
async fn languages_and_environments_are_listed() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/algorithm-environments/edge/languages"))
        .respond_with(json(
            200,
            json!([
                {"name": "python3", "display_name": "Python 3.x", "configuration": {"x": 1}}
            ]),
        ))
        .mount(&server)
        .await;
    Mock::given(path(
        "/v1/algorithm-environments/edge/languages/python3/environments",
    ))
    .respond_with(json(
        200,
        json!({"environments": [
            {"id": "env-1", "environment_specification_id": "spec-1",
             "display_name": "Python 3.9", "machine_type": "CPU", "language": {"name": "python3"}}
        ]}),
    ))
    .mount(&server)
    .await;
    let client = client(&server);
    let languages = client.languages().await.unwrap();
    assert_eq!(languages[0].name, "python3");
    let envs = client.environments("python3").await.unwrap();
    assert_eq!(envs[0].id, "env-1");
    assert_eq!(
        envs[0].environment_specification_id.as_deref(),
        Some("spec-1")
    );
}

/// A tar.gz holding `entries` (path, contents), names written raw so that `../` can be made.
fn archive(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, contents) in entries {
        let mut header = tar::Header::new_gnu();
        let raw = &mut header.as_old_mut().name;
        raw[..name.len()].copy_from_slice(name.as_bytes());
        header.set_size(contents.len() as u64);
        header.set_mode(if name.starts_with("bin/") {
            0o755
        } else {
            0o644
        });
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        tar.append(&header, *contents).unwrap();
    }
    let tar = tar.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
}

async fn serve_template(server: &MockServer, body: Vec<u8>) {
    Mock::given(path(
        "/v1/algorithm-environments/edge/environment-specifications/spec-1/template",
    ))
    .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/gzip"))
    .mount(server)
    .await;
}

#[tokio::test]
async fn a_template_is_downloaded_and_unpacked() {
    let server = MockServer::start().await;
    let body = archive(&[
        ("./requirements.txt", b"algorithmia-adk\n"),
        ("src/__ALGO__.py", b"def apply(input):\n    return input\n"),
        ("bin/build", b"#!/bin/sh\n"),
    ]);
    serve_template(&server, body.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let client = client(&server);
    assert_eq!(client.environment_template("spec-1").await.unwrap(), body);
    let files = client
        .write_environment_template("spec-1", dir.path().join("algo"))
        .await
        .unwrap();
    assert_eq!(files.len(), 3);
    let root = dir.path().join("algo");
    assert_eq!(
        std::fs::read_to_string(root.join("src/__ALGO__.py")).unwrap(),
        "def apply(input):\n    return input\n"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(root.join("bin/build"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "{mode:o}");
    }
}

#[tokio::test]
async fn a_template_entry_that_climbs_out_is_refused() {
    let server = MockServer::start().await;
    serve_template(
        &server,
        archive(&[("ok.txt", b"fine"), ("../escaped.txt", b"gotcha")]),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("algo");
    let err = client(&server)
        .write_environment_template("spec-1", &dest)
        .await
        .unwrap_err();
    let Error::UnsafeArchive { entry, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(entry, "../escaped.txt");
    assert!(!dir.path().join("escaped.txt").exists());
    // Absolute paths and garbage are refused too.
    let abs = archive(&[("/tmp/abs.txt", b"x")]);
    assert!(matches!(
        algorithmia_client::manage::extract_template(&abs, &dest),
        Err(Error::UnsafeArchive { .. })
    ));
    assert!(matches!(
        algorithmia_client::manage::extract_template(b"\x1f\x8bnot really", &dest),
        Err(Error::UnsafeArchive { .. })
    ));
}

#[tokio::test]
async fn users_organisations_and_their_errors() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/users/ann"))
        .respond_with(json(
            200,
            json!({"id": "u1", "username": "ann", "fullname": "Ann",
                                       "resource_type": "user", "plan": "pro"}),
        ))
        .mount(&server)
        .await;
    Mock::given(path("/v1/organizations/acme"))
        .respond_with(json(
            200,
            json!({"org_name": "acme", "org_label": "ACME",
                                       "org_email": "a@acme.test"}),
        ))
        .mount(&server)
        .await;
    Mock::given(path("/v1/users/ann/errors"))
        .respond_with(json(
            200,
            json!({"results": [{"request_id": "req-9", "error_type": "InputError"}]}),
        ))
        .mount(&server)
        .await;
    let client = client(&server);
    let user = client.user("ann").await.unwrap();
    assert_eq!(
        (user.username.as_deref(), user.extra["plan"].as_str()),
        (Some("ann"), Some("pro"))
    );
    let org = client.organization("acme").await.unwrap();
    assert_eq!(org.org_label.as_deref(), Some("ACME"));
    let errors = client.user_errors("ann").await.unwrap();
    assert_eq!(errors[0].error_type.as_deref(), Some("InputError"));
    let err = client.user("../admin").await.unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err}");
}

#[tokio::test]
async fn insights_are_posted_as_an_array_and_more_than_25_refused() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/insights"))
        .and(body_json(json!([
            {"insight_key": "cats_in_image", "insight_value": 4},
            {"insight_key": "label", "insight_value": "tabby"}
        ])))
        .respond_with(json(200, json!({"response": "ok"})))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    client
        .report_insights([
            ("cats_in_image".to_owned(), json!(4)),
            ("label".to_owned(), json!("tabby")),
        ])
        .await
        .unwrap();
    let many = (0..26).map(|i| (format!("k{i}"), Value::from(i)));
    let err = client.report_insights(many).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::TooManyInsights {
                count: 26,
                limit: 25
            }
        ),
        "{err}"
    );
    assert_eq!(requests(&server).await.len(), 1);
}
