//! Docker Compose's configuration hashes, the values it writes under
//! `com.docker.compose.config-hash` on containers, networks and volumes.
//!
//! berth writes the very same values, so that switching between `docker
//! compose` and `berth` recreates nothing: each tool finds the other's hash
//! equal to its own. Compose v2 hashes the JSON of compose-go's typed object
//! as Go's `encoding/json` prints it (struct fields in declaration order, map
//! keys sorted, `<`, `>` and `&` escaped). The model's `to_json` already
//! prints in that order (the conformance corpus checks it), so the hash is a
//! SHA-256 over that text with Go's escaping, after Compose's own edits:
//!
//! - a service leaves out `build`, `pull_policy`, `scale`, `deploy.replicas`,
//!   `depends_on` and `profiles`; its references to other services
//!   (`network_mode`, `ipc`, `pid` of `service:x`, `volumes_from`) are
//!   replaced by the ID of that service's first container, so a recreated
//!   parent changes its children's hash;
//! - a volume without a driver is hashed with the driver `local`.
//!
//! The hash holds no value in clear; berth's own per-key digests are in
//! [`super::fingerprint`].

use serde_json::Value;

use crate::model::{NetworkConfig, Service, VolumeConfig};

/// The keys of a service that Compose leaves out of its hash: changing them
/// recreates nothing.
const NOT_HASHED: [&str; 5] = ["build", "pull_policy", "scale", "depends_on", "profiles"];

/// A service's JSON as Compose hashes it, before its references to other
/// services are resolved (see [`service_hash`]).
pub fn hashed_service(service: &Service) -> Value {
    let mut json = service.to_json();
    if let Value::Object(map) = &mut json {
        for key in NOT_HASHED {
            map.shift_remove(key);
        }
        if let Some(Value::Object(deploy)) = map.get_mut("deploy") {
            deploy.shift_remove("replicas");
        }
    }
    json
}

/// Compose's hash of a service given as [`hashed_service`], once the
/// services it references are resolved: `first_container(service)` is the ID
/// of that service's first container. A reference to a service without one
/// is left as it is (the hash then differs from any container's: such a
/// container cannot be up to date).
pub fn service_hash(hashed: &Value, first_container: impl Fn(&str) -> Option<String>) -> String {
    let mut json = hashed.clone();
    if let Value::Object(map) = &mut json {
        for key in ["network_mode", "ipc", "pid"] {
            if let Some(Value::String(mode)) = map.get_mut(key)
                && let Some(id) = mode.strip_prefix("service:").and_then(&first_container)
            {
                *mode = format!("container:{id}");
            }
        }
        if let Some(Value::Array(from)) = map.get_mut("volumes_from") {
            for entry in from.iter_mut() {
                let Value::String(text) = entry else { continue };
                // Compose keeps only the container (or ID): the `:ro`/`:rw`
                // mode is dropped from what it hashes.
                let mut parts = text.split(':');
                let first = parts.next().unwrap_or_default();
                let resolved = if first == "container" {
                    parts.next().map(str::to_string)
                } else {
                    first_container(first)
                };
                if let Some(resolved) = resolved {
                    *text = resolved;
                }
            }
        }
    }
    crate::digest::sha256_hex(go_json(&json).as_bytes())
}

/// Compose's hash of a network definition.
pub fn network_hash(network: &NetworkConfig) -> String {
    let json = serde_json::to_value(network).unwrap_or(Value::Null);
    crate::digest::sha256_hex(go_json(&json).as_bytes())
}

/// Compose's hash of a volume definition: an empty driver counts as `local`.
pub fn volume_hash(volume: &VolumeConfig) -> String {
    let mut volume = volume.clone();
    if volume.driver.is_empty() {
        volume.driver = "local".into();
    }
    let json = serde_json::to_value(&volume).unwrap_or(Value::Null);
    crate::digest::sha256_hex(go_json(&json).as_bytes())
}

/// `value` as Go's `json.Marshal` prints it: compact, with `<`, `>`, `&`,
/// U+2028 and U+2029 escaped (serde_json escapes the rest as Go does).
pub fn go_json(value: &Value) -> String {
    let text = serde_json::to_string(value).unwrap_or_default();
    if !text.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn service(value: Value) -> Service {
        Service::from_json("web", value).unwrap()
    }

    #[test]
    fn go_json_escapes_html_characters_as_go_does() {
        assert_eq!(
            go_json(&json!({"a": "<b> & \u{2028}"})),
            r#"{"a":"\u003cb\u003e \u0026 \u2028"}"#
        );
        assert_eq!(go_json(&json!({"a": "plain"})), r#"{"a":"plain"}"#);
    }

    #[test]
    fn a_simple_service_hashes_as_docker_compose_does() {
        // The text Compose v2.40.3 hashes for
        // `services: {web: {image: alpine, command: echo hello}}`.
        let web = service(json!({
            "image": "alpine",
            "command": ["echo", "hello"],
            "networks": {"default": null},
        }));
        let hashed = hashed_service(&web);
        assert_eq!(
            go_json(&hashed),
            r#"{"command":["echo","hello"],"entrypoint":null,"image":"alpine","networks":{"default":null}}"#
        );
        // With a value Go escapes: `environment: {URL: "http://a?b=1&c=<d>"}`.
        let web = service(json!({
            "image": "alpine",
            "command": ["echo", "hello"],
            "environment": {"URL": "http://a?b=1&c=<d>"},
            "networks": {"default": null},
        }));
        assert_eq!(
            service_hash(&hashed_service(&web), |_| None),
            "b9a1b588123f9897a60c9da4421658e6bf42e23f8e57521803913dfe2e4aecf5"
        );
    }

    #[test]
    fn keys_that_recreate_nothing_are_left_out() {
        let plain = service(json!({"image": "alpine", "deploy": {"resources": {}}}));
        let busy = service(json!({
            "image": "alpine",
            "build": {"context": "."},
            "pull_policy": "always",
            "scale": 3,
            "deploy": {"replicas": 3, "resources": {}},
            "depends_on": {"db": {"condition": "service_started", "required": true}},
            "profiles": ["x"],
        }));
        let hash = |s: &Service| service_hash(&hashed_service(s), |_| None);
        assert_eq!(hash(&plain), hash(&busy));
        let other = service(json!({"image": "alpine", "environment": {"A": "b"}}));
        assert_ne!(hash(&plain), hash(&other));
    }

    #[test]
    fn references_to_services_become_container_ids() {
        let child = hashed_service(&service(json!({
            "image": "alpine",
            "network_mode": "service:db",
            "volumes_from": ["db:ro", "container:other:rw"],
        })));
        let resolved = hashed_service(&service(json!({
            "image": "alpine",
            "network_mode": "container:id1",
            "volumes_from": ["id1", "other"],
        })));
        let id = |s: &str| (s == "db").then(|| "id1".to_string());
        assert_eq!(service_hash(&child, id), service_hash(&resolved, |_| None));
        // Another container of the parent, another hash.
        assert_ne!(
            service_hash(&child, id),
            service_hash(&child, |_| Some("id2".into()))
        );
    }

    #[test]
    fn a_volume_without_driver_hashes_as_local() {
        let bare = VolumeConfig {
            name: "p_data".into(),
            ..Default::default()
        };
        let local = VolumeConfig {
            driver: "local".into(),
            ..bare.clone()
        };
        assert_eq!(volume_hash(&bare), volume_hash(&local));
        assert_eq!(
            go_json(&serde_json::to_value(&local).unwrap()),
            r#"{"name":"p_data","driver":"local"}"#
        );
    }
}
