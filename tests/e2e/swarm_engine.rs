//! A second Docker daemon, beside the main one, that is a single-node
//! swarm: the main engine never joins a swarm. Started once per test run
//! (on first need), stopped and its directories removed when the test
//! process exits; one left by a killed run is stopped by the next.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::harness::{docker_ok, ensure_image};

/// Where the swarm daemons of test runs live: `<prefix><pid of the test run>`.
const DIR_PREFIX: &str = "/tmp/berth-e2e-swarmd-";

pub struct SwarmEngine {
    pub dir: PathBuf,
    /// `unix://.../docker.sock`, for DOCKER_HOST.
    pub host: String,
}

/// The swarm engine of this test run, started on first use.
pub fn swarm() -> &'static SwarmEngine {
    static ENGINE: OnceLock<SwarmEngine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        stop_stale();
        let engine = start();
        // Statics are not dropped: the process's exit stops the daemon.
        unsafe { libc::atexit(stop_at_exit) };
        engine
    })
}

/// `docker` against the swarm engine.
pub fn sdocker(args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .env("DOCKER_HOST", &swarm().host)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run docker {args:?}: {e}"))
}

/// `docker` against the swarm engine; its standard output, or a panic.
pub fn sdocker_ok(args: &[&str]) -> String {
    let out = sdocker(args);
    assert!(
        out.status.success(),
        "docker {args:?} (swarm engine) failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port on 127.0.0.1")
        .port()
}

/// The swarm daemon's default bridge, made for it (and its address).
const BRIDGE: &str = "berthswarm0";
const BRIDGE_ADDRESS: &str = "10.213.99.1/24";

/// Makes [`BRIDGE`] unless it exists.
fn make_bridge() {
    let exists = Command::new("ip")
        .args(["link", "show", BRIDGE])
        .output()
        .is_ok_and(|o| o.status.success());
    if exists {
        return;
    }
    for args in [
        vec!["link", "add", BRIDGE, "type", "bridge"],
        vec!["addr", "add", BRIDGE_ADDRESS, "dev", BRIDGE],
        vec!["link", "set", BRIDGE, "up"],
    ] {
        let out = Command::new("ip").args(&args).output().expect("run ip");
        assert!(
            out.status.success(),
            "ip {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn start() -> SwarmEngine {
    make_bridge();
    let dir = PathBuf::from(format!("{DIR_PREFIX}{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // The main daemon's /etc/docker/daemon.json sets its data root: this
    // one reads an empty configuration of its own.
    std::fs::write(dir.join("daemon.json"), "{}").unwrap();
    let socket = dir.join("docker.sock");
    let host = format!("unix://{}", socket.display());
    let log = std::fs::File::create(dir.join("dockerd.log")).unwrap();
    let path = |name: &str| dir.join(name).display().to_string();
    // The daemon outlives this function: `stop` ends it by its pidfile and
    // reaps it.
    #[allow(clippy::zombie_processes)]
    Command::new("dockerd")
        .args(["--config-file", &path("daemon.json")])
        .args(["--data-root", &path("data"), "--exec-root", &path("exec")])
        .args(["-H", &host, "--pidfile", &path("docker.pid")])
        // A bridge of its own: with `--bridge none` a 20.10 dockerd deletes
        // the host's docker0, which the main engine's builds still use.
        .args(["--bridge", BRIDGE, "--iptables=false", "--ip-masq=false"])
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("start a second dockerd");
    let engine = SwarmEngine { dir, host };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let answer = Command::new("docker")
            .args(["version", "--format", "{{.Server.Version}}"])
            .env("DOCKER_HOST", &engine.host)
            .output();
        if answer.is_ok_and(|o| o.status.success()) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the swarm dockerd did not answer within 60 s; see {}/dockerd.log",
            engine.dir.display()
        );
        // Spacing between attempts, not a readiness sleep.
        std::thread::sleep(Duration::from_millis(50));
    }
    let listen = format!("127.0.0.1:{}", free_port());
    let init = Command::new("docker")
        .args(["swarm", "init", "--advertise-addr", "127.0.0.1"])
        .args(["--listen-addr", &listen])
        .env("DOCKER_HOST", &engine.host)
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "docker swarm init: {}",
        String::from_utf8_lossy(&init.stderr)
    );
    load_test_image(&engine);
    engine
}

/// The test image, built on the main engine, saved and loaded into the swarm's.
fn load_test_image(engine: &SwarmEngine) {
    ensure_image();
    let tar = engine.dir.join("image.tar");
    docker_ok(&[
        "save",
        "-o",
        tar.to_str().unwrap(),
        "busybox:latest",
        "berth-test/busybox:latest",
    ]);
    let loaded = Command::new("docker")
        .args(["load", "-q", "-i", tar.to_str().unwrap()])
        .env("DOCKER_HOST", &engine.host)
        .output()
        .unwrap();
    assert!(loaded.status.success(), "docker load into the swarm engine");
    let _ = std::fs::remove_file(tar);
}

extern "C" fn stop_at_exit() {
    stop(Path::new(&format!("{DIR_PREFIX}{}", std::process::id())));
    let _ = Command::new("ip").args(["link", "del", BRIDGE]).status();
}

/// Stops the daemon of `dir` (its pidfile) and removes the directory.
fn stop(dir: &Path) {
    let pid = std::fs::read_to_string(dir.join("docker.pid"))
        .ok()
        .and_then(|p| p.trim().parse::<i32>().ok());
    if let Some(pid) = pid {
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            // Reaps it when it is this process's child (else a zombie
            // would keep /proc/<pid>); a no-op otherwise.
            unsafe { libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG) };
            if !Path::new(&format!("/proc/{pid}")).exists() || Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    // Overlay and shm mounts of the daemon's containers outlive it.
    if let Ok(mounts) = std::fs::read_to_string("/proc/mounts") {
        let prefix = dir.display().to_string();
        let mut points: Vec<&str> = mounts
            .lines()
            .filter_map(|l| l.split(' ').nth(1))
            .filter(|p| p.starts_with(&prefix))
            .collect();
        points.sort_by_key(|p| std::cmp::Reverse(p.len()));
        for point in points {
            let _ = Command::new("umount").args(["-l", point]).status();
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Stops the swarm daemons of earlier runs whose test process is gone.
fn stop_stale() {
    let Ok(entries) = std::fs::read_dir("/tmp") else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(pid) = path
            .to_str()
            .and_then(|p| p.strip_prefix(DIR_PREFIX))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() || !Path::new(&format!("/proc/{pid}")).exists() {
            stop(&path);
        }
    }
}
