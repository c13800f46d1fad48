//! A service's `build` section (compose-go's `types.BuildConfig`).

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ser::is_zero;
use super::units::UnitBytes;
use super::values::{FileReferenceConfig, SshKey, UlimitsConfig};

/// How to build a service's image.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BuildConfig {
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub context: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub dockerfile: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub dockerfile_inline: String,
    #[serde(
        default,
        deserialize_with = "super::de::string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub entitlements: Vec<String>,
    /// Build arguments; one without a value is `None` and prints `null`.
    #[serde(
        default,
        deserialize_with = "super::de::mapping_with_equals",
        serialize_with = "super::ser::sorted",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub args: IndexMap<String, Option<String>>,
    /// A boolean reads as its text (`"true"`), as compose-go's transform does.
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub provenance: String,
    /// A boolean reads as its text (`"true"`).
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub sbom: String,
    /// SSH keys; a key with a path cannot be printed by Compose (see
    /// [`crate::model::Project::check_json`]).
    #[serde(
        default,
        deserialize_with = "super::values::ssh_config",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub ssh: Vec<SshKey>,
    #[serde(
        default,
        deserialize_with = "super::de::mapping",
        serialize_with = "super::ser::sorted",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub labels: IndexMap<String, String>,
    #[serde(
        default,
        deserialize_with = "super::de::string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub cache_from: Vec<String>,
    #[serde(
        default,
        deserialize_with = "super::de::string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub cache_to: Vec<String>,
    #[serde(
        default,
        deserialize_with = "super::de::boolean",
        skip_serializing_if = "is_zero"
    )]
    pub no_cache: bool,
    #[serde(
        default,
        deserialize_with = "super::de::mapping",
        serialize_with = "super::ser::sorted",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub additional_contexts: IndexMap<String, String>,
    #[serde(
        default,
        deserialize_with = "super::de::boolean",
        skip_serializing_if = "is_zero"
    )]
    pub pull: bool,
    /// Prints as a sorted list of `host=ip`.
    #[serde(
        default,
        deserialize_with = "super::values::hosts_list",
        serialize_with = "super::values::ser_hosts_list",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub extra_hosts: IndexMap<String, Vec<String>>,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub isolation: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub network: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub target: String,
    #[serde(
        default,
        deserialize_with = "super::de::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub secrets: Vec<FileReferenceConfig>,
    #[serde(
        default,
        deserialize_with = "super::de::null_default",
        skip_serializing_if = "is_zero"
    )]
    pub shm_size: UnitBytes,
    #[serde(
        default,
        deserialize_with = "super::de::string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tags: Vec<String>,
    #[serde(
        default,
        deserialize_with = "super::de::null_default",
        serialize_with = "super::ser::sorted",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub ulimits: IndexMap<String, UlimitsConfig>,
    #[serde(
        default,
        deserialize_with = "super::de::string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub platforms: Vec<String>,
    #[serde(
        default,
        deserialize_with = "super::de::boolean",
        skip_serializing_if = "is_zero"
    )]
    pub privileged: bool,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}
