//! `stats --no-stream`: one sample of the running containers, in the docker
//! CLI's table or as JSON.

use crate::harness::TestEnv;
use crate::up::sleeper;

#[test]
fn stats_no_stream_samples_the_running_containers() {
    let compose = format!("services:\n{}{}", sleeper("web", ""), sleeper("idle", ""));
    let env = TestEnv::new("stats", &compose);
    env.berth_ok(&["up", "-d"]);
    env.berth_ok(&["stop", "idle"]);
    let web = env.container(&env.name_of("web", 1));

    let table = env.berth_ok(&["stats", "--no-stream"]).stdout;
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>().join(" "),
        "CONTAINER ID NAME CPU % MEM USAGE / LIMIT MEM % NET I/O BLOCK I/O PIDS",
        "{table}"
    );
    // Only the running container, its ID cut to 12 characters.
    assert_eq!(lines.len(), 2, "{table}");
    let cells: Vec<&str> = lines[1]
        .split("   ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(cells[0], &web.id[..12], "{table}");
    assert_eq!(cells[1], web.name, "{table}");
    assert!(
        cells[2].ends_with('%') && cells[3].contains("iB / "),
        "{table}"
    );
    // init and sleep.
    assert_eq!(cells[7], "2", "{table}");

    let all = env.berth_ok(&[
        "stats",
        "--no-stream",
        "-a",
        "--format",
        "json",
        "--no-trunc",
    ]);
    let rows: Vec<serde_json::Value> = all
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2, "{}", all.stdout);
    let names: Vec<&str> = rows.iter().map(|r| r["Name"].as_str().unwrap()).collect();
    assert!(names.contains(&web.name.as_str()), "{names:?}");
    assert!(
        rows.iter().any(|r| r["ID"] == web.id.as_str()),
        "{}",
        all.stdout
    );

    // Templates, as Docker Compose takes them; `.Container` is the full ID
    // even without --no-trunc, as Docker Compose gives it.
    let templated = env.berth_ok(&[
        "stats",
        "--no-stream",
        "--format",
        "{{.Name}} {{.Container}} {{.PIDs}}",
    ]);
    assert_eq!(templated.stdout, format!("{} {} 2\n", web.name, web.id));
}

/// Without `--no-stream`, samples keep coming, and a container started
/// meanwhile joins them.
#[test]
fn stats_streams_and_picks_up_containers_that_start() {
    let compose = format!("services:\n{}{}", sleeper("web", ""), sleeper("late", ""));
    let env = TestEnv::new("stats-stream", &compose);
    env.berth_ok(&["up", "-d", "web"]);
    let (web, late) = (env.name_of("web", 1), env.name_of("late", 1));
    let stream = env.cmd(&["stats", "--format", "json"]).background();
    let name_of = |line: &str| {
        serde_json::from_str::<serde_json::Value>(line).unwrap()["Name"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // Two samples of web: the stream goes on.
    for _ in 0..2 {
        stream.line_where("a sample of web", |l| name_of(l) == web);
    }
    env.berth_ok(&["up", "-d", "late"]);
    stream.line_where("a sample of late", |l| name_of(l) == late);
}
