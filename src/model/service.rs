//! A service (compose-go's `types.ServiceConfig`) and the small structures it
//! holds. Field order and JSON names follow compose-go, so serialisation
//! prints like `docker compose config --format json`.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::build::BuildConfig;
use super::deploy::{DeployConfig, DeviceRequest};
use super::ser::is_zero;
use super::units::{Duration, UnitBytes};
use super::values::{EnvFile, FileReferenceConfig, UlimitsConfig};

/// One service of the project.
///
/// Absent and empty values are left out when printed (Go's `omitempty`),
/// except `command` and `entrypoint`, which print `null` when unset and `[]`
/// when explicitly empty. `name` and `extensions` are never printed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Service {
    /// The service's name (its key in `services`); not printed.
    #[serde(default, deserialize_with = "super::de::string", skip_serializing)]
    pub name: String,
    #[serde(
        default,
        deserialize_with = "super::de::string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub profiles: Vec<String>,
    #[serde(
        default,
        deserialize_with = "super::de::mapping",
        serialize_with = "super::ser::sorted",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub annotations: IndexMap<String, String>,
    #[serde(
        default,
        deserialize_with = "super::de::opt_boolean",
        skip_serializing_if = "Option::is_none"
    )]
    pub attach: Option<bool>,
    #[serde(
        default,
        deserialize_with = "build",
        skip_serializing_if = "Option::is_none"
    )]
    pub build: Option<BuildConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub develop: Option<DevelopConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blkio_config: Option<BlkioConfig>,
    #[serde(
        default,
        deserialize_with = "super::de::string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub cap_add: Vec<String>,
    #[serde(
        default,
        deserialize_with = "super::de::string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub cap_drop: Vec<String>,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub cgroup_parent: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub cgroup: String,
    #[serde(
        default,
        deserialize_with = "super::de::int",
        skip_serializing_if = "is_zero"
    )]
    pub cpu_count: i64,
    #[serde(
        default,
        deserialize_with = "super::de::float32",
        serialize_with = "super::ser::float32",
        skip_serializing_if = "is_zero"
    )]
    pub cpu_percent: f32,
    #[serde(
        default,
        deserialize_with = "super::de::int",
        skip_serializing_if = "is_zero"
    )]
    pub cpu_period: i64,
    #[serde(
        default,
        deserialize_with = "super::de::int",
        skip_serializing_if = "is_zero"
    )]
    pub cpu_quota: i64,
    #[serde(
        default,
        deserialize_with = "super::de::int",
        skip_serializing_if = "is_zero"
    )]
    pub cpu_rt_period: i64,
    #[serde(
        default,
        deserialize_with = "super::de::int",
        skip_serializing_if = "is_zero"
    )]
    pub cpu_rt_runtime: i64,
    #[serde(
        default,
        deserialize_with = "super::de::float32",
        serialize_with = "super::ser::float32",
        skip_serializing_if = "is_zero"
    )]
    pub cpus: f32,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub cpuset: String,
    #[serde(
        default,
        deserialize_with = "super::de::int",
        skip_serializing_if = "is_zero"
    )]
    pub cpu_shares: i64,
    /// `None` prints `null`; `Some(vec![])` (from `[]` or `""`) prints `[]`.
    #[serde(default, deserialize_with = "super::values::shell_command")]
    pub command: Option<Vec<String>>,
    #[serde(
        default,
        deserialize_with = "super::de::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub configs: Vec<FileReferenceConfig>,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub container_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_spec: Option<CredentialSpecConfig>,
    #[serde(
        default,
        deserialize_with = "depends_on",
        serialize_with = "super::ser::sorted",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub depends_on: IndexMap<String, ServiceDependency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deploy: Option<DeployConfig>,
    #[serde(
        default,
        deserialize_with = "super::de::string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub device_cgroup_rules: Vec<String>,
    #[serde(
        default,
        deserialize_with = "super::de::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub devices: Vec<DeviceMapping>,
    #[serde(
        default,
        deserialize_with = "super::de::string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub dns: Vec<String>,
    #[serde(
        default,
        deserialize_with = "super::de::string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub dns_opt: Vec<String>,
    #[serde(
        default,
        deserialize_with = "super::de::string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub dns_search: Vec<String>,
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
    pub domainname: String,
    /// `None` prints `null`; `Some(vec![])` prints `[]`.
    #[serde(default, deserialize_with = "super::values::shell_command")]
    pub entrypoint: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<ServiceProviderConfig>,
    /// Variables without a value (`KEY` alone) are `None` and print `null`.
    #[serde(
        default,
        deserialize_with = "super::de::mapping_with_equals",
        serialize_with = "super::ser::sorted",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub environment: IndexMap<String, Option<String>>,
    #[serde(
        default,
        deserialize_with = "super::values::env_files",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub env_file: Vec<EnvFile>,
    #[serde(
        default,
        deserialize_with = "super::de::string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub expose: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<ExtendsConfig>,
    #[serde(
        default,
        deserialize_with = "super::de::string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub external_links: Vec<String>,
    /// Host name to addresses; prints as a sorted list of `host=ip`.
    #[serde(
        default,
        deserialize_with = "super::values::hosts_list",
        serialize_with = "super::values::ser_hosts_list",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub extra_hosts: IndexMap<String, Vec<String>>,
    #[serde(
        default,
        deserialize_with = "super::de::string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub group_add: Vec<String>,
    #[serde(
        default,
        deserialize_with = "super::de::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub gpus: Vec<DeviceRequest>,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub hostname: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<HealthCheckConfig>,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub image: String,
    #[serde(
        default,
        deserialize_with = "super::de::opt_boolean",
        skip_serializing_if = "Option::is_none"
    )]
    pub init: Option<bool>,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub ipc: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub isolation: String,
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
    pub label_file: Vec<String>,
    #[serde(
        default,
        deserialize_with = "super::de::string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub links: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logging: Option<LoggingConfig>,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub log_driver: String,
    #[serde(
        default,
        deserialize_with = "super::de::mapping",
        serialize_with = "super::ser::sorted",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub log_opt: IndexMap<String, String>,
    #[serde(
        default,
        deserialize_with = "super::de::null_default",
        skip_serializing_if = "is_zero"
    )]
    pub mem_limit: UnitBytes,
    #[serde(
        default,
        deserialize_with = "super::de::null_default",
        skip_serializing_if = "is_zero"
    )]
    pub mem_reservation: UnitBytes,
    #[serde(
        default,
        deserialize_with = "super::de::null_default",
        skip_serializing_if = "is_zero"
    )]
    pub memswap_limit: UnitBytes,
    /// A `UnitBytes` in compose-go too, so it prints as a string.
    #[serde(
        default,
        deserialize_with = "super::de::null_default",
        skip_serializing_if = "is_zero"
    )]
    pub mem_swappiness: UnitBytes,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub mac_address: String,
    #[serde(
        default,
        deserialize_with = "super::de::names_or_map",
        serialize_with = "super::ser::sorted",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub models: IndexMap<String, Option<ServiceModelConfig>>,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub net: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub network_mode: String,
    /// A network attached without options is `None` and prints `null`.
    #[serde(
        default,
        deserialize_with = "super::de::names_or_map",
        serialize_with = "super::ser::sorted",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub networks: IndexMap<String, Option<ServiceNetworkConfig>>,
    #[serde(
        default,
        deserialize_with = "super::de::boolean",
        skip_serializing_if = "is_zero"
    )]
    pub oom_kill_disable: bool,
    #[serde(
        default,
        deserialize_with = "super::de::int",
        skip_serializing_if = "is_zero"
    )]
    pub oom_score_adj: i64,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub pid: String,
    #[serde(
        default,
        deserialize_with = "super::de::int",
        skip_serializing_if = "is_zero"
    )]
    pub pids_limit: i64,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub platform: String,
    #[serde(
        default,
        deserialize_with = "super::de::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub ports: Vec<ServicePortConfig>,
    #[serde(
        default,
        deserialize_with = "super::de::boolean",
        skip_serializing_if = "is_zero"
    )]
    pub privileged: bool,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub pull_policy: String,
    #[serde(
        default,
        deserialize_with = "super::de::boolean",
        skip_serializing_if = "is_zero"
    )]
    pub read_only: bool,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub restart: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub runtime: String,
    #[serde(
        default,
        deserialize_with = "super::de::opt_int",
        skip_serializing_if = "Option::is_none"
    )]
    pub scale: Option<i64>,
    #[serde(
        default,
        deserialize_with = "super::de::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub secrets: Vec<FileReferenceConfig>,
    #[serde(
        default,
        deserialize_with = "super::de::string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub security_opt: Vec<String>,
    #[serde(
        default,
        deserialize_with = "super::de::null_default",
        skip_serializing_if = "is_zero"
    )]
    pub shm_size: UnitBytes,
    #[serde(
        default,
        deserialize_with = "super::de::boolean",
        skip_serializing_if = "is_zero"
    )]
    pub stdin_open: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_grace_period: Option<Duration>,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub stop_signal: String,
    #[serde(
        default,
        deserialize_with = "super::de::mapping",
        serialize_with = "super::ser::sorted",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub storage_opt: IndexMap<String, String>,
    /// Values are printed as strings.
    #[serde(
        default,
        deserialize_with = "super::de::mapping",
        serialize_with = "super::ser::sorted",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub sysctls: IndexMap<String, String>,
    #[serde(
        default,
        deserialize_with = "super::de::string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tmpfs: Vec<String>,
    #[serde(
        default,
        deserialize_with = "super::de::boolean",
        skip_serializing_if = "is_zero"
    )]
    pub tty: bool,
    #[serde(
        default,
        deserialize_with = "super::de::null_default",
        serialize_with = "super::ser::sorted",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub ulimits: IndexMap<String, UlimitsConfig>,
    #[serde(
        default,
        deserialize_with = "super::de::boolean",
        skip_serializing_if = "is_zero"
    )]
    pub use_api_socket: bool,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub user: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub userns_mode: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub uts: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub volume_driver: String,
    #[serde(
        default,
        deserialize_with = "super::de::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub volumes: Vec<ServiceVolumeConfig>,
    #[serde(
        default,
        deserialize_with = "super::de::string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub volumes_from: Vec<String>,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub working_dir: String,
    #[serde(
        default,
        deserialize_with = "super::de::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub post_start: Vec<ServiceHook>,
    #[serde(
        default,
        deserialize_with = "super::de::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub pre_stop: Vec<ServiceHook>,
    /// `x-*` keys of the service; kept, never printed in JSON.
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// A service's `provider` (`types.ServiceProviderConfig`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceProviderConfig {
    #[serde(
        rename = "type",
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub kind: String,
    /// Each option may repeat, so its value is a list.
    #[serde(
        default,
        deserialize_with = "super::de::multi_options",
        serialize_with = "super::ser::sorted",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub options: IndexMap<String, Vec<String>>,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// `blkio_config` (`types.BlkioConfig`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BlkioConfig {
    #[serde(
        default,
        deserialize_with = "super::de::int",
        skip_serializing_if = "is_zero"
    )]
    pub weight: u16,
    #[serde(
        default,
        deserialize_with = "super::de::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub weight_device: Vec<WeightDevice>,
    #[serde(
        default,
        deserialize_with = "super::de::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub device_read_bps: Vec<ThrottleDevice>,
    #[serde(
        default,
        deserialize_with = "super::de::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub device_read_iops: Vec<ThrottleDevice>,
    #[serde(
        default,
        deserialize_with = "super::de::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub device_write_bps: Vec<ThrottleDevice>,
    #[serde(
        default,
        deserialize_with = "super::de::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub device_write_iops: Vec<ThrottleDevice>,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// A `weight_device` entry (`types.WeightDevice`). compose-go gives it no
