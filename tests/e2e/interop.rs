//! Interoperability with Docker Compose v2: each sees the other's stacks.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::harness::{TestEnv, docker_compose};
use crate::up::sleeper;

fn compose(env: &TestEnv, binary: &Path, args: &[&str]) -> std::process::Output {
    Command::new(binary)
        .args(["-p", &env.project])
        .args(args)
        .current_dir(env.dir())
        .env("PWD", env.dir())
        .env_remove("COMPOSE_FILE")
        .env_remove("COMPOSE_PROJECT_NAME")
        .stdin(Stdio::null())
        .output()
        .expect("run docker-compose")
}

/// `docker-compose ps --format json` prints an array or one object a line.
fn parse_ps(text: &str) -> Vec<Value> {
    let text = text.trim();
    if text.starts_with('[') {
        return serde_json::from_str::<Vec<Value>>(text).expect("ps JSON");
    }
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("ps JSON line"))
        .collect()
}

#[test]
fn docker_compose_sees_berth_stack_and_berth_removes_compose_stack() {
    let Some(binary) = docker_compose() else {
        eprintln!("SKIPPED (BERTH_E2E_SKIP_INTEROP): Docker Compose v2 is not installed");
        return;
    };
    let file = format!("services:\n{}{}", sleeper("web", ""), sleeper("db", ""));
    let env = TestEnv::new("interop", &file);

    // berth up, Docker Compose lists it.
    env.berth_ok(&["up", "-d"]);
    let out = compose(&env, &binary, &["ps", "--format", "json"]);
    assert!(
        out.status.success(),
        "docker-compose ps: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = parse_ps(&String::from_utf8_lossy(&out.stdout));
    let mut names: Vec<&str> = listed.iter().filter_map(|c| c["Name"].as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        [env.name_of("db", 1), env.name_of("web", 1)],
        "{listed:#?}"
    );
    for c in &listed {
        assert_eq!(c["State"], "running", "{c:#}");
    }
    env.berth_ok(&["down"]);
    assert!(env.containers().is_empty());

    // Docker Compose up, berth plan is a no-op and berth down removes it all.
    let out = compose(&env, &binary, &["up", "-d"]);
    assert!(
        out.status.success(),
        "docker-compose up: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(env.containers().len(), 2);
    assert_eq!(env.networks().len(), 1);
    env.berth_ok(&["down"]);
    assert!(env.containers().is_empty(), "{:?}", env.container_names());
    assert!(env.networks().is_empty(), "{:?}", env.networks());
}

#[test]
#[ignore = "limitation: berth's config-hash is not Docker Compose's, so each tool recreates the other's unchanged containers"]
fn each_tool_keeps_the_others_unchanged_containers() {
    let Some(binary) = docker_compose() else {
        eprintln!("SKIPPED (BERTH_E2E_SKIP_INTEROP): Docker Compose v2 is not installed");
        return;
    };
    let file = format!(
        "services:\n{}",
        sleeper("web", "    environment:\n      A: b\n")
    );
    let env = TestEnv::new("interop-adopt", &file);
    let out = compose(&env, &binary, &["up", "-d"]);
    assert!(
        out.status.success(),
        "docker-compose up: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let before = env.containers();
    let plan = env.berth_ok(&["plan"]);
    env.berth_ok(&["up", "-d"]);
    let after = env.containers();
    assert_eq!(before.len(), 1);
    assert_eq!(
        before[0].id, after[0].id,
        "berth recreated Docker Compose's container; plan was:\n{}",
        plan.stdout
    );
    env.berth_ok(&["down"]);

    // And the other way round: Docker Compose's up leaves berth's stack be.
    env.berth_ok(&["up", "-d"]);
    let before = env.containers();
    let out = compose(&env, &binary, &["up", "-d"]);
    assert!(
        out.status.success(),
        "docker-compose up: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = env.containers();
    assert_eq!(
        before[0].id, after[0].id,
        "docker-compose recreated berth's container"
    );
    env.berth_ok(&["down"]);
}
