//! Attached `up` under signals and next to a second terminal (issue 19,
//! items 3 to 5), as Docker Compose behaves:
//! - SIGTERM is Ctrl-C: the stack is stopped gracefully and the command
//!   ends with 130 (berth treats SIGHUP so too, where Compose dies of it);
//! - an interrupt while `up` is still starting (waiting on a
//!   `service_healthy` dependency) stops what it started, with 130;
//! - the session does not hold the project's lock: `down` or `stop` from
//!   elsewhere goes through at once, and the session ends with 0 once its
//!   containers have exited, printing their exits.

use std::time::Duration;

use crate::harness::TestEnv;

/// A guard against hanging: the test fails (rather than waiting forever)
/// when a command has not ended by then. Not a timing check.
const GUARD: Duration = Duration::from_secs(90);

/// A service that says it is ready and leaves at once on SIGTERM.
fn service(name: &str, extra: &str) -> String {
    format!(
        "  {name}:\n    image: busybox\n    command: [\"sh\", \"-c\", \"echo {name}-ready; trap 'echo {name}-bye; exit 0' TERM; while true; do sleep 0.1; done\"]\n{extra}"
    )
}

/// `db` and `web`, which depends on it.
fn stack() -> String {
    format!(
        "services:\n{}{}",
        service("db", ""),
        service("web", "    depends_on: [db]\n")
    )
}

/// The project's containers that are not `exited` (with their state).
fn not_exited(env: &TestEnv) -> Vec<String> {
    env.containers()
        .into_iter()
        .filter(|c| c.state != "exited")
        .map(|c| format!("{} ({})", c.name, c.state))
        .collect()
}

/// `up` attached until its output shows, then `signal`: the stack stops.
fn signal_stops_the_stack(test: &str, signal: &str) {
    let env = TestEnv::new(test, &stack());
    let up = env.cmd(&["up"]).background();
    up.expect_line("web-1  | web-ready");
    up.signal(signal);
    let (code, stderr) = up.finish_within(GUARD);
    assert_eq!(code, Some(130), "after SIG{signal}: {stderr}");
    assert!(
        stderr.contains("Gracefully stopping... (press Ctrl+C again to force)"),
        "{stderr}"
    );
    assert_eq!(env.containers().len(), 2, "{stderr}");
    assert!(not_exited(&env).is_empty(), "{:?}", not_exited(&env));
}

#[test]
fn sigterm_stops_the_attached_stack_as_ctrl_c_does() {
    signal_stops_the_stack("sig-term", "TERM");
}

#[test]
fn sighup_stops_the_attached_stack_as_ctrl_c_does() {
    signal_stops_the_stack("sig-hup", "HUP");
}

/// Ctrl-C while `up` waits for a dependency to become healthy, before any
/// output shows: what it started is stopped, none is left running.
#[test]
fn ctrl_c_while_waiting_on_a_healthy_dependency_stops_what_up_started() {
    let compose = format!(
        "services:\n{}{}{}",
        // Never healthy (no /tmp/ready), nor unhealthy for a long while.
        service(
            "db",
            "    healthcheck:\n      test: [\"CMD\", \"test\", \"-e\", \"/tmp/ready\"]\n      interval: 1s\n      retries: 10000\n"
        ),
        service(
            "web",
            "    depends_on:\n      db:\n        condition: service_healthy\n"
        ),
        service("side", ""),
    );
    let env = TestEnv::new("sig-starting", &compose);
    let up = env.cmd(&["up"]).background();
    let running = |env: &TestEnv, name: &str| {
        env.containers()
            .iter()
            .any(|c| c.name == name && c.state == "running")
    };
    let (db, side) = (env.name_of("db", 1), env.name_of("side", 1));
    assert!(
        env.poll_until(GUARD, |env| running(env, &db) && running(env, &side)),
        "db and side never ran: {:?}",
        env.containers().iter().map(|c| &c.name).collect::<Vec<_>>()
    );
    up.interrupt();
    let (code, stderr) = up.finish_within(GUARD);
    assert_eq!(code, Some(130), "{stderr}");
    // web was never started (its dependency never became healthy); the
    // others were stopped.
    let left: Vec<String> = not_exited(&env)
        .into_iter()
        .filter(|c| *c != format!("{} (created)", env.name_of("web", 1)))
        .collect();
    assert!(left.is_empty(), "left {left:?}\n{stderr}");
    assert_eq!(env.container(&db).state, "exited");
    assert_eq!(env.container(&side).state, "exited");
}

/// `down` from a second terminal goes through while `up` is attached, and
/// the attached `up` ends with 0 once its containers are gone.
#[test]
fn down_from_a_second_terminal_ends_the_attached_up() {
    let env = TestEnv::new("sig-down", &stack());
    let up = env.cmd(&["up"]).background();
    up.expect_line("web-1  | web-ready");
    let (code, stderr) = env.cmd(&["down"]).background().finish_within(GUARD);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("Waiting for another berth"), "{stderr}");
    assert!(env.containers().is_empty());
    assert!(env.networks().is_empty(), "{:?}", env.networks());
    up.expect_line("web-1 exited with code 0");
    let (code, stderr) = up.finish_within(GUARD);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("Gracefully stopping"), "{stderr}");
}

/// `stop` from a second terminal goes through while `up` is attached, and
/// the attached `up` shows the exits and ends with 0.
#[test]
fn stop_from_a_second_terminal_ends_the_attached_up() {
    let env = TestEnv::new("sig-stop", &stack());
    let up = env.cmd(&["up"]).background();
    up.expect_line("web-1  | web-ready");
    let (code, stderr) = env.cmd(&["stop"]).background().finish_within(GUARD);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("Waiting for another berth"), "{stderr}");
    up.expect_line("web-1  | web-bye");
    up.expect_line("web-1 exited with code 0");
    let (code, stderr) = up.finish_within(GUARD);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(env.containers().len(), 2);
    assert!(not_exited(&env).is_empty(), "{:?}", not_exited(&env));
}
