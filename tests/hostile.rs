//! Hostile input: `berth config` on files made to crash, hang or bloat a
//! loader, and errors that must not print secrets. berth must never panic
//! (exit 101) or abort, must end, and must stay within a bounded memory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// berth's exit code for an invalid project.
const INVALID_PROJECT: i32 = 15;
/// How long one run may take before the test fails (a guard against a
/// hang, not a timing assertion: the debug build is slow on big inputs).
const GUARD: Duration = Duration::from_secs(120);
/// The most memory (peak RSS) one run may use.
const MEMORY_BOUND_KB: u64 = 1 << 20;

fn dir() -> TempDir {
    tempfile::Builder::new()
        .prefix("berth-hostile")
        .tempdir()
        .unwrap()
}

/// `berth ARGS` in `dir` with a clean environment; fails the test if it
/// runs past [`GUARD`]. With `peak_rss`, run under `/usr/bin/time` and give
/// the peak resident memory in KiB too.
fn run(dir: &Path, args: &[&str], peak_rss: bool) -> (Output, Option<u64>) {
    let berth = env!("CARGO_BIN_EXE_berth");
    let rss_file = dir.join(".rss");
    let mut cmd = if peak_rss {
        let mut c = Command::new("/usr/bin/time");
        c.arg("-f").arg("%M").arg("-o").arg(&rss_file).arg(berth);
        c
    } else {
        Command::new(berth)
    };
    cmd.args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", "/home/nobody")
        .env("PWD", dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    // Drain the pipes on threads so that a chatty run cannot block on them.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_thread = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut v).ok();
        v
    });
    let err_thread = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut stderr, &mut v).ok();
        v
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > GUARD {
            child.kill().ok();
            child.wait().ok();
            panic!("berth {args:?} did not end within {GUARD:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = Output {
        status,
        stdout: out_thread.join().unwrap(),
        stderr: err_thread.join().unwrap(),
    };
    let rss = peak_rss
        .then(|| std::fs::read_to_string(&rss_file).ok())
        .flatten()
        .and_then(|t| t.lines().last()?.trim().parse().ok());
    (output, rss)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts that a run ended without a panic or an abort.
fn assert_no_crash(name: &str, out: &Output) {
    let code = out.status.code();
    assert!(
        code.is_some(),
        "{name}: killed by a signal (stack overflow or abort?): {}",
        stderr(out)
    );
    assert_ne!(code, Some(101), "{name}: panicked: {}", stderr(out));
    assert!(
        !stderr(out).contains("panicked"),
        "{name}: panicked: {}",
        stderr(out)
    );
}

#[test]
fn secret_values_are_masked_in_error_snippets() {
    let d = dir();
    std::fs::write(
        d.path().join("compose.yaml"),
        "services:\n  db:\n    image: postgres\n    environment:\n      DB_PASSWORD: hunter2\n    imagee: foo\n",
    )
    .unwrap();
    let (out, _) = run(d.path(), &["config"], false);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(INVALID_PROJECT), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    assert!(err.contains("DB_PASSWORD: *****"), "{err}");
    assert!(err.contains("compose.yaml:6:5"), "{err}");

    let (out, _) = run(d.path(), &["--show-secrets", "config"], false);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(INVALID_PROJECT), "{err}");
    assert!(err.contains("DB_PASSWORD: hunter2"), "{err}");
}

#[test]
fn secret_values_are_masked_in_the_message_and_list_forms() {
    let d = dir();
    // The interpolation error quotes the value it cannot read.
    std::fs::write(
        d.path().join("compose.yaml"),
        "services:\n  db:\n    image: postgres\n    environment:\n      - PLAIN=visible-value\n      - API_TOKEN=${s3cr3t-token\n",
    )
    .unwrap();
    let (out, _) = run(d.path(), &["config"], false);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(INVALID_PROJECT), "{err}");
    assert!(!err.contains("s3cr3t"), "{err}");
    assert!(!err.contains("visible-value"), "{err}");
    assert!(err.contains("API_TOKEN=*****"), "{err}");
    assert!(err.contains("compose.yaml:6:"), "{err}");
}

