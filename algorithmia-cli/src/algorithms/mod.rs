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
    todo!("cli-manage")
}

/// `algo clone`.
pub async fn clone(_ctx: &Context, _args: CloneArgs) -> CliResult {
    todo!("cli-manage")
}

/// `algo build`.
pub async fn build(_ctx: &Context, _args: BuildArgs) -> CliResult {
    todo!("cli-manage")
}

/// `algo builds`.
pub async fn builds(_ctx: &Context, _args: BuildsArgs) -> CliResult {
    todo!("cli-manage")
}

/// `algo logs`.
pub async fn logs(_ctx: &Context, _args: LogsArgs) -> CliResult {
    todo!("cli-manage")
}

/// `algo publish`.
pub async fn publish(_ctx: &Context, _args: PublishArgs) -> CliResult {
    todo!("cli-manage")
}

/// `algo versions`.
pub async fn versions(_ctx: &Context, _args: VersionsArgs) -> CliResult {
    todo!("cli-manage")
}

/// `algo info`.
pub async fn info(_ctx: &Context, _args: AlgoArg) -> CliResult {
    todo!("cli-manage")
}

/// `algo secrets ...`.
pub async fn secrets(_ctx: &Context, _command: SecretsCommand) -> CliResult {
    todo!("cli-manage")
}

/// `algo errors`.
pub async fn errors(_ctx: &Context, _args: AlgoArg) -> CliResult {
    todo!("cli-manage")
}

/// `algo languages`.
pub async fn languages(_ctx: &Context) -> CliResult {
    todo!("cli-manage")
}

/// `algo environment`.
pub async fn environment(_ctx: &Context, _args: EnvironmentArgs) -> CliResult {
    todo!("cli-manage")
}

/// `algo template`.
pub async fn template(_ctx: &Context, _args: TemplateArgs) -> CliResult {
    todo!("cli-manage")
}
