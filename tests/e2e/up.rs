//! `up -d`: what it creates, idempotence, recreation, scale, orphans,
//! `create`, `--no-deps`.

use std::collections::BTreeMap;

use crate::harness::{ContainerInfo, TestEnv};

/// A service that runs until stopped, and stops at once (tini as PID 1).
pub fn sleeper(name: &str, extra: &str) -> String {
    format!("  {name}:\n    image: busybox\n    init: true\n    command: sleep 3600\n{extra}")
}

fn by_name(containers: &[ContainerInfo]) -> BTreeMap<String, ContainerInfo> {
    containers
        .iter()
        .map(|c| (c.name.clone(), c.clone()))
        .collect()
}

#[test]
fn up_creates_named_labelled_containers_and_is_idempotent() {
    let compose = format!("services:\n{}{}", sleeper("web", ""), sleeper("db", ""));
    let env = TestEnv::new("up-idempotent", &compose);
    env.berth_ok(&["up", "-d"]);

    let containers = env.containers();
    let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, [env.name_of("db", 1), env.name_of("web", 1)]);
    let network = format!("{}_default", env.project);
    assert_eq!(env.networks(), [network.as_str()]);
    for c in &containers {
        assert_eq!(c.state, "running", "{}", c.name);
        assert_eq!(
            c.label("com.docker.compose.project"),
            Some(env.project.as_str())
        );
        assert_eq!(c.label("com.docker.compose.container-number"), Some("1"));
        assert_eq!(c.label("com.docker.compose.oneoff"), Some("False"));
        let hash = c
            .label("com.docker.compose.config-hash")
            .unwrap_or_default();
        assert_eq!(hash.len(), 64, "config-hash of {}: {hash:?}", c.name);
        assert!(
            c.label("com.docker.compose.version")
                .is_some_and(|v| !v.is_empty()),
            "no version label on {}",
            c.name
        );
        assert!(
            c.networks().contains(&network),
            "{} networks {:?}",
            c.name,
            c.networks()
        );
    }
    assert_eq!(containers[0].service(), "db");
    assert_eq!(containers[1].service(), "web");

    // The second run changes nothing.
    let plan = env.berth_ok(&["plan"]);
    assert!(
        plan.stdout.contains("nothing to do"),
        "plan after up:\n{}",
        plan.stdout
    );
    let json = env.berth_ok(&["plan", "--format", "json"]).json();
    assert_eq!(json["actions"], serde_json::json!([]), "{json:#}");
    env.berth_ok(&["up", "-d"]);
    let after = env.containers();
    assert_eq!(after.len(), containers.len());
    for (before, after) in containers.iter().zip(&after) {
        assert_eq!(before.id, after.id, "{} was recreated", before.name);
        assert_eq!(
            before.started_at, after.started_at,
            "{} was restarted",
            before.name
        );
    }
    assert_eq!(env.networks(), [network]);
}

#[test]
fn labels_hold_no_value_of_the_environment_or_secrets() {
    // Labels are read by anyone who lists containers and by every tool that
    // collects them: berth keeps digests there, never values.
    let file = format!(
        "services:\n{}secrets:\n  token:\n    environment: TOKEN_VALUE\n",
        sleeper(
            "db",
            "    environment:\n      DB_PASSWORD: hunter2-secret\n    secrets: [token]\n"
        )
    );
    let env = TestEnv::new("up-no-values", &file);
    env.cmd(&["up", "-d"])
        .env("TOKEN_VALUE", "tok-3141592")
        .run()
        .assert_code(0);
    let container = env.container(&env.name_of("db", 1));
    let labels = container.raw["Config"]["Labels"].to_string();
    assert!(labels.contains("dev.berth.digests"), "{labels}");
    assert!(labels.contains("environment.DB_PASSWORD"), "{labels}");
    for value in ["hunter2-secret", "tok-3141592"] {
        assert!(!labels.contains(value), "{value} in the labels: {labels}");
    }
    let ps = env.berth_ok(&["ps", "--format", "json"]);
    assert!(!ps.stdout.contains("hunter2-secret"), "{}", ps.stdout);
    // The digests still name the key that changed.
    env.write(
        "compose.yaml",
        &file.replace("hunter2-secret", "other-secret"),
    );
    let plan = env.cmd(&["plan"]).env("TOKEN_VALUE", "tok-3141592").run();
    plan.assert_code(0);
    assert!(
        plan.stdout.contains("environment.DB_PASSWORD changed"),
        "{}",
        plan.stdout
    );
    assert!(!plan.stdout.contains("other-secret"), "{}", plan.stdout);
}

