//! `algo auth`, profiles, the environment and the config file shared with the official CLI,
//! against algorithmia-local.

#[allow(unused_imports)]
use crate::common::*;

use algorithmia_client::profile::ConfigFile;

/// `algo run util/Echo -t TEXT` with `cmd`'s settings: the printed result.
fn echo_via(mut cmd: Command, text: &str) -> std::process::Output {
    cmd.args(["run", "util/Echo", "-t", text]).output().unwrap()
}

/// A loopback address where nothing listens (a port that was free a moment ago).
fn dead_server() -> String {
    format!("http://127.0.0.1:{}", testkit::free_port())
}

/// `algo auth --profile NAME` with the server's key and address as flags.
fn auth_with_flags(setup: &Setup, profile: &str) -> std::process::Output {
    setup
        .algo()
        .args(["auth", "--profile", profile, "--api-key", setup.key()])
        .args(["--api-server", setup.server.base_url()])
        .output()
        .unwrap()
}

/// A server that accepts one key only (the embedded default accepts any), so a wrong key fails.
fn strict_setup() -> Setup {
    let key = format!(
        "simStrict{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    Setup::with_server(|builder| builder.api_key(key, "alice"))
}

fn profile_text(name: &str, key: &str, server: &str) -> String {
    format!(
        "[profiles.{name}]\napi_key = \"{key}\"\napi_server = \"{server}\"\nca_cert = \"\"\nbearer_token = \"\"\n\n"
    )
}

#[test]
fn auth_with_flags_saves_the_official_format_then_calls_work() {
    let setup = Setup::new();
    std::fs::remove_dir_all(setup.home.path().join(".algorithmia")).unwrap();
    let out = setup
        .algo()
        .args(["auth", "--api-key", setup.key(), "--api-server"])
        .arg(setup.server.base_url())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("Checked: listed data://"),
        "{}",
        text(&out.stderr)
    );
    assert_no_secret(&out, setup.key());

    let written = std::fs::read_to_string(setup.config_path()).unwrap();
    let server = setup.server.base_url().trim_end_matches('/');
    assert_eq!(
        written,
        format!(
            "[profiles.default]\napi_key = \"{}\"\napi_server = \"{server}\"\nca_cert = \"\"\nbearer_token = \"\"\n",
            setup.key()
        )
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&setup.config_path()), 0o600);
        assert_eq!(mode(setup.config_path().parent().unwrap()), 0o700);
    }

    let out = echo_via(setup.algo(), "after auth");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "after auth\n");

    // `--api-key -` reads the key from stdin, out of the command line.
    let out = setup
        .algo()
        .args([
            "auth",
            "--profile",
            "piped",
            "--api-key",
            "-",
            "--api-server",
        ])
        .arg(setup.server.base_url())
        .write_stdin(format!("{}\n", setup.key()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_no_secret(&out, setup.key());
    let piped = ConfigFile::load(setup.config_path())
        .unwrap()
        .profile("piped")
        .unwrap();
    assert_eq!(piped.api_key.unwrap().expose(), setup.key());
}

#[test]
fn interactive_auth_reads_the_answers_from_stdin() {
    let setup = Setup::new();
    let stdin = format!("{}\n{}\n\n", setup.server.base_url(), setup.key());
    let out = setup
        .algo()
        .args(["auth", "--profile", "typed"])
        .write_stdin(stdin)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    for prompt in [
        "Configuring authentication for profile: typed",
        "enter API address [https://api.algorithmia.com]: ",
        "enter API key: ",
        "(optional) enter path to custom CA certificate: ",
    ] {
        assert!(stderr.contains(prompt), "{prompt:?} not in {stderr}");
    }
    // A `sim...` key: no token is asked for.
    assert!(!stderr.contains("JWT"), "{stderr}");
    assert_no_secret(&out, setup.key());
    // The default profile is kept beside the new one.
    let config = ConfigFile::load(setup.config_path()).unwrap();
    assert_eq!(config.profile_names(), ["default", "typed"]);
    let out = echo_via(
        {
            let mut cmd = setup.algo();
            cmd.args(["--profile", "typed"]);
            cmd
        },
        "typed in",
    );
    assert_eq!(text(&out.stdout), "typed in\n", "{}", text(&out.stderr));

    // A key that is not a `sim...` key: the token is asked for too, and saved.
    let stdin = format!(
        "{}\nnot-a-sim-key\n\nhead.body.sig\n",
        setup.server.base_url()
    );
    let out = setup
        .algo()
        .args(["auth", "--profile", "jwt", "--no-verify"])
        .write_stdin(stdin)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("enter JWT token"),
        "{}",
        text(&out.stderr)
    );
    let jwt = ConfigFile::load(setup.config_path())
        .unwrap()
        .profile("jwt")
        .unwrap();
    assert_eq!(jwt.bearer_token.unwrap().expose(), "head.body.sig");
    assert_no_secret(&out, "head.body.sig");
}

