//! Snapshots of the planner: every reason to create, recreate, start, stop
//! or remove, on a simulated engine. Planning is pure, so no engine is needed.
//! Review changes with `cargo insta review` (or INSTA_UPDATE=always).

use std::collections::BTreeMap;
use std::path::Path;

use berth::engine::spec::{MountKind, canonical_json};
use berth::engine::{Container, Mount, Network, RunState, Volume, labels};
use berth::load::{self, LoadOptions};
use berth::reconcile::config_hash;
use berth::reconcile::desired::{self, Desired};
use berth::reconcile::fingerprint::Fingerprint;
use berth::reconcile::observe::Observed;
use berth::reconcile::plan::{self, DownOptions, Plan, Recreate, UpOptions, plan_down, plan_up};

const IMAGE_ID: &str = "sha256:1111";

fn load(yaml: &str) -> Desired {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("compose.yaml"), yaml).unwrap();
    load_in(dir.path())
}

fn load_in(dir: &Path) -> Desired {
    let opts = LoadOptions {
        cwd: dir.to_path_buf(),
        project_name: Some("snap".into()),
        os_env: Default::default(),
        ..Default::default()
    };
    let loaded = load::load(&opts).unwrap_or_else(|e| panic!("{}", e.render(false, false)));
    desired::from_loaded(loaded).unwrap()
}

/// The engine as berth leaves it after `up` of `desired`: every object
/// created, every container running and labelled.
fn engine_after_up(desired: &Desired) -> Observed {
    let mut observed = Observed::default();
    for (key, network) in &desired.networks {
        observed.networks.insert(
            key.clone(),
            Network {
                id: format!("net-{key}"),
                name: network.spec.name.clone(),
                labels: network.spec.identity_labels.clone(),
            },
        );
    }
    for (key, volume) in &desired.volumes {
        observed.volumes.insert(
            key.clone(),
            Volume {
                name: volume.spec.name.clone(),
                driver: "local".into(),
                labels: volume.spec.identity_labels.clone(),
                mountpoint: String::new(),
                scope: "local".into(),
            },
        );
    }
    for service in desired.services.values() {
        observed
            .images
            .insert(service.spec.image.clone(), Some(IMAGE_ID.into()));
        for number in 1..=service.replicas {
            let name = plan::container_name(desired, service, number);
            // The labels berth writes: Compose's hash (references resolved
            // to the parents' first containers) and berth's digests.
            let first_container = |parent: &str| {
                let parent = &desired.services[parent];
                Some(format!(
                    "{}-0123456789abcdef",
                    plan::container_name(desired, parent, 1)
                ))
            };
            let hash = config_hash::service_hash(service.hashed(), first_container);
            let mut labels: BTreeMap<String, String> = service.spec.identity_labels.clone();
            labels.insert(labels::CONTAINER_NUMBER.into(), number.to_string());
            labels.insert(labels::CONFIG_HASH.into(), hash);
            labels.insert(
                labels::DIGESTS.into(),
                Fingerprint::of(&service.spec).to_label(),
            );
            labels.insert(labels::IMAGE.into(), IMAGE_ID.into());
            observed.containers.push(Container {
                id: format!("{name}-0123456789abcdef"),
                name,
                state: RunState::Running,
                exit_code: None,
                labels,
                image_id: IMAGE_ID.into(),
                networks: service
                    .networks
                    .iter()
                    .map(|k| (desired.networks[k].spec.name.clone(), format!("net-{k}")))
                    .collect(),
                mounts: service
                    .spec
                    .mounts
                    .iter()
                    .filter(|m| m.kind == berth::engine::spec::MountKind::Volume)
                    .map(|m| Mount {
                        kind: Some(MountKind::Volume),
                        name: if m.source.is_empty() {
                            "a".repeat(64)
                        } else {
                            m.source.clone()
                        },
                        source: String::new(),
                        destination: m.target.clone(),
                    })
                    .collect(),
                created: i64::from(number),
                ..Default::default()
            });
        }
    }
    observed
}

