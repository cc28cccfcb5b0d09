//! Helpers shared by the end-to-end tests: free loopback ports, the tools `scripts/test.sh`
//! installs (`.venv`, `node_modules`), moto's server, the workspace's own binaries, and small
//! trees of files to transfer. Nothing here reaches beyond 127.0.0.1. [`hostile`] is the
//! property-test harness of every crate's hostile suite.

pub mod hostile;

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod binary;
mod tree;

pub use binary::{LocalBinary, workspace_binary};
pub use tree::{TREE_PATHS, read_tree, write_tree};

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// The blueprint's `bootstrap` (`algorithmia-blueprint`), built fresh from the sources by
/// [`workspace_binary`] into the running test's target directory, so a test never runs old code.
pub fn blueprint_bootstrap() -> PathBuf {
    workspace_binary("lambda-blueprint", "algorithmia-blueprint")
}

/// A program the test command installed into `.venv/bin`; panics with the fix if it is missing.
pub fn venv_bin(name: &str) -> PathBuf {
    let path = repo_root().join(".venv/bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: run scripts/test.sh, which installs the test tools",
        path.display()
    );
    path
}

/// `PATH` with `.venv/bin` first (cargo-lambda finds Zig and itself there).
pub fn venv_path() -> String {
    let venv = repo_root().join(".venv/bin");
    format!(
        "{}:{}",
        venv.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// A port that was free on 127.0.0.1 a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free loopback port: {e}"))
}

/// Wait until something accepts connections on 127.0.0.1:`port`.
pub fn wait_for_port(port: u16, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nothing listened on 127.0.0.1:{port} within {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A child process killed when dropped.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// moto's server (S3, KMS, ...) on a free loopback port, stopped when dropped.
pub struct Moto {
    _child: Guard,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Moto {
    /// Start `moto_server` from `.venv`, and wait for its address.
    pub fn start() -> Moto {
        let mut child = Command::new(venv_bin("moto_server"))
            .args(["-H", "127.0.0.1", "-p", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("moto_server did not start: {e}"));
        let stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
        let mut lines = BufReader::new(stderr).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(i) = line.find("http://127.0.0.1:") {
                        break line[i..].split_whitespace().next().unwrap_or("").to_owned();
                    }
                }
                _ => panic!("moto_server exited before printing its address"),
            }
        };
        // Keep draining its log so it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Moto {
            _child: Guard(child),
            url,
        }
    }
}

/// Copy everything a pipe says into `into`, on a thread of its own; the thread ends when the pipe
/// closes, so joining it waits for the last word.
pub fn capture(
    mut pipe: impl Read + Send + 'static,
    into: Arc<Mutex<String>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buffer = [0u8; 8192];
        while let Ok(n) = pipe.read(&mut buffer) {
            if n == 0 {
                break;
            }
            if let Ok(mut text) = into.lock() {
                text.push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        }
    })
}

/// cargo-lambda's Runtime API emulator (`cargo lambda watch --only-lambda-apis`) on a free port.
pub struct Emulator {
    _child: Guard,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// What it logged.
    pub log: Arc<Mutex<String>>,
}

