//! The whole project (compose-go's `types.Project`) and its JSON form.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use super::definitions::{ConfigObjConfig, ModelConfig, NetworkConfig, SecretConfig, VolumeConfig};
use super::service::Service;
use super::units::go_json_f64;

/// Why a value could not be read into the model (or printed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ModelError {
    /// Dotted path of the failing value, e.g. `services.web.ports[0].target`
    /// (`.` for the document itself).
    pub path: String,
    /// What was wrong with it.
    pub message: String,
}

/// A loaded Compose project.
///
/// Top-level maps are sorted by name, as Compose prints them; maps inside
/// services keep their input order and are sorted only when printed.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Project {
    #[serde(default, deserialize_with = "super::de::string")]
    pub name: String,
    #[serde(default, deserialize_with = "super::de::map_null_default")]
    pub services: BTreeMap<String, Service>,
    #[serde(default, deserialize_with = "super::de::map_null_default")]
    pub networks: BTreeMap<String, NetworkConfig>,
    #[serde(default, deserialize_with = "super::de::map_null_default")]
    pub volumes: BTreeMap<String, VolumeConfig>,
    #[serde(default, deserialize_with = "super::de::map_null_default")]
    pub secrets: BTreeMap<String, SecretConfig>,
    #[serde(default, deserialize_with = "super::de::map_null_default")]
    pub configs: BTreeMap<String, ConfigObjConfig>,
    /// Top-level models; Compose keeps them but does not print them in JSON.
    #[serde(default, deserialize_with = "super::de::map_null_default")]
    pub models: BTreeMap<String, ModelConfig>,
    /// Top-level `x-*` keys, printed as they are.
    #[serde(flatten, deserialize_with = "super::de::extensions")]
    pub extensions: IndexMap<String, Value>,
}

/// The error text of Docker Compose v2.40.3 for a build SSH key with a path.
const SSH_KEY_JSON_ERROR: &str = "json: error calling MarshalJSON for type types.SSHKey: invalid character ':' after top-level value";

impl Project {
    /// Reads a project from the loader's canonical model, as JSON.
    ///
    /// Accepts the raw forms compose-go decodes (durations like `1m30s`, byte
    /// sizes like `50M`, modes as integers, numbers or booleans as strings,
    /// list-or-mapping fields in either form, ...) as well as everything
    /// [`Project::to_json`] prints. Keys other than the known ones and `x-*`
    /// are errors. A service's `name` is set from its key when absent.
    pub fn from_json(value: Value) -> Result<Project, ModelError> {
        let mut project: Project = deserialize(value, "")?;
        for (name, service) in &mut project.services {
            if service.name.is_empty() {
                service.name = name.clone();
            }
        }
        Ok(project)
    }

    /// Reads the top-level volume `name` as [`Project::from_json`] would
    /// read it inside the project (null is a volume with no options), for a
    /// caller that reads the volumes one at a time.
    pub fn volume_from_json(name: &str, value: Value) -> Result<VolumeConfig, ModelError> {
        if value.is_null() {
            return Ok(VolumeConfig::default());
        }
        deserialize(value, &format!("volumes.{name}"))
    }

    /// Prints the project as `docker compose config --format json` does.
    ///
    /// Object keys come in Go's order (struct fields in compose-go's order,
    /// map keys sorted), so serialising the value with `serde_json` gives
    /// Compose's text up to Go's escaping of `<`, `>` and `&` (`\u003c`...).
    /// A build SSH key with a path, which Compose cannot print, comes out as
    /// `"id=path"`; use [`Project::check_json`] to get Compose's error.
    /// The `volumes` of [`Project::to_json`], for a caller that prints them
    /// apart.
    pub fn volumes_to_json(volumes: &BTreeMap<String, VolumeConfig>) -> Value {
        to_value(volumes)
    }

    pub fn to_json(&self) -> Value {
        let mut top: BTreeMap<String, Value> = BTreeMap::new();
        top.insert("name".into(), Value::String(self.name.clone()));
        top.insert("services".into(), to_value(&self.services));
        if !self.networks.is_empty() {
            top.insert("networks".into(), to_value(&self.networks));
        }
        if !self.volumes.is_empty() {
            top.insert("volumes".into(), Project::volumes_to_json(&self.volumes));
        }
        if !self.secrets.is_empty() {
            // A secret's content is never printed.
            let secrets: BTreeMap<&String, SecretConfig> = self
                .secrets
                .iter()
                .map(|(k, v)| {
                    let mut v = v.clone();
                    v.content.clear();
                    (k, v)
                })
                .collect();
            top.insert("secrets".into(), to_value(&secrets));
        }
        if !self.configs.is_empty() {
            // A config's content is printed unless it came from the environment.
            let configs: BTreeMap<&String, ConfigObjConfig> = self
                .configs
                .iter()
                .map(|(k, v)| {
                    let mut v = v.clone();
                    if !v.environment.is_empty() {
                        v.content.clear();
                    }
                    (k, v)
                })
                .collect();
            top.insert("configs".into(), to_value(&configs));
        }
        for (k, v) in &self.extensions {
            top.insert(k.clone(), go_json_value(v));
        }
        Value::Object(top.into_iter().collect())
    }

