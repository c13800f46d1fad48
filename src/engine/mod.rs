//! The Docker Engine, seen through the few operations berth needs.
//!
//! [`Engine`] is the only door to the daemon: the planner works on what
//! [`crate::reconcile::observe`] read through it, and the executor calls its
//! other methods.
//! [`docker::DockerEngine`] implements it with bollard.

pub mod buildkit;
pub mod docker;
pub mod dryrun;
pub mod endpoint;
#[cfg(test)]
pub mod fake;
pub mod image;
pub mod intent;
pub mod labels;
pub mod podman;
pub mod spec;
pub mod ssh;
pub mod swarm;
pub mod wire;

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;

use futures_util::stream::BoxStream;

pub use image::{BuildOutput, BuildSpec, ImageInfo, RegistryAuth, Transfer};
pub use spec::{ContainerSpec, NetworkSpec, VolumeSpec};

/// An engine API version such as 1.41, ordered for feature gates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ApiVersion {
    pub major: u32,
    pub minor: u32,
}

impl ApiVersion {
    /// The oldest API berth supports (Docker Engine 20.10).
    pub const FLOOR: ApiVersion = ApiVersion::new(1, 41);
    /// From 1.44 a container can be created on several networks at once.
    pub const MULTI_NETWORK_CREATE: ApiVersion = ApiVersion::new(1, 44);
    /// From 1.41 the create call takes the platform to create for.
    pub const CREATE_PLATFORM: ApiVersion = ApiVersion::new(1, 41);
    /// From 1.43 (Docker 23.0) a container carries OCI annotations.
    pub const ANNOTATIONS: ApiVersion = ApiVersion::new(1, 43);
    /// From 1.44 (Docker 25.0) a health check has a start interval.
    pub const START_INTERVAL: ApiVersion = ApiVersion::new(1, 44);
    /// From 1.44 an endpoint's `MacAddress` is honoured at create and connect.
    pub const ENDPOINT_MAC_ADDRESS: ApiVersion = ApiVersion::new(1, 44);
    /// Docker Engine 25 (API 1.44) is the first to resolve CDI device names.
    pub const CDI_DEVICES: ApiVersion = ApiVersion::new(1, 44);
    /// From 1.44 a bind can be made recursively read-only
    /// (`bind.recursive: readonly`).
    pub const BIND_RECURSIVE_READ_ONLY: ApiVersion = ApiVersion::new(1, 44);
    /// From 1.45 a volume mount can mount a subpath of the volume.
    pub const VOLUME_SUBPATH: ApiVersion = ApiVersion::new(1, 45);
    /// From 1.47 a network can be created without IPv4 (`EnableIPv4: false`).
    pub const DISABLE_IPV4: ApiVersion = ApiVersion::new(1, 47);
    /// From 1.48 an endpoint has a `GwPriority`.
    pub const GW_PRIORITY: ApiVersion = ApiVersion::new(1, 48);
    /// From 1.49 the engine names the interface after the endpoint's
    /// `com.docker.network.endpoint.ifname` driver option.
    pub const INTERFACE_NAME: ApiVersion = ApiVersion::new(1, 49);

    pub const fn new(major: u32, minor: u32) -> Self {
        ApiVersion { major, minor }
    }

