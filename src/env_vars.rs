//! Every environment variable berth reads, in one place.

pub const COMPOSE_FILE: &str = "COMPOSE_FILE";
pub const COMPOSE_PATH_SEPARATOR: &str = "COMPOSE_PATH_SEPARATOR";
pub const COMPOSE_PROJECT_NAME: &str = "COMPOSE_PROJECT_NAME";
pub const COMPOSE_PROFILES: &str = "COMPOSE_PROFILES";
pub const COMPOSE_ENV_FILES: &str = "COMPOSE_ENV_FILES";
pub const COMPOSE_DISABLE_ENV_FILE: &str = "COMPOSE_DISABLE_ENV_FILE";
pub const NO_COLOR: &str = "NO_COLOR";
pub const PWD: &str = "PWD";
pub const HOME: &str = "HOME";
