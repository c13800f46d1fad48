//! `--dry-run` changes nothing: for every command that can change
//! something, the engine's containers (with their IDs, states and start
//! times), networks, volumes and the images concerned, and the project
//! directory (where the runs keep their temp dir and state dir), are the
//! same after the dry run; the output says what would be done, or the
//! command is refused with Docker Compose's words and exit code.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

use crate::harness::{Registry, Run, TestEnv, docker, docker_ok};
use crate::up::sleeper;

/// A service with a volume, and a read-only one whose config berth would
/// write on the host (in the temp dir) to bind it.
fn compose() -> String {
    format!(
        "services:\n{}{}volumes:\n  data: {{}}\nconfigs:\n  greeting:\n    content: hello\n",
        sleeper("web", "    volumes:\n      - data:/data\n"),
        sleeper(
            "ro",
            "    read_only: true\n    configs:\n      - source: greeting\n        target: /greeting\n"
        ),
    )
}

/// A project with `compose` in its directory, and a temp dir and a state
/// dir of its own for berth (see [`dry`]).
fn project(test: &str, compose: &str) -> TestEnv {
    let env = TestEnv::new(test, compose);
    std::fs::create_dir_all(env.dir().join("tmp")).unwrap();
    std::fs::create_dir_all(env.dir().join("state")).unwrap();
    env
}

/// [`project`] with [`compose`], brought up.
fn running(test: &str) -> TestEnv {
    let env = project(test, &compose());
    env.berth_ok(&["up", "-d"]);
    env
}

/// What a dry run must leave as it was.
#[derive(Debug, PartialEq)]
struct Snapshot {
    /// Name → (ID, state, start time).
    containers: BTreeMap<String, (String, String, String)>,
    networks: Vec<String>,
    volumes: Vec<String>,
    /// Reference → image ID, for the images the test names.
    images: BTreeMap<String, Option<String>>,
    /// Path → content, for every file of the project directory.
    files: BTreeMap<String, Vec<u8>>,
}

fn image_id(reference: &str) -> Option<String> {
    let out = docker(&["image", "inspect", "--format", "{{.Id}}", reference]);
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn files(dir: &Path, root: &Path, into: &mut BTreeMap<String, Vec<u8>>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = path.strip_prefix(root).unwrap().display().to_string();
        if path.is_dir() {
            into.insert(format!("{name}/"), Vec::new());
            files(&path, root, into);
        } else {
            into.insert(name, std::fs::read(&path).unwrap_or_default());
        }
    }
}

fn snapshot(env: &TestEnv, images: &[&str]) -> Snapshot {
    let mut tree = BTreeMap::new();
    files(env.dir(), env.dir(), &mut tree);
    Snapshot {
        containers: env
            .containers()
            .into_iter()
            .map(|c| (c.name, (c.id, c.state, c.started_at)))
            .collect(),
        networks: env.networks(),
        volumes: env.volumes(),
        images: images
            .iter()
            .map(|i| (i.to_string(), image_id(i)))
            .collect(),
        files: tree,
    }
}

/// `berth --dry-run <args>` with its temp dir and state dir in the
/// project directory, so that whatever it would write there shows.
fn dry(env: &TestEnv, args: &[&str]) -> Run {
    let mut all = vec!["--dry-run"];
    all.extend(args);
    let dir = env.dir();
    env.cmd(&all)
        .env("TMPDIR", &dir.join("tmp").display().to_string())
        .env("XDG_STATE_HOME", &dir.join("state").display().to_string())
        .run()
}

/// Runs `berth --dry-run <args>`, checks it exits `code` and that nothing
/// changed; returns both output streams together.
fn changes_nothing(env: &TestEnv, args: &[&str], code: i32, images: &[&str]) -> String {
    let before = snapshot(env, images);
    let run = dry(env, args);
    run.assert_code(code);
    let after = snapshot(env, images);
    assert_eq!(before, after, "`{}` changed something", run.command);
    format!("{}{}", run.stdout, run.stderr)
}

fn assert_has(output: &str, expected: &str) {
    assert!(output.contains(expected), "no {expected:?} in:\n{output}");
}

#[test]
fn dry_run_up_creates_nothing() {
    let env = project("dry-up", &compose());
    let out = changes_nothing(&env, &["up", "-d"], 0, &[]);
    assert_has(&out, &format!("create container {}", env.name_of("web", 1)));
    assert_has(&out, &format!("create volume {}_data", env.project));
    assert!(env.containers().is_empty());
    // Nor does it recreate what the file changed.
    env.berth_ok(&["up", "-d"]);
    env.write(
        "compose.yaml",
        &compose().replace("command: sleep 3600", "command: sleep 3601"),
    );
    let out = changes_nothing(&env, &["up", "-d"], 0, &[]);
    assert_has(&out, &env.name_of("web", 1));
}

