//! Attached `up`: prefixed output on the right streams, the end of the run
//! when the attached containers stop, the abort flags with the CI contract
//! (an init job's expected exit aborts nothing), and Ctrl-C.

use crate::harness::TestEnv;
use crate::up::sleeper;

/// A service that runs `script` in a shell.
fn job(name: &str, script: &str, extra: &str) -> String {
    format!("  {name}:\n    image: busybox\n    command: [\"sh\", \"-c\", \"{script}\"]\n{extra}")
}

fn depends(on: &[(&str, &str)]) -> String {
    let mut text = String::from("    depends_on:\n");
    for (service, condition) in on {
        text.push_str(&format!(
            "      {service}:\n        condition: {condition}\n"
        ));
    }
    text
}

/// The names of the project's running containers.
pub fn running(env: &TestEnv) -> Vec<String> {
    env.containers()
        .into_iter()
        .filter(|c| c.state == "running")
        .map(|c| c.name)
        .collect()
}

#[test]
fn attached_up_prints_prefixed_output_and_ends_when_containers_exit() {
    let compose = format!(
        "services:\n{}{}{}",
        job("alpha", "echo out-alpha; echo err-alpha >&2", ""),
        job("beta", "echo out-beta", ""),
        job("hidden", "echo out-hidden", ""),
    );
    let env = TestEnv::new("attached-up", &compose);
    let run = env.berth(&["up", "--no-attach", "hidden"]);
    run.assert_code(0);
    let out: Vec<&str> = run.stdout.lines().collect();
    for line in [
        "alpha-1  | out-alpha",
        "beta-1   | out-beta",
        "alpha-1 exited with code 0",
        "beta-1 exited with code 0",
    ] {
        assert!(out.contains(&line), "no {line:?} in\n{}", run.stdout);
    }
    // Each container's exit comes after its output.
    let at = |line: &str| out.iter().position(|l| *l == line);
    assert!(at("alpha-1  | out-alpha") < at("alpha-1 exited with code 0"));
    // Standard error stays standard error; --no-attach hides a service.
    run.assert_stderr_has("alpha-1  | err-alpha");
    assert!(!run.stdout.contains("err-alpha"), "{}", run.stdout);
    assert!(!run.stdout.contains("out-hidden"), "{}", run.stdout);
    assert!(running(&env).is_empty());

    // --attach names exactly the services shown.
    let run = env.berth(&["up", "--attach", "beta"]);
    run.assert_code(0);
    assert!(run.stdout.contains("beta-1  | out-beta"), "{}", run.stdout);
    assert!(!run.stdout.contains("out-alpha"), "{}", run.stdout);

    // Without prefixes, with timestamps.
    let run = env.berth(&["up", "--no-log-prefix", "--timestamps", "beta"]);
    run.assert_code(0);
    let line = run
        .stdout
        .lines()
        .find(|l| l.ends_with(" out-beta"))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    assert!(line.contains('T') && !line.contains('|'), "{line:?}");
}

#[test]
fn attached_up_follows_a_container_through_its_restarts() {
    let compose = format!(
        "services:\n{}",
        job("flaky", "echo run; exit 1", "    restart: on-failure:2\n")
    );
    let env = TestEnv::new("attached-restarts", &compose);
    let run = env.berth(&["up"]);
    run.assert_code(0);
    // Three runs (two restarts), each shown once, then the last exit.
    let runs = run
        .stdout
        .lines()
        .filter(|l| *l == "flaky-1  | run")
        .count();
    assert_eq!(runs, 3, "{}", run.stdout);
    assert_eq!(
        run.stdout.lines().last(),
        Some("flaky-1 exited with code 1"),
        "{}",
        run.stdout
    );
}

#[test]
fn exit_code_from_ignores_the_init_jobs_expected_exit() {
    let compose = format!(
        "services:\n{}{}{}",
        job("init", "echo init-done", ""),
        sleeper("db", ""),
        job(
            "test",
            "echo testing; exit 3",
            &depends(&[
                ("init", "service_completed_successfully"),
                ("db", "service_started")
            ])
        ),
    );
    let env = TestEnv::new("attached-exit-code-from", &compose);
    let run = env.berth(&["up", "--exit-code-from", "test"]);
    // The test container's own code, not the init job's 0.
    run.assert_code(3);
    assert!(run.stdout.contains("test-1  | testing"), "{}", run.stdout);
    run.assert_stderr_has("Aborting on container exit");
    assert!(
        run.stdout.contains("init-1 exited with code 0"),
        "{}",
        run.stdout
    );
    // The abort stopped everything.
    assert!(running(&env).is_empty(), "{:?}", running(&env));

    // Run again: the init job done in the first run is left alone, so no
    // exit of it is reported, and the test's own code still wins.
    let again = env.berth(&["up", "--exit-code-from", "test"]);
    again.assert_code(3);
    assert!(
        !again.stdout.contains("init-1 exited"),
        "the init job did not run now:\n{}",
        again.stdout
    );
    assert!(
        again.stdout.contains("test-1  | testing"),
        "{}",
        again.stdout
    );

    env.berth(&["up", "--exit-code-from", "nope"])
        .assert_code(2);
    env.berth(&["up", "-d", "--exit-code-from", "test"])
        .assert_code(2);
}

