//! Repositories: created with one commit on master, read, deleted; names and paths that would
//! leave the root are refused before anything is written.

use std::path::PathBuf;

use algorithmia_local::build::{NameError, RepoError, Repositories};

use crate::{git_ok, template};

#[tokio::test]
async fn a_created_repository_has_one_commit_on_master_with_the_files() {
    let data = tempfile::tempdir().unwrap();
    let repos = Repositories::new(data.path().join("git")).unwrap();
    let files = template("alice", "Hello", Some("algorithmia\n"));
    let commit = repos
        .create("alice", "Hello", &files, "alice")
        .await
        .unwrap();
    assert_eq!(commit.len(), 40);
    assert_eq!(
        repos.head("alice", "Hello").await.unwrap(),
        Some(commit.clone())
    );
    let path = repos.path("alice", "Hello").unwrap();
    assert_eq!(path, repos.root().join("alice/Hello.git"));

    let home = tempfile::tempdir().unwrap();
    let git_dir = format!("--git-dir={}", path.display());
    let listed = git_ok(
        home.path(),
        data.path(),
        &[&git_dir, "ls-tree", "-r", "--name-only", "master"],
    )
    .await;
    let mut expected: Vec<String> = files.iter().map(|(p, _)| p.display().to_string()).collect();
    expected.sort();
    assert_eq!(listed.lines().collect::<Vec<_>>(), expected);
    let shown = git_ok(
        home.path(),
        data.path(),
        &[&git_dir, "show", "master:src/Hello.py"],
    )
    .await;
    assert!(shown.contains("hello {}"), "{shown}");
    let author = git_ok(
        home.path(),
        data.path(),
        &[&git_dir, "log", "-1", "--format=%an <%ae>"],
    )
    .await;
    assert_eq!(author, "alice <alice@algorithmia.local>");
    let receive = git_ok(
        home.path(),
        data.path(),
        &[&git_dir, "config", "http.receivepack"],
    )
    .await;
    assert_eq!(receive, "true");

    assert!(matches!(
        repos.create("alice", "Hello", &files, "alice").await,
        Err(RepoError::AlreadyExists { .. })
    ));
    repos.delete("alice", "Hello").await.unwrap();
    assert!(!path.exists());
    assert!(matches!(
        repos.head("alice", "Hello").await,
        Err(RepoError::NotFound { .. })
    ));
    assert!(matches!(
        repos.delete("alice", "Hello").await,
        Err(RepoError::NotFound { .. })
    ));
}

#[tokio::test]
async fn names_and_paths_that_leave_the_root_are_refused() {
    let data = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let repos = Repositories::new(data.path().join("git")).unwrap();
    let files = template("alice", "Hello", None);
    for (owner, name) in [
        ("..", "x"),
        ("a", "../x"),
        ("a/b", "x"),
        ("/etc", "x"),
        ("a", ""),
        ("9a", "x"),
    ] {
        let err = repos
            .create(owner, name, &files, "alice")
            .await
            .unwrap_err();
        assert!(
            matches!(err, RepoError::Name(NameError::Invalid { .. })),
            "{owner}/{name}: {err}"
        );
        assert!(repos.path(owner, name).is_err());
    }
    for bad in [
        "../x.py",
        "/tmp/evil.py",
        "src/../../x.py",
        ".git/config",
        "a/.git/hooks/x",
    ] {
        let files = vec![(PathBuf::from(bad), b"x".to_vec())];
        let err = repos
            .create("alice", "Evil", &files, "alice")
            .await
            .unwrap_err();
        assert!(
            matches!(err, RepoError::Name(NameError::Escapes { .. })),
            "{bad}: {err}"
        );
        assert!(!repos.path("alice", "Evil").unwrap().exists(), "{bad}");
    }
    // An owner directory that is a symbolic link out of the root.
    std::os::unix::fs::symlink(outside.path(), repos.root().join("mallory")).unwrap();
    let err = repos
        .create("mallory", "Hello", &files, "mallory")
        .await
        .unwrap_err();
    assert!(
        matches!(err, RepoError::Name(NameError::Escapes { .. })),
        "{err}"
    );
    assert!(repos.head("mallory", "Hello").await.is_err());
    assert!(repos.delete("mallory", "Hello").await.is_err());
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    // Nothing was created outside the root either.
    assert!(!data.path().join("x").exists() && !data.path().join("x.py").exists());
}