#[test]
fn auth_refuses_bad_answers_and_reports_a_failed_check() {
    let setup = strict_setup();
    let before = std::fs::read_to_string(setup.config_path()).unwrap();
    for (args, expected) in [
        (
            vec!["--api-key", "simX", "--api-server", "ftp://host"],
            "invalid API address",
        ),
        (
            vec!["--api-key", "simX", "--api-server", "not a url"],
            "invalid API address",
        ),
        (
            vec!["--api-server", "http://127.0.0.1:9"],
            "no API key or bearer token",
        ),
        (
            vec!["--api-key", "simX", "--ca-cert", "/no/such/ca.pem"],
            "/no/such/ca.pem",
        ),
    ] {
        let out = setup.algo().arg("auth").args(&args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains(expected),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert_no_secret(&out, "simX");
    }
    assert_eq!(
        std::fs::read_to_string(setup.config_path()).unwrap(),
        before
    );

    // A wrong key is saved (as the official CLI does) but the check fails: exit 1, no key shown.
    let out = setup
        .algo()
        .args([
            "auth",
            "--profile",
            "wrong",
            "--api-key",
            "simWRONGKEY1234",
            "--api-server",
        ])
        .arg(setup.server.base_url())
        .output()
        .unwrap();
    assert_failed(&out, 1, "could not list data://");
    assert_no_secret(&out, "simWRONGKEY1234");
    assert!(
        ConfigFile::load(setup.config_path())
            .unwrap()
            .get("wrong")
            .unwrap()
            .is_some()
    );

    // http(s) on any host and port is accepted, unlike the official CLI; --no-verify skips the
    // check, so an address where nothing listens is saved.
    let out = setup
        .algo()
        .args([
            "auth",
            "--profile",
            "later",
            "--no-verify",
            "--api-key",
            "simLATER",
            "--api-server",
        ])
        .arg(dead_server())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn the_profile_flag_selects_the_profile_for_every_command() {
    let setup = Setup::new();
    // `default` points where nothing listens; only `other` works.
    setup.write_config(&format!(
        "{}{}",
        profile_text("default", setup.key(), &dead_server()),
        profile_text("other", setup.key(), setup.server.base_url())
    ));
    let out = echo_via(setup.algo(), "x");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));

    for position in ["before", "after"] {
        let mut cmd = setup.algo();
        if position == "before" {
            cmd.args(["--profile", "other", "run", "util/Echo", "-t", "hi"]);
        } else {
            cmd.args(["run", "util/Echo", "-t", "hi", "--profile", "other"]);
        }
        let out = cmd.output().unwrap();
        assert_eq!(
            text(&out.stdout),
            "hi\n",
            "{position}: {}",
            text(&out.stderr)
        );
    }

    // auth --profile writes that profile only, and checks it.
    let out = auth_with_flags(&setup, "third");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let config = ConfigFile::load(setup.config_path()).unwrap();
    assert_eq!(config.profile_names(), ["default", "other", "third"]);
    assert_default_kept(&config);

    // --config names another file.
    let elsewhere = setup.local("elsewhere.toml");
    std::fs::write(
        &elsewhere,
        profile_text("default", setup.key(), setup.server.base_url()),
    )
    .unwrap();
    let out = setup
        .algo()
        .arg("--config")
        .arg(&elsewhere)
        .args(["run", "util/Echo", "-t", "via --config"])
        .output()
        .unwrap();
    assert_eq!(text(&out.stdout), "via --config\n", "{}", text(&out.stderr));
}

