//! The workspace's own binaries: built on demand, and `algorithmia-local` started on a free port.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use crate::{capture, repo_root};

/// A binary of this workspace, built now by cargo (quick when it is fresh) into the target
/// directory and profile of the running test, which cargo does not do for another package's
/// binaries. Panics with cargo's reason when the build fails.
///
/// It is built as `scripts/test.sh`'s `cargo test --workspace --all-features` builds it: cargo
/// builds a package's binaries for its integration tests, so building one of `package`'s
/// integration tests with the same flags yields the very same units (the same features for
/// every dependency), and a workspace test run finds them fresh. A plain `cargo build -p`
/// resolves features without the dev-dependencies and would rebuild tokio and everything above
/// it, minutes on a small machine.
pub fn workspace_binary(package: &str, bin: &str) -> PathBuf {
    let exe = std::env::current_exe()
        .unwrap_or_else(|e| panic!("cannot locate the running test binary: {e}"));
    // <target>/<profile>/deps/<test>-<hash>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .unwrap_or_else(|| panic!("{} is not inside a cargo target directory", exe.display()));
    let target_dir = profile_dir.parent().unwrap_or(profile_dir);
    let test = integration_test(package);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&cargo);
    command.args([
        "test",
        "--no-run",
        "--quiet",
        "--workspace",
        "--all-features",
        "--test",
        &test,
    ]);
    match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => {}
        Some("release") => {
            command.arg("--release");
        }
        Some(other) => {
            command.args(["--profile", other]);
        }
    }
    let out = command
        .arg("--target-dir")
        .arg(target_dir)
        .current_dir(repo_root())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("could not run {}: {e}", Path::new(&cargo).display()));
    assert!(
        out.status.success(),
        "building {package}'s {bin} (cargo test --no-run --test {test}) failed:\n{}",
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

/// The name of one of `package`'s integration tests (`tests/NAME.rs` or `tests/NAME/main.rs`),
/// the first by name; panics when it has none, since then cargo builds none of its binaries.
fn integration_test(package: &str) -> String {
    let dir = repo_root().join(package).join("tests");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            if path.is_dir() {
                path.join("main.rs").is_file().then_some(())?;
                Some(path.file_name()?.to_str()?.to_owned())
            } else if path.extension().is_some_and(|e| e == "rs") {
                Some(path.file_stem()?.to_str()?.to_owned())
            } else {
                None
            }
        })
        .collect();
    names.sort();
    names
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("{package} has no integration test under {}", dir.display()))
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