    /// Parses `1.41` (with or without a leading `v`).
    pub fn parse(text: &str) -> Option<Self> {
        let (major, minor) = text.trim().trim_start_matches('v').split_once('.')?;
        Some(ApiVersion::new(major.parse().ok()?, minor.parse().ok()?))
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Why an engine call failed.
#[derive(Clone, Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot connect to the Docker Engine at {host}: {reason}")]
    Unreachable {
        host: String,
        reason: String,
        hint: String,
    },
    /// The engine answered once, then went away: its connection closed or
    /// refused, mid-call or between calls.
    #[error("lost the connection to the Docker Engine at {host}: {reason}")]
    Lost { host: String, reason: String },
    /// No engine could be chosen: a missing context, TLS files, an address
    /// berth has no transport for.
    #[error("{0}")]
    Endpoint(#[from] endpoint::EndpointError),
    #[error("the Docker Engine speaks API {found}, older than the {floor} berth needs")]
    TooOld {
        found: ApiVersion,
        floor: ApiVersion,
    },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// A network the engine will not remove though no container is attached.
    #[error("{0}")]
    StaleNetwork(String),
    /// What a dry run cannot pretend to do (an interactive exec, a copy).
    #[error("{0}")]
    NotInDryRun(String),
    /// The engine refused the call (any status but 404 and 409), or a
    /// stream it sent (a build's, a pull's) ended in an error: its words.
    #[error("{0}")]
    Refused(String),
    /// The call failed on berth's side, before or after the engine: an
    /// answer bollard could not read, a request it could not make.
    #[error("{0}")]
    Client(String),
    #[error(
        "{} must look like 1.41, not {value:?}",
        crate::env_vars::DOCKER_API_VERSION
    )]
    BadApiVersion { value: String },
    #[error("{0}")]
    SshAddress(#[from] ssh::SshAddressError),
    #[error("bad request path {path}: {reason}")]
    BadRequestPath { path: String, reason: String },
    #[error("cannot read the engine's answer to GET {path}: {reason}")]
    UnreadableAnswer { path: String, reason: String },
    #[error("the engine did not tell its API version")]
    NoApiVersion,
    #[error("the registry gave no digest for {reference}")]
    NoDigest { reference: String },
    #[error("the engine stopped reporting on container {id}")]
    NoExitCode { id: String },
    #[error("no stats for container {id}")]
    NoStats { id: String },
    /// The engine ended its event stream though it still answers, each
    /// time berth subscribed again.
    #[error("{why}, {times} times in a row")]
    EventsEnded { why: String, times: u32 },
    /// berth's feed of the engine's events is gone (or was never opened).
    #[error("the engine's event stream ended")]
    EventFeedEnded,
    #[error("no event stream")]
    NoEventFeed,
    /// The archive of files to copy into a container could not be made.
    #[error("cannot pack {path}: {reason}")]
    Pack { path: String, reason: String },
    /// The archive of files to copy in could not be finished.
    #[error("{0}")]
    Archive(String),
    /// A copy into a container whose destination is not a directory.
    #[error("{path} is not a directory")]
    NotADirectory { path: String },
    #[error("service version {version} out of range")]
    ServiceVersion { version: u64 },
    /// A command berth ran in a container to do its own work exited non-zero.
    #[error("{command} exited with {code}: {output}")]
    CommandFailed {
        command: String,
        code: i64,
        output: String,
    },
}

impl EngineError {
    /// A hint that tells the user how to fix the error, when there is one.
    pub fn hint(&self) -> Option<&str> {
        match self {
            EngineError::Unreachable { hint, .. } => Some(hint),
            EngineError::Endpoint(e) => Some(&e.hint),
            EngineError::TooOld { .. } => Some("upgrade Docker to 20.10 or newer"),
            EngineError::Lost { .. } => Some(
                "the engine stopped or restarted (or a proxy in between went away): check that \
                 it runs (`docker info`), then run the command again",
            ),
            EngineError::StaleNetwork(_) => Some(
                "no container is attached to it: the engine's count of its endpoints went wrong \
                 (a Docker Engine 20.10 bug, moby/moby#43286). Restarting the Docker daemon \
                 lets it go; until then `up` reuses the network as it is",
            ),
            _ => None,
        }
    }
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;

/// The life-cycle state of a container, as the engine reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    #[default]
    Created,
    Running,
    Paused,
    Restarting,
    Removing,
    Exited,
    Dead,
}

/// A container of a project, from the list call.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Container {
    pub id: String,
    /// Without the leading `/`.
    pub name: String,
    pub state: RunState,
    /// The exit code of an exited container (from the list call's status text).
    pub exit_code: Option<i64>,
    pub labels: BTreeMap<String, String>,
    pub image_id: String,
    /// Network name → network ID, for the networks it is connected to.
    pub networks: BTreeMap<String, String>,
    pub mounts: Vec<Mount>,
    /// Unix seconds.
    pub created: i64,
    /// What `ps` shows and the planner does not read.
    pub display: ContainerDisplay,
}

/// How a container presents itself in listings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContainerDisplay {
    /// The image as it was named at create.
    pub image: String,
    /// The command line it runs.
    pub command: String,
    /// The engine's status text: `Up 2 minutes (healthy)`, `Exited (3) 1 second ago`.
    pub status: String,
    pub ports: Vec<PortMapping>,
}

