//! `berth stack` against the harness's own single-node swarm (a second
//! dockerd, see `swarm_engine`). Stack names start with `bs`.

use std::collections::BTreeMap;

use crate::harness::{Registry, Run, TestEnv};
use crate::swarm_engine::{sdocker, sdocker_ok, swarm};

/// A test's stack: its project directory, and the stack removed from the
/// swarm when the test ends, pass or fail.
struct StackEnv {
    env: TestEnv,
    name: String,
}

impl StackEnv {
    fn new(test: &str, compose: &str) -> StackEnv {
        swarm();
        let env = TestEnv::new(test, compose);
        let name = format!("bs{}{}", &test.replace('_', "")[..6], std::process::id());
        StackEnv { env, name }
    }

    /// `berth <args>` against the swarm engine.
    fn berth(&self, args: &[&str]) -> Run {
        self.env.cmd(args).env("DOCKER_HOST", &swarm().host).run()
    }

    fn deploy(&self, extra: &[&str]) -> Run {
        let mut args = vec!["stack", "deploy", "--resolve-image", "never"];
        args.extend(extra);
        args.push(&self.name);
        self.berth(&args)
    }

    /// `--dry-run stack deploy`: the plan, on standard output.
    fn plan(&self) -> Run {
        let run = self.berth(&[
            "--dry-run",
            "stack",
            "deploy",
            "--resolve-image",
            "never",
            &self.name,
        ]);
        run.assert_code(0);
        run
    }

    /// Of the app's services, `web` has a new version and `db` its old one.
    fn assert_only_web_updated(&self, before: &BTreeMap<String, String>) {
        let after = self.versions();
        assert_ne!(after[&self.service("web")], before[&self.service("web")]);
        assert_eq!(after[&self.service("db")], before[&self.service("db")]);
    }

    fn service(&self, key: &str) -> String {
        format!("{}_{key}", self.name)
    }

    /// `Version.Index` of each service of the stack, by name.
    fn versions(&self) -> BTreeMap<String, String> {
        let filter = format!("label=com.docker.stack.namespace={}", self.name);
        let out = sdocker_ok(&["service", "ls", "-q", "--filter", &filter]);
        out.split_whitespace()
            .map(|id| {
                let line = sdocker_ok(&[
                    "service",
                    "inspect",
                    "--format",
                    "{{.Spec.Name}} {{.Version.Index}}",
                    id,
                ]);
                let (name, version) = line.trim().split_once(' ').unwrap();
                (name.to_string(), version.to_string())
            })
            .collect()
    }

    /// A running task container of a service, on the swarm engine.
    fn container(&self, key: &str) -> String {
        let filter = format!("label=com.docker.swarm.service.name={}", self.service(key));
        let out = sdocker_ok(&["ps", "-q", "--filter", &filter]);
        out.split_whitespace()
            .next()
            .unwrap_or_else(|| panic!("no running container of {}", self.service(key)))
            .to_string()
    }

    /// Objects of the stack of one kind (`service`, `network`, `config`, `secret`).
    fn objects(&self, kind: &str) -> Vec<String> {
        let filter = format!("label=com.docker.stack.namespace={}", self.name);
        let out = sdocker_ok(&[kind, "ls", "-q", "--filter", &filter]);
        out.split_whitespace().map(str::to_string).collect()
    }
}

impl Drop for StackEnv {
    fn drop(&mut self) {
        let _ = sdocker(&["stack", "rm", &self.name]);
    }
}

fn ok(run: &Run) -> &Run {
    run.assert_code(0)
}

const APP: &str = r#"
name: ignored-by-the-stack-name
services:
  web:
    image: busybox:${TAG}
    command: ["sh", "-c", "cat /page.txt; sleep 1000"]
    stop_grace_period: 1s
    environment:
      GREETING: hello
    configs:
      - source: page
        target: /page.txt
    secrets:
      - source: token
        mode: 0400
    deploy:
      replicas: 2
    depends_on:
      db:
        condition: service_healthy
  db:
    image: busybox:${TAG}
    command: ["sleep", "1000"]
    stop_grace_period: 1s
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
  debug:
    image: busybox:${TAG}
    profiles: [debug]
configs:
  page:
    file: ./page.txt
secrets:
  token:
    environment: TOKEN
"#;

fn app(test: &str) -> StackEnv {
    let stack = StackEnv::new(test, APP);
    stack.env.write(".env", "TAG=latest\nTOKEN=s3cret\n");
    stack.env.write("page.txt", "first\n");
    stack
}

