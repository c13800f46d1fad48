//! `berth config` end to end: the real binary on files in a temp directory.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

/// A temp project directory with the given files.
fn project(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::Builder::new()
        .prefix("berth-test")
        .tempdir()
        .unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// `berth` run in `dir` with a clean environment.
fn berth(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("berth").unwrap();
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", "/home/nobody")
        .env("PWD", dir);
    cmd
}

fn config_json(cmd: &mut Command) -> serde_json::Value {
    let out = cmd.args(["config", "--format", "json"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn discovers_compose_yaml_and_its_override_walking_up() {
    let dir = project(&[
        ("compose.yaml", "services:\n  web:\n    image: nginx\n"),
        (
            "compose.override.yaml",
            "services:\n  web:\n    environment: {A: '1'}\n",
        ),
        ("sub/dir/.keep", ""),
    ]);
    let json = config_json(&mut berth(&dir.path().join("sub/dir")));
    assert_eq!(json["services"]["web"]["image"], "nginx");
    assert_eq!(json["services"]["web"]["environment"]["A"], "1");
    let dir_name = dir
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_lowercase()
        .replace(['.', ' '], "");
    assert_eq!(json["name"], dir_name);
}

#[test]
fn later_files_override_earlier_ones() {
    let dir = project(&[
        (
            "a.yaml",
            "services:\n  web:\n    image: one\n    ports: ['8080:80']\n",
        ),
        (
            "b.yaml",
            "services:\n  web:\n    image: two\n    ports: ['8080:80', '9090:90']\n",
        ),
    ]);
    let json = config_json(berth(dir.path()).args(["-f", "a.yaml", "-f", "b.yaml"]));
    assert_eq!(json["services"]["web"]["image"], "two");
    assert_eq!(
        json["services"]["web"]["ports"].as_array().unwrap().len(),
        2
    );
}

#[test]
fn compose_file_variable_and_separator() {
    let dir = project(&[
        ("x.yaml", "services:\n  a:\n    image: a\n"),
        ("y.yaml", "services:\n  b:\n    image: b\n"),
    ]);
    let json = config_json(
        berth(dir.path())
            .env("COMPOSE_FILE", "x.yaml;y.yaml")
            .env("COMPOSE_PATH_SEPARATOR", ";"),
    );
    assert!(json["services"]["a"].is_object() && json["services"]["b"].is_object());
}

#[test]
fn reads_standard_input() {
    let dir = project(&[]);
    let json = config_json(
        berth(dir.path())
            .args(["-p", "piped", "-f", "-"])
            .write_stdin("services:\n  s:\n    image: x\n"),
    );
    assert_eq!(json["name"], "piped");
}

#[test]
fn dotenv_interpolation_and_process_env_wins() {
    let dir = project(&[
        (".env", "TAG=from-dotenv\nPORT=1\n"),
        (
            "compose.yaml",
            "services:\n  web:\n    image: app:${TAG}\n    environment:\n      PORT: ${PORT:-9}\n",
        ),
    ]);
    let json = config_json(berth(dir.path()).env("PORT", "2"));
    assert_eq!(json["services"]["web"]["image"], "app:from-dotenv");
    assert_eq!(json["services"]["web"]["environment"]["PORT"], "2");
}

/// As Docker Compose: networks, volumes, secrets and configs no service
/// uses are dropped, unless `--all-resources`.
#[test]
fn all_resources_keeps_what_no_service_uses() {
    let dir = project(&[(
        "compose.yaml",
        "services:\n  web: {image: a}\nnetworks:\n  lonely: {}\nvolumes:\n  unused: {}\nconfigs:\n  spare: {content: x}\n",
    )]);
    let plain = config_json(&mut berth(dir.path()));
    assert!(plain["networks"].get("lonely").is_none(), "{plain}");
    assert!(plain.get("volumes").is_none(), "{plain}");
    let all = config_json(berth(dir.path()).arg("--all-resources"));
    assert!(all["networks"].get("lonely").is_some(), "{all}");
    assert!(all["volumes"].get("unused").is_some(), "{all}");
    assert!(all["configs"].get("spare").is_some(), "{all}");
}

/// `alpha viz` draws what Docker Compose 2.40.3 draws for the same file,
/// in file order (Docker Compose's own order changes from run to run).
#[test]
fn alpha_viz_draws_the_services_and_their_dependencies() {
    let dir = project(&[(
        "compose.yaml",
        "name: p\nservices:\n  web:\n    image: nginx\n    ports: [\"127.0.0.1:8080:80\", \"9000:9000/udp\", \"3000\"]\n    networks: [a, b]\n  db:\n    build: .\n    depends_on: [web]\n    networks: {a: {}}\nnetworks:\n  a: {}\n  b: {}\n",
    )]);
    berth(dir.path())
        .args(["alpha", "viz", "--ports", "--networks", "--image", "--spaces", "--indentation-size", "2"])
        .assert()
        .success()
        .stderr("viz command is EXPERIMENTAL\n")
        .stdout(concat!(
            "digraph \"p\" {\n",
            "  layout=dot;\n",
            "  \"web\" [style=\"filled\" label=<<font point-size=\"15\">web</font><font point-size=\"10\"><br/><br/><b>Networks:</b><br/>a<br/>b</font><font point-size=\"10\"><br/><br/><b>Ports:</b><br/>127.0.0.1:8080:80 (tcp, ingress)<br/>9000:9000 (udp, ingress)<br/>:3000 (tcp, ingress)</font><font point-size=\"10\"><br/><br/><b>Image:</b><br/>nginx</font>>];\n",
            "  \"db\" [style=\"filled\" label=<<font point-size=\"15\">db</font><font point-size=\"10\"><br/><br/><b>Networks:</b><br/>a</font><font point-size=\"10\"><br/><br/><b>Image:</b><br/>p-db</font>>];\n",
            "\n",
            "  \"db\" -> \"web\";\n",
            "}\n\n",
        ));
    berth(dir.path())
        .args(["alpha", "publish", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("registry client"));
}

/// Docker Compose also takes the docker CLI's logging flags and its
/// deprecated `--no-ansi` and `--workdir`, warning about the latter two.
#[test]
fn docker_cli_and_deprecated_global_flags_are_taken() {
    let dir = project(&[("app/compose.yaml", "services:\n  web: {image: a}\n")]);
    let app = dir.path().join("app");
    berth(dir.path())
        .args(["--verbose", "-D", "--log-level", "info", "--no-ansi"])
        .args(["--workdir", app.to_str().unwrap(), "config", "--services"])
        .assert()
        .success()
        .stdout("web\n")
        .stderr(predicate::str::contains("option '--no-ansi' is DEPRECATED"))
        .stderr(predicate::str::contains(
            "option '--workdir' is DEPRECATED at root level",
        ));
    // -c is not Docker Compose's: its context flag is long only.
    berth(dir.path())
        .args(["-c", "x", "config"])
        .assert()
        .code(2);
}

#[test]
fn profiles_enable_services() {
    let dir = project(&[(
        "compose.yaml",
        "services:\n  web: {image: a}\n  debug: {image: b, profiles: [dev]}\n",
    )]);
    let plain = config_json(&mut berth(dir.path()));
    assert!(plain["services"].get("debug").is_none());
    let dev = config_json(berth(dir.path()).args(["--profile", "dev"]));
    assert!(dev["services"].get("debug").is_some());
    berth(dir.path())
        .args(["config", "--profiles"])
        .assert()
        .success()
        .stdout("dev\n");
}

#[test]
fn invalid_project_name_is_rejected() {
    let dir = project(&[("compose.yaml", "services:\n  web: {image: a}\n")]);
    berth(dir.path())
        .args(["-p", "Bad Name", "config"])
        .assert()
        .code(15)
        .stderr(predicate::str::contains(
            "invalid project name \"Bad Name\"",
        ));
}

#[test]
fn duplicate_key_error_points_at_both_lines() {
    let dir = project(&[(
        "compose.yaml",
        "services:\n  web:\n    image: a\n    image: b\n",
    )]);
    berth(dir.path())
        .arg("config")
        .assert()
        .code(15)
        .stderr(predicate::str::contains("compose.yaml:4:5"))
        .stderr(predicate::str::contains(
            "mapping key \"image\" already defined at line 3",
        ));
}

/// As Docker Compose (go-yaml): a flow collection's items and closing
/// bracket may sit at or left of the parent key's column.
#[test]
fn flow_collections_closed_at_the_parent_key_load_as_the_usual_layout() {
    let usual = "\
services:
  web:
    image: busybox
    command: [\"sh\", \"-c\", \"sleep 1\"]
    environment: {A: \"1\", B: two}
    ports: [\"8080:80\", \"8443:443\"]
    healthcheck:
      test: [\"CMD\", \"true\"]
      interval: 10s
    volumes:
      - {type: volume, source: data, target: /data}
    x-nested: [[1, 2], {k: [3]}]
  db:
    image: postgres
volumes:
  data: {}
";
    let flow = "\
services:
  web:
    image: busybox
    command: [
      \"sh\",
      \"-c\",
      \"sleep 1\"
    ]
    environment: {
      A: \"1\",
      B: two
}
    ports: [
    \"8080:80\",
\"8443:443\"
  ]
    healthcheck:
      test: [
        \"CMD\", \"true\"
      ]
      interval: 10s
    volumes:
      - {
        type: volume,
        source: data,
        target: /data
      }
    x-nested: [ [
1,
2
], {k: [
3]
} ]
  db:
    image: postgres
volumes:
  data: {}
";
    let dir = project(&[]);
    let run = |text: &str| {
        config_json(
            berth(dir.path())
                .args(["-p", "flow", "-f", "-"])
                .write_stdin(text),
        )
    };
    let want = run(usual);
    assert_eq!(want["services"]["web"]["command"][2], "sleep 1");
    assert_eq!(run(flow), want);
}

/// What go-yaml refuses around flow collections stays an error, located.
#[test]
fn flow_collection_layouts_compose_refuses_are_located_errors() {
    let dir = project(&[(
        "compose.yaml",
        "services:\n  web:\n    image: busybox\n    command: [\n---\n    ]\n",
    )]);
    berth(dir.path())
        .arg("config")
        .assert()
        .code(15)
        .stderr(predicate::str::contains("compose.yaml:5:1"))
        .stderr(predicate::str::contains("invalid YAML"));
    let dir = project(&[(
        "compose.yaml",
        "services:\n  web:\n    image: busybox\n    command: [\n      sh\n\t-c\n    ]\n",
    )]);
    berth(dir.path())
        .arg("config")
        .assert()
        .code(15)
        .stderr(predicate::str::contains("compose.yaml:5:7"))
        .stderr(predicate::str::contains("found a tab"));
}

/// Docker Compose prints an empty list in a top-level `x-*` value as
/// `null` in JSON, at any depth, and as `[]` in YAML; empty maps stay `{}`.
#[test]
fn empty_lists_in_top_level_extensions_print_as_compose_prints_them() {
    let text = "services:\n  web:\n    image: busybox\n    command: []\nx-a: []\nx-b:\n  c: []\n  d: {}\n  e: [[], {}, [1], ~]\n  f:\n    - g: []\n";
    let dir = project(&[("compose.yaml", text)]);
    let json = config_json(berth(dir.path()).args(["-p", "ext"]));
    assert_eq!(json["x-a"], serde_json::Value::Null);
    assert_eq!(
        json["x-b"],
        serde_json::json!({"c": null, "d": {}, "e": [null, {}, [1], null], "f": [{"g": null}]})
    );
    assert_eq!(json["services"]["web"]["command"], serde_json::json!([]));
    berth(dir.path())
        .args(["-p", "ext", "config"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "x-a: []\nx-b:\n  c: []\n  d: {}\n",
        ));
}

#[test]
fn unknown_key_gets_location_and_did_you_mean() {
    let dir = project(&[(
        "compose.yaml",
        "services:\n  web:\n    image: a\n    depend_on: [db]\n  db:\n    image: b\n",
    )]);
    berth(dir.path())
        .arg("config")
        .assert()
        .code(15)
        .stderr(predicate::str::contains("compose.yaml:4:5"))
        .stderr(predicate::str::contains("depends_on"));
}

#[test]
fn several_errors_are_reported_at_once() {
    let dir = project(&[(
        "compose.yaml",
        "services:\n  web:\n    image: a\n    depends_on: [nope]\n  api:\n    image: b\n    depends_on: [missing]\n",
    )]);
    berth(dir.path())
        .arg("config")
        .assert()
        .code(15)
        .stderr(predicate::str::contains("undefined service \"nope\""))
        .stderr(predicate::str::contains("undefined service \"missing\""));
}

#[test]
fn required_variable_error_names_the_path() {
    let dir = project(&[(
        "compose.yaml",
        "services:\n  web:\n    image: ${IMAGE:?set IMAGE first}\n",
    )]);
    berth(dir.path())
        .arg("config")
        .assert()
        .code(15)
        .stderr(predicate::str::contains("services.web.image"))
        .stderr(predicate::str::contains("set IMAGE first"))
        .stderr(predicate::str::contains("compose.yaml:3:12"));
}

#[test]
fn unset_variable_warns_and_defaults_to_blank() {
    let dir = project(&[(
        "compose.yaml",
        "services:\n  web:\n    image: app${SUFFIX}\n",
    )]);
    berth(dir.path())
        .args(["config", "--format", "json"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "The \"SUFFIX\" variable is not set. Defaulting to a blank string.",
        ))
        .stdout(predicate::str::contains("\"image\": \"app\""));
}

#[test]
fn dependency_cycle_is_reported_whole() {
    let dir = project(&[(
        "compose.yaml",
        "services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [c]}\n  c: {image: x, depends_on: [a]}\n",
    )]);
    berth(dir.path())
        .arg("config")
        .assert()
        .code(15)
        .stderr(predicate::str::contains(
            "dependency cycle detected: a -> b -> c -> a",
        ))
        .stderr(predicate::str::contains("compose.yaml:2:30"));
}

#[test]
fn extends_and_include() {
    let dir = project(&[
        (
            "base.yaml",
            "services:\n  base:\n    image: base\n    environment: {A: '1'}\n",
        ),
        ("lib/compose.yaml", "services:\n  lib:\n    image: lib\n"),
        (
            "compose.yaml",
            "include: [lib/compose.yaml]\nservices:\n  web:\n    extends: {file: base.yaml, service: base}\n    environment: {B: '2'}\n",
        ),
    ]);
    let json = config_json(&mut berth(dir.path()));
    assert_eq!(json["services"]["web"]["image"], "base");
    assert_eq!(
        json["services"]["web"]["environment"],
        serde_json::json!({"A": "1", "B": "2"})
    );
    assert_eq!(json["services"]["lib"]["image"], "lib");
}

#[test]
fn extends_cycle_is_an_error() {
    let dir = project(&[(
        "compose.yaml",
        "services:\n  a: {image: x, extends: b}\n  b: {image: x, extends: a}\n",
    )]);
    berth(dir.path())
        .arg("config")
        .assert()
        .code(15)
        .stderr(predicate::str::contains("Circular reference"));
}

#[test]
fn listing_flags() {
    let dir = project(&[(
        "compose.yaml",
        "services:\n  web: {image: nginx, volumes: ['data:/d']}\n  job: {build: .}\nvolumes:\n  data: {}\n",
    )]);
    berth(dir.path())
        .args(["config", "--services"])
        .assert()
        .success()
        .stdout("job\nweb\n");
    berth(dir.path())
        .args(["config", "--volumes"])
        .assert()
        .success()
        .stdout("data\n");
    let name = dir
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_lowercase()
        .replace(['.', ' '], "");
    berth(dir.path())
        .args(["config", "--images"])
        .assert()
        .success()
        .stdout(format!("{name}-job\nnginx\n"));
    berth(dir.path())
        .args(["config", "-q"])
        .assert()
        .success()
        .stdout("");
}

#[test]
fn no_file_found_is_a_clear_error() {
    let dir = project(&[]);
    berth(dir.path())
        .arg("config")
        .assert()
        .failure()
        .stderr(predicate::str::contains("no configuration file provided"));
}

/// The YAML output is byte for byte what Docker Compose v2.40.3 prints for
/// this file (captured from it; `[DIR]` stands for the project directory).
#[test]
fn yaml_output_matches_docker_compose() {
    let dir = project(&[("compose.yaml", COMPOSE_FOR_YAML)]);
    let out = berth(dir.path()).arg("config").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout)
        .unwrap()
        .replace(&dir.path().display().to_string(), "[DIR]");
    assert_eq!(text, YAML_FROM_DOCKER_COMPOSE);
}

const COMPOSE_FOR_YAML: &str = r#"name: yamlcheck
services:
  web:
    image: nginx:1.27
    command: ["sh", "-c", "echo $$HOME\nsleep 1\n"]
    environment:
      PORT: 8080
      EMPTY: ""
      ODD: "a: b"
      STAR: "*.foo"
    ports: ["127.0.0.1:8080:80"]
    volumes: ["./src:/app:ro", "data:/data"]
    labels: [x=yes]
    x-note: kept in yaml
    depends_on: [db]
  db:
    image: postgres
    deploy:
      resources:
        limits: {memory: 50M}
volumes:
  data: {}
x-top: 1
"#;

const YAML_FROM_DOCKER_COMPOSE: &str = r#"name: yamlcheck
services:
  db:
    deploy:
      resources:
        limits:
          memory: "52428800"
    image: postgres
    networks:
      default: null
  web:
    command:
      - sh
      - -c
      - |
        echo $$HOME
        sleep 1
    depends_on:
      db:
        condition: service_started
        required: true
    environment:
      EMPTY: ""
      ODD: 'a: b'
      PORT: "8080"
      STAR: '*.foo'
    image: nginx:1.27
    labels:
      x: "yes"
    networks:
      default: null
    ports:
      - mode: ingress
        host_ip: 127.0.0.1
        target: 80
        published: "8080"
        protocol: tcp
    volumes:
      - type: bind
        source: [DIR]/src
        target: /app
        read_only: true
        bind:
          create_host_path: true
      - type: volume
        source: data
        target: /data
        volume: {}
    x-note: kept in yaml
networks:
  default:
    name: yamlcheck_default
volumes:
  data:
    name: yamlcheck_data
x-top: 1
"#;

#[test]
fn no_env_resolution_keeps_env_files_out_of_the_output() {
    let dir = project(&[
        ("app.env", "TOKEN=from-file\n"),
        (
            "compose.yaml",
            "services:\n  web:\n    image: x\n    env_file: app.env\n    environment: [OWN=1]\n",
        ),
    ]);
    let resolved = config_json(&mut berth(dir.path()));
    assert_eq!(
        resolved["services"]["web"]["environment"]["TOKEN"],
        "from-file"
    );
    let out = berth(dir.path())
        .args(["config", "--no-env-resolution", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kept: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let web = &kept["services"]["web"];
    assert_eq!(web["environment"], serde_json::json!({"OWN": "1"}));
    assert_eq!(
        web["env_file"][0],
        dir.path().join("app.env").display().to_string()
    );
}

#[test]
fn models_lists_the_models_services_use() {
    let dir = project(&[(
        "compose.yaml",
        "services:\n  a:\n    image: x\n    models: [zeta, alpha]\n  b:\n    image: x\n    models:\n      mid: {}\nmodels:\n  zeta: {model: ai/z}\n  alpha: {model: ai/a}\n  mid: {model: ai/m}\n  unused: {model: ai/u}\n",
    )]);
    berth(dir.path())
        .args(["config", "--models"])
        .assert()
        .success()
        .stdout("ai/a\nai/m\nai/z\n");
}

/// The words a completion request answers, whatever the separator.
fn completions(dir: &Path, shell: &str, words: &[&str]) -> Vec<String> {
    let mut cmd = berth(dir);
    cmd.env("COMPLETE", shell)
        .env("_CLAP_COMPLETE_INDEX", (words.len() - 1).to_string())
        .arg("--")
        .args(words);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .split(['\n', '\u{b}'])
        // bash: the word; fish: word<TAB>help; zsh: word:help.
        .map(|line| line.split(['\t', ':']).next().unwrap().to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

#[test]
fn completion_scripts_for_each_shell() {
    let dir = project(&[]);
    for shell in ["bash", "zsh", "fish", "powershell"] {
        // The default script calls berth back to complete.
        let out = berth(dir.path())
            .args(["completion", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(script.contains("berth"), "{shell}: {script}");
        assert!(script.contains("COMPLETE"), "{shell}: {script}");
        // The static one lists commands and flags itself.
        let out = berth(dir.path())
            .args(["completion", "--static", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(script.contains("up"), "{shell}");
        // fish writes long flags as `-l project-name`.
        assert!(script.contains("project-name"), "{shell}");
        if shell != "fish" {
            assert!(script.contains("--project-name"), "{shell}");
        }
    }
}

#[test]
fn completion_offers_commands_flags_services_and_profiles() {
    let dir = project(&[(
        "compose.yaml",
        "services:\n  web:\n    image: nginx\n  db:\n    image: postgres\n    profiles: [debug]\n",
    )]);
    for shell in ["bash", "zsh", "fish"] {
        let words = completions(dir.path(), shell, &["berth", "u"]);
        assert!(words.contains(&"up".to_string()), "{shell}: {words:?}");
        let words = completions(dir.path(), shell, &["berth", "--proj"]);
        assert!(
            words.contains(&"--project-name".to_string()),
            "{shell}: {words:?}"
        );
    }
    let words = completions(dir.path(), "bash", &["berth", "up", ""]);
    assert!(words.contains(&"web".to_string()), "{words:?}");
    assert!(words.contains(&"db".to_string()), "{words:?}");
    let words = completions(dir.path(), "bash", &["berth", "exec", "w"]);
    assert_eq!(words, ["web"]);
    let words = completions(dir.path(), "bash", &["berth", "--profile", ""]);
    assert_eq!(words, ["debug"]);
    // No project, no names, and no error.
    let empty = project(&[]);
    let words = completions(empty.path(), "bash", &["berth", "up", "w"]);
    assert!(words.is_empty(), "{words:?}");
}

#[test]
fn man_page_is_roff_naming_berth() {
    let dir = project(&[]);
    let out = berth(dir.path()).arg("man").output().unwrap();
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.starts_with('.'), "{page}");
    assert!(page.contains(".TH berth 1"), "{page}");
    assert!(page.contains("completion"), "{page}");
}

#[test]
fn a_model_that_passed_validation_is_remembered_and_a_changed_one_checked_again() {
    let dir = project(&[("compose.yaml", "services:\n  web:\n    image: busybox\n")]);
    let cache = tempfile::tempdir().unwrap();
    let verdicts = cache.path().join("berth/valid");
    let count = || std::fs::read_dir(&verdicts).map_or(0, std::iter::Iterator::count);
    let run = |args: &[&str]| {
        berth(dir.path())
            .env("XDG_CACHE_HOME", cache.path())
            .args(args)
            .output()
            .unwrap()
    };
    // A dry run writes nothing, not even a cache entry.
    assert!(run(&["--dry-run", "config", "-q"]).status.success());
    assert_eq!(count(), 0);
    assert!(run(&["config", "-q"]).status.success());
    assert_eq!(count(), 1);
    assert!(run(&["config", "-q"]).status.success());
    assert_eq!(count(), 1, "the same model is not remembered twice");
    // A change the schema refuses is still refused, and not remembered.
    std::fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  web:\n    image: busybox\n    restrat: always\n",
    )
    .unwrap();
    let out = run(&["config", "-q"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("restrat"), "{stderr}");
    assert_eq!(count(), 1);
    let out = run(&["config", "-q"]);
    assert!(!out.status.success(), "a failure is checked every time");
}

#[test]
fn compose_compat_exit_makes_every_failure_exit_1() {
    let dir = project(&[("compose.yaml", "services:\n  web:\n    restrat: always\n")]);
    let code = |compat: Option<&str>| {
        let mut cmd = berth(dir.path());
        if let Some(value) = compat {
            cmd.env("COMPOSE_COMPAT_EXIT", value);
        }
        cmd.args(["config", "-q"]).output().unwrap().status.code()
    };
    assert_eq!(code(None), Some(15));
    assert_eq!(code(Some("1")), Some(1));
    assert_eq!(code(Some("0")), Some(15));
    // Usage errors keep their code.
    let mut cmd = berth(dir.path());
    cmd.env("COMPOSE_COMPAT_EXIT", "1").arg("--no-such-flag");
    assert_eq!(cmd.output().unwrap().status.code(), Some(2));
}

#[test]
fn help_groups_global_flags_and_a_late_f_says_where_it_goes() {
    let dir = project(&[("compose.yaml", "services:\n  web:\n    image: busybox\n")]);
    let out = berth(dir.path()).args(["up", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    let (own, global) = help
        .split_once("Global options:")
        .unwrap_or_else(|| panic!("no global heading:\n{help}"));
    assert!(own.contains("--detach"), "{help}");
    assert!(!own.contains("--dry-run"), "{help}");
    assert!(global.contains("--dry-run"), "{help}");
    let out = berth(dir.path())
        .args(["config", "--services", "-f", "x.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("goes before the command"), "{stderr}");
    assert!(!stderr.contains("use '-- -f'"), "{stderr}");
}
