//! Names that become paths: owners, algorithm names, file paths inside a repository, build ids
//! and commits, each checked before it touches the file system, and every path kept inside its
//! root (symbolic links included).

use std::path::{Component, Path, PathBuf};

/// Why a name or a path was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// An owner or algorithm name outside `[A-Za-z][A-Za-z0-9_-]*` (at most 64 characters).
    #[error("{what} {value:?} is not a valid name: use a letter, then letters, digits, '_' or '-'")]
    Invalid {
        /// What the value names (`owner`, `algorithm name`, `build id`, `commit`).
        what: &'static str,
        /// The value, which is never a secret.
        value: String,
    },
    /// A path that would leave its root (`..`, an absolute path, or a symbolic link out).
    #[error("{path:?} leaves {root:?}")]
    Escapes {
        /// The path that was refused.
        path: PathBuf,
        /// The directory it must stay in.
        root: PathBuf,
    },
}

const MAX_NAME: usize = 64;

/// Check an owner or algorithm name: `[A-Za-z][A-Za-z0-9_-]*`, at most 64 characters.
pub(crate) fn check_name(what: &'static str, value: &str) -> Result<(), NameError> {
    let mut chars = value.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if first_ok && rest_ok && value.len() <= MAX_NAME {
        Ok(())
    } else {
        Err(NameError::Invalid {
            what,
            value: value.to_owned(),
        })
    }
}

/// Check a build id (one path component): `[A-Za-z0-9][A-Za-z0-9_.-]*`, no `..`.
pub(crate) fn check_id(value: &str) -> Result<(), NameError> {
    let mut chars = value.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if first_ok && rest_ok && !value.contains("..") && value.len() <= 128 {
        Ok(())
    } else {
        Err(NameError::Invalid {
            what: "build id",
            value: value.to_owned(),
        })
    }
}

/// Check a full commit id: 40 (SHA-1) or 64 (SHA-256) lower-case hex digits.
pub(crate) fn check_commit(value: &str) -> Result<(), NameError> {
    let hex = value
        .chars()
        .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c));
    if hex && (value.len() == 40 || value.len() == 64) {
        Ok(())
    } else {
        Err(NameError::Invalid {
            what: "commit",
            value: value.to_owned(),
        })
    }
}

/// `root` joined with a relative path made only of normal components.
pub(crate) fn join_relative(root: &Path, relative: &Path) -> Result<PathBuf, NameError> {
    let escapes = || NameError::Escapes {
        path: relative.to_owned(),
        root: root.to_owned(),
    };
    let mut parts = 0;
    for component in relative.components() {
        match component {
            Component::Normal(_) => parts += 1,
            Component::CurDir => {}
            _ => return Err(escapes()),
        }
    }
    if parts == 0 {
        return Err(escapes());
    }
    Ok(root.join(relative))
}

/// Check that `path` (which may not exist yet) resolves inside `root` once symbolic links in
/// its existing ancestors are followed.
pub(crate) fn check_inside(root: &Path, path: &Path) -> Result<(), NameError> {
    let escapes = || NameError::Escapes {
        path: path.to_owned(),
        root: root.to_owned(),
    };
    let root = root.canonicalize().map_err(|_| escapes())?;
    let mut existing = path;
    let mut rest = Vec::new();
    // The deepest ancestor that exists decides; what is below it does not exist yet.
    let resolved = loop {
        match existing.canonicalize() {
            Ok(resolved) => break resolved,
            Err(_) => {
                rest.push(existing.file_name().ok_or_else(escapes)?);
                existing = existing.parent().ok_or_else(escapes)?;
            }
        }
    };
    let full = rest.iter().rev().fold(resolved, |p, part| p.join(part));
    if full.starts_with(&root) {
        Ok(())
    } else {
        Err(escapes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_pattern() {
        for good in ["a", "Hello_World-2", "x9"] {
            assert!(check_name("owner", good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "9a",
            "_a",
            "a/b",
            "..",
            "a..b.",
            "a b",
            "é",
            "a.b",
            &"a".repeat(65),
        ] {
            assert!(check_name("owner", bad).is_err(), "{bad}");
        }
        assert!(check_id("42").is_ok() && check_id("algo-1.2").is_ok());
        assert!(check_id("../x").is_err() && check_id(".x").is_err() && check_id("a..b").is_err());
        assert!(check_commit(&"a".repeat(40)).is_ok());
        assert!(check_commit(&"A".repeat(40)).is_err() && check_commit("HEAD").is_err());
    }

    #[test]
    fn relative_paths_stay_inside() {
        let root = Path::new("/r");
        assert!(join_relative(root, Path::new("src/a.py")).is_ok());
        for bad in ["../x", "/etc/passwd", "a/../../x", "", "."] {
            assert!(join_relative(root, Path::new(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn symbolic_links_out_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("link")).unwrap();
        assert!(check_inside(root.path(), &root.path().join("a/b")).is_ok());
        assert!(check_inside(root.path(), &root.path().join("link/b")).is_err());
        assert!(check_inside(root.path(), &root.path().join("link")).is_err());
    }
}
