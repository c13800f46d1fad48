//! Keys that reach the engine beyond the basics: references between
//! services, long-form networks and volumes, network and volume
//! definitions, and lifecycle hooks.

use crate::harness::{TestEnv, docker_ok};
use crate::up::sleeper;

/// The engine's API version, as `docker version` reports it.
fn engine_api() -> (u32, u32) {
    let text = docker_ok(&["version", "--format", "{{.Server.APIVersion}}"]);
    let (major, minor) = text.trim().split_once('.').expect("an API version");
    (major.parse().unwrap(), minor.parse().unwrap())
}

/// A /24 no other test uses: derived from the process, away from Docker's pools.
fn private_subnet() -> String {
    let pid = std::process::id();
    format!("10.{}.{}", 200 + pid % 50, (pid / 50) % 250)
}

#[test]
fn volumes_from_ipc_pid_and_links_join_the_parent_container() {
    let compose = format!(
        "services:\n{}{}",
        sleeper(
            "data",
            "    ipc: shareable\n    volumes:\n      - /shared\n    environment:\n      V: '1'\n",
        ),
        sleeper(
            "app",
            "    volumes_from:\n      - data:ro\n    ipc: service:data\n    pid: service:data\n    links:\n      - data:store\n",
        ),
    );
    let env = TestEnv::new("references", &compose);
    env.berth_ok(&["up", "-d"]);
    let (data, app) = (env.name_of("data", 1), env.name_of("app", 1));
    let data_id = env.container(&data).id;
    let host = env.container(&app).raw["HostConfig"].clone();
    assert_eq!(host["VolumesFrom"][0], format!("{data_id}:ro"), "{host:#}");
    assert_eq!(host["IpcMode"], format!("container:{data_id}"), "{host:#}");
    assert_eq!(host["PidMode"], format!("container:{data_id}"), "{host:#}");
    // On a network of the project, links belong to the primary endpoint.
    let endpoint = env.container(&app).raw["NetworkSettings"]["Networks"]
        [format!("{}_default", env.project)]
    .clone();
    let links: Vec<&str> = endpoint["Links"]
        .as_array()
        .unwrap_or_else(|| panic!("no links: {endpoint:#}"))
        .iter()
        .filter_map(|l| l.as_str())
        .collect();
    assert!(
        links.contains(&format!("{data}:store").as_str()),
        "{links:?}"
    );

    // The effects: the volume, read-only; the namespaces; the link's name.
    env.exec(&data, &["sh", "-c", "echo shared > /shared/file"]);
    assert_eq!(env.exec(&app, &["cat", "/shared/file"]).trim(), "shared");
    assert!(
        crate::harness::docker(&["exec", &app, "touch", "/shared/other"])
            .status
            .code()
            != Some(0),
        "volumes_from data:ro is writable"
    );
    let ns = |c: &str, kind: &str| env.exec(c, &["readlink", &format!("/proc/self/ns/{kind}")]);
    assert_eq!(ns(&app, "ipc"), ns(&data, "ipc"));
    assert_eq!(ns(&app, "pid"), ns(&data, "pid"));
    env.exec(&app, &["ping", "-c1", "-W5", "store"]);

    // Recreating the parent recreates the child on the new container.
    env.write("compose.yaml", &compose.replace("V: '1'", "V: '2'"));
    let plan = env.berth_ok(&["plan"]).stdout;
    assert!(
        plan.lines()
            .any(|l| l.contains(&format!("create container {app}"))
                || (l.contains("recreate") && l.contains(&app))),
        "the child is not recreated:\n{plan}"
    );
    env.berth_ok(&["up", "-d"]);
    let new_data_id = env.container(&data).id;
    assert_ne!(new_data_id, data_id);
    let host = env.container(&app).raw["HostConfig"].clone();
    assert_eq!(
        host["IpcMode"],
        format!("container:{new_data_id}"),
        "{host:#}"
    );
    assert_eq!(
        host["VolumesFrom"][0],
        format!("{new_data_id}:ro"),
        "{host:#}"
    );
    env.exec(&app, &["ping", "-c1", "-W5", "store"]);
    env.berth_ok(&["down", "-v"]);
}

