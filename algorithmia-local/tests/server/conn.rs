//! Connections on a raw socket: a request head that does not arrive within the header read
//! timeout and a kept-alive connection left idle as long are closed; requests that keep to it,
//! however long they then run, are answered.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use algorithmia_local::ServerHandle;

use crate::{ALICE, builder};

const TIMEOUT: Duration = Duration::from_secs(1);

fn server() -> ServerHandle {
    builder().header_read_timeout(TIMEOUT).start().unwrap()
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_nodelay(true).unwrap();
    stream
}

/// Read until the server closes the connection: what it sent, and how long that took. Fails
/// if the connection is still open after `limit`.
fn until_closed(stream: &mut TcpStream, limit: Duration) -> (Vec<u8>, Duration) {
    let started = Instant::now();
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                panic!("the connection is still open after {:?}", started.elapsed())
            }
            Err(e) => panic!("reading failed: {e}"),
        }
        assert!(
            started.elapsed() < limit,
            "the connection is still open after {:?}",
            started.elapsed()
        );
    }
    (received, started.elapsed())
}

/// Read one response with a `Content-Length` off a kept-alive connection: status and body.
fn read_response(stream: &mut TcpStream) -> (u16, Vec<u8>) {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    let end = loop {
        if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        let n = stream.read(&mut buf).unwrap();
        assert!(
            n > 0,
            "closed mid-head: {:?}",
            String::from_utf8_lossy(&received)
        );
        received.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&received[..end]).into_owned();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().unwrap())
        })
        .unwrap_or_else(|| panic!("no Content-Length in {head}"));
    let mut body = received.split_off(end + 4);
    while body.len() < length {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "closed mid-body");
        body.extend_from_slice(&buf[..n]);
    }
    (status, body)
}

/// A kept-alive call of `algorithm` with a JSON body.
fn call(algorithm: &str, json: &str) -> Vec<u8> {
    format!(
        "POST /v1/algo/{algorithm} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Simple {ALICE}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{json}",
        json.len()
    )
    .into_bytes()
}

#[test]
fn a_half_sent_head_is_closed_after_the_timeout() {
    let server = server();
    let mut stream = connect(server.addr());
    stream
        .write_all(b"POST /v1/algo/util/Echo HTTP/1.1\r\nHost: localhost\r\n")
        .unwrap();
    let (received, waited) = until_closed(&mut stream, TIMEOUT + Duration::from_secs(5));
    assert!(
        received.is_empty(),
        "answered: {:?}",
        String::from_utf8_lossy(&received)
    );
    // The clock started at accept, a moment before the write.
    assert!(waited >= TIMEOUT / 2, "closed after {waited:?}");
}

#[test]
fn a_head_sent_a_byte_at_a_time_does_not_reset_the_clock() {
    let server = server();
    let mut writer = connect(server.addr());
    let mut reader = writer.try_clone().unwrap();
    let started = Instant::now();
    let drip = std::thread::spawn(move || {
        // Four times as long as the timeout allows, one byte every 20 ms, unless cut off first.
        let head = b"GET /v1/data/.my HTTP/1.1\r\nHost: localhost\r\nX-Pad: ".repeat(3);
        for byte in head.iter().take(4 * TIMEOUT.as_millis() as usize / 20) {
            if writer.write_all(&[*byte]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    let (received, _) = until_closed(&mut reader, TIMEOUT + Duration::from_secs(5));
    let closed_after = started.elapsed();
    assert!(received.is_empty());
    // Were each byte to restart the clock, it would close only after the drip ended.
    assert!(
        closed_after < 3 * TIMEOUT,
        "closed only after {closed_after:?}"
    );
    drip.join().unwrap();
}

#[test]
fn a_kept_alive_connection_serves_requests_then_closes_when_idle() {
    let server = server();
    let mut stream = connect(server.addr());
    for _ in 0..2 {
        stream.write_all(&call("util/Echo", r#""again""#)).unwrap();
        let (status, body) = read_response(&mut stream);
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        // Idle for less than the timeout: the connection stays.
        std::thread::sleep(TIMEOUT / 3);
    }
    let (received, waited) = until_closed(&mut stream, TIMEOUT + Duration::from_secs(5));
    assert!(received.is_empty());
    assert!(waited >= TIMEOUT / 2, "closed after {waited:?}");
}

#[test]
fn a_call_that_runs_longer_than_the_timeout_is_answered() {
    let server = server();
    let mut stream = connect(server.addr());
    // The head in two parts, within the timeout; then a call three times as long as it.
    let request = call(
        "util/Delay",
        &format!(r#"{{"ms": {}, "result": "late"}}"#, 3 * TIMEOUT.as_millis()),
    );
    let (first, rest) = request.split_at(20);
    stream.write_all(first).unwrap();
    std::thread::sleep(TIMEOUT / 4);
    stream.write_all(rest).unwrap();
    let (status, body) = read_response(&mut stream);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let envelope: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(envelope["result"], "late");
}

#[test]
fn the_binary_takes_the_timeout_as_a_flag() {
    let binary = crate::binary::start(&["--header-read-timeout", "300ms"], &[]);
    let addr: SocketAddr = binary
        .base_url
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let mut stream = connect(addr);
    stream.write_all(b"GET /v1/data/.my HTTP/1.1\r\n").unwrap();
    let (received, waited) = until_closed(&mut stream, Duration::from_secs(5));
    assert!(received.is_empty());
    assert!(waited < Duration::from_secs(3), "closed after {waited:?}");

    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_algorithmia-local"))
        .args(["--bind", "127.0.0.1:0", "--header-read-timeout", "soon"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("header-read-timeout"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}
