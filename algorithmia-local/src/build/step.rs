//! One build step: a process whose stdout and stderr go, interleaved as written, into the
//! build log, run in its own process group and killed with it when its time is up.

use std::io::BufRead;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::process::Command;

use super::log::BuildLog;

/// A log several steps and reader threads append to.
pub(crate) type SharedLog = Arc<Mutex<BuildLog>>;

/// Append a line to a shared log.
pub(crate) fn note(log: &SharedLog, line: &str) {
    if let Ok(mut log) = log.lock() {
        log.line(line);
    }
}

/// Run `command` (shown in the log as `title`) with up to `timeout`; `Err` says why it failed.
pub(crate) async fn run(
    log: &SharedLog,
    title: &str,
    mut command: Command,
    timeout: Duration,
) -> Result<(), String> {
    note(log, &format!("$ {title}"));
    let (reader, writer) =
        std::io::pipe().map_err(|e| format!("could not create a pipe for {title}: {e}"))?;
    let second = writer
        .try_clone()
        .map_err(|e| format!("could not create a pipe for {title}: {e}"))?;
    command
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(second)
        .process_group(0)
        .kill_on_drop(true);
    let spawned = command.spawn();
    // Our copies of the pipe's writing end must close, or the reader never sees its end.
    drop(command);
    let mut child = spawned.map_err(|e| format!("could not start {title}: {e}"))?;
    let sink = Arc::clone(log);
    let reading = tokio::task::spawn_blocking(move || {
        let mut reader = std::io::BufReader::new(reader);
        let mut line = Vec::new();
        while matches!(reader.read_until(b'\n', &mut line), Ok(n) if n > 0) {
            if let Ok(mut log) = sink.lock() {
                log.push(&String::from_utf8_lossy(&line));
            }
            line.clear();
        }
    });
    let outcome = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) if status.success() => Ok(()),
        Ok(Ok(status)) => Err(format!("{title} failed ({status})")),
        Ok(Err(e)) => Err(format!("could not wait for {title}: {e}")),
        Err(_) => {
            kill_group(&child);
            let _ = child.kill().await;
            Err(format!(
                "{title} did not finish within {}; it was stopped",
                humantime::format_duration(timeout)
            ))
        }
    };
    // Children left behind could hold the pipe open: do not wait for them forever.
    let _ = tokio::time::timeout(Duration::from_secs(5), reading).await;
    outcome
}

/// Kill the step's whole process group (pip's children too).
fn kill_group(child: &tokio::process::Child) {
    if let Some(pid) = child.id() {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
