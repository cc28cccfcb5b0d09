//! `algo create`, `algo info` and `algo errors`: an algorithm's existence, description and
//! failures.

use std::time::{Duration, SystemTime};

use algorithmia_client::manage::{AlgorithmErrorLog, AlgorithmInfo, NewAlgorithm};
use serde_json::Value;

use super::{cell, handle, parse_algo};
use crate::cli::{AlgoArg, CreateArgs};
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::output;

/// `algo create OWNER/NAME`: create the algorithm (and, on algorithmia-local, its repository
/// from the environment's template). Without `--environment`, the language's first
/// environment is used.
pub async fn create(ctx: &Context, args: CreateArgs) -> CliResult {
    let reference = parse_algo(&args.algo)?;
    let (Some(owner), Some(name)) = (reference.owner(), reference.name()) else {
        return Err(CliError::usage(format!("{} is not owner/name", args.algo)));
    };
    let environment = match args.environment {
        Some(id) => id,
        None => default_environment(ctx, &args.language).await?,
    };
    let mut new = NewAlgorithm::new(name, args.label.as_deref().unwrap_or(name))
        .algorithm_environment(environment);
    if let Some(summary) = args.summary {
        new = new.summary(summary);
    }
    if let Some(visibility) = args.source_visibility {
        new = new.source_visibility(visibility);
    }
    if let Some(license) = args.license {
        new = new.license(license);
    }
    if let Some(network) = args.network_access {
        new = new.network_access(network);
    }
    if let Some(pipeline) = args.pipeline_enabled {
        new = new.pipeline_enabled(pipeline);
    }
    let created = ctx
        .client()
        .create_algorithm(owner, new)
        .await
        .map_err(|e| CliError::api(format_args!("create {reference}"), e))?;
    if ctx.json {
        return output::json(&created);
    }
    output::line(&format!("Created {reference}"))
}

/// The id of `language`'s first environment, as the environments endpoint lists them.
async fn default_environment(ctx: &Context, language: &str) -> CliResult<String> {
    let environments = ctx
        .client()
        .environments(language)
        .await
        .map_err(|e| CliError::api(format_args!("list the environments of {language}"), e))?;
    environments
        .into_iter()
        .map(|e| e.id)
        .find(|id| !id.is_empty())
        .ok_or_else(|| {
            CliError::failed(format!(
                "the server lists no environment for the language {language}; pick one with --environment"
            ))
        })
}

/// `algo info OWNER/NAME`: the algorithm object (`--json`), or its main fields.
pub async fn info(ctx: &Context, args: AlgoArg) -> CliResult {
    let (algorithm, reference) = handle(ctx, &args.algo)?;
    let info = algorithm
        .get()
        .await
        .map_err(|e| CliError::api(format_args!("get {reference}"), e))?;
    if ctx.json {
        return output::json(&info);
    }
    for (label, value) in info_rows(&info) {
        output::line(&format!("{label:<19} {value}"))?;
    }
    Ok(())
}

/// The `label value` lines of `algo info`.
fn info_rows(info: &AlgorithmInfo) -> Vec<(&'static str, String)> {
    let details = info.details.clone().unwrap_or_default();
    let settings = info.settings.clone().unwrap_or_default();
    let version = info.version_info.clone().unwrap_or_default();
    let compiled = info
        .compilation
        .as_ref()
        .and_then(|c| c.successful)
        .map(yes_no);
    vec![
        ("Name", cell(info.name.as_deref())),
        ("Label", cell(details.label.as_deref())),
        ("Summary", cell(details.summary.as_deref())),
        ("Id", cell(info.id.as_deref())),
        (
            "Environment",
            cell(
                settings
                    .algorithm_environment
                    .as_deref()
                    .or(settings.language.as_deref()),
            ),
        ),
        (
            "Source visibility",
            cell(settings.source_visibility.as_deref()),
        ),
        ("License", cell(settings.license.as_deref())),
        ("Network access", cell(settings.network_access.as_deref())),
        (
            "Pipeline enabled",
            cell(settings.pipeline_enabled.map(yes_no)),
        ),
        ("Latest version", cell(version.semantic_version.as_deref())),
        ("Latest build hash", cell(version.git_hash.as_deref())),
        ("Built", cell(compiled)),
    ]
}

fn yes_no(flag: bool) -> &'static str {
    if flag { "yes" } else { "no" }
}

/// `algo errors OWNER/NAME`: the failed calls the API logged.
pub async fn errors(ctx: &Context, args: AlgoArg) -> CliResult {
    let (algorithm, reference) = handle(ctx, &args.algo)?;
    let errors = algorithm
        .errors()
        .await
        .map_err(|e| CliError::api(format_args!("list the errors of {reference}"), e))?;
    if ctx.json {
        return output::json(&errors);
    }
    let rows: Vec<Vec<String>> = errors.iter().map(error_row).collect();
    output::table(&["When", "Request", "Version", "Type", "Message"], &rows)
}

fn error_row(error: &AlgorithmErrorLog) -> Vec<String> {
    let message = match &error.error {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(o)) => o
            .get("message")
            .and_then(Value::as_str)
            .map_or_else(|| Value::Object(o.clone()).to_string(), str::to_owned),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    // One line per error: the message's first line.
    let message = message.lines().next().unwrap_or_default().to_owned();
    vec![
        error.created_at.map_or_else(|| "-".to_owned(), when),
        cell(error.request_id.as_deref()),
        cell(error.algoversion.as_deref()),
        cell(error.error_type.as_deref()),
        cell(Some(&message)),
    ]
}

/// Milliseconds since the epoch as an RFC 3339 time in UTC (the number itself when it is
/// before the epoch).
fn when(millis: i64) -> String {
    match u64::try_from(millis) {
        Ok(ms) => {
            humantime::format_rfc3339_seconds(SystemTime::UNIX_EPOCH + Duration::from_millis(ms))
                .to_string()
        }
        Err(_) => millis.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_rows_show_the_first_line_of_the_message_and_a_readable_time() {
        let log: AlgorithmErrorLog = serde_json::from_value(serde_json::json!({
            "created_at": 1_700_000_000_000i64,
            "request_id": "req-1",
            "error": {"message": "boom\nTraceback ...", "error_type": "AlgorithmError"},
            "error_type": "AlgorithmError"
        }))
        .unwrap();
        let row = error_row(&log);
        assert_eq!(row[0], "2023-11-14T22:13:20Z");
        assert_eq!(row[2], "-");
        assert_eq!(row[4], "boom");
    }
}
