//! The tokio runtime a function runs on, sized to the CPU time Lambda gives it.
//!
//! Lambda shows a function two or more cores whatever its memory, but gives it CPU time in
//! proportion to its memory: the equivalent of one vCPU at 1,769 MB ([`MB_PER_VCPU`]). Below
//! that, a second worker thread adds no CPU time, only the cost of waking threads: every answer
//! that reaches the other worker is a wake-up through the kernel. A function with less than two
//! vCPUs' worth runs on one thread; a bigger one gets a worker per whole vCPU, up to the cores it
//! sees. Outside Lambda (no `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`), every core gets a worker.

use std::num::NonZeroUsize;

/// The memory, in MB, at which Lambda gives a function the equivalent of one vCPU (one
/// vCPU-second of credits a second); CPU time grows in proportion to memory.
pub const MB_PER_VCPU: u64 = 1769;

/// The worker threads for a function configured with `memory_mb` (the value of
/// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, if set) on a machine showing `cores`: one per whole vCPU
/// its memory buys, at least one and at most `cores`. Without a readable memory size, `cores`.
///
/// ```
/// use lambda_blueprint::worker_threads;
///
/// assert_eq!(worker_threads(Some("256"), 2), 1); // a fraction of a vCPU
/// assert_eq!(worker_threads(Some("3538"), 2), 2); // two vCPUs' worth
/// assert_eq!(worker_threads(Some("10240"), 6), 5);
/// assert_eq!(worker_threads(None, 4), 4); // not on Lambda
/// ```
pub fn worker_threads(memory_mb: Option<&str>, cores: usize) -> usize {
    let cores = cores.max(1);
    match memory_mb.and_then(|m| m.trim().parse::<u64>().ok()) {
        Some(mb) => usize::try_from(mb / MB_PER_VCPU)
            .unwrap_or(usize::MAX)
            .clamp(1, cores),
        None => cores,
    }
}

/// The runtime for this process: [`worker_threads`] from `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` and
/// the cores the process may use; a current-thread runtime when that is one, else a
/// multi-thread runtime with that many workers. Timers and I/O are enabled on both.
///
/// ```no_run
/// use lambda_blueprint::Blueprint;
///
/// fn main() -> Result<(), lambda_runtime::Error> {
///     lambda_blueprint::runtime()?.block_on(async {
///         lambda_blueprint::run(Blueprint::from_env().await?).await
///     })
/// }
/// ```
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    let memory = std::env::var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").ok();
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let mut builder = match worker_threads(memory.as_deref(), cores) {
        1 => tokio::runtime::Builder::new_current_thread(),
        workers => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(workers);
            builder
        }
    };
    builder.enable_all().build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_worker_below_two_vcpus_and_one_per_whole_vcpu_above() {
        // Lambda's range: 128 MB to 10,240 MB.
        for (memory, cores, workers) in [
            ("128", 2, 1),
            ("1769", 2, 1),
            ("3008", 2, 1),
            ("3537", 3, 1),
            ("3538", 3, 2),
            ("5307", 3, 3),
            ("10240", 6, 5),
            // Never more workers than cores, never fewer than one.
            ("10240", 2, 2),
            ("0", 2, 1),
            ("18446744073709551615", 4, 4),
            // Not a memory size Lambda sets: every core.
            ("lots", 3, 3),
            ("", 3, 3),
            ("-1", 3, 3),
        ] {
            assert_eq!(
                worker_threads(Some(memory), cores),
                workers,
                "{memory} MB, {cores} cores"
            );
        }
        assert_eq!(worker_threads(Some(" 3538 "), 4), 2);
        assert_eq!(worker_threads(None, 3), 3);
        assert_eq!(worker_threads(None, 0), 1);
    }

    #[test]
    fn the_runtime_runs_timers_and_io() {
        let runtime = runtime().unwrap();
        runtime.block_on(async {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let address = listener.local_addr().unwrap();
            let (connected, accepted) =
                tokio::join!(tokio::net::TcpStream::connect(address), listener.accept());
            connected.unwrap();
            accepted.unwrap();
        });
    }
}
