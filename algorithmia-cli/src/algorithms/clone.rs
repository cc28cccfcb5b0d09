//! `algo clone OWNER/NAME [DEST]`: the algorithm's repository, with a stock git over the
//! server's smart HTTP (`{api_server}/git/OWNER/NAME.git`).
//!
//! The API key is the Basic password. It reaches git only through its environment, as an
//! `http.<url>.extraHeader` entry of `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n`
//! scoped to the repository's URL: never on git's command line (visible in `ps`), in the remote
//! URL, in `.git/config`, or in anything printed.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::parse_algo;
use crate::cli::CloneArgs;
use crate::context::Context;
use crate::error::{CliError, CliResult};

/// The user name sent with the key; the server reads only the password.
const GIT_USER: &str = "algo";

/// `algo clone`.
pub async fn clone(ctx: &Context, args: CloneArgs) -> CliResult {
    let reference = parse_algo(&args.algo)?;
    let (Some(owner), Some(name)) = (reference.owner(), reference.name()) else {
        return Err(CliError::usage(format!("{} is not owner/name", args.algo)));
    };
    let url = repository_url(&ctx.api_server, owner, name);
    let dest = args.dest.unwrap_or_else(|| PathBuf::from(name));
    check_destination(&dest)?;

    let mut git = Command::new("git");
    git.arg("clone").arg("--").arg(&url).arg(&dest);
    if let Some(key) = ctx.api_key() {
        // A refused key fails the clone instead of asking for another password.
        git.env("GIT_TERMINAL_PROMPT", "0");
        let existing = std::env::var_os("GIT_CONFIG_COUNT");
        for (variable, value) in credential_env(existing.as_deref(), &url, key)? {
            git.env(variable, value);
        }
    }
    let status = tokio::task::spawn_blocking(move || git.status())
        .await
        .map_err(|e| CliError::failed(format!("could not clone {reference}: {e}")))?;
    let status = match status {
        Ok(status) => status,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(CliError::failed(format!(
                "could not clone {reference}: git is not installed (or not on PATH); install git and try again"
            )));
        }
        Err(e) => {
            return Err(CliError::failed(format!(
                "could not clone {reference}: could not start git: {e}"
            )));
        }
    };
    if !status.success() {
        return Err(CliError::failed(format!(
            "could not clone {reference} from {url}: git {}",
            status.code().map_or_else(
                || "was stopped by a signal".to_owned(),
                |c| format!("exited with {c}")
            )
        )));
    }
    eprintln!(
        "Cloned {reference} into {}. When git push asks, give any user name and your API key as the password (or keep them in a git credential helper).",
        dest.display()
    );
    Ok(())
}

/// `{api_server}/git/OWNER/NAME.git`.
fn repository_url(api_server: &str, owner: &str, name: &str) -> String {
    format!(
        "{}/git/{owner}/{name}.git",
        api_server.trim_end_matches('/')
    )
}

/// git refuses a non-empty destination; say so before it starts, as a usage error.
fn check_destination(dest: &Path) -> CliResult {
    if dest.is_file() {
        return Err(CliError::usage(format!(
            "could not clone into {}: it is a file",
            dest.display()
        )));
    }
    if dest
        .read_dir()
        .is_ok_and(|mut entries| entries.next().is_some())
    {
        return Err(CliError::usage(format!(
            "could not clone into {}: it exists and is not empty",
            dest.display()
        )));
    }
    Ok(())
}

/// The variables that give git `http.<url>.extraHeader = Authorization: Basic ...`, added
/// after any configuration the caller already passes the same way (`existing` is the caller's
/// `GIT_CONFIG_COUNT`).
fn credential_env(
    existing: Option<&std::ffi::OsStr>,
    url: &str,
    key: &str,
) -> CliResult<Vec<(OsString, OsString)>> {
    let index: u32 = match existing {
        None => 0,
        Some(count) => count
            .to_str()
            .and_then(|c| c.trim().parse().ok())
            .ok_or_else(|| {
                CliError::usage("GIT_CONFIG_COUNT is set but is not a number; unset it or fix it")
            })?,
    };
    let credentials = BASE64.encode(format!("{GIT_USER}:{key}"));
    Ok(vec![
        ("GIT_CONFIG_COUNT".into(), (index + 1).to_string().into()),
        (
            format!("GIT_CONFIG_KEY_{index}").into(),
            format!("http.{url}.extraHeader").into(),
        ),
        (
            format!("GIT_CONFIG_VALUE_{index}").into(),
            format!("Authorization: Basic {credentials}").into(),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_goes_after_the_callers_own_git_config() {
        let url = repository_url("http://127.0.0.1:9/", "demo", "Hello");
        assert_eq!(url, "http://127.0.0.1:9/git/demo/Hello.git");
        let env = credential_env(Some("2".as_ref()), &url, "simKey").unwrap();
        assert_eq!(env[0], ("GIT_CONFIG_COUNT".into(), "3".into()));
        assert_eq!(
            env[1].1,
            OsString::from("http.http://127.0.0.1:9/git/demo/Hello.git.extraHeader")
        );
        assert_eq!(
            env[2].1,
            OsString::from(format!(
                "Authorization: Basic {}",
                BASE64.encode("algo:simKey")
            ))
        );
        assert_eq!(env[2].0, OsString::from("GIT_CONFIG_VALUE_2"));
        assert!(credential_env(Some("x".as_ref()), &url, "k").is_err());
    }
}
