//! The SDK's tree transfers against a server with an upload limit: a file that fails is
//! reported and the rest still moves. The SDK's data checks that any server must pass are in the
//! conformance suite, `tests/src/conformance`.

use algorithmia_client::{Error, TransferOptions};
use testkit::{read_tree, write_tree};

use crate::{ALICE, builder, client};

#[tokio::test]
async fn a_failing_file_is_reported_and_the_rest_still_moves() {
    let server = builder().max_upload_bytes(15_000).start().unwrap();
    let c = client(&server, ALICE);
    let source = tempfile::tempdir().unwrap();
    let tree = write_tree(source.path()); // four of the six files are over 15 000 bytes
    let report = c
        .upload_dir(
            source.path(),
            "data://.my/partial",
            TransferOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(report.files, 2);
    assert_eq!(report.failed.len(), 4);
    for failure in &report.failed {
        assert_eq!(failure.error.status(), Some(413), "{}", failure.error);
        assert!(
            tree.keys().any(|k| failure.path.ends_with(k.as_str())),
            "{}",
            failure.path
        );
    }

    // Downloading into a tree where one target path is taken by a directory.
    let target = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(target.path().join("top.txt")).unwrap();
    let report = c
        .download_dir(
            "data://.my/partial",
            target.path(),
            TransferOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(report.failed.len(), 1, "{report:?}");
    assert!(report.failed[0].path.ends_with("top.txt"));
    assert!(matches!(report.failed[0].error, Error::Io { .. }));
    assert_eq!(report.files, 1);
    assert_eq!(
        std::fs::read(target.path().join("a/one.bin")).unwrap(),
        tree["a/one.bin"]
    );
    // No temporary file is left anywhere.
    let leftovers: Vec<String> = read_tree(target.path())
        .into_keys()
        .filter(|k| k.contains(".part-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
