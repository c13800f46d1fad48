//! Engine faults, through the proxy of `proxy.rs`: the engine going away
//! mid-command (every wait and stream ends with a clear error, exit 16,
//! instead of hanging), an event stream the engine ends while it still
//! answers (subscribed anew), and a slow engine (waited for, not declared
//! unreachable). A hang fails the test through a generous guard; the
//! teardown talks to the real engine.

use std::time::{Duration, Instant};

use crate::harness::{Background, TestEnv};
use crate::proxy::Proxy;
use crate::up::sleeper;

/// Long enough for any of these commands to end on their own, short
/// enough that a hang fails the test rather than the run.
const GUARD: Duration = Duration::from_secs(60);

/// A health check that stays `starting` for minutes.
const NEVER_HEALTHY_SOON: &str =
    "    healthcheck:\n      test: [\"CMD\", \"false\"]\n      interval: 30s\n      retries: 10\n";

fn depends_healthy(on: &str) -> String {
    format!("    depends_on:\n      {on}:\n        condition: service_healthy\n")
}

/// The message berth must end with once the engine at `proxy` is gone.
fn lost(proxy: &Proxy) -> String {
    format!(
        "lost the connection to the Docker Engine at {}",
        proxy.url()
    )
}

fn assert_lost(proxy: &Proxy, what: &str, (code, stderr): (Option<i32>, String)) {
    assert_eq!(
        code,
        Some(16),
        "{what}: expected exit 16 once the engine went away\n--- stderr\n{stderr}"
    );
    assert!(
        stderr.contains(&lost(proxy)),
        "{what}: no {:?} on stderr:\n{stderr}",
        lost(proxy)
    );
}

/// Starts `up -d` of a stack whose apps wait for a db that stays
/// `starting`, through `proxy`, and returns once `up` is in that wait.
fn up_waiting_for_health(env: &TestEnv, proxy: &Proxy) -> Background {
    let up = env
        .cmd(&["up", "-d"])
        .env("DOCKER_HOST", &proxy.url())
        .background();
    // Once db runs, up waits for it to turn healthy: it looks at it once
    // (an inspect after the start), then follows the events.
    let db = env.name_of("db", 1);
    let mut db_id = String::new();
    assert!(
        env.poll_until(GUARD, |env| {
            let running = env
                .containers()
                .into_iter()
                .find(|c| c.name == db && c.state == "running");
            db_id = running.map(|c| c.id).unwrap_or_default();
            !db_id.is_empty()
        }),
        "db never ran"
    );
    let inspect = format!("GET /containers/{db_id}/json");
    let started = format!("POST /containers/{db_id}/start");
    let asked = Instant::now();
    while !proxy.answered_after(&started, &inspect) {
        assert!(
            asked.elapsed() < GUARD,
            "up never looked at db after starting it"
        );
        // Not a readiness sleep: spacing between looks at the proxy.
        std::thread::sleep(Duration::from_millis(5));
    }
    up
}

fn health_wait_stack() -> String {
    let mut compose = format!("services:\n{}", sleeper("db", NEVER_HEALTHY_SOON));
    for app in ["app1", "app2", "app3"] {
        compose.push_str(&sleeper(app, &depends_healthy("db")));
    }
    compose
}

#[test]
fn faults_up_ends_when_the_engine_goes_away_during_a_health_wait() {
    let env = TestEnv::new("faults-up-cut", &health_wait_stack());
    let proxy = Proxy::start();
    let up = up_waiting_for_health(&env, &proxy);
    proxy.cut();
    let cut = Instant::now();
    assert_lost(&proxy, "up -d", up.finish_within(GUARD));
    assert!(
        cut.elapsed() < Duration::from_secs(15),
        "up took {:?} to notice",
        cut.elapsed()
    );
}

#[test]
fn faults_up_ends_when_the_engine_falls_silent_during_a_health_wait() {
    // The connection stays open and nothing answers: a ping that gets no
    // answer tells a silent engine from a quiet event stream, and a request
    // the engine answers at once gets 60 s (the wait may be in either).
    let env = TestEnv::new("faults-up-silent", &health_wait_stack());
    let proxy = Proxy::start();
    let up = up_waiting_for_health(&env, &proxy);
    proxy.black_hole();
    let (code, stderr) = up.finish_within(GUARD + GUARD);
    assert_lost(&proxy, "up -d", (code, stderr.clone()));
    assert!(
        stderr.contains("a ping got no answer") || stderr.contains("no answer within 60 s"),
        "up -d: not told why:\n{stderr}"
    );
}

