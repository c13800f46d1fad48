//! `ps`: the table, JSON lines, IDs, services, state filters, and listing a
//! project without its file.

use std::time::Duration;

use serde_json::Value;

use crate::harness::TestEnv;
use crate::up::sleeper;

const STACK: &str = "services:
  web:
    image: busybox
    command: httpd -f -p 80
    stop_signal: SIGKILL
    ports: [\"127.0.0.1::80\"]
  job:
    image: busybox
    command: [\"sh\", \"-c\", \"echo hello; exit 3\"]
";

/// The stack up, its job exited.
fn stack_up(test: &str) -> TestEnv {
    let env = TestEnv::new(test, &format!("{STACK}{}", sleeper("idle", "")));
    env.berth_ok(&["up", "-d"]);
    let job = env.name_of("job", 1);
    assert!(
        env.poll_until(Duration::from_secs(30), |env| env.container(&job).state
            == "exited"),
        "the job did not exit"
    );
    env
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

#[test]
fn ps_lists_like_docker_compose() {
    let env = stack_up("ps");
    let job = env.name_of("job", 1);
    let (web, idle) = (env.name_of("web", 1), env.name_of("idle", 1));

    // Running containers only, by name, with Docker Compose's columns.
    let table = env.berth_ok(&["ps"]).stdout;
    let rows = lines(&table);
    let header: Vec<&str> = rows[0].split_whitespace().collect();
    assert_eq!(
        header,
        [
            "NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"
        ]
    );
    assert_eq!(rows.len(), 3, "{table}");
    assert!(
        rows[1].starts_with(&idle) && rows[2].starts_with(&web),
        "{table}"
    );
    assert!(rows[2].contains("\"httpd -f -p 80\""), "{table}");
    assert!(rows[2].contains("Up "), "{table}");
    let published = env.container(&web).raw["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        rows[2].ends_with(&format!("127.0.0.1:{published}->80/tcp")),
        "{table}"
    );

    // -a adds the exited job; --status picks states.
    let all = env.berth_ok(&["ps", "-a"]).stdout;
    assert_eq!(lines(&all).len(), 4, "{all}");
    assert!(lines(&all)[2].contains("Exited (3)"), "{all}");
    let exited = env.berth_ok(&["ps", "--status", "exited"]).stdout;
    assert_eq!(lines(&exited).len(), 2, "{exited}");
    assert!(lines(&exited)[1].starts_with(&job), "{exited}");
    let filtered = env
        .berth_ok(&["ps", "--filter", "status=exited", "-q"])
        .stdout;
    assert_eq!(filtered.trim(), env.container(&job).id);

    // IDs, services, one service.
    let ids = env.berth_ok(&["ps", "-a", "-q"]).stdout;
    // By name, as the table.
    let expected: Vec<String> = [&idle, &job, &web]
        .iter()
        .map(|n| env.container(n).id)
        .collect();
    assert_eq!(lines(&ids), expected);
    assert_eq!(
        env.berth_ok(&["ps", "-a", "--services"]).stdout,
        "idle\njob\nweb\n"
    );
    assert_eq!(lines(&env.berth_ok(&["ps", "web"]).stdout).len(), 2);
    env.berth(&["ps", "nosuch"]).assert_code(2);

    // JSON: one object per line.
    let json = env.berth_ok(&["ps", "-a", "--format", "json"]).stdout;
    let objects: Vec<Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(objects.len(), 3, "{json}");
    let job_json = &objects[1];
    assert_eq!(job_json["Name"], job.as_str());
    assert_eq!(job_json["Service"], "job");
    assert_eq!(job_json["State"], "exited");
    assert_eq!(job_json["ExitCode"], 3);
    assert_eq!(job_json["Project"], env.project.as_str());
    let web_json = &objects[2];
    assert_eq!(web_json["State"], "running");
    assert_eq!(web_json["Publishers"][0]["URL"], "127.0.0.1");
    assert_eq!(web_json["Publishers"][0]["TargetPort"], 80);
    assert_eq!(
        web_json["Publishers"][0]["PublishedPort"].to_string(),
        published
    );

    // Without the file, by project name.
    let elsewhere = tempfile::tempdir().expect("a temp dir");
    let run = env
        .cmd(&["ps", "-a", "--services"])
        .current_dir(elsewhere.path())
        .run();
    run.assert_code(0);
    assert_eq!(run.stdout, "idle\njob\nweb\n");
}

#[test]
fn ls_lists_projects_and_port_finds_the_published_port() {
    let env = stack_up("ls-port");
    let filter = format!("name={}", env.project);

    let running = env.berth_ok(&["ls", "--filter", &filter]).stdout;
    let rows = lines(&running);
    assert_eq!(rows.len(), 2, "{running}");
    // Columns at least 20 wide, as Docker Compose's.
    assert!(
        rows[0].contains("STATUS              CONFIG FILES"),
        "{running}"
    );
    let config = env.dir().join("compose.yaml").display().to_string();
    assert_eq!(
        rows[1].split_whitespace().collect::<Vec<_>>(),
        [env.project.as_str(), "running(2)", &config]
    );
    let all = env
        .berth_ok(&["ls", "-a", "--format", "json", "--filter", &filter])
        .json();
    assert_eq!(all[0]["Status"], "exited(1), running(2)", "{all}");
    assert_eq!(
        env.berth_ok(&["ls", "-q", "--filter", &filter]).stdout,
        format!("{}\n", env.project)
    );

    let published = env.container(&env.name_of("web", 1)).raw["NetworkSettings"]["Ports"]["80/tcp"]
        [0]["HostPort"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        env.berth_ok(&["port", "web", "80"]).stdout,
        format!("127.0.0.1:{published}\n")
    );
    env.berth(&["port", "web", "81"]).assert_code(1);
}

#[test]
fn top_lists_the_processes_of_running_containers() {
    let env = TestEnv::new(
        "top",
        &format!("services:\n{}{}", sleeper("idle", ""), sleeper("other", "")),
    );
    env.berth_ok(&["up", "-d"]);
    let out = env.berth_ok(&["top", "idle"]).stdout;
    let rows = lines(&out);
    let header: Vec<&str> = rows[0].split_whitespace().collect();
    assert_eq!(&header[..4], ["SERVICE", "#", "UID", "PID"], "{out}");
    assert!(header.contains(&"CMD"), "{out}");
    // tini (init: true) and the sleep it runs, both of service idle.
    assert!(rows[1..].iter().all(|r| r.starts_with("idle ")), "{out}");
    assert!(rows.iter().any(|r| r.ends_with("sleep 3600")), "{out}");
    let all = env.berth_ok(&["top"]).stdout;
    assert!(lines(&all).iter().any(|r| r.starts_with("other ")), "{all}");
}

/// `ps --format` takes the Go templates scripts give Docker Compose; their
/// output was compared with Docker Compose 2.40.3's for the same containers.
#[test]
fn ps_format_takes_go_templates() {
    let env = TestEnv::new("ps-template", &format!("services:\n{}", sleeper("web", "")));
    env.berth_ok(&["up", "-d"]);
    let web = env.name_of("web", 1);
    let plain = env.berth_ok(&["ps", "--format", "{{.Name}} {{.State}} {{json .Service}}"]);
    assert_eq!(plain.stdout, format!("{web} running \"web\"\n"));
    let table = env.berth_ok(&["ps", "--format", r"table {{.Name}}\t{{.Service}}"]);
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", table.stdout);
    assert!(
        lines[0].starts_with("NAME ") && lines[0].trim_end().ends_with("SERVICE"),
        "{}",
        table.stdout
    );
    assert!(
        lines[1].starts_with(&web) && lines[1].ends_with("web"),
        "{}",
        table.stdout
    );
    env.berth(&["ps", "--format", "{{.Nope}}"])
        .assert_code(1)
        .assert_stderr_has("can't evaluate field Nope");
    env.berth_ok(&["down"]);
}
