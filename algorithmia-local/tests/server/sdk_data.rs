//! The SDK's Data API against the server: every operation on `data://` and connectors, awkward
//! names, paging, ACLs, deletes, errors, tree transfers with progress, and the blocking facade.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use algorithmia_client::{DataAcl, DataEntry, Error, TransferOptions};
use futures_util::{StreamExt, TryStreamExt};
use tokio::io::AsyncReadExt;

use crate::{ALICE, BOB, builder, client, server};

const NAMES: [&str; 4] = [
    "plain.txt",
    "with space.txt",
    "hash#and?query.txt",
    "ünïcødé ✓.txt",
];

#[tokio::test]
async fn every_file_operation_on_data_and_connectors() {
    let server = server();
    let c = client(&server, ALICE);
    let scratch = tempfile::tempdir().unwrap();
    for base in [
        "data://.my/sdkfiles",
        "s3://bucket/sdk",
        "s3+backup://b/deeper/dir",
        "dropbox://sdk",
        "gs://g/x",
        "azureblob://a/y",
    ] {
        let dir = c.dir(base);
        if base.starts_with("data://") {
            dir.create(DataAcl::Private).await.unwrap();
        }
        for name in NAMES {
            let file = dir.file(name);
            let what = format!("{base}/{name}");
            assert!(!file.exists().await.unwrap(), "{what}");
            file.put_string(format!("text of {name}")).await.unwrap();
            assert!(file.exists().await.unwrap(), "{what}");
            assert_eq!(file.get_string().await.unwrap(), format!("text of {name}"));
            let meta = file.metadata().await.unwrap();
            assert_eq!(meta.size, format!("text of {name}").len() as u64, "{what}");
            assert!(meta.last_modified.is_some(), "{what}");

            file.put_json(&serde_json::json!({"name": name}))
                .await
                .unwrap();
            let value: serde_json::Value = file.get_json().await.unwrap();
            assert_eq!(value["name"], name);

            let bytes: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
            file.put_bytes(bytes.clone()).await.unwrap();
            assert_eq!(file.get_bytes().await.unwrap(), bytes);
            let streamed: Vec<u8> = file
                .get_stream()
                .await
                .unwrap()
                .try_fold(Vec::new(), |mut all, chunk| async move {
                    all.extend_from_slice(&chunk);
                    Ok(all)
                })
                .await
                .unwrap();
            assert_eq!(streamed, bytes);
            let mut read = Vec::new();
            file.get_reader()
                .await
                .unwrap()
                .read_to_end(&mut read)
                .await
                .unwrap();
            assert_eq!(read, bytes);
            let local = scratch.path().join("download.bin");
            assert_eq!(file.download_to(&local).await.unwrap(), bytes.len() as u64);
            assert_eq!(std::fs::read(&local).unwrap(), bytes);

            let upload = scratch.path().join("upload.bin");
            std::fs::write(&upload, b"from a local file").unwrap();
            assert_eq!(file.put_file(&upload).await.unwrap(), 17);
            assert_eq!(file.get_string().await.unwrap(), "from a local file");
            let chunks = futures_util::stream::iter(vec![
                Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"one ")),
                Ok(bytes::Bytes::from_static(b"two")),
            ]);
            file.put_stream(chunks).await.unwrap();
            assert_eq!(file.get_string().await.unwrap(), "one two");
            file.put_reader(&b"from a reader"[..]).await.unwrap();
            assert_eq!(file.get_string().await.unwrap(), "from a reader");

            file.delete().await.unwrap();
            assert!(!file.exists().await.unwrap(), "{what}");
        }
        // The names round-trip through listings too.
        for name in NAMES {
            dir.file(name).put_string("x").await.unwrap();
        }
        let mut listed: Vec<String> = dir.files().map_ok(|f| f.name).try_collect().await.unwrap();
        listed.sort();
        let mut want: Vec<String> = NAMES.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(listed, want, "{base}");
        assert_eq!(dir.delete(true).await.unwrap(), 4, "{base}");
    }
}

