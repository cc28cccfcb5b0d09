//! Hosting algorithms written with the official Python ADK (PyPI `algorithmia-adk`), unchanged.
//!
//! Each hosted ADK algorithm runs on a [`WorkerPool`]: up to `workers` processes, each loaded
//! once (`PIPE_INIT_COMPLETE`) and fed one request at a time, so calls to different workers, and
//! to different algorithms, run in parallel.
//!
//! The ADK writes its responses to the fixed FIFO [`FIFO_PATH`]; the runner puts a
//! `sitecustomize.py` on `PYTHONPATH` that sends that exact path, when `ALGORITHMIA_LOCAL_FIFO`
//! is set, to a FIFO of the worker's own. The same shim accepts the
//! `traceback.format_exception(etype=...)` call of ADK 1.2.x, which Python 3.10 removed, so
//! exceptions are reported with their `error_type` instead of crashing the process. The ADK
//! stays unchanged.

use std::sync::Arc;

use super::AlgorithmDef;
use super::pool::{WorkerPool, pooled_handler};

/// The FIFO the ADK writes its responses to; hosted workers are each given their own instead.
pub const FIFO_PATH: &str = "/tmp/algoout";

/// An ADK algorithm to host: `owner/name`, its version, and the command that runs it.
#[derive(Debug, Clone)]
pub struct AdkAlgorithm {
    /// `owner/name`.
    pub name: String,
    /// Its published version (`1.0.0` by default).
    pub version: String,
    /// The command, run with `sh -c`.
    pub command: String,
    /// How many processes may serve calls at once (default: the server's
    /// [`adk_workers`](crate::LocalServerBuilder::adk_workers), itself the number of cores).
    pub workers: Option<usize>,
}

impl AdkAlgorithm {
    /// Parse `OWNER/NAME[@VERSION]=COMMAND`, the binary's `--algorithm` form (with the server's
    /// default number of workers).
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
            workers: None,
        })
    }
}

/// The definition that routes calls to the algorithm's pool.
pub(crate) fn definition(spec: &AdkAlgorithm, pool: Arc<WorkerPool>) -> AlgorithmDef {
    let mut def = AlgorithmDef::new(&spec.name).version(&spec.version);
    def.handler = Some(pooled_handler(pool));
    def
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
}
