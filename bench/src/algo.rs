//! Algorithm calls against `util/Echo` (1 KiB JSON) at several concurrencies, for our async
//! client, our blocking facade, the official Python and Node clients, and `wrk` sending the
//! identical request on kept-alive connections (the limit). Every peer runs for the same time;
//! the median of several runs is reported.

use std::process::Command;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};

use crate::data::KEY;
use crate::proc::Server;
use crate::stats::{Spread, median};

/// The peers, in the order they are shown.
pub(crate) const PEERS: [&str; 6] = [
    "ours (async)",
    "ours (blocking)",
    "python",
    "node",
    "wrk (limit)",
    "blocking floor",
];

/// One peer at one concurrency.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Sample {
    pub(crate) calls_per_s: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
}

pub(crate) fn payload() -> Value {
    json!({"data": "x".repeat(1000)})
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 * q) as usize).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0.0)
}

fn summarise(mut latencies: Vec<f64>, elapsed: Duration) -> Sample {
    latencies.sort_by(|a, b| a.total_cmp(b));
    Sample {
        calls_per_s: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50_ms: percentile(&latencies, 0.50),
        p99_ms: percentile(&latencies, 0.99),
    }
}

pub(crate) fn client(url: &str) -> Result<algorithmia_client::Client, String> {
    algorithmia_client::Client::builder()
        .base_url(url)
        .api_key(KEY)
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())
}

async fn ours_async(url: &str, concurrency: usize, run_for: Duration) -> Result<Sample, String> {
    calls_of(url, "util/Echo", payload(), concurrency, run_for).await
}

/// `concurrency` tasks calling `algorithm` with `input` through our async client for `run_for`.
pub(crate) async fn calls_of(
    url: &str,
    algorithm: &str,
    input: Value,
    concurrency: usize,
    run_for: Duration,
) -> Result<Sample, String> {
    let algo = client(url)?.algo(algorithm);
    let deadline = Instant::now() + run_for;
    let started = Instant::now();
    let workers = (0..concurrency).map(|_| {
        let algo = algo.clone();
        let input = input.clone();
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let t0 = Instant::now();
                algo.pipe_json(&input).await.map_err(|e| e.to_string())?;
                latencies.push(t0.elapsed().as_secs_f64() * 1000.0);
            }
            Ok::<_, String>(latencies)
        })
    });
    let mut all = Vec::new();
    for worker in futures_join(workers).await {
        all.extend(worker.map_err(|e| e.to_string())??);
    }
    Ok(summarise(all, started.elapsed()))
}

async fn futures_join<T>(
    handles: impl Iterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<Result<T, tokio::task::JoinError>> {
    let mut out = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        out.push(handle.await);
    }
    out
}

fn ours_blocking(url: &str, concurrency: usize, run_for: Duration) -> Result<Sample, String> {
    let blocking = algorithmia_client::blocking::Client::from_async(client(url)?)
        .map_err(|e| e.to_string())?;
    let input = payload();
    let deadline = Instant::now() + run_for;
    let started = Instant::now();
    let threads: Vec<_> = (0..concurrency)
        .map(|_| {
            let algo = blocking.algo("util/Echo");
            let input = input.clone();
            std::thread::spawn(move || {
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let t0 = Instant::now();
                    algo.pipe_json(&input).map_err(|e| e.to_string())?;
                    latencies.push(t0.elapsed().as_secs_f64() * 1000.0);
                }
                Ok::<_, String>(latencies)
            })
        })
        .collect();
    joined(threads, started)
}

/// Every thread's latencies, summarised over the time since `started`.
fn joined(
    threads: Vec<std::thread::JoinHandle<Result<Vec<f64>, String>>>,
    started: Instant,
) -> Result<Sample, String> {
    let mut all = Vec::new();
    for thread in threads {
        all.extend(
            thread
                .join()
                .map_err(|_| "a bench thread panicked".to_owned())??,
        );
    }
    Ok(summarise(all, started.elapsed()))
}

