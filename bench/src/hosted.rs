//! A hosted ADK algorithm (`bench/peers/adk_identity.py`: apply returns its input) called
//! through the server with our async client at several concurrencies: on a pool of one worker
//! (one call at a time, as the server ran every ADK call before pools) and on a pool of one
//! worker per core; beside the same apply called in a loop inside one Python process (the
//! per-core limit, no server and no pipes). The configurations are interleaved run by run, and
//! the median of the runs is reported. With `--before-pools PATH` (an `algorithmia-local` built
//! from before worker pools, which ran every ADK call one at a time behind one lock), that server
//! is measured in the same interleaving, as the baseline the pools replaced.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::algo::{Sample, calls_of, payload};
use crate::proc::{Server, repo_target};

/// The hosted algorithm's name.
const ALGORITHM: &str = "bench/Identity";

/// One concurrency: the server from before pools (when measured), the 1-worker pool, the
/// N-worker pool.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Row {
    pub(crate) concurrency: usize,
    pub(crate) before_pools: Option<Sample>,
    pub(crate) one_worker: Sample,
    pub(crate) n_workers: Sample,
}

/// The whole result.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Report {
    /// N: the cores of this machine.
    pub(crate) workers: usize,
    pub(crate) rows: Vec<Row>,
    /// Calls per second of apply in a loop inside one Python process.
    pub(crate) in_process_calls_per_s: f64,
}

fn python() -> String {
    repo_target()
        .join("../.venv/bin/python")
        .display()
        .to_string()
}

fn peer(script: &str) -> String {
    repo_target()
        .join("../bench/peers")
        .join(script)
        .display()
        .to_string()
}

fn algorithm_arg() -> String {
    format!("{ALGORITHM}={} {}", python(), peer("adk_identity.py"))
}

/// A server hosting the algorithm on `workers` workers.
fn server(workers: usize) -> Result<Server, String> {
    let algorithm = algorithm_arg();
    let workers = workers.to_string();
    Server::start(&[
        "--no-builtins",
        "--algorithm",
        &algorithm,
        "--algorithm-workers",
        &workers,
    ])
}

/// The server from before pools (`binary`), hosting the same algorithm (it has no pool flags).
fn server_before_pools(binary: &Path) -> Result<Server, String> {
    let algorithm = algorithm_arg();
    Server::start_binary(binary, &["--no-builtins", "--algorithm", &algorithm], None)
}

/// Apply in a loop in one Python process for `run_for`: calls per second.
fn in_process(run_for: Duration) -> Result<f64, String> {
    let out = Command::new(python())
        .arg(peer("adk_loop.py"))
        .arg(run_for.as_secs_f64().to_string())
        .output()
        .map_err(|e| format!("adk_loop.py: {e}"))?;
    let value: Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "adk_loop.py printed no result ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    let num = |k: &str| value[k].as_f64().unwrap_or(0.0);
    Ok(num("calls") / num("seconds").max(f64::EPSILON))
}

fn median_sample(samples: &[Sample]) -> Sample {
    let med = |f: fn(&Sample) -> f64| crate::blueprint::median(samples.iter().map(f).collect());
    Sample {
        calls_per_s: med(|s| s.calls_per_s),
        p50_ms: med(|s| s.p50_ms),
        p99_ms: med(|s| s.p99_ms),
    }
}

/// Every configuration at every concurrency, `runs` times interleaved; medians.
pub(crate) async fn run(
    concurrencies: &[usize],
    runs: usize,
    run_for: Duration,
    before_pools: Option<PathBuf>,
) -> Result<Report, String> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let before = before_pools
        .as_deref()
        .map(server_before_pools)
        .transpose()?;
    let one = server(1)?;
    let many = server(workers)?;
    // Warm up: every worker of every server started, connections pooled.
    for s in before.iter().chain([&one, &many]) {
        calls_of(
            &s.base_url,
            ALGORITHM,
            payload(),
            8,
            Duration::from_millis(500),
        )
        .await?;
    }
    let mut cells: Vec<(Vec<Sample>, Vec<Sample>)> = vec![Default::default(); concurrencies.len()];
    let mut before_cells: Vec<Vec<Sample>> = vec![Vec::new(); concurrencies.len()];
    let mut loops = Vec::new();
    for run in 0..runs.max(1) {
        for (i, &c) in concurrencies.iter().enumerate() {
            if let Some(server) = &before {
                let s = calls_of(&server.base_url, ALGORITHM, payload(), c, run_for).await?;
                eprintln!("run {run} c={c}: before pools {:.0} calls/s", s.calls_per_s);
                before_cells[i].push(s);
            }
            let a = calls_of(&one.base_url, ALGORITHM, payload(), c, run_for).await?;
            let b = calls_of(&many.base_url, ALGORITHM, payload(), c, run_for).await?;
            eprintln!(
                "run {run} c={c}: 1 worker {:.0} calls/s, {workers} workers {:.0} calls/s",
                a.calls_per_s, b.calls_per_s
            );
            cells[i].0.push(a);
            cells[i].1.push(b);
        }
        let looped = in_process(run_for)?;
        eprintln!("run {run}: apply in one Python process {looped:.0} calls/s");
        loops.push(looped);
    }
    let rows = concurrencies
        .iter()
        .zip(&cells)
        .zip(&before_cells)
        .map(|((&concurrency, (a, b)), before)| Row {
            concurrency,
            before_pools: (!before.is_empty()).then(|| median_sample(before)),
            one_worker: median_sample(a),
            n_workers: median_sample(b),
        })
        .collect();
    Ok(Report {
        workers,
        rows,
        in_process_calls_per_s: crate::blueprint::median(loops),
    })
}

