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

/// An upload follows symbolic links, reports a link that loops back above itself and one that
/// dangles (uploading the rest), and creates its directories with the ACL asked for.
pub async fn uploads_follow_links_and_report_loops(target: &Target) {
    let c = target.client();
    let source = tempfile::tempdir().unwrap();
    let root = source.path();
    std::fs::create_dir(root.join("a")).unwrap();
    std::fs::write(root.join("a/file.txt"), "hello").unwrap();
    let failed_links = link_tree(root);
    let remote = target.my_dir("links");
    let options = TransferOptions::default().acl(algorithmia_client::DataAcl::Public);
    let report = c.upload_dir(root, &remote, options).await.unwrap();
    assert_eq!(report.failed.len(), failed_links, "{report:?}");
    let expected_files = if failed_links == 0 { 1 } else { 3 };
    assert_eq!(report.files, expected_files, "{report:?}");
    let file = c.file(format!("{remote}/a/file.txt"));
    assert_eq!(file.get_string().await.unwrap(), "hello");
    // The collection the upload created carries the ACL (sub-folders have none of their own).
    assert_eq!(
        c.dir(&remote).acl().await.unwrap(),
        Some(algorithmia_client::DataAcl::Public)
    );
    if failed_links > 0 {
        let through_link = c.file(format!("{remote}/link-to-dir/file.txt"));
        assert_eq!(through_link.get_string().await.unwrap(), "hello");
    }
    c.dir(&remote).delete(true).await.unwrap();
}

/// Links for [`uploads_follow_links_and_report_loops`]: a link to a file, one to a directory,
/// one looping back to the top (met twice: under `a/` and under `link-to-dir/`) and a dangling
/// one. Returns how many entries the upload must report as failed.
#[cfg(unix)]
fn link_tree(root: &std::path::Path) -> usize {
    use std::os::unix::fs::symlink;
    symlink(root.join("a/file.txt"), root.join("link-to-file")).unwrap();
    symlink(root.join("a"), root.join("link-to-dir")).unwrap();
    symlink(root, root.join("a/back-to-top")).unwrap();
    symlink(root.join("nowhere"), root.join("dangling")).unwrap();
    3
}

#[cfg(not(unix))]
fn link_tree(_root: &std::path::Path) -> usize {
    0
}