impl Emulator {
    /// Start it from `.venv`, in the repository (it reads the workspace's binaries).
    pub fn start() -> Emulator {
        let port = free_port();
        let mut child = Command::new(venv_bin("cargo-lambda"))
            .args([
                "lambda",
                "watch",
                "--only-lambda-apis",
                "-A",
                "127.0.0.1",
                "-P",
                &port.to_string(),
            ])
            .current_dir(repo_root())
            .env("PATH", venv_path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cargo lambda watch did not start: {e}"));
        let log = Arc::new(Mutex::new(String::new()));
        if let (Some(out), Some(err)) = (child.stdout.take(), child.stderr.take()) {
            capture(out, Arc::clone(&log));
            capture(err, Arc::clone(&log));
        }
        wait_for_port(port, Duration::from_secs(30));
        Emulator {
            _child: Guard(child),
            port,
            log,
        }
    }

    /// `cargo lambda invoke --data-file` with `event`; returns (success, its stdout and stderr).
    pub fn invoke(&self, event: &str) -> (bool, String) {
        let dir =
            std::env::temp_dir().join(format!("emulator-{}-{}", std::process::id(), free_port()));
        let _ = std::fs::create_dir_all(&dir);
        let file = dir.join("event.json");
        if let Err(e) = std::fs::write(&file, event) {
            panic!("could not write {}: {e}", file.display());
        }
        let out = Command::new(venv_bin("cargo-lambda"))
            .args([
                "lambda",
                "invoke",
                "-A",
                "127.0.0.1",
                "-P",
                &self.port.to_string(),
                "--output-format",
                "json",
                "--data-file",
            ])
            .arg(&file)
            .arg("_")
            .current_dir(repo_root())
            .env("PATH", venv_path())
            .output()
            .unwrap_or_else(|e| panic!("cargo lambda invoke did not run: {e}"));
        let _ = std::fs::remove_dir_all(&dir);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }
}

impl Emulator {
    /// Invoke the function over the emulator's Lambda Invoke API (`POST
    /// /2015-03-31/functions/_/invocations`), without a `cargo lambda invoke` process; returns
    /// the HTTP status and the body. Much quicker for many invocations.
    pub fn invoke_http(&self, event: &str) -> (u16, String) {
        use std::io::Write;
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port))
            .unwrap_or_else(|e| panic!("could not reach the emulator: {e}"));
        let _ = stream.set_read_timeout(Some(Duration::from_secs(600)));
        let request = format!(
            "POST /2015-03-31/functions/_/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{event}",
            event.len()
        );
        if let Err(e) = stream.write_all(request.as_bytes()) {
            panic!("could not send the invocation: {e}");
        }
        let mut response = Vec::new();
        if let Err(e) = stream.read_to_end(&mut response) {
            panic!("could not read the invocation's answer: {e}");
        }
        let split = response
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or(response.len());
        let head = String::from_utf8_lossy(&response[..split]).to_ascii_lowercase();
        let body = response.get(split + 4..).unwrap_or_default();
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = if head.contains("transfer-encoding: chunked") {
            dechunk(body)
        } else {
            body.to_vec()
        };
        (status, String::from_utf8_lossy(&body).into_owned())
    }
}

/// Undo HTTP/1.1 chunked transfer coding.
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = body.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&body[..line_end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.trim(), 16).ok());
        let rest = &body[line_end + 2..];
        match size {
            Some(size) if size > 0 && rest.len() >= size => {
                out.extend_from_slice(&rest[..size]);
                body = rest[size..].strip_prefix(b"\r\n").unwrap_or(&rest[size..]);
            }
            _ => break,
        }
    }
    out
}

/// The built `bootstrap`, serving the emulator's invocations.
pub struct Function {
    /// The process.
    pub child: Guard,
    /// Its stdout and stderr.
    pub output: Arc<Mutex<String>>,
    /// The threads copying them into `output`, joined once the process has ended so that
    /// nothing it printed last is missed.
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl Function {
    /// Start `bootstrap` against `emulator` as function `name`, with `env` (and AWS test
    /// credentials; the caller's `ALGORITHMIA_*` and `AWS_*` variables are not passed on).
    pub fn start(
        bootstrap: &Path,
        emulator: &Emulator,
        name: &str,
        env: &[(&str, String)],
    ) -> Function {
        let mut command = Command::new(bootstrap);
        for (var, _) in std::env::vars() {
            if var.starts_with("ALGORITHMIA_") || var.starts_with("AWS_") {
                command.env_remove(var);
            }
        }
        command
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("http://127.0.0.1:{}/.rt", emulator.port),
            )
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("RUST_LOG", "debug");
        for (var, value) in env {
            command.env(var, value);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{} did not start: {e}", bootstrap.display()));
        let output = Arc::new(Mutex::new(String::new()));
        let mut readers = Vec::new();
        if let (Some(out), Some(err)) = (child.stdout.take(), child.stderr.take()) {
            readers.push(capture(out, Arc::clone(&output)));
            readers.push(capture(err, Arc::clone(&output)));
        }
        Function {
            child: Guard(child),
            output,
            readers,
        }
    }

    /// The exit status, if the process ends within `timeout`; once it has, [`Function::logs`]
    /// holds everything it printed (its pipes are read to the end).
    pub fn exit_within(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.0.try_wait() {
                for reader in self.readers.drain(..) {
                    // A reader that panicked has nothing more to add.
                    let _ = reader.join();
                }
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// Everything it has printed so far.
    pub fn logs(&self) -> String {
        self.output.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// The first JSON value in a command's output.
pub fn first_json(text: &str) -> Option<serde_json::Value> {
    let start = text.find(['{', '[', '"'])?;
    serde_json::Deserializer::from_str(&text[start..])
        .into_iter::<serde_json::Value>()
        .next()
        .and_then(Result::ok)
}