    /// Checks that Docker Compose could print this project as JSON: Compose
    /// v2.40.3 fails on a build SSH key with a path (its `SSHKey.MarshalJSON`
    /// writes invalid JSON). The error carries Compose's message.
    pub fn check_json(&self) -> Result<(), ModelError> {
        self.services
            .iter()
            .try_for_each(|(name, service)| service.check_json(name))
    }
}

impl Service {
    /// Reads the service `name` of the loader's canonical model, as JSON, the
    /// way [`Project::from_json`] reads it as part of the whole project
    /// (errors carry the same `services.NAME...` path).
    pub fn from_json(name: &str, value: Value) -> Result<Service, ModelError> {
        // A null service is an empty one, as in the whole project.
        let service: Option<Service> = deserialize(value, &format!("services.{name}"))?;
        let mut service = service.unwrap_or_default();
        if service.name.is_empty() {
            service.name = name.to_string();
        }
        Ok(service)
    }

    /// The service as [`Project::to_json`] prints it under `services`.
    pub fn to_json(&self) -> Value {
        to_value(self)
    }

    /// [`Project::check_json`] for one service, named `name` in the project.
    pub fn check_json(&self, name: &str) -> Result<(), ModelError> {
        let Some(build) = &self.build else {
            return Ok(());
        };
        match build.ssh.iter().position(|k| !k.path.is_empty()) {
            Some(i) => Err(ModelError {
                path: format!("services.{name}.build.ssh[{i}]"),
                message: SSH_KEY_JSON_ERROR.into(),
            }),
            None => Ok(()),
        }
    }
}

/// Deserialises `value`, found at `prefix` in the project (`""` for the
/// project itself), with the path of the failing value on error.
fn deserialize<T: serde::de::DeserializeOwned>(
    value: Value,
    prefix: &str,
) -> Result<T, ModelError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let path = match inner.as_str() {
            _ if prefix.is_empty() => inner,
            "." => prefix.to_string(),
            // A sequence index follows its parent without a dot (`ports[0]`).
            _ if inner.starts_with('[') => format!("{prefix}{inner}"),
            _ => format!("{prefix}.{inner}"),
        };
        ModelError {
            path,
            message: e.inner().to_string(),
        }
    })
}

impl Serialize for Project {
    /// Serialises [`Project::to_json`].
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

/// An extension value as Go prints an `any` decoded from YAML: objects with
/// sorted keys, floats without a fraction as integers.
fn go_json_value(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), go_json_value(v)))
                    .collect::<Map<String, Value>>(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(go_json_value).collect()),
        Value::Number(n) if n.is_f64() => Value::Number(go_json_f64(n.as_f64().unwrap_or(0.0))),
        other => other.clone(),
    }
}

/// A model value as JSON. The model serialises only strings, numbers,
/// booleans, lists and string-keyed maps, which a JSON value always holds.
fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).expect("model values serialise to JSON")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A volume read alone reads as it does inside the whole project,
    /// errors and their paths included.
    #[test]
    fn a_volume_read_alone_reads_as_in_the_project() {
        for volume in [
            json!(null),
            json!({}),
            json!({"driver": "local", "driver_opts": {"o": "bind"}, "labels": {"a": "1"}}),
            json!({"driver": 5}),
            json!({"labels": ["a"]}),
            json!({"external": []}),
            json!("text"),
        ] {
            let whole = Project::from_json(json!({"volumes": {"data": volume.clone()}}))
                .map(|mut p| p.volumes.remove("data").expect("the volume"));
            let alone = Project::volume_from_json("data", volume.clone());
            assert_eq!(whole, alone, "{volume}");
        }
        let error = Project::volume_from_json("data", json!({"external": []})).unwrap_err();
        assert_eq!(error.path, "volumes.data.external");
        let error = Project::volume_from_json("data", json!("text")).unwrap_err();
        assert_eq!(error.path, "volumes.data");
    }
}
