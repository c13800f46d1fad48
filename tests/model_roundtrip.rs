//! Every successful `docker compose config --format json` output of the
//! corpus must read into the typed model and print back identically.
//!
//! The corpus is `$BERTH_CORPUS`, or `../shared/corpus` beside the checkout.

use std::path::PathBuf;

use berth::model::Project;
use serde_json::Value;

fn corpus() -> PathBuf {
    match std::env::var_os("BERTH_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
    }
}

/// Prints JSON as Go's `json.MarshalIndent(v, "", "  ")` does, for the
/// characters that occur in the corpus: `<`, `>` and `&` are escaped.
fn go_pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v)
        .expect("JSON prints")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// The first few differences between two JSON values, as dotted paths.
fn diff(got: &Value, want: &Value, path: &str, out: &mut Vec<String>) {
    if out.len() >= 8 {
        return;
    }
    match (got, want) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = format!("{path}.{k}");
                match (a.get(k), b.get(k)) {
                    (None, Some(w)) => out.push(format!("{p}: missing (expected {w})")),
                    (Some(g), None) => out.push(format!("{p}: unexpected {g}")),
                    (Some(g), Some(w)) => diff(g, w, &p, out),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (g, w)) in a.iter().zip(b).enumerate() {
                diff(g, w, &format!("{path}[{i}]"), out);
            }
        }
        _ if got != want => out.push(format!("{path}: got {got}, expected {want}")),
        _ => {}
    }
}

