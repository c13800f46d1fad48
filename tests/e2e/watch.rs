//! `berth watch`: files changed on the host reach the containers.

use std::io::{BufRead, BufReader, Read};
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::attached::running;
use crate::harness::{TestEnv, docker};

/// How long a change may take to show in a container on a busy machine.
const SYNCED: Duration = Duration::from_secs(20);

/// A service `web` whose `src` is synced to `/app` by `action`, with `extra`
/// appended to the rule.
fn project(action: &str, extra: &str) -> String {
    format!(
        "services:
  web:
    image: busybox
    init: true
    command: [sh, -c, 'mkdir -p -m 1777 /tmp; date >> /tmp/starts; exec sleep 3600']
    develop:
      watch:
        - path: ./src
          target: /app
          action: {action}
          ignore: [node_modules, '*.log']
{extra}"
    )
}

/// A running `berth watch`, killed when dropped (before the project is
/// torn down: declare it after the [`TestEnv`]).
struct Watch {
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

impl Watch {
    /// Starts `berth watch <args>` and waits until it watches.
    fn start(env: &TestEnv, args: &[&str]) -> Watch {
        Watch::start_with(env, args, &[])
    }

    /// The same, with environment variables `vars`.
    fn start_with(env: &TestEnv, args: &[&str], vars: &[(&str, &str)]) -> Watch {
        let mut all = vec!["watch"];
        all.extend(args);
        let mut cmd = env.cmd(&all);
        for (key, value) in vars {
            cmd = cmd.env(key, value);
        }
        let (mut child, shown) = cmd.spawn();
        let stdout = collect(child.stdout.take().expect("piped stdout"));
        let stderr = collect(child.stderr.take().expect("piped stderr"));
        let watch = Watch {
            child,
            stdout,
            stderr,
        };
        let ready = env.poll_until(SYNCED, |_| watch.stdout().contains("watching "));
        assert!(
            ready,
            "`{shown}` did not start watching:\n{}",
            watch.output()
        );
        watch
    }

    fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    fn output(&self) -> String {
        format!(
            "--- stdout\n{}--- stderr\n{}",
            self.stdout(),
            self.stderr.lock().unwrap()
        )
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads a child's stream on a thread into a shared string.
fn collect(stream: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = text.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            let mut sink = sink.lock().unwrap();
            sink.push_str(&line);
            sink.push('\n');
        }
    });
    text
}

/// The content of `path` in `container`, or `None` when it cannot be read.
/// Whether `name` runs as another container than `before`. During the
/// recreate it may briefly not exist under that name at all.
fn recreated(env: &TestEnv, name: &str, before: &str) -> bool {
    env.containers()
        .into_iter()
        .any(|c| c.name == name && c.id != before && c.state == "running")
}

