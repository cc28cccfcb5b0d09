//! Running the `git` CLI with an environment of our own: no system or user configuration, a
//! private `HOME`, a fixed author, and nothing inherited that could point git elsewhere
//! (`GIT_DIR`, `GIT_INDEX_FILE`, ...). Every git process of the build module starts here.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;

use tokio::io::AsyncWriteExt;
use tokio::process::Command;

/// The author and committer of commits the platform makes itself.
pub(crate) const PLATFORM_AUTHOR: (&str, &str) =
    ("Algorithmia Local", "platform@algorithmia.local");

/// A git invocation that failed: what was attempted and what git said.
#[derive(Debug, Clone, thiserror::Error)]
#[error("git {action} failed: {message}")]
pub(crate) struct GitFailure {
    pub(crate) action: String,
    pub(crate) message: String,
}

/// The environment every git process gets.
#[derive(Debug)]
pub(crate) struct GitEnv {
    home: tempfile::TempDir,
}

impl GitEnv {
    /// A fresh environment with an empty private `HOME`.
    pub(crate) fn new() -> std::io::Result<Arc<GitEnv>> {
        Ok(Arc::new(GitEnv {
            home: tempfile::Builder::new()
                .prefix("algorithmia-git-home")
                .tempdir()?,
        }))
    }

    /// `program` (git, or a tool run next to it) with the clean environment.
    pub(crate) fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut command = Command::new(program);
        command
            .env_clear()
            .env(
                "PATH",
                std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()),
            )
            .env("HOME", self.home.path())
            .env("LANG", "C")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_AUTHOR_NAME", PLATFORM_AUTHOR.0)
            .env("GIT_AUTHOR_EMAIL", PLATFORM_AUTHOR.1)
            .env("GIT_COMMITTER_NAME", PLATFORM_AUTHOR.0)
            .env("GIT_COMMITTER_EMAIL", PLATFORM_AUTHOR.1)
            .stdin(Stdio::null())
            .kill_on_drop(true);
        command
    }

    /// `git --git-dir=GIT_DIR ARGS`, with `env` added, `input` on stdin; its trimmed stdout.
    pub(crate) async fn run(
        &self,
        git_dir: &Path,
        args: &[&OsStr],
        env: &[(&str, &OsStr)],
        input: Option<&[u8]>,
    ) -> Result<String, GitFailure> {
        let action = args
            .first()
            .map(|a| a.to_string_lossy().into_owned())
            .unwrap_or_default();
        let failure = |message: String| GitFailure {
            action: action.clone(),
            message,
        };
        let mut command = self.command("git");
        command
            .arg(format!("--git-dir={}", git_dir.display()))
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if input.is_some() {
            command.stdin(Stdio::piped());
        }
        let mut child = command
            .spawn()
            .map_err(|e| failure(format!("could not start git: {e}")))?;
        if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
            stdin
                .write_all(input)
                .await
                .map_err(|e| failure(format!("could not write to git: {e}")))?;
        }
        let output = child
            .wait_with_output()
            .await
            .map_err(|e| failure(format!("could not wait for git: {e}")))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
        } else {
            Err(failure(format!(
                "{}: {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            )))
        }
    }
}

impl GitEnv {
    /// Check `commit` of the bare repository `repo` out into the directory `into`, through a
    /// temporary index at `index`. Git's own checks apply: no `..`, no `.git`, no symbolic
    /// link followed out of the tree.
    pub(crate) async fn checkout(
        &self,
        repo: &Path,
        commit: &str,
        index: &Path,
        into: &Path,
    ) -> Result<(), GitFailure> {
        let env = [("GIT_INDEX_FILE", index.as_os_str())];
        let work_tree = format!("--work-tree={}", into.display());
        let commit = format!("{commit}^{{commit}}");
        self.run(
            repo,
            &[os(&work_tree), os("read-tree"), os(&commit)],
            &env,
            None,
        )
        .await?;
        let args = [
            os(&work_tree),
            os("checkout-index"),
            os("--all"),
            os("--force"),
        ];
        self.run(repo, &args, &env, None).await?;
        Ok(())
    }
}

/// A command-line argument.
pub(crate) fn os(text: &str) -> &OsStr {
    OsStr::new(text)
}