/// A minified one-line JSON file of about 100 KB with an error near its end.
fn one_line_json() -> String {
    let services: Vec<String> = (0..1500)
        .map(|i| format!("\"s{i}\":{{\"image\":\"{}\"}}", "x".repeat(50)))
        .collect();
    format!("{{\"services\":{{{},\"bogus\":1}}}}", services.join(","))
}

#[test]
fn an_error_past_column_65535_is_located_without_a_panic() {
    let d = dir();
    let text = one_line_json();
    assert!(text.len() > 100_000);
    std::fs::write(d.path().join("compose.json"), &text).unwrap();
    let (out, _) = run(d.path(), &["-f", "compose.json", "config"], false);
    assert_no_crash("one-line JSON", &out);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(INVALID_PROJECT), "{err}");
    let column = text.find("\"bogus\":1").unwrap() + "\"bogus\":".len() + 1;
    assert!(err.contains(&format!("compose.json:1:{column}")), "{err}");
    // The line is cut to a window around the error.
    assert!(err.contains('…'), "{err}");
    assert!(err.len() < 4000, "{err}");
}

#[test]
fn endless_devices_are_refused_at_the_cap() {
    let d = dir();
    for device in ["/dev/zero", "/dev/urandom"] {
        if !Path::new(device).exists() {
            eprintln!("{device} is missing: skipped");
            continue;
        }
        let (out, _) = run(d.path(), &["-f", device, "config"], false);
        assert_no_crash(device, &out);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(INVALID_PROJECT), "{err}");
        assert!(err.contains(device), "{err}");
        assert!(err.contains("64 MiB"), "{err}");
    }
}

