//! The platform end to end: an algorithm created with our SDK, cloned and pushed with a stock
//! git, built by the server (real pip), called by hash, given a secret, published, called by
//! version and by name, run behind the built `bootstrap` under cargo-lambda's emulator, and
//! still there after a restart. Also: a build that fails, and what another user may not do.
//!
//! Two pip builds in all (one that succeeds, one that fails).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use algorithmia_client::Client;
use algorithmia_client::manage::{
    Build, BuildStatus, Callability, NewAlgorithm, Publish, SecretValue, VersionType, WaitOptions,
};
use algorithmia_local::{LocalServer, ServerHandle};
use futures_util::StreamExt as _;
use serde_json::{Value, json};
use testkit::{Emulator, Function};

const ALICE: &str = "simPlatformAlice";
const BOB: &str = "simPlatformBob";
const NAME: &str = "Greeter";
const GREETING: &str = "bonjour-from-a-secret";

fn start(dir: &Path) -> ServerHandle {
    LocalServer::builder()
        .data_dir(dir)
        .api_key(ALICE, "alice")
        .api_key(BOB, "bob")
        .builtins(false)
        .adk_workers(1)
        .start()
        .unwrap()
}

fn client(server: &ServerHandle, key: &str) -> Client {
    Client::builder()
        .base_url(server.base_url())
        .api_key(key)
        .build()
        .unwrap()
}

/// A stock git with a private HOME, no prompts, no system or user configuration.
fn git(home: &Path, cwd: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .args([
            "-c",
            "user.name=Alice",
            "-c",
            "user.email=alice@example.com",
        ])
        .args(args)
        .current_dir(cwd)
        .env("HOME", home)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("NO_PROXY", "127.0.0.1")
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("GIT_ASKPASS")
        .env_remove("SSH_ASKPASS")
        .output()
        .unwrap()
}

fn git_ok(home: &Path, cwd: &Path, args: &[&str]) -> String {
    let out = git(home, cwd, args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "git {args:?}: {text}");
    text
}

fn url(server: &ServerHandle, user: &str, key: &str) -> String {
    format!("http://{user}:{key}@{}/git/alice/{NAME}.git", server.addr())
}

/// Commit everything in `work` and push it; the new head.
fn commit_and_push(home: &Path, work: &Path, message: &str) -> String {
    git_ok(home, work, &["add", "-A"]);
    git_ok(home, work, &["commit", "-q", "-m", message]);
    git_ok(home, work, &["push", "-q", "origin", "master"]);
    git_ok(home, work, &["rev-parse", "HEAD"]).trim().to_owned()
}

