//! Writing results: JSON for `--json`, lines of text otherwise, and a closed pipe (`algo ls |
//! head`) treated as the reader having had enough rather than as a failure.

use std::io::{self, Write};

use serde::Serialize;

use crate::error::{CliError, CliResult};

/// Print `value` as pretty JSON on stdout, with a final newline.
pub fn json<T: Serialize + ?Sized>(value: &T) -> CliResult {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::failed(format!("could not encode the output as JSON: {e}")))?;
    line(&text)
}

/// Print one line of text on stdout.
pub fn line(text: &str) -> CliResult {
    bytes(text.as_bytes()).and_then(|()| bytes(b"\n"))
}

/// Write raw bytes on stdout (no newline added).
pub fn bytes(data: &[u8]) -> CliResult {
    let mut out = io::stdout().lock();
    match out.write_all(data).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) => write_error(e),
    }
}

/// What a failed write to stdout means: a closed pipe ends the command quietly, anything else
/// is a failure.
pub fn write_error(error: io::Error) -> CliResult {
    if error.kind() == io::ErrorKind::BrokenPipe {
        // The reader went away (`| head`): what it wanted, it has.
        std::process::exit(0);
    }
    Err(CliError::failed(format!(
        "could not write to stdout: {error}"
    )))
}

/// Print a table: a header row and rows, columns padded to their widest cell.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> CliResult {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(width) = widths.get_mut(i) {
                *width = (*width).max(cell.chars().count());
            }
        }
    }
    let format = |cells: &mut dyn Iterator<Item = &str>| {
        let mut text = String::new();
        for (i, cell) in cells.enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            let width = widths.get(i).copied().unwrap_or(0);
            text.push_str(&format!("{cell:<width$}"));
        }
        text.trim_end().to_owned()
    };
    line(&format(&mut header.iter().copied()))?;
    for row in rows {
        line(&format(&mut row.iter().map(String::as_str)))?;
    }
    Ok(())
}
