//! Builds with real git and real pip: a good build that runs as an ADK algorithm, pip's and
//! Python's errors as failed builds, one build per algorithm at a time, and refused paths.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use algorithmia_local::build::{BuildRequest, BuildStatus, Builder, Repositories};
use algorithmia_local::{AdkAlgorithm, LocalServer};

use crate::template;

fn builder(data: &Path) -> Builder {
    Builder::new(data.join("builds"), testkit::venv_bin("python"), 2).unwrap()
}

async fn repo_with(repos: &Repositories, name: &str, files: &[(PathBuf, Vec<u8>)]) -> BuildRequest {
    let commit = repos.create("alice", name, files, "alice").await.unwrap();
    BuildRequest {
        algorithm_id: format!("id-{name}"),
        owner: "alice".into(),
        name: name.into(),
        repo: repos.path("alice", name).unwrap(),
        commit,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_good_build_installs_its_requirements_and_runs_as_an_adk_algorithm() {
    let data = tempfile::tempdir().unwrap();
    let repos = Repositories::new(data.path().join("git")).unwrap();
    let files = template("alice", "Hello", Some("algorithmia\nalgorithmia-adk\n"));
    let request = repo_with(&repos, "Hello", &files).await;
    let builder = builder(data.path());

    let clock = Instant::now();
    let output = builder.build(request.clone()).await;
    eprintln!(
        "a build with algorithmia and algorithmia-adk took {:?}",
        clock.elapsed()
    );
    assert_eq!(output.status, BuildStatus::Succeeded, "{}", output.log);
    assert!(!output.reused);
    assert!(
        output.log.contains("Successfully installed"),
        "{}",
        output.log
    );
    assert!(output.log.contains("algorithmia-adk"), "{}", output.log);
    assert!(output.log.contains("py_compile"), "{}", output.log);
    let dir = builder
        .algorithm_dir("id-Hello")
        .unwrap()
        .join(&request.commit);
    assert_eq!(output.dir, dir);
    assert_eq!(output.runtime.cwd, dir.join("src"));
    assert_eq!(output.runtime.entry, dir.join("src/src/Hello.py"));
    assert!(output.runtime.python.starts_with(dir.join("venv")));

    let clock = Instant::now();
    let again = builder.build(request.clone()).await;
    assert_eq!(again.status, BuildStatus::Succeeded);
    assert!(
        again.reused && again.log.starts_with("Reusing"),
        "{}",
        again.log
    );
    assert!(clock.elapsed() < Duration::from_secs(2));
    assert_eq!(again.runtime, output.runtime);

    let server = LocalServer::builder()
        .adk_algorithm(AdkAlgorithm {
            name: "alice/Hello".into(),
            version: "1.0.0".into(),
            command: output.runtime.command(),
            workers: Some(1),
        })
        .start()
        .unwrap();
    let client = algorithmia_client::Client::builder()
        .base_url(server.base_url())
        .api_key(server.api_key())
        .no_proxy()
        .build()
        .unwrap();
    let answer = client.algo("alice/Hello/1.0.0").pipe("X").await.unwrap();
    assert_eq!(answer.as_text(), Some("hello X"));

    builder.remove("id-Hello").await.unwrap();
    assert!(!dir.exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn pip_errors_syntax_errors_and_missing_entry_points_fail_the_build() {
    let data = tempfile::tempdir().unwrap();
    let repos = Repositories::new(data.path().join("git")).unwrap();
    let builder = builder(data.path());

    let bad = template(
        "alice",
        "BadReq",
        Some("this-package-does-not-exist-zzz==0.0.1\n"),
    );
    let output = builder.build(repo_with(&repos, "BadReq", &bad).await).await;
    assert_eq!(output.status, BuildStatus::Failed, "{}", output.log);
    assert!(
        output
            .log
            .contains("No matching distribution found for this-package-does-not-exist-zzz"),
        "{}",
        output.log
    );
    assert!(
        output.log.contains("Build failed: pip install"),
        "{}",
        output.log
    );
    assert!(!output.log.contains("py_compile"), "{}", output.log);

    let slow = Builder::new(data.path().join("slow"), testkit::venv_bin("python"), 1)
        .unwrap()
        .pip_timeout(Duration::from_millis(1));
    let slow_req = template("alice", "Slow", Some("algorithmia-adk\n"));
    let output = slow.build(repo_with(&repos, "Slow", &slow_req).await).await;
    assert_eq!(output.status, BuildStatus::Failed, "{}", output.log);
    assert!(
        output.log.contains("did not finish within 1ms"),
        "{}",
        output.log
    );

    let mut broken = template("alice", "Broken", None);
    broken[2].1 = b"def apply(input:\n    return input\n".to_vec();
    let output = builder
        .build(repo_with(&repos, "Broken", &broken).await)
        .await;
    assert_eq!(output.status, BuildStatus::Failed, "{}", output.log);
    assert!(output.log.contains("SyntaxError"), "{}", output.log);
    assert!(output.log.contains("No requirements.txt"), "{}", output.log);

    let other = template("alice", "Other", None);
    let output = builder
        .build(repo_with(&repos, "Missing", &other).await)
        .await;
    assert_eq!(output.status, BuildStatus::Failed, "{}", output.log);
    assert!(
        output
            .log
            .contains("the entry point src/Missing.py is missing"),
        "{}",
        output.log
    );

    let mut unknown = repo_with(&repos, "Unknown", &template("alice", "Unknown", None)).await;
    unknown.commit = "0".repeat(40);
    let output = builder.build(unknown).await;
    assert_eq!(output.status, BuildStatus::Failed, "{}", output.log);
    assert!(output.log.contains("could not check out"), "{}", output.log);
}

#[tokio::test(flavor = "multi_thread")]
async fn builds_of_one_algorithm_run_one_after_the_other() {
    let data = tempfile::tempdir().unwrap();
    let repos = Repositories::new(data.path().join("git")).unwrap();
    let builder = builder(data.path());
    let mut one = repo_with(&repos, "One", &template("alice", "One", None)).await;
    let mut two = repo_with(&repos, "Two", &template("alice", "Two", None)).await;
    one.algorithm_id = "same".into();
    two.algorithm_id = "same".into();
    let (a, b) = tokio::join!(builder.build(one), builder.build(two));
    assert_eq!(a.status, BuildStatus::Succeeded, "{}", a.log);
    assert_eq!(b.status, BuildStatus::Succeeded, "{}", b.log);
    assert!(
        a.finished <= b.started || b.finished <= a.started,
        "the builds overlapped: {a:?} {b:?}"
    );
    // Another algorithm is not held up by this one's lock (max_parallel is 2).
    let mut three = repo_with(&repos, "Three", &template("alice", "Three", None)).await;
    three.algorithm_id = "other".into();
    let mut four = repo_with(&repos, "Four", &template("alice", "Four", None)).await;
    four.algorithm_id = "another".into();
    let (c, d) = tokio::join!(builder.build(three), builder.build(four));
    assert!(
        c.started < d.finished && d.started < c.finished,
        "{c:?} {d:?}"
    );
}

#[tokio::test]
async fn build_paths_that_leave_the_root_are_refused() {
    let data = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let repos = Repositories::new(data.path().join("git")).unwrap();
    let builder = builder(data.path());
    let good = repo_with(&repos, "Hello", &template("alice", "Hello", None)).await;

    let cases: Vec<(&str, BuildRequest)> = vec![
        (
            "build id",
            BuildRequest {
                algorithm_id: "../x".into(),
                ..good.clone()
            },
        ),
        (
            "build id",
            BuildRequest {
                algorithm_id: "/tmp/x".into(),
                ..good.clone()
            },
        ),
        (
            "commit",
            BuildRequest {
                commit: "../../etc".into(),
                ..good.clone()
            },
        ),
        (
            "commit",
            BuildRequest {
                commit: "HEAD".into(),
                ..good.clone()
            },
        ),
        (
            "algorithm name",
            BuildRequest {
                name: "../Hello".into(),
                ..good.clone()
            },
        ),
    ];
    for (what, request) in cases {
        let output = builder.build(request.clone()).await;
        assert_eq!(output.status, BuildStatus::Failed, "{request:?}");
        assert!(output.log.contains(what), "{request:?}: {}", output.log);
        assert_eq!(output.dir, PathBuf::new());
    }
    std::os::unix::fs::symlink(
        outside.path(),
        builder.algorithm_dir("x").unwrap().with_file_name("link"),
    )
    .unwrap();
    let output = builder
        .build(BuildRequest {
            algorithm_id: "link".into(),
            ..good.clone()
        })
        .await;
    assert_eq!(output.status, BuildStatus::Failed);
    assert!(output.log.contains("leaves"), "{}", output.log);
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    assert!(builder.remove("../x").await.is_err());
    assert!(builder.remove("link").await.is_err());
    assert!(outside.path().exists());
}