#[test]
fn corpus_outputs_round_trip() {
    let root = corpus();
    let index_path = root.join("expected-index.json");
    let index: Value = serde_json::from_str(
        &std::fs::read_to_string(&index_path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", index_path.display())),
    )
    .expect("expected-index.json is JSON");
    let cases = index["cases"].as_array().expect("cases");
    let mut total = 0;
    let mut failures = Vec::new();
    for case in cases {
        if case["rc"] != 0 {
            continue;
        }
        let rel = case["expected"].as_str().expect("expected path");
        total += 1;
        let text = std::fs::read_to_string(root.join(rel)).expect("expected file");
        let want: Value = serde_json::from_str(&text).expect("expected JSON");
        match Project::from_json(want.clone()) {
            Err(e) => failures.push(format!("{rel}: from_json: {e}")),
            Ok(project) => {
                let got = project.to_json();
                if got != want {
                    let mut d = Vec::new();
                    diff(&got, &want, "", &mut d);
                    failures.push(format!("{rel}:\n    {}", d.join("\n    ")));
                } else if go_pretty(&got) != text.trim_end() {
                    failures.push(format!("{rel}: same value, but printed differently"));
                } else if let Err(e) = project.check_json() {
                    failures.push(format!("{rel}: check_json: {e}"));
                }
                // Printing is stable: reading the output again prints the same.
                let again = Project::from_json(got.clone()).map(|p| p.to_json());
                if again.as_ref() != Ok(&got) {
                    failures.push(format!("{rel}: second round trip differs"));
                }
            }
        }
    }
    assert!(total > 0, "no successful cases in {}", index_path.display());
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed to round-trip:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{total} corpus outputs round-trip");
}

#[test]
fn raw_forms_are_normalised() {
    let input = serde_json::json!({
        "name": "p",
        "services": {
            "web": {
                "image": "nginx",
                "command": "sh -c 'echo hi'",
                "mem_limit": "50M",
                "stop_grace_period": "90s",
                "user": 1000,
                "tty": "true",
                "cpus": "0.5",
                "environment": ["A=1", "B"],
                "labels": {"n": 42, "e": null},
                "extra_hosts": {"h": "1.2.3.4"},
                "ulimits": {"nofile": {"soft": "10", "hard": 20}, "nproc": 65535},
                "ports": [{"target": "80", "published": 8080, "protocol": "tcp", "mode": "ingress"}],
                "secrets": [{"source": "s", "mode": 288, "uid": 103}],
                "healthcheck": {"test": "curl -f http://localhost", "interval": "1m"},
                "networks": {"default": null},
                "x-private": {"kept": true}
            }
        },
        "networks": {"default": {"name": "p_default"}},
        "x-top": {"b": 1.0, "a": [1.5]}
    });
    let project = Project::from_json(input).unwrap();
    let web = &project.services["web"];
    assert_eq!(web.name, "web");
    assert_eq!(
        web.extensions["x-private"],
        serde_json::json!({"kept": true})
    );
    assert_eq!(
        project.to_json(),
        serde_json::json!({
            "name": "p",
            "networks": {"default": {"name": "p_default", "ipam": {}}},
            "services": {
                "web": {
                    "command": ["sh", "-c", "echo hi"],
                    "cpus": 0.5,
                    "entrypoint": null,
                    "environment": {"A": "1", "B": null},
                    "extra_hosts": ["h=1.2.3.4"],
                    "healthcheck": {"test": ["CMD-SHELL", "curl -f http://localhost"], "interval": "1m0s"},
                    "image": "nginx",
                    "labels": {"e": "", "n": "42"},
                    "mem_limit": "52428800",
                    "networks": {"default": null},
                    "ports": [{"mode": "ingress", "target": 80, "published": "8080", "protocol": "tcp"}],
                    "secrets": [{"source": "s", "uid": "103", "mode": "0440"}],
                    "stop_grace_period": "1m30s",
                    "tty": true,
                    "ulimits": {"nofile": {"soft": 10, "hard": 20}, "nproc": 65535},
                    "user": "1000"
                }
            },
            "x-top": {"a": [1.5], "b": 1}
        })
    );
}

#[test]
fn errors_name_the_failing_path() {
    let input = serde_json::json!({
        "name": "p",
        "services": {"web": {"image": "x", "ports": [{"target": "eighty"}]}}
    });
    let err = Project::from_json(input).unwrap_err();
    assert_eq!(err.path, "services.web.ports[0].target");

    let input = serde_json::json!({"name": "p", "services": {"web": {"stop_grace_period": "10"}}});
    let err = Project::from_json(input).unwrap_err();
    assert_eq!(err.path, "services.web.stop_grace_period");
    assert!(err.message.contains("missing unit"), "{err}");

    let input = serde_json::json!({"name": "p", "services": {"web": {"bogus": 1}}});
    let err = Project::from_json(input).unwrap_err();
    assert!(err.to_string().contains("unknown field `bogus`"), "{err}");
}

#[test]
fn ssh_key_with_path_cannot_be_printed() {
    let input = serde_json::json!({
        "name": "p",
        "services": {"web": {"build": {"context": ".", "ssh": {"default": null, "fake": "/k"}}}}
    });
    let project = Project::from_json(input).unwrap();
    let err = project.check_json().unwrap_err();
    assert_eq!(
        err.message,
        "json: error calling MarshalJSON for type types.SSHKey: invalid character ':' after top-level value"
    );
}

#[test]
fn short_list_forms_are_accepted() {
    let input = serde_json::json!({
        "name": "p",
        "services": {
            "web": {
                "build": "./app",
                "depends_on": ["db"],
                "networks": ["front", "back"],
                "models": ["llm"],
                "dns": "8.8.8.8",
                "sysctls": ["net.core.somaxconn=1024"],
                "command": ""
            }
        }
    });
    let project = Project::from_json(input).unwrap();
    assert_eq!(
        project.to_json()["services"]["web"],
        serde_json::json!({
            "build": {"context": "./app"},
            "command": [],
            "depends_on": {"db": {"condition": "service_started", "required": true}},
            "dns": ["8.8.8.8"],
            "entrypoint": null,
            "models": {"llm": null},
            "networks": {"back": null, "front": null},
            "sysctls": {"net.core.somaxconn": "1024"}
        })
    );
}