fn read(container: &str, path: &str) -> Option<String> {
    let out = docker(&["exec", container, "cat", path]);
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn exists(container: &str, path: &str) -> bool {
    docker(&["exec", container, "test", "-e", path])
        .status
        .success()
}

/// Waits until `path` in `container` holds `text`.
fn assert_synced(env: &TestEnv, watch: &Watch, container: &str, path: &str, text: &str) {
    let synced = env.poll_until(SYNCED, |_| read(container, path).as_deref() == Some(text));
    assert!(
        synced,
        "{path} in {container} is {:?}, not {text:?}\n{}",
        read(container, path),
        watch.output()
    );
}

/// Waits until `path` is gone from `container`.
fn assert_removed(env: &TestEnv, watch: &Watch, container: &str, path: &str) {
    let removed = env.poll_until(SYNCED, |_| !exists(container, path));
    assert!(
        removed,
        "{path} is still in {container}\n{}",
        watch.output()
    );
}

#[test]
fn watch_syncs_created_modified_deleted_and_renamed_files() {
    let env = TestEnv::new("watch-files", &project("sync", ""));
    env.write("src/kept.txt", "kept");
    let watch = Watch::start(&env, &[]);
    let web = env.name_of("web", 1);

    env.write("src/new.txt", "created");
    assert_synced(&env, &watch, &web, "/app/new.txt", "created");
    env.write("src/new.txt", "modified");
    assert_synced(&env, &watch, &web, "/app/new.txt", "modified");
    std::fs::rename(
        env.dir().join("src/new.txt"),
        env.dir().join("src/renamed.txt"),
    )
    .unwrap();
    assert_synced(&env, &watch, &web, "/app/renamed.txt", "modified");
    assert_removed(&env, &watch, &web, "/app/new.txt");
    std::fs::remove_file(env.dir().join("src/renamed.txt")).unwrap();
    assert_removed(&env, &watch, &web, "/app/renamed.txt");
    assert!(
        !exists(&web, "/app/kept.txt"),
        "without initial_sync, files present at start are not copied"
    );
}

#[test]
fn watch_syncs_new_directories_and_leaves_ignored_paths_out() {
    let env = TestEnv::new("watch-dirs", &project("sync", ""));
    std::fs::create_dir_all(env.dir().join("src")).unwrap();
    let watch = Watch::start(&env, &[]);
    let web = env.name_of("web", 1);

    // A tree created at once: the files are written before berth can
    // watch the new directories, and still arrive.
    env.write("src/a/b/c/deep.txt", "deep");
    env.write("src/a/top.txt", "top");
    assert_synced(&env, &watch, &web, "/app/a/b/c/deep.txt", "deep");
    assert_synced(&env, &watch, &web, "/app/a/top.txt", "top");
    env.write("src/a/b/c/later.txt", "later");
    assert_synced(&env, &watch, &web, "/app/a/b/c/later.txt", "later");

    for ignored in [
        "src/node_modules/dep/index.js",
        "src/debug.log",
        "src/.git/HEAD",
        "src/.main.js.swp",
        "src/main.js~",
    ] {
        env.write(ignored, "ignored");
    }
    env.write("src/marker.txt", "after the ignored ones");
    assert_synced(
        &env,
        &watch,
        &web,
        "/app/marker.txt",
        "after the ignored ones",
    );
    for ignored in [
        "/app/node_modules",
        "/app/debug.log",
        "/app/.git",
        "/app/.main.js.swp",
        "/app/main.js~",
    ] {
        assert!(!exists(&web, ignored), "{ignored} was synced");
    }

    std::fs::remove_dir_all(env.dir().join("src/a")).unwrap();
    assert_removed(&env, &watch, &web, "/app/a");
}

#[test]
fn watch_initial_sync_copies_the_tree_but_not_the_compose_file() {
    let rule = "          initial_sync: true\n        - path: .\n          target: /project\n          action: sync\n          initial_sync: true\n";
    let env = TestEnv::new("watch-initial", &project("sync", rule));
    env.write("src/one.txt", "one");
    env.write("src/sub/two.txt", "two");
    env.write("src/node_modules/x.js", "ignored");
    let watch = Watch::start(&env, &[]);
    let web = env.name_of("web", 1);
    assert_synced(&env, &watch, &web, "/app/one.txt", "one");
    assert_synced(&env, &watch, &web, "/app/sub/two.txt", "two");
    assert_synced(&env, &watch, &web, "/project/src/one.txt", "one");
    assert!(!exists(&web, "/app/node_modules"));
    assert!(
        !exists(&web, "/project/compose.yaml"),
        "the compose file is never synced"
    );
}

#[test]
fn watch_catches_up_with_changes_made_while_it_was_not_running() {
    let env = TestEnv::new("watch-down", &project("sync", ""));
    env.write("src/changed.txt", "before");
    env.write("src/deleted.txt", "deleted");
    let first = Watch::start(&env, &[]);
    let web = env.name_of("web", 1);
    env.write("src/deleted.txt", "synced");
    assert_synced(&env, &first, &web, "/app/deleted.txt", "synced");
    drop(first);

    env.write("src/changed.txt", "while down");
    env.write("src/added.txt", "added while down");
    std::fs::remove_file(env.dir().join("src/deleted.txt")).unwrap();
    let second = Watch::start(&env, &["--no-up"]);
    assert_synced(&env, &second, &web, "/app/changed.txt", "while down");
    assert_synced(&env, &second, &web, "/app/added.txt", "added while down");
    assert_removed(&env, &second, &web, "/app/deleted.txt");
    drop(second);
    // What watch gave each container goes with the project.
    let manifests = std::env::temp_dir().join("berth-watch").join(&env.project);
    assert!(
        manifests.exists(),
        "no manifests in {}",
        manifests.display()
    );
    env.berth_ok(&["down"]);
    assert!(!manifests.exists(), "down left {}", manifests.display());
}

#[test]
fn watch_survives_restarts_and_a_stopped_container_catches_up_when_it_starts() {
    let env = TestEnv::new("watch-restart", &project("sync", ""));
    std::fs::create_dir_all(env.dir().join("src")).unwrap();
    let watch = Watch::start(&env, &[]);
    let web = env.name_of("web", 1);

    crate::harness::docker_ok(&["restart", "-t", "1", &web]);
    env.write("src/after-restart.txt", "after restart");
    assert_synced(
        &env,
        &watch,
        &web,
        "/app/after-restart.txt",
        "after restart",
    );

    crate::harness::docker_ok(&["stop", "-t", "1", &web]);
    env.write("src/while-stopped.txt", "while stopped");
    crate::harness::docker_ok(&["start", &web]);
    assert_synced(
        &env,
        &watch,
        &web,
        "/app/while-stopped.txt",
        "while stopped",
    );
    assert!(
        !watch.output().contains("error"),
        "a stopped container is not a failure:\n{}",
        watch.output()
    );
}

#[test]
fn watch_sync_restart_restarts_the_container_after_syncing() {
    let env = TestEnv::new("watch-sync-restart", &project("sync+restart", ""));
    std::fs::create_dir_all(env.dir().join("src")).unwrap();
    let watch = Watch::start(&env, &[]);
    let web = env.name_of("web", 1);
    let starts = |_: &TestEnv| read(&web, "/tmp/starts").map_or(0, |s| s.lines().count());
    assert_eq!(starts(&env), 1);

    env.write("src/config.txt", "v2");
    assert_synced(&env, &watch, &web, "/app/config.txt", "v2");
    let restarted = env.poll_until(SYNCED, |env| starts(env) == 2);
    assert!(restarted, "not restarted once:\n{}", watch.output());
    let said = env.poll_until(SYNCED, |_| {
        watch
            .stdout()
            .contains("synced 1 file to web-1 and restarted in ")
    });
    assert!(said, "one line for the batch:\n{}", watch.output());
}

#[test]
fn watch_sync_exec_runs_the_command_in_the_container_after_syncing() {
    let exec = "          exec:\n            command: [sh, -c, 'cp /app/a.txt /tmp/seen; echo hook \"$$GREETING\" $(id -u)']\n            user: '1000'\n            environment:\n              GREETING: hi\n";
    let env = TestEnv::new("watch-sync-exec", &project("sync+exec", exec));
    std::fs::create_dir_all(env.dir().join("src")).unwrap();
    let watch = Watch::start(&env, &[]);
    let web = env.name_of("web", 1);

    env.write("src/a.txt", "for the hook");
    assert_synced(&env, &watch, &web, "/tmp/seen", "for the hook");
    let printed = env.poll_until(SYNCED, |_| watch.stdout().contains("web-1  | hook hi 1000"));
    assert!(
        printed,
        "the hook's output is not shown:\n{}",
        watch.output()
    );
}

#[test]
fn watch_rebuild_builds_a_shared_image_once_and_recreates_its_services() {
    let image = format!("{}-shared", crate::harness::project_name("watch-rebuild"));
    let service = |name: &str| {
        format!(
            "  {name}:\n    image: {image}\n    build: .\n    init: true\n    command: [sleep, '3600']\n    develop:\n      watch:\n        - path: ./src\n          action: rebuild\n"
        )
    };
    let compose = format!("services:\n{}{}", service("web"), service("worker"));
    let env = TestEnv::new("watch-rebuild", &compose);
    env.write("Dockerfile", "FROM busybox\nCOPY src /src\n");
    env.write("src/version.txt", "1");
    let watch = Watch::start(&env, &[]);
    let names = [env.name_of("web", 1), env.name_of("worker", 1)];
    let ids_before: Vec<String> = names.iter().map(|n| env.container(n).id).collect();
    // BuildKit's first step, once per build.
    let builds = |output: &str| output.matches("load remote build context").count();
    let steps_before = builds(&watch.output());

    env.write("src/version.txt", "2");
    for (name, before) in names.iter().zip(&ids_before) {
        let rebuilt = env.poll_until(SYNCED, |env| recreated(env, name, before));
        assert!(rebuilt, "{name} was not recreated:\n{}", watch.output());
        assert_eq!(env.exec(name, &["cat", "/src/version.txt"]), "2");
    }
    // One build for the two services that share the image.
    let steps = builds(&watch.output()) - steps_before;
    assert_eq!(steps, 1, "{}", watch.output());
}

#[test]
fn watch_syncs_into_every_replica() {
    let compose = project("sync", "").replace("    init: true\n", "    init: true\n    scale: 2\n");
    let env = TestEnv::new("watch-replicas", &compose);
    std::fs::create_dir_all(env.dir().join("src")).unwrap();
    let watch = Watch::start(&env, &[]);
    env.write("src/shared.txt", "both");
    for replica in [1, 2] {
        assert_synced(
            &env,
            &watch,
            &env.name_of("web", replica),
            "/app/shared.txt",
            "both",
        );
    }
    std::fs::remove_file(env.dir().join("src/shared.txt")).unwrap();
    for replica in [1, 2] {
        assert_removed(
            &env,
            &watch,
            &env.name_of("web", replica),
            "/app/shared.txt",
        );
    }
}

#[test]
fn up_watch_shows_the_logs_and_syncs_until_ctrl_c_stops_the_services() {
    let compose = "services:
  web:
    image: busybox
    init: true
    command: [sh, -c, 'echo web-ready; exec sleep 3600']
    develop:
      watch:
        - path: ./src
          target: /app
          action: sync
";
    let env = TestEnv::new("up-watch", compose);
    std::fs::create_dir_all(env.dir().join("src")).unwrap();
    let up = env.cmd(&["up", "--watch"]).background();
    // The watch's first line and the container's output come in either order.
    let (mut ready, mut watching) = (false, false);
    while !(ready && watching) {
        let line = up.line_where("the output or the watch's start", |line| {
            line == "web-1  | web-ready" || line.starts_with("watching ")
        });
        ready |= line == "web-1  | web-ready";
        watching |= line.starts_with("watching ");
    }
    let web = env.name_of("web", 1);

    env.write("src/new.txt", "created");
    let synced = env.poll_until(SYNCED, |_| {
        read(&web, "/app/new.txt").as_deref() == Some("created")
    });
    assert!(synced, "/app/new.txt is {:?}", read(&web, "/app/new.txt"));
    up.line_where("a sync line", |line| {
        line.starts_with("synced 1 file") && line.contains("web-1")
    });

    up.interrupt();
    let (code, stderr) = up.finish();
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        running(&env).is_empty(),
        "still running: {:?}",
        running(&env)
    );
}

