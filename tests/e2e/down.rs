//! `down`: what it removes and keeps; projects side by side.

use crate::harness::{TestEnv, docker, docker_ok};
use crate::up::sleeper;

fn volume_exists(name: &str) -> bool {
    docker(&["volume", "inspect", name]).status.success()
}

#[test]
fn down_keeps_named_volumes_and_down_v_removes_everything() {
    let compose = format!(
        "services:\n{}{}volumes:\n  data: {{}}\n",
        sleeper(
            "web",
            "    volumes:\n      - data:/data\n      - /scratch\n"
        ),
        sleeper("db", ""),
    );
    let env = TestEnv::new("down-volumes", &compose);
    env.berth_ok(&["up", "-d"]);
    let named = format!("{}_data", env.project);
    assert_eq!(env.volumes(), [named.as_str()]);
    let web = env.container(&env.name_of("web", 1));
    let anonymous = web
        .volume_at("/scratch")
        .expect("anonymous volume at /scratch");

    // Without -v: containers and networks go, the named volume stays.
    env.berth_ok(&["down"]);
    assert_eq!(env.container_names(), Vec::<String>::new());
    assert_eq!(env.networks(), Vec::<String>::new());
    assert_eq!(env.volumes(), [named.as_str()]);
    // Twice is fine.
    env.berth_ok(&["down"]);

    // The named volume is reused by the next up, then removed by down -v.
    env.berth_ok(&["up", "-d"]);
    let web = env.container(&env.name_of("web", 1));
    let anonymous2 = web
        .volume_at("/scratch")
        .expect("anonymous volume at /scratch");
    env.berth_ok(&["down", "-v"]);
    assert_eq!(env.container_names(), Vec::<String>::new());
    assert_eq!(env.networks(), Vec::<String>::new());
    assert_eq!(env.volumes(), Vec::<String>::new());
    assert!(!volume_exists(&named));
    assert!(
        !volume_exists(&anonymous2),
        "down -v left the anonymous volume {anonymous2}"
    );
    env.berth_ok(&["down", "-v"]);
    // The first down (without -v) keeps anonymous volumes, as Docker Compose does.
    env.forget_volume_later(&anonymous);
}

/// A recreated container takes its predecessor's anonymous volume over by
/// name, and the engine's own `v` then spares it: `down -v` and `rm -v` must
/// still remove it (Docker Compose 2.40 leaves it behind).
#[test]
fn down_v_and_rm_v_remove_anonymous_volumes_a_recreated_container_inherited() {
    let scratch = "    volumes:\n      - /scratch\n";
    let compose = format!(
        "services:\n{}{}",
        sleeper("web", scratch),
        sleeper("db", scratch)
    );
    let env = TestEnv::new("down-inherited", &compose);
    env.berth_ok(&["up", "-d"]);
    let volume_of = |service: &str| {
        env.container(&env.name_of(service, 1))
            .volume_at("/scratch")
            .expect("anonymous volume at /scratch")
    };
    let (web, db) = (volume_of("web"), volume_of("db"));
    env.berth_ok(&["up", "-d", "--force-recreate"]);
    assert_eq!(volume_of("web"), web, "the recreated web lost its volume");
    assert_eq!(volume_of("db"), db, "the recreated db lost its volume");

    env.berth_ok(&["rm", "-s", "-f", "-v", "db"]);
    assert!(!volume_exists(&db), "rm -v left the inherited volume {db}");
    assert!(volume_exists(&web), "rm -v db removed web's volume {web}");
    env.berth_ok(&["down", "-v"]);
    assert!(
        !volume_exists(&web),
        "down -v left the inherited volume {web}"
    );
}

#[test]
fn two_projects_from_one_file_are_isolated() {
    let compose = format!("services:\n{}", sleeper("web", ""));
    let env = TestEnv::new("down-two-projects", &compose);
    let a = env.other_project("a");
    let b = env.other_project("b");
    env.cmd(&["up", "-d"]).project(&a).run().assert_code(0);
    env.cmd(&["up", "-d"]).project(&b).run().assert_code(0);

    for project in [&a, &b] {
        let containers = env.containers_of(project);
        assert_eq!(containers.len(), 1, "{project}");
        assert_eq!(containers[0].name, format!("{project}-web-1"));
        assert_eq!(containers[0].state, "running");
        assert_eq!(containers[0].networks(), [format!("{project}_default")]);
    }

    // Taking a down leaves b alone.
    let b_before = env.containers_of(&b);
    env.cmd(&["down"]).project(&a).run().assert_code(0);
    assert!(env.containers_of(&a).is_empty());
    let b_after = env.containers_of(&b);
    assert_eq!(b_after.len(), 1);
    assert_eq!(b_after[0].id, b_before[0].id);
    assert_eq!(b_after[0].state, "running");

    env.cmd(&["down"]).project(&b).run().assert_code(0);
    assert!(env.containers_of(&b).is_empty());
    for project in [&a, &b] {
        let filter = format!("label=com.docker.compose.project={project}");
        let out = docker(&["network", "ls", "-q", "--filter", &filter]);
        assert!(
            String::from_utf8_lossy(&out.stdout).trim().is_empty(),
            "network of {project} left"
        );
    }
}