/// Found by running the corpus's network-links fixture: a link also
/// names the target `service-N` and `project-service-N`, as with Docker
/// Compose, on the default bridge where only links give names.
#[test]
fn links_on_the_default_bridge_name_the_replica_too() {
    let compose = format!(
        "services:\n{}{}",
        sleeper("db", "    network_mode: bridge\n"),
        sleeper("app", "    network_mode: bridge\n    links:\n      - db\n"),
    );
    let env = TestEnv::new("links-bridge", &compose);
    env.berth_ok(&["up", "-d"]);
    let app = env.name_of("app", 1);
    let hosts = env.exec(&app, &["cat", "/etc/hosts"]);
    for name in ["db", "db-1", env.name_of("db", 1).as_str()] {
        assert!(
            hosts.split_whitespace().any(|word| word == name),
            "{name} is not in /etc/hosts:\n{hosts}"
        );
    }
    // A one-off of app is linked too (`run` left the link for the engine
    // to resolve as a container named db, and failed).
    let one_off = env
        .berth_ok(&["run", "--rm", "app", "cat", "/etc/hosts"])
        .stdout;
    assert!(
        one_off.split_whitespace().any(|word| word == "db"),
        "db is not in the one-off's /etc/hosts:\n{one_off}"
    );
    // The engine also lists db as `/app-1/db`: berth still knows it by its
    // own name (it planned to rename it, and `ps` showed the link).
    let plan = env.berth_ok(&["plan"]);
    assert!(plan.stdout.contains("nothing to do"), "{}", plan.stdout);
    let ps = env.berth_ok(&["ps", "--format", "json"]);
    assert!(!ps.stdout.contains(&format!("{app}/")), "{}", ps.stdout);
    env.berth_ok(&["down", "-v"]);
}

#[test]
fn external_links_and_container_references_pass_through() {
    let env = TestEnv::new("external-links", "services: {}\n");
    let provider = format!("{}-provider", env.project);
    let compose = format!(
        "services:\n{}{}",
        sleeper(
            "provider",
            &format!(
                "    container_name: {provider}\n    ipc: shareable\n    volumes:\n      - /provided\n"
            ),
        ),
        sleeper(
            "user",
            &format!(
                "    depends_on: [provider]\n    external_links:\n      - {provider}:outside\n    volumes_from:\n      - container:{provider}\n    ipc: container:{provider}\n"
            ),
        ),
    );
    env.write("compose.yaml", &compose);
    env.berth_ok(&["up", "-d"]);
    let user = env.name_of("user", 1);
    let host = env.container(&user).raw["HostConfig"].clone();
    assert_eq!(host["VolumesFrom"][0], provider, "{host:#}");
    let provider_id = env.container(&provider).id;
    assert_eq!(
        host["IpcMode"],
        format!("container:{provider_id}"),
        "{host:#}"
    );
    env.exec(&user, &["ping", "-c1", "-W5", "outside"]);
    env.exec(&provider, &["sh", "-c", "echo p > /provided/f"]);
    assert_eq!(env.exec(&user, &["cat", "/provided/f"]).trim(), "p");
    env.berth_ok(&["down", "-v"]);
}