#[test]
fn dry_run_create_creates_nothing() {
    let env = project("dry-create", &compose());
    let out = changes_nothing(&env, &["create"], 0, &[]);
    assert_has(&out, &format!("create container {}", env.name_of("ro", 1)));
    assert!(env.containers().is_empty());
    assert!(env.networks().is_empty());
}

#[test]
fn dry_run_down_with_volumes_removes_nothing() {
    let env = running("dry-down");
    let out = changes_nothing(&env, &["down", "-v", "--rmi", "all"], 0, &["busybox"]);
    assert_has(&out, &format!("remove container {}", env.name_of("web", 1)));
    assert_has(&out, &format!("remove volume {}_data", env.project));
    assert_has(&out, &format!("remove network {}_default", env.project));
    assert_eq!(env.volumes(), vec![format!("{}_data", env.project)]);
}

#[test]
fn dry_run_lifecycle_commands_change_no_state() {
    let env = running("dry-lifecycle");
    let web = env.name_of("web", 1);
    for command in ["stop", "restart", "kill", "pause"] {
        let out = changes_nothing(&env, &[command], 0, &[]);
        assert_has(&out, &web);
    }
    // From a stopped project: start and rm.
    env.berth_ok(&["stop"]);
    for args in [&["start"][..], &["rm", "-f"], &["rm", "-s", "-f"]] {
        let out = changes_nothing(&env, args, 0, &[]);
        assert_has(&out, &web);
    }
    // From a paused one: unpause.
    env.berth_ok(&["start"]);
    env.berth_ok(&["pause"]);
    let out = changes_nothing(&env, &["unpause"], 0, &[]);
    assert_has(&out, &web);
    assert_eq!(env.container(&web).state, "paused");
    env.berth_ok(&["unpause"]);
}

#[test]
fn dry_run_scale_adds_no_replica() {
    let env = running("dry-scale");
    let out = changes_nothing(&env, &["scale", "web=3"], 0, &[]);
    assert_has(&out, &format!("create container {}", env.name_of("web", 3)));
    assert_eq!(env.containers().len(), 2);
}

#[test]
fn dry_run_run_creates_no_container_and_writes_no_file() {
    let env = running("dry-run-run");
    // Detached: what it would do, and the container's name, as Docker Compose.
    let out = changes_nothing(&env, &["run", "-d", "ro", "true"], 0, &[]);
    assert_has(&out, "would create container");
    assert_has(&out, "would start container");
    // Attached: refused, in Docker Compose's words.
    let out = changes_nothing(&env, &["run", "--rm", "web", "true"], 1, &[]);
    assert_has(&out, "interactive run is not supported in dry-run mode");
    let out = changes_nothing(&env, &["run", "--no-deps", "-T", "web", "true"], 1, &[]);
    assert_has(&out, "interactive run is not supported in dry-run mode");
}

#[test]
fn dry_run_exec_runs_nothing() {
    let env = running("dry-exec");
    let web = env.name_of("web", 1);
    let out = changes_nothing(&env, &["exec", "-T", "web", "touch", "/data/x"], 1, &[]);
    assert_has(&out, "interactive exec is not supported in dry-run mode");
    let out = changes_nothing(&env, &["exec", "-d", "web", "touch", "/data/x"], 0, &[]);
    assert_has(
        &out,
        &format!("would run [\"touch\", \"/data/x\"] in container {web}"),
    );
    // Not even later.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let out = docker(&["exec", &web, "test", "-e", "/data/x"]);
    assert!(!out.status.success(), "the dry run ran the command");
}

#[test]
fn dry_run_cp_into_a_container_is_refused() {
    let env = running("dry-cp-in");
    let web = env.name_of("web", 1);
    env.write("hello.txt", "hello\n");
    let out = changes_nothing(&env, &["cp", "hello.txt", "web:/data/"], 1, &[]);
    assert_has(&out, "is not supported in dry-run mode");
    let out = docker(&["exec", &web, "test", "-e", "/data/hello.txt"]);
    assert!(!out.status.success(), "the dry run copied the file in");
}