#[test]
fn utf16_files_with_a_byte_order_mark_load_as_utf8() {
    let d = dir();
    let text = "services:\n  web:\n    image: \"nginx:héllo\"\n    environment:\n      A: b\n";
    std::fs::write(d.path().join("utf8.yaml"), text).unwrap();
    let units: Vec<u16> = text.encode_utf16().collect();
    let le: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain(units.iter().flat_map(|u| u.to_le_bytes()))
        .collect();
    let be: Vec<u8> = [0xfe, 0xff]
        .into_iter()
        .chain(units.iter().flat_map(|u| u.to_be_bytes()))
        .collect();
    std::fs::write(d.path().join("utf16le.yaml"), le).unwrap();
    std::fs::write(d.path().join("utf16be.yaml"), be).unwrap();
    let json = |file: &str| {
        let (out, _) = run(d.path(), &["-f", file, "config", "--format", "json"], false);
        assert!(out.status.success(), "{file}: {}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let want = json("utf8.yaml");
    assert!(want.contains("nginx:héllo"), "{want}");
    assert_eq!(json("utf16le.yaml"), want);
    assert_eq!(json("utf16be.yaml"), want);
}

#[test]
fn huge_numbers_get_located_errors() {
    let cases = [
        (
            "services:\n  a:\n    image: x\n    mem_limit: 99999999999999999999999g\n",
            "compose.yaml:4:16",
            "mem_limit",
        ),
        (
            "services:\n  a:\n    image: x\n    deploy:\n      replicas: 99999999999999999999\n",
            "compose.yaml:5:17",
            "replicas",
        ),
    ];
    for (text, at, key) in cases {
        let d = dir();
        std::fs::write(d.path().join("compose.yaml"), text).unwrap();
        for format in ["yaml", "json"] {
            let (out, _) = run(d.path(), &["config", "--format", format], false);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(INVALID_PROJECT), "{err}");
            assert!(err.contains(at), "{key}: {err}");
            assert!(err.contains(key), "{key}: {err}");
        }
    }
}

/// The hostile files of the chaos set, written in `dir`; each is a
/// `-f` argument (a path in `dir` or a device).
fn chaos_set(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    // Billion laughs: ten levels of ten aliases.
    let mut bomb = String::from("x-bomb:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        bomb.push_str(&format!("  a{i}: &a{i} [{refs}]\n"));
    }
    bomb.push_str("services:\n  a:\n    image: x\n");
    files.push(("alias-bomb.yaml".into(), bomb.into_bytes()));
    // An alias that refers to itself.
    files.push((
        "alias-self.yaml".into(),
        b"x-a: &a [*a]\nservices: {a: {image: x}}\n".to_vec(),
    ));
    // Deep nesting: flow, block (as deep as go-yaml allows, and past it).
    let flow = format!("services: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    files.push(("deep-flow.yaml".into(), flow.into_bytes()));
    for (name, depth) in [("deep-block.yaml", 9_990), ("too-deep-block.yaml", 10_010)] {
        let mut block = String::from("x-a:\n");
        for i in 1..depth {
            block.push_str(&format!("{}k:\n", " ".repeat(i)));
        }
        block.push_str("services: {a: {image: x}}\n");
        files.push((name.into(), block.into_bytes()));
    }
    // A huge line, with an error at its end, and a huge key.
    files.push(("huge-line.json".into(), one_line_json().into_bytes()));
    files.push((
        "huge-key.yaml".into(),
        format!(
            "services:\n  a:\n    image: x\n    {}: 1\n",
            "k".repeat(1 << 20)
        )
        .into_bytes(),
    ));
    // Encodings: UTF-16 with and without a byte order mark, invalid UTF-8, NUL.
    let text = "services:\n  a:\n    image: x\n";
    let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    files.push((
        "utf16le-bom.yaml".into(),
        [&[0xff, 0xfe][..], &utf16].concat(),
    ));
    files.push(("utf16le-no-bom.yaml".into(), utf16.clone()));
    files.push((
        "utf16-odd.yaml".into(),
        [&[0xfe, 0xff][..], &utf16[..utf16.len() - 1], &[0xd8][..]].concat(),
    ));
    files.push((
        "invalid-utf8.yaml".into(),
        b"services:\n  a:\n    image: x\xff\xfe\n".to_vec(),
    ));
    files.push((
        "nul.yaml".into(),
        b"services:\n  a:\n    image: x\0y\n".to_vec(),
    ));
    files.push(("nul-only.yaml".into(), vec![0; 4096]));
    // Huge numbers.
    for (name, value) in [
        (
            "huge-replicas.yaml",
            "deploy: {replicas: 99999999999999999999}",
        ),
        ("huge-mem.yaml", "mem_limit: 99999999999999999999999g"),
        ("huge-cpus.yaml", "cpus: 1e400"),
        ("negative-cpus.yaml", "cpus: -1"),
        ("huge-port.yaml", "ports: [\"99999999999999999999:80\"]"),
        ("huge-shares.yaml", "cpu_shares: 99999999999999999999"),
        (
            "huge-ulimit.yaml",
            "ulimits: {nofile: 99999999999999999999}",
        ),
        ("huge-scale.yaml", "scale: 99999999999999999999"),
    ] {
        files.push((
            name.into(),
            format!("services:\n  a:\n    image: x\n    {value}\n").into_bytes(),
        ));
    }
    // Many documents, an interpolation storm and a secret next to an error.
    files.push((
        "many-documents.yaml".into(),
        "---\n".repeat(100_000).into_bytes(),
    ));
    files.push((
        "interpolation.yaml".into(),
        format!(
            "services:\n  a:\n    image: \"{}\"\n",
            "${A:-${B:-".repeat(2000)
        )
        .into_bytes(),
    ));
    let mut out: Vec<(String, String)> = files
        .into_iter()
        .map(|(name, bytes)| {
            let path: PathBuf = dir.join(&name);
            std::fs::write(&path, bytes).unwrap();
            (name, path.display().to_string())
        })
        .collect();
    for device in ["/dev/zero", "/dev/urandom", "/dev/null"] {
        if Path::new(device).exists() {
            out.push((device.into(), device.into()));
        }
    }
    out
}

#[test]
fn chaos_set_never_crashes_hangs_or_bloats() {
    let d = dir();
    let measure = Path::new("/usr/bin/time").exists();
    if !measure {
        eprintln!("/usr/bin/time is missing: peak memory is not checked");
    }
    for (name, path) in chaos_set(d.path()) {
        let (out, rss) = run(d.path(), &["-f", &path, "config"], measure);
        assert_no_crash(&name, &out);
        if let Some(kb) = rss {
            assert!(kb < MEMORY_BOUND_KB, "{name}: peak RSS {kb} KiB");
        }
        // Errors name the file; a located one names its line and column too.
        if !out.status.success() {
            let err = stderr(&out);
            assert!(!err.trim().is_empty(), "{name}: failed without a message");
        }
    }
}