#[test]
fn changed_environment_recreates_only_that_service_and_restarts_restart_dependents() {
    let file = |value: &str| {
        format!(
            "services:\n{}{}{}{}",
            sleeper("db", &format!("    environment:\n      FOO: {value}\n")),
            sleeper(
                "app",
                "    depends_on:\n      db:\n        condition: service_started\n        restart: true\n"
            ),
            sleeper("worker", "    depends_on:\n      - db\n"),
            sleeper("other", ""),
        )
    };
    let env = TestEnv::new("up-recreate", &file("one"));
    env.berth_ok(&["up", "-d"]);
    let before = by_name(&env.containers());
    assert_eq!(before.len(), 4);

    env.write("compose.yaml", &file("two"));
    let plan = env.berth_ok(&["plan", "--format", "json"]).json();
    let actions = plan["actions"].as_array().expect("actions");
    let creates: Vec<&serde_json::Value> = actions
        .iter()
        .filter(|a| a["action"] == "create_container")
        .collect();
    assert_eq!(creates.len(), 1, "{plan:#}");
    assert_eq!(creates[0]["service"], "db");
    let reason = creates[0]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("environment.FOO"), "reason: {reason:?}");

    env.berth_ok(&["up", "-d"]);
    let after = by_name(&env.containers());
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>()
    );
    let db = env.name_of("db", 1);
    assert_ne!(before[&db].id, after[&db].id, "db was not recreated");
    assert_eq!(after[&db].state, "running");
    let env_of_db = after[&db].raw["Config"]["Env"].to_string();
    assert!(env_of_db.contains("FOO=two"), "{env_of_db}");
    // Created under a temporary name, it answers to its own on the network.
    let aliases = &after[&db].raw["NetworkSettings"]["Networks"]
        [format!("{}_default", env.project)]["Aliases"];
    let aliases: Vec<&str> = aliases
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a.as_str())
        .collect();
    assert!(aliases.contains(&db.as_str()), "{aliases:?}");
    assert!(!aliases.iter().any(|a| a.contains('_')), "{aliases:?}");

    let app = env.name_of("app", 1);
    assert_eq!(before[&app].id, after[&app].id, "app was recreated");
    assert_ne!(
        before[&app].started_at, after[&app].started_at,
        "app (restart: true) was not restarted"
    );
    assert_eq!(after[&app].state, "running");

    for service in ["worker", "other"] {
        let name = env.name_of(service, 1);
        assert_eq!(before[&name].id, after[&name].id, "{name} was recreated");
        assert_eq!(
            before[&name].started_at, after[&name].started_at,
            "{name} was restarted"
        );
    }
}

#[test]
fn scale_up_and_down_keeps_replica_numbers() {
    let env = TestEnv::new("up-scale", &format!("services:\n{}", sleeper("web", "")));
    env.berth_ok(&["up", "-d", "--scale", "web=3"]);
    let three = env.containers();
    let names: Vec<String> = three.iter().map(|c| c.name.clone()).collect();
    assert_eq!(
        names,
        [
            env.name_of("web", 1),
            env.name_of("web", 2),
            env.name_of("web", 3)
        ]
    );
    for (i, c) in three.iter().enumerate() {
        assert_eq!(
            c.label("com.docker.compose.container-number"),
            Some((i + 1).to_string().as_str())
        );
        assert_eq!(c.state, "running");
    }

    env.berth_ok(&["up", "-d", "--scale", "web=1"]);
    let one = env.containers();
    assert_eq!(one.len(), 1, "{:?}", env.container_names());
    assert_eq!(one[0].name, env.name_of("web", 1));
    assert_eq!(one[0].id, three[0].id, "web-1 was replaced");

    // Scaling up again fills in 2 and 3, web-1 stays.
    env.berth_ok(&["up", "-d", "--scale", "web=3"]);
    let again = env.containers();
    assert_eq!(again.len(), 3);
    assert_eq!(again[0].id, three[0].id);
    assert_eq!(again[2].name, env.name_of("web", 3));
}

