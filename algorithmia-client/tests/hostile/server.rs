//! A loopback HTTP/1.1 server that answers every request with the response it was given last,
//! exactly as given: any status, any header text, any body. wiremock would normalise some of it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// The server; it stops when dropped.
pub struct CannedServer {
    addr: SocketAddr,
    answer: Arc<Mutex<Vec<u8>>>,
    stop: Arc<AtomicBool>,
}

impl CannedServer {
    /// Listen on 127.0.0.1 and serve, one connection at a time, on a thread of its own.
    pub fn start() -> CannedServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let answer = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (serving, stopping) = (Arc::clone(&answer), Arc::clone(&stop));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let answer = serving.lock().unwrap().clone();
                    // A client that went away is its own business.
                    let _ = serve(stream, &answer);
                }
            }
        });
        CannedServer { addr, answer, stop }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Answer from now on with `status`, these header lines (and `Content-Length`), and `body`.
    pub fn answer(&self, status: u16, headers: &[(&str, &str)], body: &[u8]) {
        let mut response = format!("HTTP/1.1 {status} Canned\r\nConnection: close\r\n");
        for (name, value) in headers {
            response.push_str(&format!("{name}: {value}\r\n"));
        }
        response.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        let mut response = response.into_bytes();
        response.extend_from_slice(body);
        *self.answer.lock().unwrap() = response;
    }
}

impl Drop for CannedServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accepting thread so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

/// Read the whole request (so that closing does not reset the connection under the answer),
/// then write the answer and close.
fn serve(stream: TcpStream, answer: &[u8]) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    std::io::copy(
        &mut reader.by_ref().take(length as u64),
        &mut std::io::sink(),
    )?;
    let mut stream = reader.into_inner();
    stream.write_all(answer)?;
    stream.flush()
}
