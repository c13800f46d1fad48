//! Dry runs, an unreachable engine, secrets and configs, anonymous volumes.

use std::time::Duration;

use crate::harness::TestEnv;
use crate::up::sleeper;

#[test]
fn dry_run_changes_nothing_and_plan_json_lists_actions() {
    let compose = format!(
        "services:\n{}{}volumes:\n  data: {{}}\n",
        sleeper("web", "    volumes:\n      - data:/data\n"),
        sleeper("db", "")
    );
    let env = TestEnv::new("dry-run", &compose);
    let run = env.berth_ok(&["--dry-run", "up", "-d"]);
    let printed = format!("{}{}", run.stdout, run.stderr);
    for expected in [
        format!("create container {}", env.name_of("web", 1)),
        format!("create container {}", env.name_of("db", 1)),
        format!("create network {}_default", env.project),
        format!("create volume {}_data", env.project),
    ] {
        assert!(
            printed.contains(&expected),
            "no {expected:?} in:\n{printed}"
        );
    }
    assert!(env.containers().is_empty(), "{:?}", env.container_names());
    assert!(env.networks().is_empty(), "{:?}", env.networks());
    assert!(env.volumes().is_empty(), "{:?}", env.volumes());

    let plan = env.berth_ok(&["plan", "--format", "json"]).json();
    let actions = plan["actions"].as_array().expect("an actions array");
    assert!(!actions.is_empty());
    for action in actions {
        assert!(action["id"].is_u64(), "{action:#}");
        assert!(action["action"].is_string(), "{action:#}");
        assert!(action["after"].is_array(), "{action:#}");
        assert!(action["reason"].is_string(), "{action:#}");
    }
    let creates = actions
        .iter()
        .filter(|a| a["action"] == "create_container")
        .count();
    assert_eq!(creates, 2, "{plan:#}");
    assert!(env.containers().is_empty());

    // A dry run of down on a running project removes nothing either.
    env.berth_ok(&["up", "-d"]);
    let run = env.berth_ok(&["--dry-run", "down", "-v"]);
    assert!(
        run.stderr.contains("remove container"),
        "dry-run down printed:\n{}",
        run.stderr
    );
    assert_eq!(env.containers().len(), 2);
    assert_eq!(env.volumes().len(), 1);
    env.berth_ok(&["down", "-v"]);
}

#[test]
fn unreachable_engine_exits_16_and_names_the_socket() {
    let env = TestEnv::new("unreachable", &format!("services:\n{}", sleeper("web", "")));
    let run = env
        .cmd(&["up", "-d"])
        .env("DOCKER_HOST", "unix:///nonexistent.sock")
        .run();
    run.assert_code(16).assert_stderr_has("/nonexistent.sock");
    run.assert_stderr_has("hint");
    assert!(
        run.elapsed < Duration::from_secs(15),
        "took {:?} to give up",
        run.elapsed
    );
    assert!(env.containers().is_empty());
}

#[test]
fn tcp_docker_host_reaches_the_engine() {
    let compose = format!(
        "services:\n{}{}",
        sleeper(
            "db",
            "    healthcheck:\n      test: [CMD, \"true\"]\n      interval: 1s\n"
        ),
        sleeper(
            "web",
            "    depends_on:\n      db:\n        condition: service_healthy\n"
        ),
    );
    let env = TestEnv::new("tcp-host", &compose);
    let (port, relayed) = crate::harness::tcp_relay_to_engine();
    let host = format!("tcp://127.0.0.1:{port}");
    // The health-gated start follows the engine's event stream through it too.
    env.cmd(&["up", "-d", "--wait"])
        .env("DOCKER_HOST", &host)
        .run()
        .assert_code(0);
    assert!(
        relayed.load(std::sync::atomic::Ordering::SeqCst) > 0,
        "berth did not connect to {host}"
    );
    assert_eq!(env.containers().len(), 2);
    let plan = env.cmd(&["plan"]).env("DOCKER_HOST", &host).run();
    plan.assert_code(0);
    assert!(plan.stdout.contains("nothing to do"), "{}", plan.stdout);
    env.cmd(&["down"])
        .env("DOCKER_HOST", &host)
        .run()
        .assert_code(0);
    assert!(env.containers().is_empty());
}

fn secrets_file(read_only: bool) -> String {
    let extra = format!(
        "{}    secrets:\n      - token\n      - source: token\n        target: renamed\n    configs:\n      - settings\n      - source: settings\n        target: /etc/app.conf\n",
        if read_only {
            "    read_only: true\n"
        } else {
            ""
        }
    );
    format!(
        "services:\n{}secrets:\n  token:\n    environment: E2E_TOKEN\nconfigs:\n  settings:\n    content: |\n      answer=42\n",
        sleeper("app", &extra)
    )
}