/// The build of `commit`, once the server lists it.
async fn build_of(client: &Client, commit: &str) -> Build {
    let algorithm = client.algorithm(format!("alice/{NAME}"));
    for _ in 0..100 {
        let builds: Vec<Build> = algorithm
            .builds()
            .stream()
            .map(|b| b.unwrap())
            .collect()
            .await;
        if let Some(build) = builds
            .into_iter()
            .find(|b| b.commit_sha.as_deref() == Some(commit))
        {
            return build;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no build of {commit}");
}

async fn wait(client: &Client, build: &Build) -> Build {
    client
        .algorithm(format!("alice/{NAME}"))
        .wait_for_build(
            &build.build_id,
            WaitOptions::default()
                .timeout(Duration::from_secs(600))
                .poll_interval(Duration::from_millis(100), Duration::from_millis(250)),
        )
        .await
        .unwrap()
}

async fn call(client: &Client, algorithm: &str, input: Value) -> Value {
    let response = client
        .algo(algorithm)
        .pipe_json(&input)
        .await
        .unwrap_or_else(|e| panic!("{algorithm}: {e}"));
    response.as_json().cloned().unwrap()
}

const SOURCE: &str = r#"import os

from Algorithmia import ADK


def apply(input):
    return {"input": input, "greeting": os.environ.get("GREETING")}


algorithm = ADK(apply)
algorithm.init("Algorithmia")
"#;

#[tokio::test(flavor = "multi_thread")]
async fn create_clone_push_build_call_publish_and_restart() {
    let data = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let server = start(data.path());
    let alice = client(&server, ALICE);
    let bob = client(&server, BOB);

    // Create: a repository with the template, and no build.
    alice
        .create_algorithm(
            "alice",
            NewAlgorithm::new(NAME, "Greeter").language("python3"),
        )
        .await
        .unwrap();
    let algorithm = alice.algorithm(format!("alice/{NAME}"));
    let builds: Vec<_> = algorithm.builds().stream().collect().await;
    assert!(builds.is_empty(), "{builds:?}");

    // Clone with a stock git, change the entry point, push.
    git_ok(
        home.path(),
        home.path(),
        &["clone", "-q", &url(&server, "alice", ALICE), "work"],
    );
    let work = home.path().join("work");
    let entry = work.join(format!("src/{NAME}.py"));
    assert!(
        std::fs::read_to_string(&entry)
            .unwrap()
            .contains("def apply")
    );
    std::fs::write(&entry, SOURCE).unwrap();
    let pushed = Instant::now();
    let good = commit_and_push(home.path(), &work, "Greet with a secret");

    // The push started a build of the new head; it succeeds and the hash is callable.
    let build = build_of(&alice, &good).await;
    let built = wait(&alice, &build).await;
    assert_eq!(built.status, BuildStatus::Succeeded, "{built:?}");
    let by_hash = format!("alice/{NAME}/{good}");
    let answer = call(&alice, &by_hash, json!({"n": 1})).await;
    eprintln!(
        "platform: from git push to a callable version: {:.1} s",
        pushed.elapsed().as_secs_f64()
    );
    assert_eq!(answer, json!({"input": {"n": 1}, "greeting": null}));
    let log = algorithm.build_logs(&build.build_id).await.unwrap();
    assert!(
        log.contains("pip install") && log.contains("Build succeeded"),
        "{log}"
    );

    // Another user: no clone, no push, no compile, no call of the unpublished hash.
    let out = git(
        home.path(),
        home.path(),
        &["clone", "-q", &url(&server, "bob", BOB), "theirs"],
    );
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("404") || said.contains("403") || said.contains("not found"),
        "{said}"
    );
    assert!(!home.path().join("theirs/src").exists());
    let out = git(
        home.path(),
        &work,
        &["push", "-q", &url(&server, "bob", BOB), "HEAD:master"],
    );
    assert!(!out.status.success(), "bob pushed");
    let refused = bob
        .algorithm(format!("alice/{NAME}"))
        .compile()
        .await
        .unwrap_err();
    let api = refused.api_error().expect("an API error");
    assert_eq!((api.status, api.code), (403, Some(2001)), "{refused}");
    let refused = bob
        .algo(by_hash.as_str())
        .pipe_json(&json!(1))
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(404), "{refused}");
    if let Some(api) = refused.api_error() {
        assert_eq!(api.code, Some(1000));
    }
    // A wrong key is asked for other credentials.
    let out = git(
        home.path(),
        home.path(),
        &["ls-remote", &url(&server, "alice", "simWrong")],
    );
    assert!(!out.status.success());

    // A secret reaches the algorithm's environment on the next call.
    algorithm
        .secrets()
        .set("GREETING", SecretValue::new(GREETING), Some("how to greet"))
        .await
        .unwrap();
    let answer = call(&alice, &by_hash, json!("hi")).await;
    assert_eq!(answer, json!({"input": "hi", "greeting": GREETING}));

    // Publish: callable by version and, being public, by name, by anyone.
    let version = algorithm
        .publish(Publish::new(VersionType::Minor).callability(Callability::Public))
        .await
        .unwrap();
    assert_eq!(
        version.semantic_version.as_deref(),
        Some("0.1.0"),
        "{version:?}"
    );
    for (who, name) in [
        (&alice, format!("alice/{NAME}/0.1.0")),
        (&bob, format!("alice/{NAME}")),
    ] {
        let answer = call(who, &name, json!([1, 2])).await;
        assert_eq!(
            answer,
            json!({"input": [1, 2], "greeting": GREETING}),
            "{name}"
        );
    }

    // A build that fails: pip's error in the log, and the published version still runs.
    std::fs::write(
        work.join("requirements.txt"),
        format!(
            "{}this-package-does-not-exist-zzz==0.0.1\n",
            std::fs::read_to_string(work.join("requirements.txt")).unwrap()
        ),
    )
    .unwrap();
    let bad = commit_and_push(home.path(), &work, "Depend on nothing that exists");
    let failing = build_of(&alice, &bad).await;
    let failed = wait(&alice, &failing).await;
    assert_eq!(failed.status, BuildStatus::Failed, "{failed:?}");
    let log = algorithm.build_logs(&failing.build_id).await.unwrap();
    assert!(
        log.contains("this-package-does-not-exist-zzz")
            && (log.contains("No matching distribution")
                || log.contains("Could not find a version")),
        "{log}"
    );
    let answer = call(&bob, &format!("alice/{NAME}/0.1.0"), json!("still")).await;
    assert_eq!(answer["input"], "still");
    let refused = bob
        .algo(format!("alice/{NAME}/{bad}").as_str())
        .pipe_json(&json!(1))
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(404), "{refused}");

    // The built bootstrap under cargo-lambda calls the published version.
    let emulator = Emulator::start();
    let function = Function::start(
        &testkit::blueprint_bootstrap(),
        &emulator,
        crate::FUNCTION,
        &[
            ("ALGORITHMIA_ALGORITHM", format!("alice/{NAME}/0.1.0")),
            ("ALGORITHMIA_API", server.base_url().into()),
            ("ALGORITHMIA_API_KEY", ALICE.into()),
        ],
    );
    let (ok, text) = emulator.invoke(&json!({"from": "lambda"}).to_string());
    assert!(ok, "{text}\n{}", function.logs());
    assert_eq!(
        testkit::first_json(&text),
        Some(json!({"input": {"from": "lambda"}, "greeting": GREETING})),
        "{text}"
    );
    let logs = function.logs();
    assert!(!logs.contains(ALICE), "the key leaked: {logs}");
    drop(function);
    drop(emulator);

    // Restart on the same data directory: everything is listed and the version runs again.
    server.shutdown();
    let server = start(data.path());
    let alice = client(&server, ALICE);
    let algorithm = alice.algorithm(format!("alice/{NAME}"));
    let builds: Vec<Build> = algorithm
        .builds()
        .stream()
        .map(|b| b.unwrap())
        .collect()
        .await;
    let statuses: Vec<_> = builds
        .iter()
        .map(|b| (b.commit_sha.clone().unwrap(), b.status.clone()))
        .collect();
    assert_eq!(
        statuses,
        vec![
            (bad.clone(), BuildStatus::Failed),
            (good.clone(), BuildStatus::Succeeded)
        ]
    );
    let versions: Vec<_> = algorithm
        .versions()
        .stream()
        .map(|v| v.unwrap())
        .collect()
        .await;
    assert!(
        versions
            .iter()
            .any(|v| v.semantic_version.as_deref() == Some("0.1.0")
                && v.git_hash.as_deref() == Some(good.as_str())),
        "{versions:?}"
    );
    let answer = call(&alice, &format!("alice/{NAME}/0.1.0"), json!("again")).await;
    assert_eq!(answer, json!({"input": "again", "greeting": GREETING}));

    // Secrets are for calls only: no build log holds one.
    for build in &builds {
        let log = algorithm.build_logs(&build.build_id).await.unwrap();
        assert!(!log.contains(GREETING) && !log.contains(ALICE));
    }
    // Deleting removes the repository and the builds.
    algorithm.delete().await.unwrap();
    assert!(!data.path().join(format!("git/alice/{NAME}.git")).exists());
    let builds_dir = std::fs::read_dir(data.path().join("builds")).unwrap();
    assert!(
        builds_dir
            .filter_map(Result::ok)
            .all(|e| e.file_name().to_string_lossy().starts_with('.'))
    );
    let out = git(
        home.path(),
        home.path(),
        &["ls-remote", &url(&server, "alice", ALICE)],
    );
    assert!(!out.status.success());
}

