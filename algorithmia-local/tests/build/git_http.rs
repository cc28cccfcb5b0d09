//! A stock git against the smart HTTP service: clone, edit, push and the push hook; a wrong key,
//! a refused push, an unknown repository, and the limits.

use std::sync::{Arc, Mutex};

use futures_util::StreamExt;

use algorithmia_local::build::{GitHttp, Repositories};

use crate::{ALICE_KEY, BOB_KEY, access, capture_logs, git, git_ok, serve, server_log, template};

type Pushes = Arc<Mutex<Vec<(String, String, String)>>>;

async fn start(repos: &Repositories, limit: Option<u64>) -> (std::net::SocketAddr, Pushes) {
    capture_logs();
    let pushes: Pushes = Arc::default();
    let seen = Arc::clone(&pushes);
    let mut service = GitHttp::new(repos.clone(), access).on_push(move |owner, name, head| {
        seen.lock()
            .unwrap()
            .push((owner.to_owned(), name.to_owned(), head.to_owned()));
    });
    if let Some(limit) = limit {
        service = service.body_limit(limit);
    }
    (serve(service.router()).await, pushes)
}

fn url(addr: std::net::SocketAddr, key: &str, repo: &str) -> String {
    format!("http://x:{key}@{addr}/git/{repo}.git")
}