#[test]
fn faults_wait_subscribes_again_when_the_engine_ends_its_event_stream() {
    // Healthy once the test says so: a file appears.
    let ready = "    healthcheck:\n      test: [\"CMD\", \"test\", \"-f\", \"/ready\"]\n      interval: 500ms\n      retries: 1000\n";
    let compose = format!(
        "services:\n{}{}",
        sleeper("db", ready),
        sleeper("app", &depends_healthy("db"))
    );
    let env = TestEnv::new("faults-events-end", &compose);
    let proxy = Proxy::start();
    let up = env
        .cmd(&["up", "-d", "--wait"])
        .env("DOCKER_HOST", &proxy.url())
        .background();
    let db = env.name_of("db", 1);
    assert!(
        env.poll_until(GUARD, |env| env
            .containers()
            .iter()
            .any(|c| c.name == db && c.state == "running")),
        "db never ran"
    );
    assert!(proxy.event_requests() >= 1, "up subscribed to no events");
    // The engine (Podman rotating its event log) ends the stream; db turns
    // healthy right after, perhaps before berth subscribed again: the new
    // subscription replays from the last event.
    proxy.end_events();
    env.exec(&db, &["touch", "/ready"]);
    let (code, stderr) = up.finish_within(GUARD);
    assert_eq!(code, Some(0), "up --wait\n--- stderr\n{stderr}");
    assert!(
        proxy.event_requests() >= 2,
        "berth did not subscribe again\n--- stderr\n{stderr}"
    );
    let app = env.container(&env.name_of("app", 1));
    assert_eq!(app.state, "running");
}

#[test]
fn faults_logs_follow_ends_when_the_engine_goes_away() {
    let compose = "services:\n  talker:\n    image: busybox\n    init: true\n    command: [\"sh\", \"-c\", \"while true; do echo tick; sleep 1; done\"]\n";
    let env = TestEnv::new("faults-logs-cut", compose);
    env.berth_ok(&["up", "-d"]);
    let proxy = Proxy::start();
    let logs = env
        .cmd(&["logs", "-f"])
        .env("DOCKER_HOST", &proxy.url())
        .background();
    logs.line_where("a tick", |line| line.contains("tick"));
    proxy.cut();
    assert_lost(&proxy, "logs -f", logs.finish_within(GUARD));
}

#[test]
fn faults_events_end_when_the_engine_goes_away() {
    let env = TestEnv::new(
        "faults-events-cut",
        &format!("services:\n{}", sleeper("web", "")),
    );
    let proxy = Proxy::start();
    let events = env
        .cmd(&["events"])
        .env("DOCKER_HOST", &proxy.url())
        .background();
    let asked = Instant::now();
    while proxy.event_requests() == 0 {
        assert!(asked.elapsed() < GUARD, "events never subscribed");
        // Not a readiness sleep: spacing between looks at the proxy.
        std::thread::sleep(Duration::from_millis(20));
    }
    proxy.cut();
    assert_lost(&proxy, "events", events.finish_within(GUARD));
}

#[test]
fn faults_attached_up_and_wait_end_when_the_engine_goes_away() {
    let env = TestEnv::new(
        "faults-attached-cut",
        &format!("services:\n{}", sleeper("web", "")),
    );
    let proxy = Proxy::start();
    let up = env
        .cmd(&["up"])
        .env("DOCKER_HOST", &proxy.url())
        .background();
    up.line_where("Attaching", |line| line.starts_with("Attaching to"));
    let wait = env
        .cmd(&["wait", "web"])
        .env("DOCKER_HOST", &proxy.url())
        .background();
    // `wait` waits once the engine was asked to wait for the container.
    let asked = Instant::now();
    while proxy.requests_with("/wait") == 0 {
        assert!(asked.elapsed() < GUARD, "wait never asked the engine");
        // Not a readiness sleep: spacing between looks at the proxy.
        std::thread::sleep(Duration::from_millis(20));
    }
    proxy.cut();
    assert_lost(&proxy, "attached up", up.finish_within(GUARD));
    assert_lost(&proxy, "wait", wait.finish_within(GUARD));
}