fn up(desired: &Desired, observed: &Observed, options: &UpOptions) -> String {
    plan_up(desired, observed, options)
        .unwrap_or_else(|e| panic!("{e}"))
        .render()
}

/// The plan of `down -v`.
fn down_v(desired: &Desired, observed: &Observed) -> Plan {
    plan_down(
        desired,
        observed,
        &DownOptions {
            volumes: true,
            ..Default::default()
        },
    )
}

fn options() -> UpOptions {
    UpOptions {
        warn_orphans: true,
        ..Default::default()
    }
}

const STACK: &str = r#"
services:
  db:
    image: busybox
    volumes: [data:/data, /scratch]
    healthcheck: {test: [CMD, "true"], interval: 1s}
  web:
    image: busybox
    environment: {MODE: dev}
    depends_on:
      db: {condition: service_healthy, restart: true}
    ports: ["127.0.0.1:8080:80"]
  job:
    image: busybox
    command: echo done
  api:
    image: busybox
    depends_on:
      job: {condition: service_completed_successfully}
      web: {condition: service_started, required: false}
volumes:
  data:
"#;

#[test]
fn cold_start_creates_everything_in_dependency_order() {
    let desired = load(STACK);
    insta::assert_snapshot!(up(&desired, &Observed::default(), &options()));
}

#[test]
fn nothing_changed_means_nothing_to_do() {
    let desired = load(STACK);
    let observed = engine_after_up(&desired);
    insta::assert_snapshot!(up(&desired, &observed, &options()));
}

#[test]
fn wait_adds_a_wait_per_service() {
    let desired = load(STACK);
    let observed = engine_after_up(&desired);
    let options = UpOptions {
        wait: true,
        ..options()
    };
    insta::assert_snapshot!(up(&desired, &observed, &options));
}

#[test]
fn changed_key_recreates_only_that_service() {
    let observed = engine_after_up(&load(STACK));
    let desired = load(&STACK.replace("MODE: dev", "MODE: prod"));
    insta::assert_snapshot!(up(&desired, &observed, &options()));
}

#[test]
fn changed_resource_or_namespace_key_names_the_key() {
    let with = |extra: &str| {
        STACK.replace(
            "    environment: {MODE: dev}\n",
            &format!("    environment: {{MODE: dev}}\n{extra}"),
        )
    };
    let observed = engine_after_up(&load(&with("    cpu_shares: 512\n    ipc: shareable\n")));
    let desired = load(&with("    cpu_shares: 1024\n    ipc: private\n"));
    insta::assert_snapshot!(up(&desired, &observed, &options()));
}

#[test]
fn recreated_dependency_restarts_its_restart_true_dependents() {
    let observed = engine_after_up(&load(STACK));
    let desired = load(&STACK.replace("interval: 1s", "interval: 2s"));
    insta::assert_snapshot!(up(&desired, &observed, &options()));
}

#[test]
fn changed_image_recreates() {
    let desired = load(STACK);
    let mut observed = engine_after_up(&desired);
    observed
        .images
        .insert("busybox".into(), Some("sha256:2222".into()));
    insta::assert_snapshot!(up(&desired, &observed, &options()));
}

#[test]
fn missing_network_and_unmounted_volume_recreate() {
    let desired = load(STACK);
    let mut observed = engine_after_up(&desired);
    for container in &mut observed.containers {
        if container.service() == "web" {
            container.networks.clear();
        }
        if container.service() == "db" {
            container.mounts.retain(|m| m.destination != "/data");
        }
    }
    insta::assert_snapshot!(up(&desired, &observed, &options()));
}

