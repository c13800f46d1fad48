//! Engine-neutral descriptions of the objects berth creates.
//!
//! A spec holds exactly what reaches the engine's create call, in a canonical
//! form: its JSON is both the config hash berth stores on the object and the
//! record a later plan diffs against to say which key changed. Every field is
//! left out of the JSON when empty, so adding a field to a spec does not
//! change the hash of objects that don't use it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

fn is_false(b: &bool) -> bool {
    !*b
}

/// The canonical JSON of a spec, and its SHA-256 in hex.
pub fn canonical_json<T: Serialize>(spec: &T) -> (String, String) {
    let json = serde_json::to_string(spec).unwrap_or_default();
    let hex = crate::digest::sha256_hex(json.as_bytes());
    (json, hex)
}

/// One replica of a service, as berth asks the engine to create it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContainerSpec {
    /// The spec format; bumped when the meaning of a field changes.
    pub version: u32,
    pub image: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, String>,
    /// Variables listed without a value and unset around: sent bare, which
    /// makes the engine drop the image's value, as Docker Compose does.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unset_environment: Vec<String>,
    /// The user's labels; Compose's own are in `identity_labels`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<PortSpec>,
    /// `expose` entries as written (`port[/protocol]`, ranges too); the
    /// published ports are added at create.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expose: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mounts: Vec<MountSpec>,
    /// `none`, `host`, `container:<id>`...; empty when the container joins `networks`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub network_mode: String,
    /// The networks to join, the primary one first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub networks: Vec<NetworkAttachment>,
    /// `service[:mode]` or `container:name[:mode]`; a service is resolved to
    /// its first replica at create, so a recreated parent does not change this.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes_from: Vec<String>,
    /// `service:alias` links to the project's services, resolved to their
    /// replicas' names at create.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
    /// `container[:alias]` links to containers outside the project.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub external_links: Vec<String>,
    /// IPC namespace: `host`, `shareable`, `container:name`, `service:x` (resolved at create)...
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ipc: String,
    /// PID namespace: `host`, `container:name`, `service:x` (resolved at create).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pid: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub hostname: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub domainname: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub user: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub working_dir: String,
    #[serde(skip_serializing_if = "is_false")]
    pub tty: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub stdin_open: bool,
    /// Standard input closes when the attached client closes it (`run`).
    #[serde(skip_serializing_if = "is_false")]
    pub stdin_once: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub privileged: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub read_only: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init: Option<bool>,
    /// `None` for the engine's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart: Option<Restart>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stop_signal: String,
    /// Seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_timeout: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<HealthSpec>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cap_add: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cap_drop: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns: Vec<String>,
    /// `host:ip` entries.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_hosts: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub sysctls: BTreeMap<String, String>,
    /// Mount point → options.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tmpfs: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ulimits: Vec<UlimitSpec>,
    #[serde(skip_serializing_if = "ResourceSpec::is_empty")]
    pub resources: ResourceSpec,
    // Devices, namespaces, security and runtime (issue 4).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<DeviceSpec>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_cgroup_rules: Vec<String>,
    /// `gpus`, then `deploy.resources.reservations.devices`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_requests: Vec<DeviceRequestSpec>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub uts: String,
    /// The cgroup namespace: `host` or `private`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cgroupns: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cgroup_parent: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub userns_mode: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub group_add: Vec<String>,
    /// As the engine takes them: a seccomp profile is its compacted JSON.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub security_opt: Vec<String>,
    /// `security_opt: systempaths=unconfined`: no masked or read-only paths.
    #[serde(skip_serializing_if = "is_false")]
    pub unconfined_paths: bool,
    /// `os/arch[/variant]`, for the create call's query.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub platform: String,
    /// `DOCKER_DEFAULT_PLATFORM` when `platform` is unset: images are pulled
    /// and containers created for it, as with Docker Compose, but it is no
    /// part of the config hash, so setting it recreates nothing.
    #[serde(skip)]
    pub default_platform: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub mac_address: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_opt: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_search: Vec<String>,
    #[serde(skip_serializing_if = "is_zero")]
    pub oom_score_adj: i64,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub storage_opt: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub isolation: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub runtime: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logging: Option<LoggingSpec>,
    /// Secrets and configs copied in before each start.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileSpec>,

    /// Compose's labels for this replica (project, service, number...); not hashed.
    #[serde(skip)]
    pub identity_labels: BTreeMap<String, String>,
}

