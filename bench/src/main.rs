//! `algorithmia-bench`: measures our SDK, the server and the peers on loopback, in one run.
//!
//! `cargo build --release --workspace && target/release/algorithmia-bench data --size-mib 1024`
//! `target/release/algorithmia-bench blueprint`
//! `target/release/algorithmia-bench hosted`
//! `target/release/algorithmia-bench cli --size-mib 1024`

mod algo;
mod blueprint;
mod chart;
mod cli;
mod data;
mod hosted;
mod proc;
mod push;
mod server;
mod stats;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Benchmarks of the Algorithmia toolkit, on loopback, in one run")]
struct Args {
    #[command(subcommand)]
    command: Scenario,
}

#[derive(Subcommand)]
enum Scenario {
    /// Algorithm calls: our clients, the official Python and Node clients, and wrk (the limit).
    Algo {
        /// Seconds each peer runs at each concurrency.
        #[arg(long, default_value_t = 3)]
        seconds: u64,
        /// Runs of each peer, interleaved; minimum, median and maximum are reported.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Where to write the chart.
        #[arg(long, default_value = "BENCHMARKS-throughput.svg")]
        chart: PathBuf,
        /// Pin the server to these CPUs (`taskset -c LIST`), so that the clients, run pinned
        /// elsewhere (`taskset -c 1 algorithmia-bench algo --server-cpus 0`), do not take the
        /// server's CPU: the limit is then the server's, not the load generator's.
        #[arg(long, value_name = "LIST")]
        server_cpus: Option<String>,
    },
    /// Hosted ADK algorithms through the server: a pool of 1 worker and of one per core, beside
    /// the same apply in a loop inside one Python process; where a call's time goes.
    Hosted {
        /// Seconds each configuration runs at each concurrency.
        #[arg(long, default_value_t = 3)]
        seconds: u64,
        /// Runs of each, interleaved; minimum, median and maximum are reported.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Where to write the chart.
        #[arg(long, default_value = "BENCHMARKS-hosted.svg")]
        chart: PathBuf,
        /// An `algorithmia-local` built from before worker pools, measured beside them.
        #[arg(long, value_name = "PATH")]
        before_pools: Option<std::path::PathBuf>,
        /// Pushes timed from `git push` to a callable version (0 leaves them out).
        #[arg(long, default_value_t = 3)]
        pushes: usize,
    },
    /// A large file uploaded and downloaded through our client, beside curl (and curl followed
    /// by `sync FILE`), interleaved run by run.
    Data {
        /// File size in MiB.
        #[arg(long, default_value_t = 1024)]
        size_mib: u64,
        /// Runs of each peer, interleaved; minimum, median and maximum are reported.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Where to write the chart.
        #[arg(long, default_value = "BENCHMARKS-data.svg")]
        chart: PathBuf,
        /// Another build of this harness (`algorithmia-bench`) whose client is measured beside
        /// ours, in the same runs: a before-and-after comparison.
        #[arg(long, value_name = "PATH")]
        baseline: Option<PathBuf>,
        /// Pin the server to these CPUs (`taskset -c LIST`).
        #[arg(long, value_name = "LIST")]
        server_cpus: Option<String>,
    },
    /// The command line: `algo cp` of many small files and of one large file, up and down,
    /// beside the official Python CLI's `algo cp` and curl, against the same server.
    Cli {
        /// How many small files.
        #[arg(long, default_value_t = 1000)]
        files: usize,
        /// The large file's size in MiB.
        #[arg(long, default_value_t = 1024)]
        size_mib: u64,
        /// Runs of each peer, interleaved; minimum, median and maximum are reported.
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// The blueprint's release bootstrap: start time, a 1,000-record batch, peak memory, size.
    Blueprint {
        /// Runs of each batch, interleaved; minimum, median and maximum are reported.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Only the two batches without idempotency and results (no moto, no cold starts by
        /// key source): a quick comparison of two builds.
        #[arg(long)]
        batches_only: bool,
    },
    /// The server alone: `algorithmia-local` answering `util/Echo` beside a bare axum handler
    /// that returns the same JSON, both driven by wrk, interleaved.
    Server {
        /// wrk's concurrency.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Seconds of each run.
        #[arg(long, default_value_t = 3)]
        seconds: u64,
        /// Runs of each, interleaved; minimum, median and maximum are reported.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Pin both servers to these CPUs (a `taskset -c` list), e.g. `0`.
        #[arg(long)]
        server_cpus: Option<String>,
        /// Where to write the chart.
        #[arg(long, default_value = "BENCHMARKS-server.svg")]
        chart: PathBuf,
    },
    /// (internal) The bare axum handler of `server`, in its own process.
    #[command(hide = true)]
    BareEcho {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:0")]
        bind: String,
    },
    /// (internal) The client side of `data`, in its own process.
    #[command(hide = true)]
    DataClient {
        base_url: String,
        source: PathBuf,
        target: PathBuf,
    },
}

fn main() -> ExitCode {
    let result = match Args::parse().command {
        Scenario::Data {
            size_mib,
            runs,
            chart,
            baseline,
            server_cpus,
        } => data::run(size_mib, runs, baseline.as_deref(), server_cpus.as_deref()).and_then(
            |report| {
                println!("{}", data::markdown(&report));
                std::fs::write(&chart, data::svg(&report)).map_err(|e| e.to_string())?;
                println!("chart: {}", chart.display());
                if let Ok(json) = serde_json::to_string(&report) {
                    println!("{json}");
                }
                Ok(())
            },
        ),
        Scenario::Algo {
            seconds,
            runs,
            chart,
            server_cpus,
        } => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
            .and_then(|rt| {
                rt.block_on(algo::run(
                    &[1, 8, 64],
                    runs,
                    std::time::Duration::from_secs(seconds),
                    server_cpus.as_deref(),
                ))
            })
            .and_then(|table| {
                println!("{}", algo::markdown(&table));
                std::fs::write(&chart, algo::svg(&table)).map_err(|e| e.to_string())?;
                println!("chart: {}", chart.display());
                Ok(())
            }),
        Scenario::Hosted {
            seconds,
            runs,
            before_pools,
            pushes,
            chart,
        } => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
            .and_then(|rt| {
                let report = rt.block_on(hosted::run(
                    &[1, 8, 64],
                    runs,
                    std::time::Duration::from_secs(seconds),
                    before_pools,
                ))?;
                println!("{}", hosted::markdown(&report));
                if let Ok(json) = serde_json::to_string(&report) {
                    println!("{json}");
                }
                std::fs::write(&chart, hosted::svg(&report)).map_err(|e| e.to_string())?;
                println!("chart: {}", chart.display());
                if pushes > 0 {
                    let report = rt.block_on(push::run(pushes))?;
                    println!("{}", push::markdown(&report));
                    if let Ok(json) = serde_json::to_string(&report) {
                        println!("{json}");
                    }
                }
                Ok(())
            }),
        Scenario::Cli {
            files,
            size_mib,
            runs,
        } => cli::run(files, size_mib, runs).map(|report| {
            println!("{}", cli::markdown(&report));
            if let Ok(json) = serde_json::to_string(&report) {
                println!("{json}");
            }
        }),
        Scenario::Blueprint { runs, batches_only } => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
            .and_then(|rt| rt.block_on(blueprint::run(runs, batches_only))),
        Scenario::Server {
            concurrency,
            seconds,
            runs,
            server_cpus,
            chart,
        } => server::run(
            concurrency,
            runs,
            std::time::Duration::from_secs(seconds),
            server_cpus.as_deref(),
        )
        .and_then(|report| {
            println!("{}", server::markdown(&report));
            if let Ok(json) = serde_json::to_string(&report) {
                println!("{json}");
            }
            std::fs::write(&chart, server::svg(&report)).map_err(|e| e.to_string())?;
            println!("chart: {}", chart.display());
            Ok(())
        }),
        Scenario::BareEcho { bind } => server::serve_bare(&bind),
        Scenario::DataClient {
            base_url,
            source,
            target,
        } => data::client_child(&base_url, &source, &target),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("algorithmia-bench: {message}");
            ExitCode::FAILURE
        }
    }
}
