//! berth as a docker CLI plugin: installed as `cli-plugins/docker-berth`
//! in a docker configuration directory, run by the real `docker` CLI.

use std::process::Command;

use crate::harness::{Run, TestEnv, berth_bin, engine_socket, teardown};
use crate::up::sleeper;

/// Removes a project berth made through the docker CLI, pass or fail.
struct Teardown(String);

impl Drop for Teardown {
    fn drop(&mut self) {
        teardown(&self.0, &[]);
    }
}

/// `docker ARGS` with its configuration (and so its plugins) in `config`.
fn docker_with(config: &std::path::Path, env: &TestEnv, args: &[&str]) -> Run {
    let mut command = Command::new("docker");
    command
        .args(args)
        .current_dir(env.dir())
        .env("DOCKER_CONFIG", config)
        .env("PWD", env.dir())
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT")
        .env_remove("COMPOSE_PROJECT_NAME")
        .env("COMPOSE_PROGRESS", "plain");
    let shown = format!(
        "DOCKER_CONFIG={} docker {}",
        config.display(),
        args.join(" ")
    );
    let started = std::time::Instant::now();
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {shown}: {e}"));
    Run::new(shown, out, started.elapsed())
}

#[test]
fn docker_runs_berth_as_its_cli_plugin() {
    let env = TestEnv::new("plugin", &format!("services:\n{}", sleeper("app", "")));
    let project = format!("bp-plugin-{}", std::process::id());
    let _guard = Teardown(project.clone());
    let config = tempfile::tempdir().unwrap();
    let plugins = config.path().join("cli-plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    std::os::unix::fs::symlink(berth_bin(), plugins.join("docker-berth")).unwrap();
    let docker = |args: &[&str]| docker_with(config.path(), &env, args);

    // The docker CLI lists it among its commands, from its metadata.
    let help = docker(&["--help"]);
    help.assert_code(0);
    let listed = help
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("berth*"));
    assert!(
        listed.is_some_and(|l| l.contains("Compose")),
        "docker --help does not list berth:\n{}",
        help.stdout
    );
    assert!(
        !help.stdout.contains("Invalid Plugins") && !help.stderr.contains("Invalid Plugins"),
        "docker --help finds berth invalid:\n{}{}",
        help.stdout,
        help.stderr
    );

    let version = docker(&["berth", "version"]);
    version.assert_code(0);
    assert_eq!(
        version.stdout.trim(),
        format!("berth version {}", env!("CARGO_PKG_VERSION"))
    );

    // The docker CLI's global flags before the plugin's name choose the engine.
    let host = format!("unix://{}", engine_socket().display());
    docker(&["-H", &host, "berth", "-p", &project, "up", "-d"]).assert_code(0);
    let ps = docker(&["--log-level", "error", "berth", "-p", &project, "ps", "-q"]);
    ps.assert_code(0);
    assert_eq!(ps.stdout.lines().count(), 1, "ps after up:\n{}", ps.stdout);
    docker(&["berth", "-p", &project, "down"]).assert_code(0);
    let ps = docker(&["berth", "-p", &project, "ps", "-aq"]);
    ps.assert_code(0);
    assert_eq!(ps.stdout.trim(), "", "containers left after down");

    // Told to stop without a terminal (no SIGINT reaches berth), the
    // docker CLI closes its plugin socket: attached `up` stops the stack.
    let mut attached = Command::new("docker")
        .args(["berth", "-p", &project, "up"])
        .current_dir(env.dir())
        .env("DOCKER_CONFIG", config.path())
        .env("PWD", env.dir())
        .env("COMPOSE_PROGRESS", "plain")
        .env_remove("DOCKER_HOST")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start docker berth up");
    let running = env.poll_until(std::time::Duration::from_secs(60), |env| {
        env.containers_of(&project)
            .iter()
            .any(|c| c.state == "running")
    });
    if !running {
        let _ = attached.kill();
        panic!("docker berth up started nothing");
    }
    // SAFETY: kill(2) on the child we started.
    unsafe {
        libc::kill(attached.id() as libc::pid_t, libc::SIGTERM);
    }
    let status = attached.wait().expect("docker berth up ends");
    assert!(!status.success(), "an interrupted up exits non-zero");
    let states: Vec<String> = env
        .containers_of(&project)
        .into_iter()
        .map(|c| c.state)
        .collect();
    assert_eq!(states, ["exited"], "the stack was not stopped");
    docker(&["berth", "-p", &project, "down"]).assert_code(0);

    // `docker help berth` is berth's own help, under its plugin name.
    let help = docker(&["help", "berth"]);
    help.assert_code(0);
    assert!(
        help.stdout.contains("Usage: docker berth"),
        "{}",
        help.stdout
    );
}
