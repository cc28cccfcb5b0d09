//! The workspace's own binaries: built on demand, and `algorithmia-local` started on a free port.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use crate::{capture, repo_root};

/// A binary of this workspace, built now by cargo (quick when it is fresh) into the target
/// directory and profile of the running test, which cargo does not do for another package's
/// binaries. It is built with `--all-features`, as `scripts/test.sh` builds the workspace, so
/// that a workspace test run finds it fresh. Panics with cargo's reason when the build fails.
pub fn workspace_binary(package: &str, bin: &str) -> PathBuf {
    let exe = std::env::current_exe()
        .unwrap_or_else(|e| panic!("cannot locate the running test binary: {e}"));
    // <target>/<profile>/deps/<test>-<hash>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .unwrap_or_else(|| panic!("{} is not inside a cargo target directory", exe.display()));
    let target_dir = profile_dir.parent().unwrap_or(profile_dir);
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => "dev",
        Some(other) => other,
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(&cargo)
        .args([
            "build",
            "--quiet",
            "--all-features",
            "--package",
            package,
            "--bin",
            bin,
        ])
        .args(["--profile", profile])
        .arg("--target-dir")
        .arg(target_dir)
        .current_dir(repo_root())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("could not run {}: {e}", Path::new(&cargo).display()));
    assert!(
        out.status.success(),
        "cargo build -p {package} --bin {bin} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = profile_dir.join(format!("{bin}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "cargo built {bin}, but {} is missing",
        path.display()
    );
    path
}

/// A started `algorithmia-local` binary on a free loopback port, killed when dropped.
pub struct LocalBinary {
    /// The process.
    pub child: Child,
    /// The base URL it printed on its first line, `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// What it wrote to stderr (its log).
    pub log: Arc<Mutex<String>>,
}

impl LocalBinary {
    /// Start `program` (an `algorithmia-local` binary) with `--bind 127.0.0.1:0`, `args` and
    /// `env`, and wait for the base URL it prints.
    pub fn start(program: &Path, args: &[&str], env: &[(&str, &str)]) -> LocalBinary {
        let mut child = Command::new(program)
            .args(["--bind", "127.0.0.1:0"])
            .args(args)
            .envs(env.iter().copied())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{} did not start: {e}", program.display()));
        let log = Arc::new(Mutex::new(String::new()));
        if let Some(err) = child.stderr.take() {
            capture(err, Arc::clone(&log));
        }
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            let _ = BufReader::new(out).read_line(&mut line);
        }
        let base_url = line.trim().to_owned();
        let binary = LocalBinary {
            child,
            base_url,
            log,
        };
        assert!(
            binary.base_url.starts_with("http://127.0.0.1:"),
            "first line: {line:?}; log: {}",
            binary.logs()
        );
        binary
    }

    /// Everything it has logged so far.
    pub fn logs(&self) -> String {
        self.log.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for LocalBinary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
