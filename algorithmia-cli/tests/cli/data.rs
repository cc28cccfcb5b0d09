//! `algo` data commands against algorithmia-local: `ls`, `mkdir`, `rmdir`, `rm`, `cat`, `cp`.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use crate::common::*;

/// Run `algo ARGS` and return its output, whatever its exit code.
fn algo(setup: &Setup, args: &[&str]) -> std::process::Output {
    let output = setup.algo().args(args).output().expect("algo runs");
    assert_no_secret(&output, setup.key());
    output
}

/// Run `algo ARGS`, which must succeed; its stdout.
fn ok(setup: &Setup, args: &[&str]) -> String {
    let output = algo(setup, args);
    assert!(
        output.status.success(),
        "algo {args:?} failed: {}",
        text(&output.stderr)
    );
    text(&output.stdout)
}

/// Run `algo ARGS`, which must fail with `code`; its stderr.
fn fails(setup: &Setup, args: &[&str], code: i32) -> String {
    let output = algo(setup, args);
    assert_eq!(
        output.status.code(),
        Some(code),
        "algo {args:?}: stdout {:?} stderr {:?}",
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stderr)
}

/// Write `contents` at `path`, creating its directory.
fn write(path: &Path, contents: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

/// Bytes no text decoder would keep as they are: every value, NULs and invalid UTF-8 included.
fn binary(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 256) as u8).collect()
}

fn setup_with_dir(dir: &str) -> Setup {
    let setup = Setup::new();
    ok(&setup, &["mkdir", dir]);
    setup
}

#[test]
fn ls_lists_directories_first_then_files_long_and_as_json() {
    let setup = setup_with_dir("data://.my/ls");
    ok(&setup, &["mkdir", "data://.my/ls/sub"]);
    write(&setup.local("b.txt"), b"bee");
    write(&setup.local("a.bin"), &binary(1234));
    ok(&setup, &["cp", "b.txt", "a.bin", "data://.my/ls/"]);

    let plain = ok(&setup, &["ls", "data://.my/ls"]);
    assert_eq!(plain, ".my/ls/sub/\n.my/ls/a.bin\n.my/ls/b.txt\n");

    let long = ok(&setup, &["ls", "-l", "data://.my/ls"]);
    let lines: Vec<&str> = long.lines().collect();
    assert_eq!(lines.len(), 3, "{long}");
    assert_eq!(lines[0], ".my/ls/sub/");
    for (line, size, path) in [
        (lines[1], "1234", ".my/ls/a.bin"),
        (lines[2], "3", ".my/ls/b.txt"),
    ] {
        let parts: Vec<&str> = line.split("   ").collect();
        assert_eq!(parts.len(), 3, "{line}");
        let time = parts[0];
        assert_eq!(time.len(), 19, "YYYY-MM-DD HH:MM:SS, got {time}");
        assert!(
            time.as_bytes()[4] == b'-'
                && time.as_bytes()[10] == b' '
                && time.as_bytes()[13] == b':'
        );
        assert!(time.starts_with("20"), "{time}");
        assert_eq!((parts[1], parts[2]), (size, path));
    }

    let json: serde_json::Value =
        serde_json::from_str(&ok(&setup, &["--json", "ls", "data://.my/ls"])).unwrap();
    let entries = json.as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0]["name"], "sub");
    assert_eq!(entries[0]["kind"], "directory");
    assert_eq!(entries[1]["name"], "a.bin");
    assert_eq!(entries[1]["kind"], "file");
    assert_eq!(entries[1]["size"], 1234);
    assert_eq!(entries[1]["uri"], "data://.my/ls/a.bin");
    assert!(entries[1]["modified"].as_str().unwrap().ends_with('Z'));

    // A file's own path lists that file.
    assert_eq!(ok(&setup, &["ls", "data://.my/ls/b.txt"]), ".my/ls/b.txt\n");
    let json: serde_json::Value =
        serde_json::from_str(&ok(&setup, &["ls", "--json", "data://.my/ls/b.txt"])).unwrap();
    assert_eq!(json[0]["size"], 3);

    // The default is data://; a bare path is taken as data://.
    let root = ok(&setup, &["ls"]);
    assert!(
        !root.is_empty() && root.lines().all(|l| l.ends_with('/')),
        "{root}"
    );
    let mine = ok(&setup, &["ls", ".my"]);
    assert!(mine.lines().any(|l| l == ".my/ls/"), "{mine}");

    let stderr = fails(&setup, &["ls", "data://.my/nothing-here"], 1);
    assert!(
        stderr.contains("could not list data://.my/nothing-here"),
        "{stderr}"
    );
    let stderr = fails(&setup, &["ls", "ftp://x/y"], 2);
    assert!(stderr.contains("ftp://x/y"), "{stderr}");
}

