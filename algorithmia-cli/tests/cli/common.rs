//! The shared set-up: an algorithmia-local server (platform on) in a temporary data directory,
//! a temporary `HOME` whose `~/.algorithmia/config` has a `default` profile for it, and the
//! built `algo` run with that `HOME` and none of the caller's `ALGORITHMIA_*` variables.

#![allow(dead_code, unused_imports)]

use std::path::{Path, PathBuf};

pub(crate) use assert_cmd::Command;
pub(crate) use predicates::prelude::*;

use algorithmia_local::{LocalServer, ServerHandle};

/// A server, a home directory with a config for it, and a scratch directory.
pub(crate) struct Setup {
    /// The running server.
    pub(crate) server: ServerHandle,
    /// `HOME` for every `algo` this set-up runs.
    pub(crate) home: tempfile::TempDir,
    /// A scratch directory for local files.
    pub(crate) work: tempfile::TempDir,
    _data: tempfile::TempDir,
}

impl Setup {
    /// A server and a `default` profile pointing at it with its key.
    pub(crate) fn new() -> Setup {
        Setup::with_server(|builder| builder)
    }

    /// The config file's path: `$HOME/.algorithmia/config`.
    pub(crate) fn config_path(&self) -> PathBuf {
        self.home.path().join(".algorithmia").join("config")
    }

    /// Replace the config file with `text`.
    pub(crate) fn write_config(&self, text: &str) {
        let path = self.config_path();
        std::fs::create_dir_all(path.parent().expect("the config has a parent"))
            .expect("create ~/.algorithmia");
        std::fs::write(&path, text).expect("write the config");
    }

    /// `algo` with this set-up's `HOME`, no `ALGORITHMIA_*` variables, run in `work`.
    pub(crate) fn algo(&self) -> Command {
        let mut cmd = Command::cargo_bin("algo").expect("the algo binary is built");
        cmd.env("HOME", self.home.path())
            .env_remove("ALGORITHMIA_API_KEY")
            .env_remove("ALGORITHMIA_API")
            .env_remove("ALGORITHMIA_BEARER_TOKEN")
            .env_remove("REQUESTS_CA_BUNDLE")
            .current_dir(self.work.path());
        cmd
    }

    /// A path inside the scratch directory.
    pub(crate) fn local(&self, name: &str) -> PathBuf {
        self.work.path().join(name)
    }

    /// The server's API key (to assert it never shows).
    pub(crate) fn key(&self) -> &str {
        self.server.api_key()
    }
}

/// The output of a finished command as text.
pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Assert that none of the outputs of `output` holds `secret`.
pub(crate) fn assert_no_secret(output: &std::process::Output, secret: &str) {
    assert!(
        !text(&output.stdout).contains(secret) && !text(&output.stderr).contains(secret),
        "the secret appeared in the output: stdout {:?} stderr {:?}",
        text(&output.stdout),
        text(&output.stderr)
    );
}

/// Whether `path` exists.
pub(crate) fn exists(path: &Path) -> bool {
    path.exists()
}

impl Setup {
    /// Like [`Setup::new`], with the server's builder adjusted by `configure` first (extra
    /// algorithms, keys, ...).
    pub(crate) fn with_server(
        configure: impl FnOnce(
            algorithmia_local::LocalServerBuilder,
        ) -> algorithmia_local::LocalServerBuilder,
    ) -> Setup {
        let data = tempfile::tempdir().expect("a temporary data directory");
        let server = configure(LocalServer::builder().data_dir(data.path()))
            .start()
            .expect("algorithmia-local starts");
        let setup = Setup {
            server,
            home: tempfile::tempdir().expect("a temporary HOME"),
            work: tempfile::tempdir().expect("a temporary work directory"),
            _data: data,
        };
        setup.write_config(&format!(
            "[profiles]\n\n[profiles.default]\napi_key = \"{}\"\napi_server = \"{}\"\nca_cert = \"\"\nbearer_token = \"\"\n",
            setup.server.api_key(),
            setup.server.base_url()
        ));
        setup
    }

    /// The official Python CLI (`.venv/bin/algo`) with this set-up's `HOME`, none of the
    /// caller's `ALGORITHMIA_*` variables, and no proxy, run in `work`.
    pub(crate) fn official_algo(&self) -> Command {
        let mut cmd = Command::new(testkit::venv_bin("algo"));
        self.official_env(&mut cmd);
        cmd
    }

    /// The venv's Python, with the same environment as [`Setup::official_algo`].
    pub(crate) fn official_python(&self) -> Command {
        let mut cmd = Command::new(testkit::venv_bin("python"));
        self.official_env(&mut cmd);
        cmd
    }

    fn official_env(&self, cmd: &mut Command) {
        cmd.env("HOME", self.home.path())
            .env_remove("ALGORITHMIA_API_KEY")
            .env_remove("ALGORITHMIA_API")
            .env_remove("ALGORITHMIA_BEARER_TOKEN")
            .env_remove("REQUESTS_CA_BUNDLE")
            .env("NO_PROXY", "127.0.0.1,localhost")
            .current_dir(self.work.path());
    }
}

/// Assert that `output` failed with exit code `code` and said `needle` on stderr.
pub(crate) fn assert_failed(output: &std::process::Output, code: i32, needle: &str) {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    assert!(stderr.contains(needle), "{needle:?} not in {stderr}");
}
