//! Building an algorithm's commit into something that runs: the commit checked out, a virtual
//! environment with its `requirements.txt` installed, its sources compiled, all logged.
//!
//! Layout under the builder's root (`<data>/builds`): `ID/COMMIT/src` (the checkout),
//! `ID/COMMIT/venv`, `ID/COMMIT/build.log`, and `.pip-cache`, pip's cache for every build.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, SystemTime};

use tokio::process::Command;
use tokio::sync::{Mutex, OnceCell, Semaphore};

use super::git::GitEnv;
use super::log::{BuildLog, DEFAULT_LOG_CAP};
use super::names::{NameError, check_commit, check_id, check_inside, check_name};
use super::runtime::Runtime;
use super::step::{self, SharedLog, note};

/// How long `pip install` may take by default.
pub const DEFAULT_PIP_TIMEOUT: Duration = Duration::from_secs(600);
/// How long the other steps (checkout, venv, compile) may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(300);
/// Written last in a build directory whose build succeeded.
const SUCCEEDED_MARKER: &str = ".succeeded";
const LOG_FILE: &str = "build.log";

/// What to build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildRequest {
    /// The algorithm's stable id (one path component: letters, digits, `_`, `-`, `.`).
    pub algorithm_id: String,
    /// The owner (checked like a repository owner).
    pub owner: String,
    /// The algorithm name: the entry point is `src/NAME.py`.
    pub name: String,
    /// The bare repository ([`Repositories::path`](super::Repositories::path)).
    pub repo: PathBuf,
    /// The full commit id to build.
    pub commit: String,
}

/// How a build ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildStatus {
    /// The runtime is ready.
    Succeeded,
    /// The log says why not.
    Failed,
}

/// The result of [`Builder::build`].
#[derive(Debug, Clone)]
pub struct BuildOutput {
    /// Succeeded or failed.
    pub status: BuildStatus,
    /// What each step printed, stdout and stderr interleaved (capped, keeping head and tail).
    pub log: String,
    /// The build directory, `ROOT/ID/COMMIT`.
    pub dir: PathBuf,
    /// How to run the build (its paths exist only when the build succeeded).
    pub runtime: Runtime,
    /// Whether an earlier successful build of the same commit was reused.
    pub reused: bool,
    /// When the build started (after waiting for its turn).
    pub started: SystemTime,
    /// When it finished.
    pub finished: SystemTime,
}