#[test]
fn mkdir_creates_once_and_says_when_it_exists() {
    let setup = setup_with_dir("data://.my/m");
    assert!(ok(&setup, &["ls", "data://.my/m"]).is_empty());
    let stderr = fails(&setup, &["mkdir", "data://.my/m"], 1);
    assert!(
        stderr.contains("data://.my/m") && stderr.contains("exists already"),
        "{stderr}"
    );
    let stderr = fails(&setup, &["mkdir", "data://.my/no/such/parent"], 1);
    assert!(
        stderr.contains("could not create data://.my/no/such/parent"),
        "{stderr}"
    );
}

#[test]
fn rmdir_refuses_a_non_empty_directory_without_force_and_loses_nothing() {
    let setup = setup_with_dir("data://.my/full");
    write(&setup.local("keep.txt"), b"precious");
    ok(&setup, &["cp", "keep.txt", "data://.my/full/keep.txt"]);

    let stderr = fails(&setup, &["rmdir", "data://.my/full"], 1);
    assert!(
        stderr.contains("data://.my/full") && stderr.contains("not empty"),
        "{stderr}"
    );
    assert!(stderr.contains("-f"), "the message says how: {stderr}");
    assert_eq!(ok(&setup, &["cat", "data://.my/full/keep.txt"]), "precious");

    // A file is not a directory; a missing directory is said to be missing.
    let stderr = fails(&setup, &["rmdir", "data://.my/full/keep.txt"], 1);
    assert!(stderr.contains("is a file"), "{stderr}");
    let stderr = fails(&setup, &["rmdir", "data://.my/gone"], 1);
    assert!(stderr.contains("no such directory"), "{stderr}");

    ok(&setup, &["rmdir", "-f", "data://.my/full"]);
    fails(&setup, &["ls", "data://.my/full"], 1);

    ok(&setup, &["mkdir", "data://.my/empty"]);
    ok(&setup, &["rmdir", "data://.my/empty"]);
    fails(&setup, &["ls", "data://.my/empty"], 1);
}

#[test]
fn rm_removes_files_and_lists_each_one_it_could_not() {
    let setup = setup_with_dir("data://.my/rm");
    for name in ["a", "b", "c"] {
        write(&setup.local(name), name.as_bytes());
    }
    ok(&setup, &["cp", "a", "b", "c", "data://.my/rm"]);
    ok(&setup, &["mkdir", "data://.my/rm/dir"]);

    let stderr = fails(
        &setup,
        &[
            "rm",
            "data://.my/rm/a",
            "data://.my/rm/missing",
            "data://.my/rm/dir",
            "data://.my/rm/b",
        ],
        1,
    );
    assert!(stderr.contains("could not remove 2 of 4"), "{stderr}");
    assert!(stderr.contains("data://.my/rm/missing"), "{stderr}");
    assert!(
        stderr.contains("data://.my/rm/dir") && stderr.contains("directory"),
        "{stderr}"
    );
    // What could go, went; the directory rm refused is still there.
    assert_eq!(
        ok(&setup, &["ls", "data://.my/rm"]),
        ".my/rm/dir/\n.my/rm/c\n"
    );

    ok(&setup, &["rm", "data://.my/rm/*"]);
    assert_eq!(ok(&setup, &["ls", "data://.my/rm"]), ".my/rm/dir/\n");
}

