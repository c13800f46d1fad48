//! `up --wait` and `depends_on` conditions: health-gated chains, one-shot
//! jobs, failures and their exit codes, `--wait-timeout`.

use crate::harness::TestEnv;
use crate::up::sleeper;

/// A fast health check that passes.
pub const HEALTHY: &str =
    "    healthcheck:\n      test: [\"CMD\", \"true\"]\n      interval: 500ms\n      retries: 3\n";

fn depends(on: &str, condition: &str) -> String {
    format!("    depends_on:\n      {on}:\n        condition: {condition}\n")
}

#[test]
fn health_gated_chain_starts_in_order_and_waits() {
    let compose = format!(
        "services:\n{}{}{}",
        sleeper("a", HEALTHY),
        sleeper(
            "b",
            &format!("{HEALTHY}{}", depends("a", "service_healthy"))
        ),
        sleeper(
            "c",
            &format!("{HEALTHY}{}", depends("b", "service_healthy"))
        ),
    );
    let env = TestEnv::new("wait-chain", &compose);
    env.berth_ok(&["up", "-d", "--wait"]);

    let [a, b, c] = ["a", "b", "c"].map(|s| env.container(&env.name_of(s, 1)));
    for x in [&a, &b, &c] {
        assert_eq!(x.state, "running", "{}", x.name);
        assert_eq!(x.health, "healthy", "{}", x.name);
    }
    assert!(a.started() < b.started(), "b started before a");
    assert!(b.started() < c.started(), "c started before b");
    // Each started after its dependency's first passing probe (when the
    // engine's 5-entry health log still holds that probe).
    for (dep, next) in [(&a, &b), (&b, &c)] {
        if let Some((healthy, complete)) = dep.first_healthy_probe()
            && !complete
        {
            assert!(
                healthy <= next.started(),
                "{} started before {} was healthy",
                next.name,
                dep.name
            );
        }
    }
}

#[test]
fn completed_successfully_one_shot_lets_wait_succeed() {
    let compose = format!(
        "services:\n  init:\n    image: busybox\n    command: [\"sh\", \"-c\", \"echo done\"]\n{}",
        sleeper("app", &depends("init", "service_completed_successfully")),
    );
    let env = TestEnv::new("wait-one-shot", &compose);
    env.berth_ok(&["up", "-d", "--wait"]);

    let init = env.container(&env.name_of("init", 1));
    assert_eq!(init.state, "exited");
    assert_eq!(init.exit_code, 0);
    let app = env.container(&env.name_of("app", 1));
    assert_eq!(app.state, "running");
    assert!(init.started() < app.started(), "app started before init");
}

#[test]
fn a_completed_job_runs_again_only_with_rerun_jobs() {
    let compose = format!(
        "services:\n  init:\n    image: busybox\n    command: [\"sh\", \"-c\", \"echo done\"]\n{}",
        sleeper("app", &depends("init", "service_completed_successfully")),
    );
    let env = TestEnv::new("wait-rerun-jobs", &compose);
    env.berth_ok(&["up", "-d", "--wait"]);
    let first = env.container(&env.name_of("init", 1));
    assert_eq!((first.state.as_str(), first.exit_code), ("exited", 0));

    // berth leaves a completed, unchanged job done...
    env.berth_ok(&["up", "-d", "--wait"]);
    let again = env.container(&env.name_of("init", 1));
    assert_eq!(again.started_at, first.started_at, "the job ran again");

    // ...and runs it again when asked, as Docker Compose always does.
    env.berth_ok(&["up", "-d", "--wait", "--rerun-jobs"]);
    let rerun = env.container(&env.name_of("init", 1));
    assert_eq!(rerun.id, first.id, "the job was recreated, not restarted");
    assert_ne!(
        rerun.started_at, first.started_at,
        "the job did not run again"
    );
    assert_eq!((rerun.state.as_str(), rerun.exit_code), ("exited", 0));
}

#[test]
fn failed_one_shot_dependency_exits_17_with_its_logs() {
    let compose = format!(
        "services:\n  migrate:\n    image: busybox\n    command: [\"sh\", \"-c\", \"echo migration-boom-7f3a; exit 3\"]\n{}",
        sleeper("app", &depends("migrate", "service_completed_successfully")),
    );
    let env = TestEnv::new("wait-failed-job", &compose);
    let run = env.berth(&["up", "-d", "--wait"]);
    run.assert_code(17).assert_stderr_has("migrate");
    assert!(
        run.stderr.contains("migration-boom-7f3a"),
        "the job's log lines are not shown:\n{}",
        run.stderr
    );
    run.assert_stderr_has("3");
    let migrate = env.container(&env.name_of("migrate", 1));
    assert_eq!(migrate.exit_code, 3);
    // The dependent never started.
    let app = env.containers().into_iter().find(|c| c.service() == "app");
    assert!(
        app.as_ref().is_none_or(|c| c.state == "created"),
        "app: {:?}",
        app.map(|c| c.state)
    );
}

#[test]
fn unhealthy_dependency_exits_18() {
    let compose = format!(
        "services:\n{}{}",
        sleeper(
            "db",
            "    healthcheck:\n      test: [\"CMD\", \"false\"]\n      interval: 500ms\n      retries: 1\n"
        ),
        sleeper("app", &depends("db", "service_healthy")),
    );
    let env = TestEnv::new("wait-unhealthy", &compose);
    let run = env.berth(&["up", "-d", "--wait"]);
    run.assert_code(18).assert_stderr_has("db");
    run.assert_stderr_has("unhealthy");
    assert_eq!(env.container(&env.name_of("db", 1)).health, "unhealthy");
}

#[test]
fn wait_timeout_exits_19() {
    let compose = format!(
        "services:\n{}",
        sleeper(
            "slow",
            "    healthcheck:\n      test: [\"CMD\", \"true\"]\n      interval: 1h\n      start_period: 1h\n"
        ),
    );
    let env = TestEnv::new("wait-timeout", &compose);
    let run = env.berth(&["up", "-d", "--wait", "--wait-timeout", "2"]);
    run.assert_code(19).assert_stderr_has("slow");
    assert_eq!(env.container(&env.name_of("slow", 1)).health, "starting");
}
