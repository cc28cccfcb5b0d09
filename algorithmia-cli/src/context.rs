//! What every command works with: the resolved profile, the client built from it, and how to
//! print (JSON or text; progress bars only when stderr is a terminal).

use std::io::IsTerminal;
use std::path::PathBuf;

use algorithmia_client::profile::{ConfigFile, Profile};
use algorithmia_client::{ApiKey, Client};

use crate::cli::GlobalArgs;
use crate::error::{CliError, CliResult};

/// The `User-Agent` of every request `algo` makes.
pub const USER_AGENT: &str = concat!("algo/", env!("CARGO_PKG_VERSION"));

/// The settings a command runs with.
#[derive(Debug)]
pub struct Context {
    /// The profile's name (`--profile`, default `default`).
    pub profile: String,
    /// `--json`: listings and results as JSON.
    pub json: bool,
    /// Show progress bars (stderr is a terminal).
    pub progress: bool,
    /// The API's address after the profile and the environment are applied, without a
    /// trailing `/` (e.g. `http://127.0.0.1:9000`).
    pub api_server: String,
    api_key: Option<ApiKey>,
    client: Client,
}

impl Context {
    /// Resolve the profile (the config file, then `ALGORITHMIA_API_KEY`, `ALGORITHMIA_API`
    /// and `ALGORITHMIA_BEARER_TOKEN` for what it leaves empty) and build the client.
    ///
    /// An unknown profile, a malformed config file, an unreadable CA certificate or no
    /// credentials at all are usage errors (exit code 2).
    pub fn new(global: &GlobalArgs) -> CliResult<Context> {
        let config = load_config(global)?;
        let profile = config
            .profile(&global.profile)
            .map_err(|e| CliError::api(format!("use profile {:?}", global.profile), e))?
            .with_env();
        if !profile.has_credentials() {
            return Err(CliError::usage(format!(
                "profile {:?} has no API key or bearer token (in {}): run `algo auth{}` or set \
                 ALGORITHMIA_API_KEY",
                global.profile,
                config.path().display(),
                profile_flag(&global.profile),
            )));
        }
        let api_key = profile.api_key.clone();
        let client = client_for(&global.profile, profile)?;
        let api_server = client.base_url().as_str().trim_end_matches('/').to_owned();
        Ok(Context {
            profile: global.profile.clone(),
            json: global.json,
            progress: std::io::stderr().is_terminal(),
            api_server,
            api_key,
            client,
        })
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The profile's API key, for git's credentials only (never print it).
    pub fn api_key(&self) -> Option<&str> {
        self.api_key.as_ref().map(ApiKey::expose)
    }
}

/// The client for a resolved profile, with `algo`'s user agent.
pub(crate) fn client_for(name: &str, profile: Profile) -> CliResult<Client> {
    Client::builder()
        .profile_settings(profile)
        .user_agent(USER_AGENT)
        .build()
        .map_err(|e| CliError::api(format!("use profile {name:?}"), e))
}

/// The config file `--config` names, else the official CLI's.
pub fn config_path(global: &GlobalArgs) -> CliResult<PathBuf> {
    match &global.config {
        Some(path) => Ok(path.clone()),
        None => ConfigFile::default_path().map_err(|e| CliError::api("find the config file", e)),
    }
}

/// Read the config file (a missing one is empty); a malformed one is a usage error.
pub fn load_config(global: &GlobalArgs) -> CliResult<ConfigFile> {
    let path = config_path(global)?;
    ConfigFile::load(&path).map_err(|e| CliError::api("read the profiles", e))
}

/// ` --profile NAME` for messages, or nothing for the default profile.
pub(crate) fn profile_flag(name: &str) -> String {
    if name == algorithmia_client::profile::DEFAULT_PROFILE {
        String::new()
    } else {
        format!(" --profile {name}")
    }
}
