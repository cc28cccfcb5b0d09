//! What a build produces to run: the virtual environment's interpreter, the entry point and the
//! directory to run it in, and the shell command an ADK host runs.

use std::path::{Path, PathBuf};

/// How to run a built algorithm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runtime {
    /// The virtual environment's Python (`<build>/venv/bin/python`).
    pub python: PathBuf,
    /// The entry point (`<build>/src/src/NAME.py`).
    pub entry: PathBuf,
    /// The working directory: the checkout (`<build>/src`).
    pub cwd: PathBuf,
}

impl Runtime {
    /// The command for [`AdkAlgorithm::command`](crate::AdkAlgorithm::command), which the host
    /// runs with `sh -c "exec COMMAND"`: it changes to [`cwd`](Self::cwd) and runs the entry
    /// point with the environment's Python. Every path is quoted, whatever it contains.
    ///
    /// ```
    /// use algorithmia_local::build::Runtime;
    /// let runtime = Runtime {
    ///     python: "/b/venv/bin/python".into(),
    ///     entry: "/b/src/src/Hello.py".into(),
    ///     cwd: "/b/src".into(),
    /// };
    /// assert_eq!(
    ///     runtime.command(),
    ///     r#"sh -c 'cd "$1" && exec "$2" "$3"' algorithm '/b/src' '/b/venv/bin/python' '/b/src/src/Hello.py'"#
    /// );
    /// ```
    pub fn command(&self) -> String {
        format!(
            r#"sh -c 'cd "$1" && exec "$2" "$3"' algorithm {} {} {}"#,
            quote(&self.cwd),
            quote(&self.python),
            quote(&self.entry)
        )
    }
}

/// `path` as one single-quoted shell word.
fn quote(path: &Path) -> String {
    format!("'{}'", path.to_string_lossy().replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_paths_stay_single_words() {
        let dir = tempfile::tempdir().unwrap();
        let cwd = dir.path().join("it's a $(dir) `x`");
        std::fs::create_dir_all(&cwd).unwrap();
        let entry = cwd.join("main; rm -rf.py");
        std::fs::write(&entry, "").unwrap();
        let runtime = Runtime {
            python: "/bin/echo".into(),
            entry: entry.clone(),
            cwd: cwd.clone(),
        };
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("exec {}; pwd", runtime.command()))
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            entry.to_string_lossy()
        );
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(runtime.command().replace(r#"exec "$2" "$3""#, "pwd"))
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            cwd.to_string_lossy()
        );
    }
}
