//! The command line's grammar: every command, argument and flag, as clap derives it.
//!
//! One definition serves parsing, `--help`, the shell completions and the man page. The names
//! follow the official CLI (`algo` from the Python package `algorithmia` 2.0.5) where it has the
//! command; the management commands it lacks are added in the same style.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

/// `algo`: call algorithms, move data and manage algorithms on an Algorithmia API v1 server.
#[derive(Debug, Parser)]
#[command(name = "algo", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes, before or after the command's name.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The profile of `~/.algorithmia/config` to use.
    #[arg(long, global = true, value_name = "NAME", default_value = "default")]
    pub profile: String,
    /// Print listings and results as JSON, for scripts.
    #[arg(long, global = true)]
    pub json: bool,
    /// The config file holding the profiles (default `~/.algorithmia/config`).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Save an API key, API address, CA certificate and bearer token for a profile.
    Auth(AuthArgs),
    /// Run an algorithm and print its result.
    Run(RunArgs),
    /// List a data directory (default `data://`, your own collections).
    Ls(LsArgs),
    /// Create a data directory (one that exists already is an error: exit 1).
    Mkdir(PathArg),
    /// Remove a data directory (a non-empty one only with -f).
    Rmdir(RmdirArgs),
    /// Remove data files (`data://dir/*`: every file of the directory).
    Rm(PathsArg),
    /// Print data files, streamed, one after another.
    Cat(PathsArg),
    /// Copy files: local to remote, remote to local, remote to remote; `-r` for trees.
    Cp(CpArgs),
    /// Create an algorithm.
    Create(CreateArgs),
    /// Clone an algorithm's source repository with git.
    Clone(CloneArgs),
    /// Start a build of an algorithm and follow it to the end.
    Build(BuildArgs),
    /// List an algorithm's builds (`algo builds USER ALGO`, as the official CLI, also works).
    Builds(BuildsArgs),
    /// Print a build's log.
    Logs(LogsArgs),
    /// Publish a built version of an algorithm.
    Publish(PublishArgs),
    /// List an algorithm's versions.
    Versions(VersionsArgs),
    /// Show an algorithm.
    Info(AlgoArg),
    /// List, set and delete an algorithm's secrets.
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// List an algorithm's recorded errors.
    Errors(AlgoArg),
    /// List the languages algorithms can be written in.
    Languages,
    /// List the build environments of a language.
    Environment(EnvironmentArgs),
    /// Download an environment's algorithm template into a directory.
    Template(TemplateArgs),
    /// Print a completion script for a shell.
    Completions(CompletionsArgs),
    /// Print the man page (roff).
    Man,
}

/// `algo auth`. Its `Debug` hides the key and the token.
#[derive(Args)]
pub struct AuthArgs {
    /// The API key; asked for when no flag is given. `-` reads it from stdin's first line, which
    /// keeps it out of the shell's history and the process list.
    #[arg(long, value_name = "KEY")]
    pub api_key: Option<String>,
    /// The API address (default `https://api.algorithmia.com`).
    #[arg(long, value_name = "URL")]
    pub api_server: Option<String>,
    /// A PEM file of CA certificates to trust besides the system's.
    #[arg(long, value_name = "PATH")]
    pub ca_cert: Option<PathBuf>,
    /// A bearer token (JWT), used when there is no API key; `-` reads it from stdin (the line
    /// after the key's when both are `-`).
    #[arg(long, value_name = "TOKEN")]
    pub bearer_token: Option<String>,
    /// Save without checking the credentials against the server.
    #[arg(long)]
    pub no_verify: bool,
}

impl std::fmt::Debug for AuthArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |value: &Option<String>| value.as_ref().map(|_| "<redacted>");
        f.debug_struct("AuthArgs")
            .field("api_key", &hidden(&self.api_key))
            .field("api_server", &self.api_server)
            .field("ca_cert", &self.ca_cert)
            .field("bearer_token", &hidden(&self.bearer_token))
            .field("no_verify", &self.no_verify)
            .finish()
    }
}

