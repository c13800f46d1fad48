//! Field-level comparison of a service's spec as berth would send it with
//! the spec the swarm holds, in the API's JSON.
//!
//! Both sides are normalised the same way: empty values (null, "", false,
//! 0, [], {}) are dropped, and so are the values the engine fills in by
//! itself (`Isolation: default`, `Runtime: container`, an endpoint mode
//! `vip`), so that an unchanged file compares equal and updates nothing.

use serde_json::{Map, Value};

/// `value` without empty members and engine defaults, recursively: the
/// form two specs are compared in.
pub fn normalize(value: Value) -> Value {
    prune(value, true)
}

/// `value` without null, "", [] and {} members, recursively: the form berth
/// sends (a 0 or a false can mean something there, such as 0 replicas).
pub fn tidy(value: Value) -> Value {
    prune(value, false)
}

/// `value` with the members of every object in key order: bollard keeps
/// labels in hash maps, whose order changes from run to run.
pub fn sorted(value: Value) -> Value {
    match value {
        Value::Object(object) => {
            let mut members: Vec<(String, Value)> = object.into_iter().collect();
            members.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(members.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

fn prune(value: Value, compared: bool) -> Value {
    match value {
        Value::Object(object) => {
            let mut kept = Map::new();
            for (key, member) in object {
                let member = prune(member, compared);
                // `Global: {}` is a mode, not an empty value.
                let mode = matches!(key.as_str(), "Global" | "GlobalJob");
                let drop = !mode
                    && (is_blank(&member)
                        || (compared && (is_zero(&member) || is_default(&key, &member))));
                if !drop {
                    kept.insert(key, member);
                }
            }
            Value::Object(kept)
        }
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|i| prune(i, compared)).collect())
        }
        other => other,
    }
}

fn is_blank(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Whether a value says nothing: null, "", [], {}, 0 or false.
pub fn is_empty(value: &Value) -> bool {
    is_blank(value) || is_zero(value)
}

fn is_zero(value: &Value) -> bool {
    match value {
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        _ => false,
    }
}

/// What the engine writes into a spec that berth left out, and what berth
/// cannot read back: the engine writes a health check as `Healthcheck`,
/// which bollard (reading `HealthCheck`) drops, so the digest label of
/// [`crate::swarm::HEALTHCHECK_LABEL`] stands for it.
fn is_default(key: &str, value: &Value) -> bool {
    key == "HealthCheck"
        || matches!(
            (key, value.as_str()),
            ("Isolation", Some("default")) | ("Runtime", Some("container")) | ("Mode", Some("vip"))
        )
}

/// Why `observed` differs from `desired` (both normalised), as Compose keys
/// where the field is one users know; empty when they are equal. Values
/// are shown only where they cannot be secret (replicas, image).
pub fn reasons(desired: &Value, observed: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk("", desired, observed, &mut out);
    out
}

fn walk(path: &str, desired: &Value, observed: &Value, out: &mut Vec<String>) {
    if desired == observed {
        return;
    }
    if let Some(reason) = named(path, desired, observed) {
        out.extend(reason);
        return;
    }
    let nothing = Value::Object(Map::new());
    let (desired, observed) = match (desired, observed) {
        (Value::Null, o @ Value::Object(_)) => (&nothing, o),
        (d @ Value::Object(_), Value::Null) => (d, &nothing),
        pair => pair,
    };
    match (desired, observed) {
        (Value::Object(d), Value::Object(o)) => {
            let mut keys: Vec<&String> = d.keys().chain(o.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let here = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                walk(
                    &here,
                    d.get(key).unwrap_or(&Value::Null),
                    o.get(key).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        _ => out.push(format!("{} changed", compose_name(path))),
    }
}

/// Reasons in Compose's words for the fields users change most.
fn named(path: &str, desired: &Value, observed: &Value) -> Option<Vec<String>> {
    let shown = |v: &Value| match v {
        Value::Null => "none".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match path {
        "Mode.Replicated.Replicas" => Some(vec![format!(
            "replicas {} → {}",
            replicas(observed),
            replicas(desired)
        )]),
        "TaskTemplate.ContainerSpec.Image" => Some(vec![format!(
            "image {} → {}",
            shown(observed),
            shown(desired)
        )]),
        "TaskTemplate.ContainerSpec.Env" => Some(env_reasons(desired, observed)),
        "Labels" if label_changed(desired, observed, crate::swarm::HEALTHCHECK_LABEL) => {
            let mut out = vec!["healthcheck changed".to_string()];
            let mut d = desired.clone();
            let mut o = observed.clone();
            for v in [&mut d, &mut o] {
                if let Some(map) = v.as_object_mut() {
                    map.remove(crate::swarm::HEALTHCHECK_LABEL);
                }
            }
            out.extend(map_reasons("deploy.labels", &d, &o));
            Some(out)
        }
        "Labels" | "TaskTemplate.ContainerSpec.Labels" => {
            let prefix = if path == "Labels" {
                "deploy.labels"
            } else {
                "labels"
            };
            Some(map_reasons(prefix, desired, observed))
        }
        "TaskTemplate.ContainerSpec.Configs" | "TaskTemplate.ContainerSpec.Secrets" => {
            Some(object_reasons(path, desired, observed))
        }
        _ => None,
    }
}

fn label_changed(desired: &Value, observed: &Value, label: &str) -> bool {
    desired.get(label) != observed.get(label)
}

fn replicas(value: &Value) -> String {
    // A normalised 0 is gone.
    value.as_u64().unwrap_or(0).to_string()
}

/// `environment.X changed|added|removed`, by variable name, values unshown.
fn env_reasons(desired: &Value, observed: &Value) -> Vec<String> {
    let entries = |v: &Value| -> Vec<(String, String)> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|e| {
                let (k, v) = e.split_once('=').unwrap_or((e, ""));
                (k.to_string(), v.to_string())
            })
            .collect()
    };
    let (d, o) = (entries(desired), entries(observed));
    let mut names: Vec<&String> = d.iter().chain(&o).map(|(k, _)| k).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter_map(|name| {
            let find = |list: &[(String, String)]| {
                list.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
            };
            match (find(&d), find(&o)) {
                (Some(a), Some(b)) if a == b => None,
                (Some(_), Some(_)) => Some(format!("environment.{name} changed")),
                (Some(_), None) => Some(format!("environment.{name} added")),
                (None, _) => Some(format!("environment.{name} removed")),
            }
        })
        .collect()
}

fn map_reasons(prefix: &str, desired: &Value, observed: &Value) -> Vec<String> {
    let empty = Map::new();
    let d = desired.as_object().unwrap_or(&empty);
    let o = observed.as_object().unwrap_or(&empty);
    let mut keys: Vec<&String> = d.keys().chain(o.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| d.get(*k) != o.get(*k))
        .map(|k| match (d.get(k), o.get(k)) {
            (Some(_), Some(_)) => format!("{prefix}.{k} changed"),
            (Some(_), None) => format!("{prefix}.{k} added"),
            _ => format!("{prefix}.{k} removed"),
        })
        .collect()
}

/// `configs.<target>: new version NAME`, comparing references by file.
fn object_reasons(path: &str, desired: &Value, observed: &Value) -> Vec<String> {
    let (kind, name_key) = if path.ends_with("Configs") {
        ("configs", "ConfigName")
    } else {
        ("secrets", "SecretName")
    };
    let refs = |v: &Value| -> Vec<(String, Value)> {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                let target = r["File"]["Name"].as_str().unwrap_or_default().to_string();
                // IDs are the engine's; names say the version.
                let mut r = r.clone();
                if let Some(o) = r.as_object_mut() {
                    o.retain(|k, _| !k.ends_with("ID"));
                }
                (target, r)
            })
            .collect()
    };
    let (d, o) = (refs(desired), refs(observed));
    let mut out = Vec::new();
    for (target, reference) in &d {
        match o.iter().find(|(t, _)| t == target) {
            Some((_, before)) if before == reference => {}
            Some((_, before)) if before[name_key] != reference[name_key] => out.push(format!(
                "{kind} {target}: new version {}",
                reference[name_key].as_str().unwrap_or_default()
            )),
            Some(_) => out.push(format!("{kind} {target}: owner or mode changed")),
            None => out.push(format!("{kind} {target} added")),
        }
    }
    for (target, _) in &o {
        if !d.iter().any(|(t, _)| t == target) {
            out.push(format!("{kind} {target} removed"));
        }
    }
    out
}

/// An API path (`TaskTemplate.ContainerSpec.Healthcheck.Interval`) as the
/// Compose key users wrote, where there is one.
fn compose_name(path: &str) -> String {
    const NAMES: &[(&str, &str)] = &[
        ("TaskTemplate.ContainerSpec.Command", "entrypoint"),
        ("TaskTemplate.ContainerSpec.Args", "command"),
        ("TaskTemplate.ContainerSpec.HealthCheck", "healthcheck"),
        ("TaskTemplate.ContainerSpec.Mounts", "volumes"),
        ("TaskTemplate.ContainerSpec.Hostname", "hostname"),
        ("TaskTemplate.ContainerSpec.User", "user"),
        ("TaskTemplate.ContainerSpec.Dir", "working_dir"),
        (
            "TaskTemplate.ContainerSpec.StopGracePeriod",
            "stop_grace_period",
        ),
        ("TaskTemplate.ContainerSpec.Hosts", "extra_hosts"),
        ("TaskTemplate.Resources", "deploy.resources"),
        ("TaskTemplate.RestartPolicy", "deploy.restart_policy"),
        ("TaskTemplate.Placement", "deploy.placement"),
        ("TaskTemplate.Networks", "networks"),
        ("TaskTemplate.LogDriver", "logging"),
        ("EndpointSpec.Ports", "ports"),
        ("EndpointSpec", "deploy.endpoint_mode"),
        ("UpdateConfig", "deploy.update_config"),
        ("RollbackConfig", "deploy.rollback_config"),
        ("Mode", "deploy.mode"),
    ];
    NAMES
        .iter()
        .find(|(api, _)| path == *api || path.starts_with(&format!("{api}.")))
        .map_or_else(
            || path.to_string(),
            |(api, compose)| format!("{compose}{}", &path[api.len()..]),
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn engine_defaults_and_empty_values_compare_equal() {
        let sent = normalize(json!({
            "Name": "s_web",
            "TaskTemplate": {"ContainerSpec": {"Image": "busybox", "Env": [], "TTY": false}},
            "Mode": {"Replicated": {"Replicas": 1}},
        }));
        let held = normalize(json!({
            "Name": "s_web",
            "TaskTemplate": {"ContainerSpec": {"Image": "busybox", "Isolation": "default"},
                "ForceUpdate": 0, "Runtime": "container"},
            "Mode": {"Replicated": {"Replicas": 1}},
            "EndpointSpec": {"Mode": "vip"},
        }));
        assert_eq!(reasons(&sent, &held), Vec::<String>::new());
    }

    #[test]
    fn reasons_name_compose_keys_without_values() {
        let desired = normalize(json!({
            "Mode": {"Replicated": {"Replicas": 3}},
            "TaskTemplate": {"ContainerSpec": {
                "Image": "app:2", "Env": ["A=1", "B=secret2", "C=3"],
                "StopGracePeriod": 2_000_000_000u64}},
        }));
        let observed = normalize(json!({
            "Mode": {"Replicated": {"Replicas": 2}},
            "TaskTemplate": {"ContainerSpec": {
                "Image": "app:1", "Env": ["A=1", "B=secret1", "D=4"],
                "StopGracePeriod": 1_000_000_000u64}},
        }));
        assert_eq!(
            reasons(&desired, &observed),
            vec![
                "replicas 2 → 3",
                "environment.B changed",
                "environment.C added",
                "environment.D removed",
                "image app:1 → app:2",
                "stop_grace_period changed",
            ]
        );
    }
}