#[test]
fn network_definitions_and_long_form_attachments_reach_the_engine() {
    let net = private_subnet();
    let compose = format!(
        r#"services:
  web:
    image: busybox
    init: true
    command: sleep 3600
    networks:
      back:
        priority: 1
        link_local_ips: [169.254.20.20]
      front:
        priority: 10
        aliases: [w]
        ipv4_address: {net}.10
        link_local_ips: [169.254.10.10]
        driver_opts:
          com.example.endpoint: "yes"
        mac_address: 02:42:ac:11:00:42
        gw_priority: 5
        interface_name: front0
networks:
  front:
    driver: bridge
    driver_opts:
      com.docker.network.driver.mtu: "1400"
    labels:
      com.example.team: core
    ipam:
      driver: default
      config:
        - subnet: {net}.0/24
          ip_range: {net}.128/25
          gateway: {net}.1
          aux_addresses:
            reserved: {net}.2
      options:
        com.example.ipam: "on"
  back:
    internal: true
    attachable: true
    enable_ipv6: false
    enable_ipv4: false
"#
    );
    let env = TestEnv::new("network-keys", &compose);
    let run = env.berth_ok(&["up", "-d"]);
    let web = env.name_of("web", 1);
    let front = format!("{}_front", env.project);
    let back = format!("{}_back", env.project);

    let inspect = |name: &str| -> serde_json::Value {
        serde_json::from_str(&docker_ok(&["network", "inspect", name])).unwrap()
    };
    let f = &inspect(&front)[0];
    assert_eq!(f["Driver"], "bridge");
    assert_eq!(
        f["Options"]["com.docker.network.driver.mtu"], "1400",
        "{f:#}"
    );
    assert_eq!(f["Labels"]["com.example.team"], "core", "{f:#}");
    assert_eq!(f["IPAM"]["Options"]["com.example.ipam"], "on", "{f:#}");
    let pool = &f["IPAM"]["Config"][0];
    assert_eq!(pool["Subnet"], format!("{net}.0/24"), "{f:#}");
    assert_eq!(pool["IPRange"], format!("{net}.128/25"), "{f:#}");
    assert_eq!(pool["Gateway"], format!("{net}.1"), "{f:#}");
    assert_eq!(
        pool["AuxiliaryAddresses"]["reserved"],
        format!("{net}.2"),
        "{f:#}"
    );
    let b = &inspect(&back)[0];
    assert_eq!(b["Internal"], true, "{b:#}");
    assert_eq!(b["Attachable"], true, "{b:#}");

    // The endpoint: the primary network is the one of highest priority.
    let raw = env.container(&web).raw;
    assert_eq!(raw["HostConfig"]["NetworkMode"], front.as_str());
    let endpoint = &raw["NetworkSettings"]["Networks"][&front];
    assert_eq!(endpoint["IPAddress"], format!("{net}.10"), "{endpoint:#}");
    assert_eq!(
        endpoint["IPAMConfig"]["LinkLocalIPs"][0], "169.254.10.10",
        "{endpoint:#}"
    );
    assert_eq!(
        endpoint["DriverOpts"]["com.example.endpoint"], "yes",
        "{endpoint:#}"
    );
    // A network joined after create (API < 1.44) carries its settings too.
    let secondary = &raw["NetworkSettings"]["Networks"][&back];
    assert_eq!(
        secondary["IPAMConfig"]["LinkLocalIPs"][0], "169.254.20.20",
        "{secondary:#}"
    );
    // The effects: the address, the MTU and the link-local address inside.
    let addresses = env.exec(&web, &["ip", "addr"]);
    assert!(addresses.contains(&format!("{net}.10/24")), "{addresses}");
    assert!(addresses.contains("169.254.10.10"), "{addresses}");
    assert!(addresses.contains("mtu 1400"), "{addresses}");

    // Keys this engine is too old for are named with their line.
    let (major, minor) = engine_api();
    let gated = [
        ((1, 44), "services.web.networks.front.mac_address", 17),
        ((1, 48), "services.web.networks.front.gw_priority", 18),
        ((1, 49), "services.web.networks.front.interface_name", 19),
        ((1, 47), "networks.back.enable_ipv4", 41),
    ];
    for ((gate_major, gate_minor), key, line) in gated {
        let warned = run
            .stderr
            .lines()
            .find(|l| l.contains(key))
            .unwrap_or_default();
        if (major, minor) < (gate_major, gate_minor) {
            assert!(
                warned.contains(&format!("compose.yaml:{line}:")),
                "no warning with the line of {key}:\n{}",
                run.stderr
            );
        } else {
            assert!(warned.is_empty(), "{warned}");
        }
    }
    // A second up changes nothing: the new keys are part of the recorded spec.
    let plan = env.berth_ok(&["plan"]).stdout;
    assert!(plan.contains("nothing to do"), "{plan}");
    env.berth_ok(&["down"]);
}