#[tokio::test]
async fn listings_follow_markers_across_pages() {
    let server = server(); // three entries a page
    let c = client(&server, ALICE);
    let dir = c.dir("data://.my/paged");
    dir.create(DataAcl::default()).await.unwrap();
    for i in 0..7 {
        dir.file(&format!("file{i}"))
            .put_bytes(vec![0u8; i])
            .await
            .unwrap();
    }
    for d in ["b", "a"] {
        dir.dir(d).create(DataAcl::default()).await.unwrap();
    }
    let entries: Vec<DataEntry> = dir.list().try_collect().await.unwrap();
    let names: Vec<&str> = entries.iter().map(DataEntry::name).collect();
    assert_eq!(
        names,
        [
            "a", "b", "file0", "file1", "file2", "file3", "file4", "file5", "file6"
        ]
    );
    for entry in &entries {
        if let DataEntry::File(f) = entry {
            assert_eq!(f.size, f.name[4..].parse::<u64>().unwrap());
            assert!(f.last_modified.is_some());
            assert_eq!(f.uri.to_string(), format!("data://.my/paged/{}", f.name));
        }
    }
    assert_eq!(dir.files().count().await, 7);
    let dirs: Vec<String> = dir
        .dirs()
        .map_ok(|d| d.uri.to_string())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(dirs, ["data://.my/paged/a", "data://.my/paged/b"]);
    // The stream is lazy: taking two entries fetches one page.
    let first_two: Vec<_> = dir.list().take(2).collect().await;
    assert_eq!(first_two.len(), 2);
}

#[tokio::test]
async fn acls_round_trip_and_directories_delete_with_force() {
    let server = server();
    let c = client(&server, ALICE);
    let dir = c.dir("data://.my/guarded");
    assert!(!dir.exists().await.unwrap());
    dir.create(DataAcl::Private).await.unwrap();
    assert!(dir.exists().await.unwrap());
    assert_eq!(dir.acl().await.unwrap(), Some(DataAcl::Private));
    for acl in [DataAcl::Public, DataAcl::MyAlgorithms, DataAcl::Private] {
        dir.update_acl(acl.clone()).await.unwrap();
        assert_eq!(dir.acl().await.unwrap(), Some(acl));
    }
    // A special area or a connector has no ACL.
    c.dir("dropbox://noacl")
        .create(DataAcl::default())
        .await
        .unwrap();
    assert_eq!(c.dir("dropbox://noacl").acl().await.unwrap(), None);
    // An ACL the server does not know is refused with its message.
    let err = dir
        .update_acl(DataAcl::Unknown(vec!["group://x".into()]))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));

    dir.file("a").put_string("1").await.unwrap();
    dir.dir("sub").create(DataAcl::default()).await.unwrap();
    dir.dir("sub").file("b").put_string("2").await.unwrap();
    let err = dir.delete(false).await.unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert!(err.to_string().contains("not empty"), "{err}");
    assert!(dir.exists().await.unwrap());
    assert_eq!(dir.delete(true).await.unwrap(), 2);
    assert!(!dir.exists().await.unwrap());
}

#[tokio::test]
async fn errors_say_what_went_wrong() {
    let server = server();
    let c = client(&server, ALICE);
    c.dir("data://.my/errs")
        .create(DataAcl::Private)
        .await
        .unwrap();
    c.file("data://.my/errs/f").put_string("x").await.unwrap();

    let err = c
        .file("data://.my/errs/none")
        .get_bytes()
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(err.to_string().contains("data://.my/errs/none"), "{err}");
    let err = c.file("data://.my/errs").get_bytes().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::WrongType {
                expected: "file",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "data://.my/errs is a directory, not a file"
    );
    let err = c
        .dir("data://.my/errs/f")
        .list()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::WrongType {
                expected: "directory",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!c.file("data://.my/errs").exists().await.unwrap());
    assert!(!c.dir("data://.my/errs/f").exists().await.unwrap());
    let err = c.file("ftp://nope/x").get_bytes().await.unwrap_err();
    assert!(matches!(err, Error::InvalidDataUri(_)), "{err:?}");
    let err = c
        .dir("data://.my/errs")
        .file("../escape")
        .put_string("x")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidDataUri(_)), "{err:?}");

    let bob = client(&server, BOB);
    let err = bob
        .file("data://alice/errs/f")
        .get_string()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403));
    let err = bob
        .file("data://alice/errs/f")
        .put_string("bob")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403));
    let err = c
        .file("data://.my/nocollection/f")
        .put_string("x")
        .await
        .unwrap_err();
    assert!(err.is_not_found());
}

