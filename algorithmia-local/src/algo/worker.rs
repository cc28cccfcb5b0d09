//! One ADK process of a [`WorkerPool`](super::pool::WorkerPool): started with a FIFO of its own,
//! loaded (`PIPE_INIT_COMPLETE`), then fed one request at a time by whoever holds it.
//!
//! The runner protocol: one JSON request per line on the process's stdin (`{"content_type":
//! "text"|"json"|"binary", "data": ...}`, binary as base64); one JSON response per line on the
//! FIFO. The shim (`adk_sitecustomize.py`) sends the ADK's fixed `/tmp/algoout` to the path in
//! `ALGORITHMIA_LOCAL_FIFO`, and writes an end-of-call marker on stdout just before each
//! response, so the call's prints are all in hand when its response is.
//!
//! Each worker runs in a process group of its own, so that stopping it also stops whatever the
//! algorithm started; the FIFO is opened read-write, so opening never blocks and a dead writer
//! cannot hang a read.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::pipe;
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::{mpsc, oneshot};

use super::{AlgoResult, Input, Output};
use crate::context::Context;
use crate::error::AlgoError;

/// How long loading (until `PIPE_INIT_COMPLETE`) may take.
pub(crate) const INIT_TIMEOUT: Duration = Duration::from_secs(120);
/// The environment variable that names a worker's own FIFO (read by the shim).
pub(crate) const FIFO_ENV: &str = "ALGORITHMIA_LOCAL_FIFO";
/// What the shim writes on stdout before each response (the line then ends).
const END_MARKER: &str = "\u{1e}ALGORITHMIA_LOCAL_END\u{1e}";
/// How long a response's end-of-call marker may lag behind it (it is written first, so this is
/// only reached by a runner without the shim).
const MARKER_GRACE: Duration = Duration::from_millis(500);
/// Lines of stderr kept for error messages.
const STDERR_LINES: usize = 16;

/// The last lines an algorithm wrote to stderr.
type StderrTail = Arc<StdMutex<VecDeque<String>>>;

/// A loaded ADK process, owned by the call it serves (which is its lock).
pub(crate) struct Worker {
    child: Child,
    stdin: ChildStdin,
    fifo: BufReader<pipe::Receiver>,
    fifo_path: PathBuf,
    /// One message per response: what the algorithm printed for it.
    printed: mpsc::UnboundedReceiver<String>,
    stderr: StderrTail,
}

/// What a worker needs to start: the command, where, with which environment.
pub(crate) struct Launch<'a> {
    /// The algorithm's name, for logs and messages.
    pub(crate) name: &'a str,
    /// Run with `sh -c "exec COMMAND"`.
    pub(crate) command: &'a str,
    pub(crate) cwd: Option<&'a Path>,
    /// The whole environment to add (never logged).
    pub(crate) env: &'a [(String, String)],
    /// The FIFO to create for this worker (it must not exist).
    pub(crate) fifo: PathBuf,
}

fn tail_of(stderr: &StderrTail, lines: usize) -> String {
    let tail = stderr.lock().map(|t| t.clone()).unwrap_or_default();
    let skip = tail.len().saturating_sub(lines);
    tail.into_iter().skip(skip).collect::<Vec<_>>().join("\n")
}

fn with_stderr(message: String, stderr: &StderrTail) -> String {
    let tail = tail_of(stderr, 5);
    if tail.is_empty() {
        message
    } else {
        format!("{message}. Its stderr ended with: {tail}")
    }
}