/// The floor of any blocking client, one thread a call: threads writing the identical request,
/// pre-built, on kept-alive `std` sockets and reading the answer by its `Content-Length`, with
/// no HTTP library and no decoding. What it loses to the async client is the cost of waking a
/// thread for every answer, which no thread-per-call design avoids.
fn blocking_floor(url: &str, concurrency: usize, run_for: Duration) -> Result<Sample, String> {
    use std::io::{Read, Write};
    let (address, request) = raw_request(url, "util/Echo", &payload());
    let deadline = Instant::now() + run_for;
    let started = Instant::now();
    let threads: Vec<_> = (0..concurrency)
        .map(|_| {
            let (address, request) = (address.clone(), request.clone());
            std::thread::spawn(move || -> Result<Vec<f64>, String> {
                let mut stream =
                    std::net::TcpStream::connect(&address).map_err(|e| e.to_string())?;
                stream.set_nodelay(true).map_err(|e| e.to_string())?;
                let mut buffer = vec![0u8; 64 * 1024];
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let t0 = Instant::now();
                    stream
                        .write_all(request.as_bytes())
                        .map_err(|e| e.to_string())?;
                    let mut filled = 0;
                    loop {
                        let n = stream
                            .read(&mut buffer[filled..])
                            .map_err(|e| e.to_string())?;
                        if n == 0 {
                            return Err("the server closed the connection".into());
                        }
                        filled += n;
                        if answer_length(&buffer[..filled])?.is_some_and(|total| filled >= total) {
                            break;
                        }
                    }
                    latencies.push(t0.elapsed().as_secs_f64() * 1000.0);
                }
                Ok(latencies)
            })
        })
        .collect();
    joined(threads, started)
}

/// The server's address in `url` (`host:port`), and the whole HTTP/1.1 request that calls
/// `algorithm` with `input` as JSON, as every client here sends it (Simple auth with [`KEY`]).
pub(crate) fn raw_request(url: &str, algorithm: &str, input: &Value) -> (String, String) {
    let address = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let body = input.to_string();
    let request = format!(
        "POST /v1/algo/{algorithm} HTTP/1.1\r\nhost: {address}\r\nauthorization: Simple {KEY}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    (address, request)
}

/// The whole length of an HTTP/1.1 answer (head and body) once its head is in `bytes`; an
/// answer other than 200 is an error.
pub(crate) fn answer_length(bytes: &[u8]) -> Result<Option<usize>, String> {
    let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = String::from_utf8_lossy(&bytes[..end]);
    if !head.starts_with("HTTP/1.1 200") {
        return Err(format!("the server answered {head}"));
    }
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())
                .flatten()
        })
        .ok_or("an answer without Content-Length")?;
    Ok(Some(end + 4 + length))
}

/// Run a peer script that prints `{"calls", "seconds", "p50_ms", "p99_ms", "errors"}`.
fn script(
    program: &str,
    script: &str,
    url: &str,
    concurrency: usize,
    run_for: Duration,
) -> Result<Sample, String> {
    let root = crate::proc::repo_target().join("..");
    let out = Command::new(program)
        .arg(root.join("bench/peers").join(script))
        .args([
            url,
            KEY,
            &concurrency.to_string(),
            &run_for.as_secs_f64().to_string(),
        ])
        .current_dir(&root)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    let value: Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "{script} printed no result ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    if value["errors"].as_u64().unwrap_or(0) > 0 {
        return Err(format!("{script}: {} calls failed", value["errors"]));
    }
    let num = |k: &str| value[k].as_f64().unwrap_or(0.0);
    Ok(Sample {
        calls_per_s: num("calls") / num("seconds"),
        p50_ms: num("p50_ms"),
        p99_ms: num("p99_ms"),
    })
}

