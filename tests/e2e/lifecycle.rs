//! `start`, `stop`, `restart`, `kill`, `pause`, `unpause`, `rm` and `version`
//! on a running project.

use crate::harness::{TestEnv, Timestamp};
use crate::up::sleeper;
use crate::wait::HEALTHY;

const DEPENDS: &str =
    "    depends_on:\n      db:\n        condition: service_healthy\n        restart: true\n";

fn stack() -> String {
    format!(
        "services:\n{}{}{}",
        sleeper("db", HEALTHY),
        sleeper("web", DEPENDS),
        sleeper("other", ""),
    )
}

#[test]
fn stop_start_restart_in_dependency_order() {
    let env = TestEnv::new("lifecycle", &stack());
    env.berth_ok(&["up", "-d", "--wait"]);
    let [db, web, other] = ["db", "web", "other"].map(|s| env.name_of(s, 1));
    let state = |name: &str| env.container(name).state;

    // A dry run changes nothing.
    let dry = env.berth_ok(&["--dry-run", "stop"]);
    dry.assert_stderr_has(&format!("stop container {web}"));
    assert_eq!(state(&web), "running");

    env.berth_ok(&["stop", "web"]);
    assert_eq!(state(&web), "exited");
    assert_eq!(state(&db), "running");
    env.berth_ok(&["stop"]);
    for name in [&db, &web, &other] {
        assert_eq!(state(name), "exited", "{name}");
    }
    // Dependents stopped first.
    let finished = |name: &str| {
        let info = env.container(name);
        let text = info.raw["State"]["FinishedAt"].as_str().unwrap_or_default();
        Timestamp::parse(text).unwrap_or_else(|| panic!("FinishedAt {text:?} of {name}"))
    };
    assert!(finished(&web) <= finished(&db), "db stopped before web");

    // start: web only once db is healthy again.
    env.berth_ok(&["start"]);
    let (db_info, web_info) = (env.container(&db), env.container(&web));
    assert_eq!(web_info.state, "running");
    assert_eq!(env.container(&other).state, "running");
    assert_eq!(
        db_info.health, "healthy",
        "start returned before db was healthy"
    );
    assert!(db_info.started() < web_info.started());

    // restart db: web depends on it with `restart: true`, other does not.
    let before = [&db, &web, &other].map(|n| env.container(n).started());
    env.berth_ok(&["restart", "db"]);
    let after = [&db, &web, &other].map(|n| env.container(n).started());
    assert!(after[0] > before[0], "db was not restarted");
    assert!(
        after[1] > before[1],
        "web (restart: true) was not restarted"
    );
    assert_eq!(after[2], before[2], "other was restarted");
    env.berth_ok(&["restart", "--no-deps", "db"]);
    assert_eq!(env.container(&web).started(), after[1]);
}

#[test]
fn kill_pause_unpause_and_rm() {
    let env = TestEnv::new("lifecycle-rm", &stack());
    env.berth_ok(&["up", "-d"]);
    let [db, web, other] = ["db", "web", "other"].map(|s| env.name_of(s, 1));

    env.berth_ok(&["pause", "web"]);
    assert_eq!(env.container(&web).state, "paused");
    env.berth_ok(&["unpause"]);
    assert_eq!(env.container(&web).state, "running");

    env.berth_ok(&["kill", "other"]);
    let killed = env.container(&other);
    assert_eq!(killed.state, "exited");
    assert_eq!(killed.exit_code, 137);

    // As in Docker Compose, the answer comes from standard input, terminal
    // or not: none (its end) removes nothing, "y" confirms.
    let refused = env.berth(&["rm"]);
    refused
        .assert_code(0)
        .assert_stderr_has(&format!("Going to remove {other}"));
    refused.assert_stderr_has("Nothing removed");
    assert_eq!(env.container_names().len(), 3);
    env.berth_with_input(&["rm"], b"y\n");
    assert_eq!(env.container_names(), [db.clone(), web]);
    env.berth_ok(&["rm", "-f", "-s", "web"]);
    assert_eq!(env.container_names(), [db]);
    env.berth(&["stop", "nosuch"]).assert_code(2);

    let version = env.berth_ok(&["version"]).stdout;
    assert!(version.starts_with("berth version "), "{version}");
    let short = env.berth_ok(&["version", "--short"]).stdout;
    assert_eq!(version, format!("berth version {short}"));
}

#[test]
fn kill_remove_orphans_removes_them_instead() {
    let env = TestEnv::new(
        "lifecycle-kill-orphans",
        &format!("services:\n{}{}", sleeper("web", ""), sleeper("old", "")),
    );
    env.berth_ok(&["up", "-d"]);
    env.write(
        "compose.yaml",
        &format!("services:\n{}", sleeper("web", "")),
    );
    let web = env.name_of("web", 1);

    env.berth_ok(&["kill", "--remove-orphans"]);
    assert_eq!(env.container_names(), std::slice::from_ref(&web));
    let killed = env.container(&web);
    assert_eq!((killed.state.as_str(), killed.exit_code), ("exited", 137));
}
