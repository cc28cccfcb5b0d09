//! The build module end to end with real git and real pip: repositories and their path checks,
//! git's smart HTTP protocol with a stock git (clone, push, the push hook, access refusals),
//! builds (pip, compile errors, one build per algorithm at a time), and a build hosted as an ADK
//! algorithm and called with our SDK.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod builder;
mod git_http;
mod repo;

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use algorithmia_local::build::{Denied, GitUser};

pub const ALICE_KEY: &str = "simAliceKey-9f2c7e";
pub const BOB_KEY: &str = "simBobKey-41d0aa";

/// Everything every test logged, through one global subscriber at TRACE level.
pub fn server_log() -> String {
    String::from_utf8_lossy(&log_buffer().lock().unwrap()).into_owned()
}

fn log_buffer() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| Arc::new(Mutex::new(Vec::new())))
}

struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        log_buffer().lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Install the capturing subscriber (once).
pub fn capture_logs() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(|| LogWriter)
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

/// The access rule of the tests: alice may do anything; bob may read anything and push only to
/// his own repositories; any other key is unknown.
pub fn access(key: &str, owner: &str, _name: &str, write: bool) -> Result<GitUser, Denied> {
    match key {
        ALICE_KEY => Ok(GitUser {
            name: "alice".into(),
        }),
        BOB_KEY if write && owner != "bob" => Err(Denied::Forbidden),
        BOB_KEY => Ok(GitUser { name: "bob".into() }),
        _ => Err(Denied::Unauthenticated),
    }
}

/// Serve `router` on a free loopback port.
pub async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    addr
}

/// A template-like file list for `name` whose algorithm answers "hello X".
pub fn template(owner: &str, name: &str, requirements: Option<&str>) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = vec![
        (
            "algorithmia.conf".into(),
            format!(r#"{{"username": "{owner}", "algoname": "{name}", "langauge": "python3"}}"#)
                .into_bytes(),
        ),
        ("src/__init__.py".into(), Vec::new()),
        (
            format!("src/{name}.py").into(),
            b"from adk import ADK\n\n\ndef apply(input):\n    return \"hello {}\".format(str(input))\n\n\nalgorithm = ADK(apply)\nalgorithm.init(\"Algorithmia\")\n".to_vec(),
        ),
        (
            format!("src/{name}_test.py").into(),
            format!("from . import {name}\n\n\ndef test_{name}():\n    assert {name}.apply(\"Jane\") == \"hello Jane\"\n").into_bytes(),
        ),
    ];
    if let Some(requirements) = requirements {
        files.push(("requirements.txt".into(), requirements.as_bytes().to_vec()));
    }
    files
}

/// Run a stock git with no user or system configuration, never prompting.
pub async fn git(home: &Path, cwd: &Path, args: &[&str]) -> std::process::Output {
    tokio::process::Command::new("git")
        .args(args)
        .current_dir(cwd)
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.invalid")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.invalid")
        .env("NO_PROXY", "127.0.0.1")
        .env("no_proxy", "127.0.0.1")
        .env_remove("GIT_ASKPASS")
        .env_remove("SSH_ASKPASS")
        .env_remove("GIT_DIR")
        .output()
        .await
        .unwrap()
}

/// `git` that must succeed; its trimmed stdout.
pub async fn git_ok(home: &Path, cwd: &Path, args: &[&str]) -> String {
    let out = git(home, cwd, args).await;
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}
