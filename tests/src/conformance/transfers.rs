//! Whole directory trees up and down, with progress.

use std::sync::{Arc, Mutex};

use algorithmia_client::TransferOptions;
use testkit::{read_tree, write_tree};

use super::Target;

/// A tree of six files uploads and downloads whole, with one progress report per file in
/// order, to `data://.my` and under every connector of the target.
pub async fn whole_trees_upload_and_download_with_progress(target: &Target) {
    let c = target.client();
    let source = tempfile::tempdir().unwrap();
    let tree = write_tree(source.path());
    let total: u64 = tree.values().map(|v| v.len() as u64).sum();
    let remote = target.my_dir("tree");

    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let options = TransferOptions::default()
        .concurrency(3)
        .on_progress(move |p| log.lock().unwrap().push(p));
    let report = c
        .upload_dir(source.path(), &remote, options.clone())
        .await
        .unwrap();
    assert!(report.is_complete(), "{report:?}");
    assert_eq!((report.files, report.bytes), (6, total));
    let progress = seen.lock().unwrap().clone();
    assert_eq!(progress.len(), 6);
    assert!(
        progress
            .windows(2)
            .all(|w| w[0].files_done < w[1].files_done && w[0].bytes_done <= w[1].bytes_done)
    );
    let last = progress.last().unwrap();
    assert_eq!(
        (
            last.files_done,
            last.files_total,
            last.bytes_done,
            last.bytes_total
        ),
        (6, 6, total, total)
    );

    let downloaded = tempfile::tempdir().unwrap();
    seen.lock().unwrap().clear();
    let report = c
        .download_dir(&remote, downloaded.path(), options)
        .await
        .unwrap();
    assert!(report.is_complete(), "{report:?}");
    assert_eq!((report.files, report.bytes), (6, total));
    assert_eq!(read_tree(downloaded.path()), tree);
    assert_eq!(seen.lock().unwrap().len(), 6);
    c.dir(&remote).delete(true).await.unwrap();

    // Connectors take trees too.
    for root in &target.connectors {
        let remote = target.connector_dir(root, "tree");
        let report = c
            .upload_dir(source.path(), &remote, TransferOptions::default())
            .await
            .unwrap();
        assert!(report.is_complete(), "{remote}: {report:?}");
        let again = tempfile::tempdir().unwrap();
        c.download_dir(&remote, again.path(), TransferOptions::default())
            .await
            .unwrap();
        assert_eq!(read_tree(again.path()), tree, "{remote}");
        c.dir(&remote).delete(true).await.unwrap();
    }
}
