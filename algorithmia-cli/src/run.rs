//! `algo run`: call an algorithm with the official CLI's input flags and print its result.
//!
//! Input: `-d`/`-D` detect the type (JSON when it parses as JSON, else text when it is UTF-8,
//! else binary), `-t`/`-T` text, `-j`/`-J` JSON (checked before sending), `-b`/`-B` binary; the
//! lower-case flags take the input itself, the capitals a file; `-` reads stdin.
//!
//! Output, as the official CLI prints it: text as text, JSON as JSON; binary to `-o FILE`, raw
//! to stdout when it is piped, and refused on a terminal. `--json` prints the whole response
//! (result and metadata). `-o` files arrive whole or not at all.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use algorithmia_client::{AlgoInput, AlgoOutput, AlgoResponse, Algorithm, Raw, Void};
use base64::Engine as _;

use crate::cli::{OutputMode, RunArgs};
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::output;

/// How an input is to be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InputKind {
    Detect,
    Text,
    Json,
    Binary,
}

/// Where an input comes from.
enum Source<'a> {
    /// The flag's argument itself.
    Argument(&'a str),
    /// A file (or stdin for `-`).
    File(&'a Path),
}

/// Run the algorithm and print (or write) its result.
pub async fn run(ctx: &Context, args: RunArgs) -> CliResult {
    let (kind, source, flag) = chosen_input(&args)?;
    let bytes = read_source(&source, flag)?;
    let input = make_input(kind, bytes, flag)?;
    let algorithm = ctx
        .client()
        .algo(args.algo.as_str())
        .timeout(Duration::from_secs(args.timeout))
        .stdout(args.debug);
    let what = format!("call {}", args.algo);
    // A failure to reach the server names it: which profile was used is not obvious. A
    // malformed reference or an input over the API's limit is the caller's to fix (exit 2).
    let fail = |e: algorithmia_client::Error| match e {
        algorithmia_client::Error::Transport(_) => {
            CliError::api(format!("{what} at {}", ctx.api_server), e)
        }
        algorithmia_client::Error::InvalidAlgoRef(_)
        | algorithmia_client::Error::InputTooLarge { .. } => {
            CliError::usage(format!("could not {what}: {e}"))
        }
        e => CliError::api(&what, e),
    };
    match args.output {
        None => {
            let result = algorithm.pipe(input).await;
            if args.debug {
                print_debug(match &result {
                    Ok(response) => response.stdout(),
                    Err(e) => e
                        .algorithm_error()
                        .and_then(|a| a.metadata.as_ref())
                        .and_then(|m| m.stdout.as_deref()),
                });
            }
            let response = result.map_err(fail)?;
            print_response(ctx, &response, args.output_file.as_deref())
        }
        Some(OutputMode::Raw) => {
            let raw: Algorithm<Raw> = algorithm.output(Raw);
            let response = raw.pipe(input).await.map_err(fail)?;
            match &args.output_file {
                Some(path) => write_file(path, &response.body),
                None => print_bytes(&response.body, response.as_text().is_some()),
            }
        }
        Some(OutputMode::Void) => {
            let void: Algorithm<Void> = algorithm.output(Void);
            let response = void.pipe(input).await.map_err(fail)?;
            let text = if ctx.json {
                pretty(
                    &serde_json::json!({
                        "async": response.async_protocol,
                        "request_id": response.request_id,
                    }),
                    "the answer",
                )?
            } else {
                response.request_id
            };
            emit_line(&text, args.output_file.as_deref())
        }
    }
}

/// The one input flag clap let through, as a kind, a source and the flag's name for messages.
fn chosen_input(args: &RunArgs) -> CliResult<(InputKind, Source<'_>, &'static str)> {
    use InputKind::*;
    let arguments = [
        (&args.data, Detect, "-d"),
        (&args.text, Text, "-t"),
        (&args.json_input, Json, "-j"),
        (&args.binary, Binary, "-b"),
    ];
    for (value, kind, flag) in arguments {
        if let Some(value) = value {
            let source = if value == "-" {
                Source::File(Path::new("-"))
            } else {
                Source::Argument(value)
            };
            return Ok((kind, source, flag));
        }
    }
    let files = [
        (&args.data_file, Detect, "-D"),
        (&args.text_file, Text, "-T"),
        (&args.json_file, Json, "-J"),
        (&args.binary_file, Binary, "-B"),
    ];
    for (path, kind, flag) in files {
        if let Some(path) = path {
            return Ok((kind, Source::File(path), flag));
        }
    }
    Err(CliError::usage(
        "give the input with one of -d, -t, -j, -b, -D, -T, -J, -B",
    ))
}

/// The input's bytes: the argument's, a file's or stdin's (`-`).
fn read_source(source: &Source<'_>, flag: &str) -> CliResult<Vec<u8>> {
    match source {
        Source::Argument(text) => Ok(text.as_bytes().to_vec()),
        Source::File(path) if path.as_os_str() == "-" => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .lock()
                .read_to_end(&mut bytes)
                .map_err(|e| {
                    CliError::failed(format!("could not read the {flag} input from stdin: {e}"))
                })?;
            Ok(bytes)
        }
        Source::File(path) => std::fs::read(path).map_err(|e| {
            let message = format!(
                "could not read the {flag} input file {}: {e}",
                path.display()
            );
            // A file that is not there (or not readable) is the caller's mistake.
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound
                    | std::io::ErrorKind::PermissionDenied
                    | std::io::ErrorKind::IsADirectory
            ) {
                CliError::usage(message)
            } else {
                CliError::failed(message)
            }
        }),
    }
}