fn check_secret_files(env: &TestEnv) {
    let app = env.name_of("app", 1);
    assert_eq!(
        env.exec(&app, &["cat", "/run/secrets/token"]),
        "s3cret-value"
    );
    assert_eq!(
        env.exec(&app, &["cat", "/run/secrets/renamed"]),
        "s3cret-value"
    );
    assert_eq!(env.exec(&app, &["cat", "/settings"]), "answer=42\n");
    assert_eq!(env.exec(&app, &["cat", "/etc/app.conf"]), "answer=42\n");
}

#[test]
fn secrets_and_configs_become_files() {
    let env = TestEnv::new("secrets", &secrets_file(false));
    env.cmd(&["up", "-d", "--wait"])
        .env("E2E_TOKEN", "s3cret-value")
        .run()
        .assert_code(0);
    check_secret_files(&env);
    env.cmd(&["down"])
        .env("E2E_TOKEN", "s3cret-value")
        .run()
        .assert_code(0);
}

#[test]
fn file_secrets_get_the_owner_and_mode_they_ask_for() {
    // A bind would show the host file's 0:0 and 0644; a secret that asks
    // for its own owner and mode gets them.
    let extra = "    secrets:\n      - source: token\n        uid: \"1000\"\n        gid: \"1001\"\n        mode: 0400\n      - plain\n";
    let file = format!(
        "services:\n{}secrets:\n  token:\n    file: ./token.txt\n  plain:\n    file: ./plain.txt\n",
        sleeper("app", extra)
    );
    let env = TestEnv::new("secrets-owner", &file);
    env.write("token.txt", "s3cret\n");
    env.write("plain.txt", "plain\n");
    env.berth_ok(&["up", "-d", "--wait"]);
    let app = env.name_of("app", 1);
    assert_eq!(
        env.exec(&app, &["stat", "-c", "%u:%g %a", "/run/secrets/token"]),
        "1000:1001 400\n"
    );
    assert_eq!(env.exec(&app, &["cat", "/run/secrets/token"]), "s3cret\n");
    // Without owner or mode, a bind of the file, as Docker Compose makes it.
    assert_eq!(env.exec(&app, &["cat", "/run/secrets/plain"]), "plain\n");
    let mounts = env.container(&app).raw["Mounts"].to_string();
    assert!(mounts.contains("plain.txt"), "{mounts}");
    assert!(!mounts.contains("token.txt"), "{mounts}");
}

#[test]
fn secrets_and_configs_become_files_on_read_only_service() {
    let env = TestEnv::new("secrets-ro", &secrets_file(true));
    env.cmd(&["up", "-d", "--wait"])
        .env("E2E_TOKEN", "s3cret-value")
        .run()
        .assert_code(0);
    check_secret_files(&env);
    let host_files = berth::reconcile::host_files::host_files_dir(&env.project);
    assert!(
        host_files.is_dir(),
        "no host files in {}",
        host_files.display()
    );
    let app = env.name_of("app", 1);
    let touch = crate::harness::docker(&["exec", &app, "touch", "/probe"]);
    assert!(!touch.status.success(), "the root filesystem is writable");
    // A one-off of the read-only service gets them the same way.
    let run = env
        .cmd(&[
            "run",
            "--rm",
            "-T",
            "app",
            "cat",
            "/run/secrets/renamed",
            "/etc/app.conf",
        ])
        .env("E2E_TOKEN", "s3cret-value")
        .run();
    run.assert_code(0);
    assert_eq!(run.stdout, "s3cret-valueanswer=42\n");
    env.cmd(&["down"])
        .env("E2E_TOKEN", "s3cret-value")
        .run()
        .assert_code(0);
    assert!(
        !host_files.exists(),
        "down left the secrets' host files in {}",
        host_files.display()
    );
}

#[test]
fn down_does_not_need_secret_values() {
    let env = TestEnv::new("secrets-down", &secrets_file(false));
    env.cmd(&["up", "-d"])
        .env("E2E_TOKEN", "s3cret-value")
        .run()
        .assert_code(0);
    env.berth_ok(&["down"]);
    assert!(env.containers().is_empty());
}

