//! What differs between the file and what the engine has: a container's
//! configuration, image, networks and volumes, or the definition of a
//! network or volume, worded for the plan's reasons.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::engine::spec::{MountKind, canonical_json};
use crate::engine::{Container, RunState, labels};
use crate::reconcile::desired::{Desired, DesiredService};
use crate::reconcile::fingerprint::{self, Fingerprint};
use crate::reconcile::observe::Observed;
use crate::reconcile::{config_hash, references};

/// Why a running container must be recreated, or `None` when it matches.
pub(super) fn recreate_reason(
    container: &Container,
    service: &DesiredService,
    desired: &Desired,
    observed: &Observed,
    recreated_parent: Option<&str>,
) -> Option<String> {
    if let Some(parent) = recreated_parent {
        return Some(format!(
            "{parent} is recreated, and this shares its namespace or volumes"
        ));
    }
    if let Some(reason) = config_change(container, service, desired, observed) {
        return Some(reason);
    }
    if let Some(Some(image_id)) = observed.images.get(&service.spec.image) {
        let stamped = container
            .label(labels::IMAGE)
            .unwrap_or(&container.image_id);
        if stamped != image_id {
            return Some(format!("image {} changed", service.spec.image));
        }
    }
    if container.state == RunState::Running {
        for key in &service.networks {
            let Some(network) = observed.networks.get(key) else {
                return Some(format!(
                    "network {} is missing",
                    desired.networks[key].spec.name
                ));
            };
            if !container.networks.values().any(|id| id == &network.id) {
                return Some(format!("not connected to network {}", network.name));
            }
        }
    }
    for key in &service.volumes {
        let name = &desired.volumes[key].spec.name;
        if !container
            .mounts
            .iter()
            .any(|m| m.kind == Some(MountKind::Volume) && &m.name == name)
        {
            return Some(format!("volume {name} is not mounted"));
        }
    }
    None
}

/// What changed in the service's configuration since `container` was made.
///
/// berth's digests of the spec it made the container with name the keys
/// that changed. A container made by Docker Compose is compared by Compose's
/// own hash, which berth computes as Compose does; one made by an earlier
/// berth by the spec it recorded.
fn config_change(
    container: &Container,
    service: &DesiredService,
    desired: &Desired,
    observed: &Observed,
) -> Option<String> {
    if let Some(old) = container
        .label(labels::DIGESTS)
        .and_then(Fingerprint::parse)
    {
        let changed = old.changed(&Fingerprint::of(&service.spec));
        return (!changed.is_empty()).then(|| fingerprint::describe(&changed));
    }
    if let Some(old) = container.label(labels::SPEC) {
        let (json, _) = canonical_json(&service.spec);
        return (old != json).then(|| describe_change(old, &json));
    }
    let hash = config_hash::service_hash(service.hashed(), |parent| {
        let containers = observed
            .containers
            .iter()
            .map(|c| (c.name.as_str(), c.id.as_str()));
        references::replicas_of(desired, parent, containers)
            .into_iter()
            .next()
            .map(|replica| replica.id)
    });
    (container.label(labels::CONFIG_HASH) != Some(hash.as_str()))
        .then(|| "created by another tool (its configuration hash differs)".into())
}

/// How a network's or volume's definition differs from the one it was made with.
pub(super) enum Change {
    None,
    /// berth made it: the keys that changed, for people.
    Keys(String),
    /// Another tool made it, with another hash: which key changed is unknown.
    Unknown,
}

/// Compares the definition `spec` (Compose's `hash` of it) with the one the
/// object with `labels` was made with.
pub(super) fn definition_change<T: Serialize>(
    labels: &BTreeMap<String, String>,
    hash: &str,
    spec: &T,
) -> Change {
    if let Some(old) = labels
        .get(labels::DIGESTS)
        .and_then(|l| Fingerprint::parse(l))
    {
        let changed = old.changed(&Fingerprint::of(spec));
        return match changed.is_empty() {
            true => Change::None,
            false => Change::Keys(fingerprint::describe(&changed)),
        };
    }
    if let Some(old) = labels.get(labels::SPEC) {
        let (json, _) = canonical_json(spec);
        return match *old == json {
            true => Change::None,
            false => Change::Keys(describe_change(old, &json)),
        };
    }
    match labels.get(labels::CONFIG_HASH) {
        // Docker Compose leaves an object without a hash as it is.
        Some(found) if found != hash => Change::Unknown,
        _ => Change::None,
    }
}

/// What differs between two canonical specs (JSON), for people:
/// `environment.FOO, ports changed`.
fn describe_change(old: &str, new: &str) -> String {
    let old: Value = serde_json::from_str(old).unwrap_or(Value::Null);
    let new: Value = serde_json::from_str(new).unwrap_or(Value::Null);
    let mut changed = Vec::new();
    diff_paths(&old, &new, "", 0, &mut changed);
    match changed.len() {
        0 => "configuration changed".into(),
        1..=3 => format!("{} changed", changed.join(", ")),
        n => format!("{}, and {} more changed", changed[..3].join(", "), n - 3),
    }
}

/// Paths of the keys that differ between two JSON values, two levels deep
/// (`environment.FOO`, `healthcheck.interval`, `ports`).
fn diff_paths<'a>(
    old: &'a Value,
    new: &'a Value,
    prefix: &str,
    depth: usize,
    out: &mut Vec<String>,
) {
    let join = |key: &str| {
        if prefix.is_empty() {
            key.to_string()
        } else {
            format!("{prefix}.{key}")
        }
    };
    // A section absent on one side compares as empty, so the keys are named.
    let empty = serde_json::Map::new();
    let as_object = |v: &'a Value, other: &Value| match (v, other) {
        (Value::Object(m), _) => Some(m),
        (Value::Null, Value::Object(_)) => Some(&empty),
        _ => None,
    };
    match (as_object(old, new), as_object(new, old)) {
        (Some(a), Some(b)) if depth < 2 => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                if key == "version" && depth == 0 {
                    continue;
                }
                let (x, y) = (
                    a.get(key).unwrap_or(&Value::Null),
                    b.get(key).unwrap_or(&Value::Null),
                );
                if x != y {
                    diff_paths(x, y, &join(key), depth + 1, out);
                }
            }
        }
        _ if old != new => out.push(if prefix.is_empty() {
            "configuration".into()
        } else {
            prefix.to_string()
        }),
        _ => {}
    }
}