/// What went wrong outside a build (removing one).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The algorithm id was refused.
    #[error(transparent)]
    Name(#[from] NameError),
    /// The file system refused.
    #[error("{action} {path:?}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// On what.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// Builds algorithms, one build at a time per algorithm and at most `max_parallel` at once.
/// A cheap `Clone` handle.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use algorithmia_local::build::{BuildRequest, BuildStatus, Builder};
/// let builder = Builder::new("/tmp/data/builds".into(), "python3".into(), 2)?;
/// let output = builder
///     .build(BuildRequest {
///         algorithm_id: "17".into(),
///         owner: "alice".into(),
///         name: "Hello".into(),
///         repo: "/tmp/data/git/alice/Hello.git".into(),
///         commit: "0123456789abcdef0123456789abcdef01234567".into(),
///     })
///     .await;
/// if output.status == BuildStatus::Succeeded {
///     println!("run it with: {}", output.runtime.command());
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Builder {
    root: PathBuf,
    python: PathBuf,
    pip_timeout: Duration,
    log_cap: usize,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    permits: Semaphore,
    locks: StdMutex<HashMap<String, Arc<Mutex<()>>>>,
    git: Arc<GitEnv>,
    /// Whether the base interpreter's pip can install into another (`pip --python`).
    base_pip: OnceCell<bool>,
}

impl Builder {
    /// Builds under `root` (created if missing) with virtual environments made by `python`.
    pub fn new(root: PathBuf, python: PathBuf, max_parallel: usize) -> std::io::Result<Builder> {
        std::fs::create_dir_all(&root)?;
        let root = root.canonicalize()?;
        Ok(Builder {
            root,
            python,
            pip_timeout: DEFAULT_PIP_TIMEOUT,
            log_cap: DEFAULT_LOG_CAP,
            shared: Arc::new(Shared {
                permits: Semaphore::new(max_parallel.max(1)),
                locks: StdMutex::new(HashMap::new()),
                git: GitEnv::new()?,
                base_pip: OnceCell::new(),
            }),
        })
    }

    /// How long `pip install` may take (10 minutes by default).
    pub fn pip_timeout(mut self, timeout: Duration) -> Self {
        self.pip_timeout = timeout;
        self
    }

    /// The largest log kept, in bytes (1 MiB by default).
    pub fn log_cap(mut self, bytes: usize) -> Self {
        self.log_cap = bytes;
        self
    }

    /// The directory of one algorithm's builds, `ROOT/ID`.
    pub fn algorithm_dir(&self, algorithm_id: &str) -> Result<PathBuf, NameError> {
        check_id(algorithm_id)?;
        let dir = self.root.join(algorithm_id);
        check_inside(&self.root, &dir)?;
        Ok(dir)
    }

    fn lock_for(&self, algorithm_id: &str) -> Arc<Mutex<()>> {
        let mut locks = match self.shared.locks.lock() {
            Ok(locks) => locks,
            Err(poisoned) => poisoned.into_inner(),
        };
        Arc::clone(locks.entry(algorithm_id.to_owned()).or_default())
    }

    /// Build `request`: never panics; every failure is a [`BuildStatus::Failed`] with the log.
    pub async fn build(&self, request: BuildRequest) -> BuildOutput {
        let lock = self.lock_for(&request.algorithm_id);
        let _one_per_algorithm = lock.lock().await;
        let _permit = self.shared.permits.acquire().await;
        let started = SystemTime::now();
        let log: SharedLog = Arc::new(StdMutex::new(BuildLog::new(self.log_cap)));
        let (dir, runtime, outcome) = match self.layout(&request) {
            Ok((dir, runtime)) => {
                let outcome = self.build_in(&request, &dir, &runtime, &log).await;
                (dir, runtime, outcome)
            }
            Err(e) => {
                let runtime = Runtime {
                    python: PathBuf::new(),
                    entry: PathBuf::new(),
                    cwd: PathBuf::new(),
                };
                (PathBuf::new(), runtime, Err(e.to_string()))
            }
        };
        let (status, reused, text) = match outcome {
            Ok(Some(previous)) => (BuildStatus::Succeeded, true, previous),
            Ok(None) => {
                note(&log, "Build succeeded.");
                let text = log_text(&log);
                let saved = std::fs::write(dir.join(LOG_FILE), &text)
                    .and_then(|()| std::fs::write(dir.join(SUCCEEDED_MARKER), &request.commit));
                match saved {
                    Ok(()) => (BuildStatus::Succeeded, false, text),
                    Err(e) => {
                        note(&log, &format!("Could not save the build: {e}"));
                        (BuildStatus::Failed, false, log_text(&log))
                    }
                }
            }
            Err(reason) => {
                note(&log, &format!("Build failed: {reason}"));
                let text = log_text(&log);
                if dir.is_dir() {
                    let _ = std::fs::write(dir.join(LOG_FILE), &text);
                }
                (BuildStatus::Failed, false, text)
            }
        };
        tracing::info!(algorithm = %request.algorithm_id, commit = %request.commit, ?status, reused, "build");
        BuildOutput {
            status,
            log: text,
            dir,
            runtime,
            reused,
            started,
            finished: SystemTime::now(),
        }
    }

    /// The runtime of an earlier successful build of `commit`, if its build directory holds one
    /// (after a restart too); `None` otherwise.
    pub fn built(
        &self,
        algorithm_id: &str,
        owner: &str,
        name: &str,
        commit: &str,
    ) -> Option<Runtime> {
        let request = BuildRequest {
            algorithm_id: algorithm_id.to_owned(),
            owner: owner.to_owned(),
            name: name.to_owned(),
            repo: PathBuf::new(),
            commit: commit.to_owned(),
        };
        let (dir, runtime) = self.layout(&request).ok()?;
        (dir.join(SUCCEEDED_MARKER).is_file() && runtime.python.exists()).then_some(runtime)
    }

    /// `ROOT/ID/COMMIT` and the runtime it will hold.
    fn layout(&self, request: &BuildRequest) -> Result<(PathBuf, Runtime), NameError> {
        check_name("owner", &request.owner)?;
        check_name("algorithm name", &request.name)?;
        check_commit(&request.commit)?;
        let dir = self
            .algorithm_dir(&request.algorithm_id)?
            .join(&request.commit);
        check_inside(&self.root, &dir)?;
        let cwd = dir.join("src");
        let runtime = Runtime {
            python: dir.join("venv").join("bin").join("python"),
            entry: cwd.join("src").join(format!("{}.py", request.name)),
            cwd,
        };
        Ok((dir, runtime))
    }

    /// Run the steps; `Ok(Some(log))` when an earlier successful build is reused.
    async fn build_in(
        &self,
        request: &BuildRequest,
        dir: &Path,
        runtime: &Runtime,
        log: &SharedLog,
    ) -> Result<Option<String>, String> {
        if dir.join(SUCCEEDED_MARKER).is_file() && runtime.python.exists() {
            let previous = std::fs::read_to_string(dir.join(LOG_FILE)).unwrap_or_default();
            return Ok(Some(format!(
                "Reusing the successful build of {} in {}.\n{previous}",
                request.commit,
                dir.display()
            )));
        }
        note(
            log,
            &format!(
                "Building {}/{} at {}",
                request.owner, request.name, request.commit
            ),
        );
        if dir.exists() {
            std::fs::remove_dir_all(dir)
                .map_err(|e| format!("could not clear {}: {e}", dir.display()))?;
        }
        std::fs::create_dir_all(&runtime.cwd)
            .map_err(|e| format!("could not create {}: {e}", runtime.cwd.display()))?;
        check_inside(&self.root, &runtime.cwd).map_err(|e| e.to_string())?;
        self.checkout(request, dir, &runtime.cwd, log).await?;

        let inside = |path: &Path| check_inside(&runtime.cwd, path).is_ok();
        if !runtime.entry.is_file() || !inside(&runtime.entry) {
            return Err(format!(
                "the entry point src/{}.py is missing from commit {}",
                request.name, request.commit
            ));
        }
        let requirements = runtime.cwd.join("requirements.txt");
        let has_requirements = requirements.is_file();
        if has_requirements && !inside(&requirements) {
            return Err("requirements.txt points outside the repository".into());
        }
        let base_pip = has_requirements && self.base_pip().await;
        let venv = dir.join("venv");
        let mut command = self.command(&self.python, &runtime.cwd);
        command.args([OsStr::new("-m"), OsStr::new("venv")]);
        if !has_requirements || base_pip {
            command.arg("--without-pip");
        }
        command.arg(&venv);
        let title = format!("{} -m venv {}", self.python.display(), venv.display());
        step::run(log, &title, command, STEP_TIMEOUT).await?;

        if has_requirements {
            let mut command = if base_pip {
                let mut c = self.command(&self.python, &runtime.cwd);
                c.args(["-m", "pip", "--python"]).arg(&runtime.python);
                c
            } else {
                let mut c = self.command(&runtime.python, &runtime.cwd);
                c.args(["-m", "pip"]);
                c
            };
            command.args([
                "install",
                "--disable-pip-version-check",
                "--no-input",
                "--prefer-binary",
                "-r",
                "requirements.txt",
            ]);
            let title = "pip install --prefer-binary -r requirements.txt";
            step::run(log, title, command, self.pip_timeout).await?;
        } else {
            note(log, "No requirements.txt: nothing to install.");
        }

        let sources = python_sources(&runtime.cwd.join("src"))?;
        let mut command = self.command(&runtime.python, &runtime.cwd);
        command.args(["-m", "py_compile"]).args(&sources);
        step::run(log, "python -m py_compile src/*.py", command, STEP_TIMEOUT).await?;
        Ok(None)
    }

    /// Check the commit out into `into` with git's own path checks (no `..`, no symbolic link
    /// followed out of the tree).
    async fn checkout(
        &self,
        request: &BuildRequest,
        dir: &Path,
        into: &Path,
        log: &SharedLog,
    ) -> Result<(), String> {
        note(log, &format!("$ git checkout {}", request.commit));
        if !request.repo.join("objects").is_dir() {
            return Err(format!(
                "there is no repository at {}",
                request.repo.display()
            ));
        }
        let index = dir.join(".index");
        self.shared
            .git
            .checkout(&request.repo, &request.commit, &index, into)
            .await
            .map_err(|e| format!("could not check out {}: {}", request.commit, e.message))?;
        let _ = std::fs::remove_file(&index);
        Ok(())
    }

    /// `program` run in `cwd` with the server's environment, minus what would point Python
    /// elsewhere, plus the shared pip cache.
    fn command(&self, program: &Path, cwd: &Path) -> Command {
        let mut command = Command::new(program);
        command
            .current_dir(cwd)
            .env_remove("PYTHONPATH")
            .env_remove("PYTHONHOME")
            .env_remove("VIRTUAL_ENV")
            .env("PYTHONUNBUFFERED", "1")
            .env("PIP_NO_INPUT", "1")
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            .env("PIP_CACHE_DIR", self.root.join(".pip-cache"));
        command
    }

    /// Whether `python -m pip` is 22.3 or later (the first with `--python`), checked once.
    async fn base_pip(&self) -> bool {
        *self
            .shared
            .base_pip
            .get_or_init(|| async {
                let output = self
                    .command(&self.python, &self.root)
                    .args(["-m", "pip", "--version"])
                    .output()
                    .await;
                let Ok(output) = output else { return false };
                let text = String::from_utf8_lossy(&output.stdout);
                let version: Vec<u32> = text
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or_default()
                    .split('.')
                    .map_while(|part| part.parse().ok())
                    .collect();
                output.status.success() && version.as_slice() >= [22, 3].as_slice()
            })
            .await
    }

    /// Remove every build of an algorithm (after any build of it in progress).
    pub async fn remove(&self, algorithm_id: &str) -> Result<(), BuildError> {
        let dir = self.algorithm_dir(algorithm_id)?;
        let lock = self.lock_for(algorithm_id);
        let _guard = lock.lock().await;
        match tokio::fs::remove_dir_all(&dir).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(BuildError::Io {
                    action: "removing",
                    path: dir,
                    source,
                });
            }
        }
        if let Ok(mut locks) = self.shared.locks.lock() {
            locks.remove(algorithm_id);
        }
        Ok(())
    }
}

fn log_text(log: &SharedLog) -> String {
    log.lock().map(|log| log.text()).unwrap_or_default()
}

/// The `.py` files directly in `src`, sorted.
fn python_sources(src: &Path) -> Result<Vec<PathBuf>, String> {
    let entries =
        std::fs::read_dir(src).map_err(|e| format!("could not list {}: {e}", src.display()))?;
    let mut sources: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension() == Some(OsStr::new("py")) && path.is_file())
        .collect();
    sources.sort();
    Ok(sources)
}