#[test]
fn orphans_are_reported_then_removed_with_remove_orphans() {
    let env = TestEnv::new(
        "up-orphans",
        &format!("services:\n{}{}", sleeper("web", ""), sleeper("old", "")),
    );
    env.berth_ok(&["up", "-d"]);
    env.write(
        "compose.yaml",
        &format!("services:\n{}", sleeper("web", "")),
    );

    let run = env.berth_ok(&["up", "-d"]);
    assert!(
        run.stderr.to_lowercase().contains("orphan"),
        "no orphan warning:\n{}",
        run.stderr
    );
    run.assert_stderr_has(&env.name_of("old", 1));
    assert_eq!(
        env.containers().len(),
        2,
        "the orphan was removed without asking"
    );

    env.berth_ok(&["up", "-d", "--remove-orphans"]);
    assert_eq!(env.container_names(), [env.name_of("web", 1)]);
}

#[test]
fn create_then_up_starts_without_recreating() {
    let env = TestEnv::new(
        "up-create",
        &format!("services:\n{}{}", sleeper("web", ""), sleeper("db", "")),
    );
    env.berth_ok(&["create"]);
    let created = env.containers();
    assert_eq!(created.len(), 2);
    for c in &created {
        assert_eq!(c.state, "created", "{}", c.name);
    }
    env.berth_ok(&["up", "-d"]);
    let up = env.containers();
    assert_eq!(up.len(), 2);
    for (before, after) in created.iter().zip(&up) {
        assert_eq!(before.id, after.id, "{} was recreated", before.name);
        assert_eq!(after.state, "running", "{}", after.name);
    }
}

#[test]
fn no_deps_creates_only_the_named_service() {
    let env = TestEnv::new(
        "up-no-deps",
        &format!(
            "services:\n{}{}",
            sleeper("db", ""),
            sleeper("web", "    depends_on:\n      - db\n")
        ),
    );
    env.berth_ok(&["up", "-d", "--no-deps", "web"]);
    assert_eq!(env.container_names(), [env.name_of("web", 1)]);
    assert_eq!(env.container(&env.name_of("web", 1)).state, "running");

    // Without --no-deps the dependency comes along.
    env.berth_ok(&["up", "-d", "web"]);
    assert_eq!(
        env.container_names(),
        [env.name_of("db", 1), env.name_of("web", 1)]
    );
}

#[test]
fn no_recreate_keeps_and_force_recreate_replaces() {
    let file = |value: &str| {
        format!(
            "services:\n{}{}",
            sleeper("web", &format!("    environment:\n      V: \"{value}\"\n")),
            sleeper("db", "")
        )
    };
    let env = TestEnv::new("up-force", &file("1"));
    env.berth_ok(&["up", "-d"]);
    let first = env.containers();

    env.write("compose.yaml", &file("2"));
    env.berth_ok(&["up", "-d", "--no-recreate"]);
    let kept = env.containers();
    for (a, b) in first.iter().zip(&kept) {
        assert_eq!(a.id, b.id, "--no-recreate recreated {}", a.name);
    }

    env.berth_ok(&["up", "-d", "--force-recreate", "-t", "0"]);
    let forced = env.containers();
    assert_eq!(forced.len(), 2);
    for (a, b) in first.iter().zip(&forced) {
        assert_eq!(a.name, b.name);
        assert_ne!(a.id, b.id, "--force-recreate kept {}", a.name);
        assert_eq!(b.state, "running", "{}", b.name);
    }
    let web = env.container(&env.name_of("web", 1));
    assert!(web.raw["Config"]["Env"].to_string().contains("V=2"));
}