impl Worker {
    /// Create the FIFO, start the process, and wait until it has loaded.
    pub(crate) async fn start(launch: Launch<'_>) -> Result<Worker, String> {
        let Launch {
            name,
            command,
            cwd,
            env,
            fifo: fifo_path,
        } = launch;
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo_path,
            rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
        )
        .map_err(|e| format!("could not create the FIFO {}: {e}", fifo_path.display()))?;
        let receiver = pipe::OpenOptions::new()
            .read_write(true)
            .open_receiver(&fifo_path)
            .map_err(|e| format!("could not open the FIFO {}: {e}", fifo_path.display()));
        let receiver = match receiver {
            Ok(receiver) => receiver,
            Err(e) => {
                let _ = std::fs::remove_file(&fifo_path);
                return Err(e);
            }
        };
        let mut process = Command::new("sh");
        process
            .arg("-c")
            .arg(format!("exec {command}"))
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env(FIFO_ENV, &fifo_path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        if let Some(dir) = cwd {
            process.current_dir(dir);
        }
        let spawned = process.spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) => {
                let _ = std::fs::remove_file(&fifo_path);
                return Err(format!("could not start {command:?}: {e}"));
            }
        };
        let (stdin, stdout, stderr) =
            match (child.stdin.take(), child.stdout.take(), child.stderr.take()) {
                (Some(i), Some(o), Some(e)) => (i, o, e),
                _ => {
                    let _ = std::fs::remove_file(&fifo_path);
                    return Err("the process has no stdin, stdout or stderr".into());
                }
            };
        let stderr_tail: StderrTail = Arc::default();
        let stderr_done = tokio::spawn(read_stderr(stderr, Arc::clone(&stderr_tail)));
        let (printed_tx, printed) = mpsc::unbounded_channel();
        let (ready_tx, ready) = oneshot::channel();
        tokio::spawn(read_stdout(stdout, name.to_owned(), ready_tx, printed_tx));
        let mut worker = Worker {
            child,
            stdin,
            fifo: BufReader::new(receiver),
            fifo_path,
            printed,
            stderr: stderr_tail,
        };
        let failure = tokio::select! {
            loaded = tokio::time::timeout(INIT_TIMEOUT, ready) => match loaded {
                Ok(Ok(Ok(()))) => return Ok(worker),
                Ok(Ok(Err(reason))) => reason,
                Ok(Err(_)) | Err(_) => format!(
                    "did not finish loading within {} s (no PIPE_INIT_COMPLETE)",
                    INIT_TIMEOUT.as_secs()
                ),
            },
            status = worker.child.wait() => format!(
                "exited while loading ({})",
                status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string())
            ),
        };
        worker.kill();
        // Its stderr ends when it does: take the last lines before reporting.
        let _ = tokio::time::timeout(Duration::from_millis(500), stderr_done).await;
        Err(format!("{name} {}", with_stderr(failure, &worker.stderr)))
    }

    /// The process id (none once it has been reaped).
    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Run one call. `Ok` holds the algorithm's own answer (a result or its exception); `Err`
    /// says the worker broke (exited, closed its pipes, wrote garbage) and must be replaced.
    pub(crate) async fn call(
        &mut self,
        input: &Input,
        ctx: &Context,
    ) -> Result<AlgoResult, String> {
        let request = match input {
            Input::Json(v) => json!({"content_type": "json", "data": v}),
            Input::Text(s) => json!({"content_type": "text", "data": s}),
            Input::Binary(b) => json!({
                "content_type": "binary",
                "data": base64::engine::general_purpose::STANDARD.encode(b),
            }),
        };
        // Prints made while idle belong to no call.
        while self.printed.try_recv().is_ok() {}
        let mut line = request.to_string();
        line.push('\n');
        let written = async {
            self.stdin.write_all(line.as_bytes()).await?;
            self.stdin.flush().await
        }
        .await;
        let mut response = String::new();
        let outcome = match written {
            Err(e) => Err(format!("could not send the request: {e}")),
            // Biased: a response already written wins over an exit that follows it.
            Ok(()) => tokio::select! {
                biased;
                read = self.fifo.read_line(&mut response) => match read {
                    Ok(n) if n > 0 => Ok(()),
                    Ok(_) => Err("the response pipe closed".to_owned()),
                    Err(e) => Err(format!("could not read the response: {e}")),
                },
                status = self.child.wait() => Err(format!(
                    "the algorithm process exited ({})",
                    status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string())
                )),
            },
        };
        if let Err(reason) = outcome {
            return Err(with_stderr(reason, &self.stderr));
        }
        if let Ok(Some(printed)) = tokio::time::timeout(MARKER_GRACE, self.printed.recv()).await {
            ctx.print(&printed);
        }
        match parse_response(&response) {
            Ok(answer) => Ok(answer),
            Err(garbage) => Err(garbage),
        }
    }

    /// Kill the process group now, without waiting.
    fn kill(&mut self) {
        if let Some(pid) = self.child.id()
            && let Some(group) = rustix::process::Pid::from_raw(pid as i32)
        {
            let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        }
        let _ = self.child.start_kill();
    }

    /// Kill the process group and wait until the process is gone.
    pub(crate) async fn stop(mut self) {
        self.kill();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill();
        // A killed process is reaped within moments: do it here, so none lingers as a zombie
        // when the runtime that would reap it is going away.
        for _ in 0..25 {
            match self.child.try_wait() {
                Ok(None) => std::thread::sleep(Duration::from_millis(2)),
                Ok(Some(_)) | Err(_) => break,
            }
        }
        let _ = std::fs::remove_file(&self.fifo_path);
    }
}

