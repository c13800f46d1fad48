//! Create fidelity: for the same file, the container berth creates is the
//! container Docker Compose v2 creates, as `docker inspect` shows them.
//!
//! Each stack is created (never started) by Docker Compose, inspected and
//! removed, then created by berth and inspected: one after the other, as a
//! stack may pin a subnet two projects could not share. `Config`,
//! `HostConfig` and the endpoints of `NetworkSettings.Networks` are compared
//! field by field once names that hold the project name are normalised.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::harness::{PROJECT_LABEL, TestEnv, docker, docker_compose, teardown};

/// A file of services, each a case of its own.
struct Stack {
    name: &'static str,
    yaml: &'static str,
}

/// Every service runs the local busybox and is only created.
const STACKS: &[Stack] = &[
    Stack {
        name: "selinux-short",
        yaml: r#"
services:
  short:
    image: busybox
    command: [sleep, "60"]
    volumes:
      - ./data:/data:z
      - ./conf:/etc/x:Z
      - ./data:/ro:ro,z
      - named:/named:Z
      - other:/other
volumes:
  named:
  other:
"#,
    },
    Stack {
        name: "selinux-long",
        yaml: r#"
services:
  long:
    image: busybox
    command: [sleep, "60"]
    volumes:
      - type: bind
        source: ./data
        target: /z-mount-api
        bind: {selinux: z}
      - type: bind
        source: ./conf
        target: /z-binds
        read_only: true
        bind: {create_host_path: true, selinux: Z}
      - type: volume
        source: named
        target: /named
        bind: {selinux: z}
volumes:
  named:
"#,
    },
    Stack {
        name: "binds",
        yaml: r#"
services:
  binds:
    image: busybox
    command: [sleep, "60"]
    volumes:
      - ./data:/short
      - ./data:/short-ro:ro
      - ./data:/short-rslave:rslave
      - type: bind
        source: ./data
        target: /long
      - type: bind
        source: ./missing/dir
        target: /long-missing
      - type: bind
        source: ./conf
        target: /long-existing
        read_only: true
        bind: {create_host_path: false}
      - type: bind
        source: ./data
        target: /long-rshared
        bind: {propagation: rshared}
      - type: bind
        source: ./data
        target: /long-nonrecursive
        bind: {recursive: disabled}
"#,
    },
    // `volume.subpath` is left out: it needs API 1.45, and this engine
    // speaks 1.41 (berth refuses it there rather than mount the whole volume).
    Stack {
        name: "volumes",
        yaml: r#"
services:
  volumes:
    image: busybox
    command: [sleep, "60"]
    volumes:
      - /anonymous
      - named:/named
      - named:/named-ro:ro
      - named:/named-nocopy:nocopy
      - type: volume
        target: /anonymous-long
      - type: volume
        source: other
        target: /long
      - type: volume
        source: other
        target: /long-nocopy
        volume: {nocopy: true}
      - type: volume
        source: other
        target: /long-labels
        volume: {labels: {fid.label: "yes"}}
      - type: volume
        source: external
        target: /external
volumes:
  named:
  other:
    name: ${FID_PROJECT}-other-volume
  external:
    external: true
    name: ${FID_PROJECT}-external-volume
"#,
    },
    Stack {
        name: "tmpfs",
        yaml: r#"
services:
  tmpfs:
    image: busybox
    command: [sleep, "60"]
    tmpfs:
      - /run
      - /cache:size=65536,mode=1777
    volumes:
      - type: tmpfs
        target: /scratch
        tmpfs: {size: 1048576, mode: 0o700}
      - type: tmpfs
        target: /plain
"#,
    },
    Stack {
        name: "files",
        yaml: r#"
services:
  files:
    image: busybox
    command: [sleep, "60"]
    secrets: [token]
    configs:
      - source: settings
        target: /etc/settings.conf
secrets:
  token:
    file: ./conf/token
configs:
  settings:
    file: ./conf/settings
"#,
    },
    Stack {
        name: "cpus",
        yaml: r#"
services:
  cpus-01: {image: busybox, command: [sleep, "60"], cpus: 0.1}
  cpus-02: {image: busybox, command: [sleep, "60"], cpus: 0.2}
  cpus-05: {image: busybox, command: [sleep, "60"], cpus: 0.5}
  cpus-07: {image: busybox, command: [sleep, "60"], cpus: 0.7}
  cpus-15: {image: busybox, command: [sleep, "60"], cpus: "1.5"}
  cpus-199: {image: busybox, command: [sleep, "60"], cpus: 1.99}
"#,
    },
    Stack {
        name: "resources",
        yaml: r#"
services:
  classic:
    image: busybox
    command: [sleep, "60"]
    mem_limit: 64m
    mem_reservation: 32m
    memswap_limit: 128m
    shm_size: 16m
    cpu_shares: 512
    cpu_period: 100000
    cpu_quota: 50000
    cpuset: "0"
    pids_limit: 100
  deploy:
    image: busybox
    command: [sleep, "60"]
    deploy:
      resources:
        limits: {cpus: "0.7", memory: 50M, pids: 42}
        reservations: {cpus: "0.2", memory: 20M}
  deploy-fraction:
    image: busybox
    command: [sleep, "60"]
    deploy:
      resources:
        limits: {cpus: "0.33", memory: 1.5G}
"#,
    },
    Stack {
        name: "network",
        yaml: r#"
services:
  pinned:
    image: busybox
    command: [sleep, "60"]
    networks:
      front:
        ipv4_address: 10.213.47.10
        aliases: [pinned-alias]
    extra_hosts:
      - "somehost:10.213.47.99"
      - "other=10.0.0.2"
    expose: ["3000", "4000/udp", "5000-5001"]
    ports:
      - "127.0.0.1::8080"
  plain:
    image: busybox
    command: [sleep, "60"]
    networks: [front]
  aliased:
    image: busybox
    command: [sleep, "60"]
    networks:
      front:
        aliases: [other-name]
  default-net:
    image: busybox
    command: [sleep, "60"]
networks:
  front:
    ipam:
      config:
        - subnet: 10.213.47.0/24
"#,
    },
    Stack {
        name: "health",
        yaml: r#"
services:
  checked:
    image: busybox
    command: [sleep, "60"]
    healthcheck:
      test: ["CMD", "true"]
      interval: 5s
      timeout: 2s
      retries: 4
      start_period: 1s
  shell:
    image: busybox
    command: [sleep, "60"]
    healthcheck:
      test: "true"
  disabled:
    image: busybox
    command: [sleep, "60"]
    healthcheck:
      disable: true
"#,
    },
    Stack {
        name: "kernel",
        yaml: r#"
services:
  kernel:
    image: busybox
    command: [sleep, "60"]
    ulimits:
      nproc: 65535
      nofile: {soft: 1024, hard: 2048}
    sysctls:
      net.core.somaxconn: 1024
    devices:
      - /dev/null:/dev/fid-null
      - /dev/zero:/dev/fid-zero:rw
"#,
    },
    Stack {
        name: "security",
        yaml: r#"
services:
  caps:
    image: busybox
    command: [sleep, "60"]
    cap_add: [NET_ADMIN, CAP_SYS_TIME]
    cap_drop: [MKNOD, CAP_AUDIT_WRITE]
    security_opt:
      - no-new-privileges:true
      - seccomp=unconfined
      - label:disable
  unconfined:
    image: busybox
    command: [sleep, "60"]
    security_opt: [systempaths=unconfined]
    privileged: false
    read_only: true
"#,
    },
    Stack {
        name: "misc",
        yaml: r#"
services:
  logged:
    image: busybox
    command: [sleep, "60"]
    logging:
      driver: json-file
      options: {max-size: 10m, max-file: "3"}
  misc:
    image: busybox
    entrypoint: [/bin/sh, -c]
    command: [sleep 60]
    init: true
    user: "1000:1000"
    working_dir: /tmp
    stop_signal: SIGINT
    stop_grace_period: 3s
    environment: {A: "1", B: ""}
    restart: on-failure:3
    dns: [10.0.0.53]
    dns_search: [example.test]
    dns_opt: [ndots:2]
    group_add: ["100"]
    oom_score_adj: 100
    tty: true
    stdin_open: true
"#,
    },
];