fn write_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for (i, path) in [
        "top.txt",
        "a/one.bin",
        "a/two words.txt",
        "a/deep/er/three.txt",
        "b/four.txt",
        "b/ünï.txt",
    ]
    .iter()
    .enumerate()
    {
        let contents: Vec<u8> = (0..(i * 10_000 + 3)).map(|n| (n % 251) as u8).collect();
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, &contents).unwrap();
        files.insert((*path).to_owned(), contents);
    }
    files
}

fn read_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

#[tokio::test]
async fn whole_trees_upload_and_download_with_progress() {
    let server = server();
    let c = client(&server, ALICE);
    let source = tempfile::tempdir().unwrap();
    let tree = write_tree(source.path());
    let total: u64 = tree.values().map(|v| v.len() as u64).sum();

    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let options = TransferOptions::default()
        .concurrency(3)
        .on_progress(move |p| log.lock().unwrap().push(p));
    let report = c
        .upload_dir(source.path(), "data://.my/tree", options.clone())
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

    let target = tempfile::tempdir().unwrap();
    seen.lock().unwrap().clear();
    let report = c
        .download_dir("data://.my/tree", target.path(), options)
        .await
        .unwrap();
    assert!(report.is_complete(), "{report:?}");
    assert_eq!((report.files, report.bytes), (6, total));
    assert_eq!(read_tree(target.path()), tree);
    assert_eq!(seen.lock().unwrap().len(), 6);

    // Connectors take trees too.
    let report = c
        .upload_dir(
            source.path(),
            "s3://bucket/tree",
            TransferOptions::default(),
        )
        .await
        .unwrap();
    assert!(report.is_complete());
    let again = tempfile::tempdir().unwrap();
    c.download_dir("s3://bucket/tree", again.path(), TransferOptions::default())
        .await
        .unwrap();
    assert_eq!(read_tree(again.path()), tree);
}

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

#[test]
fn the_blocking_facade_covers_the_data_api() {
    let server = server();
    let c = algorithmia_client::blocking::Client::from_async(client(&server, ALICE)).unwrap();
    let dir = c.dir("data://.my/blocking");
    dir.create(DataAcl::Public).unwrap();
    assert!(dir.exists().unwrap());
    assert_eq!(dir.acl().unwrap(), Some(DataAcl::Public));
    for i in 0..5 {
        dir.file(&format!("f{i}"))
            .put_string(format!("{i}"))
            .unwrap();
    }
    let names: Vec<String> = dir.files().map(|f| f.unwrap().name).collect();
    assert_eq!(names, ["f0", "f1", "f2", "f3", "f4"]);
    assert_eq!(dir.list().count(), 5);
    let f = dir.file("f0");
    assert_eq!(f.get_string().unwrap(), "0");
    f.put_reader(std::io::Cursor::new(vec![9u8; 700_000]))
        .unwrap();
    let mut read = Vec::new();
    std::io::Read::read_to_end(&mut f.get_reader().unwrap(), &mut read).unwrap();
    assert_eq!(read, vec![9u8; 700_000]);
    assert_eq!(f.metadata().unwrap().size, 700_000);
    let local = tempfile::tempdir().unwrap();
    let report = c
        .download_dir(
            "data://.my/blocking",
            local.path(),
            TransferOptions::default(),
        )
        .unwrap();
    assert_eq!(report.files, 5);
    let errors: Vec<_> = c.dir("data://.my/blocking/f1").list().collect();
    assert_eq!(errors.len(), 1, "an error ends the iteration");
    assert!(errors[0].is_err());
    assert_eq!(dir.delete(true).unwrap(), 5);
}
