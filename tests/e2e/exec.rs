//! `exec`: exit codes, separate output streams, piped input, options, the
//! replica index, and a TTY when standard input is a terminal.

use crate::harness::TestEnv;
use crate::up::sleeper;

#[test]
fn exec_runs_commands_like_docker_compose() {
    let env = TestEnv::new(
        "exec",
        &format!(
            "services:\n{}",
            sleeper("web", "    deploy:\n      replicas: 2\n")
        ),
    );
    env.berth_ok(&["up", "-d"]);

    // The command's own exit code and streams.
    let run = env.berth(&[
        "exec",
        "-T",
        "web",
        "sh",
        "-c",
        "echo out; echo err >&2; exit 7",
    ]);
    run.assert_code(7);
    assert_eq!(run.stdout, "out\n");
    run.assert_stderr_has("err\n");

    // Standard input goes through, to its end.
    let out = env.berth_with_input(
        &["exec", "-T", "web", "sh", "-c", "cat; echo end"],
        b"line one\nline two\n",
    );
    assert_eq!(out, "line one\nline two\nend\n");

    // Environment, user and working directory.
    let run = env
        .cmd(&[
            "exec",
            "-T",
            "-e",
            "A=b",
            "-e",
            "FROM_BERTH",
            "-u",
            "1000",
            "-w",
            "/bin",
            "web",
            "sh",
            "-c",
            "echo $A $FROM_BERTH $(id -u) $PWD",
        ])
        .env("FROM_BERTH", "passed")
        .run();
    run.assert_code(0);
    assert_eq!(run.stdout, "b passed 1000 /bin\n");

    // The replica: the lowest by default, or --index (and `--no-TTY`, as Compose spells `-T`).
    let hostname = |n: u32| {
        env.container(&env.name_of("web", n)).raw["Config"]["Hostname"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(
        env.berth_ok(&["exec", "--no-TTY", "web", "hostname"])
            .stdout
            .trim(),
        hostname(1)
    );
    assert_eq!(
        env.berth_ok(&["exec", "-T", "--index", "2", "web", "hostname"])
            .stdout
            .trim(),
        hostname(2)
    );
    env.berth(&["exec", "-T", "--index", "3", "web", "true"])
        .assert_code(1);
    env.berth(&["exec", "-T", "nosuch", "true"]).assert_code(2);

    // A terminal on standard input gets a TTY in the container.
    let text = env.berth_on_terminal(&["exec", "web", "tty"]);
    assert!(text.contains("/dev/pts/"), "{text:?}");

    // A stopped service has nothing to run in.
    env.berth_ok(&["stop"]);
    let run = env.berth(&["exec", "-T", "web", "true"]);
    run.assert_code(1).assert_stderr_has("not running");
}
