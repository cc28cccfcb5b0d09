//! The blueprint's `bootstrap` (release build) under a minimal Runtime API served here, against
//! `algorithmia-local`, with AWS in `moto_server` on loopback: time from process start to the
//! first `/next`, the wall time of a 1,000-record Kinesis batch with idempotency and a result
//! destination off and on, the cold start with each key source, peak memory, binary sizes.

mod aws;
mod bare;
mod report;
mod runtime;

use serde_json::{Value, json};

use self::aws::{Aws, Moto};
use self::report::{ColdStart, Workload};
use self::runtime::{BootstrapRun, FUNCTION_NAME, kinesis_batch, plain_key, run_once};
use crate::proc::Server;

/// Records in each measured batch.
const RECORDS: usize = 1000;
/// The blueprint's `ALGORITHMIA_CONCURRENCY` in every run.
const CONCURRENCY: u32 = 32;

/// Fewer runs than this give no honest spread (min, median, max) of a batch.
const MIN_RUNS: usize = 5;

/// The whole blueprint scenario, `runs` times each, interleaved: the Echo and the Delay batch
/// with idempotency and a result destination off then on, then the cold start with each key
/// source. With `batches_only`, only the batches with both off (no moto): the quick comparison
/// of two builds.
pub(crate) async fn run(runs: usize, batches_only: bool) -> Result<(), String> {
    if runs < MIN_RUNS {
        return Err(format!(
            "blueprint: --runs {runs} is too few for a spread; use at least {MIN_RUNS}"
        ));
    }
    let server = Server::start(&[])?;
    if batches_only {
        return batches(&server, runs).await;
    }
    let moto = Moto::start()?;
    let aws = Aws::new(&moto);
    let mut workloads = workloads();
    for i in 0..runs {
        for w in &mut workloads {
            let event = kinesis_batch(RECORDS, &w.input);
            let off = run_once(
                &server,
                w.algorithm,
                CONCURRENCY,
                event.clone(),
                &[plain_key()],
            )
            .await
            .map_err(|e| {
                format!(
                    "{} with idempotency and results off, run {i}: {e}",
                    w.algorithm
                )
            })?;
            w.off.push(off);
            w.bare.push(bare_batch(&server, w).await?);
            let (on, delivered) = run_on(&server, &moto, &aws, w, event, i).await?;
            w.on.push(on);
            w.delivered.push(delivered);
        }
    }
    let cold = cold_starts(&server, &moto, &aws, runs).await?;
    drop(moto);
    report::print(runs, &workloads, &cold)
}

/// The Echo and the Delay batch with idempotency and results off, `runs` times each,
/// interleaved, and their table.
async fn batches(server: &Server, runs: usize) -> Result<(), String> {
    let mut workloads = workloads();
    for i in 0..runs {
        for w in &mut workloads {
            let event = kinesis_batch(RECORDS, &w.input);
            let off = run_once(server, w.algorithm, CONCURRENCY, event, &[plain_key()])
                .await
                .map_err(|e| format!("{} batch, run {i}: {e}", w.algorithm))?;
            w.off.push(off);
            w.bare.push(bare_batch(server, w).await?);
        }
    }
    report::print_batches(runs, &workloads)
}

/// `w`'s batch sent by the bare client, the floor on this server: its wall time in ms.
async fn bare_batch(server: &Server, w: &Workload) -> Result<f64, String> {
    let (url, algorithm, input) = (server.base_url.clone(), w.algorithm, w.input.clone());
    tokio::task::spawn_blocking(move || {
        bare::batch_ms(&url, algorithm, &input, RECORDS, CONCURRENCY as usize)
    })
    .await
    .map_err(|e| format!("{algorithm} bare client: {e}"))?
    .map_err(|e| format!("{algorithm}: {e}"))
}

/// The two batches measured: every record calls `util/Echo`, or `util/Delay` for 20 ms.
fn workloads() -> [Workload; 2] {
    [
        Workload::new("util/Echo", "util/Echo", "echo", json!({"hello": "world"})),
        Workload::new("util/Delay 20 ms", "util/Delay", "delay", json!({"ms": 20})),
    ]
}

/// One run of `w`'s batch with a fresh idempotency table and results queue (so that no record is
/// a duplicate of an earlier run's): its figures and the results found in the queue, an error
/// unless every record's result is there exactly once and every record left its mark.
async fn run_on(
    server: &Server,
    moto: &Moto,
    aws: &Aws,
    w: &Workload,
    event: Vec<u8>,
    i: usize,
) -> Result<(BootstrapRun, usize), String> {
    let services = aws.run_services(&format!("bench-{}-{i}", w.slug)).await?;
    let mut env = moto.env();
    env.push(plain_key());
    env.extend(services.env());
    let on = run_once(server, w.algorithm, CONCURRENCY, event, &env)
        .await
        .map_err(|e| {
            format!(
                "{} with idempotency and results on, run {i}: {e}",
                w.algorithm
            )
        })?;
    let (documents, distinct) = aws.results(&services).await?;
    let marks = aws.marks(&services).await?;
    if documents != RECORDS || distinct != RECORDS || marks != RECORDS {
        return Err(format!(
            "{} with idempotency and results on, run {i}: {documents} results in the queue \
             ({distinct} distinct records) and {marks} marks in the table, {RECORDS} of each \
             expected: a run that lost results is not a measurement",
            w.algorithm
        ));
    }
    Ok((on, documents))
}

/// `runs` cold starts to the first `/next` with each key source, interleaved; each answers a
/// one-record Echo batch, so the key it resolved is the right one.
async fn cold_starts(
    server: &Server,
    moto: &Moto,
    aws: &Aws,
    runs: usize,
) -> Result<Vec<ColdStart>, String> {
    let (_, key) = plain_key();
    let cases = aws.key_cases(&key, FUNCTION_NAME).await?;
    let event = kinesis_batch(1, &Value::from("hello"));
    let mut cold: Vec<ColdStart> = cases
        .iter()
        .map(|c| ColdStart {
            label: c.label,
            variable: c.variable,
            ms: Vec::new(),
        })
        .collect();
    for i in 0..runs {
        for (case, times) in cases.iter().zip(&mut cold) {
            let mut env = moto.env();
            env.push((case.variable, case.value.clone()));
            let run = run_once(server, "util/Echo", CONCURRENCY, event.clone(), &env)
                .await
                .map_err(|e| format!("cold start with the {} key, run {i}: {e}", case.label))?;
            times.ms.push(run.start_to_first_next_ms);
        }
    }
    Ok(cold)
}
