//! Hostile requests: traversal, unknown keys, oversize and broken uploads. Each is refused with
//! the right status and leaves nothing behind.

use std::io::Write;
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::{builder, raw_head, raw_request, server};

fn leftovers(data_dir: &Path) -> Vec<String> {
    std::fs::read_dir(data_dir.join(".tmp"))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn traversal_attempts_get_400_and_touch_nothing() {
    let server = server();
    let outside = server
        .data_dir()
        .parent()
        .unwrap()
        .join(format!("algorithmia-escape-{}", std::process::id()));
    let target_name = outside.file_name().unwrap().to_string_lossy().into_owned();
    for method in ["GET", "PUT", "DELETE", "HEAD"] {
        for path in [
            format!("/v1/connector/data/.my/../../../{target_name}"),
            format!("/v1/connector/data/.my/%2e%2e/%2e%2e/%2e%2e/{target_name}"),
            format!("/v1/connector/data/.my/%2e%2e%2f%2e%2e%2f{target_name}"),
            format!("/v1/data/.my%2F..%2F..%2F..%2F{target_name}"),
            format!("/v1/data/%2F{target_name}"),
            "/v1/data//etc/passwd".to_owned(),
            "/v1/connector/s3/..%2F..%2Fetc%2Fpasswd".to_owned(),
            "/v1/connector/data/.my/coll/a%00b".to_owned(),
            "/v1/connector/data/.my/coll/..%5C..%5Cx".to_owned(),
        ] {
            let body = if method == "PUT" { "escaped" } else { "" };
            let request = format!(
                "{}{body}",
                raw_head(
                    method,
                    &path,
                    &format!("Content-Length: {}\r\n", body.len())
                )
            );
            let response = raw_request(server.addr(), request.as_bytes());
            assert_eq!(response.status, 400, "{method} {path}: {}", response.head);
            if method != "HEAD" {
                let error: Value = serde_json::from_slice(&response.body).unwrap();
                assert!(error["error"]["message"].is_string());
            }
        }
    }
    assert!(!outside.exists());
    assert!(!Path::new("/etc/passwd.algorithmia").exists());
    assert!(leftovers(server.data_dir()).is_empty());
}

#[test]
fn unknown_and_missing_keys_get_401_with_an_error_body() {
    let server = server();
    for auth in [
        "Authorization: Simple simWrong\r\n",
        "Authorization: \r\n",
        "",
    ] {
        let request = format!(
            "GET /v1/connector/data/.my HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{auth}\r\n"
        );
        let response = raw_request(server.addr(), request.as_bytes());
        assert_eq!(response.status, 401, "{auth:?}");
        let error: Value = serde_json::from_slice(&response.body).unwrap();
        assert_eq!(error["error"]["code"], 2002);
        assert!(
            response
                .head
                .to_ascii_lowercase()
                .contains("x-error-message")
        );
    }
}

fn create_collection(server: &algorithmia_local::ServerHandle) {
    let body = r#"{"name":"up"}"#;
    let request = format!(
        "{}{body}",
        raw_head(
            "POST",
            "/v1/connector/data/.my",
            &format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            )
        )
    );
    assert_eq!(raw_request(server.addr(), request.as_bytes()).status, 200);
}

#[test]
fn oversize_uploads_are_refused_and_leave_nothing() {
    let server = builder().max_upload_bytes(1024 * 1024).start().unwrap();
    create_collection(&server);
    let body = vec![b'x'; 2 * 1024 * 1024];
    let mut request = raw_head(
        "PUT",
        "/v1/connector/data/.my/up/big.bin",
        &format!("Content-Length: {}\r\n", body.len()),
    )
    .into_bytes();
    request.extend_from_slice(&body);
    let response = raw_request(server.addr(), &request);
    assert_eq!(response.status, 413, "{}", response.head);
    assert!(!server.data_dir().join("data/alice/up/big.bin").exists());
    assert!(leftovers(server.data_dir()).is_empty());
}

#[test]
fn a_client_that_disconnects_mid_upload_leaves_no_partial_file() {
    let server = server();
    create_collection(&server);
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    let head = raw_head(
        "PUT",
        "/v1/connector/data/.my/up/partial.bin",
        "Content-Length: 10000000\r\n",
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&vec![b'p'; 256 * 1024]).unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    drop(stream);
    // The server notices, removes the temporary file, and never publishes the partial one.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !leftovers(server.data_dir()).is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(leftovers(server.data_dir()).is_empty());
    assert!(!server.data_dir().join("data/alice/up/partial.bin").exists());
}

#[test]
fn a_stalled_upload_times_out_and_leaves_nothing() {
    let server = builder()
        .upload_idle_timeout(Duration::from_millis(500))
        .start()
        .unwrap();
    create_collection(&server);
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let head = raw_head(
        "PUT",
        "/v1/connector/data/.my/up/slow.bin",
        "Content-Length: 1000\r\n",
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&[b's'; 10]).unwrap();
    let mut response = Vec::new();
    let _ = std::io::Read::read_to_end(&mut stream, &mut response);
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(!server.data_dir().join("data/alice/up/slow.bin").exists());
    assert!(leftovers(server.data_dir()).is_empty());
}

#[test]
fn the_server_binds_to_loopback_by_default() {
    let server = algorithmia_local::LocalServer::builder().start().unwrap();
    assert!(server.addr().ip().is_loopback());
    assert!(server.base_url().starts_with("http://127.0.0.1:"));
}
