//! Hosting algorithms written with the official Python ADK (PyPI `algorithmia-adk`), unchanged.
//!
//! The runner protocol: start the command; wait for `PIPE_INIT_COMPLETE` on its stdout; write
//! one JSON request per line to its stdin (`{"content_type": "text"|"json"|"binary", "data":
//! ...}`, binary as base64); read one JSON response per line from the FIFO `/tmp/algoout`.
//!
//! The ADK fixes that FIFO path, so every ADK process on the machine writes to the same file:
//! calls are serialised by one lock for the whole process. Each runner reads the FIFO through its
//! own end, opened read-write (so opening never blocks and a dead writer cannot hang a read).
//!
//! The official ADK 1.2.x calls `traceback.format_exception(etype=...)`, which Python 3.10 removed;
//! the runner puts a `sitecustomize.py` on `PYTHONPATH` that accepts it, so exceptions are
//! reported with their `error_type` instead of crashing the process. The ADK stays unchanged.

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex as StdMutex, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::Mutex;

use super::{AlgorithmDef, Input, Output};
use crate::context::Context;
use crate::error::AlgoError;

/// The FIFO the ADK writes its responses to.
pub const FIFO_PATH: &str = "/tmp/algoout";
/// How long loading (until `PIPE_INIT_COMPLETE`) may take.
const INIT_TIMEOUT: Duration = Duration::from_secs(120);

/// An ADK algorithm to host: `owner/name`, its version, and the command that runs it.
#[derive(Debug, Clone)]
pub struct AdkAlgorithm {
    /// `owner/name`.
    pub name: String,
    /// Its published version (`1.0.0` by default).
    pub version: String,
    /// The command, run with `sh -c`.
    pub command: String,
}

impl AdkAlgorithm {
    /// Parse `OWNER/NAME[@VERSION]=COMMAND`, the binary's `--algorithm` form.
    pub fn parse(spec: &str) -> Result<AdkAlgorithm, String> {
        let (name, command) = spec
            .split_once('=')
            .ok_or_else(|| format!("{spec:?} is not OWNER/NAME[@VERSION]=COMMAND"))?;
        let (name, version) = name.split_once('@').unwrap_or((name, "1.0.0"));
        if command.trim().is_empty() {
            return Err(format!("{spec:?} has no command"));
        }
        Ok(AdkAlgorithm {
            name: name.trim().to_owned(),
            version: version.trim().to_owned(),
            command: command.trim().to_owned(),
        })
    }
}

/// A reading end of the FIFO.
struct Fifo {
    reader: BufReader<tokio::net::unix::pipe::Receiver>,
}

/// One call at a time across every ADK process of this server process (one FIFO path).
static CALL_LOCK: OnceLock<Mutex<()>> = OnceLock::new();

fn call_lock() -> &'static Mutex<()> {
    CALL_LOCK.get_or_init(|| Mutex::new(()))
}

/// The compatibility shim (see the module documentation).
const SITECUSTOMIZE: &str = include_str!("adk_sitecustomize.py");

fn ensure_fifo_file() -> Result<(), String> {
    use std::os::unix::fs::FileTypeExt;
    match std::fs::metadata(FIFO_PATH) {
        Ok(meta) if meta.file_type().is_fifo() => Ok(()),
        Ok(_) => Err(format!("{FIFO_PATH} exists and is not a FIFO; remove it")),
        Err(_) => {
            let status = std::process::Command::new("mkfifo")
                .arg(FIFO_PATH)
                .status()
                .map_err(|e| format!("could not run mkfifo: {e}"))?;
            match std::fs::metadata(FIFO_PATH) {
                Ok(meta) if meta.file_type().is_fifo() => Ok(()),
                _ => Err(format!("mkfifo {FIFO_PATH} failed ({status})")),
            }
        }
    }
}

async fn open_fifo(slot: &mut Option<Fifo>) -> Result<&mut Fifo, String> {
    if slot.is_none() {
        ensure_fifo_file()?;
        let receiver = tokio::net::unix::pipe::OpenOptions::new()
            .read_write(true)
            .open_receiver(Path::new(FIFO_PATH))
            .map_err(|e| format!("could not open {FIFO_PATH}: {e}"))?;
        *slot = Some(Fifo {
            reader: BufReader::new(receiver),
        });
    }
    slot.as_mut().ok_or_else(|| "no FIFO".to_owned())
}

/// Discard whatever a killed process left in the FIFO.
async fn drain(fifo: &mut Fifo) {
    let mut line = String::new();
    while let Ok(Ok(n)) =
        tokio::time::timeout(Duration::from_millis(20), fifo.reader.read_line(&mut line)).await
    {
        if n == 0 {
            break;
        }
        line.clear();
    }
}

