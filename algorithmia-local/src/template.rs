//! The Python 3 algorithm template (`templates/python3/`, laid out as the platform's langpack
//! laid it out), rendered for one algorithm, and packed as the tar.gz the environments API serves.

use std::io::Write;
use std::path::PathBuf;

use flate2::Compression;
use flate2::write::GzEncoder;

/// The template's files: path (with placeholders) and contents.
const PYTHON3: &[(&str, &str)] = &[
    (
        "algorithmia.conf",
        include_str!("../templates/python3/algorithmia.conf"),
    ),
    (
        "requirements.txt",
        include_str!("../templates/python3/requirements.txt"),
    ),
    (
        "src/__init__.py",
        include_str!("../templates/python3/src/__init__.py"),
    ),
    (
        "src/__ALGO__.py",
        include_str!("../templates/python3/src/__ALGO__.py"),
    ),
    (
        "src/__ALGO___test.py",
        include_str!("../templates/python3/src/__ALGO___test.py"),
    ),
];

fn substitute(text: &str, owner: &str, name: &str) -> String {
    text.replace("__ALGO__", name).replace("__USER__", owner)
}

/// The Python 3 template's files for `owner/name`: relative paths and contents, with
/// `__ALGO__` and `__USER__` replaced in both.
pub(crate) fn render_template(owner: &str, name: &str) -> Vec<(PathBuf, Vec<u8>)> {
    PYTHON3
        .iter()
        .map(|(path, contents)| {
            (
                PathBuf::from(substitute(path, owner, name)),
                substitute(contents, owner, name).into_bytes(),
            )
        })
        .collect()
}

/// The rendered template as a gzipped tar, files at its root.
pub(crate) fn template_tar_gz(owner: &str, name: &str) -> std::io::Result<Vec<u8>> {
    let mut archive = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
    for (path, contents) in render_template(owner, name) {
        let mut header = tar::Header::new_gnu();
        header.set_size(contents.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_cksum();
        archive.append_data(&mut header, &path, contents.as_slice())?;
    }
    let mut gz = archive.into_inner()?;
    gz.flush()?;
    gz.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_substituted_in_paths_and_contents() {
        let files = render_template("alice", "Greeter");
        let paths: Vec<_> = files
            .iter()
            .map(|(p, _)| p.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            paths,
            [
                "algorithmia.conf",
                "requirements.txt",
                "src/__init__.py",
                "src/Greeter.py",
                "src/Greeter_test.py"
            ]
        );
        let conf: serde_json::Value = serde_json::from_slice(&files[0].1).unwrap();
        assert_eq!(conf["username"], "alice");
        assert_eq!(conf["algoname"], "Greeter");
        let test = String::from_utf8(files[4].1.clone()).unwrap();
        assert!(test.contains("from . import Greeter"), "{test}");
        assert!(
            !files
                .iter()
                .any(|(_, c)| String::from_utf8_lossy(c).contains("__ALGO__"))
        );
    }
}
