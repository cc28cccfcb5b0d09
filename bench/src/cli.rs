//! The command line: our release `algo cp` beside the official Python CLI's `algo cp` (and
//! `curl` for the large file), all against the same release `algorithmia-local`, interleaved run
//! by run (ours, the official CLI, curl, then again), each command timed as a whole process.
//!
//! - 1,000 small files up: ours `algo cp -r DIR data://.my/C`; the official CLI takes them as
//!   1,000 sources into the collection `data://.my/C` (the only destination form it copies
//!   several files into).
//! - The same files down: ours `algo cp -r data://.my/C DIR`; the official CLI
//!   `algo cp data://.my/C/* DIR`.
//! - One large file up and down: `algo cp FILE data://...` and back, and `curl -T` / `curl -o`;
//!   down also `curl -o` followed by `sync FILE`, since ours flushes the file to disk before
//!   renaming it into place and curl does not.
//!
//! Every copy is checked (the files listed on the server, the downloads compared byte for
//! byte), so a peer that copies less is not measured as faster.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde::Serialize;

use crate::data::{KEY, write_file};
use crate::proc::{Server, repo_target, sibling};

use crate::stats::Spread;

/// One measure by one peer.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Row {
    /// What was copied, e.g. `1000 files up`.
    pub(crate) measure: String,
    /// `ours`, `official CLI`, `curl` or `curl + sync` (the download flushed to disk, as ours is).
    pub(crate) peer: &'static str,
    /// Seconds.
    pub(crate) secs: Spread,
    /// Bytes moved by one run.
    pub(crate) bytes: u64,
}

/// The whole result.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Report {
    pub(crate) runs: usize,
    pub(crate) files: usize,
    pub(crate) size_mib: u64,
    pub(crate) rows: Vec<Row>,
}

/// The peers' commands, with a `HOME` whose config points at the server.
struct Peers {
    ours: PathBuf,
    official: PathBuf,
    home: PathBuf,
    work: PathBuf,
    base_url: String,
}

impl Peers {
    fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        command
            .env("HOME", &self.home)
            .env_remove("ALGORITHMIA_API_KEY")
            .env_remove("ALGORITHMIA_API")
            .env_remove("ALGORITHMIA_BEARER_TOKEN")
            .current_dir(&self.work);
        command
    }

    /// Run `program ARGS` to the end: its stdout, or why it failed.
    fn run(&self, program: &Path, args: &[String]) -> Result<String, String> {
        let out = self
            .command(program)
            .args(args)
            .output()
            .map_err(|e| format!("{}: {e}", program.display()))?;
        // The official CLI prints its errors and exits 0: an error line is a failure too.
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if !out.status.success() || stdout.contains("Error") || stdout.contains("error:") {
            return Err(format!(
                "{} {} failed: {}{}",
                program.display(),
                args.first().map(String::as_str).unwrap_or(""),
                stdout.chars().take(500).collect::<String>(),
                String::from_utf8_lossy(&out.stderr)
                    .chars()
                    .take(500)
                    .collect::<String>()
            ));
        }
        Ok(stdout)
    }

    /// Seconds `program ARGS` took.
    fn timed(&self, program: &Path, args: &[String]) -> Result<f64, String> {
        let started = Instant::now();
        self.run(program, args)?;
        Ok(started.elapsed().as_secs_f64())
    }

    fn curl(&self, args: &[String]) -> Result<f64, String> {
        crate::data::curl(&args.iter().map(String::as_str).collect::<Vec<_>>())
    }

    fn url(&self, uri_path: &str) -> String {
        format!("{}/v1/connector/data/{uri_path}", self.base_url)
    }

    /// How many files `ls` lists in a remote directory.
    fn remote_files(&self, uri: &str) -> Result<usize, String> {
        Ok(self
            .run(&self.ours, &["ls".into(), uri.into()])?
            .lines()
            .filter(|l| !l.ends_with('/'))
            .count())
    }
}