#[test]
fn container_made_by_another_tool_is_recreated_once() {
    let desired = load(STACK);
    let mut observed = engine_after_up(&desired);
    for container in &mut observed.containers {
        container.labels.remove(labels::DIGESTS);
        if container.service() == "job" {
            container
                .labels
                .insert(labels::CONFIG_HASH.into(), "compose-made".into());
        }
    }
    insta::assert_snapshot!(up(&desired, &observed, &options()));
}

#[test]
fn stack_made_by_docker_compose_with_equal_hashes_is_left_alone() {
    // Docker Compose writes its hashes and no digests of berth's: berth
    // computes the same hashes, so nothing is recreated or warned about.
    let desired = load(NETWORKS);
    let mut observed = engine_after_up(&desired);
    for container in &mut observed.containers {
        container.labels.remove(labels::DIGESTS);
    }
    for network in observed.networks.values_mut() {
        network.labels.remove(labels::DIGESTS);
    }
    let plan = plan_up(&desired, &observed, &options()).unwrap();
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
    assert_eq!(plan.render(), "Project snap: nothing to do.\n");
}

#[test]
fn container_made_by_an_earlier_berth_is_compared_by_its_recorded_spec() {
    // Earlier berth versions wrote the whole spec in a label (and their
    // own hash): equal, nothing to do; different, the key is named.
    let desired = load(STACK);
    let mut observed = engine_after_up(&desired);
    for container in &mut observed.containers {
        container.labels.remove(labels::DIGESTS);
        container
            .labels
            .insert(labels::CONFIG_HASH.into(), "berth-0.1".into());
        let spec = &desired.services[container.service()].spec;
        let (json, _) = canonical_json(spec);
        container.labels.insert(labels::SPEC.into(), json);
    }
    let same = plan_up(&desired, &observed, &options()).unwrap();
    assert_eq!(same.render(), "Project snap: nothing to do.\n");
    let changed = load(&STACK.replace("MODE: dev", "MODE: prod"));
    let plan = up(&changed, &observed, &options());
    assert!(
        plan.contains("recreate: environment.MODE changed"),
        "{plan}"
    );
}

#[test]
fn namespace_parent_recreated_recreates_child() {
    let yaml = "services:\n  vpn:\n    image: busybox\n    environment: {V: '1'}\n  app:\n    image: busybox\n    network_mode: service:vpn\n";
    let observed = engine_after_up(&load(yaml));
    let desired = load(&yaml.replace("V: '1'", "V: '2'"));
    insta::assert_snapshot!(up(&desired, &observed, &options()));
}

#[test]
fn force_and_never_strategies() {
    let desired = load(STACK);
    let observed = engine_after_up(&desired);
    let force = UpOptions {
        services: vec!["web".into()],
        recreate: Recreate::Force,
        ..options()
    };
    let changed = load(&STACK.replace("MODE: dev", "MODE: prod"));
    let never = UpOptions {
        recreate: Recreate::Never,
        dependencies_recreate: Recreate::Never,
        ..options()
    };
    insta::assert_snapshot!(format!(
        "--force-recreate web:\n{}\n--no-recreate after a change:\n{}",
        up(&desired, &observed, &force),
        up(&changed, &observed, &never)
    ));
}

#[test]
fn stopped_containers_are_started() {
    let desired = load(STACK);
    let mut observed = engine_after_up(&desired);
    for container in &mut observed.containers {
        if container.service() == "job" {
            container.state = RunState::Exited;
            container.exit_code = Some(1);
        }
        if container.service() == "db" {
            container.state = RunState::Exited;
            container.exit_code = Some(0);
        }
        if container.service() == "web" {
            container.state = RunState::Created;
        }
    }
    insta::assert_snapshot!(up(&desired, &observed, &options()));
}

#[test]
fn completed_one_shot_job_is_left_alone() {
    let desired = load(STACK);
    let mut observed = engine_after_up(&desired);
    for container in &mut observed.containers {
        if container.service() == "job" {
            container.state = RunState::Exited;
            container.exit_code = Some(0);
        }
    }
    insta::assert_snapshot!(up(&desired, &observed, &options()));
}