/// A difference that remains on purpose: which fields and values it
/// covers, and why it does not change the container.
struct Harmless {
    matches: fn(path: &str, compose: &Value, berth: &Value) -> bool,
    #[allow(dead_code)]
    why: &'static str,
}

const HARMLESS: &[Harmless] = &[Harmless {
    matches: |path, compose, berth| {
        let empty = |v: &Value| v.is_null() || v.as_object().is_some_and(serde_json::Map::is_empty);
        (path.ends_with(".VolumeOptions") || path.ends_with(".BindOptions"))
            && empty(compose)
            && empty(berth)
    },
    why: "Docker Compose sends empty mount options when the file has the short syntax or \
          an empty `volume:`/`bind:` key, none for the long syntax without it (and for \
          configs); berth's spec does not record which syntax was used, so it always \
          sends them for volumes and binds. Empty and absent options mean the same \
          to the engine.",
}];

/// Removes the Docker Compose project whatever happens; the berth project
/// is torn down by the `TestEnv` guard.
struct ComposeGuard<'a> {
    binary: &'a Path,
    dir: &'a Path,
    project: String,
}

impl ComposeGuard<'_> {
    fn run(&self, file: &str, args: &[&str]) -> std::process::Output {
        Command::new(self.binary)
            .args(["-p", &self.project, "-f", file])
            .args(args)
            .current_dir(self.dir)
            .env("PWD", self.dir)
            .env("FID_PROJECT", &self.project)
            .env_remove("COMPOSE_FILE")
            .env_remove("COMPOSE_PROJECT_NAME")
            .stdin(Stdio::null())
            .output()
            .expect("run docker-compose")
    }

    fn down(&self, file: &str) {
        let _ = self.run(file, &["down", "-v", "--remove-orphans"]);
        teardown(&self.project, &[]);
    }
}

