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
pub const COMPOSE_PARALLEL_LIMIT: &str = "COMPOSE_PARALLEL_LIMIT";
pub const COMPOSE_PROGRESS: &str = "COMPOSE_PROGRESS";
pub const COMPOSE_ANSI: &str = "COMPOSE_ANSI";
/// True (`1`, `true`): progress goes to stdout instead of stderr.
pub const COMPOSE_STATUS_STDOUT: &str = "COMPOSE_STATUS_STDOUT";
pub const COMPOSE_IGNORE_ORPHANS: &str = "COMPOSE_IGNORE_ORPHANS";
pub const COMPOSE_REMOVE_ORPHANS: &str = "COMPOSE_REMOVE_ORPHANS";
/// `--compatibility`: Docker Compose v1 names (`project_service_1`).
pub const COMPOSE_COMPATIBILITY: &str = "COMPOSE_COMPATIBILITY";
/// berth's own: every failure exits 1, as Docker Compose's do.
pub const COMPOSE_COMPAT_EXIT: &str = "COMPOSE_COMPAT_EXIT";
pub const DOCKER_HOST: &str = "DOCKER_HOST";
pub const DOCKER_API_VERSION: &str = "DOCKER_API_VERSION";
pub const DOCKER_DEFAULT_PLATFORM: &str = "DOCKER_DEFAULT_PLATFORM";
/// False (`0`, `false`): build with the engine's classic builder, not BuildKit.
pub const DOCKER_BUILDKIT: &str = "DOCKER_BUILDKIT";
/// The directory of the docker CLI's `config.json` (registry credentials,
/// the current context) and of its contexts.
pub const DOCKER_CONFIG: &str = "DOCKER_CONFIG";
/// The docker CLI context naming the engine, when `DOCKER_HOST` is unset.
pub const DOCKER_CONTEXT: &str = "DOCKER_CONTEXT";
/// Set (to anything): talk TLS to a `tcp://` engine and check its certificate.
pub const DOCKER_TLS_VERIFY: &str = "DOCKER_TLS_VERIFY";
/// Set (to anything): TLS without checking the certificate (refused).
pub const DOCKER_TLS: &str = "DOCKER_TLS";
/// The directory of `ca.pem`, `cert.pem` and `key.pem` (default: the config directory).
pub const DOCKER_CERT_PATH: &str = "DOCKER_CERT_PATH";
/// Set by the docker CLI when it runs berth as its plugin (`docker berth`).
pub const DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: &str = "DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND";
/// The docker CLI's socket a plugin connects to; closed when it should stop.
pub const DOCKER_CLI_PLUGIN_SOCKET: &str = "DOCKER_CLI_PLUGIN_SOCKET";
/// Where credential helpers (`docker-credential-*`) are looked up.
pub const PATH: &str = "PATH";
/// Where berth keeps what it remembers between runs (when it last pulled an image).
pub const XDG_STATE_HOME: &str = "XDG_STATE_HOME";
/// `0`: watch syncs through the engine's archive API only, starting no
/// receiver (a shell kept running) in the containers.
pub const BERTH_WATCH_RECEIVER: &str = "BERTH_WATCH_RECEIVER";
