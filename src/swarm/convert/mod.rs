//! A loaded project as a stack: the specs berth would send to the swarm.
//!
//! Pure: no engine. A config or secret is read here (files, the project's
//! environment, inline content) because its version name is a digest of
//! its content.

mod mounts;
mod service;
mod unsupported;

use std::collections::BTreeMap;

use bollard::models::ServiceSpec;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::{CONTENT_LABEL, NAMESPACE, OBJECT_LABEL, scoped};
use crate::load::node::PathSeg;
use crate::model::{FileObjectConfig, Project};
use crate::reconcile::desired::Condition;

pub use unsupported::Unsupported;

/// Everything a stack deploy asks the swarm for.
#[derive(Clone, Debug, Default)]
pub struct Stack {
    pub name: String,
    /// By service key, in the file's order of keys (sorted).
    pub services: BTreeMap<String, StackService>,
    pub networks: Vec<StackNetwork>,
    pub configs: Vec<FileObject>,
    pub secrets: Vec<FileObject>,
    /// Keys a swarm cannot honour, with why.
    pub unsupported: Vec<Unsupported>,
}

/// One service: its swarm spec and what it waits for.
#[derive(Clone, Debug)]
pub struct StackService {
    pub key: String,
    /// `<stack>_<key>`.
    pub name: String,
    /// The spec, config and secret references by name (IDs are filled in
    /// once the objects exist, see [`fill_ids`]).
    pub spec: ServiceSpec,
    /// The image as the file names it.
    pub image: String,
    pub depends_on: Vec<(String, Condition)>,
    /// A one-shot (`replicated-job`, `global-job`, or a dependency of
    /// another service with `service_completed_successfully`).
    pub job: bool,
    /// Whether its tasks have a health check (running then means healthy).
    pub healthcheck: bool,
}

/// An overlay network of the stack, or an external one it joins.
#[derive(Clone, Debug, PartialEq)]
pub struct StackNetwork {
    pub key: String,
    pub name: String,
    pub external: bool,
    /// The create request, as the API's JSON.
    pub create: Value,
}

/// A config or secret version: immutable in a swarm, so named after its
/// content.
#[derive(Clone, PartialEq)]
pub struct FileObject {
    /// The key in the file.
    pub key: String,
    /// `<stack>_<key>_<digest>`, the explicit `name:`, or an external name.
    pub name: String,
    pub external: bool,
    pub data: Vec<u8>,
    pub labels: BTreeMap<String, String>,
}

// Secret values stay out of debug output.
impl std::fmt::Debug for FileObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileObject")
            .field("key", &self.key)
            .field("name", &self.name)
            .field("external", &self.external)
            .field("bytes", &self.data.len())
            .finish()
    }
}

/// Why a project cannot be a stack.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{message}")]
pub struct ConvertError {
    pub message: String,
    /// The key at fault, to point at its line; empty when none.
    pub path: Vec<PathSeg>,
}

impl ConvertError {
    fn new(message: impl Into<String>, path: &[&str]) -> Self {
        ConvertError {
            message: message.into(),
            path: path.iter().map(|k| PathSeg::Key(k.to_string())).collect(),
        }
    }
}

/// What a conversion reads besides the project.
pub struct Inputs<'a> {
    /// The stack's name.
    pub stack: &'a str,
    /// The project's environment (secrets and configs taken from it).
    pub environment: &'a indexmap::IndexMap<String, String>,
}

/// The stack `project` deploys as.
pub fn stack(project: &Project, inputs: &Inputs) -> Result<Stack, ConvertError> {
    let name = inputs.stack.to_string();
    let jobs = one_shots(project);
    let mut stack = Stack {
        name: name.clone(),
        networks: networks(project, &name),
        configs: objects(project, inputs, &project.configs, "configs")?,
        secrets: objects(project, inputs, &project.secrets, "secrets")?,
        ..Default::default()
    };
    for (key, service) in &project.services {
        let converted = service::convert(project, &stack, key, service, jobs.contains(key))?;
        stack.unsupported.extend(unsupported::check(key, service));
        stack.services.insert(key.clone(), converted);
    }
    Ok(stack)
}

