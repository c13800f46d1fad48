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
    run.assert_stderr_has("e\n");
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
            .is_none_or(serde_json::Map::is_empty)
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

#[test]
fn run_volume_mounts_binds_project_volumes_and_anonymous_ones() {
    let compose = format!(
        "services:\n{}    cap_drop: [CHOWN]\nvolumes:\n  data: {{}}\n",
        sleeper("app", "")
    );
    let env = TestEnv::new("run-volume", &compose);
    env.write("sub/rel/f", "from-the-host\n");
    let sub = env.dir().join("sub");
    let name = format!("{}-v", env.project);

    // A relative host path is from the current directory; `data` is the
    // project's volume (which no service uses); `/anon` an anonymous one.
    let run = env
        .cmd(&[
            "run",
            "-d",
            "--name",
            &name,
            "-v",
            "./rel:/z:ro",
            "-v",
            "data:/x",
            "-v",
            "/anon",
            "app",
        ])
        .current_dir(&sub)
        .run();
    run.assert_code(0);
    let c = env.container(&name);
    let bind = c.raw["Mounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["Destination"] == "/z")
        .unwrap_or_else(|| panic!("{}", c.raw["Mounts"]))
        .clone();
    assert_eq!(bind["Type"], "bind");
    let source = std::fs::canonicalize(sub.join("rel")).unwrap();
    assert_eq!(bind["Source"].as_str(), source.to_str());
    assert_eq!(bind["RW"], false);
    assert_eq!(
        c.volume_at("/x").as_deref(),
        Some(format!("{}_data", env.project).as_str())
    );
    assert!(c.volume_at("/anon").is_some(), "{}", c.raw["Mounts"]);
    assert_eq!(
        env.exec(&name, &["cat", "/z/f"]).trim(),
        "from-the-host",
        "the bind shows the host's file"
    );
    let write = env.exec(&name, &["sh", "-c", "touch /z/g 2>&1 || echo refused"]);
    assert!(write.contains("refused"), "ro: {write}");
}

#[test]
fn run_cap_add_and_cap_drop_join_the_services_own() {
    let compose = format!("services:\n{}    cap_drop: [CHOWN]\n", sleeper("app", ""));
    let env = TestEnv::new("run-caps", &compose);
    let name = format!("{}-caps", env.project);
    env.berth_ok(&[
        "run",
        "-d",
        "--name",
        &name,
        "--cap-add",
        "NET_ADMIN",
        "--cap-add",
        "SYS_TIME",
        "--cap-drop",
        "MKNOD",
        "app",
    ]);
    let c = env.container(&name);
    let caps = |key: &str| {
        c.raw["HostConfig"][key]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    let mut added = caps("CapAdd");
    added.sort();
    // Prefixed, as Docker Compose's client sends them.
    assert_eq!(added, ["CAP_NET_ADMIN", "CAP_SYS_TIME"]);
    let mut dropped = caps("CapDrop");
    dropped.sort();
    assert_eq!(dropped, ["CAP_CHOWN", "CAP_MKNOD"]);
}

#[test]
fn run_env_from_file_reads_dotenv_files_under_the_flags() {
    let compose = "services:\n  app:\n    image: busybox\n    environment: [D=service]\n";
    let env = TestEnv::new("run-env-file", compose);
    env.write(
        "one.env",
        "A=file\nB=${C:-unset}\nD=one\n# a comment\nexport F='quoted'\n",
    );
    env.write("two.env", "D=two\nE=two\n");
    // `-e` wins over the files, the first file over the second, and the
    // files over the service's `environment`; values refer to `-e` variables.
    let run = env.berth(&[
        "run",
        "--rm",
        "-T",
        "-e",
        "A=flag",
        "-e",
        "C=from-flag",
        "--env-from-file",
        "one.env",
        "--env-from-file",
        "two.env",
        "app",
        "sh",
        "-c",
        "echo $A $B $D $E $F",
    ]);
    run.assert_code(0);
    assert_eq!(run.stdout, "flag from-flag one two quoted\n");
    let run = env.berth(&["run", "--rm", "-T", "--env-from-file", "absent.env", "app"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    run.assert_stderr_has("absent.env");
}

#[test]
fn run_interactive_keeps_input_open_and_false_gives_none() {
    let env = TestEnv::new(
        "run-interactive",
        &format!("services:\n{}", sleeper("app", "")),
    );
    assert_eq!(
        env.berth_with_input(&["run", "--rm", "-T", "-i", "app", "cat"], b"through\n"),
        "through\n"
    );
    assert_eq!(
        env.berth_with_input(
            &["run", "--rm", "-T", "--interactive=false", "app", "cat"],
            b"through\n"
        ),
        ""
    );
    // Detached, input stays open only when asked for.
    let open_stdin = |suffix: &str, flags: &[&str]| {
        let name = format!("{}-{suffix}", env.project);
        let mut args = vec!["run", "-d", "--name", &name];
        args.extend(flags);
        args.push("app");
        env.berth_ok(&args);
        env.container(&name).raw["Config"]["OpenStdin"].clone()
    };
    assert_eq!(open_stdin("i", &["-i"]), true);
    assert_eq!(open_stdin("no-i", &[]), false);
}

/// A service built from an inline Dockerfile whose build prints a marker.
fn built_app(env_name: &str) -> String {
    let image = crate::harness::project_name(env_name);
    format!(
        "services:\n  app:\n    image: {image}-app\n    build:\n      context: .\n      dockerfile_inline: |\n        FROM busybox\n        RUN echo build-marker-{image}\n    command: echo from-the-app\n"
    )
}

#[test]
fn run_build_quiet_build_and_quiet() {
    let env = TestEnv::new("run-build", &built_app("run-build"));
    let built = |run: &crate::harness::Run| run.stderr.contains("Service app  Built");

    // A missing image is built; an existing one is not, unless --build.
    let run = env.berth_ok(&["run", "--rm", "-T", "app"]);
    assert!(built(&run), "{}", run.stderr);
    run.assert_stderr_has("Network");
    assert_eq!(run.stdout, "from-the-app\n");
    let run = env.berth_ok(&["run", "--rm", "-T", "app"]);
    assert!(!built(&run), "{}", run.stderr);
    let run = env.berth_ok(&["run", "--rm", "-T", "--build", "app"]);
    assert!(built(&run), "{}", run.stderr);

    // --quiet-build builds without its output.
    let run = env.berth_ok(&["run", "--rm", "-T", "--build", "--quiet-build", "app"]);
    assert!(!run.stderr.contains("Service app"), "{}", run.stderr);
    assert!(!run.stderr.contains("build-marker"), "{}", run.stderr);
    assert_eq!(run.stdout, "from-the-app\n");

    // -q: no progress at all (the network is made anew), only the command's output.
    env.berth_ok(&["down"]);
    let run = env.berth_ok(&["run", "--rm", "-T", "--build", "-q", "app"]);
    assert_eq!(run.stderr, "", "quiet");
    assert_eq!(run.stdout, "from-the-app\n");
}

#[test]
fn up_quiet_build_and_menu_are_accepted() {
    let env = TestEnv::new("up-quiet-build", &built_app("up-quiet-build"));
    let run = env.berth_ok(&["up", "--build", "--quiet-build", "--menu"]);
    assert!(!run.stderr.contains("Service app"), "{}", run.stderr);
    assert!(!run.stderr.contains("build-marker"), "{}", run.stderr);
    assert!(run.stdout.contains("from-the-app"), "{}", run.stdout);
    let run = env.berth_ok(&["up", "--build", "--menu"]);
    run.assert_stderr_has("Service app  Built");
}

#[test]
fn run_and_up_pull_with_and_without_progress() {
    let registry = crate::harness::Registry::start(false);
    let project = crate::harness::project_name("run-pull");
    let image = format!("{}/{project}/app:1", registry.address);
    let compose = format!("services:\n  app:\n    image: {image}\n    command: echo pulled-app\n");
    // Made first: its clean-up removes the images named after the project.
    let env = TestEnv::new("run-pull", &compose);
    crate::harness::docker_ok(&["tag", "busybox", &image]);
    crate::harness::docker_ok(&["push", &image]);
    let pulled = format!("Image {image}  Pulled");

    // The image is here: no pull, unless --pull always.
    let run = env.berth_ok(&["run", "--rm", "-T", "app"]);
    assert!(!run.stderr.contains(&pulled), "{}", run.stderr);
    let run = env.berth_ok(&["run", "--rm", "-T", "--pull", "always", "app"]);
    run.assert_stderr_has(&pulled);
    assert_eq!(run.stdout, "pulled-app\n");
    let run = env.berth_ok(&[
        "run",
        "--rm",
        "-T",
        "--pull",
        "always",
        "--quiet-pull",
        "app",
    ]);
    assert!(!run.stderr.contains("Pull"), "{}", run.stderr);
    assert_eq!(run.stdout, "pulled-app\n");

    // A missing image is pulled, quietly with --quiet-pull; never, not at all.
    crate::harness::docker_ok(&["rmi", &image]);
    let run = env.berth(&["run", "--rm", "-T", "--pull", "never", "app"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let run = env.berth_ok(&["run", "--rm", "-T", "--quiet-pull", "app"]);
    assert!(!run.stderr.contains("Pull"), "{}", run.stderr);
    assert_eq!(run.stdout, "pulled-app\n");
    let run = env.berth_ok(&["up", "-d", "--pull", "always", "--quiet-pull"]);
    assert!(!run.stderr.contains("Pull"), "{}", run.stderr);
    env.berth_ok(&["down"]);
    crate::harness::docker_ok(&["rmi", &image]);
    let run = env.berth_ok(&["up", "-d", "--quiet-pull"]);
    assert!(!run.stderr.contains("Pull"), "{}", run.stderr);
    run.assert_stderr_has("Started");
}

#[test]
fn run_warns_about_orphans_and_removes_them_when_asked() {
    let two = format!("services:\n{}{}", sleeper("app", ""), sleeper("old", ""));
    let env = TestEnv::new("run-orphans", &two);
    env.berth_ok(&["up", "-d", "old"]);
    let old = env.name_of("old", 1);
    env.write(
        "compose.yaml",
        &format!("services:\n{}", sleeper("app", "")),
    );

    let run = env.berth_ok(&["run", "--rm", "-T", "app", "true"]);
    run.assert_stderr_has(&format!("Found orphan containers ({old})"));
    assert!(env.container_names().contains(&old));
    let run = env.berth_ok(&["run", "--rm", "-T", "--remove-orphans", "app", "true"]);
    assert!(!run.stderr.contains("Found orphan"), "{}", run.stderr);
    assert!(!env.container_names().contains(&old), "{}", run.stderr);
}