/// Found comparing `down -v` with Docker Compose: a volume with a fixed
/// `name:` that another project's container still mounts is kept with a
/// warning, and `down` succeeds; berth failed with the engine's "volume is
/// in use".
#[test]
fn down_v_keeps_a_named_volume_another_project_still_mounts() {
    let env = TestEnv::new("down-volume-in-use", "services: {}\n");
    let volume = format!("{}-shared", env.project);
    env.forget_volume_later(&volume);
    env.write(
        "compose.yaml",
        &format!(
            "services:\n{}volumes:\n  data:\n    name: {volume}\n",
            sleeper("app", "    volumes: [data:/data]\n")
        ),
    );
    let (a, b) = (env.other_project("a"), env.other_project("b"));
    env.cmd(&["up", "-d"]).project(&a).run().assert_code(0);
    env.cmd(&["up", "-d"])
        .project(&b)
        .run()
        .assert_code(0)
        .assert_stderr_has(&format!(
            "a volume named {volume} exists but was created for project {a}"
        ));

    env.cmd(&["down", "-v"])
        .project(&a)
        .run()
        .assert_code(0)
        .assert_stderr_has(&format!("{volume}  Resource is still in use"));
    assert!(env.containers_of(&a).is_empty());
    assert_eq!(
        docker_ok(&[
            "volume",
            "ls",
            "-q",
            "--filter",
            &format!("name=^{volume}$")
        ])
        .trim(),
        volume
    );
    assert_eq!(env.containers_of(&b).len(), 1);
    env.cmd(&["down", "-v"]).project(&b).run().assert_code(0);
}

/// `--all-resources` makes the networks and volumes no service uses, as
/// Docker Compose does; `down -v` removes every volume labelled with the
/// project, those no service uses included, as Docker Compose does (berth
/// kept them: a leak from run to run in CI).
#[test]
fn all_resources_makes_unused_ones_and_down_v_removes_them() {
    let compose = format!(
        "services:\n{}networks:\n  lonely: {{}}\nvolumes:\n  unused: {{}}\n",
        sleeper("app", "")
    );
    let env = TestEnv::new("down-all-resources", &compose);
    let name = |key: &str| format!("{}_{key}", env.project);
    env.berth_ok(&["up", "-d"]);
    assert_eq!(env.networks(), [name("default")]);
    assert!(env.volumes().is_empty());

    env.berth_ok(&["--all-resources", "up", "-d"]);
    let mut networks = env.networks();
    networks.sort();
    assert_eq!(networks, [name("default"), name("lonely")]);
    assert_eq!(env.volumes(), [name("unused")]);

    env.berth_ok(&["down", "-v"]);
    assert!(env.networks().is_empty());
    assert!(env.volumes().is_empty(), "{:?}", env.volumes());
}

#[test]
fn down_without_a_compose_file_goes_by_labels() {
    let compose = format!(
        "services:\n{}{}",
        sleeper("web", "    volumes:\n      - /scratch\n"),
        sleeper("db", "")
    );
    let env = TestEnv::new("down-no-file", &compose);
    env.berth_ok(&["up", "-d"]);
    assert_eq!(env.containers().len(), 2);
    let elsewhere = tempfile::tempdir().unwrap();
    env.cmd(&["down", "-v", "-t", "0"])
        .current_dir(elsewhere.path())
        .run()
        .assert_code(0);
    assert!(env.containers().is_empty(), "{:?}", env.container_names());
    assert!(env.networks().is_empty(), "{:?}", env.networks());
}

#[test]
fn down_of_one_service_keeps_the_rest() {
    let env = TestEnv::new(
        "down-subset",
        &format!(
            "services:\n{}{}{}",
            sleeper("web", ""),
            sleeper("db", ""),
            sleeper("old", "")
        ),
    );
    env.berth_ok(&["up", "-d"]);
    env.berth_ok(&["down", "web"]);
    assert_eq!(
        env.container_names(),
        [env.name_of("db", 1), env.name_of("old", 1)]
    );
    assert_eq!(
        env.networks().len(),
        1,
        "down of one service took the network"
    );

    env.berth_ok(&["down"]);
    assert!(env.containers().is_empty());
    assert!(env.networks().is_empty(), "{:?}", env.networks());
}

#[test]
fn down_leaves_orphans_and_their_network_then_remove_orphans_takes_them() {
    let env = TestEnv::new(
        "down-orphans",
        &format!("services:\n{}{}", sleeper("web", ""), sleeper("old", "")),
    );
    env.berth_ok(&["up", "-d"]);
    env.write(
        "compose.yaml",
        &format!("services:\n{}", sleeper("web", "")),
    );
    let run = env.berth_ok(&["down"]);
    assert!(
        run.stderr.to_lowercase().contains("orphan"),
        "{}",
        run.stderr
    );
    assert_eq!(env.container_names(), [env.name_of("old", 1)]);
    env.berth_ok(&["down", "--remove-orphans"]);
    assert!(env.containers().is_empty());
    assert!(env.networks().is_empty(), "{:?}", env.networks());
}
