//! Service keys that reach the engine's create call: each group is checked
//! in `docker inspect` and, where it shows, by its effect in the container.

use serde_json::Value;

use crate::harness::{TestEnv, docker_ok};
use crate::up::sleeper;

/// `berth plan` finds nothing to change: the keys hash the same way twice.
fn assert_settled(env: &TestEnv) {
    let run = env.berth_ok(&["plan"]);
    assert!(
        run.stdout.contains("nothing to do"),
        "plan after up:\n{}",
        run.stdout
    );
}

fn host_config(env: &TestEnv, service: &str) -> Value {
    env.container(&env.name_of(service, 1)).raw["HostConfig"].clone()
}

/// The engine's API version, e.g. (1, 41).
fn engine_api() -> (u32, u32) {
    let text = docker_ok(&["version", "--format", "{{.Server.APIVersion}}"]);
    let (major, minor) = text.trim().split_once('.').expect("an API version");
    (major.parse().unwrap(), minor.parse().unwrap())
}

#[test]
fn cpu_memory_and_blkio_limits_reach_the_engine() {
    let compose = format!(
        "services:\n{}",
        sleeper(
            "limits",
            "    cpu_shares: 512
    cpu_period: 100000
    cpu_quota: 50000
    cpuset: '0'
    mem_limit: 64m
    mem_reservation: 32m
    memswap_limit: 128m
    mem_swappiness: 10
    oom_kill_disable: true
    oom_score_adj: 100
    pids_limit: 50
    blkio_config:
      device_read_bps: [{path: /dev/loop0, rate: 1mb}]
      device_write_bps: [{path: /dev/loop0, rate: 2mb}]
      device_read_iops: [{path: /dev/loop0, rate: 100}]
      device_write_iops: [{path: /dev/loop0, rate: 200}]
"
        )
    );
    let env = TestEnv::new("keys-limits", &compose);
    env.berth_ok(&["up", "-d"]);
    let host = host_config(&env, "limits");
    for (key, expected) in [
        ("CpuShares", Value::from(512)),
        ("CpuPeriod", Value::from(100_000)),
        ("CpuQuota", Value::from(50_000)),
        ("CpusetCpus", Value::from("0")),
        ("Memory", Value::from(64 << 20)),
        ("MemoryReservation", Value::from(32 << 20)),
        ("MemorySwap", Value::from(128 << 20)),
        ("MemorySwappiness", Value::from(10)),
        ("OomKillDisable", Value::from(true)),
        ("OomScoreAdj", Value::from(100)),
        ("PidsLimit", Value::from(50)),
    ] {
        assert_eq!(host[key], expected, "{key} in {host:#}");
    }
    for (key, rate) in [
        ("BlkioDeviceReadBps", 1 << 20),
        ("BlkioDeviceWriteBps", 2 << 20),
        ("BlkioDeviceReadIOps", 100),
        ("BlkioDeviceWriteIOps", 200),
    ] {
        assert_eq!(
            host[key],
            serde_json::json!([{"Path": "/dev/loop0", "Rate": rate}]),
            "{key}"
        );
    }
    // The kernel applies them to the container's cgroup.
    let name = env.name_of("limits", 1);
    assert_eq!(
        env.exec(&name, &["cat", "/sys/fs/cgroup/pids/pids.max"])
            .trim(),
        "50"
    );
    assert_eq!(
        env.exec(&name, &["cat", "/proc/self/oom_score_adj"]).trim(),
        "100"
    );
    assert_settled(&env);
}

