//! `algo` algorithms commands against algorithmia-local (platform on): the whole flow through
//! `algo` and a stock git, the environments, and bad input. pip runs three times in all: one
//! build that installs from PyPI (the compiles after it reuse it), and one failing commit built
//! twice (on push, then by `algo build`), which fails on a requirement that does not parse.

use std::path::{Path, PathBuf};
use std::process::Output;

use base64::Engine as _;
use serde_json::Value;

use crate::common::*;

/// The entry point pushed in the flow: greets, and fails on demand (for `algo errors`).
const SOURCE: &str = r#"from Algorithmia import ADK


def apply(input):
    if input == "fail":
        raise ValueError("asked to fail")
    return "hi " + str(input)


algorithm = ADK(apply)
algorithm.init("Algorithmia")
"#;

/// A secret value that must never be printed.
const SECRET_VALUE: &str = "s3cr3t-value-never-printed";

/// Run `cmd`, expect success, and check the key is in none of its output.
fn ok(setup: &Setup, cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: stdout {} stderr {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert_no_secret(&out, setup.key());
    out
}

/// Run `cmd`, expect exit `code`, and check the key is in none of its output.
fn fails(setup: &Setup, cmd: &mut Command, code: i32) -> Output {
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{cmd:?}: stdout {} stderr {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert_no_secret(&out, setup.key());
    out
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&out.stdout)))
}

/// A stock git with the set-up's HOME, no prompts and no system configuration; the key, when
/// given, as the Basic password in an `extraHeader` from the environment (as `algo clone`
/// passes it).
fn git(setup: &Setup, cwd: &Path, key: Option<&str>, args: &[&str]) -> Output {
    let mut git = std::process::Command::new("git");
    git.args([
        "-c",
        "user.name=Tester",
        "-c",
        "user.email=tester@example.com",
    ])
    .args(args)
    .current_dir(cwd)
    .env("HOME", setup.home.path())
    .env("GIT_TERMINAL_PROMPT", "0")
    .env("GIT_CONFIG_NOSYSTEM", "1")
    .env_remove("GIT_CONFIG_COUNT")
    .env_remove("GIT_ASKPASS");
    if let Some(key) = key {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("tester:{key}"));
        git.env("GIT_CONFIG_COUNT", "1")
            .env("GIT_CONFIG_KEY_0", "http.extraHeader")
            .env(
                "GIT_CONFIG_VALUE_0",
                format!("Authorization: Basic {basic}"),
            );
    }
    git.output().unwrap()
}

fn git_ok(setup: &Setup, cwd: &Path, key: Option<&str>, args: &[&str]) -> String {
    let out = git(setup, cwd, key, args);
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "git {args:?}: {said}");
    said
}

/// Commit everything in `work` and push it with the key; the new head.
fn commit_and_push(setup: &Setup, work: &Path, message: &str) -> String {
    git_ok(setup, work, None, &["add", "-A"]);
    git_ok(setup, work, None, &["commit", "-q", "-m", message]);
    git_ok(
        setup,
        work,
        Some(setup.key()),
        &["push", "-q", "origin", "HEAD:master"],
    );
    git_ok(setup, work, None, &["rev-parse", "HEAD"])
        .trim()
        .to_owned()
}

