//! `algorithmia-local`: serve the Algorithmia API v1 on this machine.

/// mimalloc for the binary: the server allocates per request, and glibc's malloc took about
/// 12% of its CPU at concurrency 64.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;

use algorithmia_local::{DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_PORT, DEFAULT_USER, LocalServer};

use clap::Parser;

/// A local server that speaks the Algorithmia API v1 and hosts real algorithms.
///
/// Prints its base URL on stdout once it accepts connections; logs go to stderr (RUST_LOG).
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on: ADDR (port 9000) or ADDR:PORT (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1")]
    bind: String,
    /// Directory for hosted data and local connectors (default: a temporary one, removed at exit).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// An accepted API key, optionally with its user (default user `local`). Repeatable.
    #[arg(long = "api-key", value_name = "KEY[:USER]")]
    api_keys: Vec<String>,
    /// An organisation and its members, e.g. `acme=alice,bob`: members manage the algorithms
    /// the organisation owns. Repeatable.
    #[arg(long = "org", value_name = "ORG=USER[,USER...]")]
    organizations: Vec<String>,
    /// Back a connector with an S3-compatible endpoint, e.g. s3=http://127.0.0.1:5000. Repeatable.
    #[arg(long = "connector", value_name = "NAME=URL")]
    connectors: Vec<String>,
    /// Entries per directory listing page.
    #[arg(long, default_value_t = 1000)]
    page_size: usize,
    /// Host an algorithm written with the official Python ADK:
    /// OWNER/NAME[@VERSION]=COMMAND (the command runs with `sh -c`). Repeatable.
    #[arg(long = "algorithm", value_name = "OWNER/NAME[@VERSION]=COMMAND")]
    algorithms: Vec<String>,
    /// Processes each --algorithm may run at once (default: the number of cores); more calls
    /// wait in a queue, and are refused with 503 when it is full.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1024))]
    algorithm_workers: Option<u64>,
    /// Threads of the server's runtime (default: one per CPU this process may run on, so that
    /// a server pinned to one CPU, `taskset -c 0`, runs one thread instead of two taking turns).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1024))]
    threads: Option<u64>,
    /// Do not register the built-in algorithms (demo/Hello, util/Echo, util/Delay, util/Fail,
    /// and opencv/SmartThumbnail and ml/PricePredictor in a build with the `workflow-algorithms`
    /// feature).
    #[arg(long)]
    no_builtins: bool,
    /// Do not host the algorithms created through the management API: no git repositories,
    /// no builds (compile answers 503), no runtimes for their versions.
    #[arg(long)]
    no_platform: bool,
    /// How long a client may take to send a request head, counted from when the server starts
    /// waiting for it; idle keep-alive connections are closed after as long (e.g. 30s, 500ms).
    #[arg(
        long,
        value_name = "DURATION",
        default_value_t = humantime::Duration::from(DEFAULT_HEADER_READ_TIMEOUT)
    )]
    header_read_timeout: humantime::Duration,
    /// Inject faults, e.g. `seed=7;algo:503=0.1,reset-after=0.05;data:latency=0.2@50ms`
    /// (kinds: latency, 429, 500, 503, reset-before, reset-after, stall). Also counts how many
    /// times each request id ran: GET /v1/local/executions/{request_id}.
    #[arg(long, value_name = "SPEC")]
    faults: Option<algorithmia_local::FaultSpec>,
}

fn parse_bind(bind: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = bind.parse::<SocketAddr>() {
        return Ok(addr);
    }
    if let Ok(ip) = bind.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, DEFAULT_PORT));
    }
    let with_port = if bind.contains(':') {
        bind.to_owned()
    } else {
        format!("{bind}:{DEFAULT_PORT}")
    };
    with_port
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| format!("--bind {bind:?} is not an address"))
}

fn run(args: Args) -> Result<(), String> {
    let mut builder = LocalServer::builder()
        .bind(parse_bind(&args.bind)?)
        .page_size(args.page_size)
        .builtins(!args.no_builtins)
        .platform(!args.no_platform)
        .header_read_timeout(args.header_read_timeout.into());
    if let Some(dir) = args.data_dir {
        builder = builder.data_dir(dir);
    }
    let from_env = std::env::var("ALGORITHMIA_LOCAL_API_KEYS").unwrap_or_default();
    let keys = args
        .api_keys
        .iter()
        .map(String::as_str)
        .chain(from_env.split(',').map(str::trim).filter(|k| !k.is_empty()));
    for entry in keys {
        let (key, user) = entry.split_once(':').unwrap_or((entry, DEFAULT_USER));
        builder = builder.api_key(key, user);
    }
    for entry in &args.organizations {
        let (org, members) = entry
            .split_once('=')
            .ok_or_else(|| format!("--org {entry:?} is not ORG=USER[,USER...]"))?;
        builder = builder.organization(org, members.split(',').map(str::trim));
    }
    for entry in &args.connectors {
        let (name, target) = entry
            .split_once('=')
            .ok_or_else(|| format!("--connector {entry:?} is not NAME=URL"))?;
        builder = builder.connector(name, target);
    }
    if let Some(spec) = args.faults {
        tracing::warn!(%spec, "injecting faults");
        builder = builder.faults(spec);
    }
    let threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(2, |n| n.get()),
        |n| usize::try_from(n).unwrap_or(1),
    );
    builder = builder.worker_threads(threads);
    if let Some(workers) = args.algorithm_workers {
        builder = builder.adk_workers(usize::try_from(workers).unwrap_or(1));
    }
    for spec in &args.algorithms {
        builder = builder.adk_algorithm(algorithmia_local::AdkAlgorithm::parse(spec)?);
    }
    let server = builder.start().map_err(|e| e.to_string())?;
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", server.base_url()).map_err(|e| e.to_string())?;
        out.flush().map_err(|e| e.to_string())?;
    }
    let signals = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    signals.block_on(async {
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .map_err(|e| e.to_string())?;
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
        Ok::<(), String>(())
    })?;
    tracing::info!("shutting down");
    server.shutdown();
    Ok(())
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("algorithmia-local: {message}");
            ExitCode::FAILURE
        }
    }
}