#[test]
fn namespace_security_and_runtime_keys_reach_the_engine() {
    let arch = match docker_ok(&["version", "--format", "{{.Server.Arch}}"]).trim() {
        "x86_64" => "amd64".to_string(),
        "aarch64" => "arm64".to_string(),
        other => other.to_string(),
    };
    let compose = format!(
        "services:\n{}{}",
        sleeper(
            "ns",
            "    pid: host
    ipc: shareable
    uts: host
    cgroup: private
    cgroup_parent: berth-e2e
    userns_mode: host
    group_add: ['100']
    security_opt: ['no-new-privileges:true', 'systempaths=unconfined']
    runtime: runc
    isolation: default
"
        ),
        sleeper(
            "named",
            &format!(
                "    hostname: box
    domainname: example.org
    dns_opt: ['ndots:2']
    dns_search: [example.com]
    platform: linux/{arch}
"
            )
        )
    );
    let env = TestEnv::new("keys-ns", &compose);
    env.berth_ok(&["up", "-d"]);
    let host = host_config(&env, "ns");
    for (key, expected) in [
        ("PidMode", Value::from("host")),
        ("IpcMode", Value::from("shareable")),
        ("UTSMode", Value::from("host")),
        ("CgroupnsMode", Value::from("private")),
        ("CgroupParent", Value::from("berth-e2e")),
        ("UsernsMode", Value::from("host")),
        ("GroupAdd", serde_json::json!(["100"])),
        ("MaskedPaths", serde_json::json!([])),
        ("ReadonlyPaths", serde_json::json!([])),
        ("Runtime", Value::from("runc")),
        ("Isolation", Value::from("default")),
    ] {
        assert_eq!(host[key], expected, "{key} in {host:#}");
    }
    // The engine adds `label=disable` of its own for the host's PID namespace.
    let security = host["SecurityOpt"].as_array().expect("security options");
    assert!(
        // As written, as Docker Compose sends it.
        security.contains(&Value::from("no-new-privileges:true")),
        "{security:?}"
    );
    let ns = env.name_of("ns", 1);
    // The host's PID namespace: its init is not the container's command.
    assert_ne!(
        env.exec(&ns, &["cat", "/proc/1/comm"]).trim(),
        "docker-init"
    );
    assert!(
        env.exec(&ns, &["id", "-G"])
            .split_whitespace()
            .any(|g| g == "100")
    );

    let named = env.name_of("named", 1);
    let config = &env.container(&named).raw["Config"];
    assert_eq!(config["Domainname"], "example.org");
    let resolv = env.exec(&named, &["cat", "/etc/resolv.conf"]);
    assert!(resolv.contains("ndots:2"), "{resolv}");
    assert!(resolv.contains("search example.com"), "{resolv}");
    assert_settled(&env);
}

#[test]
fn devices_and_device_cgroup_rules_reach_the_engine() {
    let compose = format!(
        "services:\n{}",
        sleeper(
            "dev",
            "    devices: ['/dev/zero:/dev/myzero:rwm']
    device_cgroup_rules: ['c 1:3 rmw']
"
        )
    );
    let env = TestEnv::new("keys-devices", &compose);
    env.berth_ok(&["up", "-d"]);
    let host = host_config(&env, "dev");
    assert_eq!(
        host["Devices"],
        serde_json::json!([{
            "PathOnHost": "/dev/zero",
            "PathInContainer": "/dev/myzero",
            "CgroupPermissions": "rwm"
        }])
    );
    assert_eq!(host["DeviceCgroupRules"], serde_json::json!(["c 1:3 rmw"]));
    let name = env.name_of("dev", 1);
    // Reading the device gives the host's zeros.
    let zeros = env.exec(&name, &["sh", "-c", "head -c 4 /dev/myzero | od -An -tx1"]);
    assert_eq!(zeros.split_whitespace().collect::<Vec<_>>(), ["00"; 4]);
    assert_settled(&env);
}

