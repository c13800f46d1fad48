//! `logs`: prefixes, tail, timestamps, and `-f` following containers that
//! start later until they all stop.

use std::time::Duration;

use crate::harness::{TestEnv, Timestamp};

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

/// `date` printing the Unix time `seconds` in `format`, in zone `tz`.
fn date_text(seconds: i64, tz: &str, format: &str) -> String {
    let out = std::process::Command::new("date")
        .env("TZ", tz)
        .args(["-d", &format!("@{seconds}"), format])
        .output()
        .expect("date runs");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn logs_since_and_until_take_unix_times_durations_and_dates() {
    let compose = format!("services:\n{}", waiter("talker", ""));
    let env = TestEnv::new("logs-since-until", &compose);
    env.berth_ok(&["up", "-d"]);
    let talker = env.name_of("talker", 1);
    let logs = env.cmd(&["logs", "-f", "-t", "talker"]).background();
    let first = logs.line_where("first line", |l| l.ends_with(" first-talker"));
    let stamp = first
        .strip_prefix("talker-1  | ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(Timestamp::parse)
        .unwrap_or_else(|| panic!("{first:?}"));
    // A whole second after the first line; the second line comes after it
    // (the engine's clock is the host's).
    let mark = stamp.unix_seconds() + 1;
    assert!(env.poll_until(Duration::from_secs(5), |_| unix_now() > mark));
    env.exec(&talker, &["touch", "/go"]);
    logs.line_where("second line", |l| l.ends_with(" second-talker"));
    let (code, stderr) = logs.finish();
    assert_eq!(code, Some(0), "{stderr}");

    let shown = |flag: &str, time: &str| {
        env.berth_ok(&["logs", "--no-log-prefix", flag, time, "talker"])
            .stdout
    };
    let mark_text = mark.to_string();
    let utc = date_text(mark, "UTC", "+%Y-%m-%dT%H:%M:%SZ");
    // The same instant two hours east of UTC.
    let east = date_text(mark, "Etc/GMT-2", "+%Y-%m-%dT%H:%M:%S%:z");
    assert!(east.ends_with("+02:00"), "{east}");
    for time in [&mark_text, &utc, &east] {
        assert_eq!(shown("--since", time), "second-talker\n", "--since {time}");
        // stderr lines are logs too: the first two lines, in either order.
        let mut before: Vec<String> = shown("--until", time).lines().map(String::from).collect();
        before.sort_unstable();
        assert_eq!(before, ["first-talker", "oops-talker"], "--until {time}");
    }
    // Durations count back from now: everything is less than 10 minutes old.
    assert_eq!(shown("--until", "10m"), "");
    assert_eq!(shown("--since", "10m").lines().count(), 3);
    assert_eq!(shown("--since", "1h30m").lines().count(), 3);
    env.berth(&["logs", "--since", "yesterday"]).assert_code(2);
}

#[test]
fn logs_index_shows_one_replica() {
    let compose = "services:\n  echoer:\n    image: busybox\n    command: [\"sh\", \"-c\", \"echo from-$$HOSTNAME\"]\n";
    let env = TestEnv::new("logs-index", compose);
    env.berth_ok(&["up", "-d", "--scale", "echoer=2"]);
    let exited = |env: &TestEnv| {
        let states: Vec<String> = env.containers().into_iter().map(|c| c.state).collect();
        states == ["exited", "exited"]
    };
    assert!(env.poll_until(Duration::from_secs(20), exited));
    let host = |n: u32| {
        let id = env.container(&env.name_of("echoer", n)).raw["Id"]
            .as_str()
            .unwrap()
            .to_string();
        format!("from-{}", &id[..12])
    };
    let second = env.berth_ok(&["logs", "--index", "2", "echoer"]).stdout;
    assert_eq!(second, format!("echoer-2  | {}\n", host(2)));
    let both = env.berth_ok(&["logs", "echoer"]).stdout;
    assert!(both.contains(&host(1)), "{both}");
    // 0 is Docker Compose's default: every replica.
    let zero = env.berth_ok(&["logs", "--index", "0", "echoer"]).stdout;
    assert_eq!(zero.lines().count(), 2, "{zero}");
    let third = env.berth(&["logs", "--index", "3", "echoer"]);
    third
        .assert_code(1)
        .assert_stderr_has("service \"echoer\" has no container #3");
    // As Docker Compose: the index is of one service's replicas.
    let run = env.berth(&["logs", "--index", "2"]);
    run.assert_code(2)
        .assert_stderr_has("--index requires one service");
}

#[test]
fn logs_color_the_prefix_on_a_terminal_unless_no_color() {
    let compose = format!("services:\n{}", waiter("painted", ""));
    let env = TestEnv::new("logs-no-color", &compose);
    env.berth_ok(&["up", "-d"]);
    let said = |env: &TestEnv| env.berth_ok(&["logs", "painted"]).stdout.contains("first");
    assert!(env.poll_until(Duration::from_secs(20), said));
    let colored = env.berth_on_terminal(&["logs", "painted"]);
    assert!(colored.contains("first-painted"), "{colored:?}");
    assert!(
        colored.contains("\x1b["),
        "no color on a terminal: {colored:?}"
    );
    let plain = env.berth_on_terminal(&["logs", "--no-color", "painted"]);
    assert!(plain.contains("painted-1  | first-painted"), "{plain:?}");
    assert!(!plain.contains('\x1b'), "{plain:?}");
}

/// Found comparing with Docker Compose: a container with a `container_name`
/// is prefixed with that name, not `service-N`.
#[test]
fn logs_prefix_a_container_name_with_itself() {
    let env = TestEnv::new("logs-container-name", "services: {}\n");
    let named = format!("{}-named", env.project);
    env.write(
        "compose.yaml",
        &format!(
            "services:\n  plain:\n    image: busybox\n    command: [echo, from-plain]\n  db:\n    image: busybox\n    container_name: {named}\n    command: [echo, from-db]\n"
        ),
    );
    env.berth_ok(&["up", "-d"]);
    let exited = |env: &TestEnv| env.containers().iter().all(|c| c.state == "exited");
    assert!(env.poll_until(Duration::from_secs(20), exited));
    let db = env.berth_ok(&["logs", "--no-color", "db"]).stdout;
    assert_eq!(db, format!("{named}  | from-db\n"));
    let plain = env.berth_ok(&["logs", "--no-color", "plain"]).stdout;
    assert_eq!(plain, "plain-1  | from-plain\n");
    env.berth_ok(&["down"]);
}