/// A port a container exposes, and where the host publishes it.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct PortMapping {
    /// Host address; empty when the port is only exposed.
    pub ip: String,
    pub public: Option<u16>,
    pub private: u16,
    pub protocol: String,
}

impl Container {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(String::as_str)
    }

    /// The service label, or an empty string.
    pub fn service(&self) -> &str {
        self.label(labels::SERVICE).unwrap_or_default()
    }

    /// The replica number, or 0 when the label is missing or not a number.
    pub fn number(&self) -> u32 {
        self.label(labels::CONTAINER_NUMBER)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }

    pub fn is_oneoff(&self) -> bool {
        self.label(labels::ONEOFF)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }
}

/// A mount of a container.
#[derive(Clone, Debug, PartialEq)]
pub struct Mount {
    /// `None` for a type berth does not make (`npipe`, `cluster`, `image`)
    /// or an engine that does not say.
    pub kind: Option<spec::MountKind>,
    /// The volume's name for volume mounts, empty otherwise.
    pub name: String,
    pub source: String,
    pub destination: String,
}

/// A network, from the list or inspect call.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    pub id: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
}

/// A volume, from the list or inspect call.
#[derive(Clone, Debug, PartialEq)]
pub struct Volume {
    pub name: String,
    pub driver: String,
    pub labels: BTreeMap<String, String>,
    /// Where the engine keeps its data on the host.
    pub mountpoint: String,
    /// `local` or `global`.
    pub scope: String,
}

/// Health as reported by the engine's health check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    Starting,
    Healthy,
    Unhealthy,
}

/// A container's state from the inspect call: what waits need.
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerStatus {
    pub state: RunState,
    pub exit_code: i64,
    /// `None` when the container has no health check.
    pub health: Option<Health>,
    /// The output of the last health probe, for error reports.
    pub last_probe: Option<String>,
    /// Whether it runs on a pseudo-terminal.
    pub tty: bool,
    /// When it last stopped, as the engine writes it (RFC 3339); empty or
    /// the zero time when it never did.
    pub finished_at: String,
    /// The user its processes run as (`user:` or the image's `USER`);
    /// empty for root by default.
    pub user: String,
}

/// What happened to a container, from the engine's event stream.
#[derive(Clone, Debug, PartialEq)]
pub enum ContainerEvent {
    Started,
    Died { exit_code: i64 },
    Health(Health),
    Destroyed,
}

/// One event of the engine's event stream about a container of the project.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub container_id: String,
    pub what: ContainerEvent,
}

/// One event of the engine about a container, as it reported it.
#[derive(Clone, Debug, PartialEq)]
pub struct Activity {
    /// Nanoseconds since the Unix epoch.
    pub time_nano: i64,
    /// `create`, `start`, `die`, `exec_start: sh`...
    pub action: String,
    pub container_id: String,
    /// The container's labels, `name`, `image`, `exitCode`...
    pub attributes: BTreeMap<String, String>,
}

/// What a container uses of the host, from one sample of the engine's stats.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Usage {
    /// Of one CPU: 200.0 is two CPUs busy.
    pub cpu_percent: f64,
    /// Memory in use, without the inactive page cache (as `docker stats`).
    pub memory: u64,
    pub memory_limit: u64,
    pub net_rx: u64,
    pub net_tx: u64,
    pub block_read: u64,
    pub block_write: u64,
    pub pids: u64,
}

/// A command to run in a running container.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExecSpec {
    pub command: Vec<String>,
    /// `KEY=value` entries.
    pub env: Vec<String>,
    pub user: String,
    pub working_dir: String,
    pub privileged: bool,
    pub tty: bool,
    pub detach: bool,
}

/// Runs `spec` (attached, without a TTY) in the running container `id`
/// until it ends: its exit code and its output, both streams together.
pub async fn exec_to_end<E: Engine>(
    engine: &E,
    id: &str,
    spec: &ExecSpec,
) -> Result<(i64, Vec<u8>)> {
    use futures_util::StreamExt;
    let session = engine.exec(id, spec).await?;
    let mut output = Vec::new();
    if let Some(mut stream) = session.output {
        while let Some(chunk) = stream.next().await {
            output.extend_from_slice(&chunk?.bytes);
        }
    }
    let exit_code = engine.exec_exit_code(&session.id).await?;
    Ok((exit_code, output))
}

