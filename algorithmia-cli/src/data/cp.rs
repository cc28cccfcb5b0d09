//! `algo cp`: local to remote, remote to local, remote to remote, several sources into a
//! directory, and trees with `-r`.

use crate::cli::CpArgs;
use crate::context::Context;
use crate::error::CliResult;

/// `algo cp`.
pub async fn cp(_ctx: &Context, _args: CpArgs) -> CliResult {
    Err(crate::error::CliError::failed("not built yet (cli-data)"))
}