#[test]
fn swarm_deploy_converges_and_an_unchanged_redeploy_updates_nothing() {
    let stack = app("deploy_converges");
    let run = stack.deploy(&[]);
    ok(&run);
    assert!(
        run.stderr
            .contains(&format!("service {}  Converged", stack.service("web")))
    );
    // docker's own CLI sees the stack, every task running.
    let ps = sdocker_ok(&[
        "stack",
        "ps",
        &stack.name,
        "--format",
        "{{.Name}} {{.CurrentState}}",
    ]);
    let running: Vec<&str> = ps.lines().filter(|l| l.contains("Running")).collect();
    assert_eq!(running.len(), 3, "{ps}");
    assert!(
        !ps.contains("debug"),
        "a disabled profile was deployed: {ps}"
    );
    // The secret's mode is the file's.
    let mode = sdocker_ok(&[
        "exec",
        &stack.container("web"),
        "stat",
        "-c",
        "%a",
        "/run/secrets/token",
    ]);
    assert_eq!(mode.trim(), "400");
    let before = stack.versions();
    let again = stack.deploy(&[]);
    ok(&again);
    assert_eq!(
        stack.versions(),
        before,
        "an unchanged redeploy updated a service"
    );
    assert!(again.stderr.contains("(unchanged)"), "{}", again.stderr);
}

#[test]
fn swarm_changed_config_reaches_only_its_service() {
    let stack = app("changed_config");
    ok(&stack.deploy(&[]));
    let before = stack.versions();
    let configs_before = stack.objects("config");
    stack.env.write("page.txt", "second\n");
    let plan = stack.plan();
    assert!(plan.stdout.contains("new version"), "{}", plan.stdout);
    ok(&stack.deploy(&[]));
    stack.assert_only_web_updated(&before);
    let page = sdocker_ok(&["exec", &stack.container("web"), "cat", "/page.txt"]);
    assert_eq!(page, "second\n");
    // The old version is gone, the new one is the only config of the stack.
    let configs = stack.objects("config");
    assert_eq!(configs.len(), 1);
    assert_ne!(configs, configs_before);
}

#[test]
fn swarm_depends_on_waits_for_healthy_and_completed_dependencies() {
    let stack = StackEnv::new(
        "depends_on",
        r#"
services:
  web:
    image: busybox:latest
    command: ["sleep", "1000"]
    stop_grace_period: 1s
    depends_on:
      db: {condition: service_healthy}
      migrate: {condition: service_completed_successfully}
  db:
    image: busybox:latest
    command: ["sleep", "1000"]
    stop_grace_period: 1s
    healthcheck: {test: ["CMD", "true"], interval: 1s}
  migrate:
    image: busybox:latest
    command: ["true"]
"#,
    );
    let run = stack.deploy(&[]);
    ok(&run);
    let line = |text: &str| {
        run.stderr
            .lines()
            .position(|l| l.contains(text))
            .unwrap_or_else(|| panic!("no {text:?} in:\n{}", run.stderr))
    };
    let web_created = line(&format!("service {}  Created", stack.service("web")));
    assert!(line(&format!("service {}  Converged", stack.service("db"))) < web_created);
    assert!(line(&format!("service {}  Converged", stack.service("migrate"))) < web_created);
    let migrate = sdocker_ok(&[
        "service",
        "ps",
        &stack.service("migrate"),
        "--format",
        "{{.CurrentState}}",
    ]);
    assert!(migrate.starts_with("Complete"), "{migrate}");
}

#[test]
fn swarm_failing_task_fails_the_deploy_with_its_error() {
    let stack = StackEnv::new(
        "failing_task",
        r#"
services:
  web:
    image: busybox:latest
    command: ["sh", "-c", "exit 3"]
    depends_on:
      setup: {condition: service_completed_successfully}
  setup:
    image: busybox:latest
    command: ["sh", "-c", "exit 3"]
"#,
    );
    let run = stack.deploy(&[]);
    run.assert_code(17);
    run.assert_stderr_has("did not converge")
        .assert_stderr_has("exit code 3");
    assert!(
        stack.objects("service").len() == 1,
        "web was created after setup failed"
    );
}

#[test]
fn swarm_prune_removes_services_no_longer_in_the_file_and_rm_leaves_nothing() {
    let stack = app("prune_and_rm");
    ok(&stack.deploy(&[]));
    stack.env.write(
        "compose.yaml",
        "services:\n  db:\n    image: busybox:latest\n    command: [sleep, '1000']\n    stop_grace_period: 1s\n",
    );
    ok(&stack.deploy(&[]));
    assert_eq!(stack.objects("service").len(), 2, "removed without --prune");
    ok(&stack.deploy(&["--prune"]));
    assert_eq!(stack.objects("service").len(), 1);
    ok(&stack.berth(&["stack", "rm", &stack.name]));
    for kind in ["service", "network", "config", "secret"] {
        assert_eq!(stack.objects(kind), Vec::<String>::new(), "{kind}s left");
    }
}