#[tokio::test(flavor = "multi_thread")]
async fn clone_edit_and_push_moves_the_head_and_fires_the_hook() {
    let data = tempfile::tempdir().unwrap();
    let repos = Repositories::new(data.path().join("git")).unwrap();
    let first = repos
        .create("alice", "Hello", &template("alice", "Hello", None), "alice")
        .await
        .unwrap();
    let (addr, pushes) = start(&repos, None).await;
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    git_ok(
        home.path(),
        work.path(),
        &["clone", &url(addr, ALICE_KEY, "alice/Hello"), "Hello"],
    )
    .await;
    let clone = work.path().join("Hello");
    let source = std::fs::read_to_string(clone.join("src/Hello.py")).unwrap();
    assert!(source.contains("hello {}"));
    assert_eq!(
        git_ok(home.path(), &clone, &["rev-parse", "HEAD"]).await,
        first
    );

    std::fs::write(
        clone.join("src/Hello.py"),
        source.replace("hello {}", "howdy {}"),
    )
    .unwrap();
    git_ok(home.path(), &clone, &["commit", "-q", "-am", "Say howdy"]).await;
    let second = git_ok(home.path(), &clone, &["rev-parse", "HEAD"]).await;
    git_ok(home.path(), &clone, &["push", "-q", "origin", "master"]).await;

    assert_eq!(
        repos.head("alice", "Hello").await.unwrap(),
        Some(second.clone())
    );
    assert_eq!(
        *pushes.lock().unwrap(),
        vec![("alice".to_owned(), "Hello".to_owned(), second.clone())]
    );
    // A push to another branch does not move the default branch: no hook.
    git_ok(
        home.path(),
        &clone,
        &["push", "-q", "origin", "master:refs/heads/feature"],
    )
    .await;
    assert_eq!(pushes.lock().unwrap().len(), 1);
    // A push over git's 1 MiB post buffer goes chunked, without a Content-Length.
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let noise: Vec<u8> = (0..3 * 1024 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    std::fs::write(clone.join("src/model.bin"), &noise).unwrap();
    git_ok(home.path(), &clone, &["add", "src/model.bin"]).await;
    git_ok(home.path(), &clone, &["commit", "-q", "-m", "A model"]).await;
    let third = git_ok(home.path(), &clone, &["rev-parse", "HEAD"]).await;
    git_ok(home.path(), &clone, &["push", "-q", "origin", "master"]).await;
    assert_eq!(pushes.lock().unwrap().last().unwrap().2, third);
    assert_eq!(pushes.lock().unwrap().len(), 2);
    // A second clone sees the pushed commits (upload-pack after receive-pack).
    git_ok(
        home.path(),
        work.path(),
        &["clone", "-q", &url(addr, ALICE_KEY, "alice/Hello"), "Again"],
    )
    .await;
    let again = std::fs::read_to_string(work.path().join("Again/src/Hello.py")).unwrap();
    assert!(again.contains("howdy {}"));
    assert_eq!(
        std::fs::read(work.path().join("Again/src/model.bin")).unwrap(),
        noise
    );
    assert!(!server_log().contains(ALICE_KEY), "the key was logged");
    assert!(
        server_log().contains("git request"),
        "nothing was logged at all"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_keys_refused_pushes_and_unknown_repositories_fail() {
    let data = tempfile::tempdir().unwrap();
    let repos = Repositories::new(data.path().join("git")).unwrap();
    let first = repos
        .create("alice", "Hello", &template("alice", "Hello", None), "alice")
        .await
        .unwrap();
    let (addr, pushes) = start(&repos, Some(64 * 1024)).await;
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();

    let wrong = "simWrongKey-77aa11";
    let out = git(
        home.path(),
        work.path(),
        &["clone", &url(addr, wrong, "alice/Hello"), "W"],
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("Authentication failed"), "{stderr}");
    assert!(!work.path().join("W/src").exists());

    // bob may read alice's repository but not push to it.
    git_ok(
        home.path(),
        work.path(),
        &["clone", "-q", &url(addr, BOB_KEY, "alice/Hello"), "B"],
    )
    .await;
    let clone = work.path().join("B");
    std::fs::write(clone.join("src/extra.py"), "x = 1\n").unwrap();
    git_ok(home.path(), &clone, &["add", "."]).await;
    git_ok(home.path(), &clone, &["commit", "-q", "-m", "bob was here"]).await;
    let out = git(home.path(), &clone, &["push", "origin", "master"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("403"), "{stderr}");
    assert_eq!(repos.head("alice", "Hello").await.unwrap(), Some(first));
    assert!(pushes.lock().unwrap().is_empty());

    let out = git(
        home.path(),
        work.path(),
        &["clone", &url(addr, ALICE_KEY, "alice/Nope"), "N"],
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("not found"), "{stderr}");

    // The same at the HTTP level.
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let refs = format!("http://{addr}/git/alice/Hello.git/info/refs?service=git-upload-pack");
    let anonymous = http.get(&refs).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(
        anonymous.headers()["www-authenticate"],
        r#"Basic realm="algorithmia""#
    );
    let wrong_key = http
        .get(&refs)
        .basic_auth("x", Some(wrong))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_key.status(), 401);
    let ok = http
        .get(&refs)
        .basic_auth("x", Some(ALICE_KEY))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(
        ok.headers()["content-type"],
        "application/x-git-upload-pack-advertisement"
    );
    let key_as_user = http
        .get(&refs)
        .basic_auth(ALICE_KEY, None::<&str>)
        .send()
        .await
        .unwrap();
    assert_eq!(key_as_user.status(), 200);
    let nope = format!("http://{addr}/git/alice/Nope.git/info/refs?service=git-upload-pack");
    let nope = http
        .get(&nope)
        .basic_auth("x", Some(ALICE_KEY))
        .send()
        .await
        .unwrap();
    assert_eq!(nope.status(), 404);
    let dumb = format!("http://{addr}/git/alice/Hello.git/HEAD");
    let dumb = http
        .get(&dumb)
        .basic_auth("x", Some(ALICE_KEY))
        .send()
        .await
        .unwrap();
    assert_eq!(dumb.status(), 404);
    let escape =
        format!("http://{addr}/git/alice/..%2F..%2Fetc.git/info/refs?service=git-upload-pack");
    let escape = http
        .get(&escape)
        .basic_auth("x", Some(ALICE_KEY))
        .send()
        .await
        .unwrap();
    assert_eq!(escape.status(), 404);

    let too_big = http
        .post(format!(
            "http://{addr}/git/alice/Hello.git/git-receive-pack"
        ))
        .basic_auth("x", Some(ALICE_KEY))
        .header("content-type", "application/x-git-receive-pack-request")
        .body(vec![b'0'; 128 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(too_big.status(), 413);

    let log = server_log();
    for key in [wrong, ALICE_KEY, BOB_KEY] {
        assert!(!log.contains(key), "{key} was logged");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backend_is_stopped_at_its_timeout_or_when_its_client_goes() {
    capture_logs();
    let data = tempfile::tempdir().unwrap();
    let repos = Repositories::new(data.path().join("git")).unwrap();
    repos
        .create(
            "alice",
            "Endless",
            &template("alice", "Endless", None),
            "alice",
        )
        .await
        .unwrap();
    let service =
        GitHttp::new(repos.clone(), access).timeout(std::time::Duration::from_millis(500));
    let addr = serve(service.router()).await;
    // An upload-pack request whose body never ends: git answers its headers, then waits.
    let endless = futures_util::stream::once(async {
        Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"0011command=ls-refs\n"))
    })
    .chain(futures_util::stream::pending());
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let clock = std::time::Instant::now();
    let response = http
        .post(format!(
            "http://{addr}/git/alice/Endless.git/git-upload-pack"
        ))
        .basic_auth("x", Some(ALICE_KEY))
        .header("content-type", "application/x-git-upload-pack-request")
        .body(reqwest::Body::wrap_stream(endless))
        .send()
        .await;
    let marker = b"PATH_INFO=/alice/Endless.git/git-upload-pack";
    let running = || {
        std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(Result::ok)
            .filter_map(|entry| std::fs::read(entry.path().join("environ")).ok())
            .any(|environ| environ.split(|b| *b == 0).any(|var| var == marker))
    };
    // The headers arrive, then the body is cut off at the deadline.
    let response = response.unwrap();
    assert_eq!(response.status(), 200);
    assert!(running(), "the backend is not visible while it waits");
    assert!(response.bytes().await.is_err());
    let elapsed = clock.elapsed();
    assert!(
        elapsed >= std::time::Duration::from_millis(400),
        "{elapsed:?}"
    );
    assert!(elapsed < std::time::Duration::from_secs(10), "{elapsed:?}");
    // And no git process of that request is left.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while running() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(!running(), "a git process outlived its request");

    // A client that goes away stops the backend long before its timeout.
    let patient = GitHttp::new(repos.clone(), access).timeout(std::time::Duration::from_secs(120));
    let addr = serve(patient.router()).await;
    let endless = futures_util::stream::once(async {
        Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"0011command=ls-refs\n"))
    })
    .chain(futures_util::stream::pending());
    let response = http
        .post(format!(
            "http://{addr}/git/alice/Endless.git/git-upload-pack"
        ))
        .basic_auth("x", Some(ALICE_KEY))
        .header("content-type", "application/x-git-upload-pack-request")
        .body(reqwest::Body::wrap_stream(endless))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(running());
    drop(response);
    drop(http);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while running() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(!running(), "the backend outlived its client");
}