#[test]
fn dry_run_cp_out_of_a_container_is_refused() {
    let env = running("dry-cp-out");
    env.exec(
        &env.name_of("web", 1),
        &["sh", "-c", "echo hi > /data/out.txt"],
    );
    let out = changes_nothing(&env, &["cp", "web:/data/out.txt", "copied.txt"], 1, &[]);
    assert_has(&out, "is not supported in dry-run mode");
    assert!(!env.dir().join("copied.txt").exists());
}

#[test]
fn dry_run_commit_makes_no_image() {
    let env = running("dry-commit");
    let image = format!("{}-shot:1", env.project);
    let out = changes_nothing(&env, &["commit", "web", &image], 0, &[&image]);
    assert_has(
        &out,
        &format!(
            "would commit container {} as {image}",
            env.name_of("web", 1)
        ),
    );
    assert_eq!(image_id(&image), None);
}

#[test]
fn dry_run_export_writes_no_archive() {
    let env = running("dry-export");
    let out = changes_nothing(&env, &["export", "web", "-o", "web.tar"], 0, &[]);
    assert_has(&out, "would export");
    assert!(!env.dir().join("web.tar").exists());
}

#[test]
fn dry_run_attach_is_refused() {
    let env = running("dry-attach");
    let out = changes_nothing(&env, &["attach", "web"], 1, &[]);
    assert_has(&out, "interactive run is not supported in dry-run mode");
}

#[test]
fn dry_run_build_builds_nothing() {
    let image = format!("{}-built:1", crate::harness::project_name("dry-build"));
    let compose = format!("services:\n  built:\n    build: ./ctx\n    image: {image}\n");
    let env = project("dry-build", &compose);
    env.write("ctx/Dockerfile", "FROM busybox\nRUN touch /built\n");
    let out = changes_nothing(&env, &["build"], 0, &[&image]);
    assert_has(&out, "would build");
    assert_eq!(image_id(&image), None);
}

/// The repositories of the registry at `address` (`GET /v2/_catalog`).
fn catalog(address: &str) -> String {
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET /v2/_catalog HTTP/1.0\r\nHost: {address}\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    text
}

#[test]
fn dry_run_pull_pulls_nothing_and_records_no_pull() {
    let registry = Registry::start(false);
    let name = crate::harness::project_name("dry-pull");
    let image = format!("{}/{name}/bb:1", registry.address);
    docker_ok(&["tag", "busybox", &image]);
    docker_ok(&["push", &image]);
    docker_ok(&["rmi", &image]);
    let compose = format!(
        "services:\n  web:\n    image: {image}\n    pull_policy: daily\n    command: sleep 3600\n"
    );
    let env = project("dry-pull", &compose);
    let out = changes_nothing(&env, &["pull"], 0, &[&image]);
    assert_has(&out, &format!("would pull image {image}"));
    assert_eq!(image_id(&image), None);
    assert!(!env.dir().join("state/berth/pulls.json").exists());
    // An image the registry does not have fails, as a real pull would.
    let absent = format!("{}/{name}/absent:1", registry.address);
    env.write("compose.yaml", &compose.replace(&image, &absent));
    let out = changes_nothing(&env, &["pull"], 1, &[&absent]);
    assert_has(&out, &absent);
}

#[test]
fn dry_run_push_pushes_nothing() {
    let registry = Registry::start(false);
    let name = crate::harness::project_name("dry-push");
    let image = format!("{}/{name}/bb:1", registry.address);
    // Push pushes the images the file builds and names.
    let compose = format!(
        "services:\n  web:\n    build: ./ctx\n    image: {image}\n    command: sleep 3600\n"
    );
    let env = project("dry-push", &compose);
    env.write("ctx/Dockerfile", "FROM busybox\n");
    // Tagged once the project is set up: its setup removes images named after it.
    docker_ok(&["tag", "busybox", &image]);
    let out = changes_nothing(&env, &["push"], 0, &[&image]);
    let _ = docker(&["rmi", &image]);
    assert_has(&out, &format!("would push image {image}"));
    let listed = catalog(&registry.address);
    assert!(listed.contains("200 OK"), "{listed}");
    assert!(!listed.contains(&name), "the dry run pushed: {listed}");
}

#[test]
fn dry_run_watch_brings_up_nothing() {
    let compose = format!(
        "services:\n{}",
        sleeper(
            "web",
            "    develop:\n      watch:\n        - action: sync\n          path: ./src\n          target: /src\n"
        )
    );
    let env = project("dry-watch", &compose);
    env.write("src/a.txt", "a\n");
    let out = changes_nothing(&env, &["watch"], 0, &[]);
    assert_has(&out, &format!("create container {}", env.name_of("web", 1)));
    assert_has(&out, "would watch");
    assert!(env.containers().is_empty());
}
