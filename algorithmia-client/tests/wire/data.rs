//! Data API wire details a real server cannot show on demand: retries and their limits, and a
//! download that breaks halfway.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use algorithmia_client::{DataAcl, Error};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::client;

fn put_ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(r#"{"result":"data://.my/c/f"}"#, "application/json")
}

async fn count(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

#[tokio::test]
async fn idempotent_requests_are_retried_on_5xx_and_429() {
    for status in [500u16, 502, 503, 504, 429] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(status))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/v1/connector/data/.my/c/f"))
            .respond_with(
                ResponseTemplate::new(200).set_body_raw("contents", "application/octet-stream"),
            )
            .mount(&server)
            .await;
        let text = client(&server)
            .file("data://.my/c/f")
            .get_string()
            .await
            .unwrap();
        assert_eq!(text, "contents");
        assert_eq!(count(&server).await, 2, "HTTP {status}");
    }
}

#[tokio::test]
async fn retry_after_is_honoured_on_data_requests() {
    let server = MockServer::start().await;
    Mock::given(method("HEAD"))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .respond_with(ResponseTemplate::new(200).insert_header("X-Data-Type", "file"))
        .mount(&server)
        .await;
    let started = Instant::now();
    assert!(
        client(&server)
            .file("data://.my/c/f")
            .exists()
            .await
            .unwrap()
    );
    assert!(started.elapsed() >= Duration::from_millis(950));
}

#[tokio::test]
async fn whole_body_and_file_uploads_are_retried_with_the_full_body() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(put_ok())
        .mount(&server)
        .await;
    let c = client(&server);
    c.file("data://.my/c/f")
        .put_bytes(vec![7u8; 1000])
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|r| r.body == vec![7u8; 1000]));

    server.reset().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(put_ok())
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("upload.bin");
    std::fs::write(&local, vec![3u8; 300_000]).unwrap();
    assert_eq!(
        c.file("data://.my/c/f").put_file(&local).await.unwrap(),
        300_000
    );
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    assert!(
        requests.iter().all(|r| r.body.len() == 300_000),
        "the file is reopened for the retry"
    );
}

#[tokio::test]
async fn a_one_shot_stream_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let chunks = futures_util::stream::iter(vec![Ok::<_, std::io::Error>(
        bytes::Bytes::from_static(b"once"),
    )]);
    let err = client(&server)
        .file("data://.my/c/f")
        .put_stream(chunks)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(count(&server).await, 1);
}

#[tokio::test]
async fn creating_a_directory_is_not_retried_after_it_may_have_run() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let err = client(&server)
        .dir("data://.my/newdir")
        .create(DataAcl::Private)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(count(&server).await, 1);
    let request = &server.received_requests().await.unwrap()[0];
    assert_eq!(request.url.path(), "/v1/connector/data/.my");
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"name": "newdir", "acl": {"read": []}})
    );
}

#[tokio::test]
async fn errors_on_head_come_from_x_error_message_and_a_repeated_marker_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("HEAD"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("X-Error-Message", "no read access to data://x/y"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-Data-Type", "directory")
                .set_body_raw(
                    r#"{"files":[{"filename":"a","size":1}],"marker":"same"}"#,
                    "application/json",
                ),
        )
        .mount(&server)
        .await;
    let err = client(&server)
        .file("data://x/y/z")
        .exists()
        .await
        .unwrap_err();
    assert_eq!(
        err.api_error().unwrap().message,
        "no read access to data://x/y"
    );
    let results: Vec<_> =
        futures_util::StreamExt::collect(client(&server).dir("data://x/y").list()).await;
    // Page one's entry, then (page two repeating the marker) an error instead of an endless loop.
    assert_eq!(results.len(), 2);
    assert_eq!(results[0].as_ref().unwrap().name(), "a");
    assert!(crate::report(results[1].as_ref().unwrap_err()).contains("repeated the marker"));
}

/// Serve one response whose body stops halfway through its declared length.
fn truncated_server() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0u8; 4096];
        let _ = stream.read(&mut request);
        let head = "HTTP/1.1 200 OK\r\nX-Data-Type: file\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\n";
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(&vec![b'x'; 400_000]).unwrap();
        stream.flush().unwrap();
        // Dropping the stream closes the connection halfway.
    });
    addr
}

#[tokio::test]
async fn a_download_that_fails_halfway_leaves_no_partial_file() {
    let addr = truncated_server();
    let c = algorithmia_client::Client::builder()
        .base_url(format!("http://{addr}"))
        .no_proxy()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("big.bin");
    std::fs::write(&target, b"the previous version").unwrap();
    let err = c
        .file("data://.my/c/big.bin")
        .download_to(&target)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    // The old file is untouched and no temporary file remains.
    assert_eq!(std::fs::read(&target).unwrap(), b"the previous version");
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["big.bin"]);
}

#[tokio::test]
async fn a_stalled_download_hits_the_idle_timeout() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let _ = stream.read(&mut [0u8; 4096]);
        let head = "HTTP/1.1 200 OK\r\nX-Data-Type: file\r\nContent-Length: 100\r\n\r\nsome";
        stream.write_all(head.as_bytes()).unwrap();
        std::thread::sleep(Duration::from_secs(3));
    });
    let c = algorithmia_client::Client::builder()
        .base_url(format!("http://{addr}"))
        .no_proxy()
        .transfer_idle_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = c.file("data://.my/c/slow").get_bytes().await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}
