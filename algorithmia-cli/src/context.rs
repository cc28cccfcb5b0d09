//! What every command works with: the resolved profile, the client built from it, and how to
//! print (JSON or text; progress bars only when stderr is a terminal).

use algorithmia_client::Client;

use crate::cli::GlobalArgs;
use crate::error::CliResult;

/// The settings a command runs with.
#[derive(Debug)]
pub struct Context {
    /// The profile's name (`--profile`, default `default`).
    pub profile: String,
    /// `--json`: listings and results as JSON.
    pub json: bool,
    /// Show progress bars (stderr is a terminal).
    pub progress: bool,
    /// The API's address after the profile and the environment are applied.
    pub api_server: String,
    client: Client,
}

impl Context {
    /// Resolve the profile (the config file, then `ALGORITHMIA_API_KEY`, `ALGORITHMIA_API`
    /// and `ALGORITHMIA_BEARER_TOKEN` for what it leaves empty) and build the client.
    pub fn new(_global: &GlobalArgs) -> CliResult<Context> {
        Err(crate::error::CliError::failed(
            "not built yet (cli-core: resolve the profile with algorithmia_client::profile and build the client)",
        ))
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }
}
