//! Hosted ADK algorithms called through the server with our async client at several
//! concurrencies, on a pool of one worker and on a pool of one worker per core, beside the same
//! apply called in a loop inside one Python process (the per-core limit: no server, no pipes).
//! Two algorithms: `bench/Identity` (`bench/peers/adk_identity.py`, apply returns its 1 KiB
//! input: all transport) and `bench/Work` (`bench/peers/adk_work.py`, a fixed amount of pure
//! Python work a call: the algorithm dominates). Every configuration runs `runs` times,
//! interleaved run by run; minimum, median and maximum are reported, and the pools' ratio is
//! taken run by run. With `--before-pools PATH` (an `algorithmia-local` built from before worker
//! pools, which ran every ADK call one at a time behind one lock) that server is measured with
//! `bench/Identity` in the same interleaving. Last, where a call's time goes: the client's
//! latency beside the server's `Server-Timing` (queue, worker, total) and the per-call cost of
//! apply in one process.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};

use crate::algo::{Sample, calls_of, payload};
use crate::chart::Bar;
use crate::proc::{Server, repo_target};
use crate::stats::{Spread, median};

/// One hosted algorithm of the scenario.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Workload {
    pub(crate) algorithm: &'static str,
    #[serde(skip)]
    script: &'static str,
    #[serde(skip)]
    module: &'static str,
}

/// The two algorithms: all transport, and mostly the algorithm's own work.
pub(crate) const WORKLOADS: [Workload; 2] = [
    Workload {
        algorithm: "bench/Identity",
        script: "adk_identity.py",
        module: "adk_identity",
    },
    Workload {
        algorithm: "bench/Work",
        script: "adk_work.py",
        module: "adk_work",
    },
];

/// The Python work of one `bench/Work` call: a sum of squares over this many integers (about
/// 2 ms of one core here).
const WORK_N: u64 = 20_000;

impl Workload {
    fn input(&self) -> Value {
        match self.module {
            "adk_work" => json!({ "n": WORK_N }),
            _ => payload(),
        }
    }
}

/// One workload at one concurrency.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Row {
    pub(crate) algorithm: &'static str,
    pub(crate) concurrency: usize,
    /// Calls per second of the server from before pools (`bench/Identity` only).
    pub(crate) before_pools: Option<Spread>,
    pub(crate) one_worker: Spread,
    pub(crate) n_workers: Spread,
    /// The N-worker pool over the 1-worker pool, run by run.
    pub(crate) n_over_one: Spread,
    pub(crate) one_worker_p50_ms: f64,
    pub(crate) n_workers_p50_ms: f64,
}

/// Where the time of one call goes, averaged over a run of calls, in milliseconds.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Split {
    pub(crate) algorithm: &'static str,
    pub(crate) workers: usize,
    pub(crate) concurrency: usize,
    pub(crate) calls: usize,
    /// The client's latency, request sent to answer read.
    pub(crate) latency_ms: f64,
    /// `Server-Timing` `total`: the server's handler, request head in to answer built.
    pub(crate) total_ms: f64,
    /// `Server-Timing` `queue`: waiting for a worker.
    pub(crate) queue_ms: f64,
    /// `Server-Timing` `worker`: request line written, apply run, response line read.
    pub(crate) worker_ms: f64,
    /// Apply in one Python process, one call (1 / its calls per second).
    pub(crate) python_ms: f64,
}