/// Services another waits on with `service_completed_successfully`: they
/// run as jobs, since a swarm service never "completes" otherwise.
fn one_shots(project: &Project) -> Vec<String> {
    let mut keys: Vec<String> = project
        .services
        .values()
        .flat_map(|s| &s.depends_on)
        .filter(|(_, d)| Condition::parse(&d.condition) == Condition::ServiceCompletedSuccessfully)
        .map(|(k, _)| k.clone())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// A name the loader gave by default (`<project>_<key>`), or none: the stack
/// scopes it; an explicit `name:` is kept.
fn default_name(project: &Project, key: &str, name: &str) -> bool {
    name.is_empty() || name == scoped(&project.name, key)
}

fn networks(project: &Project, stack: &str) -> Vec<StackNetwork> {
    let used: Vec<String> = project
        .services
        .values()
        .flat_map(service::network_keys)
        .collect();
    let mut networks = Vec::new();
    for (key, network) in &project.networks {
        if !used.contains(key) {
            continue;
        }
        let name = if network.external {
            if network.name.is_empty() {
                key.clone()
            } else {
                network.name.clone()
            }
        } else if default_name(project, key, &network.name) {
            scoped(stack, key)
        } else {
            network.name.clone()
        };
        let mut labels: BTreeMap<String, String> = network
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        labels.insert(NAMESPACE.into(), stack.into());
        let driver = if network.driver.is_empty() {
            "overlay"
        } else {
            &network.driver
        };
        let ipam = (!network.ipam.config.is_empty() || !network.ipam.driver.is_empty()).then(|| {
            json!({
                "Driver": if network.ipam.driver.is_empty() { "default" } else { &network.ipam.driver },
                "Config": network.ipam.config.iter().map(|p| json!({
                    "Subnet": p.subnet, "IPRange": p.ip_range, "Gateway": p.gateway,
                    "AuxiliaryAddresses": p.aux_addresses,
                })).collect::<Vec<_>>(),
                "Options": network.ipam.options,
            })
        });
        let create = json!({
            "Name": name,
            "Driver": driver,
            "Scope": "swarm",
            "Attachable": network.attachable,
            "Internal": network.internal,
            "Options": network.driver_opts,
            "Labels": labels,
            "IPAM": ipam,
        });
        networks.push(StackNetwork {
            key: key.clone(),
            name,
            external: network.external,
            create: super::diff::tidy(create),
        });
    }
    networks
}

/// The configs or secrets (`kind`) services use, each as its version.
fn objects(
    project: &Project,
    inputs: &Inputs,
    definitions: &BTreeMap<String, FileObjectConfig>,
    kind: &'static str,
) -> Result<Vec<FileObject>, ConvertError> {
    let mut used: Vec<&String> = project
        .services
        .values()
        .flat_map(|s| {
            if kind == "configs" {
                &s.configs
            } else {
                &s.secrets
            }
        })
        .map(|r| &r.source)
        .collect();
    used.sort();
    used.dedup();
    let mut objects = Vec::new();
    for key in used {
        let Some(definition) = definitions.get(key) else {
            return Err(ConvertError::new(
                format!("{kind} {key:?} is used by a service but not defined"),
                &[kind],
            ));
        };
        objects.push(object(project, inputs, key, definition, kind)?);
    }
    Ok(objects)
}

fn object(
    project: &Project,
    inputs: &Inputs,
    key: &str,
    definition: &FileObjectConfig,
    kind: &'static str,
) -> Result<FileObject, ConvertError> {
    let at = [kind, key];
    if definition.external {
        let name = if definition.name.is_empty() {
            key.to_string()
        } else {
            definition.name.clone()
        };
        return Ok(FileObject {
            key: key.into(),
            name,
            external: true,
            data: Vec::new(),
            labels: BTreeMap::new(),
        });
    }
    let data = if !definition.file.is_empty() {
        std::fs::read(&definition.file)
            .map_err(|e| ConvertError::new(format!("cannot read {}: {e}", definition.file), &at))?
    } else if !definition.environment.is_empty() {
        let value = inputs
            .environment
            .get(&definition.environment)
            .ok_or_else(|| {
                ConvertError::new(
                    format!(
                        "{} is not set; {kind} {key:?} takes its content from it",
                        definition.environment
                    ),
                    &at,
                )
            })?;
        value.clone().into_bytes()
    } else {
        definition.content.clone().into_bytes()
    };
    // The version is named after its content. A digest of a secret tells
    // nothing to anyone who can list secrets: a swarm manager's API can
    // also read any secret, by running a task that mounts it.
    let digest = digest(&data);
    let name = if default_name(project, key, &definition.name) {
        format!("{}_{digest}", scoped(inputs.stack, key))
    } else {
        definition.name.clone()
    };
    let mut labels: BTreeMap<String, String> = definition
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    labels.insert(NAMESPACE.into(), inputs.stack.into());
    labels.insert(OBJECT_LABEL.into(), key.into());
    labels.insert(CONTENT_LABEL.into(), digest);
    Ok(FileObject {
        key: key.into(),
        name,
        external: false,
        data,
        labels,
    })
}

/// 10 hex digits of the SHA-256 of `data`.
fn digest(data: &[u8]) -> String {
    crate::digest::hex(&Sha256::digest(data)[..5])
}

/// Puts the IDs of the networks, configs and secrets (by name) into the
/// references of `spec`, as the swarm keeps them; a name without an ID is
/// left for the engine to resolve or refuse.
pub fn fill_ids(spec: &mut ServiceSpec, ids: &BTreeMap<String, String>) {
    let Some(task) = spec.task_template.as_mut() else {
        return;
    };
    for network in task.networks.iter_mut().flatten() {
        if let Some(id) = network.target.as_ref().and_then(|n| ids.get(n)) {
            network.target = Some(id.clone());
        }
    }
    let Some(container) = task.container_spec.as_mut() else {
        return;
    };
    for config in container.configs.iter_mut().flatten() {
        if let Some(id) = config.config_name.as_ref().and_then(|n| ids.get(n)) {
            config.config_id = Some(id.clone());
        }
    }
    for secret in container.secrets.iter_mut().flatten() {
        if let Some(id) = secret.secret_name.as_ref().and_then(|n| ids.get(n)) {
            secret.secret_id = Some(id.clone());
        }
    }
}

/// Inserts `value` under `key` unless it is empty.
fn put(object: &mut Map<String, Value>, key: &str, value: Value) {
    let empty = match &value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    };
    if !empty {
        object.insert(key.to_string(), value);
    }
}

#[cfg(test)]
mod tests;
