//! The Data API: every file operation on `data://` and the target's connectors, awkward names,
//! paged listings, ACLs and deletes.

use algorithmia_client::{DataAcl, DataEntry};
use futures_util::{StreamExt, TryStreamExt};
use tokio::io::AsyncReadExt;

use super::Target;

/// File names that need encoding in a URL.
pub const AWKWARD_NAMES: [&str; 4] = [
    "plain.txt",
    "with space.txt",
    "hash#and?query.txt",
    "ünïcødé ✓.txt",
];

/// Every way to write and read a file, with awkward names, on `data://.my` and under every
/// connector of the target; the names round-trip through listings too.
pub async fn every_file_operation_on_data_and_connectors(target: &Target) {
    let c = target.client();
    let scratch = tempfile::tempdir().unwrap();
    let bases = std::iter::once(target.my_dir("sdkfiles")).chain(
        target
            .connectors
            .iter()
            .map(|root| target.connector_dir(root, "sdkfiles")),
    );
    for base in bases {
        let dir = c.dir(&base);
        if base.starts_with("data://") {
            dir.create(DataAcl::Private).await.unwrap();
        }
        for name in AWKWARD_NAMES {
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
        for name in AWKWARD_NAMES {
            dir.file(name).put_string("x").await.unwrap();
        }
        let mut listed: Vec<String> = dir.files().map_ok(|f| f.name).try_collect().await.unwrap();
        listed.sort();
        let mut want: Vec<String> = AWKWARD_NAMES.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(listed, want, "{base}");
        assert_eq!(dir.delete(true).await.unwrap(), 4, "{base}");
    }
}

/// A listing longer than the server's page follows the markers to the end, folders first, each
/// file with its size, time and URI; the stream is lazy.
pub async fn listings_follow_markers_across_pages(target: &Target) {
    let c = target.client();
    let base = target.my_dir("paged");
    let dir = c.dir(&base);
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
            assert_eq!(f.uri.to_string(), format!("{base}/{}", f.name));
        }
    }
    assert_eq!(dir.files().count().await, 7);
    let dirs: Vec<String> = dir
        .dirs()
        .map_ok(|d| d.uri.to_string())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(dirs, [format!("{base}/a"), format!("{base}/b")]);
    // The stream is lazy: taking two entries fetches one page.
    let first_two: Vec<_> = dir.list().take(2).collect().await;
    assert_eq!(first_two.len(), 2);

    dir.delete(true).await.unwrap();
}

/// ACLs are set on create, read back and replaced; a connector directory has none; an unknown
/// ACL is refused; a directory with contents needs `force` to go.
pub async fn acls_round_trip_and_directories_delete_with_force(target: &Target) {
    let c = target.client();
    let dir = c.dir(target.my_dir("guarded"));
    assert!(!dir.exists().await.unwrap());
    dir.create(DataAcl::Private).await.unwrap();
    assert!(dir.exists().await.unwrap());
    assert_eq!(dir.acl().await.unwrap(), Some(DataAcl::Private));
    for acl in [DataAcl::Public, DataAcl::MyAlgorithms, DataAcl::Private] {
        dir.update_acl(acl.clone()).await.unwrap();
        assert_eq!(dir.acl().await.unwrap(), Some(acl));
    }
    // A special area or a connector has no ACL.
    if let Some(root) = target.connectors.first() {
        let noacl = c.dir(target.connector_dir(root, "noacl"));
        noacl.create(DataAcl::default()).await.unwrap();
        assert_eq!(noacl.acl().await.unwrap(), None);
        noacl.delete(true).await.unwrap();
    }
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
