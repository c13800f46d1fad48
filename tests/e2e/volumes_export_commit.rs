//! `volumes` (the project's volumes, or the ones some services mount),
//! `export` (a container's filesystem as a tar archive) and `commit` (an
//! image of a container), with their errors.

use std::cell::RefCell;
use std::io::Read;
use std::process::Command;

use crate::harness::{TestEnv, docker, docker_compose, docker_ok};

const VOLUMES: &str = "services:
  web:
    image: busybox
    init: true
    command: [\"sleep\", \"3600\"]
    volumes:
      - data:/data
      - shared:/shared
      - /anonymous
  db:
    image: busybox
    init: true
    command: [\"sleep\", \"3600\"]
    volumes:
      - shared:/shared
  idle:
    image: busybox
    init: true
    command: [\"sleep\", \"3600\"]
volumes:
  data:
  shared:
";

/// `DRIVER    VOLUME NAME` and a `local` row per name, as the docker CLI
/// lays out volume tables.
fn table(names: &[String]) -> String {
    let mut text = "DRIVER    VOLUME NAME\n".to_string();
    for name in names {
        text.push_str(&format!("local     {name}\n"));
    }
    text
}

#[test]
fn volumes_lists_the_projects_volumes_or_those_of_services() {
    let env = TestEnv::new("volumes", VOLUMES);
    env.berth_ok(&["up", "-d"]);
    let p = &env.project;
    let (data, shared) = (format!("{p}_data"), format!("{p}_shared"));

    // The anonymous volume carries no project label: not listed.
    let all = env.berth_ok(&["volumes"]);
    assert_eq!(all.stdout, table(&[data.clone(), shared.clone()]));
    assert_eq!(
        env.berth_ok(&["volumes", "db"]).stdout,
        table(std::slice::from_ref(&shared))
    );
    assert_eq!(
        env.berth_ok(&["volumes", "idle", "db"]).stdout,
        table(std::slice::from_ref(&shared))
    );
    assert_eq!(env.berth_ok(&["volumes", "idle"]).stdout, table(&[]));
    assert_eq!(
        env.berth_ok(&["volumes", "-q"]).stdout,
        format!("{data}\n{shared}\n")
    );
    assert_eq!(
        env.berth_ok(&["volumes", "--quiet", "--format", "json", "web"])
            .stdout,
        format!("{data}\n{shared}\n")
    );

    // JSON: an object a line, as `docker volume ls --format json`.
    let json = env.berth_ok(&["volumes", "--format", "json"]);
    let objects: Vec<serde_json::Value> = json
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(objects.len(), 2, "{}", json.stdout);
    let first = &objects[0];
    assert_eq!(first["Name"], data.as_str());
    assert_eq!(first["Driver"], "local");
    assert_eq!(first["Scope"], "local");
    assert_eq!(first["Size"], "N/A");
    let mountpoint = first["Mountpoint"].as_str().unwrap_or_default();
    assert!(mountpoint.ends_with(&format!("/{data}/_data")), "{first}");
    let labels = first["Labels"].as_str().unwrap_or_default();
    assert!(
        labels.contains(&format!("com.docker.compose.project={p}")),
        "{first}"
    );

    env.berth(&["volumes", "nope"])
        .assert_code(2)
        .assert_stderr_has("no such service: nope");
    // Go templates, as Docker Compose takes them; actions beyond fields
    // and json are refused.
    let names = env.berth_ok(&["volumes", "--format", "{{.Name}} {{.Driver}}"]);
    assert_eq!(names.stdout, format!("{data} local\n{shared} local\n"));
    env.berth(&["volumes", "--format", "{{range .Labels}}x{{end}}"])
        .assert_code(2)
        .assert_stderr_has("not {{range .Labels}}");
}

#[test]
fn volumes_table_is_docker_composes() {
    let Some(binary) = docker_compose() else {
        eprintln!("SKIPPED (BERTH_E2E_SKIP_INTEROP): Docker Compose v2 is not installed");
        return;
    };
    let env = TestEnv::new("volumes-interop", VOLUMES);
    env.berth_ok(&["up", "-d"]);
    for args in [&["volumes"][..], &["volumes", "web"], &["volumes", "idle"]] {
        let theirs = Command::new(&binary)
            .current_dir(env.dir())
            .args(["-p", &env.project])
            .args(args)
            .output()
            .expect("docker compose runs");
        assert!(theirs.status.success(), "docker compose {args:?}");
        // The engine lists volumes in no stable order; berth sorts them.
        let sorted = |text: &str| {
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            lines[1..].sort();
            lines
        };
        assert_eq!(
            sorted(&env.berth_ok(args).stdout),
            sorted(&String::from_utf8_lossy(&theirs.stdout)),
            "{args:?}"
        );
    }
}

const REPLICAS: &str = "services:
  web:
    image: busybox
    init: true
    scale: 2
    command: [\"sleep\", \"3600\"]
  other:
    image: busybox
    command: [\"sleep\", \"3600\"]
";

/// The content of `path` in the tar `archive`, if it is there.
fn entry(archive: &[u8], path: &str) -> Option<String> {
    let mut archive = tar::Archive::new(archive);
    for e in archive.entries().expect("a tar archive") {
        let mut e = e.expect("a tar entry");
        if e.path().expect("a path").to_string_lossy() == path {
            let mut text = String::new();
            e.read_to_string(&mut text).expect("a text file");
            return Some(text);
        }
    }
    None
}

/// Writes `/marker` with the container's own name in it: what an export or
/// commit of it must carry.
fn mark(env: &TestEnv, container: &str) {
    env.exec(
        container,
        &["sh", "-c", &format!("echo {container} > /marker")],
    );
}

#[test]
fn export_writes_a_containers_filesystem_as_tar() {
    let env = TestEnv::new("export", REPLICAS);
    env.berth_ok(&["up", "-d", "web"]);
    let (one, two) = (env.name_of("web", 1), env.name_of("web", 2));
    mark(&env, &one);
    mark(&env, &two);

    // To standard output: the lowest replica by default.
    let (child, shown) = env.cmd(&["export", "web"]).spawn();
    let out = child.wait_with_output().expect("berth export ends");
    assert!(out.status.success(), "{shown}: {out:?}");
    assert_eq!(entry(&out.stdout, "marker"), Some(format!("{one}\n")));

    // To a file, replica 2, with a progress line.
    let run = env.berth_ok(&["export", "--index", "2", "-o", "two.tar", "web"]);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    let line = format!("Container {two}  Exported: to two.tar");
    assert!(run.stderr.contains(&line), "no {line:?} in {}", run.stderr);
    let archive = std::fs::read(env.dir().join("two.tar")).unwrap();
    assert_eq!(entry(&archive, "marker"), Some(format!("{two}\n")));
    // Nothing left beside it.
    let files: Vec<String> = std::fs::read_dir(env.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("two.tar"))
        .collect();
    assert_eq!(files, ["two.tar"]);

    // A stopped container has a filesystem to export too.
    docker_ok(&["stop", "-t", "0", &two]);
    env.berth_ok(&["export", "--index", "2", "-o", "stopped.tar", "web"]);
    let archive = std::fs::read(env.dir().join("stopped.tar")).unwrap();
    assert_eq!(entry(&archive, "marker"), Some(format!("{two}\n")));

    env.berth(&["export", "--index", "3", "-o", "x.tar", "web"])
        .assert_code(1)
        .assert_stderr_has("service \"web\" has no container with index 3");
    assert!(!env.dir().join("x.tar").exists());
    env.berth(&["export", "-o", "x.tar", "other"])
        .assert_code(1)
        .assert_stderr_has("service \"other\" has no container");
    env.berth(&["export", "-o", "x.tar", "nope"]).assert_code(2);

    // Never a tar archive on a terminal.
    let shown = env.berth_on_terminal(&["export", "web"]);
    assert!(
        shown.contains("refusing to write a tar archive to a terminal"),
        "{shown}"
    );
}

/// Removes the images a test made, pass or fail.
struct Images(RefCell<Vec<String>>);

impl Images {
    fn remember(&self, image: &str) {
        self.0.borrow_mut().push(image.to_string());
    }
}

impl Drop for Images {
    fn drop(&mut self) {
        let images = self.0.borrow();
        if !images.is_empty() {
            let mut args = vec!["rmi", "-f"];
            args.extend(images.iter().map(String::as_str));
            let _ = docker(&args);
        }
    }
}

#[test]
fn commit_makes_an_image_of_a_service_container() {
    let env = TestEnv::new("commit", REPLICAS);
    let images = Images(RefCell::new(Vec::new()));
    env.berth_ok(&["up", "-d", "web"]);
    let two = env.name_of("web", 2);
    mark(&env, &two);

    let image = format!("{}-committed:v1", env.project);
    images.remember(&image);
    let run = env.berth_ok(&[
        "commit",
        "-a",
        "Ann Author",
        "-m",
        "a message",
        "-c",
        "ENV FOO=bar",
        "--change",
        "LABEL berth.test=yes",
        "--index",
        "2",
        "web",
        &image,
    ]);
    // As Docker Compose: nothing on standard output, the ID in the progress.
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    let line = format!("Container {two}  Committed as sha256:");
    assert!(run.stderr.contains(&line), "no {line:?} in {}", run.stderr);
    let inspected = docker_ok(&[
        "image",
        "inspect",
        "--format",
        "{{.Author}}|{{.Comment}}|{{json .Config.Env}}|{{index .Config.Labels \"berth.test\"}}",
        &image,
    ]);
    let fields: Vec<&str> = inspected.trim().split('|').collect();
    assert_eq!(fields[0], "Ann Author");
    assert_eq!(fields[1], "a message");
    assert!(fields[2].contains("\"FOO=bar\""), "{inspected}");
    assert_eq!(fields[3], "yes");
    let marker = docker_ok(&["run", "--rm", &image, "cat", "/marker"]);
    assert_eq!(marker, format!("{two}\n"));

    // Without a name: an image known by its ID only; not paused.
    let run = env.berth_ok(&["commit", "--pause=false", "web"]);
    let id = run
        .stderr
        .split("Committed as ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no image ID in {}", run.stderr))
        .to_string();
    images.remember(&id);
    let tags = docker_ok(&["image", "inspect", "--format", "{{json .RepoTags}}", &id]);
    assert_eq!(tags.trim(), "[]");

    env.berth(&["commit", "--index", "3", "web", &image])
        .assert_code(1)
        .assert_stderr_has("service \"web\" has no container with index 3");
    env.berth(&["commit", "other"])
        .assert_code(1)
        .assert_stderr_has("service \"other\" has no container");
    env.berth(&["commit", "nope"]).assert_code(2);
    env.berth(&["commit", "-c", "BOGUS x", "web"])
        .assert_code(1)
        .assert_stderr_has("bogus");
}
