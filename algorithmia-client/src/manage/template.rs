//! Unpacking an environment template (a tar.gz) under a directory, safely: no entry may leave
//! the directory, links are refused, and the total size is bounded.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// The most bytes a template may unpack to.
pub const MAX_TEMPLATE_BYTES: u64 = 1024 * 1024 * 1024;
/// The most entries a template may hold.
const MAX_ENTRIES: usize = 100_000;

fn unsafe_entry(entry: &str, reason: impl Into<String>) -> Error {
    Error::UnsafeArchive {
        entry: entry.to_owned(),
        reason: reason.into(),
    }
}

/// Unpack a template archive (tar.gz, or a plain tar) under `dest`, creating it if needed, and
/// return the files written, relative to `dest`.
///
/// An entry with an absolute path or a `..` component, a symbolic or hard link, an existing
/// symbolic link on the way to an entry, or more than [`MAX_TEMPLATE_BYTES`] in all fails with
/// [`Error::UnsafeArchive`]; entries before it may already have been written.
///
/// ```no_run
/// # fn run(archive: &[u8]) -> Result<(), algorithmia_client::Error> {
/// let files = algorithmia_client::manage::extract_template(archive, "my-algo".as_ref())?;
/// println!("{} files", files.len());
/// # Ok(()) }
/// ```
pub fn extract_template(archive: &[u8], dest: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dest).map_err(|e| Error::io(dest, e))?;
    let gzip = archive.starts_with(&[0x1f, 0x8b]);
    let reader: Box<dyn Read> = if gzip {
        Box::new(flate2::read::GzDecoder::new(archive))
    } else {
        Box::new(archive)
    };
    let mut tar = tar::Archive::new(reader);
    let entries = tar
        .entries()
        .map_err(|e| unsafe_entry("(archive)", format!("not a tar archive: {e}")))?;
    let mut written = Vec::new();
    let mut total: u64 = 0;
    for (index, entry) in entries.enumerate() {
        let mut entry =
            entry.map_err(|e| unsafe_entry("(archive)", format!("unreadable entry: {e}")))?;
        if index >= MAX_ENTRIES {
            return Err(unsafe_entry("(archive)", "too many entries"));
        }
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let relative = safe_relative(&name)?;
        let kind = entry.header().entry_type();
        if kind.is_symlink() || kind.is_hard_link() {
            return Err(unsafe_entry(&name, "links are not unpacked"));
        }
        let Some(relative) = relative else { continue };
        let target = dest.join(&relative);
        refuse_symlinks_on_the_way(dest, &relative, &name)?;
        if kind.is_dir() {
            std::fs::create_dir_all(&target).map_err(|e| Error::io(&target, e))?;
            continue;
        }
        if !(kind.is_file() || kind.is_contiguous()) {
            // Metadata entries (pax, GNU long names) are read by `tar` itself; nothing else
            // belongs in a template.
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let mut file = std::fs::File::create(&target).map_err(|e| Error::io(&target, e))?;
        let left = MAX_TEMPLATE_BYTES - total;
        let copied = std::io::copy(&mut (&mut entry).take(left + 1), &mut file)
            .map_err(|e| Error::io(&target, e))?;
        if copied > left {
            return Err(unsafe_entry(
                &name,
                "the template unpacks to more than 1 GiB",
            ));
        }
        total += copied;
        set_mode(&target, entry.header().mode().unwrap_or(0o644))?;
        written.push(relative);
    }
    Ok(written)
}

/// The entry's path as a relative path under the destination; `None` for the destination
/// itself (`./`); an error for anything that would leave it.
fn safe_relative(name: &str) -> Result<Option<PathBuf>> {
    if name.contains('\0') {
        return Err(unsafe_entry(name, "the path contains a NUL byte"));
    }
    let mut out = PathBuf::new();
    // Archives made on Windows may use `\`; treat it as a separator so `..\` is caught too.
    for part in name.replace('\\', "/").split('/') {
        match Path::new(part).components().next() {
            None | Some(Component::CurDir) => {}
            Some(Component::Normal(part)) if !name.starts_with('/') => out.push(part),
            Some(Component::ParentDir) => {
                return Err(unsafe_entry(name, "the path leaves the destination (..)"));
            }
            _ => return Err(unsafe_entry(name, "the path is absolute")),
        }
    }
    Ok((!out.as_os_str().is_empty()).then_some(out))
}

/// Fail if a directory on the way from `dest` to `relative` is a symbolic link (it could lead
/// outside the destination).
fn refuse_symlinks_on_the_way(dest: &Path, relative: &Path, name: &str) -> Result<()> {
    let mut path = dest.to_path_buf();
    for part in relative.components() {
        path.push(part);
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(unsafe_entry(name, "a symbolic link is on the way"));
        }
    }
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    // Keep the execute bits (templates ship `bin/` scripts); never setuid or world-writable.
    let mode = (mode & 0o755) | 0o600;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| Error::io(path, e))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_below_the_destination_pass() {
        assert_eq!(
            safe_relative("./src/a.py").unwrap(),
            Some(PathBuf::from("src/a.py"))
        );
        assert_eq!(safe_relative("./").unwrap(), None);
        for bad in ["../x", "a/../../x", "/etc/passwd", "a\\..\\..\\x", "a\0b"] {
            assert!(
                matches!(safe_relative(bad), Err(Error::UnsafeArchive { .. })),
                "{bad}"
            );
        }
    }
}