/// `algo run`: exactly one input flag.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("input").required(true).args([
    "data", "text", "json_input", "binary", "data_file", "text_file", "json_file", "binary_file",
])))]
pub struct RunArgs {
    /// The algorithm: `owner/name`, `owner/name/version`, or with an `algo://` prefix.
    pub algo: String,
    /// Input whose type is detected (JSON when it parses as JSON, else text); `-` reads stdin
    /// (then bytes that are not UTF-8 go as binary).
    #[arg(short = 'd', long = "data", value_name = "DATA")]
    pub data: Option<String>,
    /// Input sent as text; `-` reads stdin.
    #[arg(short = 't', long = "text", value_name = "TEXT")]
    pub text: Option<String>,
    /// Input sent as JSON (checked before sending); `-` reads stdin. (The official CLI's long
    /// name, `--json`, is the global flag that prints the whole response as JSON.)
    #[arg(short = 'j', long = "json-input", value_name = "JSON")]
    pub json_input: Option<String>,
    /// Input sent as binary (the argument's bytes); `-` reads stdin.
    #[arg(short = 'b', long = "binary", value_name = "DATA")]
    pub binary: Option<String>,
    /// Input read from a file, type detected (JSON, else UTF-8 text, else binary); `-` is stdin.
    #[arg(short = 'D', long = "data-file", value_name = "FILE")]
    pub data_file: Option<PathBuf>,
    /// Input read from a file, sent as text; `-` is stdin.
    #[arg(short = 'T', long = "text-file", value_name = "FILE")]
    pub text_file: Option<PathBuf>,
    /// Input read from a file, sent as JSON; `-` is stdin.
    #[arg(short = 'J', long = "json-file", value_name = "FILE")]
    pub json_file: Option<PathBuf>,
    /// Input read from a file, sent as binary; `-` is stdin.
    #[arg(short = 'B', long = "binary-file", value_name = "FILE")]
    pub binary_file: Option<PathBuf>,
    /// The algorithm's timeout, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub timeout: u64,
    /// Print the algorithm's stdout (given to its owner only) on stderr.
    #[arg(long)]
    pub debug: bool,
    /// Write the result to this file instead of stdout (binary results need it on a terminal).
    #[arg(short = 'o', long = "output-file", value_name = "FILE")]
    pub output_file: Option<PathBuf>,
    /// The API's output mode: `raw` (the result alone, unwrapped) or `void` (start and return).
    #[arg(long = "output", value_name = "MODE")]
    pub output: Option<OutputMode>,
}

/// The API's output modes for `algo run --output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputMode {
    /// The algorithm's result as it produced it, without the JSON envelope.
    Raw,
    /// Start the call and return at once, with the request id.
    Void,
}

/// `algo ls`.
#[derive(Debug, Args)]
pub struct LsArgs {
    /// Long listing: modification time and size of each file.
    #[arg(short = 'l', long = "long")]
    pub long: bool,
    /// The directory (or file) to list; `data://` when absent.
    pub path: Option<String>,
}

/// One remote path.
#[derive(Debug, Args)]
pub struct PathArg {
    /// The data path, e.g. `data://.my/photos`.
    pub path: String,
}

/// Several remote paths.
#[derive(Debug, Args)]
pub struct PathsArg {
    /// The data paths.
    #[arg(required = true)]
    pub paths: Vec<String>,
}

/// `algo rmdir`.
#[derive(Debug, Args)]
pub struct RmdirArgs {
    /// Remove the directory even when it is not empty, with everything in it.
    #[arg(short = 'f', long = "force")]
    pub force: bool,
    /// The directory.
    pub path: String,
}

/// `algo cp`.
#[derive(Debug, Args)]
pub struct CpArgs {
    /// Copy directories and everything under them.
    #[arg(short = 'r', long = "recursive")]
    pub recursive: bool,
    /// How many files move at once.
    #[arg(
        short = 'c',
        long = "concurrency",
        value_name = "N",
        default_value_t = 16
    )]
    pub concurrency: usize,
    /// The sources, then the destination; with several sources the destination is a directory.
    #[arg(required = true, num_args = 2.., value_name = "PATH")]
    pub paths: Vec<String>,
}

/// An algorithm, `owner/name`.
#[derive(Debug, Args)]
pub struct AlgoArg {
    /// The algorithm, `owner/name`.
    pub algo: String,
}

/// `algo create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The new algorithm, `owner/name` (the owner is you or one of your organisations).
    pub algo: String,
    /// Its display name (default: its name).
    #[arg(long)]
    pub label: Option<String>,
    /// A one-line summary.
    #[arg(long)]
    pub summary: Option<String>,
    /// The build environment (an id from `algo environment LANG`); default the language's first.
    #[arg(long, value_name = "ID")]
    pub environment: Option<String>,
    /// The language, used to pick the environment when `--environment` is absent.
    #[arg(long, default_value = "python3")]
    pub language: String,
    /// Source visibility: `open` or `closed`.
    #[arg(long, value_name = "VISIBILITY")]
    pub source_visibility: Option<String>,
    /// License, e.g. `apl`, `mit`.
    #[arg(long)]
    pub license: Option<String>,
    /// Network access: `full` or `isolated`.
    #[arg(long, value_name = "ACCESS")]
    pub network_access: Option<String>,
    /// Whether it may call other algorithms (`true`/`false`).
    #[arg(long, value_name = "BOOL")]
    pub pipeline_enabled: Option<bool>,
}

/// `algo clone`.
#[derive(Debug, Args)]
pub struct CloneArgs {
    /// The algorithm, `owner/name`.
    pub algo: String,
    /// Where to clone to (default: the algorithm's name).
    pub dest: Option<PathBuf>,
}