/// The report as the markdown table BENCHMARKS.md records.
pub(crate) fn markdown(report: &Report) -> String {
    let n = report.workers;
    let before = report.rows.iter().any(|r| r.before_pools.is_some());
    let mut out = String::from("| concurrency |");
    if before {
        out.push_str(" before pools: calls/s | p50 ms |");
    }
    out.push_str(&format!(
        " 1 worker: calls/s | p50 ms | {n} workers: calls/s | p50 ms | {n} ÷ 1 |"
    ));
    if before {
        out.push_str(&format!(" {n} workers ÷ before pools |"));
    }
    out.push_str(&format!(" {n} workers ÷ apply in one process |\n|"));
    let columns = 7 + if before { 3 } else { 0 };
    out.push_str(&" --- |".repeat(columns));
    out.push('\n');
    let ratio = |a: f64, b: f64| a / b.max(f64::EPSILON);
    for row in &report.rows {
        out.push_str(&format!("| {} |", row.concurrency));
        if before {
            match row.before_pools {
                Some(b) => out.push_str(&format!(" {:.0} | {:.2} |", b.calls_per_s, b.p50_ms)),
                None => out.push_str(" | |"),
            }
        }
        out.push_str(&format!(
            " {:.0} | {:.2} | {:.0} | {:.2} | {:.2} |",
            row.one_worker.calls_per_s,
            row.one_worker.p50_ms,
            row.n_workers.calls_per_s,
            row.n_workers.p50_ms,
            ratio(row.n_workers.calls_per_s, row.one_worker.calls_per_s),
        ));
        if before {
            let b = row.before_pools.map_or(0.0, |b| b.calls_per_s);
            out.push_str(&format!(" {:.1} |", ratio(row.n_workers.calls_per_s, b)));
        }
        out.push_str(&format!(
            " {:.3} |\n",
            ratio(row.n_workers.calls_per_s, report.in_process_calls_per_s)
        ));
    }
    out.push_str(&format!(
        "\napply in a loop inside one Python process (no server, no pipes; one core): {:.0} calls/s\n",
        report.in_process_calls_per_s
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(calls_per_s: f64) -> Sample {
        Sample {
            calls_per_s,
            p50_ms: 1.0,
            p99_ms: 2.0,
        }
    }

    fn report(concurrency: usize, before_pools: Option<f64>) -> Report {
        Report {
            workers: 2,
            rows: vec![Row {
                concurrency,
                before_pools: before_pools.map(sample),
                one_worker: sample(100.0),
                n_workers: sample(180.0),
            }],
            in_process_calls_per_s: 1000.0,
        }
    }

    #[test]
    fn the_table_shows_both_pools_and_the_ratios() {
        let table = markdown(&report(8, None));
        assert!(
            table.contains("| 8 | 100 | 1.00 | 180 | 1.00 | 1.80 | 0.180 |"),
            "{table}"
        );
        assert!(table.contains("one Python process (no server, no pipes; one core): 1000 calls/s"));
    }

    #[test]
    fn the_server_before_pools_gets_its_columns_and_ratio() {
        let table = markdown(&report(64, Some(50.0)));
        assert!(
            table.contains("| 64 | 50 | 1.00 | 100 | 1.00 | 180 | 1.00 | 1.80 | 3.6 | 0.180 |"),
            "{table}"
        );
        assert!(table.contains("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"));
    }
}
