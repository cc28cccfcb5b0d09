//! A transfer's progress bar on stderr: drawn only when stderr is a terminal, so piped and
//! scripted runs stay quiet.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Files and bytes moved so far, shown as a bar (or nothing, when hidden).
#[derive(Debug, Clone)]
pub(crate) struct TransferBar {
    bar: ProgressBar,
}

impl TransferBar {
    /// A bar for `files` files of `bytes` bytes in all; hidden unless `visible`.
    pub(crate) fn new(visible: bool, files: u64, bytes: u64) -> TransferBar {
        if !visible {
            return TransferBar {
                bar: ProgressBar::hidden(),
            };
        }
        let bar = ProgressBar::with_draw_target(Some(bytes), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}) {msg}",
        ) {
            bar.set_style(style);
        }
        bar.set_message(format!("0/{files} files"));
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        TransferBar { bar }
    }

    /// Where a transfer stands: `files_done` of `files_total` files, `bytes_done` of
    /// `bytes_total` bytes.
    pub(crate) fn show(
        &self,
        files_done: u64,
        files_total: u64,
        bytes_done: u64,
        bytes_total: u64,
    ) {
        self.bar.set_length(bytes_total);
        self.bar.set_position(bytes_done);
        self.bar
            .set_message(format!("{files_done}/{files_total} files"));
    }

    /// Remove the bar.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
