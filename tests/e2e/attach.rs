//! `attach`: piped input reaches a running container of the service, and
//! its output comes back until it stops.

use std::time::Duration;

use crate::harness::TestEnv;

#[test]
fn attach_pipes_input_to_the_running_container() {
    let compose = "services:\n  echo:\n    image: busybox\n    stdin_open: true\n    command: [\"sh\", \"-c\", \"read line; echo got-$$line; echo to-stderr >&2\"]\n";
    let env = TestEnv::new("attach", compose);
    env.berth_ok(&["up", "-d"]);
    let mut attached = env.cmd(&["attach", "echo"]).background_with_input();
    attached.write(b"hello\n");
    attached.expect_line("got-hello");
    // The engine ends an attach when its input ends, as `docker attach` does.
    attached.close_input();
    let (code, stderr) = attached.finish();
    assert_eq!(code, Some(0), "{stderr}");
    // The attach may end before the container's last echo: wait for its exit.
    let echo = env.name_of("echo", 1);
    let exited = env.poll_until(Duration::from_secs(30), |env| {
        env.container(&echo).state == "exited"
    });
    assert!(exited, "{echo} still runs");
    // Nothing runs any more to attach to.
    let again = env.berth(&["attach", "echo"]);
    again
        .assert_code(1)
        .assert_stderr_has("no running container");
}

/// On a terminal, keys go to the container's own terminal, and the detach
/// keys (ctrl-p,ctrl-q unless `--detach-keys` says otherwise) leave it running.
#[test]
fn attach_on_a_terminal_detaches_with_the_detach_keys() {
    let compose = "services:\n  shell:\n    image: busybox\n    tty: true\n    stdin_open: true\n    command: [\"sh\"]\n";
    let env = TestEnv::new("attach-tty", compose);
    env.berth_ok(&["up", "-d"]);
    let shell = env.name_of("shell", 1);

    let mut attached = env.on_terminal(&["attach", "shell"]);
    // Typed as two words so that only the command's output reads `hello-tty`.
    attached.write(b"echo hello-''tty\n");
    attached.line_where("hello-tty", |l| l.trim_end() == "hello-tty");
    attached.write(b"\x10\x11");
    let (code, stderr) = attached.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(env.container(&shell).state, "running");

    let mut attached = env.on_terminal(&["attach", "--detach-keys", "ctrl-x", "shell"]);
    attached.write(b"echo again-''tty\n");
    attached.line_where("again-tty", |l| l.trim_end() == "again-tty");
    attached.write(b"\x18");
    let (code, stderr) = attached.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(env.container(&shell).state, "running");
}

/// Ctrl-C (SIGINT) reaches a container without a terminal as SIGINT, unless
/// `--sig-proxy=false`.
#[test]
fn attach_forwards_ctrl_c_unless_sig_proxy_is_off() {
    let compose = "services:\n  trapper:\n    image: busybox\n    command: [\"sh\", \"-c\", \"trap 'echo got-INT' INT; while true; do echo tick; sleep 0.2; done\"]\n";
    let env = TestEnv::new("attach-sig-proxy", compose);
    env.berth_ok(&["up", "-d"]);
    let trapper = env.name_of("trapper", 1);

    let unproxied = env
        .cmd(&["attach", "--sig-proxy=false", "trapper"])
        .background();
    unproxied.expect_line("tick");
    unproxied.interrupt();
    let (code, _) = unproxied.finish();
    assert_ne!(
        code,
        Some(0),
        "SIGINT ends an attach that does not proxy it"
    );

    let proxied = env.cmd(&["attach", "trapper"]).background();
    proxied.expect_line("tick");
    proxied.interrupt();
    proxied.expect_line("got-INT");
    // The first SIGINT never reached the container: one trap ran, not two.
    let logs = crate::harness::docker(&["logs", &trapper]);
    let seen = String::from_utf8_lossy(&logs.stdout)
        .lines()
        .filter(|l| *l == "got-INT")
        .count();
    assert_eq!(seen, 1);
    assert_eq!(env.container(&trapper).state, "running");
}
