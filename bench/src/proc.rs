//! Child processes and their peak memory.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// Peak resident memory (`VmHWM`) of a process, in KiB, from `/proc/<pid>/status`.
pub(crate) fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The CPU time process `pid` has used, summed over its threads, in nanoseconds (the scheduler's
/// own count, `/proc/<pid>/task/*/schedstat`: exact, where `utime` and `stime` count 10 ms
/// ticks). A thread that ended, even while this reads, is not counted. None when the process is
/// gone or the kernel keeps no such count.
pub(crate) fn cpu_ns(pid: u32) -> Option<u64> {
    let mut total = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let Ok(stat) = task.and_then(|t| std::fs::read_to_string(t.path().join("schedstat")))
        else {
            continue;
        };
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

/// A binary built beside this one (same target directory and profile).
pub(crate) fn sibling(name: &str) -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let path = exe.parent().ok_or("no parent directory")?.join(name);
    if path.exists() {
        Ok(path)
    } else {
        Err(format!(
            "{} is missing: build it with `cargo build --release -p {name}`",
            path.display()
        ))
    }
}

/// The target directory this binary was built into (`target/`).
pub(crate) fn repo_target() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().and_then(|p| p.parent()).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("target"))
}

/// A started `algorithmia-local`, killed when dropped.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base_url: String,
}

impl Server {
    pub(crate) fn start(args: &[&str]) -> Result<Server, String> {
        Server::start_on(args, None)
    }

    /// Start it, pinned to `cpus` (a `taskset -c` list) when given.
    pub(crate) fn start_on(args: &[&str], cpus: Option<&str>) -> Result<Server, String> {
        let binary = sibling("algorithmia-local")?;
        Server::start_binary(&binary, args, cpus)
    }

    /// Start `binary` (an `algorithmia-local`, possibly another build of it) with `args`.
    pub(crate) fn start_binary(
        binary: &std::path::Path,
        args: &[&str],
        cpus: Option<&str>,
    ) -> Result<Server, String> {
        let mut all = vec!["--bind", "127.0.0.1:0", "--api-key", "simBench:bench"];
        all.extend_from_slice(args);
        Server::spawn(binary, &all, cpus)
    }

    /// Start any program that prints its base URL as its first line of stdout, pinned to `cpus`
    /// (a `taskset -c` list) when given.
    pub(crate) fn spawn(
        binary: &std::path::Path,
        args: &[&str],
        cpus: Option<&str>,
    ) -> Result<Server, String> {
        let mut command = match cpus {
            Some(list) => {
                let mut c = Command::new("taskset");
                c.args(["-c", list]).arg(binary);
                c
            }
            None => Command::new(binary),
        };
        let mut child = command
            .args(args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("could not start {}: {e}", binary.display()))?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().ok_or("no stdout")?)
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        Ok(Server {
            child,
            base_url: line.trim().to_owned(),
        })
    }

    pub(crate) fn peak_rss_kib(&self) -> Option<u64> {
        peak_rss_kib(self.child.id())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_grows_with_work_done() {
        let pid = std::process::id();
        let before = cpu_ns(pid).expect("this kernel keeps /proc/<pid>/task/*/schedstat");
        // 20 million dependent multiplications: at least 60 million cycles, some 20 ms, however
        // busy the machine (a count of work, not of time).
        let mut x = 1u64;
        for _ in 0..20_000_000 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
        let after = cpu_ns(pid).unwrap();
        assert!(after - before >= 5_000_000, "{before} -> {after} ({x})");
        assert_eq!(cpu_ns(u32::MAX), None);
    }
}
