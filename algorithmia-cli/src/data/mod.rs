//! The data commands: `ls`, `mkdir`, `rmdir`, `rm`, `cat` and `cp`.

mod cp;

pub use cp::cp;

use crate::cli::{LsArgs, PathArg, PathsArg, RmdirArgs};
use crate::context::Context;
use crate::error::CliResult;

/// `algo ls`.
pub async fn ls(_ctx: &Context, _args: LsArgs) -> CliResult {
    Err(crate::error::CliError::failed("not built yet (cli-data)"))
}

/// `algo mkdir`.
pub async fn mkdir(_ctx: &Context, _args: PathArg) -> CliResult {
    Err(crate::error::CliError::failed("not built yet (cli-data)"))
}

/// `algo rmdir`.
pub async fn rmdir(_ctx: &Context, _args: RmdirArgs) -> CliResult {
    Err(crate::error::CliError::failed("not built yet (cli-data)"))
}

/// `algo rm`.
pub async fn rm(_ctx: &Context, _args: PathsArg) -> CliResult {
    Err(crate::error::CliError::failed("not built yet (cli-data)"))
}

/// `algo cat`.
pub async fn cat(_ctx: &Context, _args: PathsArg) -> CliResult {
    Err(crate::error::CliError::failed("not built yet (cli-data)"))
}