#[test]
fn swarm_docker_stack_and_berth_stack_work_on_each_others_stacks() {
    let stack = app("interop");
    ok(&stack.deploy(&[]));
    let services = sdocker_ok(&["stack", "services", &stack.name, "--format", "{{.Name}}"]);
    assert!(services.contains(&stack.service("web")), "{services}");
    // berth lists what it deployed as docker does.
    let ls = stack.berth(&["stack", "ls"]);
    assert!(ls.stdout.contains(&stack.name), "{}", ls.stdout);
    let ps = stack.berth(&["stack", "ps", &stack.name]);
    assert_eq!(
        ps.stdout
            .lines()
            .filter(|l| l.contains(" running "))
            .count(),
        3,
        "{}",
        ps.stdout
    );
    let dry = stack.berth(&["--dry-run", "stack", "rm", &stack.name]);
    dry.assert_stderr_has(&format!("would remove service {}", stack.service("web")));
    sdocker_ok(&["stack", "rm", &stack.name]);
    assert_eq!(stack.objects("service"), Vec::<String>::new());
    // docker's own deploy of a v3 file (under another name: docker's rm
    // returns before the network is gone), listed and removed by berth.
    let other = format!("{}v3", stack.name);
    stack.env.write(
        "v3.yaml",
        "version: '3.8'\nservices:\n  api:\n    image: busybox:latest\n    command: [sleep, '1000']\n",
    );
    let v3 = stack.env.dir().join("v3.yaml");
    sdocker_ok(&[
        "stack",
        "deploy",
        "--resolve-image",
        "never",
        "-c",
        v3.to_str().unwrap(),
        &other,
    ]);
    let listed = stack.berth(&["stack", "services", &other]);
    ok(&listed);
    assert!(
        listed.stdout.contains(&format!("{other}_api")),
        "{}",
        listed.stdout
    );
    ok(&stack.berth(&["stack", "rm", &other]));
    let filter = format!("label=com.docker.stack.namespace={other}");
    for kind in ["service", "network"] {
        let left = sdocker_ok(&[kind, "ls", "-q", "--filter", &filter]);
        assert_eq!(left.trim(), "", "{kind}s of {other} left");
    }
}

#[test]
fn swarm_an_engine_that_is_not_a_manager_is_refused_with_the_fix() {
    // The main engine is no swarm manager (and never becomes one here).
    let env = TestEnv::new("not_a_manager", "services:\n  web:\n    image: busybox\n");
    let run = env.berth(&[
        "stack",
        "deploy",
        "--resolve-image",
        "never",
        "bsnotmanager",
    ]);
    run.assert_code(1);
    run.assert_stderr_has("is not a swarm manager")
        .assert_stderr_has("docker swarm init");
}