/// A published port.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(default)]
pub struct PortSpec {
    pub target: u32,
    pub protocol: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub host_ip: String,
    /// A host port, a range `8000-8010`, or empty for an ephemeral one.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub published: String,
}

/// When the engine restarts a container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestartPolicy {
    No,
    Always,
    UnlessStopped,
    /// After a non-zero exit; at most `max_retries` times when set.
    OnFailure {
        max_retries: Option<i64>,
    },
}

impl RestartPolicy {
    /// Reads `restart:` as Docker does: the policy before a `:`, a count
    /// after it (kept for `on-failure` only, and only when it is a number).
    /// `None` for a policy Docker does not know.
    pub fn parse(text: &str) -> Option<RestartPolicy> {
        let (name, count) = text.split_once(':').unwrap_or((text, ""));
        Some(match name {
            "no" => RestartPolicy::No,
            "always" => RestartPolicy::Always,
            "unless-stopped" => RestartPolicy::UnlessStopped,
            "on-failure" => RestartPolicy::OnFailure {
                max_retries: count.parse().ok(),
            },
            _ => return None,
        })
    }
}

impl std::fmt::Display for RestartPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RestartPolicy::No => f.write_str("no"),
            RestartPolicy::Always => f.write_str("always"),
            RestartPolicy::UnlessStopped => f.write_str("unless-stopped"),
            RestartPolicy::OnFailure { max_retries: None } => f.write_str("on-failure"),
            RestartPolicy::OnFailure {
                max_retries: Some(n),
            } => write!(f, "on-failure:{n}"),
        }
    }
}

/// A container's restart policy with the words it was written in. The
/// spec's JSON, and so the config hash on every container, holds those
/// words: a spelling Docker reads leniently (`on-failure:03`, an unknown
/// policy, which the engine gets as `no`) hashes as it always did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub struct Restart {
    pub policy: RestartPolicy,
    written: String,
}

impl From<RestartPolicy> for Restart {
    fn from(policy: RestartPolicy) -> Self {
        Restart {
            policy,
            written: policy.to_string(),
        }
    }
}

impl From<String> for Restart {
    fn from(written: String) -> Self {
        Restart {
            policy: RestartPolicy::parse(&written).unwrap_or(RestartPolicy::No),
            written,
        }
    }
}

impl From<Restart> for String {
    fn from(restart: Restart) -> Self {
        restart.written
    }
}

/// What a mount is; written as the engine's mount types are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MountKind {
    Bind,
    #[default]
    Volume,
    Tmpfs,
}

impl MountKind {
    /// The kind of a `volumes` entry's `type`, or of a mount the engine
    /// reports, if berth can mount it.
    pub fn parse(kind: &str) -> Option<MountKind> {
        match kind {
            "bind" => Some(MountKind::Bind),
            "volume" => Some(MountKind::Volume),
            "tmpfs" => Some(MountKind::Tmpfs),
            _ => None,
        }
    }
}

/// A mount: bind, volume or tmpfs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MountSpec {
    pub kind: MountKind,
    /// Host path for binds, engine volume name for volumes; empty for an anonymous volume.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub source: String,
    pub target: String,
    #[serde(skip_serializing_if = "is_false")]
    pub read_only: bool,
    /// Propagation of a bind; for a named volume, an option of its `Binds` entry.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub propagation: String,
    /// For binds: the engine creates a missing host directory. Set for
    /// binds without `bind` options too, which Docker Compose sends in the
    /// `Binds` list.
    #[serde(skip_serializing_if = "is_false")]
    pub create_host_path: bool,
    /// SELinux relabelling, `z` or `Z`; only the `Binds` list can ask for
    /// it, so it is dropped from a mount that needs the mount API.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub selinux: String,
    /// `bind.recursive`: `enabled`, `disabled`, `writable` or `readonly`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub recursive: String,
    #[serde(skip_serializing_if = "is_false")]
    pub nocopy: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subpath: String,
    /// Labels of a volume the mount creates.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub volume_labels: BTreeMap<String, String>,
    /// Bytes, for tmpfs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tmpfs_size: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tmpfs_mode: Option<u32>,
}

