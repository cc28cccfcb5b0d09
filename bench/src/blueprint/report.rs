//! The blueprint's tables, as BENCHMARKS.md records them.

use serde_json::Value;

use super::runtime::BootstrapRun;
use super::{CONCURRENCY, RECORDS};
use crate::proc::{repo_target, sibling};
use crate::stats::{Spread, median};

/// One batch measured with idempotency and a result destination off and on.
pub(crate) struct Workload {
    /// How the table names it.
    pub(crate) label: &'static str,
    /// The algorithm every record calls.
    pub(crate) algorithm: &'static str,
    /// A name for its moto resources.
    pub(crate) slug: &'static str,
    /// Every record's input.
    pub(crate) input: Value,
    /// The runs with neither.
    pub(crate) off: Vec<BootstrapRun>,
    /// The runs with the idempotency table and the SQS result destination.
    pub(crate) on: Vec<BootstrapRun>,
    /// The results found in the queue after each `on` run.
    pub(crate) delivered: Vec<usize>,
    /// The same batch sent by the bare client ([`super::bare`]), each run, in ms.
    pub(crate) bare: Vec<f64>,
}

impl Workload {
    /// Not measured yet.
    pub(crate) fn new(
        label: &'static str,
        algorithm: &'static str,
        slug: &'static str,
        input: Value,
    ) -> Workload {
        Workload {
            label,
            algorithm,
            slug,
            input,
            off: Vec::new(),
            on: Vec::new(),
            delivered: Vec::new(),
            bare: Vec::new(),
        }
    }

    fn batch_ms(runs: &[BootstrapRun]) -> f64 {
        median(runs.iter().map(|r| r.batch_ms).collect())
    }

    /// The batch's wall time over `runs`: `median ms (min .., max ..)`.
    fn spread(runs: &[BootstrapRun]) -> String {
        let Spread {
            min,
            median: med,
            max,
        } = Spread::of(runs.iter().map(|r| r.batch_ms).collect());
        format!("{med:.0} ms (min {min:.0}, max {max:.0})")
    }

    /// Its row of the first table: the spread of the runs without idempotency and results, and
    /// against what it is judged (a delay batch: the ideal of a sliding window, `records × delay
    /// ÷ concurrency`, and the floor of whole rounds; an echo batch: the time a record).
    fn row(&self) -> String {
        let ms = Workload::batch_ms(&self.off);
        let spread = Workload::spread(&self.off);
        match self.input.get("ms").and_then(Value::as_f64) {
            Some(delay) => {
                let ideal = RECORDS as f64 / f64::from(CONCURRENCY) * delay;
                // The busiest of the 32 slots makes ceil(records / concurrency) calls.
                let floor = RECORDS.div_ceil(CONCURRENCY as usize) as f64 * delay;
                format!(
                    "| {RECORDS} Kinesis records, {}, concurrency {CONCURRENCY} | {spread}; ideal {ideal:.0} ms, median {:+.1}% (whole rounds: {floor:.0} ms, {:+.1}%) | within 5% of the ideal |",
                    self.label,
                    (ms / ideal - 1.0) * 100.0,
                    (floor / ideal - 1.0) * 100.0,
                )
            }
            None => {
                // The bootstrap is the batch's bottleneck here: the CPU it spends is steadier
                // than the batch's wall time, which the machine's other work moves.
                let cpu = Spread::of(self.off.iter().map(|r| r.batch_cpu_ms).collect());
                let per_record = |ms: f64| ms * 1000.0 / RECORDS as f64;
                format!(
                    "| {RECORDS} Kinesis records, {}, concurrency {CONCURRENCY} | {spread}; {:.0} µs a record (median); the bootstrap's CPU {:.1} µs a record (min {:.1}, max {:.1}) | |",
                    self.label,
                    per_record(ms),
                    per_record(cpu.median),
                    per_record(cpu.min),
                    per_record(cpu.max),
                )
            }
        }
    }

    /// Its row for the bare client, the floor on this server: its spread, and what the
    /// `bootstrap` takes above it (medians).
    fn bare_row(&self) -> Option<String> {
        if self.bare.is_empty() {
            return None;
        }
        let Spread {
            min,
            median: bare,
            max,
        } = Spread::of(self.bare.clone());
        let ours = Workload::batch_ms(&self.off);
        let spread = format!("{bare:.0} ms (min {min:.0}, max {max:.0})");
        let label = format!(
            "{RECORDS} Kinesis records' calls, {}, concurrency {CONCURRENCY}, bare client (the floor here: requests built beforehand, one thread, no HTTP library)",
            self.label
        );
        Some(match self.input.get("ms").and_then(Value::as_f64) {
            Some(delay) => {
                let ideal = RECORDS as f64 / f64::from(CONCURRENCY) * delay;
                format!(
                    "| {label} | {spread}; ideal {ideal:.0} ms, median {:+.1}%; the bootstrap's median is {:+.1}% over it | |",
                    (bare / ideal - 1.0) * 100.0,
                    (ours / bare - 1.0) * 100.0,
                )
            }
            None => format!(
                "| {label} | {spread}; {:.0} µs a record; the bootstrap takes {:+.0} µs a record more (medians) | |",
                bare * 1000.0 / RECORDS as f64,
                (ours - bare) * 1000.0 / RECORDS as f64,
            ),
        })
    }

    /// The batch's rows: the bootstrap's, then the bare client's when it ran.
    fn rows(&self) -> String {
        match self.bare_row() {
            Some(bare) => format!("{}\n{bare}", self.row()),
            None => self.row(),
        }
    }
}