/// The default profile still points at the dead loopback address it was given.
fn assert_default_kept(config: &ConfigFile) {
    let server = config.profile("default").unwrap().api_server.unwrap();
    assert!(server.starts_with("http://127.0.0.1:"), "{server}");
}

#[test]
fn the_environment_fills_empty_profile_values_only() {
    let setup = strict_setup();
    setup.write_config(&format!(
        "{}{}",
        profile_text("default", "", ""),
        profile_text("wrongkey", "simPROFILEWRONG", setup.server.base_url())
    ));
    // Empty key and server: ALGORITHMIA_API_KEY and ALGORITHMIA_API fill them.
    let mut cmd = setup.algo();
    cmd.env("ALGORITHMIA_API_KEY", setup.key())
        .env("ALGORITHMIA_API", setup.server.base_url());
    let out = echo_via(cmd, "from env");
    assert_eq!(text(&out.stdout), "from env\n", "{}", text(&out.stderr));
    assert_no_secret(&out, setup.key());

    // A profile's key wins over ALGORITHMIA_API_KEY, as in the official CLI: the call fails.
    let mut cmd = setup.algo();
    cmd.args(["--profile", "wrongkey"])
        .env("ALGORITHMIA_API_KEY", setup.key());
    let out = echo_via(cmd, "x");
    assert_failed(&out, 1, "401");
    assert_no_secret(&out, "simPROFILEWRONG");
    assert_no_secret(&out, setup.key());

    // A profile's server wins over ALGORITHMIA_API.
    setup.write_config(&profile_text("default", setup.key(), &dead_server()));
    let mut cmd = setup.algo();
    cmd.env("ALGORITHMIA_API", setup.server.base_url());
    let out = echo_via(cmd, "x");
    assert_failed(&out, 1, "127.0.0.1");

    // A bearer token from the environment is used when there is no key at all; the local
    // server knows no tokens, so it answers 401, which shows the token was sent.
    setup.write_config(&profile_text("default", "", setup.server.base_url()));
    let mut cmd = setup.algo();
    cmd.env("ALGORITHMIA_BEARER_TOKEN", "env.token.sig");
    let out = echo_via(cmd, "x");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_no_secret(&out, "env.token.sig");
}

