//! The algorithm commands, on the management API: `create`, `clone`, `build`, `builds`,
//! `logs`, `publish`, `versions`, `info`, `secrets`, `errors`, `languages`, `environment` and
//! `template`.
//!
//! Each command names the algorithm it worked on in its errors; an algorithm reference that
//! does not parse is a usage error (exit 2), anything the API refuses exits 1.

mod about;
mod builds;
mod clone;
mod environments;
mod secrets;
mod versions;

use algorithmia_client::AlgoRef;
use algorithmia_client::manage::Algorithm;

pub use about::{create, errors, info};
pub use builds::{build, builds, logs};
pub use clone::clone;
pub use environments::{environment, languages, template};
pub use secrets::secrets;
pub use versions::{publish, versions};

use crate::context::Context;
use crate::error::{CliError, CliResult};

/// An algorithm to manage: `owner/name` (an `algo://` prefix is accepted), never a version.
/// Anything else is a usage error naming what was given.
pub(crate) fn parse_algo(text: &str) -> CliResult<AlgoRef> {
    let reference: AlgoRef = text
        .parse()
        .map_err(|e: algorithmia_client::AlgoRefError| {
            // The parser's own "expected ..." names versions too, which management does not take;
            // its hints after a `;` are about calls.
            let reason = match e.reason.split(';').next() {
                Some(r) if !r.starts_with("expected") => format!(": {r}"),
                _ => String::new(),
            };
            CliError::usage(format!(
                "invalid algorithm {text:?}{reason}; expected owner/name"
            ))
        })?;
    if let Some(version) = reference.version() {
        return Err(CliError::usage(format!(
            "{text:?} names a version ({version}); this command takes the algorithm, owner/name"
        )));
    }
    if reference.owner().is_none() {
        return Err(CliError::usage(format!(
            "{text:?} is an algorithm id; this command takes owner/name"
        )));
    }
    Ok(reference)
}

/// The management handle of `text` (see [`parse_algo`]) and its reference.
pub(crate) fn handle(ctx: &Context, text: &str) -> CliResult<(Algorithm, AlgoRef)> {
    let reference = parse_algo(text)?;
    Ok((ctx.client().algorithm(reference.clone()), reference))
}

/// An optional text for a table cell: the value, or `-`.
pub(crate) fn cell(value: Option<&str>) -> String {
    match value {
        Some(v) if !v.is_empty() => v.to_owned(),
        _ => "-".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Failure;

    #[test]
    fn only_owner_and_name_are_accepted() {
        let r = parse_algo("algo://demo/Hello").unwrap();
        assert_eq!((r.owner(), r.name()), (Some("demo"), Some("Hello")));
        for bad in [
            "demo",
            "demo/Hello/1.0.0",
            "demo/Hel lo",
            "",
            "0e1a7c0e-3b5d-4a4e-9a44-1d2b3c4d5e6f",
        ] {
            let error = parse_algo(bad).unwrap_err();
            assert_eq!(error.kind(), Failure::Usage, "{bad}: {error}");
        }
    }
}