#[test]
fn abort_on_container_failure_stops_all_and_shows_the_unattached_failure() {
    let compose = format!(
        "services:\n{}{}",
        sleeper("app", ""),
        job("broken", "echo cannot-connect; exit 5", ""),
    );
    let env = TestEnv::new("attached-abort-failure", &compose);
    let run = env.berth(&[
        "up",
        "--abort-on-container-failure",
        "--no-attach",
        "broken",
    ]);
    run.assert_code(5);
    // broken was not attached: its last lines are shown with the abort.
    run.assert_stderr_has("last log lines of broken-1:\n  cannot-connect");
    assert!(running(&env).is_empty(), "{:?}", running(&env));
}

#[test]
fn ctrl_c_stops_the_named_services_gracefully_and_keeps_dependencies() {
    let compose = format!(
        "services:\n{}{}",
        sleeper("db", ""),
        job(
            "web",
            "echo web-ready; trap 'echo web-bye; exit 0' TERM; while true; do sleep 0.1; done",
            &depends(&[("db", "service_started")])
        ),
    );
    let env = TestEnv::new("attached-ctrl-c", &compose);
    let up = env.cmd(&["up", "web"]).background();
    up.expect_line("web-1  | web-ready");
    up.interrupt();
    // The container got SIGTERM (its trap ran) and berth showed its last words.
    up.expect_line("web-1  | web-bye");
    up.expect_line("web-1 exited with code 0");
    let (code, stderr) = up.finish();
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        stderr.contains("Gracefully stopping... (press Ctrl+C again to force)"),
        "{stderr}"
    );
    // How long before the engine kills it (a ticking countdown on a terminal).
    let stopping = format!(
        "Container {}  Stopping (killed in 10s if still running)",
        env.name_of("web", 1)
    );
    assert!(stderr.contains(&stopping), "no {stopping:?} in {stderr}");
    // Only the named service stopped: its dependency runs on.
    assert_eq!(running(&env), [env.name_of("db", 1)]);
}

/// `up SERVICE` shows that service's output only; `--attach-dependencies`
/// adds the services it depends on.
#[test]
fn attach_dependencies_shows_the_dependencies_output_too() {
    let compose = format!(
        "services:\n{}{}",
        job("dep", "echo from-dep", ""),
        job(
            "app",
            "echo from-app",
            &depends(&[("dep", "service_completed_successfully")])
        ),
    );
    let env = TestEnv::new("attached-deps", &compose);
    let with = env.berth(&["up", "--attach-dependencies", "app"]);
    with.assert_code(0);
    assert!(with.stdout.contains("app-1  | from-app"), "{}", with.stdout);
    assert!(with.stdout.contains("dep-1  | from-dep"), "{}", with.stdout);

    // From nothing again, so that dep runs again, but unseen.
    env.berth_ok(&["down"]);
    let alone = env.berth(&["up", "app"]);
    alone.assert_code(0);
    assert!(
        alone.stdout.contains("app-1  | from-app"),
        "{}",
        alone.stdout
    );
    assert!(!alone.stdout.contains("from-dep"), "{}", alone.stdout);
    assert_eq!(env.container(&env.name_of("dep", 1)).state, "exited");
}

/// `--abort-on-container-exit` without `--exit-code-from`: the first exit,
/// whatever its code, stops everything, and its code is the command's.
#[test]
fn abort_on_container_exit_stops_all_with_the_first_exit_code() {
    let compose = format!(
        "services:\n{}{}",
        sleeper("app", ""),
        job("done", "echo finishing; exit ${DONE_CODE}", ""),
    );
    let env = TestEnv::new("attached-abort-exit", &compose);
    let run = env
        .cmd(&["up", "--abort-on-container-exit"])
        .env("DONE_CODE", "4")
        .run();
    run.assert_code(4);
    assert!(run.stdout.contains("done-1  | finishing"), "{}", run.stdout);
    assert!(
        run.stdout.contains("done-1 exited with code 4"),
        "{}",
        run.stdout
    );
    run.assert_stderr_has("Aborting on container exit");
    assert!(running(&env).is_empty(), "{:?}", running(&env));

    // A successful exit aborts too (unlike --abort-on-container-failure):
    // the sleeper is stopped, and the code is the first exit's 0, not the
    // stopped container's.
    let up = env
        .cmd(&["up", "--abort-on-container-exit"])
        .env("DONE_CODE", "0")
        .background();
    up.expect_line("done-1 exited with code 0");
    up.line_where("app-1 stopped", |l| l.starts_with("app-1 exited with code"));
    let (code, stderr) = up.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("Aborting on container exit"), "{stderr}");
    assert!(running(&env).is_empty(), "{:?}", running(&env));
}