/// `count` small files (1 to 4 KiB, each different) in `dir`, by name.
fn small_files(dir: &Path, count: usize) -> Result<BTreeMap<String, Vec<u8>>, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let mut files = BTreeMap::new();
    for i in 0..count {
        let name = format!("f{i:04}.bin");
        let len = 1024 + (i * 977) % 3072;
        let contents: Vec<u8> = (0..len).map(|n| ((n * 31 + i * 7) % 251) as u8).collect();
        std::fs::write(dir.join(&name), &contents).map_err(|e| e.to_string())?;
        files.insert(name, contents);
    }
    Ok(files)
}

/// Check that `dir` holds exactly `expected`.
fn same_tree(dir: &Path, expected: &BTreeMap<String, Vec<u8>>) -> Result<(), String> {
    let mut got = BTreeMap::new();
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let contents = std::fs::read(entry.path()).map_err(|e| e.to_string())?;
        got.insert(entry.file_name().to_string_lossy().into_owned(), contents);
    }
    if &got != expected {
        return Err(format!(
            "{} holds {} files, not the {} sent (or their bytes differ)",
            dir.display(),
            got.len(),
            expected.len()
        ));
    }
    Ok(())
}

fn same_size(path: &Path, size: u64) -> Result<(), String> {
    let got = std::fs::metadata(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    if got != size {
        return Err(format!("{} has {got} bytes, not {size}", path.display()));
    }
    Ok(())
}

/// The scenario: `files` small files and one `size_mib` file, up and down, `runs` times.
pub(crate) fn run(files: usize, size_mib: u64, runs: usize) -> Result<Report, String> {
    if runs < 3 {
        return Err(format!(
            "cli: --runs {runs} is too few for a median; use at least 3"
        ));
    }
    let scratch = tempfile::tempdir().map_err(|e| e.to_string())?;
    let work = scratch.path().join("work");
    let home = scratch.path().join("home");
    std::fs::create_dir_all(home.join(".algorithmia")).map_err(|e| e.to_string())?;
    let data_dir = scratch.path().join("server");
    let server = Server::start(&["--data-dir", data_dir.to_str().ok_or("path")?])?;
    std::fs::write(
        home.join(".algorithmia/config"),
        format!(
            "[profiles]\n\n[profiles.default]\napi_key = \"{KEY}\"\napi_server = \"{}\"\nca_cert = \"\"\nbearer_token = \"\"\n",
            server.base_url
        ),
    )
    .map_err(|e| e.to_string())?;
    let peers = Peers {
        ours: sibling("algo")?,
        official: repo_target().join("../.venv/bin/algo"),
        home,
        work: work.clone(),
        base_url: server.base_url.clone(),
    };
    if !peers.official.exists() {
        return Err(format!(
            "{} is missing: scripts/bench.sh installs the official CLI",
            peers.official.display()
        ));
    }
    let small = small_files(&work.join("small"), files)?;
    let small_bytes: u64 = small.values().map(|v| v.len() as u64).sum();
    let big = work.join("big.bin");
    write_file(&big, size_mib).map_err(|e| e.to_string())?;
    let big_bytes = size_mib << 20;
    peers.run(&peers.ours, &["mkdir".into(), "data://.my/big".into()])?;

    let names: Vec<String> = small.keys().map(|n| format!("small/{n}")).collect();
    let mut secs: BTreeMap<(usize, &'static str), Vec<f64>> = BTreeMap::new();
    let mut note = |measure: usize, peer: &'static str, s: f64| {
        secs.entry((measure, peer)).or_default().push(s);
    };
    for run in 0..runs {
        eprintln!("cli: run {} of {runs}", run + 1);
        // 1. Small files up.
        let ours_dir = format!("data://.my/ours{run}");
        note(
            0,
            "ours",
            peers.timed(
                &peers.ours,
                &["cp".into(), "-r".into(), "small".into(), ours_dir.clone()],
            )?,
        );
        let py_dir = format!("data://.my/py{run}");
        peers.run(&peers.ours, &["mkdir".into(), py_dir.clone()])?;
        let mut args = vec!["cp".to_owned()];
        args.extend(names.iter().cloned());
        args.push(py_dir.clone());
        note(0, "official CLI", peers.timed(&peers.official, &args)?);
        for dir in [&ours_dir, &py_dir] {
            let n = peers.remote_files(dir)?;
            if n != files {
                return Err(format!(
                    "{dir} holds {n} files after the upload, not {files}"
                ));
            }
        }

        // 2. Small files down.
        let ours_down = format!("down-ours{run}");
        note(
            1,
            "ours",
            peers.timed(
                &peers.ours,
                &[
                    "cp".into(),
                    "-r".into(),
                    ours_dir.clone(),
                    ours_down.clone(),
                ],
            )?,
        );
        same_tree(&work.join(&ours_down), &small)?;
        let py_down = format!("down-py{run}");
        std::fs::create_dir_all(work.join(&py_down)).map_err(|e| e.to_string())?;
        note(
            1,
            "official CLI",
            peers.timed(
                &peers.official,
                &["cp".into(), format!("{py_dir}/*"), py_down.clone()],
            )?,
        );
        same_tree(&work.join(&py_down), &small)?;
        for dir in [&ours_down, &py_down] {
            std::fs::remove_dir_all(work.join(dir)).map_err(|e| e.to_string())?;
        }

        // 3. The large file up.
        let up = |name: &str| format!("data://.my/big/{name}");
        note(
            2,
            "ours",
            peers.timed(
                &peers.ours,
                &["cp".into(), "big.bin".into(), up("ours.bin")],
            )?,
        );
        note(
            2,
            "official CLI",
            peers.timed(
                &peers.official,
                &["cp".into(), "big.bin".into(), up("py.bin")],
            )?,
        );
        note(
            2,
            "curl",
            peers.curl(&[
                "-T".into(),
                big.display().to_string(),
                peers.url(".my/big/curl.bin"),
                "-o".into(),
                "/dev/null".into(),
            ])?,
        );

        // 4. The large file down.
        for (peer, name) in [("ours", "ours.bin"), ("official CLI", "py.bin")] {
            let program = if peer == "ours" {
                &peers.ours
            } else {
                &peers.official
            };
            let target = work.join(format!("down-{name}"));
            note(
                3,
                peer,
                peers.timed(
                    program,
                    &["cp".into(), up(name), target.display().to_string()],
                )?,
            );
            same_size(&target, big_bytes)?;
            std::fs::remove_file(&target).map_err(|e| e.to_string())?;
        }
        let target = work.join("down-curl.bin");
        note(
            3,
            "curl",
            peers.curl(&[
                "-o".into(),
                target.display().to_string(),
                peers.url(".my/big/curl.bin"),
            ])?,
        );
        same_size(&target, big_bytes)?;
        std::fs::remove_file(&target).map_err(|e| e.to_string())?;
        // curl, then the file flushed to disk (`sync FILE`): what ours does before its rename.
        let target = work.join("down-curl-sync.bin");
        let started = Instant::now();
        peers.curl(&[
            "-o".into(),
            target.display().to_string(),
            peers.url(".my/big/curl.bin"),
        ])?;
        let synced = Command::new("sync")
            .arg(&target)
            .status()
            .map_err(|e| format!("sync: {e}"))?;
        if !synced.success() {
            return Err(format!("sync {} failed", target.display()));
        }
        note(3, "curl + sync", started.elapsed().as_secs_f64());
        same_size(&target, big_bytes)?;
        std::fs::remove_file(&target).map_err(|e| e.to_string())?;
    }

    let measures = [
        (format!("{files} files up"), small_bytes),
        (format!("{files} files down"), small_bytes),
        (format!("{size_mib} MiB up"), big_bytes),
        (format!("{size_mib} MiB down"), big_bytes),
    ];
    let rows = secs
        .into_iter()
        .map(|((measure, peer), times)| Row {
            measure: measures[measure].0.clone(),
            peer,
            secs: Spread::of(times),
            bytes: measures[measure].1,
        })
        .collect();
    Ok(Report {
        runs,
        files,
        size_mib,
        rows,
    })
}

/// The report as the markdown table BENCHMARKS.md records, with the ratios of the goals.
pub(crate) fn markdown(report: &Report) -> String {
    let mut out = String::from(
        "| measure | peer | min s | median s | max s | MiB/s (median) | median time ÷ ours |\n\
         | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    let ours = |measure: &str| {
        report
            .rows
            .iter()
            .find(|r| r.measure == measure && r.peer == "ours")
            .map(|r| r.secs.median)
    };
    for row in &report.rows {
        let ratio = ours(&row.measure).map_or(f64::NAN, |o| row.secs.median / o);
        out.push_str(&format!(
            "| {} | {} | {:.3} | {:.3} | {:.3} | {:.1} | {:.2} |\n",
            row.measure,
            row.peer,
            row.secs.min,
            row.secs.median,
            row.secs.max,
            row.bytes as f64 / (1024.0 * 1024.0) / row.secs.median,
            ratio,
        ));
    }
    let median = |measure: &str, peer: &str| {
        report
            .rows
            .iter()
            .find(|r| r.measure == measure && r.peer == peer)
            .map_or(f64::NAN, |r| r.secs.median)
    };
    out.push('\n');
    for direction in ["up", "down"] {
        let measure = format!("{} files {direction}", report.files);
        out.push_str(&format!(
            "- {measure}: ours {:.1}x faster than the official CLI (goal: at least 5x)\n",
            median(&measure, "official CLI") / median(&measure, "ours")
        ));
    }
    for direction in ["up", "down"] {
        let measure = format!("{} MiB {direction}", report.size_mib);
        out.push_str(&format!(
            "- {measure}: ours at {:.0}% of curl's throughput (goal: at least 90%); the official CLI at {:.0}%\n",
            100.0 * median(&measure, "curl") / median(&measure, "ours"),
            100.0 * median(&measure, "curl") / median(&measure, "official CLI"),
        ));
    }
    let measure = format!("{} MiB down", report.size_mib);
    let synced = median(&measure, "curl + sync");
    if synced.is_finite() {
        out.push_str(&format!(
            "- {measure}: ours at {:.0}% of curl + sync's throughput (both durable on disk)\n",
            100.0 * synced / median(&measure, "ours"),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_gives_the_spread_and_the_goal_ratios() {
        let row = |measure: &str, peer, median: f64, bytes| Row {
            measure: measure.into(),
            peer,
            secs: Spread::of(vec![median * 0.9, median, median * 1.5]),
            bytes,
        };
        let report = Report {
            runs: 3,
            files: 10,
            size_mib: 1,
            rows: vec![
                row("10 files up", "ours", 0.5, 1 << 20),
                row("10 files up", "official CLI", 5.0, 1 << 20),
                row("10 files down", "ours", 1.0, 1 << 20),
                row("10 files down", "official CLI", 2.0, 1 << 20),
                row("1 MiB up", "ours", 2.0, 1 << 20),
                row("1 MiB up", "curl", 1.0, 1 << 20),
                row("1 MiB down", "ours", 1.0, 1 << 20),
                row("1 MiB down", "curl", 1.0, 1 << 20),
                row("1 MiB down", "curl + sync", 2.0, 1 << 20),
            ],
        };
        let table = markdown(&report);
        assert!(
            table.contains("| 10 files up | official CLI | 4.500 | 5.000 | 7.500 | 0.2 | 10.00 |"),
            "{table}"
        );
        assert!(table.contains("10 files up: ours 10.0x faster"), "{table}");
        assert!(table.contains("10 files down: ours 2.0x faster"), "{table}");
        assert!(table.contains("1 MiB up: ours at 50% of curl's"), "{table}");
        assert!(
            table.contains("1 MiB down: ours at 100% of curl's"),
            "{table}"
        );
    }
}