/// JSON names, so it prints `Path` and `Weight` (always); both spellings are
/// read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WeightDevice {
    #[serde(
        rename = "Path",
        alias = "path",
        default,
        deserialize_with = "super::de::string"
    )]
    pub path: String,
    #[serde(
        rename = "Weight",
        alias = "weight",
        default,
        deserialize_with = "super::de::int"
    )]
    pub weight: u16,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// A `device_{read,write}_{bps,iops}` entry (`types.ThrottleDevice`); prints
/// `Path` and `Rate` (a byte size string), always.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ThrottleDevice {
    #[serde(
        rename = "Path",
        alias = "path",
        default,
        deserialize_with = "super::de::string"
    )]
    pub path: String,
    #[serde(
        rename = "Rate",
        alias = "rate",
        default,
        deserialize_with = "super::de::null_default"
    )]
    pub rate: UnitBytes,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// A `devices` entry (`types.DeviceMapping`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeviceMapping {
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub source: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub target: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub permissions: String,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// `logging` (`types.LoggingConfig`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LoggingConfig {
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
    pub options: IndexMap<String, String>,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// `healthcheck` (`types.HealthCheckConfig`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HealthCheckConfig {
    /// A string test `s` reads as `["CMD-SHELL", s]`.
    #[serde(
        default,
        deserialize_with = "super::de::healthcheck_test",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub test: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<Duration>,
    #[serde(
        default,
        deserialize_with = "super::de::opt_int",
        skip_serializing_if = "Option::is_none"
    )]
    pub retries: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_period: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_interval: Option<Duration>,
    #[serde(
        default,
        deserialize_with = "super::de::boolean",
        skip_serializing_if = "is_zero"
    )]
    pub disable: bool,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// A `post_start`/`pre_stop` hook or a watch `exec` (`types.ServiceHook`).