#[test]
fn volume_definitions_and_mount_options_reach_the_engine() {
    let env = TestEnv::new("volume-keys", "services: {}\n");
    let host_dir = env.dir().join("bound");
    std::fs::create_dir(&host_dir).unwrap();
    std::fs::write(host_dir.join("from-host"), "hello\n").unwrap();
    let custom = format!("{}-custom", env.project);
    let compose = format!(
        r#"services:
  app:
    image: busybox
    init: true
    command: sleep 3600
    volumes:
      - type: volume
        source: bound
        target: /bound
        consistency: cached
        volume:
          nocopy: true
      - type: volume
        source: named
        target: /named
      - type: bind
        source: ./bound
        target: /bind
        bind:
          propagation: rprivate
volumes:
  bound:
    driver: local
    driver_opts:
      type: none
      o: bind
      device: {}
    labels:
      com.example.kind: bound
  named:
    name: {custom}
"#,
        host_dir.display()
    );
    env.write("compose.yaml", &compose);
    env.berth_ok(&["up", "-d"]);
    let app = env.name_of("app", 1);
    let bound = format!("{}_bound", env.project);
    let volume: serde_json::Value =
        serde_json::from_str(&docker_ok(&["volume", "inspect", &bound])).unwrap();
    let volume = &volume[0];
    assert_eq!(volume["Options"]["o"], "bind", "{volume:#}");
    assert_eq!(volume["Options"]["device"], host_dir.display().to_string());
    assert_eq!(volume["Labels"]["com.example.kind"], "bound", "{volume:#}");
    assert!(env.volumes().contains(&custom), "{:?}", env.volumes());

    let mounts = env.container(&app).raw["Mounts"].clone();
    let mount = |target: &str| {
        mounts
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["Destination"] == target)
            .cloned()
            .unwrap_or_else(|| panic!("no mount at {target}: {mounts:#}"))
    };
    assert_eq!(mount("/named")["Name"], custom.as_str());
    assert_eq!(mount("/bind")["Propagation"], "rprivate");
    let host = env.container(&app).raw["HostConfig"]["Mounts"].clone();
    let nocopy = host
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["Target"] == "/bound")
        .map(|m| m["VolumeOptions"]["NoCopy"].clone());
    assert_eq!(nocopy, Some(serde_json::Value::Bool(true)), "{host:#}");
    // The effect: the host directory is the volume.
    assert_eq!(env.exec(&app, &["cat", "/bound/from-host"]).trim(), "hello");
    env.exec(&app, &["sh", "-c", "echo back > /bound/from-container"]);
    assert!(host_dir.join("from-container").exists());
    env.berth_ok(&["down", "-v"]);
    assert!(env.volumes().is_empty(), "{:?}", env.volumes());
}

#[test]
fn volume_subpath_is_applied_or_refused_with_its_line() {
    let compose = "services:
  app:
    image: busybox
    command: sleep 3600
    volumes:
      - type: volume
        source: data
        target: /data
        volume:
          subpath: sub
volumes:
  data: {}
";
    let env = TestEnv::new("subpath", compose);
    if engine_api() >= (1, 45) {
        env.berth_ok(&["up", "-d"]);
        return;
    }
    let run = env.berth(&["up", "-d"]);
    run.assert_code(1);
    assert!(
        run.stderr.contains("services.app.volumes.0.volume")
            && run.stderr.contains("compose.yaml:9:")
            && run.stderr.contains("whole volume"),
        "{}",
        run.stderr
    );
    assert!(env.containers().is_empty());
}

#[test]
fn volume_types_berth_cannot_mount_are_refused_at_their_line() {
    for (kind, why) in [
        ("npipe", "Windows"),
        ("cluster", "Swarm"),
        ("image", "1.48"),
    ] {
        let compose = format!(
            "services:\n  app:\n    image: busybox\n    volumes:\n      - type: {kind}\n        source: x\n        target: /x\n"
        );
        let env = TestEnv::new(&format!("volume-type-{kind}"), &compose);
        let run = env.berth(&["up", "-d"]);
        run.assert_code(15);
        assert!(
            run.stderr.contains("compose.yaml:5:")
                && run.stderr.contains(&format!("{kind:?}"))
                && run.stderr.contains(why),
            "{}",
            run.stderr
        );
        assert!(env.containers().is_empty());
    }
}

