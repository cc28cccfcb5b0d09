//! The Data API round trip: a large file uploaded and downloaded through our client
//! (`put_file`, `download_to`), beside `curl` doing the same against the same server,
//! interleaved run by run (ours, curl up, curl down, curl down + `sync FILE`, then again, each
//! run starting one peer further on), with peak memory of our client and of the server, each
//! measured in its own process.
//!
//! The download is compared with plain `curl -o` (the goal: ours at 90% of its throughput or
//! more) and with `curl -o` followed by `sync FILE`, which gives the durability ours gives (the
//! whole file on disk before it is renamed into place). Every copy is checked byte for byte, and
//! `sync` runs (untimed) between peers, so none pays for the write-back another left behind.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::cli::Row;
use crate::proc::{Server, peak_rss_kib};
use crate::stats::Spread;

pub(crate) const KEY: &str = "simBench";

/// What the client child process reports (also what an older build's child reports, so an
/// older `algorithmia-bench` can be measured beside this one with `--baseline`).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ClientRun {
    pub(crate) upload_secs: f64,
    pub(crate) download_secs: f64,
    pub(crate) peak_rss_kib: u64,
}

/// Peak resident memory of one process over every run, in MiB.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Memory {
    /// `ours`, `baseline` or `server`.
    pub(crate) process: &'static str,
    /// The largest of the runs' peaks.
    pub(crate) peak_rss_mib: f64,
}

/// The whole result.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Report {
    pub(crate) runs: usize,
    pub(crate) size_mib: u64,
    /// `upload` and `download`, by peer.
    pub(crate) rows: Vec<Row>,
    pub(crate) memory: Vec<Memory>,
}

/// The peer names, in the order of the table and the chart.
const OURS: &str = "ours";
const BASELINE: &str = "baseline";
const CURL: &str = "curl";
const CURL_SYNC: &str = "curl + sync";
const UPLOAD: &str = "upload";
const DOWNLOAD: &str = "download";

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

/// Fail unless `a` and `b` hold the same bytes.
fn same_file(a: &Path, b: &Path) -> Result<(), String> {
    let open = |p: &Path| std::fs::File::open(p).map_err(|e| format!("{}: {e}", p.display()));
    let (mut fa, mut fb) = (open(a)?, open(b)?);
    let (mut ba, mut bb) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let na = read_full(&mut fa, &mut ba).map_err(|e| format!("{}: {e}", a.display()))?;
        let nb = read_full(&mut fb, &mut bb).map_err(|e| format!("{}: {e}", b.display()))?;
        if na != nb || ba[..na] != bb[..nb] {
            return Err(format!("{} and {} differ", a.display(), b.display()));
        }
        if na == 0 {
            return Ok(());
        }
    }
}