/// `command` always prints (`null` when unset).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceHook {
    #[serde(default, deserialize_with = "super::values::shell_command")]
    pub command: Option<Vec<String>>,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub user: String,
    #[serde(
        default,
        deserialize_with = "super::de::boolean",
        skip_serializing_if = "is_zero"
    )]
    pub privileged: bool,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub working_dir: String,
    #[serde(
        default,
        deserialize_with = "super::de::mapping_with_equals",
        serialize_with = "super::ser::sorted",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub environment: IndexMap<String, Option<String>>,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// `develop` (`types.DevelopConfig`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DevelopConfig {
    #[serde(
        default,
        deserialize_with = "super::de::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub watch: Vec<Trigger>,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// A `develop.watch` rule (`types.Trigger`). `path`, `action` and `exec`
/// always print (`exec` as `{"command": null}` when unset: Go's `omitempty`
/// does not apply to structs).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Trigger {
    #[serde(default, deserialize_with = "super::de::string")]
    pub path: String,
    #[serde(default, deserialize_with = "super::de::string")]
    pub action: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub target: String,
    #[serde(default, deserialize_with = "super::de::null_default")]
    pub exec: ServiceHook,
    #[serde(
        default,
        deserialize_with = "super::de::string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub include: Vec<String>,
    #[serde(
        default,
        deserialize_with = "super::de::string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub ignore: Vec<String>,
    #[serde(
        default,
        deserialize_with = "super::de::boolean",
        skip_serializing_if = "is_zero"
    )]
    pub initial_sync: bool,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// A service's attachment to a network (`types.ServiceNetworkConfig`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceNetworkConfig {
    #[serde(
        default,
        deserialize_with = "super::de::string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub aliases: Vec<String>,
    #[serde(
        default,
        deserialize_with = "super::de::mapping",
        serialize_with = "super::ser::sorted",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub driver_opts: IndexMap<String, String>,
    #[serde(
        default,
        deserialize_with = "super::de::int",
        skip_serializing_if = "is_zero"
    )]
    pub gw_priority: i64,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub interface_name: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub ipv4_address: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub ipv6_address: String,
    #[serde(
        default,
        deserialize_with = "super::de::string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub link_local_ips: Vec<String>,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub mac_address: String,
    #[serde(
        default,
        deserialize_with = "super::de::int",
        skip_serializing_if = "is_zero"
    )]
    pub priority: i64,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// A `ports` entry in long syntax (`types.ServicePortConfig`). `published` is