/// The whole result.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Report {
    /// N: the cores of this machine.
    pub(crate) workers: usize,
    pub(crate) rows: Vec<Row>,
    /// Calls per second of apply in a loop inside one Python process, per algorithm.
    pub(crate) in_process: Vec<(&'static str, Spread)>,
    pub(crate) splits: Vec<Split>,
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

fn algorithm_arg(w: &Workload) -> String {
    format!("{}={} {}", w.algorithm, python(), peer(w.script))
}

/// A server hosting every workload on `workers` workers each.
fn server(workers: usize) -> Result<Server, String> {
    let mut args: Vec<String> = vec!["--no-builtins".into()];
    for w in &WORKLOADS {
        args.extend(["--algorithm".into(), algorithm_arg(w)]);
    }
    args.extend(["--algorithm-workers".into(), workers.to_string()]);
    Server::start(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// The server from before pools (`binary`), hosting `bench/Identity` (it has no pool flags).
fn server_before_pools(binary: &Path) -> Result<Server, String> {
    let algorithm = algorithm_arg(&WORKLOADS[0]);
    Server::start_binary(binary, &["--no-builtins", "--algorithm", &algorithm], None)
}

/// `w`'s apply in a loop in one Python process for `run_for`: calls per second.
fn in_process(w: &Workload, run_for: Duration) -> Result<f64, String> {
    let out = Command::new(python())
        .arg(peer("adk_loop.py"))
        .arg(run_for.as_secs_f64().to_string())
        .arg(w.module)
        .arg(w.input().to_string())
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

/// The runs of one configuration: calls per second and p50 latencies.
#[derive(Default, Clone)]
struct Runs {
    calls_per_s: Vec<f64>,
    p50_ms: Vec<f64>,
}

impl Runs {
    fn push(&mut self, s: Sample) {
        self.calls_per_s.push(s.calls_per_s);
        self.p50_ms.push(s.p50_ms);
    }

    fn spread(&self) -> Spread {
        Spread::of(self.calls_per_s.clone())
    }
}

/// Every configuration at every concurrency, `runs` times interleaved; then the time splits.
pub(crate) async fn run(
    concurrencies: &[usize],
    runs: usize,
    run_for: Duration,
    before_pools: Option<PathBuf>,
) -> Result<Report, String> {
    if runs < 3 {
        return Err(format!(
            "hosted: --runs {runs} is too few for a median; use at least 3"
        ));
    }
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let before = before_pools
        .as_deref()
        .map(server_before_pools)
        .transpose()?;
    let one = server(1)?;
    let many = server(workers)?;
    // Warm up: every worker of every server started, connections pooled.
    let mut warm: Vec<(&Server, &Workload)> = Vec::new();
    for w in &WORKLOADS {
        warm.extend([(&one, w), (&many, w)]);
    }
    warm.extend(before.iter().map(|s| (s, &WORKLOADS[0])));
    for (s, w) in warm {
        calls_of(
            &s.base_url,
            w.algorithm,
            w.input(),
            8,
            Duration::from_millis(500),
        )
        .await?;
    }
    let cells = WORKLOADS.len() * concurrencies.len();
    let (mut before_runs, mut one_runs, mut many_runs) = (
        vec![Runs::default(); cells],
        vec![Runs::default(); cells],
        vec![Runs::default(); cells],
    );
    let mut loops = vec![Vec::new(); WORKLOADS.len()];
    for run in 0..runs {
        for (k, w) in WORKLOADS.iter().enumerate() {
            for (i, &c) in concurrencies.iter().enumerate() {
                let cell = k * concurrencies.len() + i;
                if let (Some(server), 0) = (&before, k) {
                    let s = calls_of(&server.base_url, w.algorithm, w.input(), c, run_for).await?;
                    eprintln!("run {run} c={c}: before pools {:.0} calls/s", s.calls_per_s);
                    before_runs[cell].push(s);
                }
                let a = calls_of(&one.base_url, w.algorithm, w.input(), c, run_for).await?;
                let b = calls_of(&many.base_url, w.algorithm, w.input(), c, run_for).await?;
                eprintln!(
                    "run {run} {} c={c}: 1 worker {:.0} calls/s, {workers} workers {:.0} calls/s",
                    w.algorithm, a.calls_per_s, b.calls_per_s
                );
                one_runs[cell].push(a);
                many_runs[cell].push(b);
            }
            let looped = in_process(w, run_for)?;
            eprintln!(
                "run {run} {}: apply in one Python process {looped:.0} calls/s",
                w.algorithm
            );
            loops[k].push(looped);
        }
    }
    let mut rows = Vec::new();
    for (k, w) in WORKLOADS.iter().enumerate() {
        for (i, &concurrency) in concurrencies.iter().enumerate() {
            let cell = k * concurrencies.len() + i;
            let (one, many) = (&one_runs[cell], &many_runs[cell]);
            rows.push(Row {
                algorithm: w.algorithm,
                concurrency,
                before_pools: (!before_runs[cell].calls_per_s.is_empty())
                    .then(|| before_runs[cell].spread()),
                one_worker: one.spread(),
                n_workers: many.spread(),
                n_over_one: Spread::of(
                    many.calls_per_s
                        .iter()
                        .zip(&one.calls_per_s)
                        .map(|(b, a)| b / a.max(f64::EPSILON))
                        .collect(),
                ),
                one_worker_p50_ms: median(one.p50_ms.clone()),
                n_workers_p50_ms: median(many.p50_ms.clone()),
            });
        }
    }
    let in_process: Vec<(&'static str, Spread)> = WORKLOADS
        .iter()
        .zip(&loops)
        .map(|(w, l)| (w.algorithm, Spread::of(l.clone())))
        .collect();
    let mut splits = Vec::new();
    for (k, w) in WORKLOADS.iter().enumerate() {
        let python_ms = 1000.0 / in_process[k].1.median.max(f64::EPSILON);
        for (n, server) in [(1, &one), (workers, &many)] {
            for c in [1, 64] {
                splits.push(split(&server.base_url, w, n, c, run_for, python_ms).await?);
            }
        }
    }
    Ok(Report {
        workers,
        rows,
        in_process,
        splits,
    })
}

/// `concurrency` loops of calls of `w` for `run_for` over plain HTTP, reading each answer's
/// `Server-Timing`: the mean of each part.
async fn split(
    base_url: &str,
    w: &Workload,
    workers: usize,
    concurrency: usize,
    run_for: Duration,
    python_ms: f64,
) -> Result<Split, String> {
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?;
    let url = format!("{base_url}/v1/algo/{}", w.algorithm);
    let body = w.input().to_string();
    let deadline = Instant::now() + run_for;
    let loops = (0..concurrency).map(|_| {
        let (http, url, body) = (http.clone(), url.clone(), body.clone());
        tokio::spawn(async move {
            let mut parts = Vec::new();
            while Instant::now() < deadline {
                let t0 = Instant::now();
                let response = http
                    .post(&url)
                    .header("Authorization", format!("Simple {}", crate::data::KEY))
                    .header("Content-Type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let timing = response
                    .headers()
                    .get("server-timing")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
                    .ok_or("no Server-Timing header in a pooled call's answer")?;
                let status = response.status();
                response.bytes().await.map_err(|e| e.to_string())?;
                if !status.is_success() {
                    return Err(format!("{url} answered {status}"));
                }
                let latency = t0.elapsed().as_secs_f64() * 1000.0;
                parts.push((latency, server_timing(&timing)?));
            }
            Ok::<_, String>(parts)
        })
    });
    let mut all = Vec::new();
    for handle in loops.collect::<Vec<_>>() {
        all.extend(handle.await.map_err(|e| e.to_string())??);
    }
    let n = all.len().max(1) as f64;
    let mean = |values: Vec<f64>| values.iter().sum::<f64>() / n;
    Ok(Split {
        algorithm: w.algorithm,
        workers,
        concurrency,
        calls: all.len(),
        latency_ms: mean(all.iter().map(|p| p.0).collect()),
        queue_ms: mean(all.iter().map(|p| p.1[0]).collect()),
        worker_ms: mean(all.iter().map(|p| p.1[1]).collect()),
        total_ms: mean(all.iter().map(|p| p.1[2]).collect()),
        python_ms,
    })
}

/// `queue;dur=A, worker;dur=B, total;dur=C` as `[A, B, C]`.
fn server_timing(header: &str) -> Result<[f64; 3], String> {
    let dur = |metric: &str| {
        header
            .split(',')
            .map(str::trim)
            .find_map(|m| m.strip_prefix(metric)?.strip_prefix(";dur="))
            .and_then(|v| v.parse::<f64>().ok())
            .ok_or_else(|| format!("no {metric} in Server-Timing: {header}"))
    };
    Ok([dur("queue")?, dur("worker")?, dur("total")?])
}

/// The report as the markdown tables BENCHMARKS.md records.
pub(crate) fn markdown(report: &Report) -> String {
    let n = report.workers;
    let before = report.rows.iter().any(|r| r.before_pools.is_some());
    let mut out = String::from("| algorithm | concurrency |");
    if before {
        out.push_str(" before pools: calls/s (median) |");
    }
    out.push_str(&format!(
        " 1 worker: calls/s min | median | max | p50 ms | {n} workers: calls/s min | median | max | p50 ms | {n} ÷ 1, run by run: min | median | max | {n} workers ÷ apply in one process |\n|"
    ));
    out.push_str(&" --- |".repeat(14 + usize::from(before)));
    out.push('\n');
    let loop_of = |algorithm: &str| {
        report
            .in_process
            .iter()
            .find(|(a, _)| *a == algorithm)
            .map_or(f64::NAN, |(_, s)| s.median)
    };
    for row in &report.rows {
        out.push_str(&format!("| {} | {} |", row.algorithm, row.concurrency));
        if before {
            match row.before_pools {
                Some(b) => out.push_str(&format!(" {:.0} |", b.median)),
                None => out.push_str(" |"),
            }
        }
        let (a, b, r) = (row.one_worker, row.n_workers, row.n_over_one);
        out.push_str(&format!(
            " {:.0} | {:.0} | {:.0} | {:.2} | {:.0} | {:.0} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {:.3} |\n",
            a.min,
            a.median,
            a.max,
            row.one_worker_p50_ms,
            b.min,
            b.median,
            b.max,
            row.n_workers_p50_ms,
            r.min,
            r.median,
            r.max,
            b.median / loop_of(row.algorithm).max(f64::EPSILON),
        ));
    }
    out.push_str("\n| apply in a loop inside one Python process (no server, no pipes; one core) | calls/s min | median | max |\n| --- | --- | --- | --- |\n");
    for (algorithm, s) in &report.in_process {
        out.push_str(&format!(
            "| {algorithm} | {:.0} | {:.0} | {:.0} |\n",
            s.min, s.median, s.max
        ));
    }
    out.push_str("\n| where a call's time goes (mean ms) | workers | concurrency | calls | client latency | client and HTTP (latency − server total) | server outside the pool (total − queue − worker) | queue | pipes and the ADK's framing (worker − Python) | Python: apply and the ADK's JSON (one process) |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for s in &report.splits {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |\n",
            s.algorithm,
            s.workers,
            s.concurrency,
            s.calls,
            s.latency_ms,
            s.latency_ms - s.total_ms,
            s.total_ms - s.queue_ms - s.worker_ms,
            s.queue_ms,
            s.worker_ms - s.python_ms,
            s.python_ms,
        ));
    }
    out
}

/// The report as a chart: calls per second of each pool, per algorithm and concurrency.
pub(crate) fn svg(report: &Report) -> String {
    let n = report.workers;
    let mut bars = Vec::new();
    for row in &report.rows {
        let label = |what: &str| format!("{} c={}: {what}", row.algorithm, row.concurrency);
        if let Some(b) = row.before_pools {
            bars.push(Bar::new(label("before pools"), b));
        }
        bars.push(Bar::new(label("1 worker"), row.one_worker));
        bars.push(Bar::new(label(&format!("{n} workers")), row.n_workers));
    }
    crate::chart::bars("Hosted ADK algorithms: calls per second", "calls/s", &bars)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(before_pools: Option<f64>) -> Report {
        let s = |v: f64| Spread::of(vec![v]);
        Report {
            workers: 2,
            rows: vec![Row {
                algorithm: "bench/Identity",
                concurrency: 8,
                before_pools: before_pools.map(s),
                one_worker: Spread::of(vec![90.0, 100.0, 110.0]),
                n_workers: Spread::of(vec![170.0, 180.0, 190.0]),
                n_over_one: Spread::of(vec![1.7, 1.8, 1.9]),
                one_worker_p50_ms: 1.0,
                n_workers_p50_ms: 0.5,
            }],
            in_process: vec![("bench/Identity", s(1000.0))],
            splits: vec![Split {
                algorithm: "bench/Identity",
                workers: 1,
                concurrency: 1,
                calls: 10,
                latency_ms: 1.0,
                total_ms: 0.8,
                queue_ms: 0.1,
                worker_ms: 0.6,
                python_ms: 0.25,
            }],
        }
    }

    #[test]
    fn the_tables_show_both_pools_the_ratios_and_the_split() {
        let table = markdown(&report(None));
        assert!(
            table.contains(
                "| bench/Identity | 8 | 90 | 100 | 110 | 1.00 | 170 | 180 | 190 | 0.50 | 1.70 | 1.80 | 1.90 | 0.180 |"
            ),
            "{table}"
        );
        assert!(
            table.contains("| bench/Identity | 1000 | 1000 | 1000 |"),
            "{table}"
        );
        // latency 1.0 = client 0.2 + server 0.1 + queue 0.1 + pipes 0.35 + Python 0.25.
        assert!(
            table.contains(
                "| bench/Identity | 1 | 1 | 10 | 1.000 | 0.200 | 0.100 | 0.100 | 0.350 | 0.250 |"
            ),
            "{table}"
        );
        assert_eq!(svg(&report(None)).matches("<rect x=").count(), 2);
    }

    #[test]
    fn the_server_before_pools_gets_its_column() {
        let table = markdown(&report(Some(50.0)));
        assert!(
            table.contains("| bench/Identity | 8 | 50 | 90 |"),
            "{table}"
        );
        assert!(
            table.contains(&format!("|{}\n", " --- |".repeat(15))),
            "{table}"
        );
        assert_eq!(svg(&report(Some(50.0))).matches("<rect x=").count(), 3);
    }

    #[test]
    fn server_timing_is_read_by_name() {
        assert_eq!(
            server_timing("worker;dur=2.5, queue;dur=0.125, total;dur=3").unwrap(),
            [0.125, 2.5, 3.0]
        );
        assert!(server_timing("queue;dur=1").is_err());
    }
}