/// The cold starts with one key source.
pub(crate) struct ColdStart {
    /// How the table names the source.
    pub(crate) label: &'static str,
    /// Its variable.
    pub(crate) variable: &'static str,
    /// Process start to the first `/next`, each run, in ms.
    pub(crate) ms: Vec<f64>,
}

fn peak(runs: &[&BootstrapRun]) -> f64 {
    runs.iter().map(|r| r.peak_rss_mib).fold(0.0, f64::max)
}

fn start(runs: &[&BootstrapRun]) -> f64 {
    median(runs.iter().map(|r| r.start_to_first_next_ms).collect())
}

/// Print the three tables: today's rows (from the runs with idempotency and results off), the
/// cost of turning them on, and the cold start by key source.
pub(crate) fn print(runs: usize, workloads: &[Workload], cold: &[ColdStart]) -> Result<(), String> {
    let off: Vec<&BootstrapRun> = workloads.iter().flat_map(|w| &w.off).collect();
    let on: Vec<&BootstrapRun> = workloads.iter().flat_map(|w| &w.on).collect();
    println!("| blueprint measure ({runs} runs: median (min, max)) | value | goal |");
    println!("| --- | --- | --- |");
    println!("| process start to first /next | {:.1} ms | |", start(&off));
    for w in workloads {
        println!("{}", w.rows());
    }
    println!("| peak RSS | {:.1} MiB | under 40 MiB |", peak(&off));
    let size = |path: std::path::PathBuf| {
        std::fs::metadata(path)
            .map(|m| m.len() as f64 / 1024.0 / 1024.0)
            .ok()
    };
    if let Some(mib) = size(sibling("algorithmia-blueprint")?) {
        println!("| release binary, x86_64 | {mib:.1} MiB | |");
    }
    if let Some(mib) = size(repo_target().join("lambda/algorithmia-blueprint/bootstrap")) {
        println!("| bootstrap, aarch64 (cargo lambda build --release --arm64) | {mib:.1} MiB | |");
    }

    println!();
    println!(
        "| {RECORDS} Kinesis records, concurrency {CONCURRENCY} ({runs} runs, off and on interleaved: median (min, max)) | off | on: DynamoDB idempotency table + SQS result destination | added a record (against moto, a Python server on loopback, not AWS) | results in the queue after each on-run |"
    );
    println!("| --- | --- | --- | --- | --- |");
    for w in workloads {
        let (off_ms, on_ms) = (Workload::batch_ms(&w.off), Workload::batch_ms(&w.on));
        let counts: Vec<String> = w.delivered.iter().map(usize::to_string).collect();
        println!(
            "| {} | {} | {} | {:+.0} µs (medians) | {} |",
            w.label,
            Workload::spread(&w.off),
            Workload::spread(&w.on),
            (on_ms - off_ms) * 1000.0 / RECORDS as f64,
            counts.join(", ")
        );
    }
    println!(
        "| process start to first /next | {:.1} ms | {:.1} ms | | |",
        start(&off),
        start(&on)
    );
    println!(
        "| peak RSS | {:.1} MiB | {:.1} MiB | | |",
        peak(&off),
        peak(&on)
    );

    println!();
    println!(
        "| cold start to first /next, by key source (median of {runs}, interleaved; KMS, SSM and Secrets Manager in moto on loopback) | value | over plaintext |"
    );
    println!("| --- | --- | --- |");
    let plain = cold.first().map(|c| median(c.ms.clone()));
    for c in cold {
        let ms = median(c.ms.clone());
        let over = match plain {
            Some(p) if c.variable != "ALGORITHMIA_API_KEY" => format!("{:+.1} ms", ms - p),
            _ => String::new(),
        };
        println!("| {} (`{}`) | {ms:.1} ms | {over} |", c.label, c.variable);
    }
    Ok(())
}

/// The batches alone (`--batches-only`): each batch's row, and the machine's load.
pub(crate) fn print_batches(runs: usize, workloads: &[Workload]) -> Result<(), String> {
    println!("| blueprint batch ({runs} runs, interleaved: median (min, max)) | value | goal |");
    println!("| --- | --- | --- |");
    for w in workloads {
        println!("{}", w.rows());
    }
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!();
        println!("load average after the runs: {}", load.trim());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(batch_ms: f64) -> BootstrapRun {
        BootstrapRun {
            start_to_first_next_ms: 5.0,
            batch_ms,
            batch_cpu_ms: batch_ms * 0.9,
            peak_rss_mib: 20.0,
        }
    }

    #[test]
    fn the_bare_clients_rows_say_what_the_bootstrap_takes_above_it() {
        let mut echo = Workload::new("util/Echo", "util/Echo", "echo", json!({"hello": "world"}));
        echo.off = [31.0, 30.0, 29.0].map(run).to_vec();
        assert!(!echo.rows().contains("bare client"), "no bare runs, no row");
        echo.bare = vec![13.0, 12.0, 11.0];
        let rows = echo.rows();
        assert!(
            rows.contains("| 12 ms (min 11, max 13); 12 µs a record"),
            "{rows}"
        );
        assert!(rows.contains("takes +18 µs a record more"), "{rows}");
        assert!(
            rows.contains("the bootstrap's CPU 27.0 µs a record (min 26.1, max 27.9)"),
            "{rows}"
        );

        let mut delay = Workload::new("util/Delay 20 ms", "util/Delay", "delay", json!({"ms": 20}));
        delay.off = [680.0, 678.0, 676.0].map(run).to_vec();
        delay.bare = vec![662.0, 660.0, 664.0];
        let rows = delay.rows();
        assert!(rows.contains("ideal 625 ms, median +5.9%"), "{rows}");
        assert!(
            rows.contains("the bootstrap's median is +2.4% over it"),
            "{rows}"
        );
    }
}
