//! The `algorithmia-local` binary: one line of stdout, keys from flags and the environment,
//! clean shutdown on SIGTERM.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use testkit::LocalBinary;

/// Start the binary with `args` on a free port and wait for its base URL line.
pub fn start(args: &[&str], env: &[(&str, &str)]) -> LocalBinary {
    LocalBinary::start(
        Path::new(env!("CARGO_BIN_EXE_algorithmia-local")),
        args,
        env,
    )
}

fn terminate(binary: &mut LocalBinary) -> std::process::ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &binary.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = binary.child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn prints_its_url_serves_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut binary = start(
        &[
            "--api-key",
            "simCarol:carol",
            "--data-dir",
            dir.path().to_str().unwrap(),
            "--page-size",
            "2",
        ],
        &[("ALGORITHMIA_LOCAL_API_KEYS", "simDave:dave, simErin")],
    );
    let c = algorithmia_client::Client::builder()
        .base_url(&binary.base_url)
        .api_key("simCarol")
        .no_proxy()
        .build()
        .unwrap();
    let r = c.algo("demo/Hello").pipe("binary").await.unwrap();
    assert_eq!(r.as_text(), Some("Hello binary"));
    for key in ["simDave", "simErin"] {
        let other = algorithmia_client::Client::builder()
            .base_url(&binary.base_url)
            .api_key(key)
            .no_proxy()
            .build()
            .unwrap();
        other.algo("demo/Hello").pipe("x").await.unwrap();
    }
    let stranger = algorithmia_client::Client::builder()
        .base_url(&binary.base_url)
        .api_key("simMallory")
        .no_proxy()
        .build()
        .unwrap();
    assert_eq!(
        stranger
            .algo("demo/Hello")
            .pipe("x")
            .await
            .unwrap_err()
            .status(),
        Some(401)
    );
    // Data persists in --data-dir.
    reqwest::Client::new()
        .post(format!("{}/v1/connector/data/.my", binary.base_url))
        .header("Authorization", "simCarol")
        .json(&serde_json::json!({"name": "kept"}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    assert!(dir.path().join("data/carol/kept").is_dir());
    let status = terminate(&mut binary);
    assert!(status.success(), "{status:?}");
    assert!(dir.path().join("data/carol/kept").is_dir());
}

#[test]
fn no_builtins_and_bad_arguments() {
    let binary = start(&["--no-builtins"], &[]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server_like = binary.base_url.clone();
    runtime.block_on(async {
        let c = algorithmia_client::Client::builder()
            .base_url(&server_like)
            .api_key("anything")
            .no_proxy()
            .build()
            .unwrap();
        assert!(
            c.algo("demo/Hello")
                .pipe("x")
                .await
                .unwrap_err()
                .is_not_found()
        );
    });
    drop(binary);
    for args in [
        vec!["--bind", "not an address"],
        vec!["--connector", "s3"],
        vec!["--connector", "dropbox=http://127.0.0.1:1"],
        vec!["--page-size", "0"],
        vec!["--algorithm-workers", "0"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_algorithmia-local"))
            .args(&args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("algorithmia-local") || stderr.contains("error"),
            "{stderr}"
        );
    }
}