fn wrk_duration(text: &str) -> Option<f64> {
    let text = text.trim();
    let (number, factor) = if let Some(n) = text.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1000.0)
    } else {
        return None;
    };
    number.trim().parse::<f64>().ok().map(|n| n * factor)
}

/// `wrk` posting `util/Echo`'s 1 KiB JSON to `url` at `concurrency` for `run_for`.
pub(crate) fn wrk(url: &str, concurrency: usize, run_for: Duration) -> Result<Sample, String> {
    let root = crate::proc::repo_target().join("..");
    let out = Command::new("wrk")
        .args([
            &format!("-t{}", concurrency.min(2)),
            &format!("-c{concurrency}"),
            &format!("-d{}s", run_for.as_secs().max(1)),
            "--latency",
            "-s",
        ])
        .arg(root.join("bench/peers/wrk_post.lua"))
        .arg(format!("{url}/v1/algo/util/Echo"))
        .env("BENCH_BODY", payload().to_string())
        .env("BENCH_KEY", KEY)
        .output()
        .map_err(|e| format!("wrk: {e} (install it: apt-get install wrk)"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(prefix))
            .map(str::trim)
    };
    if text.contains("Non-2xx") {
        return Err(format!("wrk saw errors: {text}"));
    }
    Ok(Sample {
        calls_per_s: field("Requests/sec:")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("no Requests/sec in {text}"))?,
        p50_ms: field("50%").and_then(wrk_duration).unwrap_or(0.0),
        p99_ms: field("99%").and_then(wrk_duration).unwrap_or(0.0),
    })
}

/// One peer at one concurrency over its runs.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Cell {
    /// Calls per second, minimum, median and maximum over the runs.
    pub(crate) calls_per_s: Spread,
    /// The median over the runs of each run's 50th percentile latency.
    pub(crate) p50_ms: f64,
    /// The median over the runs of each run's 99th percentile latency.
    pub(crate) p99_ms: f64,
    /// Each run's calls per second, in run order (run `i` of every peer ran back to back).
    pub(crate) runs: Vec<f64>,
}

impl Cell {
    fn of(samples: &[Sample]) -> Cell {
        let runs: Vec<f64> = samples.iter().map(|s| s.calls_per_s).collect();
        Cell {
            calls_per_s: Spread::of(runs.clone()),
            p50_ms: median(samples.iter().map(|s| s.p50_ms).collect()),
            p99_ms: median(samples.iter().map(|s| s.p99_ms).collect()),
            runs,
        }
    }

    /// This peer over `other`, run by run (run `i` against run `i`, taken back to back).
    pub(crate) fn ratio_to(&self, other: &Cell) -> Spread {
        Spread::of(
            self.runs
                .iter()
                .zip(&other.runs)
                .map(|(a, b)| a / b)
                .collect(),
        )
    }
}

/// One peer's sample at concurrency `c`.
async fn sample(peer: &str, url: &str, c: usize, run_for: Duration) -> Result<Sample, String> {
    match peer {
        "ours (async)" => ours_async(url, c, run_for).await,
        "ours (blocking)" => {
            let url = url.to_owned();
            tokio::task::spawn_blocking(move || ours_blocking(&url, c, run_for))
                .await
                .map_err(|e| e.to_string())?
        }
        "python" => script(
            &crate::proc::repo_target()
                .join("../.venv/bin/python")
                .display()
                .to_string(),
            "python_algo.py",
            url,
            c,
            run_for,
        ),
        "node" => script("node", "node_algo.js", url, c, run_for),
        "blocking floor" => {
            let url = url.to_owned();
            tokio::task::spawn_blocking(move || blocking_floor(&url, c, run_for))
                .await
                .map_err(|e| e.to_string())?
        }
        _ => wrk(url, c, run_for),
    }
}

