//! The typed Compose project that the rest of berth works with.
//!
//! The model mirrors compose-go's `types` package (v2.9.1, as used by Docker
//! Compose v2.40.3): same members, same JSON names, same omit-when-empty
//! rules, so that [`Project::to_json`] prints what `docker compose config
//! --format json` prints.
//!
//! Input is the loader's canonical model as JSON ([`Project::from_json`]):
//! the YAML after interpolation and Compose's canonical, defaults and
//! normalisation transforms, but with values in their raw forms (`50M`,
//! `1m30s`, a mode as the integer 288, numbers or booleans as strings). Every
//! printed form reads back too, so `from_json(p.to_json())` gives `p` back.
//!
//! Public API:
//! - [`Project::from_json`], [`Project::to_json`], [`Project::check_json`],
//!   [`ModelError`];
//! - the structures of a project ([`Service`], [`BuildConfig`],
//!   [`DeployConfig`], [`NetworkConfig`], ...);
//! - value types with Compose's parsing and printing: [`Duration`],
//!   [`UnitBytes`], [`FileMode`], [`UlimitsConfig`], [`EnvFile`],
//!   [`SshKey`], and the parsers [`parse_duration`], [`ram_in_bytes`],
//!   [`parse_shell_words`].

mod build;
mod de;
mod definitions;
mod deploy;
mod project;
mod ser;
mod service;
mod units;
mod values;

pub use crate::gocompat::go_sprint_float;
pub use build::BuildConfig;
pub use definitions::{
    ConfigObjConfig, FileObjectConfig, IpamConfig, IpamPool, ModelConfig, NetworkConfig,
    SecretConfig, VolumeConfig,
};
pub use deploy::{
    DeployConfig, DeviceRequest, DiscreteGenericResource, GenericResource, Placement,
    PlacementPreferences, Resource, Resources, RestartPolicy, UpdateConfig,
};
pub use project::{ModelError, Project};
pub use service::{
    BlkioConfig, CredentialSpecConfig, DevelopConfig, DeviceMapping, ExtendsConfig,
    HealthCheckConfig, LoggingConfig, Service, ServiceDependency, ServiceHook, ServiceModelConfig,
    ServiceNetworkConfig, ServicePortConfig, ServiceProviderConfig, ServiceVolumeBind,
    ServiceVolumeConfig, ServiceVolumeImage, ServiceVolumeTmpfs, ServiceVolumeVolume,
    ThrottleDevice, Trigger, WeightDevice,
};
pub use units::{Duration, FileMode, UnitBytes, parse_duration, ram_in_bytes};
pub use values::{
    EnvFile, FileReferenceConfig, SshKey, UlimitsConfig, hosts_as_list, parse_shell_words,
};