#[test]
fn config_errors_exit_2_and_say_what_is_wrong() {
    let setup = Setup::new();
    let out = setup
        .algo()
        .args(["--profile", "nosuch", "run", "util/Echo", "-t", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("\"nosuch\"") && stderr.contains(".algorithmia/config"),
        "{stderr}"
    );

    setup.write_config(&format!(
        "[profiles.default]\napi_key = \"{}\napi_server = \"x\"\n",
        setup.key()
    ));
    for args in [
        vec!["run", "util/Echo", "-t", "x"],
        vec!["auth", "--api-key", "simX", "--no-verify"],
    ] {
        let out = setup.algo().args(&args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(&setup.config_path().display().to_string())
                && stderr.contains("line 2"),
            "{stderr}"
        );
        // The malformed line holds the key; the message does not quote it.
        assert_no_secret(&out, setup.key());
    }

    // No config file and no environment: nothing to authenticate with.
    std::fs::remove_file(setup.config_path()).unwrap();
    let out = setup
        .algo()
        .args(["run", "util/Echo", "-t", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("no API key") && stderr.contains("algo auth"),
        "{stderr}"
    );
}

#[test]
fn a_config_written_by_the_official_cli_is_read_by_ours() {
    let setup = Setup::new();
    // The official `auth` through its API, for an http://127.0.0.1 address its prompt refuses.
    let script = format!(
        "from Algorithmia.CLI import CLI\nCLI().auth(apiaddress={:?}, apikey={:?}, profile='py')\n",
        setup.server.base_url().trim_end_matches('/'),
        setup.key()
    );
    let out = setup
        .official_python()
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = echo_via(
        {
            let mut cmd = setup.algo();
            cmd.args(["--profile", "py"]);
            cmd
        },
        "written by python",
    );
    assert_eq!(
        text(&out.stdout),
        "written by python\n",
        "{}",
        text(&out.stderr)
    );

    // The official interactive prompts, with an https://api. address it accepts. It then lists
    // data:// there; a proxy on a closed loopback port makes that fail at once, after the file
    // is written, without leaving this machine.
    let address = "https://api.cli-compat.invalid";
    let proxy = dead_server();
    let out = setup
        .official_algo()
        .args(["auth", "--profile", "prompted"])
        .env("HTTPS_PROXY", &proxy)
        .env("https_proxy", &proxy)
        .env_remove("NO_PROXY")
        .write_stdin(format!("{address}\n{}\n\nhead.body.sig\n", setup.key()))
        .output()
        .unwrap();
    let config = ConfigFile::load(setup.config_path()).unwrap();
    let prompted = config
        .get("prompted")
        .unwrap()
        .unwrap_or_else(|| panic!("the official CLI saved nothing: {}", text(&out.stdout)));
    assert_eq!(prompted.api_server.as_deref(), Some(address));
    assert_eq!(prompted.api_key.unwrap().expose(), setup.key());
    assert_eq!(prompted.bearer_token.unwrap().expose(), "head.body.sig");
    assert_eq!(prompted.ca_cert, None);
    // Ours uses that profile's address (through the same dead proxy): the call fails naming it.
    let out = setup
        .algo()
        .args(["--profile", "prompted", "run", "util/Echo", "-t", "x"])
        .env("HTTPS_PROXY", &proxy)
        .env("https_proxy", &proxy)
        .output()
        .unwrap();
    assert_failed(&out, 1, "api.cli-compat.invalid");
    assert_no_secret(&out, setup.key());
    // And the default profile the official CLI rewrote still works for ours.
    let out = echo_via(setup.algo(), "still default");
    assert_eq!(
        text(&out.stdout),
        "still default\n",
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_config_written_by_ours_is_read_by_the_official_cli() {
    let setup = Setup::new();
    std::fs::remove_dir_all(setup.home.path().join(".algorithmia")).unwrap();
    let out = auth_with_flags(&setup, "rs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Something to list.
    let out = setup
        .official_python()
        .args([
            "-c",
            "from Algorithmia.CLI import CLI\nc = CLI().getClient('rs')\nc.dir('data://.my/compat').create()\nc.file('data://.my/compat/listed.txt').put('x')\n",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = setup
        .official_algo()
        .args(["ls", "data://.my/compat/", "--profile", "rs"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("listed.txt"),
        "{}",
        text(&out.stdout)
    );

    let out = setup
        .official_algo()
        .args([
            "run",
            "util/Echo",
            "-d",
            "hello from rust config",
            "--profile",
            "rs",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "hello from rust config\n");
}

#[test]
fn ca_certificates_come_from_the_profile_else_requests_ca_bundle() {
    let setup = Setup::new();
    // A real PEM bundle: the one the official client's requests ships (certifi).
    let out = setup
        .official_python()
        .args(["-c", "import certifi; print(certifi.where())"])
        .output()
        .unwrap();
    let bundle = text(ok_stdout(&out)).trim().to_owned();
    let with_ca = |ca: &str| {
        format!(
            "[profiles.default]\napi_key = \"{}\"\napi_server = \"{}\"\nca_cert = \"{ca}\"\nbearer_token = \"\"\n",
            setup.key(),
            setup.server.base_url()
        )
    };

    // The profile's certificate is trusted (the call works); REQUESTS_CA_BUNDLE is not read.
    setup.write_config(&with_ca(&bundle));
    let mut cmd = setup.algo();
    cmd.env("REQUESTS_CA_BUNDLE", "/no/such/bundle.pem");
    let out = echo_via(cmd, "with a CA");
    assert_eq!(text(&out.stdout), "with a CA\n", "{}", text(&out.stderr));

    // An empty ca_cert: REQUESTS_CA_BUNDLE is used, so a missing one is named (exit 2).
    setup.write_config(&with_ca(""));
    let mut cmd = setup.algo();
    cmd.env("REQUESTS_CA_BUNDLE", "/no/such/bundle.pem");
    let out = echo_via(cmd, "x");
    assert_failed(&out, 2, "/no/such/bundle.pem");

    // auth --ca-cert saves the certificate's absolute path, and the check uses it.
    std::fs::copy(&bundle, setup.local("ca.pem")).unwrap();
    let out = setup
        .algo()
        .args([
            "auth",
            "--profile",
            "ca",
            "--ca-cert",
            "ca.pem",
            "--api-key",
            setup.key(),
        ])
        .args(["--api-server", setup.server.base_url()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let saved = ConfigFile::load(setup.config_path())
        .unwrap()
        .profile("ca")
        .unwrap()
        .ca_cert
        .unwrap();
    assert_eq!(saved, std::fs::canonicalize(setup.local("ca.pem")).unwrap());

    // The profile's own missing or non-PEM certificate: exit 2, named.
    for ca in [
        "/no/such/ca.pem".to_owned(),
        setup.config_path().display().to_string(),
    ] {
        setup.write_config(&with_ca(&ca));
        let out = echo_via(setup.algo(), "x");
        assert_eq!(out.status.code(), Some(2), "{ca}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains(&ca), "{}", text(&out.stderr));
        assert_no_secret(&out, setup.key());
    }
}

fn ok_stdout(out: &std::process::Output) -> &[u8] {
    assert!(out.status.success(), "{}", text(&out.stderr));
    &out.stdout
}

#[test]
fn a_key_typed_at_a_terminal_is_not_shown() {
    use std::io::{Read, Write};
    use std::sync::{Arc, Mutex};
    let setup = Setup::new();
    let algo = assert_cmd::cargo::cargo_bin("algo");
    // `script` runs auth on a terminal; each answer is typed once its prompt is on the screen,
    // as a person would, so the echo setting in force is the one the prompt chose.
    let mut child = std::process::Command::new("script")
        .args([
            "-qec",
            &format!("{} auth --profile tty", algo.display()),
            "/dev/null",
        ])
        .env("HOME", setup.home.path())
        .current_dir(setup.work.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let screen = Arc::new(Mutex::new(String::new()));
    let mut stdout = child.stdout.take().unwrap();
    let reader = {
        let screen = Arc::clone(&screen);
        std::thread::spawn(move || {
            let mut buffer = [0u8; 1024];
            while let Ok(n) = stdout.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                screen
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        })
    };
    let mut stdin = child.stdin.take().unwrap();
    let wait_for = |what: &str| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !screen.lock().unwrap().contains(what) {
            assert!(
                std::time::Instant::now() < deadline,
                "no {what:?} on the screen: {:?}",
                screen.lock().unwrap()
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    };
    wait_for("enter API address");
    writeln!(stdin, "{}", setup.server.base_url()).unwrap();
    wait_for("enter API key: ");
    writeln!(stdin, "{}", setup.key()).unwrap();
    wait_for("CA certificate: ");
    writeln!(stdin).unwrap();
    wait_for("Checked: listed data://");
    let status = child.wait().unwrap();
    drop(stdin);
    reader.join().unwrap();
    let screen = screen.lock().unwrap().clone();
    assert!(status.success(), "{screen}");
    // The address was echoed as typed; the key was not.
    assert!(screen.contains(setup.server.base_url()), "{screen}");
    assert!(!screen.contains(setup.key()), "{screen}");
    let saved = ConfigFile::load(setup.config_path())
        .unwrap()
        .profile("tty")
        .unwrap();
    assert_eq!(saved.api_key.unwrap().expose(), setup.key());
}
