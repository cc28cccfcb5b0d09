//! The server alone: `algorithmia-local` answering `util/Echo` (1 KiB JSON) beside a bare axum
//! handler that returns the same JSON envelope, both driven by `wrk` at the same concurrency,
//! interleaved run by run (ours, bare, ours, bare, ...). The ratio says how much of a user's
//! measurement the server itself can take: everything the server does beyond the bare handler
//! (authentication, routing to the algorithm, the algorithm's task, the envelope's request id
//! and timing) is in the difference.
//!
//! The bare handler runs in its own process (this binary's hidden `bare-echo` command) on the
//! same CPUs as the server, so the two differ only in the code that answers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Serialize;
use serde_json::{Value, json};

use crate::algo::{Sample, wrk};
use crate::chart::Bar;
use crate::proc::{Server, sibling};
use crate::stats::{Spread, median};

/// One peer's runs.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Runs {
    pub(crate) peer: &'static str,
    pub(crate) calls_per_s: Vec<f64>,
    pub(crate) p50_ms: Vec<f64>,
}

/// Both peers at one concurrency.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Report {
    pub(crate) concurrency: usize,
    pub(crate) peers: Vec<Runs>,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

async fn echo(body: Bytes) -> Response {
    let started = Instant::now();
    let Ok(input) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "not JSON").into_response();
    };
    let id = format!("req-{:016x}", NEXT_ID.fetch_add(1, Ordering::Relaxed));
    let envelope = json!({
        "result": input,
        "metadata": {
            "content_type": "json",
            "duration": started.elapsed().as_secs_f64(),
            "request_id": id,
        },
        "request_id": id,
    });
    let mut response = (
        [(header::CONTENT_TYPE, "application/json")],
        envelope.to_string(),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// The hidden `bare-echo` command: serve the bare handler on `bind` (port 0 picks one), print
/// the base URL on stdout as `algorithmia-local` does, and serve until killed.
pub(crate) fn serve_bare(bind: &str) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .map_err(|e| format!("bind {bind}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        println!("http://{addr}");
        let app = Router::new().route("/v1/algo/util/Echo", post(echo));
        axum::serve(listener, app).await.map_err(|e| e.to_string())
    })
}

/// `runs` interleaved runs of `run_for` each, of both peers at `concurrency`.
pub(crate) fn run(
    concurrency: usize,
    runs: usize,
    run_for: Duration,
    server_cpus: Option<&str>,
) -> Result<Report, String> {
    let ours = Server::start_on(&[], server_cpus)?;
    let bare = Server::spawn(
        &sibling("algorithmia-bench")?,
        &["bare-echo", "--bind", "127.0.0.1:0"],
        server_cpus,
    )?;
    let peers = [("algorithmia-local", &ours), ("bare axum handler", &bare)];
    // Warm up both.
    for (_, server) in peers {
        wrk(&server.base_url, concurrency, Duration::from_secs(1))?;
    }
    let mut results: Vec<Runs> = peers
        .iter()
        .map(|(peer, _)| Runs {
            peer,
            calls_per_s: Vec::new(),
            p50_ms: Vec::new(),
        })
        .collect();
    for run in 0..runs.max(1) {
        for (i, (peer, server)) in peers.iter().enumerate() {
            let Sample {
                calls_per_s,
                p50_ms,
                ..
            } = wrk(&server.base_url, concurrency, run_for)?;
            eprintln!("run {run} c={concurrency} {peer}: {calls_per_s:.0} requests/s");
            results[i].calls_per_s.push(calls_per_s);
            results[i].p50_ms.push(p50_ms);
        }
    }
    Ok(Report {
        concurrency,
        peers: results,
    })
}

impl Report {
    /// Each peer's requests per second over the runs.
    pub(crate) fn spreads(&self) -> Vec<(&'static str, Spread)> {
        self.peers
            .iter()
            .map(|r| (r.peer, Spread::of(r.calls_per_s.clone())))
            .collect()
    }
}

/// The report as the markdown BENCHMARKS.md records.
pub(crate) fn markdown(report: &Report) -> String {
    let mut out = format!(
        "| `util/Echo`, 1 KiB JSON, wrk at concurrency {} | requests/s min | median | max | p50 ms (median) |\n| --- | --- | --- | --- | --- |\n",
        report.concurrency
    );
    for (runs, (_, s)) in report.peers.iter().zip(report.spreads()) {
        let p50 = median(runs.p50_ms.clone());
        out.push_str(&format!(
            "| {} | {:.0} | {:.0} | {:.0} | {p50:.2} |\n",
            runs.peer, s.min, s.median, s.max
        ));
    }
    if let [ours, bare] = report.peers.as_slice() {
        // Run i of one against run i of the other: they ran back to back.
        let by_run = Spread::of(
            ours.calls_per_s
                .iter()
                .zip(&bare.calls_per_s)
                .map(|(a, b)| a / b.max(f64::EPSILON))
                .collect(),
        );
        out.push_str(&format!(
            "\nalgorithmia-local ÷ bare axum handler, run by run: min {:.0}%, median {:.0}%, max {:.0}% (goal: at least 80%)\n",
            by_run.min * 100.0,
            by_run.median * 100.0,
            by_run.max * 100.0
        ));
    }
    out
}

/// The report as a chart: one bar per peer.
pub(crate) fn svg(report: &Report) -> String {
    let bars: Vec<Bar> = report
        .spreads()
        .into_iter()
        .map(|(peer, s)| Bar::new(peer, s))
        .collect();
    crate::chart::bars(
        &format!(
            "util/Echo, 1 KiB JSON, wrk at concurrency {}: the server alone",
            report.concurrency
        ),
        "requests/s",
        &bars,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_gives_min_median_max_and_the_ratio() {
        let report = Report {
            concurrency: 64,
            peers: vec![
                Runs {
                    peer: "algorithmia-local",
                    calls_per_s: vec![80.0, 90.0, 70.0],
                    p50_ms: vec![1.0, 1.0, 1.0],
                },
                Runs {
                    peer: "bare axum handler",
                    calls_per_s: vec![100.0, 120.0, 110.0],
                    p50_ms: vec![0.5, 0.5, 0.5],
                },
            ],
        };
        let table = markdown(&report);
        assert!(
            table.contains("| algorithmia-local | 70 | 80 | 90 | 1.00 |"),
            "{table}"
        );
        assert!(
            table.contains("| bare axum handler | 100 | 110 | 120 | 0.50 |"),
            "{table}"
        );
        // 80/100, 90/120, 70/110 run by run.
        assert!(
            table.contains("run by run: min 64%, median 75%, max 80% (goal"),
            "{table}"
        );
        assert_eq!(svg(&report).matches("<rect x=").count(), 2);
        assert!(
            table.contains("| --- | --- | --- | --- | --- |\n"),
            "{table}"
        );
    }
}