#[test]
fn swarm_every_mapped_key_survives_an_unchanged_redeploy() {
    let stack = StackEnv::new(
        "rich_spec",
        r#"
services:
  web:
    image: busybox:latest
    command: ["sleep", "1000"]
    entrypoint: ["/bin/sh", "-c", "exec \"$$@\"", "--"]
    hostname: webhost
    user: "0:0"
    working_dir: /tmp
    read_only: true
    stop_signal: SIGINT
    stop_grace_period: 1s
    environment: [A=1, B=two]
    labels: {tier: front}
    extra_hosts: ["gateway=10.1.2.3"]
    dns_opt: [ndots:2]
    cap_add: [NET_ADMIN]
    cap_drop: [MKNOD]
    ulimits: {nofile: {soft: 1024, hard: 2048}}
    group_add: ["100"]
    logging: {driver: json-file, options: {max-size: 1m}}
    healthcheck: {test: ["CMD", "true"], interval: 1s, retries: 3}
    volumes:
      - data:/data
      - ./:/project:ro
      - type: tmpfs
        target: /scratch
        tmpfs: {size: 1048576}
    tmpfs: [/run/extra]
    secrets:
      - source: token
        uid: "1"
        gid: "2"
        mode: 0440
    networks:
      front: {aliases: [www]}
    deploy:
      replicas: 2
      endpoint_mode: dnsrr
      labels: {team: shop}
      resources:
        limits: {cpus: "0.5", memory: 64M, pids: 100}
        reservations: {cpus: "0.1", memory: 8M}
      restart_policy: {condition: on-failure, delay: 1s, max_attempts: 5, window: 10s}
      placement:
        constraints: [node.role==manager]
        preferences: [{spread: node.id}]
        max_replicas_per_node: 4
      update_config: {parallelism: 2, delay: 1s, order: start-first, failure_action: rollback, monitor: 2s, max_failure_ratio: 0.5}
      rollback_config: {parallelism: 1, order: stop-first}
  agent:
    image: busybox:latest
    command: ["sleep", "1000"]
    stop_grace_period: 1s
    deploy: {mode: global}
    networks: [front]
secrets:
  token:
    file: ./token.txt
networks:
  front: {attachable: true, driver_opts: {com.docker.network.driver.mtu: "1400"}}
volumes:
  data: {labels: {kept: "yes"}}
"#,
    );
    stack.env.write("token.txt", "t0k3n");
    ok(&stack.deploy(&[]));
    let before = stack.versions();
    let again = stack.deploy(&[]);
    ok(&again);
    assert_eq!(stack.versions(), before, "updated:\n{}", again.stderr);
    let id = sdocker_ok(&[
        "exec",
        &stack.container("web"),
        "stat",
        "-c",
        "%u:%g %a",
        "/run/secrets/token",
    ]);
    assert_eq!(id.trim(), "1:2 440");
    let mode = sdocker_ok(&[
        "service",
        "inspect",
        "--format",
        "{{json .Spec.Mode}}",
        &stack.service("agent"),
    ]);
    assert!(mode.contains("Global"), "{mode}");
}

#[test]
fn swarm_deploy_build_builds_pushes_and_runs_the_registry_image() {
    let registry = Registry::start(false);
    let image = format!("{}/bsbuild/app:1", registry.address);
    let stack = StackEnv::new(
        "build_push",
        &format!(
            "services:\n  app:\n    build: .\n    image: {image}\n    command: [sleep, '1000']\n    stop_grace_period: 1s\n"
        ),
    );
    stack.env.write(
        "Dockerfile",
        "FROM busybox:latest\nRUN echo built > /built\n",
    );
    let run = stack
        .env
        .cmd(&["stack", "deploy", "--build", &stack.name])
        .env("DOCKER_HOST", &swarm().host)
        .env("DOCKER_BUILDKIT", "0")
        .run();
    ok(&run);
    // The tasks run the pushed image, pinned to the registry's digest.
    let spec = sdocker_ok(&[
        "service",
        "inspect",
        "--format",
        "{{.Spec.TaskTemplate.ContainerSpec.Image}}",
        &stack.service("app"),
    ]);
    assert!(spec.starts_with(&format!("{image}@sha256:")), "{spec}");
    let built = sdocker_ok(&["exec", &stack.container("app"), "cat", "/built"]);
    assert_eq!(built, "built\n");
}

#[test]
fn swarm_a_build_only_service_is_refused_with_the_reason() {
    let stack = StackEnv::new("build_only", "services:\n  app:\n    build: .\n");
    let run = stack.deploy(&["--build"]);
    run.assert_code(15);
    run.assert_stderr_has("has no image");
}

#[test]
fn swarm_scale_and_secret_rotation_update_only_their_service() {
    let stack = app("rotation");
    ok(&stack.deploy(&[]));
    let before = stack.versions();
    let secrets_before = stack.objects("secret");
    stack
        .env
        .write("compose.yaml", &APP.replace("replicas: 2", "replicas: 3"));
    stack.env.write(".env", "TAG=latest\nTOKEN=rotated\n");
    let plan = stack.plan();
    assert!(plan.stdout.contains("replicas 2 → 3"), "{}", plan.stdout);
    assert!(
        plan.stdout
            .contains("secrets /run/secrets/token: new version"),
        "{}",
        plan.stdout
    );
    assert!(
        !plan.stdout.contains("rotated"),
        "a secret value in the plan"
    );
    ok(&stack.deploy(&[]));
    stack.assert_only_web_updated(&before);
    let running = sdocker_ok(&[
        "service",
        "ls",
        "--filter",
        &format!("name={}", stack.service("web")),
        "--format",
        "{{.Replicas}}",
    ]);
    assert_eq!(running.trim(), "3/3");
    let token = sdocker_ok(&["exec", &stack.container("web"), "cat", "/run/secrets/token"]);
    assert_eq!(token, "rotated");
    let secrets = stack.objects("secret");
    assert_eq!(secrets.len(), 1);
    assert_ne!(secrets, secrets_before);
}