#[test]
fn up_watch_without_watch_rules_fails_before_bringing_anything_up() {
    let env = TestEnv::new(
        "up-watch-none",
        "services:\n  web:\n    image: busybox\n    command: [sleep, '3600']\n",
    );
    let run = env.berth(&["up", "--watch"]);
    run.assert_code(1).assert_stderr_has("configured for watch");
    assert!(env.containers().is_empty());
    env.berth(&["up", "--watch", "-d"]).assert_code(2);
}

/// A rebuild does not hold the watch up: files of other services sync while
/// it builds. The build waits, on the host's network, until the test lets it
/// go by listening on a port of 127.0.0.1.
#[test]
fn watch_syncs_other_services_while_a_rebuild_runs() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let compose = format!(
        "services:
  slow:
    image: {}-slow
    build:
      context: .
      network: host
    init: true
    command: [sleep, '3600']
    develop:
      watch:
        - path: ./gate
          action: rebuild
  fast:
    image: busybox
    init: true
    command: [sleep, '3600']
    develop:
      watch:
        - path: ./src
          target: /app
          action: sync
",
        crate::harness::project_name("watch-rebuild-busy")
    );
    let env = TestEnv::new("watch-rebuild-busy", &compose);
    env.write(
        "Dockerfile",
        &format!(
            "FROM busybox\nCOPY gate /gate\nRUN if [ -f /gate/hold ]; then until nc 127.0.0.1 {port} </dev/null; do sleep 0.1; done; fi\n"
        ),
    );
    env.write("gate/open", "");
    std::fs::create_dir_all(env.dir().join("src")).unwrap();
    let watch = Watch::start(&env, &[]);
    let slow = env.name_of("slow", 1);
    let before = env.container(&slow).id;

    // The rebuild starts and waits for the port.
    env.write("gate/hold", "");
    let building = env.poll_until(SYNCED, |_| watch.output().contains("RUN if"));
    assert!(building, "no rebuild started:\n{}", watch.output());
    // Meanwhile fast's files still reach it.
    let fast = env.name_of("fast", 1);
    env.write("src/during.txt", "synced");
    let synced = env.poll_until(SYNCED, |_| {
        read(&fast, "/app/during.txt").as_deref() == Some("synced")
    });
    assert!(synced, "no sync during the rebuild:\n{}", watch.output());
    assert_eq!(env.container(&slow).id, before, "the rebuild did not wait");

    // Let the build go: it ends, and slow is recreated.
    let gate = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    gate.set_nonblocking(true).unwrap();
    let let_go = env.poll_until(SYNCED, |_| gate.accept().is_ok());
    assert!(let_go, "the build never knocked:\n{}", watch.output());
    let rebuilt = env.poll_until(SYNCED, |env| recreated(env, &slow, &before));
    assert!(rebuilt, "slow was not recreated:\n{}", watch.output());
}