#[test]
fn cat_prints_files_in_order_binary_as_is_and_reports_a_missing_one() {
    let setup = setup_with_dir("data://.my/cat");
    let bytes = binary(70_000);
    write(&setup.local("one.bin"), &bytes);
    write(&setup.local("two.txt"), b"two\n");
    ok(&setup, &["cp", "one.bin", "two.txt", "data://.my/cat/"]);

    let output = algo(
        &setup,
        &["cat", "data://.my/cat/one.bin", "data://.my/cat/two.txt"],
    );
    assert!(output.status.success());
    let mut expected = bytes.clone();
    expected.extend_from_slice(b"two\n");
    assert!(output.stdout == expected, "cat changed the bytes");

    // The pattern form, in name order.
    let output = algo(&setup, &["cat", "data://.my/cat/*"]);
    assert!(output.stdout == expected);

    let output = algo(
        &setup,
        &["cat", "data://.my/cat/missing", "data://.my/cat/two.txt"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(output.stdout, b"two\n", "the rest is still printed");
    assert!(text(&output.stderr).contains("data://.my/cat/missing"));
}

/// Peak resident memory of a running process, in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[test]
fn cat_streams_a_large_file_without_holding_it() {
    const SIZE: usize = 64 << 20;
    let setup = setup_with_dir("data://.my/big");
    let block = binary(1 << 20);
    {
        use std::io::Write;
        let mut file = std::fs::File::create(setup.local("big.bin")).unwrap();
        for _ in 0..(SIZE >> 20) {
            file.write_all(&block).unwrap();
        }
    }
    ok(&setup, &["cp", "big.bin", "data://.my/big/big.bin"]);
    std::fs::remove_file(setup.local("big.bin")).unwrap();

    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("algo"))
        .args(["cat", "data://.my/big/big.bin"])
        .env("HOME", setup.home.path())
        .env_remove("ALGORITHMIA_API_KEY")
        .env_remove("ALGORITHMIA_API")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut stdout = child.stdout.take().unwrap();
    let mut buffer = vec![0u8; 1 << 20];
    let (mut count, mut peak, mut same) = (0usize, 0u64, true);
    let mut offset_in_block = 0usize;
    loop {
        let n = stdout.read(&mut buffer).unwrap();
        if n == 0 {
            break;
        }
        // Compare against the repeating block as the bytes go by (nothing is kept).
        for &byte in &buffer[..n] {
            same &= byte == block[offset_in_block];
            offset_in_block = (offset_in_block + 1) % block.len();
        }
        count += n;
        if count < SIZE {
            peak = peak.max(peak_rss_kib(pid).unwrap_or(0));
        }
    }
    assert!(child.wait().unwrap().success());
    assert_eq!(count, SIZE);
    assert!(same, "the bytes differ from the upload");
    // The process's peak while printing 64 MiB stays well below the file's size.
    assert!(peak > 0, "VmHWM was read");
    assert!(
        peak < 40 * 1024,
        "algo cat peaked at {peak} KiB for a 64 MiB file"
    );
}

/// `count` small files under `root`, spread over nested directories, each with its own bytes.
fn write_many(root: &Path, count: usize) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for i in 0..count {
        let relative = format!("d{}/e{}/f{i:04}.bin", i % 10, i % 3);
        let contents: Vec<u8> = format!("file {i}\n")
            .bytes()
            .chain(binary(i % 300))
            .collect();
        write(&root.join(&relative), &contents);
        files.insert(relative, contents);
    }
    files
}