/// An organisation's algorithm: its members clone and push (a build without requirements, so
/// no pip), anyone else is told it does not exist; deleting it removes the repository, and a
/// new algorithm of the same name starts again from the template.
#[tokio::test(flavor = "multi_thread")]
async fn organisation_members_share_the_repository_and_delete_removes_it() {
    const CAROL: &str = "simPlatformCarol";
    const DAVE: &str = "simPlatformDave";
    let data = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let server = LocalServer::builder()
        .data_dir(data.path())
        .api_key(CAROL, "carol")
        .api_key(DAVE, "dave")
        .api_key(BOB, "bob")
        .organization("acme", ["carol", "dave"])
        .builtins(false)
        .start()
        .unwrap();
    let carol = client(&server, CAROL);
    let new = || NewAlgorithm::new("Shared", "Shared").language("python3");
    carol.create_algorithm("acme", new()).await.unwrap();
    let repo = |user: &str, key: &str| {
        format!("http://{user}:{key}@{}/git/acme/Shared.git", server.addr())
    };

    // Dave, a member, clones and pushes; the push builds.
    git_ok(
        home.path(),
        home.path(),
        &["clone", "-q", &repo("dave", DAVE), "shared"],
    );
    let work = home.path().join("shared");
    std::fs::remove_file(work.join("requirements.txt")).unwrap();
    std::fs::write(work.join("src/Shared.py"), "print('shared')\n").unwrap();
    let head = commit_and_push(home.path(), &work, "No requirements");
    let algorithm = carol.algorithm("acme/Shared");
    let build = {
        let mut found = None;
        for _ in 0..100 {
            let builds: Vec<Build> = algorithm
                .builds()
                .stream()
                .map(|b| b.unwrap())
                .collect()
                .await;
            found = builds
                .into_iter()
                .find(|b| b.commit_sha.as_deref() == Some(head.as_str()));
            if found.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        found.expect("the push started a build")
    };
    let built = algorithm
        .wait_for_build(
            &build.build_id,
            WaitOptions::default().timeout(Duration::from_secs(120)),
        )
        .await
        .unwrap();
    assert_eq!(built.status, BuildStatus::Succeeded, "{built:?}");
    let log = algorithm.build_logs(&build.build_id).await.unwrap();
    assert!(log.contains("No requirements.txt"), "{log}");

    // Bob is not a member: not found, for reading and for writing.
    let bob_url = repo("bob", BOB);
    for args in [
        vec!["ls-remote", bob_url.as_str()],
        vec!["push", "-q", bob_url.as_str(), "HEAD:master"],
    ] {
        let out = git(home.path(), &work, &args);
        assert!(!out.status.success(), "{args:?}");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(
            said.contains("not found") || said.contains("404"),
            "{args:?}: {said}"
        );
    }

    // Delete, create again: a fresh repository with the template's one commit.
    algorithm.delete().await.unwrap();
    assert!(!data.path().join("git/acme/Shared.git").exists());
    carol.create_algorithm("acme", new()).await.unwrap();
    git_ok(
        home.path(),
        home.path(),
        &["clone", "-q", &repo("carol", CAROL), "again"],
    );
    let again = home.path().join("again");
    let log = git_ok(home.path(), &again, &["log", "--format=%H"]);
    assert_eq!(log.lines().count(), 1, "{log}");
    assert!(again.join("requirements.txt").exists());
    assert!(
        carol
            .algorithm("acme/Shared")
            .builds()
            .stream()
            .collect::<Vec<_>>()
            .await
            .is_empty()
    );
}