/// The input to send, its type detected or checked.
fn make_input(kind: InputKind, bytes: Vec<u8>, flag: &str) -> CliResult<AlgoInput> {
    Ok(match kind {
        InputKind::Binary => AlgoInput::Binary(bytes.into()),
        InputKind::Text => AlgoInput::Text(String::from_utf8(bytes).map_err(|e| {
            CliError::usage(format!(
                "the {flag} input is not UTF-8 text (invalid byte at offset {}); send it with -b or -B",
                e.utf8_error().valid_up_to()
            ))
        })?),
        InputKind::Json => {
            let text = String::from_utf8(bytes).map_err(|_| {
                CliError::usage(format!("the {flag} input is not JSON: it is not UTF-8 text"))
            })?;
            if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(&text) {
                return Err(CliError::usage(format!(
                    "the {flag} input is not JSON (line {}, column {}): {}",
                    e.line(),
                    e.column(),
                    json_error_reason(&e)
                )));
            }
            AlgoInput::JsonText(text)
        }
        InputKind::Detect => match String::from_utf8(bytes) {
            Ok(text) if serde_json::from_str::<serde::de::IgnoredAny>(&text).is_ok() => {
                AlgoInput::JsonText(text)
            }
            Ok(text) => AlgoInput::Text(text),
            Err(e) => AlgoInput::Binary(e.into_bytes().into()),
        },
    })
}

