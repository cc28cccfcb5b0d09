//! The official clients' management calls against the binary, unchanged.

use std::path::{Path, PathBuf};
use std::process::Command;

use testkit::LocalBinary;

/// The binary on a free port with one key (`KEY:USER`), its state in `data_dir`.
fn start(key_user: &str, data_dir: &Path) -> LocalBinary {
    let data_dir = data_dir.to_string_lossy().into_owned();
    LocalBinary::start(
        Path::new(env!("CARGO_BIN_EXE_algorithmia-local")),
        &[
            "--api-key",
            key_user,
            "--data-dir",
            &data_dir,
            "--no-builtins",
        ],
        &[],
    )
}

/// Run a peer script (`program script BASE_URL KEY USER`) from `cwd` without the client's
/// environment variables; its stdout when it succeeded, else a failure with everything it said.
fn run_peer(
    program: &Path,
    script: &str,
    binary: &LocalBinary,
    key: &str,
    user: &str,
    cwd: &Path,
) -> String {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/peers")
        .join(script);
    let out = Command::new(program)
        .arg(&script)
        .args([binary.base_url.as_str(), key, user])
        .current_dir(cwd)
        .env_remove("ALGORITHMIA_API_KEY")
        .env_remove("ALGORITHMIA_API")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .output()
        .unwrap_or_else(|e| panic!("could not run {}: {e}", program.display()));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{} {}: {stdout}\n{}\n{}",
        program.display(),
        script.display(),
        String::from_utf8_lossy(&out.stderr),
        binary.logs()
    );
    stdout
}

#[test]
fn the_official_python_client_manages_algorithms() {
    let dir = tempfile::tempdir().unwrap();
    let binary = start("simPyManage:pyuser", dir.path());
    let python = testkit::venv_bin("python");
    let stdout = run_peer(
        &python,
        "python_management.py",
        &binary,
        "simPyManage",
        "pyuser",
        dir.path(),
    );
    let count: u32 = stdout
        .rsplit("python management scenarios passed: ")
        .next()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert!(count >= 20, "too few checks ran: {stdout}");
}

/// The official Python client's compile, get_build, get_build_logs and publish against the
/// binary, with one real build (pip installs the template's requirements); then the official
/// Node client's create, compile, builds, logs, publish and versions (through its `req`: the
/// published package, 0.3.10, has no management methods).
#[test]
fn the_official_clients_build_and_publish() {
    let dir = tempfile::tempdir().unwrap();
    let binary = start("simPyBuild:pybuilder", dir.path());
    let python = testkit::venv_bin("python");
    let stdout = run_peer(
        &python,
        "python_builds.py",
        &binary,
        "simPyBuild",
        "pybuilder",
        dir.path(),
    );
    assert!(
        stdout.contains("python build scenarios passed: 10"),
        "{stdout}"
    );

    // The official Node client on the same server (pip's cache is warm now), from the
    // repository's root, where node_modules is.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    assert!(
        root.join("node_modules/algorithmia").exists(),
        "node_modules/algorithmia is missing: run scripts/test.sh"
    );
    let stdout = run_peer(
        Path::new("node"),
        "node_builds.js",
        &binary,
        "simPyBuild",
        "pybuilder",
        &root,
    );
    assert!(
        stdout.contains("node build scenarios passed: 8"),
        "{stdout}"
    );
    assert!(!binary.logs().contains("simPyBuild"), "the key leaked");
}