#[test]
fn up_restarts_stopped_and_replaces_removed_containers() {
    let env = TestEnv::new(
        "up-repair",
        &format!("services:\n{}{}", sleeper("web", ""), sleeper("db", "")),
    );
    env.berth_ok(&["up", "-d"]);
    let web = env.container(&env.name_of("web", 1));
    let db = env.container(&env.name_of("db", 1));
    crate::harness::docker_ok(&["stop", "-t", "0", &web.id]);
    crate::harness::docker_ok(&["rm", "-f", &db.id]);

    let plan = env.berth_ok(&["plan"]);
    assert!(
        plan.stdout
            .contains(&format!("start container {}", web.name)),
        "{}",
        plan.stdout
    );
    env.berth_ok(&["up", "-d"]);
    let web2 = env.container(&web.name);
    assert_eq!(web2.id, web.id, "the stopped container was recreated");
    assert_eq!(web2.state, "running");
    let db2 = env.container(&db.name);
    assert_ne!(db2.id, db.id);
    assert_eq!(db2.state, "running");
}

#[test]
fn progress_json_quiet_and_on_stdout() {
    let env = TestEnv::new("up-progress", &format!("services:\n{}", sleeper("web", "")));
    let run = env.berth_ok(&["--progress", "json", "up", "-d"]);
    let events: Vec<serde_json::Value> = run
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {l:?}\n{}", run.stderr))
        })
        .collect();
    let web = env.name_of("web", 1);
    assert!(
        events
            .iter()
            .any(|e| e["name"] == web.as_str() && e["text"] == "Started"),
        "{}",
        run.stderr
    );
    // Docker Compose's own fields, for parsers written for it, and every
    // line as the documented schema says.
    let compose_id = format!("Container {web}");
    assert!(
        events
            .iter()
            .any(|e| e["id"] == compose_id.as_str() && e["status"] == "Started"),
        "{}",
        run.stderr
    );
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../schemas/progress.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the progress schema compiles");
    for event in &events {
        let errors: Vec<String> = validator
            .iter_errors(event)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{event}: {errors:?}");
    }

    let run = env.berth_ok(&[
        "--progress",
        "quiet",
        "up",
        "-d",
        "--force-recreate",
        "-t",
        "0",
    ]);
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "");

    // COMPOSE_STATUS_STDOUT: the same lines, on stdout.
    let run = env
        .cmd(&[
            "--progress",
            "plain",
            "up",
            "-d",
            "--force-recreate",
            "-t",
            "0",
        ])
        .env("COMPOSE_STATUS_STDOUT", "1")
        .run();
    run.assert_code(0);
    assert!(
        run.stdout.contains(&format!(" Container {web}  Started")) && !run.stderr.contains(&web),
        "stdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
}

