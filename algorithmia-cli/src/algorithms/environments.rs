//! `algo languages`, `algo environment LANG` and `algo template ENV DEST`: what algorithms can
//! be written in and built with, and the starting point of a new one.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::cell;
use crate::cli::{EnvironmentArgs, TemplateArgs};
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::output;

/// `algo languages`: a `Name  Description` table, as the official CLI prints it.
pub async fn languages(ctx: &Context) -> CliResult {
    let languages = ctx
        .client()
        .languages()
        .await
        .map_err(|e| CliError::api("list the languages", e))?;
    if ctx.json {
        return output::json(&languages);
    }
    let rows: Vec<Vec<String>> = languages
        .iter()
        .map(|l| vec![l.name.clone(), cell(l.display_name.as_deref())])
        .collect();
    output::table(&["Name", "Description"], &rows)
}

/// `algo environment LANG`: the language's build environments; `--json` prints the list as
/// the official CLI does.
pub async fn environment(ctx: &Context, args: EnvironmentArgs) -> CliResult {
    let environments = ctx
        .client()
        .environments(&args.language)
        .await
        .map_err(|e| {
            CliError::api(
                format_args!("list the environments of {}", args.language),
                e,
            )
        })?;
    if ctx.json {
        return output::json(&environments);
    }
    let rows: Vec<Vec<String>> = environments
        .iter()
        .map(|e| {
            let language = match &e.language {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Object(o)) => o.get("name").and_then(Value::as_str).map(str::to_owned),
                _ => None,
            };
            vec![
                e.id.clone(),
                cell(e.environment_specification_id.as_deref()),
                cell(e.display_name.as_deref()),
                cell(language.as_deref()),
                cell(e.machine_type.as_deref()),
            ]
        })
        .collect();
    output::table(
        &["Id", "Specification", "Name", "Language", "Machine"],
        &rows,
    )
}

/// `algo template ENV DEST`: download the environment's template and unpack it (safely, by
/// the SDK) into DEST, which must be new or empty so nothing of the user's is overwritten.
///
/// The template arrives whole or not at all: it is unpacked into a new directory beside DEST,
/// which is then renamed to DEST; on any failure that directory is removed.
pub async fn template(ctx: &Context, args: TemplateArgs) -> CliResult {
    let dest = &args.dest;
    check_destination(dest)?;
    let what = format!(
        "unpack the template of environment {} into {}",
        args.envid,
        dest.display()
    );
    let staging =
        staging_dir(dest).map_err(|e| CliError::failed(format!("could not {what}: {e}")))?;
    let unpacked = ctx
        .client()
        .write_environment_template(&args.envid, &staging)
        .await
        .map_err(|e| CliError::api(&what, e))
        .and_then(|files| {
            // On Linux and macOS a rename replaces an empty directory; elsewhere make room.
            if dest.is_dir() {
                let _ = std::fs::remove_dir(dest);
            }
            std::fs::rename(&staging, dest)
                .map(|()| files)
                .map_err(|e| CliError::failed(format!("could not {what}: {e}")))
        });
    let files = match unpacked {
        Ok(files) => files,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    if ctx.json {
        return output::json(&files);
    }
    for file in &files {
        output::line(&dest.join(file).display().to_string())?;
    }
    Ok(())
}

/// A new, empty directory beside `dest` (so the final rename stays on one file system).
fn staging_dir(dest: &Path) -> std::io::Result<PathBuf> {
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)?;
    let name = dest
        .file_name()
        .map_or_else(|| "template".into(), |n| n.to_string_lossy().into_owned());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    for attempt in 0..100u32 {
        let path = parent.join(format!(
            ".{name}.algo-template-{}-{nanos}-{attempt}",
            std::process::id()
        ));
        match std::fs::create_dir(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("could not pick a new directory name"))
}

/// A template goes into a new or an empty directory only.
fn check_destination(dest: &Path) -> CliResult {
    match std::fs::read_dir(dest) {
        Ok(mut entries) => match entries.next() {
            None => Ok(()),
            Some(_) => Err(CliError::usage(format!(
                "{} is not empty; give a new or an empty directory for the template",
                dest.display()
            ))),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) if dest.exists() && !dest.is_dir() => Err(CliError::usage(format!(
            "{} is a file, not a directory ({e})",
            dest.display()
        ))),
        Err(e) => Err(CliError::failed(format!(
            "could not read {}: {e}",
            dest.display()
        ))),
    }
}