/// A rule whose path is one file, next to a directory rule: one batch that
/// touches both delivers both.
#[test]
fn watch_syncs_a_single_file_rule_next_to_a_directory_rule() {
    let rule = "        - path: ./nginx.conf\n          target: /etc/nginx/nginx.conf\n          action: sync\n";
    let env = TestEnv::new("watch-single-file", &project("sync", rule));
    env.write("nginx.conf", "v1");
    std::fs::create_dir_all(env.dir().join("src")).unwrap();
    let watch = Watch::start(&env, &[]);
    let web = env.name_of("web", 1);

    env.write("nginx.conf", "v2");
    env.write("src/page.html", "page");
    assert_synced(&env, &watch, &web, "/etc/nginx/nginx.conf", "v2");
    assert_synced(&env, &watch, &web, "/app/page.html", "page");
    env.write("nginx.conf", "v3");
    assert_synced(&env, &watch, &web, "/etc/nginx/nginx.conf", "v3");
    assert!(
        !watch.output().contains("error"),
        "no failure expected:\n{}",
        watch.output()
    );
}

/// A unix socket in the tree cannot be archived: it is skipped with a
/// warning naming it, and the files that came with it still arrive.
#[test]
fn watch_skips_a_socket_and_syncs_the_files_that_came_with_it() {
    let env = TestEnv::new(
        "watch-socket",
        &project("sync", "          initial_sync: true\n"),
    );
    std::fs::create_dir_all(env.dir().join("src")).unwrap();
    let socket = std::os::unix::net::UnixListener::bind(env.dir().join("src/app.sock")).unwrap();
    env.write("src/first.txt", "first");
    let watch = Watch::start(&env, &[]);
    let web = env.name_of("web", 1);
    // The initial sync carries the socket and the file in one archive.
    assert_synced(&env, &watch, &web, "/app/first.txt", "first");

    // Live: a new directory holding a socket and a file.
    std::fs::create_dir_all(env.dir().join("src/run")).unwrap();
    let other =
        std::os::unix::net::UnixListener::bind(env.dir().join("src/run/other.sock")).unwrap();
    env.write("src/run/next.txt", "next");
    assert_synced(&env, &watch, &web, "/app/run/next.txt", "next");
    env.write("src/later.txt", "later");
    assert_synced(&env, &watch, &web, "/app/later.txt", "later");
    let warned = env.poll_until(SYNCED, |_| {
        let output = watch.output();
        output.contains("app.sock") && output.contains("other.sock")
    });
    assert!(warned, "no warning names the sockets:\n{}", watch.output());
    drop((socket, other));
}