#[test]
fn post_start_and_pre_stop_hooks_run_in_the_container() {
    let env = TestEnv::new("hooks", "services: {}\n");
    let marks = env.dir().join("marks");
    std::fs::create_dir(&marks).unwrap();
    // The post_start hook runs as another user.
    std::fs::set_permissions(&marks, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let compose = format!(
        r#"services:
  app:
    image: busybox
    init: true
    command: sleep 3600
    volumes:
      - {}:/marks
    post_start:
      - command: sh -c 'echo "$$GREETING $$(id -u) $$(pwd)" > /marks/started'
        user: "1234"
        working_dir: /etc
        environment:
          GREETING: hello
    pre_stop:
      - command: ["sh", "-c", "echo bye > /marks/stopped"]
"#,
        marks.display()
    );
    env.write("compose.yaml", &compose);
    let plan = env.berth_ok(&["plan"]).stdout;
    assert!(plan.contains(", then 1 post_start hook"), "{plan}");
    env.berth_ok(&["up", "-d"]);
    assert_eq!(
        std::fs::read_to_string(marks.join("started")).unwrap_or_default(),
        "hello 1234 /etc\n"
    );
    assert!(!marks.join("stopped").exists());
    // `stop` and `start` run them as `up` and `down` do.
    let run = env.berth_ok(&["stop"]);
    assert_eq!(
        std::fs::read_to_string(marks.join("stopped")).unwrap_or_default(),
        "bye\n",
        "{}",
        run.stderr
    );
    std::fs::remove_file(marks.join("started")).unwrap();
    env.berth_ok(&["start"]);
    assert!(marks.join("started").exists());
    std::fs::remove_file(marks.join("stopped")).unwrap();
    let run = env.berth_ok(&["down"]);
    assert_eq!(
        std::fs::read_to_string(marks.join("stopped")).unwrap_or_default(),
        "bye\n",
        "{}",
        run.stderr
    );
}

#[test]
fn a_failing_post_start_hook_fails_up_naming_the_service() {
    let compose = "services:
  app:
    image: busybox
    init: true
    command: sleep 3600
    post_start:
      - command: sh -c 'echo broken >&2; exit 3'
";
    let env = TestEnv::new("hook-fails", compose);
    let run = env.berth(&["up", "-d"]);
    run.assert_code(1);
    assert!(
        run.stderr.contains("service app: post_start hook")
            && run.stderr.contains("exited with 3")
            && run.stderr.contains("broken"),
        "{}",
        run.stderr
    );
}

/// `--compatibility` (or `COMPOSE_COMPATIBILITY`) names containers, link
/// aliases, one-off containers and built images as Docker Compose v1 did,
/// with `_`, as Docker Compose 2.40's own flag does.
#[test]
fn compatibility_names_things_as_compose_v1() {
    let compose = format!(
        "services:\n{}{}",
        sleeper("db", "    network_mode: bridge\n    build: .\n")
            .replace("    image: busybox\n", ""),
        sleeper("app", "    network_mode: bridge\n    links:\n      - db\n"),
    );
    let env = TestEnv::new("compatibility", &compose);
    env.write("Dockerfile", "FROM busybox\n");
    let p = &env.project;
    env.berth_ok(&["--compatibility", "up", "-d"]);
    assert_eq!(
        env.container_names(),
        [format!("{p}_app_1"), format!("{p}_db_1")]
    );
    assert_eq!(
        env.container(&format!("{p}_db_1")).raw["Config"]["Image"],
        format!("{p}_db")
    );
    let hosts = env.exec(&format!("{p}_app_1"), &["cat", "/etc/hosts"]);
    for name in ["db", "db_1", &format!("{p}_db_1")] {
        assert!(
            hosts.split_whitespace().any(|word| word == name),
            "{name} is not in /etc/hosts:\n{hosts}"
        );
    }
    let run = env
        .cmd(&["run", "-d", "app", "true"])
        .env("COMPOSE_COMPATIBILITY", "true")
        .run();
    run.assert_code(0);
    assert!(
        env.container_names()
            .iter()
            .any(|n| n.starts_with(&format!("{p}_app_run_"))),
        "{:?}",
        env.container_names()
    );
    env.berth_ok(&[
        "--compatibility",
        "down",
        "--remove-orphans",
        "--rmi",
        "local",
    ]);
    assert!(env.containers().is_empty());
    assert!(
        docker_ok(&["images", "-q", &format!("{p}_db")])
            .trim()
            .is_empty()
    );
}