/// A running ADK process.
struct Process {
    child: Child,
    stdin: ChildStdin,
    stdout: Arc<StdMutex<String>>,
    stderr: Arc<StdMutex<String>>,
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Runs one ADK algorithm's process, restarting it when it dies.
pub(crate) struct AdkRunner {
    spec: AdkAlgorithm,
    env: Vec<(String, String)>,
    process: Mutex<Option<Process>>,
    fifo: Mutex<Option<Fifo>>,
}

impl AdkRunner {
    /// A runner whose processes get `env`, and the shim from `shim_dir` on `PYTHONPATH`.
    pub(crate) fn new(
        spec: AdkAlgorithm,
        mut env: Vec<(String, String)>,
        shim_dir: &Path,
    ) -> std::io::Result<Self> {
        std::fs::create_dir_all(shim_dir)?;
        std::fs::write(shim_dir.join("sitecustomize.py"), SITECUSTOMIZE)?;
        let mut python_path = shim_dir.display().to_string();
        if let Ok(existing) = std::env::var("PYTHONPATH")
            && !existing.is_empty()
        {
            python_path = format!("{python_path}:{existing}");
        }
        env.push(("PYTHONPATH".to_owned(), python_path));
        Ok(AdkRunner {
            spec,
            env,
            process: Mutex::new(None),
            fifo: Mutex::new(None),
        })
    }

    /// Start the process and wait until it has loaded.
    async fn spawn(&self) -> Result<Process, String> {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!("exec {}", self.spec.command))
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("could not start {:?}: {e}", self.spec.command))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        let stdout_buffer = Arc::new(StdMutex::new(String::new()));
        let stderr_buffer = Arc::new(StdMutex::new(String::new()));
        let (ready, is_ready) = tokio::sync::oneshot::channel::<()>();
        {
            let buffer = Arc::clone(&stdout_buffer);
            let name = self.spec.name.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stdout).lines();
                let mut ready = Some(ready);
                while let Ok(Some(line)) = lines.next_line().await {
                    if ready.is_some() && line.trim() == "PIPE_INIT_COMPLETE" {
                        if let Some(ready) = ready.take() {
                            let _ = ready.send(());
                        }
                        continue;
                    }
                    tracing::debug!(algorithm = %name, %line, "stdout");
                    if let Ok(mut buffer) = buffer.lock() {
                        buffer.push_str(&line);
                        buffer.push('\n');
                    }
                }
            });
        }
        {
            let buffer = Arc::clone(&stderr_buffer);
            tokio::spawn(async move {
                let mut lines = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Ok(mut buffer) = buffer.lock() {
                        buffer.push_str(&line);
                        buffer.push('\n');
                    }
                }
            });
        }
        let stderr_tail =
            |buffer: &Arc<StdMutex<String>>| buffer.lock().map(|b| tail(&b, 8)).unwrap_or_default();
        tokio::select! {
            loaded = tokio::time::timeout(INIT_TIMEOUT, is_ready) => match loaded {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => {
                    let _ = child.kill().await;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    return Err(format!(
                        "{} did not finish loading (no PIPE_INIT_COMPLETE): {}",
                        self.spec.name,
                        stderr_tail(&stderr_buffer)
                    ));
                }
            },
            status = child.wait() => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                return Err(format!(
                    "{} exited while loading ({}): {}",
                    self.spec.name,
                    status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string()),
                    stderr_tail(&stderr_buffer)
                ));
            }
        }
        if let Ok(mut buffer) = stdout_buffer.lock() {
            buffer.clear();
        }
        Ok(Process {
            child,
            stdin,
            stdout: stdout_buffer,
            stderr: stderr_buffer,
        })
    }

    /// Start the process now, so that a missing interpreter or package shows at start.
    pub(crate) async fn start(&self) -> Result<(), String> {
        open_fifo(&mut *self.fifo.lock().await).await?;
        let process = self.spawn().await?;
        *self.process.lock().await = Some(process);
        Ok(())
    }

    /// Run one call: serialised with every other ADK call of this process.
    ///
    /// The process is taken out of its slot for the call and put back only when the call
    /// completes. When the server's timeout drops this future part-way, the process is dropped
    /// with it (and killed), so its late answer can never be read as the next call's: the next
    /// call starts a fresh process and drains the pipe first.
    async fn call(&self, input: Input, ctx: &Context) -> Result<Output, AlgoError> {
        let request = match input {
            Input::Json(v) => json!({"content_type": "json", "data": v}),
            Input::Text(s) => json!({"content_type": "text", "data": s}),
            Input::Binary(b) => {
                json!({"content_type": "binary", "data": base64::engine::general_purpose::STANDARD.encode(&b)})
            }
        };
        let _one_at_a_time = call_lock().lock().await;
        let mut fifo_slot = self.fifo.lock().await;
        let fifo = open_fifo(&mut fifo_slot).await.map_err(AlgoError::new)?;
        let mut slot = self.process.lock().await;
        let mut process = match slot.take() {
            Some(process) => process,
            None => {
                drain(fifo).await;
                self.spawn()
                    .await
                    .map_err(|e| AlgoError::with_type("LoadingError", e))?
            }
        };
        if let Ok(mut stdout) = process.stdout.lock() {
            stdout.clear();
        }
        let mut line = request.to_string();
        line.push('\n');
        let written = async {
            process.stdin.write_all(line.as_bytes()).await?;
            process.stdin.flush().await
        }
        .await;
        let mut response = String::new();
        let outcome = match written {
            Err(e) => Err(format!("could not send the request: {e}")),
            Ok(()) => tokio::select! {
                read = fifo.reader.read_line(&mut response) => match read {
                    Ok(n) if n > 0 => Ok(()),
                    Ok(_) => Err("the response pipe closed".to_owned()),
                    Err(e) => Err(format!("could not read the response: {e}")),
                },
                status = process.child.wait() => Err(format!(
                    "the algorithm process exited ({})",
                    status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string())
                )),
            },
        };
        if let Err(reason) = outcome {
            let stderr = process
                .stderr
                .lock()
                .map(|b| tail(&b, 5))
                .unwrap_or_default();
            let _ = process.child.kill().await;
            drain(fifo).await;
            return Err(AlgoError::new(format!(
                "{reason}; it will be restarted for the next call{}",
                if stderr.is_empty() {
                    String::new()
                } else {
                    format!(". Its stderr ended with: {stderr}")
                }
            )));
        }
        // The ADK flushes stdout just after it writes the response: let that arrive.
        let mut last = usize::MAX;
        for _ in 0..10 {
            let now = process.stdout.lock().map(|s| s.len()).unwrap_or(0);
            if now == last {
                break;
            }
            last = now;
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
        if let Ok(mut stdout) = process.stdout.lock() {
            ctx.print(&std::mem::take(&mut *stdout));
        }
        *slot = Some(process);
        parse_response(&response)
    }
}

