//! `cp`: host → every replica (or one with `--index`), replica → host, a
//! directory as the destination or as the new name, `-L`, `--all` (one-off
//! containers too), and errors.

use crate::harness::TestEnv;

// `/data` is an anonymous volume, one per container: it is there when the
// container has started, which a `mkdir` in the command would not promise.
const COMPOSE: &str = "services:\n  web:\n    image: busybox\n    init: true\n    scale: 2\n    volumes: [/data]\n    command: [\"sleep\", \"3600\"]\n";

#[test]
fn cp_copies_both_ways_to_every_replica_or_one() {
    let env = TestEnv::new("cp", COMPOSE);
    env.write("note.txt", "hello\n");
    env.write("tree/sub/deep.txt", "deep\n");
    std::os::unix::fs::symlink("note.txt", env.dir().join("link")).unwrap();
    env.berth_ok(&["up", "-d"]);
    let (one, two) = (env.name_of("web", 1), env.name_of("web", 2));

    // Into an existing directory, under its own name, in every replica.
    let copied = env.berth_ok(&["cp", "note.txt", "web:/data/"]);
    for c in [&one, &two] {
        assert_eq!(env.exec(c, &["cat", "/data/note.txt"]), "hello\n");
        // A progress line per copy, as Docker Compose prints.
        let line = format!("Container {c}  Copied: note.txt to {c}:/data/");
        assert!(
            copied.stderr.contains(&line),
            "no {line:?} in {}",
            copied.stderr
        );
    }
    // A tar archive on standard input, read once, reaches every replica.
    let mut archive = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(6);
    header.set_mode(0o644);
    archive
        .append_data(&mut header, "piped.txt", &b"piped\n"[..])
        .unwrap();
    env.berth_with_input(&["cp", "-", "web:/"], &archive.into_inner().unwrap());
    for c in [&one, &two] {
        assert_eq!(env.exec(c, &["cat", "/piped.txt"]), "piped\n", "{c}");
    }
    // As a new name, in one replica.
    env.berth_ok(&["cp", "--index", "2", "tree", "web:/data/copy"]);
    assert_eq!(
        env.exec(&two, &["cat", "/data/copy/sub/deep.txt"]),
        "deep\n"
    );
    assert!(env.exec(&one, &["ls", "/data"]).trim() == "note.txt");
    // -L copies what the link points to.
    env.berth_ok(&["cp", "-L", "link", "web:/data/linked"]);
    assert_eq!(env.exec(&one, &["cat", "/data/linked"]), "hello\n");
    assert_eq!(
        env.exec(&one, &["find", "/data/linked", "-type", "f"]),
        "/data/linked\n"
    );

    // Out of a replica: a file under a new name, a directory into one.
    env.berth_ok(&["cp", "web:/data/note.txt", "back.txt"]);
    assert_eq!(
        std::fs::read_to_string(env.dir().join("back.txt")).unwrap(),
        "hello\n"
    );
    std::fs::create_dir(env.dir().join("out")).unwrap();
    env.berth_ok(&["cp", "--index", "2", "web:/data/copy", "out"]);
    let deep = env.dir().join("out/copy/sub/deep.txt");
    assert_eq!(std::fs::read_to_string(deep).unwrap(), "deep\n");

    let missing = env.berth(&["cp", "web:/data/nope", "x"]);
    missing
        .assert_code(1)
        .assert_stderr_has("web:/data/nope: no such file or directory");
    // `DIR/` must be a directory there: said, not an empty message.
    env.berth(&["cp", "note.txt", "web:/nope/"])
        .assert_code(1)
        .assert_stderr_has("web:/nope/: no such directory");
    env.berth(&["cp", "note.txt", "back.txt"]).assert_code(2);
    env.berth(&["cp", "note.txt", "nope:/data"]).assert_code(2);

    // A one-off container of `run` gets copies only with --all.
    env.berth_ok(&["run", "-d", "web"]);
    let one_off = env
        .containers()
        .into_iter()
        .map(|c| c.name)
        .find(|name| *name != one && *name != two)
        .expect("the one-off container");
    env.berth_ok(&["cp", "note.txt", "web:/plain.txt"]);
    let has = |c: &str, path: &str| {
        crate::harness::docker(&["exec", c, "test", "-e", path])
            .status
            .success()
    };
    assert!(has(&one, "/plain.txt") && !has(&one_off, "/plain.txt"));
    env.berth_ok(&["cp", "--all", "note.txt", "web:/all.txt"]);
    for c in [&one, &two, &one_off] {
        assert_eq!(env.exec(c, &["cat", "/all.txt"]), "hello\n", "{c}");
    }
}