/// `algo build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The algorithm, `owner/name`.
    pub algo: String,
    /// Start the build and return without following it.
    #[arg(long)]
    pub no_wait: bool,
    /// Give up following the build after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 1800)]
    pub timeout: u64,
}

/// `algo builds`: `owner/name`, or `OWNER NAME` as the official CLI takes them.
#[derive(Debug, Args)]
pub struct BuildsArgs {
    /// The algorithm as `owner/name`, or its owner when NAME follows.
    pub algo: String,
    /// The algorithm's name, when the first argument is its owner.
    pub name: Option<String>,
}

/// `algo logs`.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// The algorithm, `owner/name`.
    pub algo: String,
    /// The build's id (from `algo builds`).
    pub build: String,
}

/// `algo publish`.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The algorithm, `owner/name`.
    pub algo: String,
    /// Which part of the version goes up: `major`, `minor`, `revision` (or `patch`).
    #[arg(
        long = "type",
        value_name = "TYPE",
        default_value = "minor",
        value_parser = ["major", "minor", "revision", "patch"]
    )]
    pub version_type: String,
    /// Release notes.
    #[arg(long, value_name = "TEXT")]
    pub notes: Option<String>,
    /// A sample input shown with the version.
    #[arg(long, value_name = "TEXT")]
    pub sample_input: Option<String>,
    /// A sample output shown with the version.
    #[arg(long, value_name = "TEXT")]
    pub sample_output: Option<String>,
    /// Who may call the version: `private` (you and your organisations) or `public`.
    #[arg(
        long,
        value_name = "WHO",
        default_value = "private",
        value_parser = ["private", "public"]
    )]
    pub callability: String,
}

/// `algo versions`.
#[derive(Debug, Args)]
pub struct VersionsArgs {
    /// The algorithm, `owner/name`.
    pub algo: String,
    /// Only published versions (`true`) or only unpublished builds (`false`).
    #[arg(long, value_name = "BOOL")]
    pub published: Option<bool>,
    /// Only versions you may call (`true`) or only those you may not (`false`).
    #[arg(long, value_name = "BOOL")]
    pub callable: Option<bool>,
}

/// `algo secrets ...`.
#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// List an algorithm's secrets (names and descriptions; values are never shown).
    List(AlgoArg),
    /// Set a secret; its value comes from `--value`, or from stdin.
    Set(SecretSetArgs),
    /// Delete a secret.
    Delete(SecretNameArgs),
}

/// `algo secrets set`. Its `Debug` hides the value.
#[derive(Args)]
pub struct SecretSetArgs {
    /// The algorithm, `owner/name`.
    pub algo: String,
    /// The secret's name: the environment variable the algorithm reads.
    pub name: String,
    /// The value (read from stdin when absent, so it stays out of the shell's history).
    #[arg(long, value_name = "VALUE")]
    pub value: Option<String>,
    /// A description.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
}

impl std::fmt::Debug for SecretSetArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretSetArgs")
            .field("algo", &self.algo)
            .field("name", &self.name)
            .field("value", &self.value.as_ref().map(|_| "***"))
            .field("description", &self.description)
            .finish()
    }
}

/// `algo secrets delete`.
#[derive(Debug, Args)]
pub struct SecretNameArgs {
    /// The algorithm, `owner/name`.
    pub algo: String,
    /// The secret's name.
    pub name: String,
}

/// `algo environment`.
#[derive(Debug, Args)]
pub struct EnvironmentArgs {
    /// The language, e.g. `python3`.
    pub language: String,
}

/// `algo template`.
#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// The environment specification id (from `algo environment LANG`).
    pub envid: String,
    /// The directory to unpack the template into.
    pub dest: PathBuf,
}

/// `algo completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn auth_args_debug_hides_the_key_and_token() {
        let cli = Cli::try_parse_from([
            "algo",
            "auth",
            "--api-key",
            "simDEBUGKEY",
            "--bearer-token",
            "a.b.TOKEN",
        ])
        .unwrap();
        let shown = format!("{cli:?}");
        assert!(
            !shown.contains("simDEBUGKEY") && !shown.contains("TOKEN"),
            "{shown}"
        );
        assert!(shown.contains("<redacted>"), "{shown}");
    }

    #[test]
    fn the_grammar_is_consistent() {
        Cli::command().debug_assert();
        // Global flags are checked against each subcommand's only when it is built.
        let mut command = Cli::command();
        command.build();
        for sub in command.get_subcommands_mut() {
            sub.clone().debug_assert();
        }
    }

    #[test]
    fn a_secret_value_is_not_in_debug() {
        let cli = Cli::try_parse_from([
            "algo", "secrets", "set", "a/b", "NAME", "--value", "hunter2",
        ])
        .unwrap();
        let debug = format!("{cli:?}");
        assert!(
            !debug.contains("hunter2") && debug.contains("***"),
            "{debug}"
        );
    }
}
