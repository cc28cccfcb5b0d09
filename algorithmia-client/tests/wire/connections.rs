//! Algorithm calls to a plain-HTTP server keep their connections: reused call after call, and
//! replaced, without sending a call twice, when the server closes one.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use algorithmia_client::Client;

/// A server that answers `per_connection` calls on each connection, then closes it (without
/// saying so: no `Connection: close`). It counts connections and requests.
struct Server {
    url: String,
    connections: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
}

fn server(per_connection: usize) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(AtomicUsize::new(0));
    let (c, r) = (Arc::clone(&connections), Arc::clone(&requests));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            c.fetch_add(1, Ordering::SeqCst);
            let r = Arc::clone(&r);
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                for _ in 0..per_connection {
                    let mut length = 0;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap();
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let mut body = vec![0u8; length];
                    reader.read_exact(&mut body).unwrap();
                    let n = r.fetch_add(1, Ordering::SeqCst) + 1;
                    let answer =
                        format!(r#"{{"result":"call {n}","metadata":{{"content_type":"text"}}}}"#);
                    write!(
                        writer,
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{answer}",
                        answer.len()
                    )
                    .unwrap();
                }
                // Closed without notice.
            });
        }
    });
    Server {
        url,
        connections,
        requests,
    }
}

fn client(url: &str) -> Client {
    Client::builder()
        .base_url(url)
        .api_key("simKEY")
        .no_proxy()
        .build()
        .unwrap()
}

#[tokio::test]
async fn calls_one_after_another_share_one_connection() {
    let server = server(usize::MAX);
    let algo = client(&server.url).algo("a/b");
    for i in 1..=20 {
        let text = algo.pipe("x").await.unwrap();
        assert_eq!(text.as_text(), Some(format!("call {i}").as_str()));
    }
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_connection_the_server_closed_is_replaced_and_no_call_is_sent_twice() {
    let server = server(1);
    let algo = client(&server.url).algo("a/b");
    for i in 1..=10 {
        let text = algo.pipe("x").await.unwrap();
        assert_eq!(text.as_text(), Some(format!("call {i}").as_str()));
        // Some calls find the closed connection in the pool before the client has noticed.
        if i % 2 == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
    assert_eq!(server.requests.load(Ordering::SeqCst), 10);
    assert_eq!(server.connections.load(Ordering::SeqCst), 10);
}

#[tokio::test]
async fn concurrent_calls_open_connections_and_keep_them() {
    let server = server(usize::MAX);
    let algo = client(&server.url).algo("a/b");
    for _ in 0..3 {
        let calls: Vec<_> = (0..8)
            .map(|_| {
                let algo = algo.clone();
                tokio::spawn(async move { algo.pipe("x").await.unwrap() })
            })
            .collect();
        for call in calls {
            call.await.unwrap();
        }
    }
    assert_eq!(server.requests.load(Ordering::SeqCst), 24);
    // At most one connection per concurrent call, kept for the next round.
    assert!(server.connections.load(Ordering::SeqCst) <= 8);
}