/// A directory holding a `git` that logs its arguments to `argv.log` and runs the real git.
fn git_shim(setup: &Setup) -> (PathBuf, PathBuf) {
    let real = String::from_utf8(
        std::process::Command::new("sh")
            .args(["-c", "command -v git"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let dir = setup.local("shim");
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("argv.log");
    let script = dir.join("git");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" >> '{}'\nexec '{}' \"$@\"\n",
            log.display(),
            real.trim()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (dir, log)
}

#[test]
fn create_clone_push_build_publish_run_secrets_errors_and_info() {
    let setup = Setup::new();
    let owner = setup.server.user().to_owned();
    let algo = format!("{owner}/Greeter");

    // Create, in the language's default environment.
    let out = ok(
        &setup,
        setup.algo().args(["create", &algo, "--summary", "Says hi"]),
    );
    assert!(text(&out.stdout).contains(&algo), "{}", text(&out.stdout));
    let info = json_of(&ok(&setup, setup.algo().args(["info", &algo, "--json"])));
    assert_eq!(info["name"], "Greeter");
    assert_eq!(info["details"]["summary"], "Says hi");
    let environments = json_of(&ok(
        &setup,
        setup.algo().args(["environment", "python3", "--json"]),
    ));
    assert_eq!(
        info["settings"]["algorithm_environment"], environments[0]["id"],
        "the language's first environment"
    );
    // A second create of the same name is refused.
    let again = fails(&setup, setup.algo().args(["create", &algo]), 1);
    assert!(
        text(&again.stderr).contains(&algo),
        "{}",
        text(&again.stderr)
    );

    // Clone through a git that logs its command line: the key is nowhere.
    let (shim, argv_log) = git_shim(&setup);
    let path = format!(
        "{}:{}",
        shim.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = ok(
        &setup,
        setup.algo().args(["clone", &algo]).env("PATH", &path),
    );
    let work = setup.local("Greeter");
    assert!(
        std::fs::read_to_string(work.join("src/Greeter.py"))
            .unwrap()
            .contains("def apply"),
        "the template's source was cloned"
    );
    let git_config = std::fs::read_to_string(work.join(".git/config")).unwrap();
    let argv = std::fs::read_to_string(&argv_log).unwrap();
    assert!(argv.contains("clone"), "the shim ran: {argv}");
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("algo:{}", setup.key()));
    for (what, haystack) in [
        (".git/config", git_config.as_str()),
        ("git's command line", argv.as_str()),
        ("algo's stderr", &text(&out.stderr)),
        ("algo's stdout", &text(&out.stdout)),
    ] {
        assert!(
            !haystack.contains(setup.key()),
            "the key is in {what}: {haystack}"
        );
        assert!(
            !haystack.contains(&basic),
            "the credentials are in {what}: {haystack}"
        );
    }
    let remote = git_ok(&setup, &work, None, &["remote", "get-url", "origin"]);
    assert_eq!(
        remote.trim(),
        format!(
            "{}/git/{algo}.git",
            setup.server.base_url().trim_end_matches('/')
        )
    );
    // Cloning onto it again is a usage error, before git runs.
    let refused = fails(&setup, setup.algo().args(["clone", &algo]), 2);
    assert!(
        text(&refused.stderr).contains("not empty"),
        "{}",
        text(&refused.stderr)
    );

    // Edit, commit, push with the same mechanism; `algo build` follows a build of that head.
    std::fs::write(work.join("src/Greeter.py"), SOURCE).unwrap();
    let head = commit_and_push(&setup, &work, "Say hi");
    let built = ok(&setup, setup.algo().args(["build", &algo]));
    let said = text(&built.stdout);
    assert!(said.contains("succeeded") && said.contains(&head), "{said}");

    // --no-wait prints only the id of the build it started (of the same, built, commit).
    let out = ok(&setup, setup.algo().args(["build", &algo, "--no-wait"]));
    let started = text(&out.stdout).trim().to_owned();
    assert!(!started.is_empty() && !started.contains(' '), "{started}");

    // builds (both spellings) and logs.
    let builds = json_of(&ok(&setup, setup.algo().args(["builds", &algo, "--json"])));
    let builds = builds.as_array().unwrap();
    assert!(!builds.is_empty());
    let ours = builds
        .iter()
        .find(|b| b["commit_sha"] == head.as_str() && b["status"] == "succeeded")
        .unwrap_or_else(|| panic!("no succeeded build of {head}: {builds:?}"));
    let build_id = ours["build_id"].as_str().unwrap().to_owned();
    assert!(
        builds.iter().any(|b| b["build_id"] == started.as_str()),
        "{started} in {builds:?}"
    );
    let table = text(&ok(&setup, setup.algo().args(["builds", &owner, "Greeter"])).stdout);
    assert!(
        table.starts_with("Build") && table.contains(&build_id),
        "{table}"
    );
    let log = text(&ok(&setup, setup.algo().args(["logs", &algo, &build_id])).stdout);
    assert!(log.contains("pip install"), "{log}");
    let missing = fails(
        &setup,
        setup.algo().args(["logs", &algo, "no-such-build"]),
        1,
    );
    assert!(text(&missing.stderr).contains("no-such-build"));

    // Publish, then the versions list shows it.
    let published = ok(
        &setup,
        setup
            .algo()
            .args(["publish", &algo, "--type", "minor", "--notes", "first"]),
    );
    assert_eq!(text(&published.stdout).trim(), format!("{algo}/0.1.0"));
    let versions = json_of(&ok(
        &setup,
        setup
            .algo()
            .args(["versions", &algo, "--published", "true", "--json"]),
    ));
    assert_eq!(versions.as_array().unwrap().len(), 1, "{versions}");
    assert_eq!(versions[0]["semantic_version"], "0.1.0");
    assert_eq!(versions[0]["git_hash"], head.as_str());
    assert_eq!(versions[0]["release_notes"], "first");
    let table = text(&ok(&setup, setup.algo().args(["versions", &algo])).stdout);
    let header = table.lines().next().unwrap();
    for column in ["Version", "Hash", "Published", "Callability", "Created"] {
        assert!(header.contains(column), "{header}");
    }
    assert!(
        table
            .lines()
            .any(|l| l.contains("0.1.0") && l.contains(&head) && l.contains("private")),
        "{table}"
    );
    let unpublished = json_of(&ok(
        &setup,
        setup
            .algo()
            .args(["versions", &algo, "--published", "false", "--json"]),
    ));
    assert!(
        unpublished
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v.get("semantic_version").is_none()),
        "{unpublished}"
    );

    // The published version runs (`algo run`); a failing call is then in `algo errors`.
    let version = format!("{algo}/0.1.0");
    let ran = ok(
        &setup,
        setup.algo().args(["run", &version, "-d", "\"Ann\""]),
    );
    assert_eq!(text(&ran.stdout).trim(), "hi Ann");
    let failed = fails(
        &setup,
        setup.algo().args(["run", &version, "-d", "\"fail\""]),
        1,
    );
    assert!(
        text(&failed.stderr).contains("asked to fail"),
        "{}",
        text(&failed.stderr)
    );
    let errors = json_of(&ok(&setup, setup.algo().args(["errors", &algo, "--json"])));
    assert!(errors.to_string().contains("asked to fail"), "{errors}");
    let table = text(&ok(&setup, setup.algo().args(["errors", &algo])).stdout);
    assert!(
        table.starts_with("When") && table.contains("asked to fail"),
        "{table}"
    );

    // Secrets: set from --value and from stdin, listed by name, deleted; no value shown.
    let secret_ok = |cmd: &mut Command| {
        let out = ok(&setup, cmd);
        assert_no_secret(&out, SECRET_VALUE);
        out
    };
    secret_ok(setup.algo().args([
        "secrets",
        "set",
        &algo,
        "GREETING",
        "--value",
        SECRET_VALUE,
        "--description",
        "how to greet",
    ]));
    secret_ok(
        setup
            .algo()
            .args(["secrets", "set", &algo, "TOKEN"])
            .write_stdin(format!("{SECRET_VALUE}\n")),
    );
    // Setting it again replaces the value rather than adding a second secret.
    secret_ok(
        setup
            .algo()
            .args(["secrets", "set", &algo, "TOKEN", "--value", "other"]),
    );
    let listed = secret_ok(setup.algo().args(["secrets", "list", &algo, "--json"]));
    let listed = json_of(&listed);
    let mut names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["short_name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["GREETING", "TOKEN"]);
    let table = text(&secret_ok(setup.algo().args(["secrets", "list", &algo])).stdout);
    assert!(
        table.starts_with("Name")
            && table
                .lines()
                .any(|l| l.contains("GREETING") && l.contains("how to greet")),
        "{table}"
    );
    secret_ok(setup.algo().args(["secrets", "delete", &algo, "TOKEN"]));
    let gone = fails(
        &setup,
        setup.algo().args(["secrets", "delete", &algo, "TOKEN"]),
        1,
    );
    assert!(text(&gone.stderr).contains("TOKEN"));
    let listed = json_of(&secret_ok(
        setup.algo().args(["secrets", "list", &algo, "--json"]),
    ));
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    let empty = fails(
        &setup,
        setup
            .algo()
            .args(["secrets", "set", &algo, "EMPTY"])
            .write_stdin(""),
        2,
    );
    assert!(text(&empty.stderr).contains("empty"));

    // Info in text, after all that.
    let info = text(&ok(&setup, setup.algo().args(["info", &algo])).stdout);
    assert!(
        info.contains("Greeter") && info.contains("Says hi"),
        "{info}"
    );
}

#[test]
fn a_failed_build_prints_its_log_and_exits_1() {
    let setup = Setup::new();
    let algo = format!("{}/Broken", setup.server.user());
    ok(&setup, setup.algo().args(["create", &algo]));
    // The caller's own git configuration from the environment is kept; the key goes after it.
    ok(
        &setup,
        setup
            .algo()
            .args(["clone", &algo, "broken"])
            .env("GIT_CONFIG_COUNT", "1")
            .env("GIT_CONFIG_KEY_0", "clone.defaultRemoteName")
            .env("GIT_CONFIG_VALUE_0", "upstream"),
    );
    let work = setup.local("broken");
    let remotes = git_ok(&setup, &work, None, &["remote"]);
    assert_eq!(remotes.trim(), "upstream", "the caller's setting applied");
    git_ok(
        &setup,
        &work,
        None,
        &["remote", "rename", "upstream", "origin"],
    );
    std::fs::write(
        work.join("requirements.txt"),
        "this is ! not a requirement\n",
    )
    .unwrap();
    commit_and_push(&setup, &work, "Break the requirements");
    let out = fails(&setup, setup.algo().args(["build", &algo]), 1);
    let said = text(&out.stderr);
    assert!(said.contains("not a requirement"), "the log's tail: {said}");
    assert!(said.contains(&algo) && said.contains("failed"), "{said}");
    assert!(text(&out.stdout).is_empty());
}

#[test]
fn languages_environments_and_templates() {
    let setup = Setup::new();
    let table = text(&ok(&setup, setup.algo().arg("languages")).stdout);
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("Name") && header.contains("Description"),
        "{header}"
    );
    assert!(lines.any(|l| l.starts_with("python3 ")), "{table}");
    let languages = json_of(&ok(&setup, setup.algo().args(["languages", "--json"])));
    assert_eq!(languages[0]["name"], "python3");

    let environments = json_of(&ok(
        &setup,
        setup.algo().args(["environment", "python3", "--json"]),
    ));
    let id = environments[0]["id"].as_str().unwrap();
    let spec = environments[0]["environment_specification_id"]
        .as_str()
        .unwrap();
    let table = text(&ok(&setup, setup.algo().args(["environment", "python3"])).stdout);
    assert!(table.contains(id) && table.contains(spec), "{table}");
    let unknown = fails(&setup, setup.algo().args(["environment", "cobol"]), 1);
    assert!(text(&unknown.stderr).contains("cobol"));

    let dest = setup.local("tmpl");
    let out = ok(&setup, setup.algo().args(["template", spec, "tmpl"]));
    assert!(dest.join("requirements.txt").is_file());
    assert!(
        std::fs::read_to_string(dest.join("requirements.txt"))
            .unwrap()
            .contains("algorithmia-adk")
    );
    assert!(text(&out.stdout).contains("requirements.txt"));
    let before = std::fs::read(dest.join("requirements.txt")).unwrap();
    // Not over what is there.
    std::fs::write(dest.join("requirements.txt"), "mine\n").unwrap();
    let refused = fails(&setup, setup.algo().args(["template", spec, "tmpl"]), 2);
    assert!(text(&refused.stderr).contains("not empty"));
    assert_eq!(
        std::fs::read(dest.join("requirements.txt")).unwrap(),
        b"mine\n"
    );
    assert!(!before.is_empty());
    let unknown = fails(
        &setup,
        setup.algo().args(["template", "no-such-spec", "other"]),
        1,
    );
    assert!(text(&unknown.stderr).contains("no-such-spec"));
    // Nothing of it is left: neither the destination nor the directory it was unpacked in.
    let left: Vec<String> = std::fs::read_dir(setup.work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["tmpl"], "only the first template is there");
    // Into an empty directory that exists: fine.
    std::fs::create_dir(setup.local("empty")).unwrap();
    ok(&setup, setup.algo().args(["template", spec, "empty"]));
    assert!(setup.local("empty/requirements.txt").is_file());
}

#[test]
fn bad_names_and_unknown_algorithms() {
    let setup = Setup::new();
    let owner = setup.server.user().to_owned();
    // Usage errors: exit 2, before anything is sent.
    for args in [
        vec!["info", "nonsense"],
        vec!["create", "a/b/c"],
        vec!["versions", "demo/Hello/1.0.0"],
        vec!["builds", "a/b", "c"],
        vec!["clone", "has space/x"],
        vec!["publish", "a/b", "--type", "micro"],
        vec!["publish", "a/b", "--callability", "everyone"],
    ] {
        let out = fails(&setup, setup.algo().args(&args), 2);
        assert!(!text(&out.stderr).is_empty(), "{args:?}");
    }
    // A name the platform refuses: the server's reason, exit 1 (only the server knows its rule).
    let bad = format!("{owner}/1bad");
    let out = fails(&setup, setup.algo().args(["create", &bad]), 1);
    let said = text(&out.stderr);
    assert!(
        said.contains(&bad) && said.contains("start with a letter"),
        "{said}"
    );
    // An unknown algorithm: exit 1, named.
    let nope = format!("{owner}/Nope");
    for args in [
        vec!["info", nope.as_str()],
        vec!["builds", nope.as_str()],
        vec!["versions", nope.as_str()],
        vec!["build", nope.as_str()],
        vec!["secrets", "list", nope.as_str()],
        vec!["errors", nope.as_str()],
    ] {
        let out = fails(&setup, setup.algo().args(&args), 1);
        assert!(
            text(&out.stderr).contains(&nope),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    // A clone of it: git's refusal, exit 1, and no directory left behind.
    let out = fails(&setup, setup.algo().args(["clone", &nope]), 1);
    assert!(text(&out.stderr).contains(&nope));
    assert!(!setup.local("Nope").join(".git").exists());
    // No git at all: a clear error.
    let empty = tempfile::tempdir().unwrap();
    let out = fails(
        &setup,
        setup
            .algo()
            .args(["clone", &format!("{owner}/Any")])
            .env("PATH", empty.path()),
        1,
    );
    assert!(
        text(&out.stderr).contains("git is not installed"),
        "{}",
        text(&out.stderr)
    );
}

const ALICE: &str = "simCliAliceKey";
const BOB: &str = "simCliBobKey";

/// A set-up whose server knows alice (the `default` profile) and bob (`--profile bob`).
fn two_users() -> Setup {
    let setup = Setup::with_server(|server| {
        server
            .api_key(ALICE, "alice")
            .api_key(BOB, "bob")
            .builtins(false)
    });
    assert_eq!(setup.key(), ALICE);
    let profile = |name: &str, key: &str| {
        format!(
            "[profiles.{name}]\napi_key = \"{key}\"\napi_server = \"{}\"\nca_cert = \"\"\nbearer_token = \"\"\n",
            setup.server.base_url()
        )
    };
    setup.write_config(&format!(
        "[profiles]\n\n{}\n{}",
        profile("default", ALICE),
        profile("bob", BOB)
    ));
    setup
}

#[test]
fn another_users_private_algorithm_is_refused() {
    let setup = two_users();
    let run = |args: &[&str], code: i32| {
        let out = setup.algo().args(args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert_no_secret(&out, ALICE);
        assert_no_secret(&out, BOB);
        out
    };
    run(&["create", "alice/Private"], 0);
    run(
        &[
            "secrets",
            "set",
            "alice/Private",
            "K",
            "--value",
            SECRET_VALUE,
        ],
        0,
    );
    for args in [
        vec!["builds", "alice/Private"],
        vec!["build", "alice/Private"],
        vec!["secrets", "list", "alice/Private"],
        vec!["secrets", "delete", "alice/Private", "K"],
        vec!["errors", "alice/Private"],
        vec!["publish", "alice/Private"],
        vec!["create", "alice/Intruder"],
    ] {
        let mut args = args.clone();
        args.extend(["--profile", "bob"]);
        let out = run(&args, 1);
        let said = text(&out.stderr);
        assert!(said.contains("alice/"), "{args:?}: {said}");
        assert_no_secret(&out, SECRET_VALUE);
    }
    let out = run(&["clone", "alice/Private", "theirs", "--profile", "bob"], 1);
    assert!(text(&out.stderr).contains("alice/Private"));
    assert!(!setup.local("theirs").join("src").exists());
    // Alice still has her secret.
    let listed = run(&["secrets", "list", "alice/Private", "--json"], 0);
    assert!(text(&listed.stdout).contains("\"K\""));
}
