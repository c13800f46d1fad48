//! A service's `deploy` section (compose-go's `types.DeployConfig`) and the
//! device requests shared with `gpus`.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ser::is_zero;
use super::units::{Duration, UnitBytes};

/// Deployment settings. `resources` and `placement` always print (as `{}`
/// when empty): Go's `omitempty` does not apply to structs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeployConfig {
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub mode: String,
    #[serde(
        default,
        deserialize_with = "super::de::opt_int",
        skip_serializing_if = "Option::is_none"
    )]
    pub replicas: Option<i64>,
    #[serde(
        default,
        deserialize_with = "super::de::mapping",
        serialize_with = "super::ser::sorted",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub labels: IndexMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_config: Option<UpdateConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_config: Option<UpdateConfig>,
    #[serde(default, deserialize_with = "super::de::null_default")]
    pub resources: Resources,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<RestartPolicy>,
    #[serde(default, deserialize_with = "super::de::null_default")]
    pub placement: Placement,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub endpoint_mode: String,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// `update_config` / `rollback_config` (`types.UpdateConfig`). Zero
/// durations are not printed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UpdateConfig {
    #[serde(
        default,
        deserialize_with = "super::de::opt_int",
        skip_serializing_if = "Option::is_none"
    )]
    pub parallelism: Option<u64>,
    #[serde(
        default,
        deserialize_with = "super::de::null_default",
        skip_serializing_if = "is_zero"
    )]
    pub delay: Duration,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub failure_action: String,
    #[serde(
        default,
        deserialize_with = "super::de::null_default",
        skip_serializing_if = "is_zero"
    )]
    pub monitor: Duration,
    #[serde(
        default,
        deserialize_with = "super::de::float32",
        serialize_with = "super::ser::float32",
        skip_serializing_if = "is_zero"
    )]
    pub max_failure_ratio: f32,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub order: String,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// `resources` (`types.Resources`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Resources {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<Resource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reservations: Option<Resource>,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// Resource limits or reservations (`types.Resource`). `cpus` is a
/// `float32` (read from a number or a numeric string); `memory` a byte size.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    #[serde(
        default,
        deserialize_with = "super::de::float32",
        serialize_with = "super::ser::float32",
        skip_serializing_if = "is_zero"
    )]
    pub cpus: f32,
    #[serde(
        default,
        deserialize_with = "super::de::null_default",
        skip_serializing_if = "is_zero"
    )]
    pub memory: UnitBytes,
    #[serde(
        default,
        deserialize_with = "super::de::int",
        skip_serializing_if = "is_zero"
    )]
    pub pids: i64,
    #[serde(
        default,
        deserialize_with = "super::de::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub devices: Vec<DeviceRequest>,
    #[serde(
        default,
        deserialize_with = "super::de::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub generic_resources: Vec<GenericResource>,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// A user-defined resource (`types.GenericResource`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GenericResource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discrete_resource_spec: Option<DiscreteGenericResource>,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// A counted user-defined resource (`types.DiscreteGenericResource`); both
/// members always print.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DiscreteGenericResource {
    #[serde(default, deserialize_with = "super::de::string")]
    pub kind: String,
    #[serde(default, deserialize_with = "super::de::int")]
    pub value: i64,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// `restart_policy` (`types.RestartPolicy`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RestartPolicy {
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub condition: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<Duration>,
    #[serde(
        default,
        deserialize_with = "super::de::opt_int",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_attempts: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Duration>,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// `placement` (`types.Placement`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Placement {
    #[serde(
        default,
        deserialize_with = "super::de::string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub constraints: Vec<String>,
    #[serde(
        default,
        deserialize_with = "super::de::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub preferences: Vec<PlacementPreferences>,
    #[serde(
        rename = "max_replicas_per_node",
        default,
        deserialize_with = "super::de::int",
        skip_serializing_if = "is_zero"
    )]
    pub max_replicas: u64,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// A placement preference (`types.PlacementPreferences`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlacementPreferences {
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub spread: String,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// A device request of `deploy.resources.reservations.devices` or `gpus`
/// (`types.DeviceRequest`). `count` is -1 for `all`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceRequest {
    #[serde(
        default,
        deserialize_with = "super::de::string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub capabilities: Vec<String>,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub driver: String,
    /// `all` reads as -1.
    #[serde(
        default,
        deserialize_with = "super::de::device_count",
        skip_serializing_if = "is_zero"
    )]
    pub count: i64,
    #[serde(
        rename = "device_ids",
        default,
        deserialize_with = "super::de::string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub ids: Vec<String>,
    #[serde(
        default,
        deserialize_with = "super::de::mapping",
        serialize_with = "super::ser::sorted",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub options: IndexMap<String, String>,
}