/// serde_json's description of a syntax error, without its position (given separately).
fn json_error_reason(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// `--debug`: the algorithm's stdout, on stderr.
fn print_debug(stdout: Option<&str>) {
    let mut err = std::io::stderr().lock();
    match stdout {
        Some(text) if !text.is_empty() => {
            let _ = err.write_all(text.as_bytes());
            if !text.ends_with('\n') {
                let _ = err.write_all(b"\n");
            }
        }
        _ => {
            let _ = writeln!(
                err,
                "(the algorithm printed nothing, or its stdout is given only to its owner)"
            );
        }
    }
}

/// Print or write an envelope response.
fn print_response(ctx: &Context, response: &AlgoResponse, file: Option<&Path>) -> CliResult {
    if ctx.json {
        let whole = serde_json::json!({
            "result": result_as_json(response.output()),
            "metadata": response.metadata(),
        });
        return emit_line(&pretty(&whole, "the response")?, file);
    }
    match (response.output(), file) {
        (AlgoOutput::Text(text), Some(path)) => write_file(path, text.as_bytes()),
        (AlgoOutput::Text(text), None) => output::line(text),
        (AlgoOutput::Json(value), _) => emit_line(&pretty(value, "the result")?, file),
        (AlgoOutput::Binary(bytes), Some(path)) => write_file(path, bytes),
        (AlgoOutput::Binary(bytes), None) => print_bytes(bytes, false),
        (AlgoOutput::Void, Some(path)) => write_file(path, b""),
        (AlgoOutput::Void, None) => Ok(()),
    }
}

/// `value` as pretty JSON; `what` names it in the error.
fn pretty(value: &serde_json::Value, what: &str) -> CliResult<String> {
    serde_json::to_string_pretty(value)
        .map_err(|e| CliError::failed(format!("could not encode {what} as JSON: {e}")))
}

/// A line of text to `file` (whole or not at all) or to stdout.
fn emit_line(text: &str, file: Option<&Path>) -> CliResult {
    match file {
        Some(path) => write_file(path, format!("{text}\n").as_bytes()),
        None => output::line(text),
    }
}

/// The result as the API's envelope carries it: JSON as is, text as a string, bytes as base64.
fn result_as_json(output: &AlgoOutput) -> serde_json::Value {
    match output {
        AlgoOutput::Json(value) => value.clone(),
        AlgoOutput::Text(text) => serde_json::Value::String(text.clone()),
        AlgoOutput::Binary(bytes) => {
            serde_json::Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
        }
        AlgoOutput::Void => serde_json::Value::Null,
    }
}

/// Bytes to stdout: text as is; binary only when stdout is not a terminal.
fn print_bytes(bytes: &[u8], is_text: bool) -> CliResult {
    if !is_text && std::io::stdout().is_terminal() {
        return Err(CliError::usage(format!(
            "the result is {} bytes of binary data, not printed on a terminal: write it to a \
             file with -o FILE, or pipe stdout",
            bytes.len()
        )));
    }
    output::bytes(bytes)
}

/// Write `bytes` to `path` whole or not at all: a temporary file beside it, then a rename.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> CliResult {
    let fail = |e: std::io::Error| {
        CliError::failed(format!(
            "could not write the result to {}: {e}",
            path.display()
        ))
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if path.is_dir() {
        return Err(CliError::usage(format!(
            "could not write the result to {}: it is a directory",
            path.display()
        )));
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "result".to_owned());
    let temp = dir.join(format!(
        ".{name}.{}.{}.part",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    ));
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(fail(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_prefers_json_then_text_then_binary() {
        assert!(matches!(
            make_input(InputKind::Detect, b"{\"a\": 1}".to_vec(), "-d").unwrap(),
            AlgoInput::JsonText(t) if t == "{\"a\": 1}"
        ));
        assert!(matches!(
            make_input(InputKind::Detect, b"42".to_vec(), "-d").unwrap(),
            AlgoInput::JsonText(_)
        ));
        assert!(matches!(
            make_input(InputKind::Detect, b"hello world".to_vec(), "-d").unwrap(),
            AlgoInput::Text(t) if t == "hello world"
        ));
        assert!(matches!(
            make_input(InputKind::Detect, vec![0xff, 0, 1], "-D").unwrap(),
            AlgoInput::Binary(b) if b.as_ref() == [0xff, 0, 1]
        ));
    }

    #[test]
    fn json_and_text_are_checked() {
        let err = make_input(InputKind::Json, b"{\"a\":".to_vec(), "-j").unwrap_err();
        assert_eq!(err.kind(), crate::error::Failure::Usage);
        assert!(
            err.message().contains("-j input is not JSON (line 1"),
            "{err}"
        );
        let err = make_input(InputKind::Text, vec![b'a', 0xff], "-T").unwrap_err();
        assert!(err.message().contains("offset 1"), "{err}");
        assert!(matches!(
            make_input(InputKind::Text, b"{}".to_vec(), "-t").unwrap(),
            AlgoInput::Text(_)
        ));
    }
}
