//! The label keys that tie engine objects to a Compose project.
//!
//! They are Docker Compose's own, so that `docker compose` sees what berth
//! created and berth can manage what Docker Compose created. berth's extras
//! live under `dev.berth.`.

pub const PROJECT: &str = "com.docker.compose.project";
pub const SERVICE: &str = "com.docker.compose.service";
pub const VERSION: &str = "com.docker.compose.version";
pub const WORKING_DIR: &str = "com.docker.compose.project.working_dir";
pub const CONFIG_FILES: &str = "com.docker.compose.project.config_files";
pub const ENVIRONMENT_FILE: &str = "com.docker.compose.project.environment_file";
pub const ONEOFF: &str = "com.docker.compose.oneoff";
pub const CONTAINER_NUMBER: &str = "com.docker.compose.container-number";
pub const CONFIG_HASH: &str = "com.docker.compose.config-hash";
pub const DEPENDS_ON: &str = "com.docker.compose.depends_on";
pub const IMAGE: &str = "com.docker.compose.image";
pub const REPLACE: &str = "com.docker.compose.replace";
pub const NETWORK: &str = "com.docker.compose.network";
pub const VOLUME: &str = "com.docker.compose.volume";

/// berth's digests of the spec of a container, network or volume (never a
/// value), so that a plan can name the key that changed; it also marks the
/// object as berth's.
pub const DIGESTS: &str = "dev.berth.digests";

/// The whole spec (JSON, values in clear) that earlier berth versions
/// wrote; only read, to compare the containers they made.
pub const SPEC: &str = "dev.berth.spec";

/// The Compose version berth writes in [`VERSION`]: the one whose behaviour it follows.
pub const COMPOSE_VERSION: &str = "2.40.3";