fn parse_response(line: &str) -> Result<Output, AlgoError> {
    let value: Value = serde_json::from_str(line.trim()).map_err(|e| {
        AlgoError::new(format!(
            "the algorithm wrote a response that is not JSON: {e}"
        ))
    })?;
    if let Some(error) = value.get("error") {
        let text = |k: &str| error.get(k).and_then(Value::as_str).map(str::to_owned);
        return Err(AlgoError {
            message: text("message").unwrap_or_else(|| error.to_string()),
            error_type: text("error_type").unwrap_or_else(|| "AlgorithmError".into()),
            stacktrace: text("stacktrace"),
        });
    }
    let result = value.get("result").cloned().unwrap_or(Value::Null);
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
    }
}

/// The definition that routes calls to a runner.
pub(crate) fn definition(spec: &AdkAlgorithm, runner: Arc<AdkRunner>) -> AlgorithmDef {
    AlgorithmDef::new(&spec.name)
        .version(&spec.version)
        .handler(move |input, ctx| {
            let runner = Arc::clone(&runner);
            async move { runner.call(input, &ctx).await }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse() {
        let a = AdkAlgorithm::parse("sphinx/SpeechRecognition@0.2.0=python3 algo.py --x").unwrap();
        assert_eq!(
            (a.name.as_str(), a.version.as_str(), a.command.as_str()),
            ("sphinx/SpeechRecognition", "0.2.0", "python3 algo.py --x")
        );
        assert_eq!(AdkAlgorithm::parse("a/b=cmd").unwrap().version, "1.0.0");
        assert!(AdkAlgorithm::parse("a/b").is_err());
        assert!(AdkAlgorithm::parse("a/b= ").is_err());
    }

    #[test]
    fn responses_parse() {
        assert_eq!(
            parse_response(r#"{"result":"hi","metadata":{"content_type":"text"}}"#).unwrap(),
            Output::Text("hi".into())
        );
        assert_eq!(
            parse_response(r#"{"result":[1],"metadata":{"content_type":"json"}}"#).unwrap(),
            Output::Json(json!([1]))
        );
        assert_eq!(
            parse_response(r#"{"result":"AAE=","metadata":{"content_type":"binary"}}"#).unwrap(),
            Output::Binary(Bytes::from_static(&[0, 1]))
        );
        let err = parse_response(
            r#"{"error":{"message":"bad","error_type":"InputError","stacktrace":"tb"}}"#,
        )
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
