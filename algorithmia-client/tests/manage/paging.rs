//! Paged collections: lazy, marker-following, and never sending the key to another origin.

use algorithmia_client::manage::BuildStatus;
use futures_util::{StreamExt, TryStreamExt};
use serde_json::json;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer};

use crate::{client, json, requests};

#[tokio::test]
async fn the_next_page_is_requested_only_when_the_stream_gets_there() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/algorithms/demo/Hello/versions"))
        .and(query_param_is_missing("marker"))
        .respond_with(json(
            200,
            json!({
                "marker": "m1",
                "next_link": null,
                "results": [{"version_info": {"semantic_version": "0.2.0"}},
                            {"version_info": {"semantic_version": "0.1.0"}}]
            }),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/v1/algorithms/demo/Hello/versions"))
        .and(query_param("marker", "m1"))
        .respond_with(json(
            200,
            json!({
                "marker": null, "next_link": null,
                "results": [{"semantic_version": "0.0.1"}]
            }),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let versions = client(&server)
        .algorithm("demo/Hello")
        .versions()
        .published(true)
        .callable(false)
        .page_size(2)
        .stream();
    let mut versions = std::pin::pin!(versions);
    assert!(
        requests(&server).await.is_empty(),
        "nothing before the first poll"
    );
    let first = versions.next().await.unwrap().unwrap();
    assert_eq!(first.semantic_version.as_deref(), Some("0.2.0"));
    let second = versions.next().await.unwrap().unwrap();
    assert_eq!(second.semantic_version.as_deref(), Some("0.1.0"));
    assert_eq!(
        requests(&server).await,
        ["GET /v1/algorithms/demo/Hello/versions?published=true&callable=false&limit=2"],
        "page two is not asked for before the stream is read past page one"
    );
    let third = versions.next().await.unwrap().unwrap();
    assert_eq!(third.semantic_version.as_deref(), Some("0.0.1"));
    assert!(versions.next().await.is_none());
    assert_eq!(
        requests(&server).await[1],
        "GET /v1/algorithms/demo/Hello/versions?published=true&callable=false&limit=2&marker=m1"
    );
}

#[tokio::test]
async fn a_next_link_on_the_same_origin_is_followed() {
    let server = MockServer::start().await;
    let next = format!(
        "{}/v1/algorithms/demo/Hello/builds?limit=1&marker=abc&cursor=x",
        server.uri()
    );
    Mock::given(path("/v1/algorithms/demo/Hello/builds"))
        .and(query_param_is_missing("marker"))
        .respond_with(json(
            200,
            json!({
                "marker": "abc", "next_link": next,
                "results": [{"build_id": "b2", "status": "in-progress"}]
            }),
        ))
        .mount(&server)
        .await;
    Mock::given(path("/v1/algorithms/demo/Hello/builds"))
        .and(query_param("cursor", "x"))
        .respond_with(json(
            200,
            json!({
                "results": [{"build_id": "b1", "status": "succeeded"}]
            }),
        ))
        .mount(&server)
        .await;
    let builds: Vec<_> = client(&server)
        .algorithm("demo/Hello")
        .builds()
        .page_size(1)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let statuses: Vec<_> = builds.iter().map(|b| b.status.clone()).collect();
    assert_eq!(statuses, [BuildStatus::InProgress, BuildStatus::Succeeded]);
}

#[tokio::test]
async fn a_next_link_to_another_origin_is_not_followed_with_the_key() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    Mock::given(path("/v1/users/demo/algorithms"))
        .and(query_param_is_missing("marker"))
        .respond_with(json(
            200,
            json!({
                "marker": "m1",
                "next_link": format!("{}/v1/users/demo/algorithms?marker=m1", elsewhere.uri()),
                "results": [{"name": "One"}]
            }),
        ))
        .mount(&server)
        .await;
    Mock::given(path("/v1/users/demo/algorithms"))
        .and(query_param("marker", "m1"))
        .respond_with(json(
            200,
            json!({"marker": null, "results": [{"name": "Two"}]}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(json(200, json!({"results": [{"name": "Stolen"}]})))
        .mount(&elsewhere)
        .await;
    let names: Vec<_> = client(&server)
        .algorithms()
        .list("demo")
        .stream()
        .map_ok(|a| a.name.unwrap_or_default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names, ["One", "Two"]);
    assert!(
        requests(&elsewhere).await.is_empty(),
        "the other origin got a request"
    );
}

#[tokio::test]
async fn a_failing_page_is_an_error_not_the_end() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/organizations/acme/members"))
        .and(query_param_is_missing("marker"))
        .respond_with(json(
            200,
            json!({"marker": "m1", "results": [{"username": "ann", "role": "admin"}]}),
        ))
        .mount(&server)
        .await;
    Mock::given(path("/v1/organizations/acme/members"))
        .and(query_param("marker", "m1"))
        .respond_with(json(
            400,
            json!({"error": {"code": 5002, "message": "invalid marker"}}),
        ))
        .mount(&server)
        .await;
    let members: Vec<_> = client(&server)
        .organization_members("acme")
        .stream()
        .collect()
        .await;
    assert_eq!(members.len(), 2);
    assert_eq!(members[0].as_ref().unwrap().role.as_deref(), Some("admin"));
    let err = members[1].as_ref().unwrap_err();
    assert_eq!(err.api_error().unwrap().code, Some(5002));
}

#[tokio::test]
async fn a_repeated_marker_ends_with_an_error() {
    let server = MockServer::start().await;
    Mock::given(path("/v1/users/demo/algorithms"))
        .respond_with(json(
            200,
            json!({"marker": "same", "results": [{"name": "x"}]}),
        ))
        .mount(&server)
        .await;
    let items: Vec<_> = client(&server)
        .algorithms()
        .list("demo")
        .stream()
        .collect()
        .await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items[0].is_ok() && items[1].is_err());
}