#[test]
fn rerun_jobs_starts_a_completed_one_shot_job_again() {
    let desired = load(STACK);
    let mut observed = engine_after_up(&desired);
    for container in &mut observed.containers {
        if container.service() == "job" {
            container.state = RunState::Exited;
            container.exit_code = Some(0);
        }
    }
    let rerun = UpOptions {
        rerun_jobs: true,
        ..options()
    };
    insta::assert_snapshot!(up(&desired, &observed, &rerun));
}

#[test]
fn scale_up_and_down_keep_replica_numbers() {
    let yaml = "services:\n  web:\n    image: busybox\n    deploy: {replicas: 3}\n";
    let observed = engine_after_up(&load(yaml));
    let up_to_five = load(&yaml.replace("replicas: 3", "replicas: 5"));
    let down_to_one = load(&yaml.replace("replicas: 3", "replicas: 1"));
    insta::assert_snapshot!(format!(
        "3 -> 5:\n{}\n3 -> 1:\n{}",
        up(&up_to_five, &observed, &options()),
        up(&down_to_one, &observed, &options())
    ));
}

#[test]
fn orphans_are_warned_about_or_removed() {
    let observed = engine_after_up(&load(STACK));
    let desired = load(
        "services:\n  db:\n    image: busybox\n    volumes: [data:/data, /scratch]\n    healthcheck: {test: [CMD, \"true\"], interval: 1s}\nvolumes:\n  data:\n",
    );
    let remove = UpOptions {
        remove_orphans: true,
        ..options()
    };
    insta::assert_snapshot!(format!(
        "warn:\n{}\n--remove-orphans:\n{}",
        up(&desired, &observed, &options()),
        up(&desired, &observed, &remove)
    ));
}

#[test]
fn anonymous_volumes_carry_over_unless_renewed() {
    let observed = engine_after_up(&load(STACK));
    let desired = load(&STACK.replace("/scratch]", "/scratch]\n    environment: {X: '1'}"));
    let renew = UpOptions {
        renew_anonymous_volumes: true,
        recreate: Recreate::Force,
        services: vec!["db".into()],
        ..options()
    };
    let plain = plan_up(&desired, &observed, &options()).unwrap();
    let renewed = plan_up(&desired, &observed, &renew).unwrap();
    insta::assert_json_snapshot!(
        "carry_over",
        plain
            .actions
            .iter()
            .find(|a| a.reason.starts_with("recreate"))
            .unwrap()
    );
    insta::assert_json_snapshot!(
        "renewed",
        renewed
            .actions
            .iter()
            .find(|a| a.reason.starts_with("recreate"))
            .unwrap()
    );
}

#[test]
fn external_network_must_exist() {
    let desired = load(
        "services:\n  a:\n    image: busybox\n    networks: [shared]\nnetworks:\n  shared:\n    external: true\n",
    );
    let error = plan_up(&desired, &Observed::default(), &options()).unwrap_err();
    insta::assert_snapshot!(format!("{}\nhint: {}", error.message, error.hint));
}

#[test]
fn changed_volume_definition_is_an_error() {
    let observed = engine_after_up(&load(STACK));
    let desired = load(&STACK.replace("  data:\n", "  data:\n    labels: {tier: db}\n"));
    let error = plan_up(&desired, &observed, &options()).unwrap_err();
    insta::assert_snapshot!(format!("{}\nhint: {}", error.message, error.hint));
}

#[test]
fn yes_recreates_a_changed_volume_and_its_containers() {
    let observed = engine_after_up(&load(STACK));
    let desired = load(&STACK.replace("  data:\n", "  data:\n    labels: {tier: db}\n"));
    let yes = UpOptions {
        yes: true,
        ..options()
    };
    insta::assert_snapshot!(up(&desired, &observed, &yes));
}

