//! `algo auth`: write a profile to the config file, as the official CLI writes it.
//!
//! Without flags it asks on stdin, as the official CLI does: the API address (default
//! `https://api.algorithmia.com`), the API key, a CA certificate path, and a bearer token when
//! the key is not a `sim...` key (the key and the token are not echoed when typed at a terminal,
//! where the official CLI shows them). With any of `--api-key`, `--api-server`, `--ca-cert` or
//! `--bearer-token` it asks nothing. Unlike the official CLI it accepts any http(s) address
//! (`http://127.0.0.1:9000` included). The profile is saved with all four keys, empty strings
//! for what is unset, so the official CLI reads it; then, unless `--no-verify`, it is checked by
//! listing `data://`.

use std::io::{BufRead, IsTerminal, Write};

use algorithmia_client::Client;
use algorithmia_client::profile::Profile;
use futures_util::StreamExt;

use crate::cli::{AuthArgs, GlobalArgs};
use crate::context::{client_for, load_config, profile_flag};
use crate::error::{CliError, CliResult};

/// The address asked for first, and used when the answer is empty.
pub const DEFAULT_API_SERVER: &str = "https://api.algorithmia.com";

/// Save the profile (asking on stdin for what the flags leave out) and check it against the server.
pub async fn auth(global: &GlobalArgs, args: AuthArgs) -> CliResult {
    let mut config = load_config(global)?;
    let name = global.profile.as_str();
    let flags_given = args.api_key.is_some()
        || args.api_server.is_some()
        || args.ca_cert.is_some()
        || args.bearer_token.is_some();
    let answers = if flags_given {
        let mut stdin = std::io::stdin().lock();
        let mut from_stdin = |value: Option<String>, what: &str| match value.as_deref() {
            Some("-") => read_line(&mut stdin, what),
            _ => Ok(value.unwrap_or_default()),
        };
        let api_key = from_stdin(args.api_key, "the API key")?;
        let bearer_token = from_stdin(args.bearer_token, "the bearer token")?;
        Answers {
            api_server: args.api_server.unwrap_or_default(),
            api_key,
            ca_cert: args
                .ca_cert
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default(),
            bearer_token,
        }
    } else {
        ask(name)?
    };
    let profile = answers.into_profile()?;

    config
        .set_profile(name, &profile)
        .and_then(|()| config.save())
        .map_err(|e| CliError::api(format!("save profile {name:?}"), e))?;
    eprintln!(
        "Saved profile {name:?} ({}) to {}",
        profile.api_server.as_deref().unwrap_or(DEFAULT_API_SERVER),
        config.path().display()
    );
    if args.no_verify {
        return Ok(());
    }
    verify(name, profile).await
}