/// A `rebuild` rule on the Dockerfile itself rebuilds and recreates.
#[test]
fn watch_rebuilds_when_a_rebuild_rule_names_the_dockerfile() {
    let compose = format!(
        "services:\n  web:\n    image: {}-img\n    build: .\n    init: true\n    command: [sleep, '3600']\n    develop:\n      watch:\n        - path: ./Dockerfile\n          action: rebuild\n",
        crate::harness::project_name("watch-dockerfile")
    );
    let env = TestEnv::new("watch-dockerfile", &compose);
    env.write("Dockerfile", "FROM busybox\nRUN echo 1 > /version\n");
    let watch = Watch::start(&env, &[]);
    let web = env.name_of("web", 1);
    let before = env.container(&web).id;

    env.write("Dockerfile", "FROM busybox\nRUN echo 2 > /version\n");
    let rebuilt = env.poll_until(SYNCED, |env| recreated(env, &web, &before));
    assert!(rebuilt, "{web} was not recreated:\n{}", watch.output());
    assert_eq!(env.exec(&web, &["cat", "/version"]), "2\n");
}

/// A file saved while its service is rebuilt reaches the new container,
/// though the image's build context was sent before the save. The build
/// waits, on the host's network, until the test lets it go.
#[test]
fn watch_gives_the_new_container_what_changed_during_its_rebuild() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let compose = format!(
        "services:
  web:
    image: {}-img
    build:
      context: .
      network: host
    init: true
    command: [sleep, '3600']
    develop:
      watch:
        - path: ./src
          target: /app
          action: sync
        - path: ./gate
          action: rebuild
",
        crate::harness::project_name("watch-rebuild-edit")
    );
    let env = TestEnv::new("watch-rebuild-edit", &compose);
    env.write(
        "Dockerfile",
        &format!(
            "FROM busybox\nCOPY src /app\nCOPY gate /gate\nRUN if [ -f /gate/hold ]; then until nc 127.0.0.1 {port} </dev/null; do sleep 0.1; done; fi\n"
        ),
    );
    env.write("gate/open", "");
    env.write("src/page.txt", "before");
    let watch = Watch::start(&env, &[]);
    let web = env.name_of("web", 1);
    let before = env.container(&web).id;

    // The build waits at its RUN step: its context is sent.
    let waits = |watch: &Watch| watch.output().matches("RUN if").count();
    let before_rebuild = waits(&watch);
    env.write("gate/hold", "");
    let building = env.poll_until(SYNCED, |_| waits(&watch) > before_rebuild);
    assert!(building, "no rebuild started:\n{}", watch.output());
    env.write("src/page.txt", "during the rebuild");
    let batched = env.poll_until(SYNCED, |_| watch.stdout().contains("synced 1 file"));
    assert!(batched, "the edit was not handled:\n{}", watch.output());

    let gate = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    gate.set_nonblocking(true).unwrap();
    let let_go = env.poll_until(SYNCED, |_| gate.accept().is_ok());
    assert!(let_go, "the build never knocked:\n{}", watch.output());
    let rebuilt = env.poll_until(SYNCED, |env| recreated(env, &web, &before));
    assert!(rebuilt, "web was not recreated:\n{}", watch.output());
    assert_synced(&env, &watch, &web, "/app/page.txt", "during the rebuild");
}