/// a string (a number is read as its decimal text); `target` a number.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServicePortConfig {
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
    pub mode: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub host_ip: String,
    #[serde(
        default,
        deserialize_with = "super::de::int",
        skip_serializing_if = "is_zero"
    )]
    pub target: u32,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub published: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub protocol: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub app_protocol: String,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// A `volumes` entry in long syntax (`types.ServiceVolumeConfig`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceVolumeConfig {
    #[serde(
        rename = "type",
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub kind: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub source: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub target: String,
    #[serde(
        default,
        deserialize_with = "super::de::boolean",
        skip_serializing_if = "is_zero"
    )]
    pub read_only: bool,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub consistency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bind: Option<ServiceVolumeBind>,
    /// `Some` with nothing set prints `{}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<ServiceVolumeVolume>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tmpfs: Option<ServiceVolumeTmpfs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ServiceVolumeImage>,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// Options of a bind mount (`types.ServiceVolumeBind`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceVolumeBind {
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub selinux: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub propagation: String,
    #[serde(
        default,
        deserialize_with = "super::de::boolean",
        skip_serializing_if = "is_zero"
    )]
    pub create_host_path: bool,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub recursive: String,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// Options of a volume mount (`types.ServiceVolumeVolume`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceVolumeVolume {
    #[serde(
        default,
        deserialize_with = "super::de::mapping",
        serialize_with = "super::ser::sorted",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub labels: IndexMap<String, String>,
    #[serde(
        default,
        deserialize_with = "super::de::boolean",
        skip_serializing_if = "is_zero"
    )]
    pub nocopy: bool,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub subpath: String,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// Options of a tmpfs mount (`types.ServiceVolumeTmpfs`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceVolumeTmpfs {
    #[serde(
        default,
        deserialize_with = "super::de::null_default",
        skip_serializing_if = "is_zero"
    )]
    pub size: UnitBytes,
    /// Printed as a plain (decimal) number.
    #[serde(
        default,
        deserialize_with = "super::de::int",
        skip_serializing_if = "is_zero"
    )]
    pub mode: u32,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// Options of an image mount (`types.ServiceVolumeImage`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceVolumeImage {
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub subpath: String,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// A `depends_on` entry (`types.ServiceDependency`). `required` always
/// prints.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceDependency {
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub condition: String,
    #[serde(
        default,
        deserialize_with = "super::de::boolean",
        skip_serializing_if = "is_zero"
    )]
    pub restart: bool,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
    #[serde(default, deserialize_with = "super::de::boolean")]
    pub required: bool,
}