/// One line of stdin, without its line ending.
fn read_line(input: &mut impl BufRead, what: &str) -> CliResult<String> {
    let mut line = String::new();
    input
        .read_line(&mut line)
        .map_err(|e| CliError::failed(format!("could not read {what} from stdin: {e}")))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// What was given, as typed: empty strings for what was not.
struct Answers {
    api_server: String,
    api_key: String,
    ca_cert: String,
    bearer_token: String,
}

impl Answers {
    /// Check the answers and make the profile to save.
    fn into_profile(self) -> CliResult<Profile> {
        let api_server = self.api_server.trim();
        let api_server = if api_server.is_empty() {
            DEFAULT_API_SERVER
        } else {
            api_server.trim_end_matches('/')
        };
        check_address(api_server)?;
        let api_key = self.api_key.trim();
        let bearer_token = self.bearer_token.trim();
        if api_key.is_empty() && bearer_token.is_empty() {
            return Err(CliError::usage(
                "no API key or bearer token was given; nothing was saved",
            ));
        }
        let ca_cert = match self.ca_cert.trim() {
            "" => std::path::PathBuf::new(),
            // Saved absolute, so the profile works from any directory.
            given => std::fs::canonicalize(given)
                .ok()
                .filter(|path| path.is_file())
                .ok_or_else(|| {
                    CliError::usage(format!(
                        "the CA certificate {given} is not a readable file; nothing was saved"
                    ))
                })?,
        };
        Ok(Profile::new()
            .api_server(api_server)
            .api_key(api_key)
            .ca_cert(ca_cert)
            .bearer_token(bearer_token))
    }
}

/// Refuse what is not an http(s) URL with a host (the SDK's own check of a base URL).
fn check_address(address: &str) -> CliResult {
    Client::builder()
        .base_url(address)
        .no_proxy()
        .build()
        .map(drop)
        .map_err(|_| {
            CliError::usage(format!(
                "invalid API address {address:?}: give an http:// or https:// URL, such as \
                 {DEFAULT_API_SERVER}; nothing was saved"
            ))
        })
}

/// Ask on stdin, as the official CLI does; prompts go to stderr so stdout stays clean.
fn ask(profile: &str) -> CliResult<Answers> {
    eprintln!("Configuring authentication for profile: {profile}");
    let stdin = std::io::stdin();
    let echoed = stdin.is_terminal();
    let mut input = stdin.lock();
    let mut prompt = |question: &str, secret: bool| -> CliResult<String> {
        eprint!("{question}");
        let _ = std::io::stderr().flush();
        // A key typed at a terminal is not shown (the official CLI shows it).
        let hidden = (secret && echoed).then(EchoOff::new).flatten();
        let answer = read_line(&mut input, "the answer");
        if hidden.is_some() || !echoed {
            // End the prompt's line: the answer's own newline was not shown.
            drop(hidden);
            eprintln!();
        }
        answer
    };
    let api_server = prompt(
        &format!("enter API address [{DEFAULT_API_SERVER}]: "),
        false,
    )?;
    let api_key = prompt("enter API key: ", true)?;
    let ca_cert = prompt("(optional) enter path to custom CA certificate: ", false)?;
    // The official CLI asks for a token unless the key is a `sim...` key.
    let bearer_token = if api_key.trim().starts_with("sim") {
        String::new()
    } else {
        prompt("enter JWT token (bearer token): ", true)?
    };
    Ok(Answers {
        api_server,
        api_key,
        ca_cert,
        bearer_token,
    })
}

/// The terminal's echo, off while this lives (stdin's settings restored when dropped).
struct EchoOff {
    #[cfg(unix)]
    saved: rustix::termios::Termios,
}

impl EchoOff {
    /// Turn stdin's echo off; `None` when stdin is not a terminal that allows it.
    #[cfg(unix)]
    fn new() -> Option<EchoOff> {
        use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
        let stdin = std::io::stdin();
        let saved = tcgetattr(&stdin).ok()?;
        let mut quiet = saved.clone();
        quiet.local_modes.remove(LocalModes::ECHO);
        tcsetattr(&stdin, OptionalActions::Now, &quiet).ok()?;
        Some(EchoOff { saved })
    }

    /// Elsewhere the answer is read as typed.
    #[cfg(not(unix))]
    fn new() -> Option<EchoOff> {
        None
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        #[cfg(unix)]
        {
            use rustix::termios::{OptionalActions, tcsetattr};
            let _ = tcsetattr(std::io::stdin(), OptionalActions::Now, &self.saved);
        }
    }
}

/// List `data://` with the saved profile (the profile alone, not the environment) and say so.
async fn verify(name: &str, profile: Profile) -> CliResult {
    let server = profile
        .api_server
        .clone()
        .unwrap_or_else(|| DEFAULT_API_SERVER.to_owned());
    let client = client_for(name, profile)?;
    let mut listing = std::pin::pin!(client.dir("data://").list());
    match listing.next().await {
        Some(Err(e)) => Err(CliError::failed(format!(
            "profile {name:?} was saved, but could not list data:// on {server} with it: {e} \
             (fix it with `algo auth{}`, or skip this check with --no-verify)",
            profile_flag(name)
        ))),
        Some(Ok(_)) | None => {
            eprintln!("Checked: listed data:// on {server} with profile {name:?}");
            Ok(())
        }
    }
}
