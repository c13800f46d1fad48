//! Snapshots of the loader's output and of its error rendering (insta).
//! Review changes with `cargo insta review` (or INSTA_UPDATE=always).

use std::path::{Path, PathBuf};

use berth::load::{self, LoadOptions};
use berth::model::Project;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Loads a project in `dir` with a minimal, fixed environment.
fn load_dir(dir: &Path, files: &[&str]) -> Result<load::Loaded, berth::diag::Diagnostics> {
    let opts = LoadOptions {
        files: files.iter().map(std::string::ToString::to_string).collect(),
        cwd: dir.to_path_buf(),
        os_env: [("HOME".to_string(), "/home/user".to_string())]
            .into_iter()
            .collect(),
        ..Default::default()
    };
    load::load(&opts)
}

fn config_json(dir: &Path, files: &[&str]) -> String {
    let loaded = load_dir(dir, files).unwrap_or_else(|e| panic!("{}", e.render(false, false)));
    let project = Project::from_json(loaded.model.into_json()).unwrap();
    let text = serde_json::to_string_pretty(&project.to_json()).unwrap();
    text.replace(&dir.display().to_string(), "[DIR]")
}

#[test]
fn example_stack() {
    insta::assert_snapshot!(config_json(&repo().join("examples/hello"), &[]));
}

fn temp_project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

#[test]
fn merge_extends_and_short_syntax() {
    let dir = temp_project(&[
        (
            "compose.yaml",
            "name: snap\nx-base: &base\n  image: app:1\n  restart: always\nservices:\n  web:\n    <<: *base\n    ports: ['127.0.0.1:8080-8081:80-81/udp']\n    volumes: ['./src:/app:ro', 'cache:/cache']\n    depends_on: [db]\n    environment: [A=1, B]\n  db:\n    extends: web\n    ports: !reset []\n    depends_on: !reset []\nvolumes:\n  cache:\n",
        ),
        (
            "override.yaml",
            "services:\n  web:\n    environment: {A: '2'}\n    command: run --fast\n",
        ),
    ]);
    insta::assert_snapshot!(config_json(dir.path(), &["compose.yaml", "override.yaml"]));
}

fn rendered_error(files: &[(&str, &str)]) -> String {
    let dir = temp_project(files);
    let err = load_dir(dir.path(), &[]).expect_err("the project should not load");
    err.render(false, false)
        .replace(&dir.path().display().to_string(), "[DIR]")
}

#[test]
fn error_unknown_key_and_wrong_type() {
    insta::assert_snapshot!(rendered_error(&[(
        "compose.yaml",
        "services:\n  web:\n    image: nginx\n    depend_on: [db]\n    ports: 8080\n  db:\n    image: postgres\n"
    )]));
}

#[test]
fn error_undefined_references() {
    insta::assert_snapshot!(rendered_error(&[(
        "compose.yaml",
        "services:\n  web:\n    image: nginx\n    depends_on: [dbb]\n    networks: [front]\n  db:\n    image: postgres\n"
    )]));
}

#[test]
fn error_bad_yaml() {
    insta::assert_snapshot!(rendered_error(&[(
        "compose.yaml",
        "services:\n  web:\n    image: [nginx\n  db: {}\n"
    )]));
}

#[test]
fn error_malformed_interpolation() {
    insta::assert_snapshot!(rendered_error(&[(
        "compose.yaml",
        "services:\n  web:\n    image: nginx:${TAG\n"
    )]));
}