/// Bundlers delete and re-create their output directory on each build:
/// the rule's root comes back, and is synced and watched again.
#[test]
fn watch_follows_a_rule_directory_deleted_and_created_again() {
    let env = TestEnv::new("watch-recreated-dir", &project("sync", ""));
    env.write("src/index.html", "v1");
    let watch = Watch::start(&env, &[]);
    let web = env.name_of("web", 1);

    std::fs::remove_dir_all(env.dir().join("src")).unwrap();
    std::fs::create_dir(env.dir().join("src")).unwrap();
    env.write("src/index.html", "x");
    assert_synced(&env, &watch, &web, "/app/index.html", "x");
    env.write("src/index.html", "y");
    assert_synced(&env, &watch, &web, "/app/index.html", "y");
    env.write("src/more.js", "more");
    assert_synced(&env, &watch, &web, "/app/more.js", "more");
}

/// Only editors' own temporary files are left out (Docker Compose's list):
/// `data.tmp` is a file like any other. `--explain` says why a path is or
/// is not synced.
#[test]
fn watch_syncs_tmp_files_and_explains_what_it_leaves_out() {
    let env = TestEnv::new("watch-explain", &project("sync", ""));
    std::fs::create_dir_all(env.dir().join("src")).unwrap();

    let explained = env.berth_ok(&["watch", "--explain", "src/debug.log"]);
    assert!(
        explained.stdout.contains("ignored") && explained.stdout.contains("*.log"),
        "{}",
        explained.stdout
    );
    let explained = env.berth_ok(&["watch", "--explain", "src/main.js~"]);
    assert!(
        explained.stdout.contains("ignored") && explained.stdout.contains("editor"),
        "{}",
        explained.stdout
    );
    let explained = env.berth_ok(&["watch", "--explain", "src/data.tmp"]);
    assert!(
        explained.stdout.contains("synced to /app/data.tmp"),
        "{}",
        explained.stdout
    );
    let explained = env.berth_ok(&["watch", "--explain", "compose.yaml"]);
    assert!(
        explained.stdout.contains("not under"),
        "{}",
        explained.stdout
    );
    assert!(env.containers().is_empty(), "--explain brings nothing up");

    let watch = Watch::start(&env, &[]);
    let web = env.name_of("web", 1);
    env.write("src/data.tmp", "temporary");
    assert_synced(&env, &watch, &web, "/app/data.tmp", "temporary");
}

