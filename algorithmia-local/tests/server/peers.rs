//! The official clients as peers, unchanged: the Python client (PyPI `algorithmia` 2.0.x) and
//! the Node client (npm `algorithmia` 0.3.x) run scripted scenarios against the binary.
//! `scripts/test.sh` installs them into `.venv` and `node_modules`.

use std::path::PathBuf;
use std::process::Command;

use crate::binary::start;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn run_peer(program: PathBuf, script: &str, args: &[&str], expect: &str, min_checks: u32) {
    assert!(
        program.exists() || program.components().count() == 1,
        "{} is missing: run scripts/test.sh, which installs the peer clients",
        program.display()
    );
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/peers")
        .join(script);
    let out = Command::new(&program)
        .arg(&script)
        .args(args)
        .current_dir(repo_root())
        .env_remove("ALGORITHMIA_API_KEY")
        .env_remove("ALGORITHMIA_API")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .output()
        .unwrap_or_else(|e| panic!("could not run {}: {e}", program.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{} failed:\n{stdout}\n{stderr}",
        script.display()
    );
    assert!(stdout.contains(expect), "{stdout}\n{stderr}");
    let count: u32 = stdout
        .rsplit(": ")
        .next()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert!(count >= min_checks, "too few checks ran: {stdout}");
}

#[test]
fn the_official_python_client_works_unchanged() {
    let binary = start(&["--api-key", "simPy:pyuser", "--page-size", "2"], &[]);
    run_peer(
        repo_root().join(".venv/bin/python"),
        "python_client.py",
        &[&binary.base_url, "simPy", "pyuser"],
        "python scenarios passed",
        40,
    );
}

#[test]
fn the_official_node_client_works_unchanged() {
    let modules = repo_root().join("node_modules/algorithmia");
    assert!(
        modules.exists(),
        "node_modules/algorithmia is missing: run scripts/test.sh"
    );
    let binary = start(&["--api-key", "simNode:nodeuser", "--page-size", "2"], &[]);
    run_peer(
        PathBuf::from("node"),
        "node_client.js",
        &[&binary.base_url, "simNode"],
        "node scenarios passed",
        27,
    );
}
