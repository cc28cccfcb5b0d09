//! `algo auth`: write a profile to the config file, as the official CLI writes it.

use crate::cli::{AuthArgs, GlobalArgs};
use crate::error::CliResult;

/// Save the profile (asking on stdin for what the flags leave out) and check it against the server.
pub async fn auth(_global: &GlobalArgs, _args: AuthArgs) -> CliResult {
    Err(crate::error::CliError::failed("not built yet (cli-core)"))
}
