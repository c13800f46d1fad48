//! berth against Podman's Docker-compatible API (`podman system service`),
//! started once per run on a socket of its own.
//!
//! The tests skip, saying so, when `podman` is not installed; `.ci/run`
//! installs it. The service gets a `containers.conf` of its own with
//! `default_ulimits = []`: Podman raises the open-files limit of every
//! container by default, which needs CAP_SYS_RESOURCE that sandboxes lack.
//! Its event log is kept small, so that Podman rotates it (and ends every
//! event stream) several times while the tests wait on events.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::harness::{PROJECT_LABEL, Run, TestEnv};

/// A running `podman system service` and what its clients need.
struct Service {
    /// `unix://.../podman.sock`, for DOCKER_HOST.
    host: String,
    /// The containers.conf the service and the `podman` calls read.
    conf: PathBuf,
    /// Podman's event log.
    events: PathBuf,
}

/// The service, started at first need; `None` without podman.
fn service() -> Option<&'static Service> {
    static SERVICE: OnceLock<Option<Service>> = OnceLock::new();
    SERVICE.get_or_init(start).as_ref()
}

fn start() -> Option<Service> {
    let found = Command::new("podman")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        return None;
    }
    remove_stale_dirs();
    // Kept for the whole run: the socket and the configuration live there.
    let dir = tempfile::Builder::new()
        .prefix("bp-podman-")
        .tempdir()
        .unwrap()
        .keep();
    let conf = dir.join("containers.conf");
    let events = dir.join("events.log");
    std::fs::write(
        &conf,
        format!(
            "[containers]\ndefault_ulimits = []\n[engine]\nevents_logger = \"file\"\n\
             events_logfile_path = \"{}\"\nevents_logfile_max_size = 40000\n",
            events.display()
        ),
    )
    .unwrap();
    let socket = dir.join("podman.sock");
    let host = format!("unix://{}", socket.display());
    // It exits by itself once idle for a minute, so it outlives no run;
    // nobody waits for it.
    #[allow(clippy::zombie_processes)]
    Command::new("podman")
        .args(["system", "service", "--time=60", &host])
        .env("CONTAINERS_CONF", &conf)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start podman system service");
    let service = Service { host, conf, events };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !answers(&socket) {
        assert!(
            Instant::now() < deadline,
            "podman system service did not answer on {} within 30 s",
            socket.display()
        );
        // Not a readiness sleep: spacing between pings of the socket.
        std::thread::sleep(Duration::from_millis(50));
    }
    build_image(&service);
    Some(service)
}

/// Removes the directories of earlier runs, whose services have exited
/// (a young one may belong to a run still starting).
fn remove_stale_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let ours = entry
            .file_name()
            .to_string_lossy()
            .starts_with("bp-podman-");
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().unwrap_or_default() > Duration::from_secs(300));
        if ours && old && !answers(&path.join("podman.sock")) {
            let _ = std::fs::remove_dir_all(path);
        }
    }
}

/// Whether something answers `/_ping` on the unix socket `socket`.
fn answers(socket: &Path) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::os::unix::net::UnixStream::connect(socket) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = "GET /_ping HTTP/1.0\r\nHost: podman\r\n\r\n";
    let mut answer = String::new();
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_to_string(&mut answer).is_ok()
        && answer.starts_with("HTTP/1.")
        && answer.contains(" 200 ")
}

/// `podman ARGS` with the service's configuration; its output.
fn podman(service: &Service, args: &[&str]) -> std::process::Output {
    Command::new("podman")
        .args(args)
        .env("CONTAINERS_CONF", &service.conf)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run podman {args:?}: {e}"))
}

fn podman_ok(service: &Service, args: &[&str]) -> String {
    let out = podman(service, args);
    assert!(
        out.status.success(),
        "podman {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The test image in Podman's store: nothing can be pulled, so it is
/// built as the Docker one is, static busybox on scratch.
fn build_image(service: &Service) {
    if podman(service, &["image", "exists", "busybox:latest"])
        .status
        .success()
    {
        return;
    }
    let busybox = ["/bin/busybox", "/usr/bin/busybox"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("the static busybox is missing: apt-get install busybox-static");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(busybox, dir.path().join("busybox")).unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n",
    )
    .unwrap();
    podman_ok(
        service,
        &[
            "build",
            "-q",
            "-t",
            "busybox:latest",
            dir.path().to_str().unwrap(),
        ],
    );
}

/// Everything of a project on Podman, removed pass or fail.
struct Project<'a> {
    name: String,
    service: &'a Service,
}

impl Project<'_> {
    /// `podman ps`-style IDs of what carries the project's label.
    fn labelled(&self, kind: &str) -> Vec<String> {
        let filter = format!("label={PROJECT_LABEL}={}", self.name);
        let args: Vec<&str> = match kind {
            "container" => vec!["ps", "-aq", "--filter", &filter],
            "network" => vec!["network", "ls", "-q", "--filter", &filter],
            _ => vec!["volume", "ls", "-q", "--filter", &filter],
        };
        String::from_utf8_lossy(&podman(self.service, &args).stdout)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    }

    fn leftovers(&self) -> Vec<String> {
        ["container", "network", "volume"]
            .iter()
            .flat_map(|kind| {
                self.labelled(kind)
                    .into_iter()
                    .map(move |id| format!("{kind} {id}"))
            })
            .collect()
    }
}