/// Fill `buf` from `file` unless it ends first: how many bytes were read.
fn read_full(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Flush everything dirty to disk, untimed, so that the next peer starts clean.
fn settle() -> Result<(), String> {
    let status = Command::new("sync")
        .status()
        .map_err(|e| format!("sync: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err("sync failed".into())
    }
}

/// One timed step of a run.
#[derive(Clone, Copy)]
enum Step<'a> {
    /// A client child (ours or the baseline): upload, then download.
    Client(&'static str, &'a Path),
    CurlUp,
    CurlDown,
    /// `curl -o` then `sync FILE`, timed together.
    CurlDownSync,
}

/// One run of a client child (`binary data-client`): its report, the download checked.
fn client_run(
    binary: &Path,
    base_url: &str,
    source: &Path,
    target: &Path,
) -> Result<ClientRun, String> {
    let out = Command::new(binary)
        .args(["data-client", base_url])
        .arg(source)
        .arg(target)
        .output()
        .map_err(|e| format!("{}: {e}", binary.display()))?;
    if !out.status.success() {
        return Err(format!(
            "the client run of {} failed: {}",
            binary.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let run: ClientRun = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    same_file(source, target)?;
    std::fs::remove_file(target).map_err(|e| e.to_string())?;
    Ok(run)
}

/// The scenario: one `size_mib` file up and down, `runs` times, ours and curl interleaved (and
/// `baseline`, another build of this harness whose client is measured beside ours, when given).
/// The server is pinned to `server_cpus` when given.
pub(crate) fn run(
    size_mib: u64,
    runs: usize,
    baseline: Option<&Path>,
    server_cpus: Option<&str>,
) -> Result<Report, String> {
    if runs < 3 {
        return Err(format!(
            "data: --runs {runs} is too few for a median; use at least 3"
        ));
    }
    let scratch = tempfile::tempdir().map_err(|e| e.to_string())?;
    let source = scratch.path().join("source.bin");
    write_file(&source, size_mib).map_err(|e| e.to_string())?;
    let data_dir = scratch.path().join("server");
    let server = Server::start_on(
        &["--data-dir", data_dir.to_str().ok_or("path")?],
        server_cpus,
    )?;
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
    let ours_binary = std::env::current_exe().map_err(|e| e.to_string())?;
    let target = scratch.path().join("download.bin");
    let url = format!("{}/v1/connector/data/.my/bench/curl.bin", server.base_url);
    let source_arg = source.to_str().ok_or("path")?;
    let target_arg = target.to_str().ok_or("path")?;

    let mut secs: Vec<((&'static str, &'static str), Vec<f64>)> = Vec::new();
    let mut note = |measure: &'static str, peer: &'static str, s: f64| match secs
        .iter_mut()
        .find(|(key, _)| *key == (measure, peer))
    {
        Some((_, all)) => all.push(s),
        None => secs.push(((measure, peer), vec![s])),
    };
    let mut peaks = vec![(OURS, 0u64)];
    if baseline.is_some() {
        peaks.push((BASELINE, 0));
    }
    let mut steps = vec![Step::Client(OURS, ours_binary.as_path())];
    steps.extend([Step::CurlUp, Step::CurlDown, Step::CurlDownSync]);
    if let Some(path) = baseline {
        steps.push(Step::Client(BASELINE, path));
    }
    settle()?;
    for i in 0..runs {
        eprintln!("data: run {} of {runs}", i + 1);
        // Each run starts one step further on, so that no peer always follows the same one.
        for k in 0..steps.len() {
            let step = steps[(i + k) % steps.len()];
            let timed = match step {
                Step::Client(peer, binary) => {
                    let run = client_run(binary, &server.base_url, &source, &target)?;
                    if let Some((_, peak)) = peaks.iter_mut().find(|(p, _)| *p == peer) {
                        *peak = (*peak).max(run.peak_rss_kib);
                    }
                    vec![
                        (UPLOAD, peer, run.upload_secs),
                        (DOWNLOAD, peer, run.download_secs),
                    ]
                }
                Step::CurlUp => vec![(
                    UPLOAD,
                    CURL,
                    curl(&["-T", source_arg, &url, "-o", "/dev/null"])?,
                )],
                Step::CurlDown => {
                    let secs = curl(&["-o", target_arg, &url])?;
                    same_file(&source, &target)?;
                    std::fs::remove_file(&target).map_err(|e| e.to_string())?;
                    vec![(DOWNLOAD, CURL, secs)]
                }
                Step::CurlDownSync => {
                    // curl, then the file flushed to disk: the durability ours gives before
                    // its rename.
                    let started = Instant::now();
                    curl(&["-o", target_arg, &url])?;
                    let synced = Command::new("sync")
                        .arg(&target)
                        .status()
                        .map_err(|e| format!("sync: {e}"))?;
                    if !synced.success() {
                        return Err(format!("sync {} failed", target.display()));
                    }
                    let secs = started.elapsed().as_secs_f64();
                    same_file(&source, &target)?;
                    std::fs::remove_file(&target).map_err(|e| e.to_string())?;
                    vec![(DOWNLOAD, CURL_SYNC, secs)]
                }
            };
            for (measure, peer, secs) in timed {
                eprintln!("data: {measure} by {peer}: {secs:.3} s");
                note(measure, peer, secs);
            }
            settle()?;
        }
    }

    let bytes = size_mib << 20;
    let rank = |peer: &str| {
        [OURS, BASELINE, CURL, CURL_SYNC]
            .iter()
            .position(|p| *p == peer)
            .unwrap_or(usize::MAX)
    };
    secs.sort_by_key(|((measure, peer), _)| (*measure != UPLOAD, rank(peer)));
    let rows = secs
        .into_iter()
        .map(|((measure, peer), times)| Row {
            measure: measure.to_owned(),
            peer,
            secs: Spread::of(times),
            bytes,
        })
        .collect();
    let mut memory: Vec<Memory> = peaks
        .into_iter()
        .map(|(process, kib)| Memory {
            process,
            peak_rss_mib: kib as f64 / 1024.0,
        })
        .collect();
    memory.push(Memory {
        process: "server",
        peak_rss_mib: server.peak_rss_kib().unwrap_or(0) as f64 / 1024.0,
    });
    Ok(Report {
        runs,
        size_mib,
        rows,
        memory,
    })
}

fn mib_s(row: &Row, secs: f64) -> f64 {
    row.bytes as f64 / (1024.0 * 1024.0) / secs
}

fn median_of(report: &Report, measure: &str, peer: &str) -> f64 {
    report
        .rows
        .iter()
        .find(|r| r.measure == measure && r.peer == peer)
        .map_or(f64::NAN, |r| r.secs.median)
}

/// The report as the markdown table BENCHMARKS.md records, with the goals' ratios.
pub(crate) fn markdown(report: &Report) -> String {
    let mut out = format!(
        "{} MiB, {} interleaved runs of each peer.\n\n\
         | measure | peer | min s | median s | max s | MiB/s (min / median / max) | ours ÷ peer, throughput (median) |\n\
         | --- | --- | --- | --- | --- | --- | --- |\n",
        report.size_mib, report.runs
    );
    for row in &report.rows {
        let ours = median_of(report, &row.measure, OURS);
        out.push_str(&format!(
            "| {} | {} | {:.3} | {:.3} | {:.3} | {:.0} / {:.0} / {:.0} | {:.0}% |\n",
            row.measure,
            row.peer,
            row.secs.min,
            row.secs.median,
            row.secs.max,
            mib_s(row, row.secs.max),
            mib_s(row, row.secs.median),
            mib_s(row, row.secs.min),
            100.0 * row.secs.median / ours,
        ));
    }
    out.push_str("\n| process | peak RSS, MiB (largest run) |\n| --- | --- |\n");
    for m in &report.memory {
        out.push_str(&format!("| {} | {:.1} |\n", m.process, m.peak_rss_mib));
    }
    out.push('\n');
    for measure in [UPLOAD, DOWNLOAD] {
        out.push_str(&format!(
            "- {measure}: ours at {:.0}% of curl's throughput (goal: at least 90%)\n",
            100.0 * median_of(report, measure, CURL) / median_of(report, measure, OURS),
        ));
    }
    let synced = median_of(report, DOWNLOAD, CURL_SYNC);
    if synced.is_finite() {
        out.push_str(&format!(
            "- download: ours at {:.0}% of curl + sync's throughput (both durable on disk; the goal is against plain curl)\n",
            100.0 * synced / median_of(report, DOWNLOAD, OURS),
        ));
    }
    let peak = report
        .memory
        .iter()
        .map(|m| m.peak_rss_mib)
        .fold(0.0, f64::max);
    out.push_str(&format!(
        "- peak memory: {peak:.1} MiB at most (goal: under 64 MiB for the client and the server)\n"
    ));
    out
}

/// A bar chart of the medians in MiB/s, upload and download side by side, each bar with a line
/// from the slowest run to the fastest.
pub(crate) fn svg(report: &Report) -> String {
    let (w, h, left, bottom, top, right) = (720.0, 420.0, 70.0, 50.0, 40.0, 150.0);
    let peers: Vec<&'static str> = [OURS, BASELINE, CURL, CURL_SYNC]
        .into_iter()
        .filter(|p| report.rows.iter().any(|r| r.peer == *p))
        .collect();
    let colours = ["#1f77b4", "#7f7f7f", "#2ca02c", "#98df8a"];
    let max = report
        .rows
        .iter()
        .map(|r| mib_s(r, r.secs.min))
        .filter(|v| v.is_finite())
        .fold(1.0, f64::max)
        * 1.1;
    let y = |v: f64| h - bottom - (h - bottom - top) * v / max;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"{}\" y=\"18\" text-anchor=\"middle\" font-size=\"14\">{} MiB through the Data API: MiB/s, median of {} runs (line: slowest to fastest)</text>\n",
        w / 2.0,
        report.size_mib,
        report.runs
    );
    for k in 0..=5 {
        let v = max / 5.0 * k as f64;
        let (right_edge, yv, label_x, label_y) = (w - right, y(v), left - 6.0, y(v) + 4.0);
        svg.push_str(&format!(
            "<line x1=\"{left}\" x2=\"{right_edge}\" y1=\"{yv:.1}\" y2=\"{yv:.1}\" stroke=\"#ddd\"/><text x=\"{label_x}\" y=\"{label_y:.1}\" text-anchor=\"end\">{v:.0}</text>\n"
        ));
    }
    let measures = [UPLOAD, DOWNLOAD];
    let group = (w - left - right) / measures.len() as f64;
    let bar = group * 0.8 / peers.len().max(1) as f64;
    for (g, measure) in measures.iter().enumerate() {
        let x0 = left + group * g as f64 + group * 0.1;
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{measure}</text>\n",
            x0 + group * 0.4,
            h - bottom + 18.0
        ));
        for (p, peer) in peers.iter().enumerate() {
            let Some(row) = report
                .rows
                .iter()
                .find(|r| r.measure == *measure && r.peer == *peer)
            else {
                continue;
            };
            let (median, slowest, fastest) = (
                mib_s(row, row.secs.median),
                mib_s(row, row.secs.max),
                mib_s(row, row.secs.min),
            );
            let x = x0 + bar * p as f64;
            let centre = x + bar / 2.0;
            svg.push_str(&format!(
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"/>\n<line x1=\"{centre:.1}\" x2=\"{centre:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"black\"/>\n<text x=\"{centre:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\">{median:.0}</text>\n",
                y(median),
                bar * 0.9,
                h - bottom - y(median),
                colours[p % colours.len()],
                y(slowest),
                y(fastest),
                y(fastest) - 4.0,
            ));
        }
    }
    for (p, peer) in peers.iter().enumerate() {
        svg.push_str(&format!(
            "<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"{}\">{peer}</text>\n",
            w - right + 12.0,
            top + 12.0 + 18.0 * p as f64,
            colours[p % colours.len()],
            w - right + 28.0,
            top + 21.0 + 18.0 * p as f64,
        ));
    }
    svg.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">MiB/s: higher is faster</text>\n",
        (left + w - right) / 2.0,
        h - 12.0
    ));
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        let row = |measure: &str, peer, median: f64| Row {
            measure: measure.into(),
            peer,
            secs: Spread::of(vec![median * 0.5, median, median * 2.0]),
            bytes: 1 << 30,
        };
        Report {
            runs: 3,
            size_mib: 1024,
            rows: vec![
                row(UPLOAD, OURS, 2.0),
                row(UPLOAD, CURL, 1.0),
                row(DOWNLOAD, OURS, 1.0),
                row(DOWNLOAD, CURL, 0.9),
                row(DOWNLOAD, CURL_SYNC, 2.0),
            ],
            memory: vec![
                Memory {
                    process: OURS,
                    peak_rss_mib: 9.0,
                },
                Memory {
                    process: "server",
                    peak_rss_mib: 70.0,
                },
            ],
        }
    }

    #[test]
    fn the_table_gives_the_spread_in_mib_s_and_the_goal_ratios() {
        let table = markdown(&report());
        // 1 GiB in 1, 2 and 4 s: 1024, 512 and 256 MiB/s.
        assert!(
            table.contains("| upload | ours | 1.000 | 2.000 | 4.000 | 256 / 512 / 1024 | 100% |"),
            "{table}"
        );
        assert!(table.contains("| upload | curl | 0.500 |"), "{table}");
        assert!(table.contains("upload: ours at 50% of curl's"), "{table}");
        assert!(table.contains("download: ours at 90% of curl's"), "{table}");
        assert!(table.contains("ours at 200% of curl + sync's"), "{table}");
        assert!(table.contains("| server | 70.0 |"), "{table}");
        assert!(table.contains("70.0 MiB at most"), "{table}");
    }

    #[test]
    fn the_chart_has_a_bar_and_a_range_per_row() {
        let chart = svg(&report());
        assert!(chart.starts_with("<svg") && chart.ends_with("</svg>\n"));
        // Five bars, a legend square for each of the three peers and the background.
        assert_eq!(chart.matches("<rect").count(), 5 + 3 + 1, "{chart}");
        assert!(chart.contains(">512</text>"), "{chart}");
    }
}
