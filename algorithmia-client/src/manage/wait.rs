//! Waiting for a build to finish: polling with backoff, an overall timeout, and progress.

use std::fmt;
use std::time::{Duration, Instant};

use super::algorithm::Algorithm;
use super::model::build::Build;
use crate::error::{Error, Result};

/// The default overall limit of [`Algorithm::wait_for_build`].
pub const DEFAULT_BUILD_WAIT: Duration = Duration::from_secs(30 * 60);

/// A callback told about each poll's build.
type ProgressFn = Box<dyn FnMut(&Build) + Send>;

/// How [`Algorithm::wait_for_build`] polls: first after ~250 ms, then each pause half as long
/// again, up to ~5 s; 30 minutes in all; and an optional progress callback.
///
/// ```
/// use std::time::Duration;
/// use algorithmia_client::manage::WaitOptions;
///
/// let options = WaitOptions::default()
///     .timeout(Duration::from_secs(600))
///     .on_progress(|build| eprintln!("build {}: {}", build.build_id, build.status));
/// ```
#[must_use]
pub struct WaitOptions {
    timeout: Duration,
    initial_interval: Duration,
    max_interval: Duration,
    on_progress: Option<ProgressFn>,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            timeout: DEFAULT_BUILD_WAIT,
            initial_interval: Duration::from_millis(250),
            max_interval: Duration::from_secs(5),
            on_progress: None,
        }
    }
}

impl fmt::Debug for WaitOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitOptions")
            .field("timeout", &self.timeout)
            .field("initial_interval", &self.initial_interval)
            .field("max_interval", &self.max_interval)
            .field("on_progress", &self.on_progress.is_some())
            .finish()
    }
}

impl WaitOptions {
    /// How long to wait in all before [`Error::BuildTimeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The first pause between polls, and the longest.
    pub fn poll_interval(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_interval = initial;
        self.max_interval = max.max(initial);
        self
    }

    /// Called with the build after every poll, whatever its status.
    pub fn on_progress(mut self, callback: impl FnMut(&Build) + Send + 'static) -> Self {
        self.on_progress = Some(Box::new(callback));
        self
    }
}

impl Algorithm {
    /// Poll a build until it has finished (succeeded, failed, or another end state) and return
    /// it; check [`Build::status`] for the outcome. Fails with [`Error::BuildTimeout`] when the
    /// options' timeout passes first, and with the API's error when a poll fails (each poll is
    /// an idempotent GET, retried as such).
    pub async fn wait_for_build(&self, build_id: &str, mut options: WaitOptions) -> Result<Build> {
        let started = Instant::now();
        let deadline = started + options.timeout;
        let mut interval = options.initial_interval;
        loop {
            let build = self.build(build_id).await?;
            if let Some(progress) = options.on_progress.as_mut() {
                progress(&build);
            }
            if build.status.is_finished() {
                return Ok(build);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::BuildTimeout {
                    algorithm: self
                        .reference()
                        .map_or_else(|e| e.input.clone(), ToString::to_string),
                    build_id: build_id.to_owned(),
                    waited: now.duration_since(started),
                    last_status: build.status.to_string(),
                });
            }
            // The last pause ends at the deadline, for one last look.
            tokio::time::sleep(interval.min(deadline - now)).await;
            interval = interval.mul_f64(1.5).min(options.max_interval);
        }
    }
}
