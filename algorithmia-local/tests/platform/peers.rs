//! The official Python client's management calls against the binary, unchanged.

use std::path::{Path, PathBuf};
use std::process::Command;

use testkit::LocalBinary;

#[test]
fn the_official_python_client_manages_algorithms() {
    let python = testkit::venv_bin("python");
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_string_lossy().into_owned();
    let binary = LocalBinary::start(
        Path::new(env!("CARGO_BIN_EXE_algorithmia-local")),
        &[
            "--api-key",
            "simPyManage:pyuser",
            "--data-dir",
            &data_dir,
            "--no-builtins",
        ],
        &[],
    );
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/python_management.py");
    let out = Command::new(python)
        .arg(&script)
        .args([binary.base_url.as_str(), "simPyManage", "pyuser"])
        .env_remove("ALGORITHMIA_API_KEY")
        .env_remove("ALGORITHMIA_API")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{stdout}\n{stderr}\n{}",
        binary.logs()
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
/// Node client's create, compile, builds, logs, publish and versions (through its `req`).
#[test]
fn the_official_clients_build_and_publish() {
    let python = testkit::venv_bin("python");
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_string_lossy().into_owned();
    let binary = LocalBinary::start(
        Path::new(env!("CARGO_BIN_EXE_algorithmia-local")),
        &[
            "--api-key",
            "simPyBuild:pybuilder",
            "--data-dir",
            &data_dir,
            "--no-builtins",
        ],
        &[],
    );
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/python_builds.py");
    let out = Command::new(python)
        .arg(&script)
        .args([binary.base_url.as_str(), "simPyBuild", "pybuilder"])
        .env_remove("ALGORITHMIA_API_KEY")
        .env_remove("ALGORITHMIA_API")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{stdout}\n{stderr}\n{}",
        binary.logs()
    );
    assert!(
        stdout.contains("python build scenarios passed: 10"),
        "{stdout}"
    );

    // The official Node client on the same server (pip's cache is warm now).
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    assert!(
        root.join("node_modules/algorithmia").exists(),
        "node_modules/algorithmia is missing: run scripts/test.sh"
    );
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/node_builds.js");
    let out = Command::new("node")
        .arg(&script)
        .args([binary.base_url.as_str(), "simPyBuild", "pybuilder"])
        .current_dir(&root)
        .env_remove("ALGORITHMIA_API_KEY")
        .env_remove("ALGORITHMIA_API")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("node build scenarios passed: 8"),
        "{stdout}\n{stderr}\n{}",
        binary.logs()
    );
    assert!(!binary.logs().contains("simPyBuild"), "the key leaked");
}
