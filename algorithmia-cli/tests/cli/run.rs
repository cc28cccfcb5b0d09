//! `algo run` (every input flag, stdin, each result type, `-o`, `--output`, `--debug`,
//! `--json`, failures), the completions and the man page, against algorithmia-local.

#[allow(unused_imports)]
use crate::common::*;

use algorithmia_local::{AlgoError, AlgorithmDef, Input, Output};

/// Bytes that are not UTF-8, so they can only travel as binary.
const BINARY: &[u8] = &[0x89, b'P', b'N', b'G', 0, 0xff, 0xfe, 1, 2, 3];

/// `algo run ARGS...` in `setup`: the output, after checking the key appears nowhere.
fn run(setup: &Setup, args: &[&str]) -> std::process::Output {
    run_with(setup, args, None)
}

fn run_with(setup: &Setup, args: &[&str], stdin: Option<&[u8]>) -> std::process::Output {
    let mut cmd = setup.algo();
    cmd.arg("run").args(args);
    if let Some(stdin) = stdin {
        cmd.write_stdin(stdin.to_vec());
    }
    let out = cmd.output().unwrap();
    assert_no_secret(&out, setup.key());
    out
}

fn ok(out: &std::process::Output) -> &[u8] {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        text(&out.stderr)
    );
    &out.stdout
}

fn json_of(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", text(bytes)))
}

