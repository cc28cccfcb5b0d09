//! The blocking facade called inside an async runtime. Its calls against a real server are
//! checked by the conformance suite (`tests/src/conformance/blocking.rs`).

use algorithmia_client::{Error, blocking};

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

#[test]
fn a_blocking_call_with_no_time_left_fails_as_a_timeout() {
    // Nothing listens on port 9; the call must not even try.
    let client = blocking::Client::from_async(
        algorithmia_client::Client::builder()
            .base_url("http://127.0.0.1:9")
            .build()
            .unwrap(),
    )
    .unwrap();
    let err = client
        .algo("a/b")
        .deadline(std::time::Instant::now())
        .pipe("x")
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(!err.is_connect(), "{err:?}");
}

/// Algorithm calls of the blocking facade go through its own synchronous HTTP stack; these check
/// that it sends, retries, times out and fails exactly as the async client does.
mod calls {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};

    use algorithmia_client::{Error, Raw, RetryPolicy, blocking};
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, Request, ResponseTemplate};

    use crate::{answer_once_then_succeed, builder, json_fixture, report, requests};

    /// Run `body` on a thread outside any runtime (as blocking code runs) and return its result.
    async fn off_runtime<T: Send + 'static>(body: impl FnOnce() -> T + Send + 'static) -> T {
        let thread = std::thread::spawn(body);
        match tokio::task::spawn_blocking(move || thread.join())
            .await
            .unwrap()
        {
            Ok(value) => value,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }

    /// A server answering every call with `answer`.
    async fn answering(answer: ResponseTemplate) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(answer)
            .mount(&server)
            .await;
        server
    }

    fn blocking_client(server: &MockServer) -> blocking::Client {
        blocking::Client::from_async(builder(server).user_agent("probe/1").build().unwrap())
            .unwrap()
    }

    /// The parts of a request both clients must agree on.
    fn shape(request: &Request) -> Vec<(String, String)> {
        let mut parts = vec![
            ("method".into(), request.method.to_string()),
            ("path".into(), request.url.path().to_owned()),
            ("query".into(), request.url.query().unwrap_or("").to_owned()),
            (
                "body".into(),
                String::from_utf8_lossy(&request.body).into_owned(),
            ),
        ];
        for name in ["content-type", "authorization", "user-agent"] {
            let value = request
                .headers
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned());
            parts.push((name.into(), value.unwrap_or_default()));
        }
        parts
    }

    #[tokio::test]
    async fn a_blocking_call_sends_what_the_async_call_sends() {
        let server =
            answering(ResponseTemplate::new(200).set_body_raw("raw out", "text/plain")).await;
        let configure = |algo: algorithmia_client::Algorithm| {
            algo.timeout(Duration::from_secs(7))
                .stdout(true)
                .option("mode", "fast")
                .output(Raw)
        };
        let raw = configure(
            builder(&server)
                .user_agent("probe/1")
                .build()
                .unwrap()
                .algo("demo/Hello/0.1.*"),
        )
        .pipe_json(&serde_json::json!({"a": [1, 2]}))
        .await
        .unwrap();
        assert_eq!(raw.as_text(), Some("raw out"));
        let client = blocking_client(&server);
        let blocking_raw = off_runtime(move || {
            client
                .algo("demo/Hello/0.1.*")
                .timeout(Duration::from_secs(7))
                .stdout(true)
                .option("mode", "fast")
                .output(Raw)
                .pipe_json(&serde_json::json!({"a": [1, 2]}))
                .unwrap()
        })
        .await;
        assert_eq!(blocking_raw.as_text(), Some("raw out"));
        let received = server.received_requests().await.unwrap();
        assert_eq!(received.len(), 2);
        assert_eq!(shape(&received[0]), shape(&received[1]));
        assert_eq!(
            received[1].url.query(),
            Some("timeout=7&stdout=true&output=raw&mode=fast")
        );
        // Each call has its own id: 32 hex digits.
        let ids: Vec<String> = received
            .iter()
            .map(|r| {
                r.headers
                    .get("x-request-id")
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_ne!(ids[0], ids[1]);
        assert!(ids[1].len() == 32 && ids[1].chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[tokio::test]
    async fn a_429_is_retried_with_the_same_request_id_then_the_answer_decoded() {
        let server = MockServer::start().await;
        answer_once_then_succeed(
            &server,
            ResponseTemplate::new(429).insert_header("Retry-After", "0"),
        )
        .await;
        let client = blocking_client(&server);
        let response = off_runtime(move || client.algo("a/b").pipe("x").unwrap()).await;
        assert_eq!(response.as_text(), Some("Hello world"));
        let received = server.received_requests().await.unwrap();
        assert_eq!(received.len(), 2);
        let id = |i: usize| received[i].headers.get("x-request-id").cloned();
        assert!(id(0).is_some());
        assert_eq!(id(0), id(1));
    }

    #[tokio::test]
    async fn an_answer_after_the_call_may_have_run_is_not_retried() {
        for status in [500u16, 502, 504] {
            let server = answering(json_fixture(status, "api_error_string.json")).await;
            let client = blocking_client(&server);
            let err = off_runtime(move || client.algo("a/b").pipe("x").unwrap_err()).await;
            assert_eq!(err.status(), Some(status), "{err:?}");
            assert_eq!(
                requests(&server).await,
                1,
                "HTTP {status} must not be retried"
            );
        }
    }

    #[tokio::test]
    async fn an_algorithm_error_is_an_algorithm_error() {
        let server = answering(json_fixture(400, "algo_failure.json")).await;
        let client = blocking_client(&server);
        let err = off_runtime(move || client.algo("a/b").pipe("x").unwrap_err()).await;
        assert!(matches!(err, Error::Algorithm(_)), "{err:?}");
    }

    #[test]
    fn connection_refused_is_retried_then_reported_as_a_failure_to_connect() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let client = blocking::Client::from_async(
            algorithmia_client::Client::builder()
                .base_url(format!("http://127.0.0.1:{port}"))
                .api_key("simSECRETKEY123")
                .no_proxy()
                .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(1)))
                .build()
                .unwrap(),
        )
        .unwrap();
        let err = client.algo("a/b").pipe("x").unwrap_err();
        assert!(err.is_connect(), "{err:?}");
        match &err {
            Error::Transport(t) => {
                assert_eq!(t.attempts, 3);
                assert_eq!(t.request_id.as_ref().map(String::len), Some(32));
            }
            other => panic!("{other:?}"),
        }
        let text = report(&err);
        assert!(
            text.starts_with("POST /v1/algo/a/b could not connect after 3 attempts"),
            "{text}"
        );
        // The key is in no error, nor in the client's Debug.
        for shown in [text, format!("{err:?}"), format!("{client:?}")] {
            assert!(!shown.contains("SECRETKEY"), "{shown}");
        }
    }

    #[tokio::test]
    async fn a_call_that_outlives_its_timeout_is_a_timeout_and_not_retried() {
        let server = answering(
            json_fixture(200, "algo_success_text.json").set_delay(Duration::from_secs(5)),
        )
        .await;
        let client = blocking::Client::from_async(
            builder(&server)
                .timeout_margin(Duration::from_millis(200))
                .build()
                .unwrap(),
        )
        .unwrap();
        let (err, took) = off_runtime(move || {
            let started = Instant::now();
            let err = client
                .algo("a/b")
                .timeout(Duration::from_secs(1))
                .pipe("x")
                .unwrap_err();
            (err, started.elapsed())
        })
        .await;
        assert!(err.is_timeout(), "{err:?}");
        // The algorithm's 1 s plus the 200 ms margin, not the server's 5 s.
        assert!(
            took >= Duration::from_millis(1100) && took < Duration::from_secs(3),
            "{took:?}"
        );
        assert_eq!(requests(&server).await, 1);
    }

    #[tokio::test]
    async fn a_deadline_cuts_the_call_short() {
        let server = answering(
            json_fixture(200, "algo_success_text.json").set_delay(Duration::from_secs(5)),
        )
        .await;
        let client = blocking_client(&server);
        let (err, took) = off_runtime(move || {
            let started = Instant::now();
            let err = client
                .algo("a/b")
                .deadline(Instant::now() + Duration::from_millis(300))
                .pipe("x")
                .unwrap_err();
            (err, started.elapsed())
        })
        .await;
        assert!(err.is_timeout(), "{err:?}");
        assert!(took < Duration::from_secs(2), "{took:?}");
    }

    /// A server that answers every connection with `answer`, after reading the request;
    /// it returns the address and what it read.
    fn one_shot_server(answer: String) -> (String, std::sync::mpsc::Receiver<String>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let length = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap_or(0))
                    })
                    .unwrap_or(0);
                let _ = stream.read_exact(&mut vec![0u8; length]);
                let _ = tx.send(head);
                let _ = stream.write_all(answer.as_bytes());
            }
        });
        (addr, rx)
    }

    #[test]
    fn a_body_cut_short_is_a_transport_failure_and_not_retried() {
        let (addr, heads) = one_shot_server(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"result\":"
                .to_owned(),
        );
        let client = blocking::Client::from_async(
            algorithmia_client::Client::builder()
                .base_url(format!("http://{addr}"))
                .api_key("simKEY")
                .no_proxy()
                .build()
                .unwrap(),
        )
        .unwrap();
        let err = client.algo("a/b").pipe("x").unwrap_err();
        assert!(
            matches!(&err, Error::Transport(t) if t.attempts == 1),
            "{err:?}"
        );
        assert!(!err.is_connect() && !err.is_timeout(), "{err:?}");
        assert_eq!(
            heads.try_iter().count(),
            1,
            "a call that may have run is not sent again"
        );
    }

    /// A client for `base` through the proxy at `proxy`, without retries.
    fn proxied(base: &str, proxy: &str) -> blocking::Client {
        blocking::Client::from_async(
            algorithmia_client::Client::builder()
                .base_url(base)
                .api_key("simKEY")
                .proxy(format!("http://{proxy}"))
                .retry(RetryPolicy::none())
                .build()
                .unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn a_proxy_gets_plain_http_calls_in_absolute_form() {
        let body = r#"{"result":"Hello world","metadata":{"content_type":"text"}}"#;
        let (proxy, heads) = one_shot_server(format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        ));
        let client = proxied("http://api.example.invalid", &proxy);
        let response = client.algo("a/b").pipe("x").unwrap();
        assert_eq!(response.as_text(), Some("Hello world"));
        let head = heads.recv_timeout(Duration::from_secs(5)).unwrap();
        // Forwarded as the async client forwards it, not tunnelled with CONNECT (which proxies
        // commonly allow to port 443 only).
        assert!(
            head.starts_with("POST http://api.example.invalid/v1/algo/a/b HTTP/1.1\r\n"),
            "{head}"
        );
    }

    #[test]
    fn a_proxy_tunnels_https_calls() {
        let (proxy, heads) =
            one_shot_server("HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n".to_owned());
        let client = proxied("https://api.example.invalid", &proxy);
        let err = client.algo("a/b").pipe("x").unwrap_err();
        // The proxy refused the tunnel: the call never reached the API.
        assert!(err.is_connect(), "{err:?}");
        let head = heads.recv_timeout(Duration::from_secs(5)).unwrap();
        assert!(
            head.starts_with("CONNECT api.example.invalid:443 HTTP/1.1\r\n"),
            "{head}"
        );
    }

    #[tokio::test]
    async fn a_host_name_and_extra_roots_are_taken_as_the_async_client_takes_them() {
        let server = answering(json_fixture(200, "algo_success_text.json")).await;
        let port = server.address().port();
        let pem = std::fs::read(format!(
            "{}/tests/fixtures/test-ca.pem",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let client = blocking::Client::from_async(
            algorithmia_client::Client::builder()
                .base_url(format!("http://localhost:{port}"))
                .api_key("simKEY")
                .no_proxy()
                .add_root_certificate_pem(pem)
                .build()
                .unwrap(),
        )
        .unwrap();
        // Twice: the second call finds the name already resolved.
        let texts = off_runtime(move || {
            (0..2)
                .map(|_| {
                    client
                        .algo("a/b")
                        .pipe("x")
                        .unwrap()
                        .as_text()
                        .map(str::to_owned)
                })
                .collect::<Vec<_>>()
        })
        .await;
        assert_eq!(
            texts,
            [
                Some("Hello world".to_owned()),
                Some("Hello world".to_owned())
            ]
        );
        assert_eq!(requests(&server).await, 2);
    }
}
