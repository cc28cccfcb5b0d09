//! `algo run`: call an algorithm with the official CLI's input flags and print its result.

use crate::cli::RunArgs;
use crate::context::Context;
use crate::error::CliResult;

/// Run the algorithm and print (or write) its result.
pub async fn run(_ctx: &Context, _args: RunArgs) -> CliResult {
    Err(crate::error::CliError::failed("not built yet (cli-core)"))
}