impl Drop for ComposeGuard<'_> {
    fn drop(&mut self) {
        for stack in STACKS {
            if self.dir.join(file_name(stack)).exists() {
                let _ = self.run(&file_name(stack), &["down", "-v", "--remove-orphans"]);
            }
        }
        teardown(&self.project, &[]);
    }
}

fn file_name(stack: &Stack) -> String {
    format!("{}.yaml", stack.name)
}

/// `docker inspect` of each container of `project`, by service.
fn inspect_project(project: &str) -> BTreeMap<String, Value> {
    let filter = format!("label={PROJECT_LABEL}={project}");
    let out = docker(&["ps", "-aq", "--no-trunc", "--filter", &filter]);
    let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect();
    if ids.is_empty() {
        return BTreeMap::new();
    }
    let mut args = vec!["inspect"];
    args.extend(ids.iter().map(String::as_str));
    let out = docker(&args);
    let all: Vec<Value> = serde_json::from_slice(&out.stdout).expect("inspect JSON");
    all.into_iter()
        .map(|c| {
            let service = c["Config"]["Labels"]["com.docker.compose.service"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            (service, c)
        })
        .collect()
}

/// The parts of an inspect that say what was created, with `project` and
/// `dir` replaced by placeholders and what the engine makes up left out.
fn normalise(container: &Value, project: &str, dir: &str) -> Value {
    let picked = serde_json::json!({
        "Config": container["Config"],
        "HostConfig": container["HostConfig"],
        "Networks": container["NetworkSettings"]["Networks"],
    });
    let text = picked
        .to_string()
        .replace(project, "<project>")
        .replace(dir, "<dir>");
    let mut v: Value = serde_json::from_str(&text).unwrap();
    let config = v["Config"].as_object_mut().unwrap();
    // The container ID, and the labels (hashes, versions, paths).
    config.remove("Hostname");
    config.remove("Labels");
    // Docker Compose writes the environment in map order, so any order.
    if let Some(Value::Array(env)) = config.get_mut("Env") {
        env.sort_by_key(|e| e.as_str().unwrap_or_default().to_string());
    }
    let host = v["HostConfig"].as_object_mut().unwrap();
    // Docker Compose builds these lists from Go maps, so in any order.
    for (key, field) in [
        ("Binds", ""),
        ("ExtraHosts", ""),
        ("Mounts", "Target"),
        ("Ulimits", "Name"),
    ] {
        if let Some(Value::Array(items)) = host.get_mut(key) {
            items.sort_by_key(|item| {
                let item = if field.is_empty() { item } else { &item[field] };
                item.as_str().unwrap_or_default().to_string()
            });
        }
    }
    if let Some(Value::Object(networks)) = v.get_mut("Networks") {
        for endpoint in networks.values_mut() {
            if let Some(endpoint) = endpoint.as_object_mut() {
                // Set when the container starts.
                for key in ["NetworkID", "EndpointID", "SandboxID"] {
                    endpoint.remove(key);
                }
            }
        }
    }
    v
}

/// Leaf paths and their values; empty arrays and objects are leaves.
fn flatten(value: &Value, path: String, out: &mut BTreeMap<String, Value>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                flatten(v, format!("{path}.{k}"), out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, v) in items.iter().enumerate() {
                flatten(v, format!("{path}[{i}]"), out);
            }
        }
        _ => {
            out.insert(path, value.clone());
        }
    }
}