/// A started exec, or a container attached to: its ID and, when attached,
/// its output and input.
pub struct Session {
    pub id: String,
    pub output: Option<BoxStream<'static, Result<LogChunk>>>,
    pub input: Option<std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>>>,
}

impl From<&spec::FileSpec> for FileCopy {
    fn from(file: &spec::FileSpec) -> Self {
        FileCopy {
            path: file.path.clone(),
            content: file.content.clone(),
            uid: file.uid,
            gid: file.gid,
            mode: file.mode,
        }
    }
}

/// How to attach to a container's standard streams.
#[derive(Clone, Debug, PartialEq)]
pub struct AttachOptions {
    /// Its standard input too.
    pub stdin: bool,
    /// Keys that detach (such as `ctrl-p,ctrl-q`); the engine's default when `None`.
    pub detach_keys: Option<String>,
}

impl Default for AttachOptions {
    fn default() -> Self {
        AttachOptions {
            stdin: true,
            detach_keys: None,
        }
    }
}

/// What part of a container's output to read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LogOptions {
    pub follow: bool,
    /// `all`, or how many lines back to start.
    pub tail: Option<String>,
    /// Unix seconds.
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub timestamps: bool,
}

/// A piece of a container's output, as the engine sent it.
#[derive(Clone, Debug, PartialEq)]
pub struct LogChunk {
    /// Written to its standard error (never for a container with a TTY).
    pub stderr: bool,
    pub bytes: bytes::Bytes,
}

/// A file to copy into a container before it starts (secrets and configs
/// that come from the environment or inline content).
#[derive(Clone, Debug, PartialEq)]
pub struct FileCopy {
    pub path: String,
    pub content: Vec<u8>,
    pub uid: u64,
    pub gid: u64,
    pub mode: u32,
}

/// What `commit` records in the image it makes of a container.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CommitSpec {
    /// The image's repository; empty for an image without a name.
    pub repository: String,
    /// Its tag; empty for `latest` (or none without a repository).
    pub tag: String,
    pub author: String,
    pub message: String,
    /// Dockerfile instructions (`ENV A=b`, `CMD ["sh"]`) applied to the image.
    pub changes: Vec<String>,
    /// Pause the container while it is committed.
    pub pause: bool,
}

/// A container just created.
#[derive(Clone, Debug, PartialEq)]
pub struct Created {
    pub id: String,
    /// What the engine did not apply, in its words (a kernel without
    /// Block I/O weight, a Windows-only setting on Linux...).
    pub warnings: Vec<String>,
}

