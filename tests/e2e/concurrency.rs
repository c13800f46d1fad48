//! Concurrent invocations and an `up` killed half-way.

use std::time::Duration;

use crate::harness::{Run, TestEnv};
use crate::up::sleeper;
use crate::wait::HEALTHY;

#[test]
fn four_concurrent_ups_make_one_container_per_replica() {
    let compose = format!(
        "services:\n{}{}",
        sleeper("web", "    scale: 2\n"),
        sleeper("db", ""),
    );
    let env = TestEnv::new("concurrent-up", &compose);
    let children: Vec<_> = (0..4).map(|_| env.cmd(&["up", "-d"]).spawn()).collect();
    for (child, shown) in children {
        let started = std::time::Instant::now();
        let out = child.wait_with_output().expect("wait for berth");
        Run::new(shown, out, started.elapsed()).assert_code(0);
    }
    let containers = env.containers();
    let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            env.name_of("db", 1),
            env.name_of("web", 1),
            env.name_of("web", 2)
        ]
    );
    for c in &containers {
        assert_eq!(c.state, "running", "{}", c.name);
    }
    assert_eq!(env.networks(), [format!("{}_default", env.project)]);
}

/// Six services, s1 <- s2 <- ... <- s6, each gated on the previous one's
/// health, so that an `up` takes a while to start them all.
fn chain_of_six() -> String {
    let mut compose = String::from("services:\n");
    for i in 1..=6 {
        let deps = if i == 1 {
            String::new()
        } else {
            format!(
                "    depends_on:\n      s{}:\n        condition: service_healthy\n",
                i - 1
            )
        };
        compose.push_str(&sleeper(&format!("s{i}"), &format!("{HEALTHY}{deps}")));
    }
    compose
}

/// Starts `up -d`, SIGKILLs it once `ready` holds on the engine, and
/// returns whether it was still running then.
fn kill_up_when(env: &TestEnv, ready: impl FnMut(&TestEnv) -> bool) -> bool {
    let (mut child, shown) = env.cmd(&["up", "-d"]).spawn();
    let reached = env.poll_until(Duration::from_secs(60), ready);
    let was_running = child.try_wait().expect("poll berth").is_none();
    child.kill().expect("SIGKILL berth");
    let out = child.wait_with_output().expect("reap berth");
    assert!(
        reached,
        "the state to kill in never came; {shown} said {out:?}"
    );
    if !was_running {
        eprintln!("note: {shown} finished before it could be killed");
    }
    was_running
}

/// The next `up --wait` leaves exactly one healthy container per service.
fn assert_converges(env: &TestEnv) {
    env.berth_ok(&["up", "-d", "--wait"]);
    let containers = env.containers();
    for c in &containers {
        assert_eq!(c.state, "running", "{}", c.name);
        assert_eq!(c.health, "healthy", "{}", c.name);
    }
    let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    let expected: Vec<String> = (1..=6).map(|i| env.name_of(&format!("s{i}"), 1)).collect();
    assert_eq!(names, expected);
}

#[test]
fn up_killed_midway_converges_on_the_next_up() {
    let env = TestEnv::new("killed-up", &chain_of_six());
    // Killed once every container exists (no create is in flight then, see
    // the next test) but while the health-gated starts are under way.
    let was_running = kill_up_when(&env, |env| env.containers().len() == 6);
    let running = env
        .containers()
        .iter()
        .filter(|c| c.state == "running")
        .count();
    assert!(
        running < 6 || !was_running,
        "the killed up had started everything"
    );
    assert_converges(&env);
}

#[test]
fn up_killed_while_creating_converges_on_the_next_up() {
    let env = TestEnv::new("killed-creating", &chain_of_six());
    let first = env.name_of("s1", 1);
    for _ in 0..10 {
        kill_up_when(&env, |env| env.container_names().contains(&first));
        assert_converges(&env);
        env.berth_ok(&["down", "-t", "0"]);
    }
}

#[test]
fn up_killed_during_a_recreate_converges_on_the_next_up() {
    // No init: `sleep` as PID 1 ignores SIGTERM, so each stop takes the
    // whole grace period, and the replacement waits under its temporary name.
    let file = |rev: &str| {
        format!(
            "services:\n  app:\n    image: busybox\n    command: sleep 3600\n    stop_grace_period: 5s\n    environment:\n      REV: \"{rev}\"\n"
        )
    };
    let env = TestEnv::new("killed-recreate", &file("1"));
    env.berth_ok(&["up", "-d"]);
    let app = env.name_of("app", 1);
    let old = env.container(&app);

    env.write("compose.yaml", &file("2"));
    let (mut child, shown) = env.cmd(&["up", "-d"]).spawn();
    // The replacement exists under a temporary name while the old one stops.
    let appeared = env.poll_until(Duration::from_secs(60), |env| env.containers().len() > 1);
    child.kill().expect("SIGKILL berth");
    let out = child.wait_with_output().expect("reap berth");
    assert!(appeared, "no replacement appeared; {shown} said {out:?}");

    env.berth_ok(&["up", "-d", "-t", "0"]);
    let containers = env.containers();
    let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, [app.as_str()], "after the second up");
    assert_ne!(containers[0].id, old.id, "not recreated");
    assert_eq!(containers[0].state, "running");
    let env_of_app = containers[0].raw["Config"]["Env"].to_string();
    assert!(env_of_app.contains("REV=2"), "{env_of_app}");
    // And nothing is left to do.
    let plan = env.berth_ok(&["plan"]);
    assert!(plan.stdout.contains("nothing to do"), "{}", plan.stdout);
}

#[test]
fn up_killed_during_a_force_recreate_converges_on_the_next_up() {
    // Killed once the copies exist under temporary names, while the originals
    // stop (`sleep` as PID 1 ignores SIGTERM: each stop takes its grace
    // period). The next plain `up` must finish the recreate: the copies win,
    // the originals go, whatever state their stop had reached.
    let file = "services:\n  a:\n    image: busybox\n    command: sleep 3600\n    stop_grace_period: 3s\n  b:\n    image: busybox\n    command: sleep 3600\n    stop_grace_period: 3s\n";
    let env = TestEnv::new("killed-force", file);
    env.berth_ok(&["up", "-d"]);
    let originals: Vec<String> = env.containers().into_iter().map(|c| c.id).collect();

    let (mut child, shown) = env.cmd(&["up", "-d", "--force-recreate"]).spawn();
    let appeared = env.poll_until(Duration::from_secs(60), |env| env.containers().len() == 4);
    child.kill().expect("SIGKILL berth");
    let out = child.wait_with_output().expect("reap berth");
    assert!(appeared, "no replacements appeared; {shown} said {out:?}");

    env.berth_ok(&["up", "-d"]);
    let containers = env.containers();
    let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, [env.name_of("a", 1), env.name_of("b", 1)]);
    for c in &containers {
        assert!(
            !originals.contains(&c.id),
            "{} is the original, whose stop the killed run had begun",
            c.name
        );
        assert_eq!(c.state, "running", "{}", c.name);
    }
}