/// The fields that differ, each with both values.
fn differences(compose: &Value, berth: &Value) -> Vec<(String, Value, Value)> {
    let (mut a, mut b) = (BTreeMap::new(), BTreeMap::new());
    flatten(compose, String::new(), &mut a);
    flatten(berth, String::new(), &mut b);
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| {
            let (x, y) = (
                a.get(k).cloned().unwrap_or(Value::Null),
                b.get(k).cloned().unwrap_or(Value::Null),
            );
            (x != y).then(|| (k.clone(), x, y))
        })
        .collect()
}

fn harmless(path: &str, compose: &Value, berth: &Value) -> bool {
    HARMLESS.iter().any(|h| (h.matches)(path, compose, berth))
}

#[test]
fn fidelity_create_matches_docker_compose() {
    let Some(binary) = docker_compose() else {
        eprintln!("SKIPPED (BERTH_E2E_SKIP_INTEROP): Docker Compose v2 is not installed");
        return;
    };
    let env = TestEnv::new("fid-create", "services: {}\n");
    for dir in ["data", "conf"] {
        std::fs::create_dir_all(env.dir().join(dir)).unwrap();
    }
    env.write("conf/token", "secret\n");
    env.write("conf/settings", "a = 1\n");
    let dir = env.dir().to_str().unwrap().to_string();
    let guard = ComposeGuard {
        binary: &binary,
        dir: env.dir(),
        project: env.other_project("compose"),
    };
    // An external volume each project finds; removed with the project.
    let external = |project: &str| {
        let name = format!("{project}-external-volume");
        let label = format!("{PROJECT_LABEL}={project}");
        assert!(
            docker(&["volume", "create", "--label", &label, &name])
                .status
                .success()
        );
    };

    let mut report = Vec::new();
    let mut tested = 0;
    let mut identical = 0;
    for stack in STACKS {
        let file = file_name(stack);
        env.write(&file, stack.yaml);
        assert!(
            !env.dir().join("missing").exists(),
            "a missing bind source was left from an earlier stack"
        );

        external(&guard.project);
        let out = guard.run(&file, &["create"]);
        assert!(
            out.status.success(),
            "docker-compose create of {}: {}",
            stack.name,
            String::from_utf8_lossy(&out.stderr)
        );
        let compose = inspect_project(&guard.project);
        guard.down(&file);
        // The engine makes a missing bind source when the container starts.
        let _ = std::fs::remove_dir_all(env.dir().join("missing"));

        external(&env.project);
        let run = env
            .cmd(&["-f", &file, "create"])
            .env("FID_PROJECT", &env.project)
            .run();
        let berth = inspect_project(&env.project);
        teardown(&env.project, &[]);
        let _ = std::fs::remove_dir_all(env.dir().join("missing"));

        for (service, made) in &compose {
            tested += 1;
            let Some(ours) = berth.get(service) else {
                report.push(format!(
                    "{}/{service}: berth created no container ({})",
                    stack.name,
                    run.stderr.trim()
                ));
                continue;
            };
            let want = normalise(made, &guard.project, &dir);
            let got = normalise(ours, &env.project, &dir);
            let (accepted, diffs): (Vec<_>, Vec<_>) = differences(&want, &got)
                .into_iter()
                .map(|(path, x, y)| {
                    let line = format!("    {path}: compose {x} / berth {y}");
                    (harmless(&path, &x, &y), line)
                })
                .partition(|(ok, _)| *ok);
            for (_, line) in accepted {
                eprintln!("harmless, {}/{service}:{line}", stack.name);
            }
            let diffs: Vec<String> = diffs.into_iter().map(|(_, line)| line).collect();
            if diffs.is_empty() {
                identical += 1;
            } else {
                report.push(format!("{}/{service}:\n{}", stack.name, diffs.join("\n")));
            }
        }
    }
    eprintln!(
        "create fidelity: {identical}/{tested} services identical up to harmless differences"
    );
    assert!(
        report.is_empty(),
        "create fidelity {identical}/{tested}; berth's containers differ from Docker Compose's:\n{}",
        report.join("\n")
    );
}