/// The operations of the Docker Engine that berth uses.
///
/// Every method is idempotent where the engine allows it: creating what
/// exists reports [`EngineError::Conflict`], and removing what is already
/// gone succeeds.
pub trait Engine: Clone + Send + Sync + 'static {
    /// Whether this engine only pretends to change things (`--dry-run`, see
    /// [`dryrun::DryRun`]): what berth would write on the host is not
    /// written either.
    fn dry_run(&self) -> bool {
        false
    }

    /// The API version berth speaks with this engine (read on first need).
    fn api_version(&self) -> impl Future<Output = Result<ApiVersion>> + Send;

    /// The engine's `os/arch`, such as `linux/amd64`.
    fn platform(&self) -> impl Future<Output = Result<String>> + Send;

    /// Every container of `project` (one-offs included), in one call.
    fn list_containers(&self, project: &str)
    -> impl Future<Output = Result<Vec<Container>>> + Send;
    /// Every container of every Compose project on this engine, in one call.
    fn list_all_projects(&self) -> impl Future<Output = Result<Vec<Container>>> + Send;
    /// Every network labelled with `project`, in one call.
    fn list_networks(&self, project: &str) -> impl Future<Output = Result<Vec<Network>>> + Send;
    /// Every volume labelled with `project`, in one call.
    fn list_volumes(&self, project: &str) -> impl Future<Output = Result<Vec<Volume>>> + Send;
    /// The network with exactly this name or ID, if any.
    fn find_network(&self, name: &str) -> impl Future<Output = Result<Option<Network>>> + Send;
    /// The volume with exactly this name, if any.
    fn find_volume(&self, name: &str) -> impl Future<Output = Result<Option<Volume>>> + Send;
    /// The ID of the local image behind `reference`, if it exists.
    fn image_id(&self, reference: &str) -> impl Future<Output = Result<Option<String>>> + Send;
    /// The local image behind `reference`, if it exists.
    fn inspect_image(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<ImageInfo>>> + Send;
    /// Every image labelled with `project` (the ones berth built), in one call.
    fn list_project_images(
        &self,
        project: &str,
    ) -> impl Future<Output = Result<Vec<ImageInfo>>> + Send;
    /// Pulls `reference` from its registry for `platform` (`os/arch`; the
    /// engine's when empty), telling `progress` the bytes so far, and
    /// returns the local image ID.
    fn pull_image(
        &self,
        reference: &str,
        platform: &str,
        auth: Option<&RegistryAuth>,
        progress: &(dyn Fn(Transfer) + Send + Sync),
    ) -> impl Future<Output = Result<String>> + Send;
    /// The digest of the manifest `reference` names in its registry. The
    /// engine asks the registry (`GET /distribution/{name}/json`), with its
    /// own TLS and insecure-registry settings and `auth` as credentials.
    fn registry_digest(
        &self,
        reference: &str,
        auth: Option<&RegistryAuth>,
    ) -> impl Future<Output = Result<String>> + Send;
    /// Pushes `reference` to its registry, telling `progress` the bytes so far.
    fn push_image(
        &self,
        reference: &str,
        auth: Option<&RegistryAuth>,
        progress: &(dyn Fn(Transfer) + Send + Sync),
    ) -> impl Future<Output = Result<()>> + Send;
    /// Builds an image from `context`, a tar archive, with BuildKit or the
    /// classic builder (`spec.buildkit`); the stream ends with the image's
    /// ID or an error.
    fn build_image(
        &self,
        spec: &BuildSpec,
        context: BoxStream<'static, std::io::Result<bytes::Bytes>>,
    ) -> BoxStream<'static, Result<BuildOutput>>;
    /// Gives the image `image` (a name or ID) the name `reference` too.
    fn tag_image(&self, image: &str, reference: &str) -> impl Future<Output = Result<()>> + Send;
    /// Removes the name `reference` (and the image, when it was its last
    /// name and no container uses it); `false` when there was no such image.
    fn remove_image(&self, reference: &str) -> impl Future<Output = Result<bool>> + Send;
    /// Removes the project's images that lost their last name (a rebuild
    /// took it) and that no container uses; returns how many.
    fn prune_dangling_images(&self, project: &str) -> impl Future<Output = Result<usize>> + Send;

    fn create_network(&self, spec: &NetworkSpec) -> impl Future<Output = Result<String>> + Send;
    /// Fails with [`EngineError::Conflict`] while containers are connected to it,
    /// with [`EngineError::StaleNetwork`] when the engine only believes so.
    fn remove_network(&self, id: &str) -> impl Future<Output = Result<()>> + Send;
    fn create_volume(&self, spec: &VolumeSpec) -> impl Future<Output = Result<()>> + Send;
    fn remove_volume(&self, name: &str) -> impl Future<Output = Result<()>> + Send;

    /// Creates the container `name` and connects it to all of its networks,
    /// where it answers to `network_name`: its own name, or for a recreate
    /// (created under a temporary name, renamed once the old one is gone) the
    /// name it will have.
    fn create_container(
        &self,
        name: &str,
        network_name: &str,
        spec: &ContainerSpec,
    ) -> impl Future<Output = Result<Created>> + Send;
    fn start_container(&self, id: &str) -> impl Future<Output = Result<()>> + Send;
    /// Stops with the given grace period (the container's own when `None`).
    fn stop_container(
        &self,
        id: &str,
        timeout: Option<i64>,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Removes it by force; with `volumes`, its anonymous volumes too.
    fn remove_container(&self, id: &str, volumes: bool) -> impl Future<Output = Result<()>> + Send;
    fn rename_container(&self, id: &str, name: &str) -> impl Future<Output = Result<()>> + Send;
    fn kill_container(&self, id: &str, signal: &str) -> impl Future<Output = Result<()>> + Send;
    fn pause_container(&self, id: &str) -> impl Future<Output = Result<()>> + Send;
    fn unpause_container(&self, id: &str) -> impl Future<Output = Result<()>> + Send;
    /// Joins the container `id` (named `name`) to `network` with `attachment`'s
    /// aliases and addresses; joining a network it is already on succeeds.
    fn connect_network(
        &self,
        network: &str,
        id: &str,
        name: &str,
        attachment: &spec::NetworkAttachment,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Takes the container `id` off `network` by force; leaving a network it
    /// is not on, or that is gone, succeeds.
    fn disconnect_network(
        &self,
        network: &str,
        id: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    fn inspect_status(&self, id: &str) -> impl Future<Output = Result<ContainerStatus>> + Send;
    /// Writes files into a created container.
    fn copy_files(&self, id: &str, files: &[FileCopy]) -> impl Future<Output = Result<()>> + Send;
    /// A tar archive of `path` in the container `id` (a file, a directory
    /// or a link, under its own name).
    fn download(&self, id: &str, path: &str) -> impl Future<Output = Result<Vec<u8>>> + Send;
    /// Extracts the tar `archive` into the directory `dir` of the container
    /// `id` (running or not); the files belong to the container's root, or
    /// with `owned` to its user. A `dir` that is missing is
    /// [`EngineError::NotFound`].
    fn upload(
        &self,
        id: &str,
        dir: &str,
        archive: bytes::Bytes,
        owned: bool,
    ) -> impl Future<Output = Result<()>> + Send;
    /// The filesystem of the container `id` as a tar archive, as it comes.
    fn export_container(&self, id: &str) -> BoxStream<'static, Result<bytes::Bytes>>;
    /// Makes an image of the container `id`; returns the image's ID.
    fn commit_container(
        &self,
        id: &str,
        spec: &CommitSpec,
    ) -> impl Future<Output = Result<String>> + Send;
    /// The processes running in a container: the column titles, and a row each.
    fn top(&self, id: &str)
    -> impl Future<Output = Result<(Vec<String>, Vec<Vec<String>>)>> + Send;
    /// One sample of what the container `id` uses (the engine takes about a
    /// second to measure its CPU).
    fn usage(&self, id: &str) -> impl Future<Output = Result<Usage>> + Send;
    /// The last lines of a container's output, for error reports.
    fn tail_logs(&self, id: &str, lines: usize) -> impl Future<Output = Result<String>> + Send;
    /// Runs a command in the running container `id`. Attached, the session
    /// carries the command's output and takes its input; detached, it only
    /// names the exec.
    fn exec(&self, id: &str, spec: &ExecSpec) -> impl Future<Output = Result<Session>> + Send;
    /// Attaches to the standard streams of the created container `id`,
    /// before it starts, so that none of its output is missed.
    fn attach_container(
        &self,
        id: &str,
        options: &AttachOptions,
    ) -> impl Future<Output = Result<Session>> + Send;
    /// Waits until the container `id` stops; its exit code.
    fn wait_container(&self, id: &str) -> impl Future<Output = Result<i64>> + Send;
    /// Sets the size of a container's terminal.
    fn resize_container(
        &self,
        id: &str,
        rows: u16,
        cols: u16,
    ) -> impl Future<Output = Result<()>> + Send;
    /// The exit code of a finished exec.
    fn exec_exit_code(&self, exec: &str) -> impl Future<Output = Result<i64>> + Send;
    /// Sets the size of an exec's terminal.
    fn resize_exec(
        &self,
        exec: &str,
        rows: u16,
        cols: u16,
    ) -> impl Future<Output = Result<()>> + Send;
    /// A container's output as it comes, from its start (or `tail` lines
    /// back) and, with `follow`, on until the container stops.
    fn logs(&self, id: &str, options: &LogOptions) -> BoxStream<'static, Result<LogChunk>>;

    /// Container events of `project` from now on. The stream is already
    /// subscribed when the future resolves, so nothing after it is missed.
    fn events(
        &self,
        project: &str,
    ) -> impl Future<Output = Result<BoxStream<'static, Result<Event>>>> + Send;

    /// Everything the engine reports about the containers of `project` from
    /// `since` (Unix seconds; now when `None`) until `until` (for ever when
    /// `None`), action by action (for `berth events`).
    fn activity(
        &self,
        project: &str,
        since: Option<i64>,
        until: Option<i64>,
    ) -> BoxStream<'static, Result<Activity>>;
}