/// A failed rebuild is reported with one `error:` prefix.
#[test]
fn watch_reports_a_failed_rebuild_with_one_error_prefix() {
    let compose = format!(
        "services:\n  web:\n    image: {}-img\n    build: .\n    init: true\n    command: [sleep, '3600']\n    develop:\n      watch:\n        - path: ./src\n          action: rebuild\n",
        crate::harness::project_name("watch-rebuild-fails")
    );
    let env = TestEnv::new("watch-rebuild-fails", &compose);
    env.write(
        "Dockerfile",
        "FROM busybox\nCOPY src /src\nRUN test ! -f /src/fail\n",
    );
    env.write("src/ok", "");
    let watch = Watch::start(&env, &[]);
    env.write("src/fail", "");
    let failed = env.poll_until(SYNCED, |_| watch.stderr.lock().unwrap().contains("error:"));
    assert!(
        failed,
        "the failed rebuild is not reported:\n{}",
        watch.output()
    );
    assert!(
        !watch.output().contains("error: error:"),
        "{}",
        watch.output()
    );
}

/// Ctrl-C ends `berth watch` with 130, as `up --watch` and Docker Compose do.
#[test]
fn watch_exits_130_on_ctrl_c() {
    let env = TestEnv::new("watch-ctrl-c", &project("sync", ""));
    std::fs::create_dir_all(env.dir().join("src")).unwrap();
    let watch = env.cmd(&["watch"]).background();
    watch.line_where("the watch's start", |line| line.starts_with("watching "));
    watch.interrupt();
    let (code, stderr) = watch.finish();
    assert_eq!(code, Some(130), "{stderr}");
}

/// A service running as `user`, its `src` synced to `/app`.
fn project_as(user: &str) -> String {
    format!(
        "services:
  web:
    image: busybox
    init: true
    user: '{user}'
    command: [sleep, '3600']
    develop:
      watch:
        - path: ./src
          target: /app
          action: sync
"
    )
}

