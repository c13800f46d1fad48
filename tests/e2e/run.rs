//! `run`: one-off containers after their dependencies, with the command's
//! exit code, piped input, overrides, `--rm`, `-d`, and a TTY on a terminal.

use std::io::Read;
use std::time::Duration;

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

/// A port on 127.0.0.1 that nothing listens on now.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// What a connection to 127.0.0.1:`port` reads, once something answers
/// (the engine's proxy accepts before the container listens).
fn read_from(env: &TestEnv, port: u16) -> String {
    let mut text = String::new();
    let answered = env.poll_until(Duration::from_secs(20), |_| {
        text.clear();
        std::net::TcpStream::connect(("127.0.0.1", port))
            .and_then(|mut s| s.read_to_string(&mut text))
            .is_ok_and(|n| n > 0)
    });
    assert!(answered, "nothing answered on 127.0.0.1:{port}");
    text
}

/// The host bindings of a container's port 80/tcp, as `IP:PORT`.
fn bindings(env: &TestEnv, name: &str) -> Vec<String> {
    let c = env.container(name);
    c.raw["HostConfig"]["PortBindings"]["80/tcp"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|b| {
                    format!(
                        "{}:{}",
                        b["HostIp"].as_str().unwrap(),
                        b["HostPort"].as_str().unwrap()
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn run_publishes_ports_asked_for_and_the_services_own() {
    let own = free_port();
    let compose = format!(
        "services:\n  server:\n    image: busybox\n    command: [\"sh\", \"-c\", \"echo served-$$HOSTNAME | nc -l -p 80\"]\n    ports: [\"127.0.0.1:{own}:80\"]\n"
    );
    let env = TestEnv::new("run-publish", &compose);
    let named = |suffix: &str| format!("{}-{suffix}", env.project);

    // -p publishes a port of the one-off; the service's own stay unpublished.
    let port = free_port();
    let publish = format!("127.0.0.1:{port}:80");
    env.berth_ok(&["run", "-d", "--name", &named("p"), "-p", &publish, "server"]);
    assert_eq!(bindings(&env, &named("p")), [format!("127.0.0.1:{port}")]);
    assert!(read_from(&env, port).starts_with("served-"));

    // --service-ports publishes the service's `ports:`.
    env.berth_ok(&[
        "run",
        "-d",
        "--name",
        &named("sp"),
        "--service-ports",
        "server",
    ]);
    assert_eq!(bindings(&env, &named("sp")), [format!("127.0.0.1:{own}")]);
    assert!(read_from(&env, own).starts_with("served-"));
}

#[test]
fn run_use_aliases_gives_the_one_off_the_services_aliases() {
    let compose = format!(
        "services:\n{}    networks:\n      default:\n        aliases: [extra-alias]\n",
        sleeper("app", "")
    );
    let env = TestEnv::new("run-aliases", &compose);
    let aliases = |suffix: &str, flags: &[&str]| {
        let name = format!("{}-{suffix}", env.project);
        let mut args = vec!["run", "-d", "--name", &name];
        args.extend(flags);
        args.push("app");
        env.berth_ok(&args);
        let c = env.container(&name);
        let networks = c.raw["NetworkSettings"]["Networks"].as_object().unwrap();
        let (_, network) = networks
            .iter()
            .find(|(net, _)| net.ends_with("_default"))
            .unwrap_or_else(|| panic!("{networks:?}"));
        network["Aliases"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    let with = aliases("with", &["--use-aliases"]);
    for alias in ["app", "extra-alias"] {
        assert!(with.iter().any(|a| a == alias), "{with:?}");
    }
    let without = aliases("without", &[]);
    for alias in ["app", "extra-alias"] {
        assert!(!without.iter().any(|a| a == alias), "{without:?}");
    }
}