impl Drop for Project<'_> {
    fn drop(&mut self) {
        for (kind, remove) in [
            ("container", &["rm", "-f", "-v"][..]),
            ("network", &["network", "rm", "-f"]),
            ("volume", &["volume", "rm", "-f"]),
        ] {
            let ids = self.labelled(kind);
            if !ids.is_empty() {
                let mut args = remove.to_vec();
                args.extend(ids.iter().map(String::as_str));
                let _ = podman(self.service, &args);
            }
        }
    }
}

/// A one-shot dependency, a health check and a user network, a named
/// volume and a port on 127.0.0.1. The sleepers stop at SIGTERM, so a stop
/// that waits out its grace period shows.
const STACK: &str = r#"
services:
  migrate:
    image: busybox
    command: ["sh", "-c", "echo migrated > /data/done"]
    volumes: ["data:/data"]
  db:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1 & wait; done"]
    healthcheck:
      test: ["CMD-SHELL", "test -f /data/done"]
      interval: 1s
      retries: 30
    volumes: ["data:/data"]
    networks: [back]
    depends_on:
      migrate: {condition: service_completed_successfully}
  web:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1 & wait; done"]
    ports: ["127.0.0.1::8080"]
    networks: [back, default]
    depends_on:
      db: {condition: service_healthy}
volumes:
  data: {}
networks:
  back: {}
"#;

/// The project's containers by name: (ID, state).
fn containers(env: &TestEnv, project: &str, host: &str) -> BTreeMap<String, (String, String)> {
    let run = env
        .cmd(&["ps", "-a", "--format", "json"])
        .project(project)
        .env("DOCKER_HOST", host)
        .run();
    run.assert_code(0);
    run.stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let c: serde_json::Value = serde_json::from_str(line).unwrap();
            let text = |key: &str| c[key].as_str().unwrap_or_default().to_string();
            (text("Name"), (text("ID"), text("State")))
        })
        .collect()
}

#[test]
fn a_stack_goes_up_and_down_on_podman_five_times() {
    let Some(service) = service() else {
        eprintln!("skipped: podman is not installed (apt-get install podman)");
        return;
    };
    let env = TestEnv::new("podman", STACK);
    let project = Project {
        name: format!("bp-podman-{}", std::process::id()),
        service,
    };
    let berth = |args: &[&str]| -> Run {
        env.cmd(args)
            .project(&project.name)
            .env("DOCKER_HOST", &service.host)
            .run()
    };
    let name = |service: &str| format!("{}-{service}-1", project.name);
    for round in 1..=5 {
        let up = berth(&["up", "-d", "--wait"]);
        up.assert_code(0);
        let first = containers(&env, &project.name, &service.host);
        let state = |c: &BTreeMap<String, (String, String)>, s: &str| {
            c.get(&name(s)).map(|(_, state)| state.clone())
        };
        assert_eq!(
            state(&first, "migrate").as_deref(),
            Some("exited"),
            "round {round}"
        );
        assert_eq!(
            state(&first, "db").as_deref(),
            Some("running"),
            "round {round}"
        );
        assert_eq!(
            state(&first, "web").as_deref(),
            Some("running"),
            "round {round}"
        );

        // `ps` shows the health Podman's own list keeps.
        let ps = berth(&["ps", "--format", "{{.Name}} {{.Health}}"]);
        ps.assert_code(0);
        assert!(
            ps.stdout.contains(&format!("{} healthy", name("db"))),
            "round {round}: ps shows no health:\n{}",
            ps.stdout
        );

        // A second `up` finds everything as it should be.
        let again = berth(&["up", "-d"]);
        again.assert_code(0);
        assert_eq!(
            containers(&env, &project.name, &service.host),
            first,
            "round {round}: the second up changed containers\n{}",
            again.stderr
        );
        assert!(
            !again.stderr.contains("Recreate") && !again.stderr.contains("Creat"),
            "round {round}: the second up made something:\n{}",
            again.stderr
        );

        if round == 1 {
            // A copy to a new name makes a file of that name, not a directory.
            env.write("hello.txt", "hello from the host\n");
            berth(&["cp", "hello.txt", "web:/copied"]).assert_code(0);
            let read = berth(&["exec", "-T", "web", "cat", "/copied"]);
            read.assert_code(0);
            assert_eq!(read.stdout, "hello from the host\n");
        }

        let down = berth(&["down", "-v"]);
        down.assert_code(0);
        assert_eq!(
            project.leftovers(),
            Vec::<String>::new(),
            "round {round}: down -v left these"
        );
    }
    // Podman rotated its event log, ending the streams berth waited on.
    let log = std::fs::read_to_string(&service.events).unwrap_or_default();
    assert!(
        log.contains("log-rotation"),
        "Podman never rotated its event log ({})",
        service.events.display()
    );
}
