//! `logs`: prefixes, tail, timestamps, and `-f` following containers that
//! start later until they all stop.

use crate::harness::TestEnv;

/// A service that prints `first`, waits for /go, prints `second` and exits.
fn waiter(name: &str, profile: &str) -> String {
    format!(
        "  {name}:\n    image: busybox\n{profile}    command: [\"sh\", \"-c\", \"echo first-{name}; echo oops-{name} >&2; while [ ! -f /go ]; do sleep 0.1; done; echo second-{name}\"]\n"
    )
}

#[test]
fn logs_prefix_tail_and_follow_new_containers() {
    let compose = format!(
        "services:\n{}{}",
        waiter("alpha", ""),
        waiter("beta", "    profiles: [later]\n")
    );
    let env = TestEnv::new("logs", &compose);
    env.berth_ok(&["up", "-d"]);
    let alpha = env.name_of("alpha", 1);

    let logs = env.cmd(&["logs", "-f"]).background();
    let expect = |wanted: &str| logs.expect_line(wanted);
    expect("alpha-1  | first-alpha");
    // A container that starts while following is followed too, its prefix
    // padded to the names already shown.
    env.cmd(&["--profile", "later", "up", "-d", "beta"])
        .run()
        .assert_code(0);
    expect("beta-1   | first-beta");
    let beta = env.name_of("beta", 1);
    env.exec(&alpha, &["touch", "/go"]);
    expect("alpha-1  | second-alpha");
    env.exec(&beta, &["touch", "/go"]);
    expect("beta-1   | second-beta");
    // Every container stopped: the command ends by itself.
    let (code, stderr) = logs.finish();
    assert_eq!(code, Some(0), "{stderr}");

    // Without -f: everything so far, stderr lines too, on standard output
    // (the engine may store a stderr line before an earlier stdout one).
    let all = env.berth_ok(&["logs", "alpha"]).stdout;
    let mut lines: Vec<&str> = all.lines().collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            "alpha-1  | first-alpha",
            "alpha-1  | oops-alpha",
            "alpha-1  | second-alpha"
        ]
    );
    let last = env
        .berth_ok(&["logs", "-n", "1", "--no-log-prefix", "alpha"])
        .stdout;
    assert_eq!(last, "second-alpha\n");
    let stamped = env.berth_ok(&["logs", "-t", "-n", "1", "alpha"]).stdout;
    let stamp = stamped
        .strip_prefix("alpha-1  | ")
        .and_then(|rest| rest.strip_suffix(" second-alpha\n"))
        .unwrap_or_else(|| panic!("{stamped:?}"));
    assert!(stamp.ends_with('Z') && stamp.contains('T'), "{stamped:?}");
    env.berth(&["logs", "--tail", "x"]).assert_code(2);
}