#[test]
fn changed_network_is_recreated_and_its_containers_reconnected() {
    let file = |labels: &str| {
        format!(
            "services:\n{}{}networks:\n  back:\n{labels}",
            sleeper("api", "    networks: [back]\n"),
            sleeper(
                "web",
                "    networks:\n      back:\n        aliases: [www]\n"
            ),
        )
    };
    let env = TestEnv::new("up-network-change", &file(""));
    env.berth_ok(&["up", "-d"]);
    let network = format!("{}_back", env.project);
    let network_id = |env: &TestEnv| {
        let _ = env;
        crate::harness::docker_ok(&["network", "inspect", "--format", "{{.Id}}", &network])
            .trim()
            .to_string()
    };
    let old_network = network_id(&env);
    let before = by_name(&env.containers());

    env.write("compose.yaml", &file("    labels:\n      tier: back\n"));
    let plan = env.berth_ok(&["plan", "--format", "json"]).json();
    let actions = plan["actions"].as_array().expect("actions");
    let recreate = actions
        .iter()
        .find(|a| a["action"] == "create_network")
        .unwrap_or_else(|| panic!("no network create in {plan:#}"));
    let reason = recreate["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("labels.tier"), "reason: {reason:?}");
    assert!(
        !actions.iter().any(|a| a["action"] == "create_container"),
        "containers are reconnected, not recreated: {plan:#}"
    );

    env.berth_ok(&["up", "-d"]);
    let new_network = network_id(&env);
    assert_ne!(old_network, new_network, "the network was not recreated");
    let label = crate::harness::docker_ok(&[
        "network",
        "inspect",
        "--format",
        "{{index .Labels \"tier\"}}",
        &network,
    ]);
    assert_eq!(label.trim(), "back");
    let after = by_name(&env.containers());
    for (name, container) in &after {
        assert_eq!(container.id, before[name].id, "{name} was recreated");
        assert_eq!(container.state, "running", "{name}");
        let endpoint = &container.raw["NetworkSettings"]["Networks"][&network];
        assert_eq!(endpoint["NetworkID"], new_network.as_str(), "{name}");
    }
    // The alias survived: api reaches web as `www` on the new network.
    env.exec(
        &env.name_of("api", 1),
        &["ping", "-c", "1", "-W", "5", "www"],
    );
    let plan = env.berth_ok(&["plan"]);
    assert!(plan.stdout.contains("nothing to do"), "{}", plan.stdout);
}

#[test]
fn network_mode_service_joins_the_lowest_replica_left() {
    let vpn = sleeper("vpn", "    deploy:\n      replicas: 2\n");
    let env = TestEnv::new("up-netmode-replica", &format!("services:\n{vpn}"));
    env.berth_ok(&["up", "-d"]);
    crate::harness::docker_ok(&["rm", "-f", &env.name_of("vpn", 1)]);

    // Replica 1 is gone: the new one is number 3, and the child joins number 2.
    let app = sleeper("app", "    network_mode: service:vpn\n");
    env.write("compose.yaml", &format!("services:\n{vpn}{app}"));
    env.berth_ok(&["up", "-d"]);
    let vpn2 = env.container(&env.name_of("vpn", 2));
    let app = env.container(&env.name_of("app", 1));
    assert_eq!(app.state, "running");
    assert_eq!(
        app.raw["HostConfig"]["NetworkMode"],
        format!("container:{}", vpn2.id).as_str()
    );
}

#[test]
fn scale_command_sets_the_replica_count() {
    let env = TestEnv::new(
        "scale-cmd",
        &format!("services:\n{}{}", sleeper("web", ""), sleeper("db", "")),
    );
    env.berth_ok(&["up", "-d"]);
    env.berth_ok(&["scale", "web=3"]);
    let names = env.container_names();
    assert_eq!(
        names,
        [
            env.name_of("db", 1),
            env.name_of("web", 1),
            env.name_of("web", 2),
            env.name_of("web", 3)
        ]
    );
    env.berth_ok(&["scale", "web=1"]);
    assert_eq!(
        env.container_names(),
        [env.name_of("db", 1), env.name_of("web", 1)]
    );
    // An unknown service is a project error, as with `up nosuch`.
    let run = env.berth(&["scale", "nosuch=2"]);
    run.assert_code(15)
        .assert_stderr_has("no such service: nosuch");
}

/// Found by the corpus run (`-p name up -d` in a folder without a compose
/// file): the commands that create from the file must fail as Docker
/// Compose's do, not do nothing and exit 0; `down` still works by labels.
#[test]
fn creating_commands_without_a_compose_file_fail() {
    let env = TestEnv::new("up-no-file", &format!("services:\n{}", sleeper("web", "")));
    let empty = tempfile::tempdir().unwrap();
    for args in [
        &["up", "-d"][..],
        &["create"],
        &["pull"],
        &["build"],
        &["push"],
        &["run", "--rm", "web"],
    ] {
        let run = env.cmd(args).current_dir(empty.path()).run();
        assert_ne!(run.code, Some(0), "`{}` succeeded", run.command);
        assert!(
            run.stderr.contains("no configuration file provided"),
            "`{}`:\n{}",
            run.command,
            run.stderr
        );
    }
    assert!(env.containers().is_empty());
    env.cmd(&["down"])
        .current_dir(empty.path())
        .run()
        .assert_code(0);
}

/// Found by comparing the corpus's env-priority fixtures with Docker
/// Compose: the `--env-file` label holds absolute paths, since it is read
/// back from other folders, and `COMPOSE_ENV_FILES` fills it as well.
#[test]
fn env_file_label_holds_absolute_paths() {
    let env = TestEnv::new(
        "up-env-file-label",
        &format!("services:\n{}", sleeper("web", "")),
    );
    env.write("conf/one.env", "A=1\n");
    env.write("two.env", "B=2\n");
    env.berth_ok(&[
        "--env-file",
        "conf/one.env",
        "--env-file",
        "two.env",
        "up",
        "-d",
    ]);
    let web = env.container(&env.name_of("web", 1));
    let dir = env.dir().display().to_string();
    assert_eq!(
        web.label("com.docker.compose.project.environment_file"),
        Some(format!("{dir}/conf/one.env,{dir}/two.env").as_str())
    );
    env.berth_ok(&["down"]);

    // COMPOSE_ENV_FILES names them too; a default .env is not recorded.
    env.write(".env", "C=3\n");
    env.cmd(&["up", "-d"])
        .env("COMPOSE_ENV_FILES", "two.env")
        .run()
        .assert_code(0);
    let web = env.container(&env.name_of("web", 1));
    assert_eq!(
        web.label("com.docker.compose.project.environment_file"),
        Some(format!("{dir}/two.env").as_str())
    );
    env.berth_ok(&["down"]);
    env.berth_ok(&["up", "-d"]);
    let web = env.container(&env.name_of("web", 1));
    assert_eq!(
        web.label("com.docker.compose.project.environment_file"),
        None
    );
    env.berth_ok(&["down"]);
}

/// Found by the corpus's model and providers fixtures: Docker Compose runs
/// plugins for these and fails without them; berth ignored `models` (the
/// service started without its model) and pulled a made-up image for a
/// provider service. Both now fail up front, naming the key.
#[test]
fn models_and_provider_services_are_refused_clearly() {
    let compose = format!(
        "services:\n{}  helper:\n    provider:\n      type: example-provider\n\
         models:\n  llm:\n    model: ai/smollm2\n",
        sleeper("web", "    models: [llm]\n")
    );
    let env = TestEnv::new("up-models-provider", &compose);
    let run = env.berth(&["up", "-d", "web"]);
    assert_ne!(run.code, Some(0), "up with models succeeded");
    run.assert_stderr_has("uses models (llm)");
    let run = env.berth(&["up", "-d", "helper"]);
    assert_ne!(run.code, Some(0), "up of a provider service succeeded");
    assert!(
        run.stderr.contains("\"example-provider\"") && !run.stderr.contains("pull"),
        "{}",
        run.stderr
    );
    assert!(env.containers().is_empty());
}

/// Found by comparing the corpus's empty-variable fixture with Docker
/// Compose: a variable listed without a value and unset around reaches the
/// engine bare, which makes the engine drop an image's value for it.
#[test]
fn environment_name_without_value_unsets_the_image_value() {
    let env = TestEnv::new(
        "up-env-unset",
        &format!(
            "services:\n{}",
            sleeper("web", "    environment:\n      - BERTH_E2E_NOT_SET\n")
        ),
    );
    env.berth_ok(&["up", "-d", "--no-start"]);
    let web = env.container(&env.name_of("web", 1));
    let vars: Vec<&str> = web.raw["Config"]["Env"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(vars.contains(&"BERTH_E2E_NOT_SET"), "{vars:?}");
    env.berth_ok(&["down"]);
}
