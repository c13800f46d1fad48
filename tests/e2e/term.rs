//! What berth says when its output is not a terminal, or when there is
//! nothing to do: never silence where Docker Compose says something.

use crate::harness::TestEnv;
use crate::up::sleeper;

#[test]
fn term_progress_tty_without_a_terminal_falls_back_to_plain_lines() {
    let compose = format!("services:\n{}", sleeper("web", ""));
    let env = TestEnv::new("term-tty-plain", &compose);
    let run = env.berth_ok(&["--progress", "tty", "up", "-d"]);
    let web = env.name_of("web", 1);
    assert!(
        run.stderr.contains(&format!(" Container {web}  Started")),
        "no plain progress lines: {}",
        run.stderr
    );
    assert!(
        !run.stderr.contains('\u{1b}'),
        "escape codes: {}",
        run.stderr
    );
}

#[test]
fn term_noop_up_detached_says_each_container_is_running() {
    let compose = format!("services:\n{}{}", sleeper("web", ""), sleeper("db", ""));
    let env = TestEnv::new("term-noop-up", &compose);
    env.berth_ok(&["up", "-d"]);
    let run = env.berth_ok(&["up", "-d"]);
    for service in ["web", "db"] {
        let line = format!(" Container {}  Running", env.name_of(service, 1));
        assert!(
            run.stderr.lines().any(|l| l == line),
            "no {line:?}: {}",
            run.stderr
        );
    }
    assert!(!run.stderr.contains("Started"), "{}", run.stderr);
}

#[test]
fn term_down_of_an_unknown_project_warns_that_nothing_was_found() {
    let compose = format!("services:\n{}", sleeper("web", ""));
    let env = TestEnv::new("term-down-nothing", &compose);
    let other = env.other_project("typo");
    let run = env.cmd(&["down"]).project(&other).run();
    run.assert_code(0);
    assert!(
        run.stderr.contains(&format!(
            "Warning: No resource found to remove for project \"{other}\"."
        )),
        "{}",
        run.stderr
    );
}