/// `down -v` removes every volume of the project: one the file declares
/// but no service uses any more goes too, with its reason.
#[test]
fn down_v_removes_volumes_no_service_uses() {
    let mut observed = engine_after_up(&load(STACK));
    // Labelled with the project, its key no longer among the file's used
    // volumes: observe files it as stale.
    let data = observed.volumes.remove("data").unwrap();
    observed.stale_volumes.push(data);
    let desired = load(&STACK.replace(
        "    volumes: [data:/data, /scratch]\n",
        "    volumes: [/scratch]\n",
    ));
    let with_volumes = down_v(&desired, &observed);
    insta::assert_snapshot!(with_volumes.render());
}

/// A volume or network with a fixed `name:` that another project created
/// is used as it is, with a warning naming that project; even `-y` never
/// recreates it, whatever this file says of it.
#[test]
fn another_projects_volume_and_network_are_never_recreated() {
    let file = "services:\n  app:\n    image: busybox\n    networks: [net]\n    volumes: [data:/data]\n\
                networks:\n  net:\n    name: shared-net\n\
                volumes:\n  data:\n    name: shared-data\n";
    let mut observed = engine_after_up(&load(file));
    for labels in observed
        .volumes
        .values_mut()
        .map(|v| &mut v.labels)
        .chain(observed.networks.values_mut().map(|n| &mut n.labels))
    {
        labels.insert(labels::PROJECT.into(), "other".into());
    }
    let desired = load(
        &file
            .replace(
                "name: shared-net\n",
                "name: shared-net\n    labels: {tier: front}\n",
            )
            .replace(
                "name: shared-data\n",
                "name: shared-data\n    labels: {tier: db}\n",
            ),
    );
    let yes = UpOptions {
        yes: true,
        ..options()
    };
    insta::assert_snapshot!(up(&desired, &observed, &yes));
}

#[test]
fn interrupted_recreate_converges() {
    // Killed after the new container was created under its temporary name,
    // before the old one was removed.
    let old = engine_after_up(&load(STACK));
    let desired = load(&STACK.replace("MODE: dev", "MODE: prod"));
    let mut observed = engine_after_up(&desired);
    let stale = old
        .containers
        .iter()
        .find(|c| c.service() == "web")
        .unwrap()
        .clone();
    for container in &mut observed.containers {
        if container.service() == "web" {
            container.name = format!("0123456789ab_{}", container.name);
            container.state = RunState::Created;
            container.created = 100;
        }
    }
    observed.containers.push(stale);
    insta::assert_snapshot!(up(&desired, &observed, &options()));
}

const NETWORKS: &str = r#"
services:
  api:
    image: busybox
    networks: [back]
  web:
    image: busybox
    networks:
      front:
      back:
        aliases: [www]
    depends_on: [api]
  edge:
    image: busybox
    networks: [front]
  job:
    image: busybox
    networks: [back]
networks:
  front:
  back:
"#;

#[test]
fn changed_network_is_recreated_under_its_containers() {
    let mut observed = engine_after_up(&load(NETWORKS));
    // A finished job stays stopped; a container of a service the file no
    // longer has (an orphan) goes back on the network and runs again.
    let mut orphan = observed
        .containers
        .iter()
        .find(|c| c.service() == "job")
        .unwrap()
        .clone();
    orphan.name = "snap-gone-1".into();
    orphan.id = "snap-gone-1-0123456789abcdef".into();
    orphan.labels.insert(labels::SERVICE.into(), "gone".into());
    observed.containers.push(orphan);
    for container in &mut observed.containers {
        if container.service() == "job" {
            container.state = RunState::Exited;
            container.exit_code = Some(0);
        }
    }
    let desired = load(&NETWORKS.replace(
        "networks:\n  front:\n  back:\n",
        "networks:\n  front:\n  back:\n    driver_opts: {com.docker.network.driver.mtu: \"1400\"}\n",
    ));
    let plan = plan_up(&desired, &observed, &options()).unwrap();
    let aliases = plan
        .actions
        .iter()
        .find_map(|a| match &a.op {
            plan::Op::ConnectNetwork {
                name, attachment, ..
            } if name == "snap-web-1" => Some(attachment.aliases.clone()),
            _ => None,
        })
        .expect("web is reconnected");
    assert!(aliases.contains(&"www".to_string()), "{aliases:?}");
    insta::assert_snapshot!(plan.render());
}

