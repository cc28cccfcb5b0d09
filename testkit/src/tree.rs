//! Small trees of files on disk, to upload and download whole.

use std::collections::BTreeMap;
use std::path::Path;

/// The relative paths of a small tree of files to transfer: nested directories, a space, and
/// non-ASCII names.
pub const TREE_PATHS: [&str; 6] = [
    "top.txt",
    "a/one.bin",
    "a/two words.txt",
    "a/deep/er/three.txt",
    "b/four.txt",
    "b/ünï.txt",
];

/// Write the files of [`TREE_PATHS`] under `root` (the i-th is `i * 10_000 + 3` bytes long) and
/// return them by relative path.
pub fn write_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for (i, path) in TREE_PATHS.iter().enumerate() {
        let contents: Vec<u8> = (0..(i * 10_000 + 3)).map(|n| (n % 251) as u8).collect();
        let full = root.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("could not create {}: {e}", parent.display()));
        }
        std::fs::write(&full, &contents)
            .unwrap_or_else(|e| panic!("could not write {}: {e}", full.display()));
        files.insert((*path).to_owned(), contents);
    }
    files
}

/// Every file under `root`, by path relative to it.
pub fn read_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("could not list {}: {e}", dir.display()));
        for entry in entries {
            let path = entry
                .unwrap_or_else(|e| panic!("could not list {}: {e}", dir.display()))
                .path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path
                    .strip_prefix(root)
                    .map(|p| p.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let contents = std::fs::read(&path)
                    .unwrap_or_else(|e| panic!("could not read {}: {e}", path.display()));
                out.insert(relative, contents);
            }
        }
    }
    out
}
