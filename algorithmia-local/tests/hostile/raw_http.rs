//! Raw HTTP/1.1 over a socket: requests sent as bytes, exactly as generated, and what came back.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use testkit::hostile::preview;

/// How long a request may go unanswered once the client has sent all it will.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// What the server did with a request.
#[derive(Debug)]
pub enum Answer {
    /// A response (after any `1xx`).
    Response {
        status: u16,
        head: String,
        body: Vec<u8>,
    },
    /// The connection was closed (or reset) without a response.
    Closed,
    /// Bytes that are not an HTTP response.
    Garbage(Vec<u8>),
    /// Nothing, or not all of a response, within the read timeout.
    Hung(Vec<u8>),
}

/// A well-formed request with `Connection: close`.
pub fn request(
    method: &str,
    path: &str,
    key: Option<&str>,
    content_type: &str,
    body: &[u8],
) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    if let Some(key) = key {
        head.push_str(&format!("Authorization: Simple {key}\r\n"));
    }
    if !content_type.is_empty() {
        head.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Send `bytes`, optionally close the sending side (for requests that promise more than they
/// send), and read until the server closes.
pub fn send(addr: SocketAddr, bytes: &[u8], half_close: bool) -> Answer {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(READ_TIMEOUT)).unwrap();
    // The server may answer and close before it has read everything (a 431, a 413).
    let _ = stream.write_all(bytes);
    if half_close {
        let _ = stream.shutdown(Shutdown::Write);
    }
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    let complete = loop {
        match stream.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                break false;
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            // A reset after (or instead of) the answer.
            Err(_) => break true,
        }
        if started.elapsed() > READ_TIMEOUT * 2 {
            break false;
        }
    };
    if !complete {
        return Answer::Hung(received);
    }
    parse_answer(received)
}

fn parse_answer(mut received: Vec<u8>) -> Answer {
    loop {
        if received.is_empty() {
            return Answer::Closed;
        }
        let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") else {
            return Answer::Garbage(received);
        };
        let head = String::from_utf8_lossy(&received[..end]).into_owned();
        let mut words = head.split(' ');
        let version = words.next().unwrap_or("");
        let status = words.next().and_then(|s| s.parse::<u16>().ok());
        let (true, Some(status)) = (version == "HTTP/1.1" || version == "HTTP/1.0", status) else {
            return Answer::Garbage(received);
        };
        let body = received.split_off(end + 4);
        if (100..200).contains(&status) {
            received = body;
            continue;
        }
        return Answer::Response { status, head, body };
    }
}

/// A response to a hostile request: any status below 500, or a closed connection; never a hang
/// and never bytes that are not HTTP.
pub fn check_answer(answer: &Answer, what: &str) -> Result<(), TestCaseError> {
    match answer {
        Answer::Response { status, head, body } => {
            prop_assert!(
                (200..500).contains(status),
                "{} got {}: {}\n{}",
                what,
                status,
                head,
                preview(body, 300)
            );
        }
        Answer::Closed => {}
        Answer::Garbage(bytes) => prop_assert!(
            false,
            "{} got bytes that are not HTTP: {}",
            what,
            preview(bytes, 300)
        ),
        Answer::Hung(bytes) => prop_assert!(
            false,
            "{} got no complete answer within {:?} (received {})",
            what,
            READ_TIMEOUT,
            preview(bytes, 300)
        ),
    }
    Ok(())
}