#[test]
fn network_made_by_another_tool_is_only_warned_about() {
    let mut observed = engine_after_up(&load(NETWORKS));
    for network in observed.networks.values_mut() {
        network.labels.remove(labels::DIGESTS);
        network
            .labels
            .insert(labels::CONFIG_HASH.into(), "compose-made".into());
    }
    let desired = load(NETWORKS);
    insta::assert_snapshot!(up(&desired, &observed, &options()));
}

#[test]
fn down_removes_every_network_of_one_name() {
    // Concurrent creates on an engine can leave two networks of one name.
    let desired = load(STACK);
    let mut observed = engine_after_up(&desired);
    let mut twin = observed.networks["default"].clone();
    twin.id = "net-default-twin".into();
    observed.duplicate_networks.push(twin);
    let plan = plan_down(&desired, &observed, &DownOptions::default()).render();
    assert!(plan.contains("remove network snap_default"), "{plan}");
    assert!(
        plan.contains("down (another network of the same name)"),
        "{plan}"
    );
    assert_eq!(
        plan.matches("remove network snap_default").count(),
        2,
        "{plan}"
    );
}

#[test]
fn down_stops_dependents_first_and_keeps_volumes() {
    let desired = load(STACK);
    let observed = engine_after_up(&desired);
    let keep = plan_down(&desired, &observed, &DownOptions::default());
    let with_volumes = down_v(&desired, &observed);
    insta::assert_snapshot!(format!(
        "down:\n{}\ndown -v:\n{}",
        keep.render(),
        with_volumes.render()
    ));
}

/// `down -v` and `rm -v` name the unnamed volumes each container mounts, to
/// remove those a recreated container inherited; a volume the file declares
/// is never one of them, whatever its name looks like.
#[test]
fn volumes_removal_takes_anonymous_volumes_but_not_declared_ones() {
    let hex = "b".repeat(64);
    let desired = load(&format!(
        "services:\n  web:\n    image: busybox\n    volumes: [/scratch, kept:/kept]\nvolumes:\n  kept: {{external: true, name: {hex}}}\n"
    ));
    let mut observed = engine_after_up(&desired);
    assert!(
        observed.containers[0].mounts.iter().any(|m| m.name == hex),
        "the fixture mounts the declared volume {hex}"
    );
    let volumes = DownOptions {
        volumes: true,
        ..Default::default()
    };
    let down = plan_down(&desired, &observed, &volumes);
    let rm = berth::reconcile::lifecycle::plan_rm(&desired, &observed, &[], true, true);
    observed.containers[0].state = RunState::Exited;
    let rm_keep = berth::reconcile::lifecycle::plan_rm(&desired, &observed, &[], false, false);
    insta::assert_snapshot!(format!(
        "down -v:\n{}\nrm -s -v:\n{}\nrm:\n{}\n{}",
        down.render(),
        rm.render(),
        rm_keep.render(),
        serde_json::to_string_pretty(&down.actions).unwrap()
    ));
}

