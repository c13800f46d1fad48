//! Top-level definitions: networks, volumes, secrets, configs and models.

use indexmap::IndexMap;
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ser::is_zero;

/// `external`: a boolean (or boolean string); the legacy mapping form
/// (`external: {name: ...}`) reads as true.
pub(crate) fn external<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None => Ok(false),
        Some(Value::Object(_)) => Ok(true),
        Some(v) => super::de::boolean(v).map_err(de::Error::custom),
    }
}

/// A top-level network (`types.NetworkConfig`). `ipam` always prints (`{}`
/// when empty).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NetworkConfig {
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub name: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub driver: String,
    #[serde(
        default,
        deserialize_with = "super::de::mapping",
        serialize_with = "super::ser::sorted",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub driver_opts: IndexMap<String, String>,
    #[serde(default, deserialize_with = "super::de::null_default")]
    pub ipam: IpamConfig,
    #[serde(
        default,
        deserialize_with = "external",
        skip_serializing_if = "is_zero"
    )]
    pub external: bool,
    #[serde(
        default,
        deserialize_with = "super::de::boolean",
        skip_serializing_if = "is_zero"
    )]
    pub internal: bool,
    #[serde(
        default,
        deserialize_with = "super::de::boolean",
        skip_serializing_if = "is_zero"
    )]
    pub attachable: bool,
    #[serde(
        default,
        deserialize_with = "super::de::mapping",
        serialize_with = "super::ser::sorted",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub labels: IndexMap<String, String>,
    #[serde(
        default,
        deserialize_with = "super::de::opt_boolean",
        skip_serializing_if = "Option::is_none"
    )]
    pub enable_ipv4: Option<bool>,
    #[serde(
        default,
        deserialize_with = "super::de::opt_boolean",
        skip_serializing_if = "Option::is_none"
    )]
    pub enable_ipv6: Option<bool>,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// A network's IP address management (`types.IPAMConfig`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IpamConfig {
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub driver: String,
    #[serde(
        default,
        deserialize_with = "super::de::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub config: Vec<IpamPool>,
    /// Options of the IPAM driver. Docker Compose's model has no such field
    /// and `config` leaves it out as it does, but berth hands it to the engine.
    #[serde(default, deserialize_with = "super::de::mapping", skip_serializing)]
    pub options: IndexMap<String, String>,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// An IPAM address pool (`types.IPAMPool`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IpamPool {
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub subnet: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub gateway: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub ip_range: String,
    #[serde(
        default,
        deserialize_with = "super::de::mapping",
        serialize_with = "super::ser::sorted",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub aux_addresses: IndexMap<String, String>,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// A top-level volume (`types.VolumeConfig`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VolumeConfig {
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub name: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub driver: String,
    #[serde(
        default,
        deserialize_with = "super::de::mapping",
        serialize_with = "super::ser::sorted",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub driver_opts: IndexMap<String, String>,
    #[serde(
        default,
        deserialize_with = "external",
        skip_serializing_if = "is_zero"
    )]
    pub external: bool,
    #[serde(
        default,
        deserialize_with = "super::de::mapping",
        serialize_with = "super::ser::sorted",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub labels: IndexMap<String, String>,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// A top-level secret or config (`types.FileObjectConfig`; compose-go's
/// `SecretConfig` and `ConfigObjConfig`).
///
/// `content` is printed for a config unless it came from `environment`, and
/// never for a secret; [`crate::model::Project::to_json`] applies that rule.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FileObjectConfig {
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub name: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub file: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub environment: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub content: String,
    #[serde(
        default,
        deserialize_with = "external",
        skip_serializing_if = "is_zero"
    )]
    pub external: bool,
    #[serde(
        default,
        deserialize_with = "super::de::mapping",
        serialize_with = "super::ser::sorted",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub labels: IndexMap<String, String>,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub driver: String,
    #[serde(
        default,
        deserialize_with = "super::de::mapping",
        serialize_with = "super::ser::sorted",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub driver_opts: IndexMap<String, String>,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub template_driver: String,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// A top-level secret.
pub type SecretConfig = FileObjectConfig;
/// A top-level config.
pub type ConfigObjConfig = FileObjectConfig;

/// A top-level model (`types.ModelConfig`). Compose does not print top-level
/// models in JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub name: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub model: String,
    #[serde(
        default,
        deserialize_with = "super::de::int",
        skip_serializing_if = "is_zero"
    )]
    pub context_size: i64,
    #[serde(
        default,
        deserialize_with = "super::de::string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub runtime_flags: Vec<String>,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}