/// `extends` (`types.ExtendsConfig`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtendsConfig {
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
    pub service: String,
}

/// `credential_spec` (`types.CredentialSpecConfig`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CredentialSpecConfig {
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub config: String,
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
    pub registry: String,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// A service's use of a model (`types.ServiceModelConfig`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceModelConfig {
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub endpoint_var: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub model_var: String,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

/// `depends_on`: a mapping of service name to dependency (a null entry is the
/// default dependency), or a list of names, each then meaning
/// `{condition: service_started, required: true}` as compose-go's canonical
/// transform writes it.
fn depends_on<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<IndexMap<String, ServiceDependency>, D::Error> {
    use serde::de::{self, MapAccess, SeqAccess, Visitor};
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = IndexMap<String, ServiceDependency>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a mapping or a list of service names")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(IndexMap::new())
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(IndexMap::new())
        }
        fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = IndexMap::new();
            while let Some(name) = seq.next_element::<String>()? {
                let dep = ServiceDependency {
                    condition: "service_started".into(),
                    required: true,
                    ..Default::default()
                };
                out.insert(name, dep);
            }
            Ok(out)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = IndexMap::new();
            while let Some(name) = map.next_key::<String>()? {
                let dep = map.next_value::<Option<ServiceDependency>>()?;
                out.insert(name, dep.unwrap_or_default());
            }
            Ok(out)
        }
    }
    d.deserialize_any(V)
}

/// `build`: a mapping, or a string meaning `{context: <string>}`.
fn build<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<BuildConfig>, D::Error> {
    use serde::de::{self, MapAccess, Visitor, value::MapAccessDeserializer};
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<BuildConfig>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a build mapping or a context path")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(BuildConfig {
                context: v.to_owned(),
                ..Default::default()
            }))
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            BuildConfig::deserialize(MapAccessDeserializer::new(map)).map(Some)
        }
    }
    d.deserialize_any(V)
}