#[test]
fn swarm_a_failing_update_is_rolled_back_and_reported() {
    let file = |command: &str| {
        format!(
            "services:\n  web:\n    image: busybox:latest\n    command: {command}\n    stop_grace_period: 1s\n    deploy:\n      update_config: {{failure_action: rollback, monitor: 1s}}\n"
        )
    };
    let stack = StackEnv::new("rollback", &file("[sleep, '1000']"));
    ok(&stack.deploy(&[]));
    stack.env.write("compose.yaml", &file("[sh, -c, 'exit 3']"));
    let run = stack.deploy(&[]);
    run.assert_code(17);
    run.assert_stderr_has("rollback completed");
    let args = stack.service("web");
    let held = sdocker_ok(&[
        "service",
        "inspect",
        "--format",
        "{{json .Spec.TaskTemplate.ContainerSpec.Args}}",
        &args,
    ]);
    assert!(held.contains("sleep"), "not rolled back: {held}");
}

#[test]
fn swarm_the_whole_specification_is_read() {
    let stack = StackEnv::new(
        "whole_spec",
        r#"
include:
  - extra.yaml
services:
  web:
    extends: {file: base.yaml, service: base}
    image: busybox:${TAG}
    environment:
      FROM_FILE: ${FROM_ENV_FILE}
    labels: !reset {}
"#,
    );
    stack.env.write(
        "base.yaml",
        "services:\n  base:\n    command: [sleep, '1000']\n    stop_grace_period: 1s\n    labels: {dropped: 'yes'}\n",
    );
    stack.env.write(
        "extra.yaml",
        "services:\n  side:\n    image: busybox:latest\n    command: [sleep, '1000']\n    stop_grace_period: 1s\n",
    );
    stack
        .env
        .write("custom.env", "TAG=latest\nFROM_ENV_FILE=custom\n");
    let run = stack
        .env
        .cmd(&[
            "--env-file",
            "custom.env",
            "stack",
            "deploy",
            "--resolve-image",
            "never",
            &stack.name,
        ])
        .env("DOCKER_HOST", &swarm().host)
        .run();
    ok(&run);
    let env = sdocker_ok(&[
        "service",
        "inspect",
        "--format",
        "{{json .Spec.TaskTemplate.ContainerSpec}}",
        &stack.service("web"),
    ]);
    assert!(env.contains("FROM_FILE=custom"), "{env}");
    assert!(env.contains("sleep"), "extends not applied: {env}");
    assert!(!env.contains("dropped"), "!reset not applied: {env}");
    assert_eq!(
        stack.objects("service").len(),
        2,
        "the included service is missing"
    );
}

#[test]
fn swarm_with_registry_auth_lets_the_nodes_pull_from_a_private_registry() {
    let registry = Registry::start(true);
    let image = format!("{}/bsauth/app:1", registry.address);
    let compose = format!(
        "services:\n  app:\n    build: .\n    image: {image}\n    command: [sleep, '1000']\n    stop_grace_period: 1s\n"
    );
    let stack = StackEnv::new("registry_auth", &compose);
    stack.env.write(
        "Dockerfile",
        "FROM busybox:latest\nRUN echo built > /built\n",
    );
    crate::images::write_auths(&stack.env, "auths", &registry.address);
    let config = stack.env.dir().join("auths").display().to_string();
    let deploy = |name: &str, extra: &[&str]| {
        let mut args = vec!["stack", "deploy", "--resolve-image", "never"];
        args.extend(extra);
        args.push(name);
        stack
            .env
            .cmd(&args)
            .env("DOCKER_HOST", &swarm().host)
            .env("DOCKER_CONFIG", &config)
            .env("DOCKER_BUILDKIT", "0")
            .run()
    };
    let build = stack
        .env
        .cmd(&["build", "--push"])
        .env("DOCKER_HOST", &swarm().host)
        .env("DOCKER_CONFIG", &config)
        .env("DOCKER_BUILDKIT", "0")
        .run();
    ok(&build);
    // The node must pull it: the copy the build left is removed.
    sdocker_ok(&["rmi", &image]);
    // Without the flag, the registry turns the node away...
    let other = format!("{}noauth", stack.name);
    let refused = deploy(&other, &[]);
    let _ = sdocker(&["stack", "rm", &other]);
    refused.assert_code(17);
    // ...with it, the node pulls with the user's credentials.
    ok(&deploy(&stack.name, &["--with-registry-auth"]));
}
