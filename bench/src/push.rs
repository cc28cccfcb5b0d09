//! The time from `git push` to a callable version on algorithmia-local's platform: an algorithm
//! is created through the management API (its repository from the Python 3 template), cloned with
//! a stock git, and then, run after run, a one-line change is committed and pushed; the clock
//! runs from the push until a call of `OWNER/NAME/COMMIT` answers with the new code's output.
//! That span holds git's receive, the build (checkout, virtual environment, `pip install` of
//! the template's requirements, byte-compiling) and the first call through a new worker.
//! The push's own share and the build's (as the server records its start and finish) are
//! reported beside it.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use algorithmia_client::manage::NewAlgorithm;
use base64::Engine as _;
use serde::Serialize;

use crate::algo::client;
use crate::proc::Server;

const OWNER: &str = "bench";
const NAME: &str = "Pushed";

/// One push: seconds from the push's start to the push's end, and to the first good call.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Push {
    pub(crate) push_s: f64,
    pub(crate) callable_s: f64,
}

/// Every push of the run.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Report {
    pub(crate) pushes: Vec<Push>,
}

fn git(dir: &Path, args: &[&str], auth: &[(String, String)]) -> Result<(), String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .envs(auth.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .map_err(|e| format!("git {}: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn head(dir: &Path) -> Result<String, String> {
    let out = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(dir)
        .output()
        .map_err(|e| format!("git rev-parse: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// `pushes` pushes, one after another, each timed to a callable version.
pub(crate) async fn run(pushes: usize) -> Result<Report, String> {
    let server = Server::start(&[])?;
    let client = client(&server.base_url)?;
    let environment = client
        .environments("python3")
        .await
        .map_err(|e| format!("list the python3 environments: {e}"))?
        .into_iter()
        .map(|e| e.id)
        .find(|id| !id.is_empty())
        .ok_or("the server lists no python3 environment")?;
    client
        .algorithms()
        .create(
            OWNER,
            NewAlgorithm::new(NAME, "Pushed").algorithm_environment(environment),
        )
        .await
        .map_err(|e| format!("create {OWNER}/{NAME}: {e}"))?;
    let work = tempfile::tempdir().map_err(|e| e.to_string())?;
    let url = format!("{}/git/{OWNER}/{NAME}.git", server.base_url);
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("bench:{}", crate::data::KEY));
    let auth = vec![
        ("GIT_CONFIG_COUNT".to_owned(), "3".to_owned()),
        (
            "GIT_CONFIG_KEY_0".to_owned(),
            format!("http.{url}.extraHeader"),
        ),
        (
            "GIT_CONFIG_VALUE_0".to_owned(),
            format!("Authorization: Basic {basic}"),
        ),
        ("GIT_CONFIG_KEY_1".to_owned(), "user.name".to_owned()),
        ("GIT_CONFIG_VALUE_1".to_owned(), "Bench".to_owned()),
        ("GIT_CONFIG_KEY_2".to_owned(), "user.email".to_owned()),
        (
            "GIT_CONFIG_VALUE_2".to_owned(),
            "bench@example.invalid".to_owned(),
        ),
    ];
    git(work.path(), &["clone", "-q", &url, "repo"], &auth)?;
    let repo = work.path().join("repo");
    let source = repo.join("src").join(format!("{NAME}.py"));
    let mut report = Report { pushes: Vec::new() };
    for run in 0..pushes.max(1) {
        let marker = format!("push {run}");
        std::fs::write(
            &source,
            format!("from Algorithmia import ADK\n\n\ndef apply(input):\n    return {marker:?}\n\n\nalgorithm = ADK(apply)\nalgorithm.init(\"Algorithmia\")\n"),
        )
        .map_err(|e| format!("write {}: {e}", source.display()))?;
        git(&repo, &["commit", "-qam", &marker], &auth)?;
        let commit = head(&repo)?;
        let started = Instant::now();
        git(&repo, &["push", "-q", "origin", "HEAD:master"], &auth)?;
        let pushed = started.elapsed();
        let algo = client.algo(format!("{OWNER}/{NAME}/{commit}"));
        let deadline = started + Duration::from_secs(300);
        loop {
            match algo.pipe("x").await {
                Ok(response) if response.as_text() == Some(marker.as_str()) => break,
                _ if Instant::now() > deadline => {
                    return Err(format!("{OWNER}/{NAME}/{commit} not callable after 300 s"));
                }
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
        let push = Push {
            push_s: pushed.as_secs_f64(),
            callable_s: started.elapsed().as_secs_f64(),
        };
        eprintln!(
            "push {run}: pushed in {:.2} s, callable after {:.2} s",
            push.push_s, push.callable_s
        );
        report.pushes.push(push);
    }
    Ok(report)
}

/// The report as the markdown BENCHMARKS.md records.
pub(crate) fn markdown(report: &Report) -> String {
    let mut out = String::from(
        "| push | `git push` returned | callable (first good call) |\n| --- | --- | --- |\n",
    );
    for (i, p) in report.pushes.iter().enumerate() {
        out.push_str(&format!(
            "| {} | {:.2} s | {:.2} s |\n",
            i + 1,
            p.push_s,
            p.callable_s
        ));
    }
    let median = crate::stats::median(report.pushes.iter().map(|p| p.callable_s).collect());
    out.push_str(&format!(
        "\nmedian time from `git push` to callable: {median:.2} s\n"
    ));
    out
}
