//! Which engine berth talks to: docker CLI contexts, `DOCKER_HOST`, TLS.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::Ordering;

use crate::harness::{
    BerthCmd, TestEnv, TlsCerts, engine_socket, tcp_relay_to_engine, tls_relay_to_engine,
};
use crate::up::sleeper;

/// `docker context ARGS` with its configuration in `config_dir`: the
/// contexts berth reads are the ones the docker CLI writes.
fn docker_context(config_dir: &Path, args: &[&str]) {
    let out = Command::new("docker")
        .arg("context")
        .args(args)
        .env("DOCKER_CONFIG", config_dir)
        .env_remove("DOCKER_HOST")
        .output()
        .expect("run docker context");
    assert!(
        out.status.success(),
        "docker context {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn docker_contexts_choose_the_engine_as_the_docker_cli_does() {
    let env = TestEnv::new("contexts", &format!("services:\n{}", sleeper("app", "")));
    let config = tempfile::tempdir().unwrap();
    let cfg = config.path().to_str().unwrap();
    let (port, relayed) = tcp_relay_to_engine();
    let relay = format!("tcp://127.0.0.1:{port}");
    let local = format!("unix://{}", engine_socket().display());
    docker_context(
        config.path(),
        &["create", "relay", "--docker", &format!("host={relay}")],
    );
    docker_context(
        config.path(),
        &[
            "create",
            "nowhere",
            "--docker",
            "host=unix:///nonexistent/docker.sock",
        ],
    );
    let relayed = || relayed.load(Ordering::SeqCst);
    let with_config = |cmd: BerthCmd| cmd.env("DOCKER_CONFIG", cfg).env_remove("DOCKER_HOST");

    // DOCKER_CONTEXT names the context.
    with_config(env.cmd(&["up", "-d"]))
        .env("DOCKER_CONTEXT", "relay")
        .run()
        .assert_code(0);
    assert!(
        relayed() > 0,
        "berth did not use the engine of context relay ({relay})"
    );
    assert_eq!(env.containers().len(), 1);

    // `docker context use` makes it the current one.
    docker_context(config.path(), &["use", "relay"]);
    let before = relayed();
    with_config(env.cmd(&["ps"])).run().assert_code(0);
    assert!(relayed() > before, "berth did not follow currentContext");

    // DOCKER_HOST goes past the current context, and --context past both.
    let before = relayed();
    with_config(env.cmd(&["ps"]))
        .env("DOCKER_HOST", &local)
        .run()
        .assert_code(0);
    assert_eq!(
        relayed(),
        before,
        "DOCKER_HOST should win over the current context"
    );
    with_config(env.cmd(&["--context", "nowhere", "ps"]))
        .env("DOCKER_HOST", &relay)
        .run()
        .assert_code(16)
        .assert_stderr_has("unix:///nonexistent/docker.sock (context \"nowhere\" from --context)")
        .assert_stderr_has("docker context use default");

    // -H, as with the docker CLI, goes past them all, but not with --context.
    let before = relayed();
    with_config(env.cmd(&["-H", &relay, "ps"]))
        .run()
        .assert_code(0);
    assert!(relayed() > before, "berth did not use -H {relay}");
    with_config(env.cmd(&["-H", &relay, "--context", "relay", "ps"]))
        .run()
        .assert_code(16)
        .assert_stderr_has("either specify --host or --context");

    // A context that does not exist says so, and how to list them.
    with_config(env.cmd(&["ps"]))
        .env("DOCKER_CONTEXT", "nope")
        .run()
        .assert_code(16)
        .assert_stderr_has("Docker context \"nope\" from DOCKER_CONTEXT does not exist")
        .assert_stderr_has("docker context ls");

    with_config(env.cmd(&["down"])).run().assert_code(0);
    assert!(env.containers().is_empty());
}

#[test]
fn a_tls_engine_is_reached_with_its_certificates() {
    let env = TestEnv::new("tls", &format!("services:\n{}", sleeper("app", "")));
    let certs = TlsCerts::new();
    let port = tls_relay_to_engine(&certs);
    let host = format!("tcp://127.0.0.1:{port}");
    let tls = |cmd: BerthCmd, cert_path: &str| {
        cmd.env("DOCKER_HOST", &host)
            .env("DOCKER_TLS_VERIFY", "1")
            .env("DOCKER_CERT_PATH", cert_path)
    };

    // Plain HTTP to a TLS engine: the hint says what to set.
    env.cmd(&["ps"])
        .env("DOCKER_HOST", &host)
        .run()
        .assert_code(16)
        .assert_stderr_has("DOCKER_TLS_VERIFY=1");

    // With DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, as the docker CLI takes
    // them; --wait follows the engine's event stream through TLS too.
    tls(env.cmd(&["up", "-d", "--wait"]), certs.path())
        .run()
        .assert_code(0);
    assert_eq!(env.containers().len(), 1);

    // Without a client certificate the engine turns berth away.
    let ca_only = tempfile::tempdir().unwrap();
    std::fs::copy(
        certs.dir.path().join("ca.pem"),
        ca_only.path().join("ca.pem"),
    )
    .unwrap();
    tls(env.cmd(&["ps"]), ca_only.path().to_str().unwrap())
        .run()
        .assert_code(16);

    // The docker CLI's flags say the same before the command.
    let file = |name: &str| certs.dir.path().join(name).display().to_string();
    let (ca, cert, key) = (file("ca.pem"), file("cert.pem"), file("key.pem"));
    env.cmd(&[
        "-H",
        &host,
        "--tlsverify",
        "--tlscacert",
        &ca,
        "--tlscert",
        &cert,
        "--tlskey",
        &key,
        "ps",
    ])
    .run()
    .assert_code(0);

    // A context made with `docker context create` holds the same files.
    let config = tempfile::tempdir().unwrap();
    docker_context(
        config.path(),
        &[
            "create",
            "secure",
            "--docker",
            &format!("host={host},ca={ca},cert={cert},key={key}"),
        ],
    );
    env.cmd(&["--context", "secure", "down"])
        .env("DOCKER_CONFIG", config.path().to_str().unwrap())
        .run()
        .assert_code(0);
    assert!(env.containers().is_empty());
}

#[test]
fn an_ssh_engine_is_reached_through_the_users_ssh() {
    // Enough services that berth opens dozens of connections at once: sshd
    // drops logins at random past 10 in progress (its MaxStartups), so berth
    // must not start them all together.
    let mut services: String = (1..=39).map(|i| sleeper(&format!("s{i}"), "")).collect();
    // And one built with BuildKit, whose session rides the ssh connection too.
    services.push_str("  built:\n    build: ./app\n    init: true\n    command: sleep 3600\n");
    let env = TestEnv::new("ssh", &format!("services:\n{services}"));
    env.write(
        "app/Dockerfile",
        "FROM busybox\nRUN --mount=type=cache,target=/cache touch /cache/x && cp /cache/x /made\n",
    );
    env.write("app/project.txt", &env.project);
    let server = crate::harness::SshServer::start();
    let user = std::env::var("USER").unwrap_or_else(|_| "root".into());
    let host = format!("ssh://{user}@127.0.0.1:{}", server.port);
    let ssh = |cmd: BerthCmd| cmd.env("DOCKER_HOST", &host).env("PATH", &server.path);

    ssh(env.cmd(&["up", "-d", "--wait"])).run().assert_code(0);
    assert_eq!(env.containers().len(), 40);
    let ps = ssh(env.cmd(&["ps", "--format", "json"])).run();
    ps.assert_code(0);
    assert_eq!(ps.stdout.lines().count(), 40, "{}", ps.stdout);

    // A refused login shows what ssh said.
    ssh(env.cmd(&["ps"]))
        .env(
            "DOCKER_HOST",
            &format!("ssh://berth-no-such-user@127.0.0.1:{}", server.port),
        )
        .run()
        .assert_code(16)
        .assert_stderr_has("ssh said: berth-no-such-user@127.0.0.1: Permission denied");

    ssh(env.cmd(&["down"])).run().assert_code(0);
    assert!(env.containers().is_empty());
}