/// Every peer at every concurrency, `runs` times, interleaved: at each concurrency run 1 of
/// every peer, then run 2 of every peer, and so on, so that a slow minute of the machine lands
/// on all peers alike rather than on one.
pub(crate) async fn run(
    concurrencies: &[usize],
    runs: usize,
    run_for: Duration,
    server_cpus: Option<&str>,
) -> Result<Vec<(usize, Vec<Cell>)>, String> {
    if runs < 3 {
        return Err(format!(
            "algo: --runs {runs} is too few for a median; use at least 3"
        ));
    }
    let server = Server::start_on(&[], server_cpus)?;
    let url = server.base_url.clone();
    // Warm up the server and the connection pools.
    ours_async(&url, 8, Duration::from_millis(500)).await?;
    let mut table = Vec::new();
    for &c in concurrencies {
        let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); PEERS.len()];
        for i in 0..runs {
            for (p, peer) in PEERS.iter().enumerate() {
                let s = sample(peer, &url, c, run_for).await?;
                eprintln!("c={c} run {} {peer}: {:.0} calls/s", i + 1, s.calls_per_s);
                samples[p].push(s);
            }
        }
        table.push((c, samples.iter().map(|s| Cell::of(s)).collect()));
    }
    Ok(table)
}

const OURS: usize = 0;
const BLOCKING: usize = 1;
const WRK: usize = 4;
const FLOOR: usize = 5;

