//! `events` (Docker Compose's line format and `--json`, filtered by service)
//! and `wait` (the first container's exit code, `--down-project`).

use std::time::Duration;

use crate::harness::{TestEnv, docker_ok};

/// `web` runs; `job` exits 4 once /go exists.
const COMPOSE: &str = "services:\n  web:\n    image: busybox\n    init: true\n    command: sleep 3600\n  job:\n    image: busybox\n    init: true\n    command: [\"sh\", \"-c\", \"while [ ! -f /go ]; do sleep 0.1; done; exit 4\"]\n";

#[test]
fn events_stream_the_projects_container_events() {
    let env = TestEnv::new("events", COMPOSE);
    env.berth_ok(&["up", "-d"]);
    let all = env.cmd(&["events"]).background();
    let json = env.cmd(&["events", "--json", "job"]).background();
    // Once both report a harmless signal, they are subscribed.
    let (web_name, job_name) = (env.name_of("web", 1), env.name_of("job", 1));
    for (events, name) in [(&all, &web_name), (&json, &job_name)] {
        let subscribed = env.poll_until(Duration::from_secs(30), |_| {
            docker_ok(&["kill", "-s", "WINCH", name]);
            events
                .line_within(Duration::from_millis(200), |l| l.contains("kill"))
                .is_some()
        });
        assert!(subscribed, "{}: no event", events.shown);
    }
    let before_restart = unix_now() - 1;
    env.berth_ok(&["restart"]);
    let web = env.container(&env.name_of("web", 1));
    let line = all.line_where("web's start", |l| {
        l.contains(" container start ") && l.contains(&web.id)
    });
    // `2024-01-02 03:04:05.123456 container start ID (image=busybox, name=...)`.
    let (date, rest) = line.split_at(26);
    assert!(
        date.chars().nth(10) == Some(' ') && date.contains('.'),
        "{line}"
    );
    assert!(rest.contains(&format!("name={}", web.name)), "{line}");
    assert!(!rest.contains("com.docker.compose."), "{line}");

    let job = env.container(&env.name_of("job", 1));
    let event: serde_json::Value =
        serde_json::from_str(&json.line_where("job's start", |l| l.contains("\"start\""))).unwrap();
    assert_eq!(event["service"], "job");
    assert_eq!(event["id"], job.id.as_str());
    assert_eq!(event["action"], "start");
    assert_eq!(event["attributes"]["name"], job.name.as_str());
    env.berth(&["events", "nope"]).assert_code(2);

    // --since replays what happened, --until ends the stream; times are local.
    let (since, until) = (before_restart.to_string(), (unix_now() + 1).to_string());
    let replay = |zone: &str| {
        let run = env
            .cmd(&["events", "--since", &since, "--until", &until, "web"])
            .env("TZ", zone)
            .run();
        run.assert_code(0);
        run.stdout
            .lines()
            .find(|l| l.contains(" container start ") && l.contains(&web.id))
            .unwrap_or_else(|| panic!("no replayed start of web in {}", run.stdout))
            .to_string()
    };
    let (utc, east) = (replay("UTC0"), replay("EAST-3"));
    let hour = |line: &str| line[11..13].parse::<u32>().unwrap();
    assert_eq!((hour(&utc) + 3) % 24, hour(&east), "{utc}\n{east}");
    assert_eq!(utc[13..], east[13..]);
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn wait_returns_the_first_exit_code_and_can_take_the_project_down() {
    let env = TestEnv::new("wait-cmd", COMPOSE);
    env.berth_ok(&["up", "-d"]);
    let waiting = env.cmd(&["wait", "job", "--down-project"]).background();
    // The wait is answered by the engine, whenever the job ends.
    env.exec(&env.name_of("job", 1), &["touch", "/go"]);
    let (code, stderr) = waiting.finish();
    assert_eq!(code, Some(4), "{stderr}");
    assert!(env.containers().is_empty(), "{:?}", env.container_names());
    env.berth(&["wait"]).assert_code(2);
}
