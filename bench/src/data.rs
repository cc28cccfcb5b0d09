//! The Data API round trip: a large file uploaded and downloaded through our client, beside
//! `curl` doing the same against the same server. Throughput, and peak memory of our client and
//! of the server, each measured in its own process.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::proc::{Server, peak_rss_kib};

pub(crate) const KEY: &str = "simBench";

/// What the client child process reports.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ClientRun {
    pub(crate) upload_secs: f64,
    pub(crate) download_secs: f64,
    pub(crate) peak_rss_kib: u64,
}

/// The results of one data run.
#[derive(Debug, Serialize)]
pub(crate) struct DataResult {
    pub(crate) size_mib: u64,
    pub(crate) ours_upload_mib_s: f64,
    pub(crate) ours_download_mib_s: f64,
    pub(crate) curl_upload_mib_s: f64,
    pub(crate) curl_download_mib_s: f64,
    pub(crate) client_peak_rss_mib: f64,
    pub(crate) server_peak_rss_mib: f64,
}

/// A file of `size_mib` MiB of varied bytes at `path`.
pub(crate) fn write_file(path: &Path, size_mib: u64) -> std::io::Result<()> {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let block: Vec<u8> = (0..1024 * 1024)
        .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    for _ in 0..size_mib {
        file.write_all(&block)?;
    }
    file.flush()
}

/// The client side, run in a child process so that its peak memory is its own.
pub(crate) fn client_child(base_url: &str, source: &Path, target: &Path) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let run = runtime.block_on(async {
        let client = algorithmia_client::Client::builder()
            .base_url(base_url)
            .api_key(KEY)
            .no_proxy()
            .build()
            .map_err(|e| e.to_string())?;
        let file = client.file("data://.my/bench/big.bin");
        let started = Instant::now();
        file.put_file(source).await.map_err(|e| e.to_string())?;
        let upload_secs = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let bytes = file.download_to(target).await.map_err(|e| e.to_string())?;
        let download_secs = started.elapsed().as_secs_f64();
        let expected = std::fs::metadata(source).map_err(|e| e.to_string())?.len();
        if bytes != expected {
            return Err(format!("downloaded {bytes} bytes of {expected}"));
        }
        Ok::<_, String>((upload_secs, download_secs))
    })?;
    let report = ClientRun {
        upload_secs: run.0,
        download_secs: run.1,
        peak_rss_kib: peak_rss_kib(std::process::id()).unwrap_or(0),
    };
    println!(
        "{}",
        serde_json::to_string(&report).map_err(|e| e.to_string())?
    );
    Ok(())
}

/// Run curl with the bench key and `args`: seconds it took.
pub(crate) fn curl(args: &[&str]) -> Result<f64, String> {
    let started = Instant::now();
    let out = Command::new("curl")
        .args([
            "-sS",
            "--fail",
            "-H",
            &format!("Authorization: Simple {KEY}"),
        ])
        .args(args)
        .output()
        .map_err(|e| format!("curl: {e} (install curl)"))?;
    if !out.status.success() {
        return Err(format!(
            "curl failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(started.elapsed().as_secs_f64())
}

fn same_file(a: &Path, b: &Path) -> Result<(), String> {
    let (ma, mb) = (
        std::fs::metadata(a).map_err(|e| e.to_string())?,
        std::fs::metadata(b).map_err(|e| e.to_string())?,
    );
    if ma.len() != mb.len() {
        return Err(format!(
            "{} and {} differ in size",
            a.display(),
            b.display()
        ));
    }
    Ok(())
}

pub(crate) fn run(size_mib: u64) -> Result<DataResult, String> {
    let scratch = tempfile::tempdir().map_err(|e| e.to_string())?;
    let source = scratch.path().join("source.bin");
    write_file(&source, size_mib).map_err(|e| e.to_string())?;
    let data_dir = scratch.path().join("server");
    let server = Server::start(&["--data-dir", data_dir.to_str().ok_or("path")?])?;
    let create = Command::new("curl")
        .args([
            "-sS",
            "--fail",
            "-H",
            &format!("Authorization: Simple {KEY}"),
            "-H",
            "Content-Type: application/json",
        ])
        .args([
            "-d",
            r#"{"name":"bench"}"#,
            &format!("{}/v1/connector/data/.my", server.base_url),
        ])
        .output()
        .map_err(|e| format!("curl: {e}"))?;
    if !create.status.success() {
        return Err(format!(
            "could not create the collection: {}",
            String::from_utf8_lossy(&create.stderr)
        ));
    }

    // Ours, in a child process.
    let target = scratch.path().join("ours.bin");
    let out = Command::new(std::env::current_exe().map_err(|e| e.to_string())?)
        .args(["data-client", &server.base_url])
        .arg(&source)
        .arg(&target)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "the client run failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let ours: ClientRun = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    same_file(&source, &target)?;
    std::fs::remove_file(&target).map_err(|e| e.to_string())?;

    // curl, against the same server.
    let url = format!("{}/v1/connector/data/.my/bench/curl.bin", server.base_url);
    let curl_up = curl(&[
        "-T",
        source.to_str().ok_or("path")?,
        &url,
        "-o",
        "/dev/null",
    ])?;
    let curl_target: PathBuf = scratch.path().join("curl.bin");
    let curl_down = curl(&["-o", curl_target.to_str().ok_or("path")?, &url])?;
    same_file(&source, &curl_target)?;

    let size = size_mib as f64;
    Ok(DataResult {
        size_mib,
        ours_upload_mib_s: size / ours.upload_secs,
        ours_download_mib_s: size / ours.download_secs,
        curl_upload_mib_s: size / curl_up,
        curl_download_mib_s: size / curl_down,
        client_peak_rss_mib: ours.peak_rss_kib as f64 / 1024.0,
        server_peak_rss_mib: server.peak_rss_kib().unwrap_or(0) as f64 / 1024.0,
    })
}