/// The results as a markdown table (every peer's minimum, median and maximum and its median
/// over ours), then the goals' ratios taken run by run.
pub(crate) fn markdown(table: &[(usize, Vec<Cell>)]) -> String {
    let mut out = String::from(
        "| concurrency | peer | calls/s min | median | max | p50 ms | p99 ms | median ÷ ours (async) |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for (c, row) in table {
        let ours = row[OURS].calls_per_s.median;
        for (peer, cell) in PEERS.iter().zip(row) {
            let s = cell.calls_per_s;
            out.push_str(&format!(
                "| {c} | {peer} | {:.0} | {:.0} | {:.0} | {:.2} | {:.2} | {:.2} |\n",
                s.min,
                s.median,
                s.max,
                cell.p50_ms,
                cell.p99_ms,
                s.median / ours
            ));
        }
    }
    out.push_str(
        "\n| concurrency | ours (async) ÷ wrk, run by run: min | median | max | ours (blocking) ÷ ours (async): min | median | max | blocking floor ÷ ours (async): min | median | max |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for (c, row) in table {
        let mut line = format!("| {c} |");
        for ratio in [
            row[OURS].ratio_to(&row[WRK]),
            row[BLOCKING].ratio_to(&row[OURS]),
            row[FLOOR].ratio_to(&row[OURS]),
        ] {
            line.push_str(&format!(
                " {:.0}% | {:.0}% | {:.0}% |",
                ratio.min * 100.0,
                ratio.median * 100.0,
                ratio.max * 100.0
            ));
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Throughput against concurrency, one line per peer through the medians, with a bar from the
/// minimum to the maximum at each point, as SVG.
pub(crate) fn svg(table: &[(usize, Vec<Cell>)]) -> String {
    let (w, h, left, bottom, top, right) = (720.0, 420.0, 70.0, 50.0, 30.0, 170.0);
    let max = table
        .iter()
        .flat_map(|(_, row)| row.iter().map(|s| s.calls_per_s.max))
        .fold(1.0, f64::max)
        * 1.1;
    let n = table.len().max(2) as f64;
    let x = |i: usize| left + (w - left - right) * i as f64 / (n - 1.0);
    let y = |v: f64| h - bottom - (h - bottom - top) * v / max;
    let colours = [
        "#1f77b4", "#17becf", "#ff7f0e", "#2ca02c", "#7f7f7f", "#9467bd",
    ];
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"{}\" y=\"18\" text-anchor=\"middle\" font-size=\"14\">util/Echo, 1 KiB JSON: calls per second against concurrency (median, min to max)</text>\n",
        w / 2.0
    );
    for k in 0..=5 {
        let v = max / 5.0 * k as f64;
        let (right_edge, yv, label_x, label_y) = (w - right, y(v), left - 6.0, y(v) + 4.0);
        svg.push_str(&format!(
            "<line x1=\"{left}\" x2=\"{right_edge}\" y1=\"{yv:.1}\" y2=\"{yv:.1}\" stroke=\"#ddd\"/><text x=\"{label_x}\" y=\"{label_y:.1}\" text-anchor=\"end\">{v:.0}</text>\n"
        ));
    }
    for (i, (c, _)) in table.iter().enumerate() {
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{c}</text>\n",
            x(i),
            h - bottom + 18.0
        ));
    }
    svg.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">concurrency</text>\n",
        (left + w - right) / 2.0,
        h - 12.0
    ));
    for (p, peer) in PEERS.iter().enumerate() {
        let points: Vec<String> = table
            .iter()
            .enumerate()
            .map(|(i, (_, row))| format!("{:.1},{:.1}", x(i), y(row[p].calls_per_s.median)))
            .collect();
        svg.push_str(&format!(
            "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>\n<text x=\"{}\" y=\"{}\" fill=\"{0}\">{peer}</text>\n",
            colours[p],
            points.join(" "),
            w - right + 12.0,
            top + 20.0 + 18.0 * p as f64
        ));
        for (i, (_, row)) in table.iter().enumerate() {
            let s = row[p].calls_per_s;
            // Offset each peer's bar a little so that overlapping ranges stay visible.
            let bx = x(i) + (p as f64 - 2.0) * 3.0;
            svg.push_str(&format!(
                "<line x1=\"{bx:.1}\" x2=\"{bx:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"{}\" stroke-width=\"2\" opacity=\"0.6\"/>\n",
                y(s.min),
                y(s.max),
                colours[p]
            ));
        }
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_units_and_the_chart() {
        assert_eq!(wrk_duration("523.00us"), Some(0.523));
        assert_eq!(wrk_duration("2.10ms"), Some(2.1));
        assert_eq!(wrk_duration("1.50s"), Some(1500.0));
        assert_eq!(wrk_duration("x"), None);
        let sample = |calls_per_s| Sample {
            calls_per_s,
            p50_ms: 1.0,
            p99_ms: 2.0,
        };
        // Ours 90, 100, 80 against wrk 100, 100, 100 (run by run); blocking half of ours.
        let cells = |scale: f64| {
            Cell::of(&[
                sample(90.0 * scale),
                sample(100.0 * scale),
                sample(80.0 * scale),
            ])
        };
        let row = vec![
            cells(1.0),
            cells(0.5),
            cells(0.1),
            cells(0.2),
            Cell::of(&[sample(100.0); 3]),
            cells(0.7),
        ];
        let table = vec![(1, row.clone()), (8, row)];
        let svg = svg(&table);
        assert!(svg.starts_with("<svg") && svg.matches("<polyline").count() == 6);
        let md = markdown(&table);
        assert!(
            md.contains("| 8 | ours (async) | 80 | 90 | 100 | 1.00 | 2.00 | 1.00 |"),
            "{md}"
        );
        assert!(
            md.contains("| 8 | wrk (limit) | 100 | 100 | 100 | 1.00 | 2.00 | 1.11 |"),
            "{md}"
        );
        assert!(
            md.contains("| 8 | 80% | 90% | 100% | 50% | 50% | 50% | 70% | 70% | 70% |"),
            "{md}"
        );
    }

    #[test]
    fn an_answer_is_whole_once_its_head_and_body_are_in() {
        assert_eq!(answer_length(b"HTTP/1.1 200 OK\r\nContent-Le"), Ok(None));
        let head =
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nContent-Length: 7\r\n\r\n";
        assert_eq!(answer_length(head), Ok(Some(head.len() + 7)));
        assert!(answer_length(b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n").is_err());
        assert!(answer_length(b"HTTP/1.1 200 OK\r\n\r\n").is_err());
    }
}
