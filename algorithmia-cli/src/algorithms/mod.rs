//! The algorithm commands, on the management API: `create`, `clone`, `build`, `builds`,
//! `logs`, `publish`, `versions`, `info`, `secrets`, `errors`, `languages`, `environment` and
//! `template`.

use crate::cli::{
    AlgoArg, BuildArgs, BuildsArgs, CloneArgs, CreateArgs, EnvironmentArgs, LogsArgs, PublishArgs,
    SecretsCommand, TemplateArgs, VersionsArgs,
};
use crate::context::Context;
use crate::error::CliResult;

/// `algo create`.
pub async fn create(_ctx: &Context, _args: CreateArgs) -> CliResult {
    Err(crate::error::CliError::failed("not built yet (cli-manage)"))
}

/// `algo clone`.
pub async fn clone(_ctx: &Context, _args: CloneArgs) -> CliResult {
    Err(crate::error::CliError::failed("not built yet (cli-manage)"))
}

/// `algo build`.
pub async fn build(_ctx: &Context, _args: BuildArgs) -> CliResult {
    Err(crate::error::CliError::failed("not built yet (cli-manage)"))
}

/// `algo builds`.
pub async fn builds(_ctx: &Context, _args: BuildsArgs) -> CliResult {
    Err(crate::error::CliError::failed("not built yet (cli-manage)"))
}

/// `algo logs`.
pub async fn logs(_ctx: &Context, _args: LogsArgs) -> CliResult {
    Err(crate::error::CliError::failed("not built yet (cli-manage)"))
}

/// `algo publish`.
pub async fn publish(_ctx: &Context, _args: PublishArgs) -> CliResult {
    Err(crate::error::CliError::failed("not built yet (cli-manage)"))
}

/// `algo versions`.
pub async fn versions(_ctx: &Context, _args: VersionsArgs) -> CliResult {
    Err(crate::error::CliError::failed("not built yet (cli-manage)"))
}

/// `algo info`.
pub async fn info(_ctx: &Context, _args: AlgoArg) -> CliResult {
    Err(crate::error::CliError::failed("not built yet (cli-manage)"))
}

/// `algo secrets ...`.
pub async fn secrets(_ctx: &Context, _command: SecretsCommand) -> CliResult {
    Err(crate::error::CliError::failed("not built yet (cli-manage)"))
}

/// `algo errors`.
pub async fn errors(_ctx: &Context, _args: AlgoArg) -> CliResult {
    Err(crate::error::CliError::failed("not built yet (cli-manage)"))
}

/// `algo languages`.
pub async fn languages(_ctx: &Context) -> CliResult {
    Err(crate::error::CliError::failed("not built yet (cli-manage)"))
}

/// `algo environment`.
pub async fn environment(_ctx: &Context, _args: EnvironmentArgs) -> CliResult {
    Err(crate::error::CliError::failed("not built yet (cli-manage)"))
}

/// `algo template`.
pub async fn template(_ctx: &Context, _args: TemplateArgs) -> CliResult {
    Err(crate::error::CliError::failed("not built yet (cli-manage)"))
}