#[test]
fn faults_a_read_whose_connection_breaks_is_asked_again() {
    let env = TestEnv::new(
        "faults-retry",
        &format!("services:\n{}", sleeper("web", "")),
    );
    env.berth_ok(&["up", "-d"]);
    let proxy = Proxy::start();
    // A connection the engine closed between two requests fails the next
    // request sent on it before any answer: a read is safe to send again.
    proxy.break_next("/containers/json");
    let out = env
        .cmd(&["ps", "--format", "{{.Name}}"])
        .env("DOCKER_HOST", &proxy.url())
        .background()
        .finish_within(GUARD);
    assert!(proxy.broke(), "ps never listed the containers");
    assert_eq!(out.0, Some(0), "ps after a broken connection\n{}", out.1);
    assert_eq!(proxy.requests_with("/containers/json"), 1);
}

#[test]
fn faults_a_slow_engine_is_waited_for_and_a_refused_one_fails_fast() {
    let env = TestEnv::new("faults-slow", &format!("services:\n{}", sleeper("web", "")));
    let proxy = Proxy::start();
    proxy.delay(Duration::from_millis(1500));
    let slow = |args: &[&str]| {
        env.cmd(args)
            .env("DOCKER_HOST", &proxy.url())
            .background()
            .finish_within(Duration::from_secs(180))
    };
    let (code, stderr) = slow(&["ps"]);
    assert_eq!(
        code,
        Some(0),
        "ps through a slow engine\n--- stderr\n{stderr}"
    );
    let (code, stderr) = slow(&["up", "-d"]);
    assert_eq!(
        code,
        Some(0),
        "up -d through a slow engine\n--- stderr\n{stderr}"
    );
    assert_eq!(env.container(&env.name_of("web", 1)).state, "running");

    // Slower than the note's threshold: berth says what it waits for.
    proxy.delay(Duration::from_millis(3500));
    let (code, stderr) = slow(&["ps"]);
    assert_eq!(
        code,
        Some(0),
        "ps through a slower engine\n--- stderr\n{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "waiting for the Docker Engine at {} to answer",
            proxy.url()
        )),
        "no note about the wait:\n{stderr}"
    );

    // Nothing listens any more: refused at once, exit 16 as before.
    proxy.cut();
    let started = Instant::now();
    let run = env.cmd(&["ps"]).env("DOCKER_HOST", &proxy.url()).run();
    run.assert_code(16).assert_stderr_has(&format!(
        "cannot connect to the Docker Engine at {}",
        proxy.url()
    ));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a refused socket took {:?}",
        started.elapsed()
    );
}

#[test]
fn faults_a_stop_a_killed_down_left_under_way_is_finished_before_the_next_up() {
    // `down` is killed while the engine has yet to act on its stop (the
    // proxy holds the request, as a loaded engine may for seconds before
    // it delivers the signal). The next `up` must not plan around web as
    // running, to see it stop right after: it finishes the stop first and
    // says so, then starts web again.
    let compose = format!(
        "services:\n{}",
        sleeper("web", "    stop_grace_period: 1s\n")
    );
    let env = TestEnv::new("faults-killed-down", &compose);
    env.berth_ok(&["up", "-d"]);
    let web = env.name_of("web", 1);
    let before = env.container(&web);
    let proxy = Proxy::start();
    proxy.hold("/stop");
    let down = env
        .cmd(&["down", "-t", "1"])
        .env("DOCKER_HOST", &proxy.url())
        .background();
    assert!(
        env.poll_until(GUARD, |_| proxy.requests_with("/stop") > 0),
        "down never asked to stop web"
    );
    down.signal("KILL");
    let _ = down.finish();
    assert_eq!(
        env.container(&web).state,
        "running",
        "the stop was not held"
    );

    // The lock is the engine's as berth reaches it: through the proxy.
    proxy.stop_holding();
    let up = env
        .cmd(&["up", "-d", "--wait"])
        .env("DOCKER_HOST", &proxy.url())
        .run();
    assert_eq!(up.code, Some(0), "up --wait\n--- stderr\n{}", up.stderr);
    assert!(
        up.stderr.contains(&format!(
            "Finished what an interrupted berth had under way: stopping {web}"
        )),
        "up did not finish the interrupted stop\n--- stderr\n{}",
        up.stderr
    );
    let after = env.container(&web);
    assert_eq!(after.id, before.id, "web was recreated");
    assert_eq!(after.state, "running");
    assert!(after.started() > before.started(), "web was never stopped");
}
