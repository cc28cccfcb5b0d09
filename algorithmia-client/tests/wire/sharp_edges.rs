//! The SDK's sharp edges, each pinned by a test that failed before its fix: answers a real
//! server does not send (odd field types, a HEAD without a size, a 200 that carries an error),
//! error reporting, and local trees with symbolic links.

use algorithmia_client::{DataAcl, Error, TransferOptions};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{client, report};

fn json(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_string(), "application/json")
}

#[tokio::test]
async fn a_partial_delete_is_typed_and_keeps_its_count() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/v1/connector/data/.my/ok"))
        .respond_with(json(200, json!({"result": {"deleted": 4}})))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/connector/data/.my/half"))
        .respond_with(json(
            200,
            json!({"error": {"deleted": 3, "message": "disk said no"}}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/connector/data/.my/broken"))
        .respond_with(json(500, json!({"error": {"deleted": 2}})))
        .mount(&server)
        .await;
    let client = client(&server);
    assert_eq!(client.dir("data://.my/ok").delete(true).await.unwrap(), 4);
    match client.dir("data://.my/half").delete(true).await {
        Err(Error::PartialDelete {
            uri,
            deleted,
            message,
        }) => {
            assert_eq!((uri.as_str(), deleted), ("data://.my/half", 3));
            assert_eq!(message, "disk said no");
        }
        other => panic!("expected a partial delete, got {other:?}"),
    }
    let err = client
        .dir("data://.my/broken")
        .delete(true)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::PartialDelete { deleted: 2, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn metadata_uses_what_head_gives_and_a_missing_file_is_not_found() {
    let server = MockServer::start().await;
    Mock::given(method("HEAD"))
        .and(path("/v1/connector/data/.my/d/sized"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-data-type", "file")
                .insert_header("content-length", "42"),
        )
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/v1/connector/data/.my/d/gone"))
        .respond_with(ResponseTemplate::new(200).insert_header("x-data-type", "file"))
        .mount(&server)
        .await;
    // The listing is read only for `gone`, whose HEAD gave no size, and does not hold it.
    Mock::given(method("GET"))
        .and(path("/v1/connector/data/.my/d"))
        .respond_with(json(
            200,
            json!({"files": [{"filename": "other", "size": 1}]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let meta = client.file("data://.my/d/sized").metadata().await.unwrap();
    assert_eq!((meta.size, meta.last_modified), (42, None));
    let err = client
        .file("data://.my/d/gone")
        .metadata()
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(matches!(err, Error::NotFound { ref uri } if uri == "data://.my/d/gone"));
}

#[tokio::test]
async fn one_odd_envelope_field_does_not_hide_the_rest() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/algo/a/fails"))
        .respond_with(json(
            200,
            json!({"error": {"message": "boom", "error_type": "InputError"},
                   "metadata": {"alerts": null, "request_id": 42, "duration": "fast"}}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/algo/a/works"))
        .respond_with(json(
            200,
            json!({"result": "hi", "request_id": 7,
                   "metadata": {"content_type": "text", "alerts": null, "duration": 0.5}}),
        ))
        .mount(&server)
        .await;
    let client = client(&server);
    let err = client.algo("a/fails").pipe("x").await.unwrap_err();
    let algorithm = err.algorithm_error().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!(algorithm.message, "boom");
    assert_eq!(algorithm.error_type.as_deref(), Some("InputError"));
    let metadata = algorithm.metadata.as_ref().unwrap();
    assert_eq!(metadata.request_id.as_deref(), Some("42"));
    assert_eq!(metadata.extra["duration"], "fast");
    let ok = client.algo("a/works").pipe("x").await.unwrap();
    assert_eq!(ok.as_text(), Some("hi"));
    assert_eq!(ok.request_id(), Some("7"));
    assert!(ok.alerts().is_empty());
}

#[tokio::test]
async fn errors_print_their_cause_once_through_the_source_chain() {
    // A decode error: the cause is the source, not part of the message.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("<html>", "text/html"))
        .mount(&server)
        .await;
    let err = client(&server).algo("a/b").pipe("x").await.unwrap_err();
    let cause = std::error::Error::source(&err)
        .expect("a decode error has a source")
        .to_string();
    assert!(!err.to_string().contains(&cause), "{err}");
    assert_eq!(report(&err).matches(&cause).count(), 1, "{}", report(&err));

    // A transport error: nothing listens on the port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let client = algorithmia_client::Client::builder()
        .base_url(format!("http://{addr}"))
        .api_key("simKEY")
        .no_proxy()
        .retry(algorithmia_client::RetryPolicy::none())
        .build()
        .unwrap();
    let err = client.algo("a/b").pipe("x").await.unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    let cause = std::error::Error::source(&err)
        .expect("a transport error has a source")
        .to_string();
    assert!(!err.to_string().contains(&cause), "{err}");
    assert_eq!(report(&err).matches(&cause).count(), 1, "{}", report(&err));
}

#[tokio::test]
async fn dir_exists_asks_with_head_and_acl_updates_honour_an_error_body() {
    let server = MockServer::start().await;
    Mock::given(method("HEAD"))
        .and(path("/v1/connector/data/.my/a-file"))
        .respond_with(ResponseTemplate::new(200).insert_header("x-data-type", "file"))
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/v1/connector/data/.my/a-dir"))
        .respond_with(ResponseTemplate::new(200).insert_header("x-data-type", "directory"))
        .mount(&server)
        .await;
    // A file is never downloaded to answer `exists`.
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(vec![0u8; 1024], "application/octet-stream"),
        )
        .expect(0)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(json(
            200,
            json!({"error": {"message": "no permission to change the ACL"}}),
        ))
        .mount(&server)
        .await;
    let client = client(&server);
    assert!(!client.dir("data://.my/a-file").exists().await.unwrap());
    assert!(client.dir("data://.my/a-dir").exists().await.unwrap());
    let err = client
        .dir("data://.my/a-dir")
        .update_acl(DataAcl::Public)
        .await
        .unwrap_err();
    assert_eq!(
        err.api_error().map(|e| e.message.as_str()),
        Some("no permission to change the ACL"),
        "{err:?}"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn upload_dir_follows_links_reports_loops_and_uses_the_chosen_acl() {
    use std::os::unix::fs::symlink;

    let server = MockServer::start().await;
    Mock::given(method("HEAD"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(json(200, json!({"result": {}})))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(json(200, json!({"result": "data://x"})))
        .mount(&server)
        .await;
    let tree = tempfile::tempdir().unwrap();
    let root = tree.path();
    std::fs::create_dir(root.join("a")).unwrap();
    std::fs::write(root.join("a/file.txt"), "hello").unwrap();
    symlink(root.join("a/file.txt"), root.join("link-to-file")).unwrap();
    symlink(root.join("a"), root.join("link-to-dir")).unwrap();
    symlink(root, root.join("a/back-to-top")).unwrap();
    symlink(root.join("nowhere"), root.join("dangling")).unwrap();

    let report = client(&server)
        .upload_dir(
            root,
            "data://.my/up",
            TransferOptions::default().acl(DataAcl::Public),
        )
        .await
        .unwrap();
    assert_eq!(report.files, 3, "{report:?}");
    let mut failed: Vec<&str> = report
        .failed
        .iter()
        .map(|f| f.path.rsplit('/').next().unwrap_or_default())
        .collect();
    failed.sort_unstable();
    // The loop is met twice: under a/ and under link-to-dir/.
    assert_eq!(
        failed,
        ["back-to-top", "back-to-top", "dangling"],
        "{report:?}"
    );

    let requests = server.received_requests().await.unwrap();
    let mut puts: Vec<&str> = requests
        .iter()
        .filter(|r| r.method.as_str() == "PUT")
        .map(|r| r.url.path())
        .collect();
    puts.sort_unstable();
    assert_eq!(
        puts,
        [
            "/v1/connector/data/.my/up/a/file.txt",
            "/v1/connector/data/.my/up/link-to-dir/file.txt",
            "/v1/connector/data/.my/up/link-to-file",
        ]
    );
    let creates: Vec<Value> = requests
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(creates.len(), 3, "up, a and link-to-dir: {creates:?}");
    assert!(
        creates
            .iter()
            .all(|c| c["acl"]["read"] == json!(["user://*"])),
        "{creates:?}"
    );
}

#[cfg(feature = "blocking")]
mod blocking {
    use std::io::{Read, Write};
    use std::sync::Arc;
    use std::time::Duration;

    use algorithmia_client::{Error, blocking};
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use crate::builder;

    #[test]
    fn a_reader_read_inside_a_runtime_fails_like_every_blocking_call() {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let server = runtime.block_on(MockServer::start());
        runtime.block_on(
            Mock::given(method("GET"))
                .respond_with(
                    ResponseTemplate::new(200)
                        .insert_header("x-data-type", "file")
                        .set_body_raw(vec![7u8; 10], "application/octet-stream"),
                )
                .mount(&server),
        );
        let client = blocking::Client::from_async(builder(&server).build().unwrap()).unwrap();
        let mut reader = client.file("data://.my/f").get_reader().unwrap();
        let inside = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let err = inside
            .block_on(async { reader.read(&mut [0u8; 4]) })
            .unwrap_err();
        let inner = err.into_inner().expect("the SDK's error is inside");
        assert!(
            matches!(inner.downcast_ref::<Error>(), Some(Error::Config(_))),
            "{inner}"
        );
        // Outside a runtime the same reader works.
        let mut all = Vec::new();
        reader.read_to_end(&mut all).unwrap();
        assert_eq!(all, [7u8; 10]);
    }

    /// A reader that gives one chunk, then blocks for a while before giving another; it holds a
    /// marker so the test can tell whether anything still holds the reader.
    struct SlowReader {
        reads: u32,
        _alive: Arc<()>,
    }

    impl Read for SlowReader {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.reads += 1;
            if self.reads > 1 {
                std::thread::sleep(Duration::from_millis(300));
            }
            buf[..4].copy_from_slice(b"data");
            Ok(4)
        }
    }

    #[test]
    fn put_reader_leaves_no_thread_behind_when_the_upload_fails() {
        // A server that refuses the upload at once, without reading the body.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(3) {
                let Ok(mut stream) = stream else { continue };
                let _ = stream.read(&mut [0u8; 1024]);
                let body = r#"{"error":{"message":"no write access"}}"#;
                let _ = write!(
                    stream,
                    "HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        let async_client = algorithmia_client::Client::builder()
            .base_url(format!("http://{addr}"))
            .api_key("simKEY")
            .no_proxy()
            .build()
            .unwrap();
        let client = blocking::Client::from_async(async_client).unwrap();
        let alive = Arc::new(());
        let reader = SlowReader {
            reads: 0,
            _alive: Arc::clone(&alive),
        };
        let err = client.file("data://.my/up").put_reader(reader).unwrap_err();
        // The refusal, or the connection it closed mid-upload.
        assert!(
            err.status() == Some(403) || matches!(err, Error::Transport(_)),
            "{err:?}"
        );
        // Nothing is left reading: the reader was dropped before put_reader returned.
        assert_eq!(Arc::strong_count(&alive), 1);
    }
}