/// The owner of `path` in `container`, as `uid:gid`.
fn owner(container: &str, path: &str) -> String {
    let out = docker(&["exec", container, "stat", "-c", "%u:%g", path]);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The host PIDs of the container's sync receivers.
fn receivers(container: &str) -> Vec<String> {
    let out = docker(&["top", container, "-o", "pid,args"]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("berth-sync"))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

/// Whether the container runs a sync receiver.
fn has_receiver(container: &str) -> bool {
    !receivers(container).is_empty()
}

/// Files go through a receiver kept running in the container, owned by the
/// service's user as resolved in the container; when the receiver dies, the
/// engine's archive API takes over, with the same owner (Docker 20.10
/// refuses archives for a user it cannot find on the host, such as
/// `1000:1000`, and berth then sends the owners in the archive).
#[test]
fn watch_syncs_through_a_receiver_and_owns_files_as_the_services_user() {
    let env = TestEnv::new("watch-receiver", &project_as("1000:1000"));
    std::fs::create_dir_all(env.dir().join("src")).unwrap();
    let watch = Watch::start(&env, &[]);
    let web = env.name_of("web", 1);

    env.write("src/a.txt", "through the receiver");
    assert_synced(&env, &watch, &web, "/app/a.txt", "through the receiver");
    assert!(
        has_receiver(&web),
        "no receiver in {web}:\n{}",
        watch.output()
    );
    assert_eq!(owner(&web, "/app/a.txt"), "1000:1000");
    std::fs::remove_file(env.dir().join("src/a.txt")).unwrap();
    assert_removed(&env, &watch, &web, "/app/a.txt");

    for pid in receivers(&web) {
        let killed = std::process::Command::new("kill")
            .args(["-9", &pid])
            .status();
        assert!(killed.is_ok_and(|s| s.success()), "cannot kill {pid}");
    }
    let gone = env.poll_until(SYNCED, |_| !has_receiver(&web));
    assert!(gone, "the receiver in {web} did not end");
    env.write("src/b.txt", "through the archive API");
    assert_synced(&env, &watch, &web, "/app/b.txt", "through the archive API");
    assert_eq!(owner(&web, "/app/b.txt"), "1000:1000");
    assert!(
        !watch.output().contains("error"),
        "no failure expected:\n{}",
        watch.output()
    );
}

/// Without receivers, a service whose user the engine cannot find on the
/// host still gets its files.
#[test]
fn watch_without_receivers_syncs_to_a_user_unknown_on_the_host() {
    let env = TestEnv::new("watch-no-receiver", &project_as("4242:4242"));
    std::fs::create_dir_all(env.dir().join("src")).unwrap();
    let watch = Watch::start_with(&env, &[], &[("BERTH_WATCH_RECEIVER", "0")]);
    let web = env.name_of("web", 1);
    env.write("src/a.txt", "archive");
    assert_synced(&env, &watch, &web, "/app/a.txt", "archive");
    assert!(!has_receiver(&web), "BERTH_WATCH_RECEIVER=0 started one");
    std::fs::remove_file(env.dir().join("src/a.txt")).unwrap();
    assert_removed(&env, &watch, &web, "/app/a.txt");
}

/// An image without a shell cannot run a receiver: the archive API and an
/// `rm` carry the changes.
#[test]
fn watch_syncs_into_an_image_without_a_shell() {
    let compose = format!(
        "services:\n  web:\n    image: {}-img\n    build: .\n    init: true\n    command: [sleep, '3600']\n    develop:\n      watch:\n        - path: ./src\n          target: /app\n          action: sync\n",
        crate::harness::project_name("watch-no-shell")
    );
    let env = TestEnv::new("watch-no-shell", &compose);
    env.write(
        "Dockerfile",
        "FROM busybox\nRUN [\"/bin/busybox\", \"rm\", \"/bin/sh\"]\n",
    );
    std::fs::create_dir_all(env.dir().join("src")).unwrap();
    let watch = Watch::start(&env, &[]);
    let web = env.name_of("web", 1);
    env.write("src/a.txt", "no shell");
    assert_synced(&env, &watch, &web, "/app/a.txt", "no shell");
    std::fs::remove_file(env.dir().join("src/a.txt")).unwrap();
    assert_removed(&env, &watch, &web, "/app/a.txt");
    assert!(
        !watch.output().contains("error"),
        "no failure expected:\n{}",
        watch.output()
    );
}