/// A network the container joins.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NetworkAttachment {
    /// The engine's name of the network.
    pub network: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ipv4_address: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ipv6_address: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub link_local_ips: Vec<String>,
    /// Honoured by the engine from API 1.44.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub mac_address: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub driver_opts: BTreeMap<String, String>,
    /// Which network gives the default gateway; API 1.48.
    #[serde(skip_serializing_if = "is_zero")]
    pub gw_priority: i64,
    /// The interface's name in the container; API 1.49.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub interface_name: String,
}

/// The health check; durations in nanoseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HealthSpec {
    pub test: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_period: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_interval: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UlimitSpec {
    pub name: String,
    pub soft: i64,
    pub hard: i64,
}

/// Resource limits; zero means unset.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResourceSpec {
    #[serde(skip_serializing_if = "is_zero")]
    pub memory: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub memory_reservation: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub nano_cpus: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub shm_size: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub pids_limit: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub cpu_count: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub cpu_percent: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub cpu_shares: i64,
    /// Microseconds.
    #[serde(skip_serializing_if = "is_zero")]
    pub cpu_period: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub cpu_quota: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub cpu_rt_period: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub cpu_rt_runtime: i64,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cpuset: String,
    /// Memory plus swap; -1 for unlimited swap.
    #[serde(skip_serializing_if = "is_zero")]
    pub memory_swap: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub memory_swappiness: i64,
    #[serde(skip_serializing_if = "is_false")]
    pub oom_kill_disable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blkio: Option<BlkioSpec>,
}

/// `blkio_config`; rates in bytes or operations per second.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BlkioSpec {
    #[serde(skip_serializing_if = "is_zero_u16")]
    pub weight: u16,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub weight_device: Vec<WeightDeviceSpec>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_read_bps: Vec<ThrottleSpec>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_write_bps: Vec<ThrottleSpec>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_read_iops: Vec<ThrottleSpec>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_write_iops: Vec<ThrottleSpec>,
}

fn is_zero_u16(n: &u16) -> bool {
    *n == 0
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WeightDeviceSpec {
    pub path: String,
    pub weight: u16,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ThrottleSpec {
    pub path: String,
    pub rate: i64,
}

/// A host device made available in the container.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DeviceSpec {
    pub source: String,
    pub target: String,
    /// cgroup permissions, e.g. `rwm`.
    pub permissions: String,
}

/// A request for devices from a driver (GPUs, CDI devices).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeviceRequestSpec {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub driver: String,
    /// -1 for all.
    #[serde(skip_serializing_if = "is_zero")]
    pub count: i64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_ids: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub capabilities: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

impl ContainerSpec {
    /// The platform to pull and create for: the file's, else the default.
    pub fn platform_to_use(&self) -> &str {
        if self.platform.is_empty() {
            &self.default_platform
        } else {
            &self.platform
        }
    }
}

impl ResourceSpec {
    pub fn is_empty(&self) -> bool {
        *self == ResourceSpec::default()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoggingSpec {
    pub driver: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

/// A file copied into the container: a secret or config whose content is
/// not a file on the host. Only a digest of the content is hashed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FileSpec {
    pub path: String,
    pub digest: String,
    pub uid: u64,
    pub gid: u64,
    pub mode: u32,
    #[serde(skip)]
    pub content: Vec<u8>,
}

/// A network berth creates.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NetworkSpec {
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub driver: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub driver_opts: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "is_false")]
    pub internal: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub attachable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_ipv6: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipam: Option<IpamSpec>,
    /// API 1.47; only `false` changes anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_ipv4: Option<bool>,
    /// Compose's labels (project, network key, hash); not hashed.
    #[serde(skip)]
    pub identity_labels: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IpamSpec {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub driver: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub config: Vec<IpamPoolSpec>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IpamPoolSpec {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subnet: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ip_range: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub gateway: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub aux_addresses: BTreeMap<String, String>,
}

/// A volume berth creates.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VolumeSpec {
    pub name: String,
    /// `local` when the file names none.
    pub driver: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub driver_opts: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Compose's labels (project, volume key, hash); not hashed.
    #[serde(skip)]
    pub identity_labels: BTreeMap<String, String>,
}
