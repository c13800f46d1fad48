//! `run`: one-off containers after their dependencies, with the command's
//! exit code, piped input, overrides, `--rm`, `-d`, and a TTY on a terminal.

use crate::harness::TestEnv;
use crate::up::sleeper;
use crate::wait::HEALTHY;

#[test]
fn run_one_off_containers_after_their_dependencies() {
    let compose = format!(
        "services:\n{}  app:\n    image: busybox\n    command: echo from-the-file\n    ports: [\"127.0.0.1::80\"]\n    depends_on:\n      db:\n        condition: service_healthy\n",
        sleeper("db", HEALTHY)
    );
    let env = TestEnv::new("run", &compose);
    let oneoffs = |env: &TestEnv| {
        env.containers()
            .into_iter()
            .filter(|c| c.label("com.docker.compose.oneoff") == Some("True"))
            .collect::<Vec<_>>()
    };

    // The dependency comes up healthy first; the file's command runs.
    let run = env.berth(&["run", "--rm", "-T", "app"]);
    run.assert_code(0);
    assert_eq!(run.stdout, "from-the-file\n");
    let db = env.container(&env.name_of("db", 1));
    assert_eq!(db.health, "healthy");
    assert!(oneoffs(&env).is_empty(), "--rm left the one-off behind");

    // The command's exit code, streams, and overrides.
    let run = env
        .cmd(&[
            "run",
            "--rm",
            "-T",
            "-e",
            "A=b",
            "-e",
            "FROM_BERTH",
            "-u",
            "1000",
            "-w",
            "/bin",
            "--no-deps",
            "app",
            "sh",
            "-c",
            "echo $A $FROM_BERTH $(id -u) $PWD; echo e >&2; exit 3",
        ])
        .env("FROM_BERTH", "passed")
        .run();
    run.assert_code(3);
    assert_eq!(run.stdout, "b passed 1000 /bin\n");
    assert!(run.stderr.contains("e\n"), "{}", run.stderr);
    let run = env.berth(&[
        "run",
        "--rm",
        "-T",
        "--entrypoint",
        "echo",
        "app",
        "over",
        "ridden",
    ]);
    assert_eq!(run.stdout, "over ridden\n");

    // Piped input reaches the container, and its end ends the command.
    let out = env.berth_with_input(&["run", "--rm", "-T", "app", "cat"], b"through\n");
    assert_eq!(out, "through\n");

    // A TTY when standard input is a terminal.
    let text = env.berth_on_terminal(&["run", "--rm", "app", "tty"]);
    assert!(text.contains("/dev/pts/"), "{text:?}");

    // Detached: the name is printed; a one-off publishes no ports of the
    // service unless asked, and is not a replica of it.
    let run = env.berth(&[
        "run",
        "-d",
        "--name",
        &format!("{}-bg", env.project),
        "app",
        "sleep",
        "60",
    ]);
    run.assert_code(0);
    assert_eq!(run.stdout.trim(), format!("{}-bg", env.project));
    let bg = env.container(&format!("{}-bg", env.project));
    assert_eq!(bg.state, "running");
    assert_eq!(bg.label("com.docker.compose.service"), Some("app"));
    assert!(
        bg.raw["HostConfig"]["PortBindings"]
            .as_object()
            .is_none_or(|m| m.is_empty())
    );
    assert_eq!(oneoffs(&env).len(), 1);
    let plan = env.berth_ok(&["plan"]);
    assert!(plan.stdout.contains("create container"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("-bg"), "{}", plan.stdout);
    env.berth_ok(&["down", "--remove-orphans"]);
    assert!(env.containers().is_empty());
}
