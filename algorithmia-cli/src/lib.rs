//! `algo`: the command line for Algorithmia-style algorithms, on the `algorithmia-client` SDK.
//!
//! Calls (`algo run`), the Data API (`ls`, `mkdir`, `rmdir`, `rm`, `cat`, `cp`) and the
//! management API (`create`, `clone`, `build`, `builds`, `logs`, `publish`, `versions`, `info`,
//! `secrets`, `errors`, `languages`, `environment`, `template`). Profiles live in
//! `~/.algorithmia/config` (on Windows `%LOCALAPPDATA%\Algorithmia\config`), in the official
//! CLI's TOML format, so one file serves both.
//!
//! The binary is a thin wrapper over [`main_with_args`], which tests and other programs can call:
//!
//! ```
//! let code = algorithmia_cli::main_with_args(["algo", "completions", "bash"]);
//! assert_eq!(code, std::process::ExitCode::SUCCESS);
//! ```

pub mod algorithms;
pub mod auth;
pub mod cli;
pub mod context;
pub mod data;
pub mod error;
pub mod output;
pub mod run;

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command};
use crate::context::Context;
use crate::error::{CliError, CliResult};

/// Parse `args` (the program's name first), run the command, print any error on stderr and
/// return the exit code: 0 success, 1 an API or algorithm failure, 2 a usage error.
pub fn main_with_args<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            // clap prints help and version on stdout (exit 0) and usage errors on stderr (exit 2).
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { 2 } else { 0 });
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("algo: could not start the async runtime: {error}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "algo: {error}");
            error.exit_code()
        }
    }
}

async fn dispatch(cli: Cli) -> CliResult {
    let Cli { global, command } = cli;
    // Commands that need no client.
    match command {
        Command::Auth(args) => return auth::auth(&global, args).await,
        Command::Completions(args) => return completions(args.shell),
        Command::Man => return man(),
        _ => {}
    }
    let ctx = Context::new(&global)?;
    match command {
        Command::Run(args) => run::run(&ctx, args).await,
        Command::Ls(args) => data::ls(&ctx, args).await,
        Command::Mkdir(args) => data::mkdir(&ctx, args).await,
        Command::Rmdir(args) => data::rmdir(&ctx, args).await,
        Command::Rm(args) => data::rm(&ctx, args).await,
        Command::Cat(args) => data::cat(&ctx, args).await,
        Command::Cp(args) => data::cp(&ctx, args).await,
        Command::Create(args) => algorithms::create(&ctx, args).await,
        Command::Clone(args) => algorithms::clone(&ctx, args).await,
        Command::Build(args) => algorithms::build(&ctx, args).await,
        Command::Builds(args) => algorithms::builds(&ctx, args).await,
        Command::Logs(args) => algorithms::logs(&ctx, args).await,
        Command::Publish(args) => algorithms::publish(&ctx, args).await,
        Command::Versions(args) => algorithms::versions(&ctx, args).await,
        Command::Info(args) => algorithms::info(&ctx, args).await,
        Command::Secrets(command) => algorithms::secrets(&ctx, command).await,
        Command::Errors(args) => algorithms::errors(&ctx, args).await,
        Command::Languages => algorithms::languages(&ctx).await,
        Command::Environment(args) => algorithms::environment(&ctx, args).await,
        Command::Template(args) => algorithms::template(&ctx, args).await,
        Command::Auth(_) | Command::Completions(_) | Command::Man => Ok(()),
    }
}

fn completions(shell: clap_complete::Shell) -> CliResult {
    let mut out = std::io::stdout().lock();
    clap_complete::generate(shell, &mut Cli::command(), "algo", &mut out);
    out.flush()
        .map_err(|e| CliError::failed(format!("could not write the completions: {e}")))
}

fn man() -> CliResult {
    let mut out = std::io::stdout().lock();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .and_then(|()| out.flush())
        .map_err(|e| CliError::failed(format!("could not write the man page: {e}")))
}
