//! `algo publish` and `algo versions`: making a build a version, and listing versions.

use algorithmia_client::manage::{Callability, Publish, VersionInfo, VersionType};
use futures_util::TryStreamExt;
use serde_json::Value;

use super::{cell, handle};
use crate::cli::{PublishArgs, VersionsArgs};
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::output;

/// `algo publish OWNER/NAME`: publish the latest build and print the new version as
/// `owner/name/x.y.z`, ready for `algo run`.
pub async fn publish(ctx: &Context, args: PublishArgs) -> CliResult {
    let version_type: VersionType = args
        .version_type
        .parse()
        .map_err(|e| CliError::usage(format!("{e}")))?;
    let callability = match args.callability.trim().to_ascii_lowercase().as_str() {
        "public" => Callability::Public,
        "private" => Callability::Private,
        other => {
            return Err(CliError::usage(format!(
                "unknown callability {other:?}: expected public or private"
            )));
        }
    };
    let (algorithm, reference) = handle(ctx, &args.algo)?;
    let mut publish = Publish::new(version_type).callability(callability);
    if let Some(notes) = args.notes {
        publish = publish.release_notes(notes);
    }
    if let Some(input) = args.sample_input {
        publish = publish.sample_input(input);
    }
    if let Some(output) = args.sample_output {
        publish = publish.sample_output(output);
    }
    let version = algorithm
        .publish(publish)
        .await
        .map_err(|e| CliError::api(format_args!("publish {reference}"), e))?;
    if ctx.json {
        return output::json(&version);
    }
    match version.semantic_version.as_deref() {
        Some(semantic) => output::line(&format!("{reference}/{semantic}")),
        None => Err(CliError::failed(format!(
            "published {reference}, but the answer names no version; see `algo versions {reference}`"
        ))),
    }
}

/// `algo versions OWNER/NAME`: the versions and builds, newest first, with `--published` and
/// `--callable` filters.
pub async fn versions(ctx: &Context, args: VersionsArgs) -> CliResult {
    let (algorithm, reference) = handle(ctx, &args.algo)?;
    let mut query = algorithm.versions();
    if let Some(published) = args.published {
        query = query.published(published);
    }
    if let Some(callable) = args.callable {
        query = query.callable(callable);
    }
    let versions: Vec<VersionInfo> = query
        .stream()
        .try_collect()
        .await
        .map_err(|e| CliError::api(format_args!("list the versions of {reference}"), e))?;
    if ctx.json {
        return output::json(&versions);
    }
    let rows: Vec<Vec<String>> = versions.iter().map(version_row).collect();
    output::table(
        &["Version", "Hash", "Published", "Callability", "Created"],
        &rows,
    )
}

fn version_row(version: &VersionInfo) -> Vec<String> {
    let published = if version.semantic_version.is_some() {
        "yes"
    } else {
        "no"
    };
    let created = version
        .extra
        .get("created_at")
        .or_else(|| version.extra.get("created"))
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
    vec![
        cell(version.semantic_version.as_deref()),
        cell(version.git_hash.as_deref()),
        published.to_owned(),
        cell(
            version
                .settings
                .as_ref()
                .and_then(|s| s.algorithm_callability.as_deref()),
        ),
        cell(created.as_deref()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_row_reads_the_nested_object() {
        let version: VersionInfo = serde_json::from_value(serde_json::json!({
            "version_info": {"semantic_version": "0.1.0", "git_hash": "abc"},
            "settings": {"algorithm_callability": "public"},
            "created_at": "2026-01-01T00:00:00Z"
        }))
        .unwrap();
        assert_eq!(
            version_row(&version),
            ["0.1.0", "abc", "yes", "public", "2026-01-01T00:00:00Z"]
        );
        let build: VersionInfo =
            serde_json::from_value(serde_json::json!({"git_hash": "def"})).unwrap();
        assert_eq!(version_row(&build), ["-", "def", "no", "-", "-"]);
    }
}