#[test]
fn logging_healthcheck_and_deploy_keys_reach_the_engine_and_newer_keys_warn() {
    let compose = "services:
  web:
    image: busybox
    init: true
    command: sleep 3600
    annotations: {com.example.a: '1'}
    healthcheck:
      test: [CMD, 'true']
      interval: 1s
      start_period: 5s
      start_interval: 1s
    logging:
      driver: json-file
      options: {max-size: 1m, max-file: '2'}
    deploy:
      labels: {com.example.swarm: 'yes'}
      restart_policy: {condition: on-failure, max_attempts: 3}
    cpu_count: 1
";
    let env = TestEnv::new("keys-gated", compose);
    let run = env.berth_ok(&["up", "-d"]);
    let web = env.container(&env.name_of("web", 1));
    let host = &web.raw["HostConfig"];
    assert_eq!(
        host["LogConfig"],
        serde_json::json!({"Type": "json-file", "Config": {"max-size": "1m", "max-file": "2"}})
    );
    assert_eq!(
        host["RestartPolicy"],
        serde_json::json!({"Name": "on-failure", "MaximumRetryCount": 3})
    );
    // Swarm's service labels: Docker Compose leaves them off containers too.
    assert!(web.raw["Config"]["Labels"]["com.example.swarm"].is_null());
    let health = &web.raw["Config"]["Healthcheck"];
    assert_eq!(health["StartPeriod"], 5_000_000_000u64);

    let api = engine_api();
    let warned = |key: &str, at: &str| {
        run.stderr
            .lines()
            .any(|l| l.contains(&format!("{key} needs Docker Engine API")) && l.contains(at))
    };
    if api < (1, 43) {
        assert!(warned("annotations", "compose.yaml:6:5"), "{}", run.stderr);
        assert!(host["Annotations"].is_null(), "{host:#}");
    } else {
        assert_eq!(host["Annotations"]["com.example.a"], "1");
    }
    if api < (1, 44) {
        assert!(
            warned("healthcheck.start_interval", "compose.yaml:11:7"),
            "{}",
            run.stderr
        );
        assert!(health["StartInterval"].is_null(), "{health:#}");
    } else {
        assert_eq!(health["StartInterval"], 1_000_000_000u64);
    }
    if engine_os() == "linux" {
        assert!(
            run.stderr.lines().any(
                |l| l.contains("cpu_count applies to Windows containers only")
                    && l.contains("compose.yaml:18:5")
            ),
            "{}",
            run.stderr
        );
    }
    assert_settled(&env);
}

fn engine_os() -> String {
    docker_ok(&["version", "--format", "{{.Server.Os}}"])
        .trim()
        .to_string()
}

#[test]
fn a_platform_other_than_the_engines_with_a_local_image_warns() {
    let other = match docker_ok(&["version", "--format", "{{.Server.Arch}}"]).trim() {
        "amd64" | "x86_64" => "arm64",
        _ => "amd64",
    };
    let compose = format!("services:\n  web:\n    image: busybox\n    platform: linux/{other}\n");
    let env = TestEnv::new("keys-platform", &compose);
    let run = env.berth_ok(&["plan"]);
    assert!(
        run.stderr.lines().any(|l| l
            .contains(&format!("platform linux/{other} is not the engine's"))
            && l.contains("compose.yaml:4:5")),
        "{}",
        run.stderr
    );
}

#[test]
fn docker_default_platform_is_the_platform_of_services_without_one() {
    let other = match docker_ok(&["version", "--format", "{{.Server.Arch}}"]).trim() {
        "amd64" | "x86_64" => "arm64",
        _ => "amd64",
    };
    let compose = format!("services:\n{}", sleeper("web", ""));
    let env = TestEnv::new("keys-default-platform", &compose);
    // The local image is for the engine's platform, so the engine refuses to
    // create a container for the other one: proof that berth asked for it.
    let run = env
        .cmd(&["up", "-d"])
        .env("DOCKER_DEFAULT_PLATFORM", &format!("linux/{other}"))
        .run();
    run.assert_code(1)
        .assert_stderr_has(&format!("wanted linux/{other}"));
    run.assert_stderr_has("(from DOCKER_DEFAULT_PLATFORM)");
    env.berth_ok(&["up", "-d"]);
    assert!(env.container(&env.name_of("web", 1)).raw["State"]["Running"] == true);
}

#[test]
fn a_cdi_device_name_is_refused_by_engines_without_cdi() {
    let compose = format!(
        "services:\n{}",
        sleeper("web", "    devices:\n      - vendor.example/class=none\n")
    );
    let env = TestEnv::new("keys-cdi", &compose);
    let run = env.berth(&["up", "-d"]);
    assert_ne!(run.code, Some(0), "{}", run.stderr);
    if engine_api() < (1, 44) {
        assert!(
            run.stderr
                .contains("services.web.devices.0 needs Docker Engine API 1.44")
                && run.stderr.contains("compose.yaml:7:9"),
            "{}",
            run.stderr
        );
        assert!(env.containers().is_empty());
    } else {
        // A newer engine resolves the name and finds no such device.
        run.assert_stderr_has("vendor.example/class=none");
    }
}