#[test]
fn every_input_flag_sends_its_type() {
    let setup = Setup::new();
    // Echo answers with the content type it was sent, so the printed result shows the type.
    // -d: JSON when it parses, else text.
    let out = run(&setup, &["util/Echo", "-d", r#"{"a": [1, 2]}"#]);
    assert_eq!(json_of(ok(&out)), serde_json::json!({"a": [1, 2]}));
    let out = run(&setup, &["util/Echo", "-d", "plain words"]);
    assert_eq!(ok(&out), b"plain words\n");
    // -t: text even when it looks like JSON (printed as the same characters, not re-indented).
    let out = run(&setup, &["util/Echo", "-t", r#"{"a":1}"#]);
    assert_eq!(ok(&out), b"{\"a\":1}\n");
    // -j: JSON, pretty-printed back.
    let out = run(&setup, &["util/Echo", "-j", r#"{"a":1}"#]);
    assert_eq!(ok(&out), b"{\n  \"a\": 1\n}\n");
    // --json-input, the long form.
    let out = run(&setup, &["util/Echo", "--json-input", "[true]"]);
    assert_eq!(json_of(ok(&out)), serde_json::json!([true]));
    // -b: the argument's bytes as binary, raw to a piped stdout.
    let out = run(&setup, &["util/Echo", "-b", "bytes here"]);
    assert_eq!(ok(&out), b"bytes here");
    let out = run(&setup, &["util/Echo", "-b", "bytes here", "--json"]);
    let whole = json_of(ok(&out));
    assert_eq!(whole["metadata"]["content_type"], "binary");
    assert_eq!(whole["result"], "Ynl0ZXMgaGVyZQ==");

    // The file forms.
    std::fs::write(setup.local("in.json"), br#"{"from": "file"}"#).unwrap();
    std::fs::write(setup.local("in.txt"), "text from a file\n").unwrap();
    std::fs::write(setup.local("in.bin"), BINARY).unwrap();
    let out = run(&setup, &["util/Echo", "-D", "in.json"]);
    assert_eq!(json_of(ok(&out)), serde_json::json!({"from": "file"}));
    let out = run(&setup, &["util/Echo", "-D", "in.txt"]);
    assert_eq!(ok(&out), b"text from a file\n\n");
    let out = run(&setup, &["util/Echo", "-D", "in.bin"]);
    assert_eq!(ok(&out), BINARY);
    let out = run(&setup, &["util/Echo", "-T", "in.json", "--json"]);
    assert_eq!(json_of(ok(&out))["metadata"]["content_type"], "text");
    let out = run(&setup, &["util/Echo", "-J", "in.json", "--json"]);
    let whole = json_of(ok(&out));
    assert_eq!(whole["metadata"]["content_type"], "json");
    assert_eq!(whole["result"]["from"], "file");
    let out = run(&setup, &["util/Echo", "-B", "in.txt"]);
    assert_eq!(ok(&out), b"text from a file\n");
    let out = run(&setup, &["util/Echo", "-B", "in.txt", "--json"]);
    assert_eq!(json_of(ok(&out))["metadata"]["content_type"], "binary");
}

#[test]
fn a_dash_reads_stdin_for_every_flag() {
    let setup = Setup::new();
    let out = run_with(&setup, &["util/Echo", "-d", "-"], Some(b"[1,2,3]"));
    assert_eq!(json_of(ok(&out)), serde_json::json!([1, 2, 3]));
    let out = run_with(&setup, &["util/Echo", "-D", "-"], Some(BINARY));
    assert_eq!(ok(&out), BINARY);
    let out = run_with(&setup, &["util/Echo", "-t", "-"], Some(b"piped text"));
    assert_eq!(ok(&out), b"piped text\n");
    let out = run_with(&setup, &["util/Echo", "-T", "-", "--json"], Some(b"42"));
    assert_eq!(json_of(ok(&out))["result"], "42");
    let out = run_with(&setup, &["util/Echo", "-j", "-"], Some(b"{\"x\":null}"));
    assert_eq!(json_of(ok(&out)), serde_json::json!({"x": null}));
    let out = run_with(&setup, &["util/Echo", "-J", "-"], Some(b"\"s\""));
    assert_eq!(json_of(ok(&out)), serde_json::json!("s"));
    let out = run_with(&setup, &["util/Echo", "-b", "-"], Some(BINARY));
    assert_eq!(ok(&out), BINARY);
    let out = run_with(&setup, &["util/Echo", "-B", "-"], Some(b"abc"));
    assert_eq!(ok(&out), b"abc");
}

#[test]
fn output_files_hold_exactly_the_result() {
    let setup = Setup::new();
    std::fs::write(setup.local("in.bin"), BINARY).unwrap();
    let cases: [(&[&str], &str, &[u8]); 4] = [
        (&["-B", "in.bin"], "out.bin", BINARY),
        (&["-t", "no newline added"], "out.txt", b"no newline added"),
        (
            &["-j", r#"{"k":"v"}"#],
            "out.json",
            b"{\n  \"k\": \"v\"\n}\n",
        ),
        (
            &["-t", "raw text", "--output", "raw"],
            "raw.txt",
            b"raw text",
        ),
    ];
    for (input, name, expected) in cases {
        let mut args = vec!["util/Echo"];
        args.extend_from_slice(input);
        args.extend_from_slice(&["-o", name]);
        let out = run(&setup, &args);
        assert_eq!(ok(&out), b"", "{args:?}: nothing on stdout with -o");
        assert_eq!(
            std::fs::read(setup.local(name)).unwrap(),
            expected,
            "{args:?}"
        );
    }
    // An existing file is replaced whole, and no temporary file is left beside it.
    let out = run(&setup, &["util/Echo", "-t", "second", "-o", "out.txt"]);
    ok(&out);
    assert_eq!(std::fs::read(setup.local("out.txt")).unwrap(), b"second");
    let mut names: Vec<String> = std::fs::read_dir(setup.work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["in.bin", "out.bin", "out.json", "out.txt", "raw.txt"]
    );

    // A directory that does not exist: exit 1, named, nothing written.
    let out = run(&setup, &["util/Echo", "-t", "x", "-o", "no/such/dir/out"]);
    assert_failed(&out, 1, "no/such/dir/out");
}

#[test]
fn raw_and_void_output_modes() {
    let setup = Setup::new();
    // raw: the algorithm's output with no envelope, JSON as sent.
    let out = run(
        &setup,
        &["util/Echo", "-j", r#"{"a":1}"#, "--output", "raw"],
    );
    assert_eq!(ok(&out), br#"{"a":1}"#);
    let out = run(&setup, &["util/Echo", "-b", "-", "--output", "raw"]);
    ok(&out);
    // void: the request id of the started call.
    let out = run(&setup, &["util/Echo", "-t", "x", "--output", "void"]);
    let id = text(ok(&out)).trim().to_owned();
    assert!(!id.is_empty() && !id.contains(' '), "{id:?}");
    let out = run(
        &setup,
        &["util/Echo", "-t", "x", "--output", "void", "--json"],
    );
    let answer = json_of(ok(&out));
    assert_eq!(answer["async"], "void");
    assert!(answer["request_id"].as_str().is_some_and(|s| !s.is_empty()));
    // An unknown mode is a usage error.
    let out = run(&setup, &["util/Echo", "-t", "x", "--output", "loud"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn json_prints_the_whole_response() {
    let setup = Setup::new();
    let out = run(&setup, &["demo/Hello", "-t", "there", "--json"]);
    let whole = json_of(ok(&out));
    assert_eq!(whole["result"], "Hello there");
    assert_eq!(whole["metadata"]["content_type"], "text");
    assert!(whole["metadata"]["duration"].as_f64().is_some(), "{whole}");
}

#[test]
fn debug_prints_the_algorithms_stdout_on_stderr() {
    let setup = Setup::with_server(|builder| {
        builder.algorithm(AlgorithmDef::new("local/Printer").version("1.0.0").handler(
            |input: Input, ctx| async move {
                ctx.print("printed by the algorithm\n");
                match input.as_text() {
                    Some("fail") => Err(AlgoError::input("asked to fail")),
                    _ => Ok(Output::Text("the result".into())),
                }
            },
        ))
    });
    let out = run(&setup, &["local/Printer", "-t", "x", "--debug"]);
    assert_eq!(ok(&out), b"the result\n");
    assert!(
        text(&out.stderr).contains("printed by the algorithm"),
        "{}",
        text(&out.stderr)
    );
    // Without --debug, nothing of it.
    let out = run(&setup, &["local/Printer", "-t", "x"]);
    ok(&out);
    assert!(
        !text(&out.stderr).contains("printed by"),
        "{}",
        text(&out.stderr)
    );
    // An algorithm's failure still shows what it printed, then the error.
    let out = run(&setup, &["local/Printer", "-t", "fail", "--debug"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("printed by the algorithm") && stderr.contains("asked to fail"),
        "{stderr}"
    );
}

#[test]
fn failures_exit_with_their_codes_and_say_what_failed() {
    let setup = Setup::new();
    // The algorithm's error: exit 1, its type and message on stderr, nothing on stdout.
    let out = run(
        &setup,
        &[
            "util/Fail",
            "-j",
            r#"{"message": "boom here", "error_type": "InputError"}"#,
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("InputError") && stderr.contains("boom here"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());

    // The server-side timeout.
    let out = run(
        &setup,
        &["util/Delay", "-j", r#"{"ms": 5000}"#, "--timeout", "1"],
    );
    assert_failed(&out, 1, "TimeoutError");
    // A timeout the API refuses is a usage error, caught before sending.
    let out = run(&setup, &["util/Echo", "-t", "x", "--timeout", "0"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));

    // An unknown algorithm: exit 1, named.
    let out = run(&setup, &["nobody/NoSuchAlgo", "-t", "x"]);
    assert_failed(&out, 1, "nobody/NoSuchAlgo");

    // A missing input file: exit 2, named.
    for flag in ["-D", "-T", "-J", "-B"] {
        let out = run(&setup, &["util/Echo", flag, "missing-input.dat"]);
        assert_eq!(out.status.code(), Some(2), "{flag}: {}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("missing-input.dat"),
            "{flag}: {}",
            text(&out.stderr)
        );
    }
    // Input that is not what its flag says: exit 2, before sending.
    let out = run(&setup, &["util/Echo", "-j", "{not json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("-j input is not JSON"),
        "{}",
        text(&out.stderr)
    );
    std::fs::write(setup.local("in.bin"), BINARY).unwrap();
    let out = run(&setup, &["util/Echo", "-T", "in.bin"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not UTF-8"),
        "{}",
        text(&out.stderr)
    );
    // No input flag, or two: clap's usage errors.
    assert_eq!(run(&setup, &["util/Echo"]).status.code(), Some(2));
    assert_eq!(
        run(&setup, &["util/Echo", "-t", "a", "-j", "1"])
            .status
            .code(),
        Some(2)
    );
    // An input over the API's 10 MiB limit: a usage error, nothing sent.
    std::fs::write(setup.local("big.bin"), vec![7u8; 10 * 1024 * 1024 + 1]).unwrap();
    let out = run(&setup, &["util/Echo", "-B", "big.bin"]);
    assert_failed(&out, 2, "nothing was sent");
    // A malformed algorithm reference: a usage error, named.
    let out = run(&setup, &["not a/valid/ref/at/all", "-t", "x"]);
    assert_failed(&out, 2, "not a/valid/ref/at/all");
}

#[test]
fn completions_and_the_man_page() {
    let setup = Setup::new();
    for shell in ["bash", "zsh", "fish"] {
        let out = setup.algo().args(["completions", shell]).output().unwrap();
        let script = text(ok(&out));
        for word in ["auth", "run", "cp", "secrets", "profile", "json-input"] {
            assert!(script.contains(word), "{shell}: no {word}");
        }
        if shell == "bash" {
            // The script parses as bash.
            let path = setup.local("algo.bash");
            std::fs::write(&path, &script).unwrap();
            let check = std::process::Command::new("bash")
                .arg("-n")
                .arg(&path)
                .output()
                .unwrap();
            assert!(check.status.success(), "{}", text(&check.stderr));
        }
    }
    let out = setup.algo().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));

    // Help and version on stdout with exit 0; no command is a usage error.
    let out = setup.algo().arg("--help").output().unwrap();
    assert!(text(ok(&out)).contains("Usage: algo"));
    let out = setup.algo().args(["run", "--help"]).output().unwrap();
    assert!(text(ok(&out)).contains("--json-input"));
    let out = setup.algo().arg("--version").output().unwrap();
    assert_eq!(
        text(ok(&out)).trim(),
        format!("algo {}", env!("CARGO_PKG_VERSION"))
    );
    let out = setup.algo().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("Usage"), "{}", text(&out.stderr));

    let out = setup.algo().arg("man").output().unwrap();
    let page = text(ok(&out));
    assert!(
        page.contains(".TH algo"),
        "{}",
        &page[..page.len().min(200)]
    );
    assert!(page.contains("auth") && page.contains("run"), "{page}");
    // Neither needs a profile: they work with no config at all.
    std::fs::remove_file(setup.config_path()).unwrap();
    ok(&setup.algo().arg("man").output().unwrap());
}

#[test]
fn binary_results_are_refused_on_a_terminal_but_written_with_o() {
    let setup = Setup::new();
    let algo = assert_cmd::cargo::cargo_bin("algo");
    // `script` gives the command a terminal for stdout and stderr.
    let on_terminal = |args: &str| {
        std::process::Command::new("script")
            .args([
                "-qec",
                &format!("{} run {args}", algo.display()),
                "/dev/null",
            ])
            .env("HOME", setup.home.path())
            .env_remove("ALGORITHMIA_API_KEY")
            .env_remove("ALGORITHMIA_API")
            .env_remove("ALGORITHMIA_BEARER_TOKEN")
            .current_dir(setup.work.path())
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    let out = on_terminal("util/Echo -b SECRETBYTES");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let screen = text(&out.stdout);
    assert!(
        screen.contains("binary") && screen.contains("-o FILE"),
        "{screen}"
    );
    assert!(!screen.contains("SECRETBYTES"), "{screen}");
    // Text still prints on a terminal, and -o takes the bytes.
    let out = on_terminal("util/Echo -t shown");
    assert!(text(&out.stdout).contains("shown"), "{}", text(&out.stdout));
    let out = on_terminal("util/Echo -b kept -o kept.bin");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert_eq!(std::fs::read(setup.local("kept.bin")).unwrap(), b"kept");
}

#[test]
fn the_request_carries_the_profiles_key_and_the_algo_user_agent() {
    use std::io::{BufRead, BufReader, Write};
    // The one wire-level check: what `algo` sends, seen by a listener that answers 401.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let seen = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut head = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                break;
            }
            head.push(line.trim_end().to_ascii_lowercase());
        }
        let body = r#"{"error":{"message":"no"}}"#;
        write!(
            &stream,
            "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        head
    });
    let setup = Setup::new();
    setup.write_config(&format!(
        "[profiles.wire]\napi_key = \"simWIREKEY\"\napi_server = \"{address}\"\nca_cert = \"\"\nbearer_token = \"\"\n"
    ));
    let out = setup
        .algo()
        .args(["--profile", "wire", "run", "demo/Hello", "-t", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_no_secret(&out, "simWIREKEY");
    let head = seen.join().unwrap();
    assert!(
        head.iter()
            .any(|h| h.starts_with("post /v1/algo/demo/hello")),
        "{head:?}"
    );
    assert!(
        head.contains(&"authorization: simple simwirekey".to_owned()),
        "{head:?}"
    );
    assert!(
        head.contains(&format!("user-agent: algo/{}", env!("CARGO_PKG_VERSION"))),
        "{head:?}"
    );
}
