//! A hosted ADK algorithm (`bench/peers/adk_identity.py`: apply returns its input) called
//! through the server with our async client at several concurrencies: on a pool of one worker
//! (one call at a time, as the server ran every ADK call before pools) and on a pool of one
//! worker per core; beside the same apply called in a loop inside one Python process (the
//! per-core limit, no server and no pipes). The configurations are interleaved run by run, and
//! the median of the runs is reported.

use std::process::Command;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::algo::{Sample, calls_of, payload};
use crate::proc::{Server, repo_target};

/// The hosted algorithm's name.
const ALGORITHM: &str = "bench/Identity";

/// One concurrency: the 1-worker pool, the N-worker pool.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Row {
    pub(crate) concurrency: usize,
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

/// A server hosting the algorithm on `workers` workers.
fn server(workers: usize) -> Result<Server, String> {
    let algorithm = format!("{ALGORITHM}={} {}", python(), peer("adk_identity.py"));
    let workers = workers.to_string();
    Server::start(&[
        "--no-builtins",
        "--algorithm",
        &algorithm,
        "--algorithm-workers",
        &workers,
    ])
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
) -> Result<Report, String> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let one = server(1)?;
    let many = server(workers)?;
    // Warm up: every worker of both pools started, connections pooled.
    for s in [&one, &many] {
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
    let mut loops = Vec::new();
    for run in 0..runs.max(1) {
        for (i, &c) in concurrencies.iter().enumerate() {
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
        .map(|(&concurrency, (a, b))| Row {
            concurrency,
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
    let mut out = format!(
        "| concurrency | 1 worker: calls/s | p50 ms | {n} workers: calls/s | p50 ms | {n} ÷ 1 | \
         {n} workers ÷ apply in one process |\n| --- | --- | --- | --- | --- | --- | --- |\n"
    );
    for row in &report.rows {
        out.push_str(&format!(
            "| {} | {:.0} | {:.2} | {:.0} | {:.2} | {:.2} | {:.3} |\n",
            row.concurrency,
            row.one_worker.calls_per_s,
            row.one_worker.p50_ms,
            row.n_workers.calls_per_s,
            row.n_workers.p50_ms,
            row.n_workers.calls_per_s / row.one_worker.calls_per_s.max(f64::EPSILON),
            row.n_workers.calls_per_s / report.in_process_calls_per_s.max(f64::EPSILON),
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

    #[test]
    fn the_table_shows_both_pools_and_the_ratios() {
        let s = |calls_per_s| Sample {
            calls_per_s,
            p50_ms: 1.0,
            p99_ms: 2.0,
        };
        let report = Report {
            workers: 2,
            rows: vec![Row {
                concurrency: 8,
                one_worker: s(100.0),
                n_workers: s(180.0),
            }],
            in_process_calls_per_s: 1000.0,
        };
        let table = markdown(&report);
        assert!(
            table.contains("| 8 | 100 | 1.00 | 180 | 1.00 | 1.80 | 0.180 |"),
            "{table}"
        );
        assert!(table.contains("one Python process (no server, no pipes; one core): 1000 calls/s"));
    }
}
