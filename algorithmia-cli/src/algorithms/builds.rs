//! `algo build`, `algo builds` and `algo logs`: starting a build and following it, listing
//! builds, and a build's log.

use std::time::Duration;

use algorithmia_client::AlgoRef;
use algorithmia_client::manage::{Algorithm, Build, BuildStatus, WaitOptions};
use futures_util::TryStreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{cell, handle};
use crate::cli::{BuildArgs, BuildsArgs, LogsArgs};
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::output;

/// How many lines of a failed build's log `algo build` prints.
const LOG_TAIL_LINES: usize = 40;

/// `algo build OWNER/NAME`: compile the latest source, then follow the build to its end (a
/// spinner on a terminal). A failed build prints its log's tail on stderr and exits 1;
/// `--no-wait` prints the build's id and returns.
pub async fn build(ctx: &Context, args: BuildArgs) -> CliResult {
    let (algorithm, reference) = handle(ctx, &args.algo)?;
    // Some servers answer a compile only once the build is over: spin from the start.
    let spinner = spinner(ctx);
    spinner.set_message(format!("starting a build of {reference}"));
    let compiled = algorithm.compile().await;
    let started = match compiled {
        Ok(compiled) => match compiled.build.filter(|b| !b.build_id.is_empty()) {
            Some(build) => Ok(build),
            // A server that names no build: the newest one it lists.
            None => latest_build(&algorithm, &reference).await,
        },
        Err(e) => Err(CliError::api(
            format_args!("start a build of {reference}"),
            e,
        )),
    };
    let started = match started {
        Ok(started) if !args.no_wait => started,
        Ok(started) => {
            spinner.finish_and_clear();
            if ctx.json {
                return output::json(&started);
            }
            return output::line(&started.build_id);
        }
        Err(e) => {
            spinner.finish_and_clear();
            return Err(e);
        }
    };
    let done = follow(&spinner, &algorithm, &reference, &started, args.timeout).await;
    spinner.finish_and_clear();
    let done = done?;
    if done.status == BuildStatus::Succeeded {
        if ctx.json {
            return output::json(&done);
        }
        return output::line(&format!(
            "Build {} of {reference} succeeded (commit {})",
            done.build_id,
            cell(done.commit_sha.as_deref())
        ));
    }
    // The log is the reason; show its end before the verdict.
    match algorithm.build_logs(&done.build_id).await {
        Ok(log) => eprintln!("{}", tail(&log, LOG_TAIL_LINES)),
        Err(e) => eprintln!(
            "algo: could not read the log of build {} of {reference}: {e}",
            done.build_id
        ),
    }
    Err(CliError::failed(format!(
        "build {} of {reference} {} (the whole log: algo logs {reference} {})",
        done.build_id, done.status, done.build_id
    )))
}

/// The newest build the server lists for the algorithm.
async fn latest_build(algorithm: &Algorithm, reference: &AlgoRef) -> CliResult<Build> {
    let builds = algorithm.builds().page_size(1).stream();
    let mut builds = std::pin::pin!(builds);
    builds
        .try_next()
        .await
        .map_err(|e| CliError::api(format_args!("list the builds of {reference}"), e))?
        .ok_or_else(|| {
            CliError::failed(format!(
                "the server started a build of {reference} but lists none"
            ))
        })
}

/// A spinner on stderr with a message and the time spent, when stderr is a terminal; hidden
/// otherwise.
fn spinner(ctx: &Context) -> ProgressBar {
    if !ctx.progress {
        return ProgressBar::hidden();
    }
    let spinner = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    spinner.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    spinner.enable_steady_tick(Duration::from_millis(120));
    spinner
}

/// Poll `build` until it ends, showing its status on `spinner`.
async fn follow(
    spinner: &ProgressBar,
    algorithm: &Algorithm,
    reference: &AlgoRef,
    build: &Build,
    timeout_secs: u64,
) -> CliResult<Build> {
    spinner.set_message(format!("build {} of {reference}", build.build_id));
    let watcher = spinner.clone();
    let name = reference.to_string();
    let options = WaitOptions::default()
        .timeout(Duration::from_secs(timeout_secs))
        .on_progress(move |b| {
            watcher.set_message(format!("build {} of {name}: {}", b.build_id, b.status))
        });
    algorithm
        .wait_for_build(&build.build_id, options)
        .await
        .map_err(|e| {
            CliError::api(
                format_args!("follow build {} of {reference}", build.build_id),
                e,
            )
        })
}

/// The last `lines` lines of `log`.
fn tail(log: &str, lines: usize) -> String {
    let all: Vec<&str> = log.trim_end().lines().collect();
    let start = all.len().saturating_sub(lines);
    all[start..].join("\n")
}

/// `algo builds OWNER/NAME` (or `OWNER NAME`, as the official CLI takes them): the builds,
/// newest first.
pub async fn builds(ctx: &Context, args: BuildsArgs) -> CliResult {
    let text = match &args.name {
        Some(name) if args.algo.contains('/') => {
            return Err(CliError::usage(format!(
                "give the algorithm as OWNER/NAME or as OWNER NAME, not {} {name}",
                args.algo
            )));
        }
        Some(name) => format!("{}/{name}", args.algo),
        None => args.algo.clone(),
    };
    let (algorithm, reference) = handle(ctx, &text)?;
    let builds: Vec<Build> = algorithm
        .builds()
        .stream()
        .try_collect()
        .await
        .map_err(|e| CliError::api(format_args!("list the builds of {reference}"), e))?;
    if ctx.json {
        return output::json(&builds);
    }
    let rows: Vec<Vec<String>> = builds
        .iter()
        .map(|b| {
            vec![
                b.build_id.clone(),
                b.status.to_string(),
                cell(b.commit_sha.as_deref()),
                cell(
                    b.version_info
                        .as_ref()
                        .and_then(|v| v.semantic_version.as_deref()),
                ),
                cell(b.started_at.as_deref()),
                cell(b.finished_at.as_deref()),
            ]
        })
        .collect();
    output::table(
        &[
            "Build", "Status", "Commit", "Version", "Started", "Finished",
        ],
        &rows,
    )
}

/// `algo logs OWNER/NAME BUILD`: a finished build's log, as it was recorded.
pub async fn logs(ctx: &Context, args: LogsArgs) -> CliResult {
    let (algorithm, reference) = handle(ctx, &args.algo)?;
    let what = format!("read the log of build {} of {reference}", args.build);
    match algorithm.build_logs(&args.build).await {
        Ok(log) => {
            if ctx.json {
                return output::json(&serde_json::json!({ "logs": log }));
            }
            output::bytes(log.as_bytes())?;
            if log.ends_with('\n') || log.is_empty() {
                Ok(())
            } else {
                output::bytes(b"\n")
            }
        }
        // The API has no log until the build ends: say so rather than "not found".
        Err(e) if e.is_not_found() => match algorithm.build(&args.build).await {
            Ok(build) if !build.status.is_finished() => Err(CliError::failed(format!(
                "could not {what}: the build is still {}; follow it with `algo build` or try again when it ends",
                build.status
            ))),
            _ => Err(CliError::api(what, e)),
        },
        Err(e) => Err(CliError::api(what, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail("a", 5), "a");
        assert_eq!(tail("", 5), "");
    }
}
