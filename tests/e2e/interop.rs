//! Interoperability with Docker Compose v2: each sees the other's stacks.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::harness::{TestEnv, docker_compose, docker_ok};
use crate::up::sleeper;

fn compose(env: &TestEnv, binary: &Path, args: &[&str]) -> std::process::Output {
    Command::new(binary)
        .args(["-p", &env.project])
        .args(args)
        .current_dir(env.dir())
        .env("PWD", env.dir())
        .env_remove("COMPOSE_FILE")
        .env_remove("COMPOSE_PROJECT_NAME")
        .stdin(Stdio::null())
        .output()
        .expect("run docker-compose")
}

/// `docker-compose ps --format json` prints an array or one object a line.
fn parse_ps(text: &str) -> Vec<Value> {
    let text = text.trim();
    if text.starts_with('[') {
        return serde_json::from_str::<Vec<Value>>(text).expect("ps JSON");
    }
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("ps JSON line"))
        .collect()
}

#[test]
fn docker_compose_sees_berth_stack_and_berth_removes_compose_stack() {
    let Some(binary) = docker_compose() else {
        eprintln!("SKIPPED (BERTH_E2E_SKIP_INTEROP): Docker Compose v2 is not installed");
        return;
    };
    let file = format!("services:\n{}{}", sleeper("web", ""), sleeper("db", ""));
    let env = TestEnv::new("interop", &file);

    // berth up, Docker Compose lists it.
    env.berth_ok(&["up", "-d"]);
    let out = compose(&env, &binary, &["ps", "--format", "json"]);
    assert!(
        out.status.success(),
        "docker-compose ps: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = parse_ps(&String::from_utf8_lossy(&out.stdout));
    let mut names: Vec<&str> = listed.iter().filter_map(|c| c["Name"].as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        [env.name_of("db", 1), env.name_of("web", 1)],
        "{listed:#?}"
    );
    for c in &listed {
        assert_eq!(c["State"], "running", "{c:#}");
    }
    env.berth_ok(&["down"]);
    assert!(env.containers().is_empty());

    // Docker Compose up, berth plan is a no-op and berth down removes it all.
    let out = compose(&env, &binary, &["up", "-d"]);
    assert!(
        out.status.success(),
        "docker-compose up: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(env.containers().len(), 2);
    assert_eq!(env.networks().len(), 1);
    env.berth_ok(&["down"]);
    assert!(env.containers().is_empty(), "{:?}", env.container_names());
    assert!(env.networks().is_empty(), "{:?}", env.networks());
}

/// The IDs of the project's containers and networks, by name: equal
/// before and after a command means it recreated nothing.
fn object_ids(env: &TestEnv) -> Vec<(String, String)> {
    let mut ids: Vec<(String, String)> = env
        .containers()
        .into_iter()
        .map(|c| (c.name, c.id))
        .collect();
    for network in env.networks() {
        let id = docker_ok(&["network", "inspect", "-f", "{{.Id}}", &network]);
        ids.push((network, id.trim().to_string()));
    }
    ids
}

/// Each tool's `up -d` keeps what the other made for `file`: the same
/// containers and networks (berth writes Docker Compose's own hashes), and
/// `berth plan` on Docker Compose's stack has nothing to do.
fn each_tool_keeps_the_others_stack(test: &str, file: &str, files: &[(&str, &str)]) {
    let Some(binary) = docker_compose() else {
        eprintln!("SKIPPED (BERTH_E2E_SKIP_INTEROP): Docker Compose v2 is not installed");
        return;
    };
    let env = TestEnv::new(test, file);
    for (name, text) in files {
        env.write(name, text);
    }
    let compose_up = |env: &TestEnv| {
        let out = compose(env, &binary, &["up", "-d", "--wait"]);
        assert!(
            out.status.success(),
            "docker-compose up: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };

    compose_up(&env);
    let before = object_ids(&env);
    assert!(!before.is_empty());
    let plan = env.berth_ok(&["plan"]);
    assert!(
        plan.stdout.contains("nothing to do"),
        "berth would change Docker Compose's stack:\n{}",
        plan.stdout
    );
    env.berth_ok(&["up", "-d", "--wait"]);
    assert_eq!(
        before,
        object_ids(&env),
        "berth recreated Docker Compose's objects"
    );
    env.berth_ok(&["down"]);

    // And the other way round: Docker Compose's up leaves berth's stack be.
    env.berth_ok(&["up", "-d", "--wait"]);
    let before = object_ids(&env);
    compose_up(&env);
    assert_eq!(
        before,
        object_ids(&env),
        "docker-compose recreated berth's objects"
    );
    env.berth_ok(&["down", "-v"]);
}

#[test]
fn each_tool_keeps_the_others_ports_healthchecks_and_environment() {
    let file = r#"
services:
  web:
    image: busybox
    init: true
    command: ["sh", "-c", "sleep 3600"]
    ports: ["127.0.0.1::8080", "127.0.0.1::53/udp"]
    expose: ["9000"]
    environment:
      URL: "http://a?b=1&c=<d>"
      EMPTY:
      QUOTED: 'say "hi" $$HOME'
    env_file: [web.env]
    labels: {tier: front, "com.example.x": "1"}
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
      timeout: 2s
      retries: 3
    restart: unless-stopped
    depends_on:
      db: {condition: service_healthy}
  db:
    image: busybox
    init: true
    command: sleep 3600
    healthcheck:
      test: "true"
      interval: 1s
    stop_signal: SIGKILL
  debug:
    image: busybox
    profiles: [debug]
    command: sleep 3600
"#;
    each_tool_keeps_the_others_stack(
        "interop-ports",
        file,
        &[("web.env", "FROM_FILE=1\nOTHER=two words\n")],
    );
}

#[test]
fn each_tool_keeps_the_others_networks_volumes_and_namespaces() {
    let file = r#"
services:
  app:
    image: busybox
    init: true
    command: sleep 3600
    networks:
      back:
        aliases: [api]
        ipv4_address: 10.213.77.10
      front: {}
    volumes:
      - data:/data
      - ./conf:/conf:ro
    secrets: [token]
    configs:
      - source: settings
        target: /etc/settings
  sidecar:
    image: busybox
    init: true
    command: sleep 3600
    network_mode: service:app
    volumes_from: ["app:ro"]
    depends_on: [app]
  cache:
    image: busybox
    init: true
    command: sleep 3600
    # Not beside volumes_from: Engine 20.10 then fails ("no such volume").
    volumes:
      - type: tmpfs
        target: /scratch
        tmpfs: {size: 1048576}
networks:
  back:
    ipam:
      config:
        - subnet: 10.213.77.0/24
    labels: {purpose: test}
  front:
    driver_opts: {com.docker.network.driver.mtu: "1400"}
volumes:
  data:
    labels: {keep: "yes"}
secrets:
  token:
    file: ./token.txt
configs:
  settings:
    file: ./settings.ini
"#;
    each_tool_keeps_the_others_stack(
        "interop-net",
        file,
        &[
            ("conf/app.conf", "x=1\n"),
            ("token.txt", "s3cret\n"),
            ("settings.ini", "[a]\nb=c\n"),
        ],
    );
}

#[test]
fn each_tool_keeps_the_others_resources_and_host_settings() {
    let file = r#"
services:
  worker:
    image: busybox
    init: true
    command: sleep 3600
    cpu_shares: 512
    ulimits:
      nofile: {soft: 1024, hard: 2048}
    sysctls: {net.core.somaxconn: "1024"}
    cap_add: [NET_ADMIN]
    cap_drop: [MKNOD]
    extra_hosts: ["somehost=127.0.0.2"]
    user: "1000:1000"
    working_dir: /tmp
    logging:
      driver: json-file
      options: {max-size: 1m}
    deploy:
      replicas: 2
      resources:
        limits: {cpus: "0.7", memory: 64M, pids: 100}
        reservations: {memory: 16M}
"#;
    each_tool_keeps_the_others_stack("interop-res", file, &[]);
}