/// Stderr, kept as its last lines.
async fn read_stderr(stderr: tokio::process::ChildStderr, tail: StderrTail) {
    let mut reader = BufReader::new(stderr);
    let mut line = Vec::new();
    while let Ok(n) = reader.read_until(b'\n', &mut line).await {
        if n == 0 {
            break;
        }
        if let Ok(mut tail) = tail.lock() {
            if tail.len() == STDERR_LINES {
                tail.pop_front();
            }
            tail.push_back(String::from_utf8_lossy(&line).trim_end().to_owned());
        }
        line.clear();
    }
}

/// Stdout: `PIPE_INIT_COMPLETE` says it has loaded; then each end-of-call marker closes what
/// the call printed.
async fn read_stdout(
    stdout: tokio::process::ChildStdout,
    name: String,
    ready: oneshot::Sender<Result<(), String>>,
    printed: mpsc::UnboundedSender<String>,
) {
    let mut reader = BufReader::new(stdout);
    let mut ready = Some(ready);
    let mut raw = Vec::new();
    let mut buffer = String::new();
    while let Ok(n) = reader.read_until(b'\n', &mut raw).await {
        if n == 0 {
            break;
        }
        let line = String::from_utf8_lossy(&raw).into_owned();
        raw.clear();
        if let Some(signal) = ready.take() {
            match line.trim() {
                "PIPE_INIT_COMPLETE" => {
                    let _ = signal.send(Ok(()));
                    buffer.clear();
                    continue;
                }
                // The ADK prints this when it found no FIFO and so runs in its local mode.
                "loading complete" => {
                    let _ = signal.send(Err(
                        "loaded without seeing its FIFO (the ADK printed `loading complete`, not \
                         PIPE_INIT_COMPLETE): is Python run with -I or -S, which skip the \
                         sitecustomize on PYTHONPATH?"
                            .into(),
                    ));
                    continue;
                }
                _ => ready = Some(signal),
            }
        }
        if let Some(at) = line.find(END_MARKER) {
            buffer.push_str(&line[..at]);
            if printed.send(std::mem::take(&mut buffer)).is_err() {
                break;
            }
            continue;
        }
        tracing::debug!(algorithm = %name, line = %line.trim_end(), "stdout");
        buffer.push_str(&line);
    }
}

/// One response line: a result with its content type, or the algorithm's exception.
pub(crate) fn parse_response(line: &str) -> Result<AlgoResult, String> {
    let value: Value = serde_json::from_str(line.trim())
        .map_err(|e| format!("the algorithm wrote a response that is not JSON: {e}"))?;
    if let Some(error) = value.get("error") {
        let text = |k: &str| error.get(k).and_then(Value::as_str).map(str::to_owned);
        let mut raised = AlgoError::with_type(
            text("error_type").unwrap_or_else(|| "AlgorithmError".into()),
            text("message").unwrap_or_else(|| error.to_string()),
        );
        raised.stacktrace = text("stacktrace");
        return Ok(Err(raised));
    }
    let result = value.get("result").cloned().unwrap_or(Value::Null);
    Ok(
        match value
            .pointer("/metadata/content_type")
            .and_then(Value::as_str)
        {
            Some("text") => Ok(Output::Text(result.as_str().unwrap_or_default().to_owned())),
            Some("binary") => base64::engine::general_purpose::STANDARD
                .decode(result.as_str().unwrap_or_default())
                .map(|b| Output::Binary(Bytes::from(b)))
                .map_err(|e| {
                    AlgoError::new(format!("the algorithm's binary result is not base64: {e}"))
                }),
            _ if result.is_null() => Ok(Output::Void),
            _ => Ok(Output::Json(result)),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_parse() {
        let ok = |line: &str| parse_response(line).unwrap().unwrap();
        assert_eq!(
            ok(r#"{"result":"hi","metadata":{"content_type":"text"}}"#),
            Output::Text("hi".into())
        );
        assert_eq!(
            ok(r#"{"result":[1],"metadata":{"content_type":"json"}}"#),
            Output::Json(json!([1]))
        );
        assert_eq!(
            ok(r#"{"result":"AAE=","metadata":{"content_type":"binary"}}"#),
            Output::Binary(Bytes::from_static(&[0, 1]))
        );
        let err = parse_response(
            r#"{"error":{"message":"bad","error_type":"InputError","stacktrace":"tb"}}"#,
        )
        .unwrap()
        .unwrap_err();
        assert_eq!(
            (
                err.message.as_str(),
                err.error_type.as_str(),
                err.stacktrace.as_deref()
            ),
            ("bad", "InputError", Some("tb"))
        );
        assert!(parse_response("garbage").is_err());
    }
}
