//! `algo`, the command line. Everything is in the library; see [`algorithmia_cli`].

use std::process::ExitCode;

fn main() -> ExitCode {
    algorithmia_cli::main_with_args(std::env::args_os())
}