#[test]
fn anonymous_volume_survives_recreate_unless_renewed() {
    let file = |value: &str| {
        format!(
            "services:\n{}",
            sleeper(
                "app",
                &format!("    environment:\n      REV: \"{value}\"\n    volumes:\n      - /data\n")
            )
        )
    };
    let env = TestEnv::new("anon-volume", &file("1"));
    env.berth_ok(&["up", "-d"]);
    let app = env.name_of("app", 1);
    let first = env.container(&app);
    let volume = first
        .volume_at("/data")
        .expect("an anonymous volume at /data");
    env.exec(&app, &["sh", "-c", "echo kept > /data/file"]);

    env.write("compose.yaml", &file("2"));
    env.berth_ok(&["up", "-d"]);
    let second = env.container(&app);
    assert_ne!(first.id, second.id, "not recreated");
    assert_eq!(second.volume_at("/data").as_deref(), Some(volume.as_str()));
    assert_eq!(env.exec(&app, &["cat", "/data/file"]), "kept\n");

    // -V: a new anonymous volume, the file is gone.
    env.berth_ok(&["up", "-d", "-V"]);
    let third = env.container(&app);
    assert_ne!(second.id, third.id, "-V did not recreate");
    let renewed = third
        .volume_at("/data")
        .expect("an anonymous volume at /data");
    assert_ne!(renewed, volume);
    let ls = env.exec(&app, &["ls", "-A", "/data"]);
    assert_eq!(ls, "", "/data of the renewed volume holds {ls:?}");
    // The old volume is no longer any container's: the guard removes it.
    env.forget_volume_later(&volume);
}

#[test]
fn invalid_project_exits_15_and_touches_nothing() {
    let env = TestEnv::new(
        "invalid",
        "services:\n  web:\n    image: busybox\n    depends_on: [nowhere]\n",
    );
    let run = env.berth(&["up", "-d"]);
    run.assert_code(15).assert_stderr_has("nowhere");
    assert!(env.containers().is_empty());
    assert!(env.networks().is_empty());
}

#[test]
fn missing_image_fails_before_creating_anything() {
    let env = TestEnv::new(
        "missing-image",
        &format!(
            "services:\n{}  ghost:\n    image: berth-e2e/absent:never\n",
            sleeper("web", "")
        ),
    );
    let run = env.berth(&["up", "-d"]);
    assert_ne!(run.code, Some(0), "{}", run.stderr);
    run.assert_stderr_has("berth-e2e/absent:never");
    assert!(env.containers().is_empty(), "{:?}", env.container_names());
    assert!(env.networks().is_empty(), "{:?}", env.networks());
}

#[test]
fn override_files_and_no_start() {
    let env = TestEnv::new("files", "");
    env.write(
        "base.yaml",
        &format!(
            "services:\n{}",
            sleeper("web", "    environment:\n      LAYER: base\n")
        ),
    );
    env.write(
        "override.yaml",
        &format!(
            "services:\n  web:\n    environment:\n      LAYER: override\n{}",
            sleeper("extra", "")
        ),
    );
    env.berth_ok(&[
        "-f",
        "base.yaml",
        "-f",
        "override.yaml",
        "up",
        "-d",
        "--no-start",
    ]);
    let containers = env.containers();
    assert_eq!(
        containers
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        [env.name_of("extra", 1), env.name_of("web", 1)]
    );
    for c in &containers {
        assert_eq!(c.state, "created", "{}", c.name);
    }
    let web = env.container(&env.name_of("web", 1));
    assert!(
        web.raw["Config"]["Env"]
            .to_string()
            .contains("LAYER=override")
    );
    let files = web
        .label("com.docker.compose.project.config_files")
        .unwrap_or_default();
    assert!(
        files.contains("base.yaml") && files.contains("override.yaml"),
        "{files}"
    );

    env.berth_ok(&[
        "-f",
        "base.yaml",
        "-f",
        "override.yaml",
        "up",
        "-d",
        "--wait",
    ]);
    let started = env.containers();
    for (a, b) in containers.iter().zip(&started) {
        assert_eq!(a.id, b.id, "{} was recreated", a.name);
        assert_eq!(b.state, "running", "{}", b.name);
    }
    env.berth_ok(&["-f", "base.yaml", "-f", "override.yaml", "down"]);
    assert!(env.containers().is_empty());
}

#[test]
fn a_misspelt_service_gets_a_did_you_mean_in_every_command() {
    let env = TestEnv::new(
        "misc-didyoumean",
        "services:\n  web:\n    image: busybox\n    command: [\"sleep\", \"1000\"]\n",
    );
    for args in [
        &["logs", "webb"][..],
        &["exec", "webb", "true"],
        &["stop", "webb"],
        &["restart", "webb"],
        &["up", "-d", "--scale", "webb=2"],
    ] {
        env.berth(args)
            .assert_code(2)
            .assert_stderr_has("no such service: webb; did you mean `web`?");
    }
}