#[test]
fn only_running_containers_that_need_it_are_stopped_first() {
    // A container that does not run is removed at once, and so is one whose
    // stop signal is SIGKILL (the forced removal sends it too), unless `-t`.
    let yaml = "services:\n  term:\n    image: busybox\n  kill:\n    image: busybox\n    stop_signal: SIGKILL\n  done:\n    image: busybox\n";
    let desired = load(yaml);
    let mut observed = engine_after_up(&desired);
    for container in &mut observed.containers {
        if container.service() == "done" {
            container.state = RunState::Exited;
        }
    }
    let timeout = DownOptions {
        timeout: Some(3),
        ..Default::default()
    };
    insta::assert_snapshot!(format!(
        "down:\n{}\ndown -t 3:\n{}",
        plan_down(&desired, &observed, &DownOptions::default()).render(),
        plan_down(&desired, &observed, &timeout).render()
    ));
}

#[test]
fn down_keeps_a_network_an_orphan_still_uses() {
    let observed = engine_after_up(&load(STACK));
    let desired = load("services:\n  web:\n    image: busybox\n");
    insta::assert_snapshot!(plan_down(&desired, &observed, &DownOptions::default()).render());
}

#[test]
fn down_without_a_file_works_from_labels() {
    let observed = engine_after_up(&load(STACK));
    let nothing = Desired {
        project: "snap".into(),
        ..Default::default()
    };
    let mut observed_by_labels = Observed {
        containers: observed.containers.clone(),
        ..Default::default()
    };
    observed_by_labels.stale_networks = observed.networks.values().cloned().collect();
    observed_by_labels.stale_volumes = observed.volumes.values().cloned().collect();
    let plan = down_v(&nothing, &observed_by_labels);
    insta::assert_snapshot!(plan.render());
}

#[test]
fn start_stop_kill_and_rm_plans() {
    use berth::reconcile::lifecycle::{Signal, plan_rm, plan_signal, plan_start, plan_stop};
    let desired = load(STACK);
    let mut observed = engine_after_up(&desired);
    let stopped = observed.clone();
    // Stopped containers: everything but db; job completed.
    for container in &mut observed.containers {
        if container.service() != "db" {
            container.state = RunState::Exited;
            container.exit_code = Some(if container.service() == "job" { 0 } else { 137 });
        }
    }
    insta::assert_snapshot!(format!(
        "start:\n{}\nstop:\n{}\nkill web:\n{}\nrm:\n{}\nrm -s db:\n{}",
        plan_start(&desired, &observed, &[]).render(),
        plan_stop(&desired, &stopped, &[], Some(2)).render(),
        plan_signal(
            &desired,
            &stopped,
            &["web".into()],
            &Signal::Kill("SIGHUP".into())
        )
        .render(),
        plan_rm(&desired, &observed, &[], false, true).render(),
        plan_rm(&desired, &observed, &["db".into()], true, false).render(),
    ));
}

#[test]
fn ipc_pid_and_volumes_from_parents_recreate_their_children() {
    let yaml = "services:
  data:
    image: busybox
    ipc: shareable
    environment: {V: '1'}
  shm:
    image: busybox
    ipc: service:data
  procs:
    image: busybox
    pid: service:data
  reader:
    image: busybox
    volumes_from: ['data:ro']
";
    let observed = engine_after_up(&load(yaml));
    let desired = load(&yaml.replace("V: '1'", "V: '2'"));
    insta::assert_snapshot!(up(&desired, &observed, &options()));
}

#[test]
fn hooks_ride_on_start_and_stop_and_keep_the_stop_of_a_sigkill_container() {
    let yaml = "services:
  app:
    image: busybox
    stop_signal: SIGKILL
    environment: {V: '1'}
    post_start:
      - command: echo started
    pre_stop:
      - command: echo stopping
      - command: echo still stopping
";
    let observed = engine_after_up(&load(yaml));
    let desired = load(&yaml.replace("V: '1'", "V: '2'"));
    insta::assert_snapshot!(up(&desired, &observed, &options()));
    // Editing a hook changes no container: hooks are not part of the spec.
    let edited = load(&yaml.replace("echo started", "echo up"));
    insta::assert_snapshot!(
        "hooks_edited_recreate_nothing",
        up(&edited, &observed, &options())
    );
}