#[test]
fn a_tree_of_1000_files_goes_up_and_down_byte_for_byte() {
    let setup = Setup::new();
    let up = setup.local("up");
    let mut expected = write_many(&up, 1000);
    expected.extend(testkit::write_tree(&up));

    let output = algo(&setup, &["cp", "-r", "-c", "8", "up", "data://.my/tree"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    // Piped (not a terminal): no progress bar, nothing said.
    assert!(output.stderr.is_empty() && output.stdout.is_empty());
    ok(&setup, &["cp", "-r", "data://.my/tree", "down"]);
    let got = testkit::read_tree(&setup.local("down"));
    assert_eq!(got.len(), expected.len());
    assert!(got == expected, "the tree came back different");

    // Into an existing directory, a tree lands under its own name.
    std::fs::create_dir(setup.local("into")).unwrap();
    ok(&setup, &["cp", "-r", "data://.my/tree/a", "into"]);
    assert_eq!(
        std::fs::read(setup.local("into/a/two words.txt")).unwrap(),
        expected["a/two words.txt"]
    );

    // Remote to remote, tree and all.
    ok(
        &setup,
        &["cp", "-r", "data://.my/tree/b", "data://.my/copy"],
    );
    ok(&setup, &["cp", "-r", "data://.my/copy", "copied"]);
    let got = testkit::read_tree(&setup.local("copied"));
    assert_eq!(got.len(), 2);
    assert_eq!(got["ünï.txt"], expected["b/ünï.txt"]);
}

#[test]
fn files_copy_every_way_and_arrive_whole() {
    let setup = setup_with_dir("data://.my/cp");
    let bytes = binary(3 << 20);
    write(&setup.local("photo.bin"), &bytes);

    // Local to remote, remote to remote, remote to local: the bytes survive.
    ok(&setup, &["cp", "photo.bin", "data://.my/cp/photo.bin"]);
    ok(
        &setup,
        &["cp", "data://.my/cp/photo.bin", "data://.my/cp/again.bin"],
    );
    ok(&setup, &["cp", "data://.my/cp/again.bin", "back.bin"]);
    assert!(std::fs::read(setup.local("back.bin")).unwrap() == bytes);

    // Into an existing local directory under its own name, replacing a file.
    std::fs::create_dir(setup.local("dir")).unwrap();
    write(&setup.local("dir/again.bin"), b"old");
    ok(&setup, &["cp", "data://.my/cp/again.bin", "dir"]);
    assert!(std::fs::read(setup.local("dir/again.bin")).unwrap() == bytes);
    // Nothing but the file: no temporary left behind.
    assert_eq!(std::fs::read_dir(setup.local("dir")).unwrap().count(), 1);

    // Several sources into a directory, then down with the official pattern form.
    write(&setup.local("x.txt"), b"x");
    write(&setup.local("y.txt"), b"y");
    ok(&setup, &["cp", "x.txt", "y.txt", "data://.my/cp/many"]);
    let json: serde_json::Value = serde_json::from_str(&ok(
        &setup,
        &["--json", "cp", "data://.my/cp/many/*", "many"],
    ))
    .unwrap();
    assert_eq!(
        (json["files"].as_u64(), json["bytes"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(json["failed"].as_array().map(Vec::len), Some(0));
    assert_eq!(std::fs::read(setup.local("many/x.txt")).unwrap(), b"x");
    assert_eq!(std::fs::read(setup.local("many/y.txt")).unwrap(), b"y");
}

#[test]
fn bad_input_is_a_usage_error_and_copies_nothing() {
    let setup = setup_with_dir("data://.my/bad");
    write(&setup.local("here.txt"), b"here");
    ok(&setup, &["cp", "here.txt", "data://.my/bad/file.txt"]);
    std::fs::create_dir(setup.local("tree")).unwrap();
    write(&setup.local("tree/t.txt"), b"t");

    // A missing local file: named, and the other source not copied either.
    let stderr = fails(
        &setup,
        &["cp", "here.txt", "nope.txt", "data://.my/bad/"],
        2,
    );
    assert!(
        stderr.contains("nope.txt") && stderr.contains("no such file"),
        "{stderr}"
    );
    assert_eq!(ok(&setup, &["ls", "data://.my/bad"]), ".my/bad/file.txt\n");

    // A remote file where a directory is needed.
    let stderr = fails(
        &setup,
        &["cp", "here.txt", "tree/t.txt", "data://.my/bad/file.txt"],
        2,
    );
    assert!(
        stderr.contains("data://.my/bad/file.txt is a file"),
        "{stderr}"
    );
    let stderr = fails(&setup, &["cp", "-r", "tree", "data://.my/bad/file.txt"], 2);
    assert!(stderr.contains("is a file"), "{stderr}");
    let stderr = fails(&setup, &["cp", "here.txt", "data://.my/bad/file.txt/"], 2);
    assert!(stderr.contains("not a directory"), "{stderr}");
    assert_eq!(ok(&setup, &["cat", "data://.my/bad/file.txt"]), "here");

    // A local file where a directory is needed for a tree.
    ok(&setup, &["cp", "-r", "tree", "data://.my/bad/tree"]);
    let stderr = fails(&setup, &["cp", "-r", "data://.my/bad/tree", "here.txt"], 2);
    assert!(stderr.contains("here.txt is a file"), "{stderr}");
    assert_eq!(std::fs::read(setup.local("here.txt")).unwrap(), b"here");

    // A directory without -r, on either side.
    let stderr = fails(&setup, &["cp", "tree", "data://.my/bad/"], 2);
    assert!(stderr.contains("use -r"), "{stderr}");
    let stderr = fails(&setup, &["cp", "data://.my/bad/tree", "out"], 2);
    assert!(stderr.contains("use -r"), "{stderr}");
    assert!(!exists(&setup.local("out")));

    // Neither side remote; a missing remote source; a malformed URI; no concurrency.
    let stderr = fails(&setup, &["cp", "here.txt", "there.txt"], 2);
    assert!(stderr.contains("data://"), "{stderr}");
    let stderr = fails(&setup, &["cp", "data://.my/bad/missing.txt", "m.txt"], 2);
    assert!(stderr.contains("data://.my/bad/missing.txt"), "{stderr}");
    fails(&setup, &["cp", "here.txt", "data://.my/a/../b"], 2);
    fails(&setup, &["cp", "-c", "0", "here.txt", "data://.my/bad/"], 2);
    fails(&setup, &["cp", "here.txt"], 2);
}

#[test]
fn a_partial_failure_lists_every_failed_file_and_keeps_the_rest() {
    let setup = setup_with_dir("data://.my/part");
    for name in ["a.txt", "b.txt", "c.txt", "d.txt"] {
        write(&setup.local(&format!("src/{name}")), name.as_bytes());
    }
    // Up: where b.txt and d.txt should go, directories stand in the way.
    ok(&setup, &["mkdir", "data://.my/part/b.txt"]);
    ok(&setup, &["mkdir", "data://.my/part/d.txt"]);
    let output = algo(
        &setup,
        &[
            "cp",
            "src/a.txt",
            "src/b.txt",
            "src/c.txt",
            "src/d.txt",
            "data://.my/part",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("could not copy 2 of 4"), "{stderr}");
    assert!(
        stderr.contains("src/b.txt:") && stderr.contains("src/d.txt:"),
        "{stderr}"
    );
    assert_eq!(ok(&setup, &["cat", "data://.my/part/a.txt"]), "a.txt");
    assert_eq!(ok(&setup, &["cat", "data://.my/part/c.txt"]), "c.txt");

    // Down: a local directory stands where one file should land; the others arrive.
    ok(&setup, &["mkdir", "data://.my/down"]);
    ok(
        &setup,
        &[
            "cp",
            "src/a.txt",
            "src/b.txt",
            "src/c.txt",
            "data://.my/down",
        ],
    );
    write(&setup.local("dst/b.txt/blocker"), b"in the way");
    let output = algo(&setup, &["--json", "cp", "data://.my/down/*", "dst"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("could not copy 1 of 3") && stderr.contains("data://.my/down/b.txt"),
        "{stderr}"
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["files"], 2);
    assert_eq!(json["failed"][0]["path"], "data://.my/down/b.txt");
    assert!(!json["failed"][0]["error"].as_str().unwrap().is_empty());
    assert_eq!(std::fs::read(setup.local("dst/a.txt")).unwrap(), b"a.txt");
    assert_eq!(std::fs::read(setup.local("dst/c.txt")).unwrap(), b"c.txt");
    // No temporary file is left where the failed one was going.
    let names: Vec<String> = std::fs::read_dir(setup.local("dst"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
}
