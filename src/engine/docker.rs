//! [`Engine`] over the Docker Engine API, with bollard.
//!
//! bollard 0.21 never sends the `/vX.Y` prefix (its issue #736), so the daemon
//! answers at its own version; berth reads that version once and gates
//! features on it.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bollard::auth::DockerCredentials;
use bollard::errors::Error as BollardError;
use bollard::models::{
    BuildInfoAux, ContainerCreateBody, DeviceMapping, DeviceRequest, EndpointIpamConfig,
    EndpointSettings, HealthConfig, HostConfig, HostConfigCgroupnsModeEnum,
    HostConfigIsolationEnum, HostConfigLogConfig, Ipam, IpamConfig, MountBindOptions,
    MountBindOptionsPropagationEnum, MountTmpfsOptions, MountType, MountVolumeOptions,
    NetworkConnectRequest, NetworkCreateRequest, NetworkDisconnectRequest, NetworkingConfig,
    PortBinding, ResourcesBlkioWeightDevice, ResourcesUlimits, RestartPolicy,
    RestartPolicyNameEnum, ThrottleDevice, VolumeCreateRequest,
};
use bollard::query_parameters::{
    BuildImageOptionsBuilder, BuilderVersion, CommitContainerOptionsBuilder,
    ContainerArchiveInfoOptionsBuilder, CreateContainerOptionsBuilder, CreateImageOptionsBuilder,
    DownloadFromContainerOptionsBuilder, EventsOptionsBuilder, KillContainerOptionsBuilder,
    ListImagesOptionsBuilder, ListNetworksOptionsBuilder, ListVolumesOptionsBuilder,
    LogsOptionsBuilder, PruneImagesOptionsBuilder, PushImageOptionsBuilder,
    RemoveContainerOptionsBuilder, RemoveImageOptions, RenameContainerOptionsBuilder,
    StartContainerOptions, StatsOptionsBuilder, StopContainerOptionsBuilder,
    TagImageOptionsBuilder, UploadToContainerOptionsBuilder,
};
use bollard::{ClientVersion, Docker};
use futures_util::stream::{BoxStream, StreamExt};

use super::buildkit::{Step, StepLog, Trace, TraceUpdate};
use super::endpoint::Endpoint;
use super::image::LayerTally;
use super::podman;
use super::spec::{ContainerSpec, MountSpec, NetworkSpec, VolumeSpec};
use super::ssh;
use super::wire;
use super::{
    Activity, ApiVersion, AttachOptions, BuildOutput, BuildSpec, CommitSpec, Container,
    ContainerEvent, ContainerStatus, Created, Engine, EngineError, Event, ExecSpec, FileCopy,
    Health, ImageInfo, LogChunk, LogOptions, Network, RegistryAuth, Result, RunState, Session,
    Transfer, Usage, Volume, labels,
};
use crate::env_vars;

/// How long berth waits for the engine to answer the first call, once
/// connected. A socket nobody listens on, a refused connection or a
/// missing socket fail at once; an engine that takes its time (a loaded
/// host, a remote one far away) is waited for: Docker Compose waits too.
const ANSWER_LIMIT: Duration = Duration::from_secs(60);
/// The same through ssh, which logs in first (the docker CLI gives ssh 30 s
/// to connect).
const SSH_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// After this long without an answer, berth says what it waits for.
const ANSWER_NOTE_AFTER: Duration = Duration::from_secs(3);
/// How long a TCP connection to the engine's host may take to open (a
/// host that drops packets never refuses).
const TCP_CONNECT_LIMIT: Duration = Duration::from_secs(10);
/// bollard's timeout covers every request, including a stop that waits out a
/// grace period; berth keeps its own deadlines, so this is only a backstop.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(3600);

/// The seconds an engine gives a container to stop when neither the stop
/// call nor the container says.
const DEFAULT_STOP_TIMEOUT: i64 = 10;

/// What the engine's `/version` tells berth.
struct Version {
    api: ApiVersion,
    /// `os/arch`, e.g. `linux/amd64`.
    platform: String,
    /// Podman's Docker-compatible service rather than Docker's engine.
    podman: bool,
}

/// The Docker Engine berth talks to.
#[derive(Clone)]
pub struct DockerEngine {
    /// For requests whose answer may rightly take long to start: a stop
    /// waiting out a grace period, a build or pull, a stream.
    client: Docker,
    /// For the rest, which an engine answers at once: one that says nothing
    /// for [`ANSWER_LIMIT`] has stopped answering.
    quick: Docker,
    /// Read once, on first need.
    version: Arc<tokio::sync::OnceCell<Version>>,
    pinned: Option<ApiVersion>,
    /// The endpoint's address (`unix://...`, `tcp://...`).
    host: Arc<str>,
    /// What berth does differently on Podman (see [`podman`]).
    podman: Arc<podman::PodmanState>,
}

impl DockerEngine {
    /// Connects to `endpoint`, speaking at most API `pinned`
    /// (`DOCKER_API_VERSION`). Fails at once when nothing listens there;
    /// waits up to a minute for an engine that is slow to answer, saying
    /// so on standard error after a few seconds.
    pub async fn connect(endpoint: &Endpoint, pinned: Option<&str>) -> Result<Self> {
        let host = endpoint.host.clone();
        let pinned = pinned.filter(|v| !v.is_empty()).map(str::to_string);
        let unreachable = |reason: String| EngineError::Unreachable {
            host: match &endpoint.source {
                Some(source) => format!("{host} ({source})"),
                None => host.clone(),
            },
            reason,
            hint: unreachable_hint(endpoint),
        };
        let client_version = match &pinned {
            Some(v) => {
                let version = ApiVersion::parse(v).ok_or_else(|| {
                    EngineError::Other(format!(
                        "{} must look like 1.41, not {v:?}",
                        env_vars::DOCKER_API_VERSION
                    ))
                })?;
                ClientVersion {
                    major_version: version.major as usize,
                    minor_version: version.minor as usize,
                }
            }
            None => *bollard::API_DEFAULT_VERSION,
        };
        let timeout = REQUEST_TIMEOUT.as_secs();
        let mut ssh_errors = None;
        let client = match &endpoint.tls {
            None if host.starts_with("ssh://") => {
                let target = ssh::SshTarget::parse(&host).map_err(EngineError::Other)?;
                ssh::connect(target, timeout, &client_version).map(|(docker, errors)| {
                    ssh_errors = Some(errors);
                    docker
                })
            }
            Some(tls) => Docker::connect_with_ssl(
                &host,
                &tls.key,
                &tls.cert,
                &tls.ca,
                timeout,
                &client_version,
            ),
            None if host.starts_with("unix://") => {
                Docker::connect_with_unix(&host, timeout, &client_version)
            }
            None => Docker::connect_with_http(&host, timeout, &client_version),
        }
        .map_err(|e| unreachable(e.to_string()))?
        .with_timeout(REQUEST_TIMEOUT);
        // `/_ping` answers at once; `/version` takes the engine several
        // milliseconds (it asks containerd and runc), so it is only asked
        // when a create needs the version, alongside other calls. Through
        // ssh, the first answer waits for a login.
        let wait = if ssh_errors.is_some() {
            SSH_CONNECT_TIMEOUT
        } else {
            ANSWER_LIMIT
        };
        let failure = {
            let mut ping = std::pin::pin!(client.ping());
            let answer = match tokio::time::timeout(ANSWER_NOTE_AFTER, &mut ping).await {
                Ok(answer) => answer.map_err(|e| connect_failure(&e)),
                Err(_) => {
                    eprintln!(
                        "waiting for the Docker Engine at {host} to answer (up to {} s)...",
                        wait.as_secs()
                    );
                    let rest = wait.saturating_sub(ANSWER_NOTE_AFTER);
                    tokio::select! {
                        answer = tokio::time::timeout(rest, &mut ping) => match answer {
                            Ok(answer) => answer.map_err(|e| connect_failure(&e)),
                            Err(_) => Err(format!("no answer within {} s", wait.as_secs())),
                        },
                        // A TCP host that opens no connection is not slow: it
                        // is not there.
                        Err(e) = tcp_probe(&host) => Err(e),
                    }
                }
            };
            answer.err()
        };
        if let Some(reason) = failure {
            let said = match &ssh_errors {
                Some(errors) => errors.last().await,
                None => String::new(),
            };
            return Err(unreachable(if said.is_empty() {
                reason
            } else {
                format!("{reason}; ssh said: {said}")
            }));
        }
        let pinned = pinned.as_deref().and_then(ApiVersion::parse);
        Ok(DockerEngine {
            quick: client.clone().with_timeout(ANSWER_LIMIT),
            client,
            version: Arc::new(tokio::sync::OnceCell::new()),
            pinned,
            host: host.into(),
            podman: Arc::default(),
        })
    }

    /// The address berth reached the engine at.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The bollard client, for the swarm calls of [`super::swarm`].
    pub(super) fn client(&self) -> &Docker {
        &self.client
    }

    /// bollard's error as berth's (see [`engine_error`]).
    pub(super) fn fail(&self, e: BollardError) -> EngineError {
        engine_error(&self.host, e)
    }

    /// `Ok` for a 404: removing what is gone is success.
    fn ignore_not_found(&self, r: std::result::Result<(), BollardError>) -> Result<()> {
        match r.map_err(|e| self.fail(e)) {
            Err(EngineError::NotFound(_)) => Ok(()),
            other => other,
        }
    }

    /// Asks the engine something that changes nothing, within
    /// [`ANSWER_LIMIT`], and asks once more when the connection broke
    /// before an answer came: a kept-alive connection the engine had
    /// already closed fails on first use, and a read is safe to repeat.
    async fn read<T, Answer>(
        &self,
        ask: impl Fn(Docker) -> Answer,
    ) -> std::result::Result<T, BollardError>
    where
        Answer: Future<Output = std::result::Result<T, BollardError>>,
    {
        match ask(self.quick.clone()).await {
            Err(e) if is_retryable(&e) => ask(self.quick.clone()).await,
            answer => answer,
        }
    }

    /// `GET path` (with its query), its JSON answer read into berth's own
    /// lenient types ([`wire`]). bollard has no call for a path of one's
    /// choosing, so its export call, which hands the answer over as it
    /// comes, is pointed at `path`: every transport (unix, TLS, ssh) and
    /// the error mapping stay bollard's.
    async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T> {
        let target: http::uri::PathAndQuery = path
            .parse()
            .map_err(|e| EngineError::Other(format!("bad request path {path}: {e}")))?;
        let client = self
            .quick
            .clone()
            .with_request_modifier(move |mut request| {
                let mut parts = request.uri().clone().into_parts();
                parts.path_and_query = Some(target.clone());
                if let Ok(uri) = http::Uri::from_parts(parts) {
                    *request.uri_mut() = uri;
                }
                request
            });
        // A read: asked once more when the connection broke (see `read`).
        let body = match answer_body(&client).await {
            Err(e) if is_retryable(&e) => answer_body(&client).await,
            body => body,
        }
        .map_err(|e| self.fail(e))?;
        serde_json::from_slice(&body).map_err(|e| {
            EngineError::Other(format!(
                "cannot read the engine's answer to GET {path}: {e}"
            ))
        })
    }

    /// Runs the health check of container `id` every `interval` through
    /// Podman's API, while the container runs and berth does, when Podman
    /// runs none itself (no systemd). Nothing on Docker.
    async fn run_health_checks(&self, id: &str, interval: Duration) {
        let ask = async {
            match self.version().await {
                Ok(v) if v.podman => self
                    .get_json::<podman::Info>(&format!("{}/info", podman::LIBPOD))
                    .await
                    .is_ok_and(|info| !info.has_systemd()),
                _ => false,
            }
        };
        if !self.podman.drives_health(ask).await || !self.podman.take_on(id) {
            return;
        }
        self.podman.say_once();
        let (engine, id) = (self.clone(), id.to_string());
        tokio::spawn(async move {
            let path = format!(
                "{}/containers/{}/healthcheck",
                podman::LIBPOD,
                percent_encode(&id)
            );
            loop {
                tokio::time::sleep(interval).await;
                // Podman records the result and reports a `health_status`
                // event; it refuses once the container stopped or went.
                if engine.get_json::<serde_json::Value>(&path).await.is_err() {
                    break;
                }
            }
            engine.podman.give_up(&id);
        });
    }

    /// Every container (stopped ones too) matching `filters`.
    async fn containers(
        &self,
        filters: &HashMap<&'static str, Vec<String>>,
    ) -> Result<Vec<Container>> {
        let filters = serde_json::to_string(filters).unwrap_or_default();
        let list: Vec<wire::Summary> = self
            .get_json(&format!(
                "/containers/json?all=true&filters={}",
                percent_encode(&filters)
            ))
            .await?;
        let mut containers: Vec<Container> = list.into_iter().map(Container::from).collect();
        let podman = containers
            .iter()
            .flat_map(|c| &c.networks)
            .any(|(name, id)| podman::names_network_by_name(name, id));
        if podman {
            self.podman_listing(&mut containers, &filters).await?;
        }
        Ok(containers)
    }

    /// Completes Podman's container list (see [`podman`]): network IDs for
    /// the network names it gives, and the health in each status text.
    async fn podman_listing(&self, containers: &mut [Container], filters: &str) -> Result<()> {
        let own_list = format!(
            "{}/containers/json?all=true&filters={}",
            podman::LIBPOD,
            percent_encode(filters)
        );
        let (networks, own) = tokio::try_join!(
            self.get_json::<Vec<wire::NetworkSummary>>("/networks"),
            self.get_json::<Vec<podman::LibpodSummary>>(&own_list),
        )?;
        let ids: HashMap<String, String> = networks.into_iter().map(|n| (n.name, n.id)).collect();
        let health = podman::health_by_id(own);
        for c in containers {
            for id in c.networks.values_mut() {
                if let Some(real) = ids.get(id.as_str()) {
                    *id = real.clone();
                }
            }
            if let Some(health) = health.get(&c.id) {
                c.display.status = podman::with_health(&c.display.status, health);
            }
        }
        Ok(())
    }

    /// The API version to speak: the engine's, capped by `DOCKER_API_VERSION`.
    async fn api(&self) -> Result<ApiVersion> {
        let api = self.version().await?.api;
        // A pinned version caps what berth uses, as the docker CLI does.
        Ok(self.pinned.map_or(api, |p| p.min(api)))
    }

    async fn version(&self) -> Result<&Version> {
        self.version
            .get_or_try_init(|| async {
                let version = self
                    .read(|c| async move { c.version().await })
                    .await
                    .map_err(|e| self.fail(e))?;
                let api = version
                    .api_version
                    .as_deref()
                    .and_then(ApiVersion::parse)
                    .ok_or_else(|| {
                        EngineError::Other("the engine did not tell its API version".into())
                    })?;
                if api < ApiVersion::FLOOR {
                    return Err(EngineError::TooOld {
                        found: api,
                        floor: ApiVersion::FLOOR,
                    });
                }
                let platform = format!(
                    "{}/{}",
                    version.os.as_deref().unwrap_or("linux"),
                    version.arch.as_deref().unwrap_or_default()
                );
                let components: Vec<String> = version
                    .components
                    .iter()
                    .flatten()
                    .map(|c| c.name.clone())
                    .collect();
                Ok(Version {
                    api,
                    platform,
                    podman: podman::is_podman(&components),
                })
            })
            .await
    }
}

/// Why the first call failed: the cause itself (`Connection refused`, `No
/// such file or directory`) rather than hyper's `client error (Connect)`.
fn connect_failure(e: &BollardError) -> String {
    transport_failure(e).unwrap_or_else(|| e.to_string())
}

/// Opens (and closes) a TCP connection to the host of a `tcp://` address;
/// `Ok` at once for the other transports.
async fn tcp_probe(host: &str) -> std::result::Result<(), String> {
    let Some(rest) = host.strip_prefix("tcp://") else {
        return Ok(());
    };
    let address = rest.split('/').next().unwrap_or(rest);
    match tokio::time::timeout(TCP_CONNECT_LIMIT, tokio::net::TcpStream::connect(address)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!(
            "no connection within {} s",
            TCP_CONNECT_LIMIT.as_secs()
        )),
    }
}

/// How to fix an engine that does not answer, by what chose it.
fn unreachable_hint(endpoint: &Endpoint) -> String {
    let host = &endpoint.host;
    match endpoint.source.as_deref() {
        _ if host.starts_with("ssh://") => format!(
            "check that `ssh {}` works without a prompt (a key in the agent or \
             ~/.ssh/config, the host in known_hosts) and that the remote user may use docker",
            ssh::SshTarget::parse(host)
                .map(|t| t.ssh_args().join(" "))
                .unwrap_or_default()
        ),
        Some(source) if source.starts_with("context") => format!(
            "start that engine, or choose another context: `docker context use default` \
             (with {} unset) is the local one",
            env_vars::DOCKER_CONTEXT
        ),
        _ if host.starts_with("unix://") => format!(
            "start the Docker daemon (`sudo systemctl start docker`, or `dockerd &`), \
             or point {} at a running engine",
            env_vars::DOCKER_HOST
        ),
        _ if endpoint.tls.is_none() => format!(
            "check that an engine listens at {host} (one that speaks TLS needs {}=1 and \
             {} set to the directory of its ca.pem, cert.pem and key.pem), or unset {} \
             to use the local socket",
            env_vars::DOCKER_TLS_VERIFY,
            env_vars::DOCKER_CERT_PATH,
            env_vars::DOCKER_HOST
        ),
        _ => format!(
            "check that an engine listens at {host} and accepts the certificates \
             of {} (ca.pem, cert.pem, key.pem), or unset {} to use the local socket",
            env_vars::DOCKER_CERT_PATH,
            env_vars::DOCKER_HOST
        ),
    }
}

/// Maps bollard's errors onto berth's: 404 and 409 are kinds of their own,
/// and a connection that closed, broke or was refused after berth had
/// reached the engine at `host` is [`EngineError::Lost`].
fn engine_error(host: &str, e: BollardError) -> EngineError {
    match e {
        BollardError::DockerResponseServerError {
            status_code: 404,
            message,
        } => EngineError::NotFound(message),
        BollardError::DockerResponseServerError {
            status_code: 409,
            message,
        } => EngineError::Conflict(message),
        BollardError::DockerResponseServerError { message, .. } => EngineError::Other(message),
        BollardError::RequestTimeoutError => EngineError::Lost {
            host: host.to_string(),
            reason: format!("no answer within {} s", ANSWER_LIMIT.as_secs()),
        },
        other => match transport_failure(&other) {
            Some(reason) => EngineError::Lost {
                host: host.to_string(),
                reason,
            },
            None => EngineError::Other(other.to_string()),
        },
    }
}

/// The whole answer of `client`'s export call (see `get_json`).
async fn answer_body(client: &Docker) -> std::result::Result<Vec<u8>, BollardError> {
    let mut body = Vec::new();
    let mut stream = client.export_container("-");
    while let Some(chunk) = stream.next().await {
        body.extend_from_slice(&chunk?);
    }
    Ok(body)
}

/// Whether a read that failed so is worth asking again: the connection
/// broke, not the engine's patience (a request that timed out would only
/// wait as long again).
fn is_retryable(e: &BollardError) -> bool {
    !matches!(e, BollardError::RequestTimeoutError) && transport_failure(e).is_some()
}

/// Why the connection to the engine failed, when `e` is about the
/// connection (closed, reset, refused, no socket) rather than an answer.
/// The innermost cause says it best: hyper's own text is only
/// `client error (SendRequest)`.
fn transport_failure(e: &BollardError) -> Option<String> {
    match e {
        BollardError::HyperLegacyError { err } => Some(innermost(err)),
        BollardError::HyperResponseError { err } => connection_failure(err),
        // bollard reads streams (logs, events, attach) through readers that
        // wrap hyper's errors in I/O errors.
        BollardError::IOError { err } => connection_failure(err),
        _ => None,
    }
}

/// The innermost cause of `e` when `e`, or an error it wraps, is a broken
/// connection: hyper failing to read or write (not an answer it could not
/// parse), or a closed, reset or refused socket.
fn connection_failure(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    use std::io::ErrorKind;
    let mut cause = Some(e);
    while let Some(error) = cause {
        if let Some(hyper) = error.downcast_ref::<hyper::Error>() {
            return (!(hyper.is_parse() || hyper.is_user())).then(|| innermost(error));
        }
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            if matches!(
                io.kind(),
                ErrorKind::BrokenPipe
                    | ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::ConnectionRefused
                    | ErrorKind::NotConnected
                    | ErrorKind::UnexpectedEof
                    | ErrorKind::NotFound
            ) {
                return Some(innermost(error));
            }
            // bollard's stream reader keeps only the text of hyper's error.
            let text = io.to_string();
            if io.kind() == ErrorKind::Other && HYPER_CONNECTION_ERRORS.contains(&text.as_str()) {
                return Some(text);
            }
            // An I/O error's `source` skips the error it wraps.
            if let Some(inner) = io.get_ref() {
                return connection_failure(inner);
            }
        }
        cause = error.source();
    }
    None
}

/// What hyper says of a connection that broke under a request or an answer
/// (its `Display` of those kinds of error).
const HYPER_CONNECTION_ERRORS: [&str; 5] = [
    "error reading a body from connection",
    "connection closed before message completed",
    "received unexpected message from connection",
    "error writing a body to connection",
    "connection error",
];

/// The text of the innermost cause of `e`.
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    loop {
        let next = match cause.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => cause.source(),
        };
        match next {
            Some(next) => cause = next,
            None => return cause.to_string(),
        }
    }
}

fn project_filter(project: &str) -> HashMap<&'static str, Vec<String>> {
    HashMap::from([("label", vec![format!("{}={project}", labels::PROJECT)])])
}

fn volume(v: bollard::models::Volume) -> Volume {
    Volume {
        name: v.name,
        driver: v.driver,
        labels: v.labels.into_iter().collect(),
        mountpoint: v.mountpoint,
        scope: v.scope.map(|s| s.to_string()).unwrap_or_default(),
    }
}

fn sorted(map: Option<HashMap<String, String>>) -> BTreeMap<String, String> {
    map.unwrap_or_default().into_iter().collect()
}

fn non_empty<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}

/// The create call's body for `spec`, with only the primary network on
/// engines that take a single one at create.
/// `alias` is the container's own name, which Docker Compose makes an alias on
/// every network.
fn create_body(alias: &str, spec: &ContainerSpec, api: ApiVersion) -> ContainerCreateBody {
    let mut labels: HashMap<String, String> = spec.labels.clone().into_iter().collect();
    labels.extend(spec.identity_labels.clone());

    let mut port_bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    let mut exposed: Vec<String> = spec.expose.clone();
    for port in &spec.ports {
        let key = format!("{}/{}", port.target, port.protocol);
        if !exposed.contains(&key) {
            exposed.push(key.clone());
        }
        port_bindings
            .entry(key)
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(PortBinding {
                host_ip: Some(port.host_ip.clone()),
                host_port: Some(port.published.clone()),
            });
    }

    let mut endpoints: Vec<(String, EndpointSettings)> = spec
        .networks
        .iter()
        .map(|n| (n.network.clone(), endpoint(n, alias, api)))
        .collect();
    // Services were resolved to containers by the executor. On a network of
    // the project, the engine takes links from the primary endpoint only (it
    // drops `HostConfig.Links` there); in a network mode, from the host config.
    let links = non_empty(
        spec.links
            .iter()
            .chain(&spec.external_links)
            .cloned()
            .collect(),
    );
    let mut host_links = None;
    match endpoints.first_mut() {
        Some((_, primary)) if spec.network_mode.is_empty() => primary.links = links,
        _ => host_links = links,
    }
    let network_mode = if !spec.network_mode.is_empty() {
        Some(spec.network_mode.clone())
    } else {
        spec.networks.first().map(|n| n.network.clone())
    };
    // The service's MAC address is its address on the primary network.
    if let Some((_, primary)) = endpoints.first_mut()
        && api >= ApiVersion::ENDPOINT_MAC_ADDRESS
        && !spec.mac_address.is_empty()
    {
        primary
            .mac_address
            .get_or_insert_with(|| spec.mac_address.clone());
    }
    let at_create = if api >= ApiVersion::MULTI_NETWORK_CREATE {
        endpoints.len()
    } else {
        endpoints.len().min(1)
    };

    let restart_policy = (!spec.restart.is_empty()).then(|| {
        let (policy, count) = spec
            .restart
            .split_once(':')
            .map_or((spec.restart.as_str(), None), |(p, n)| (p, n.parse().ok()));
        RestartPolicy {
            name: Some(match policy {
                "always" => RestartPolicyNameEnum::ALWAYS,
                "unless-stopped" => RestartPolicyNameEnum::UNLESS_STOPPED,
                "on-failure" => RestartPolicyNameEnum::ON_FAILURE,
                _ => RestartPolicyNameEnum::NO,
            }),
            maximum_retry_count: count,
        }
    });

    let mut host_config = HostConfig {
        // Empty rather than unset, as Docker Compose sends them.
        port_bindings: Some(port_bindings),
        binds: non_empty(
            spec.mounts
                .iter()
                .filter(|m| in_binds_list(m))
                .map(bind)
                .collect(),
        ),
        mounts: non_empty(
            spec.mounts
                .iter()
                .filter(|m| !in_binds_list(m))
                .map(mount)
                .collect(),
        ),
        network_mode,
        volumes_from: non_empty(spec.volumes_from.clone()),
        links: host_links,
        ipc_mode: (!spec.ipc.is_empty()).then(|| spec.ipc.clone()),
        pid_mode: (!spec.pid.is_empty()).then(|| spec.pid.clone()),
        restart_policy,
        init: spec.init,
        privileged: Some(spec.privileged),
        readonly_rootfs: Some(spec.read_only),
        cap_add: capabilities(&spec.cap_add),
        cap_drop: capabilities(&spec.cap_drop),
        dns: non_empty(spec.dns.clone()),
        extra_hosts: Some(spec.extra_hosts.clone()),
        sysctls: (!spec.sysctls.is_empty()).then(|| spec.sysctls.clone().into_iter().collect()),
        tmpfs: (!spec.tmpfs.is_empty()).then(|| spec.tmpfs.clone().into_iter().collect()),
        ulimits: non_empty(
            spec.ulimits
                .iter()
                .map(|u| ResourcesUlimits {
                    name: Some(u.name.clone()),
                    soft: Some(u.soft),
                    hard: Some(u.hard),
                })
                .collect(),
        ),
        memory: (spec.resources.memory > 0).then_some(spec.resources.memory),
        memory_reservation: (spec.resources.memory_reservation > 0)
            .then_some(spec.resources.memory_reservation),
        // A negative count goes to the engine, which refuses it, as with Docker Compose.
        nano_cpus: (spec.resources.nano_cpus != 0).then_some(spec.resources.nano_cpus),
        shm_size: (spec.resources.shm_size > 0).then_some(spec.resources.shm_size),
        pids_limit: (spec.resources.pids_limit != 0).then_some(spec.resources.pids_limit),
        log_config: spec.logging.as_ref().map(|l| HostConfigLogConfig {
            typ: Some(l.driver.clone()),
            config: Some(l.options.clone().into_iter().collect()),
        }),
        ..Default::default()
    };
    host_options(&mut host_config, spec, api);

    ContainerCreateBody {
        image: Some(spec.image.clone()),
        entrypoint: spec.entrypoint.clone(),
        cmd: spec.command.clone(),
        env: non_empty(
            spec.environment
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .chain(spec.unset_environment.iter().cloned())
                .collect(),
        ),
        labels: Some(labels),
        exposed_ports: non_empty(exposed),
        hostname: (!spec.hostname.is_empty()).then(|| spec.hostname.clone()),
        domainname: (!spec.domainname.is_empty()).then(|| spec.domainname.clone()),
        user: (!spec.user.is_empty()).then(|| spec.user.clone()),
        working_dir: (!spec.working_dir.is_empty()).then(|| spec.working_dir.clone()),
        tty: Some(spec.tty),
        open_stdin: Some(spec.stdin_open),
        stdin_once: spec.stdin_once.then_some(true),
        attach_stdin: Some(false),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        stop_signal: (!spec.stop_signal.is_empty()).then(|| spec.stop_signal.clone()),
        stop_timeout: spec.stop_timeout,
        healthcheck: spec.healthcheck.as_ref().map(|h| HealthConfig {
            test: Some(h.test.clone()),
            interval: h.interval,
            timeout: h.timeout,
            retries: h.retries,
            start_period: h.start_period,
            start_interval: h
                .start_interval
                .filter(|_| api >= ApiVersion::START_INTERVAL),
        }),
        host_config: Some(host_config),
        networking_config: (at_create > 0).then(|| NetworkingConfig {
            endpoints_config: Some(endpoints.into_iter().take(at_create).collect()),
        }),
        ..Default::default()
    }
}

/// Devices, namespaces, security, runtime and the finer resource limits.
/// Empty values stay unset, leaving the engine's defaults.
fn host_options(host: &mut HostConfig, spec: &ContainerSpec, api: ApiVersion) {
    let text = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let number = |n: i64| (n != 0).then_some(n);
    host.devices = non_empty(
        spec.devices
            .iter()
            .map(|d| DeviceMapping {
                path_on_host: Some(d.source.clone()),
                path_in_container: Some(d.target.clone()),
                cgroup_permissions: Some(d.permissions.clone()),
            })
            .collect(),
    );
    host.device_cgroup_rules = non_empty(spec.device_cgroup_rules.clone());
    host.device_requests = non_empty(
        spec.device_requests
            .iter()
            .map(|r| DeviceRequest {
                driver: text(&r.driver),
                count: number(r.count),
                device_ids: non_empty(r.device_ids.clone()),
                capabilities: (!r.capabilities.is_empty()).then(|| vec![r.capabilities.clone()]),
                options: (!r.options.is_empty()).then(|| r.options.clone().into_iter().collect()),
            })
            .collect(),
    );
    host.uts_mode = text(&spec.uts);
    host.cgroupns_mode = match spec.cgroupns.as_str() {
        "host" => Some(HostConfigCgroupnsModeEnum::HOST),
        "private" => Some(HostConfigCgroupnsModeEnum::PRIVATE),
        _ => None,
    };
    host.cgroup_parent = text(&spec.cgroup_parent);
    host.userns_mode = text(&spec.userns_mode);
    host.group_add = non_empty(spec.group_add.clone());
    host.security_opt = non_empty(spec.security_opt.clone());
    if spec.unconfined_paths {
        host.masked_paths = Some(Vec::new());
        host.readonly_paths = Some(Vec::new());
    }
    host.dns_options = non_empty(spec.dns_opt.clone());
    host.dns_search = non_empty(spec.dns_search.clone());
    host.oom_score_adj = number(spec.oom_score_adj);
    host.storage_opt =
        (!spec.storage_opt.is_empty()).then(|| spec.storage_opt.clone().into_iter().collect());
    host.isolation = match spec.isolation.as_str() {
        "" => None,
        "process" => Some(HostConfigIsolationEnum::PROCESS),
        "hyperv" => Some(HostConfigIsolationEnum::HYPERV),
        _ => Some(HostConfigIsolationEnum::DEFAULT),
    };
    host.runtime = text(&spec.runtime);
    if api >= ApiVersion::ANNOTATIONS {
        host.annotations =
            (!spec.annotations.is_empty()).then(|| spec.annotations.clone().into_iter().collect());
    }

    let r = &spec.resources;
    host.cpu_count = number(r.cpu_count);
    host.cpu_percent = number(r.cpu_percent);
    host.cpu_shares = number(r.cpu_shares);
    host.cpu_period = number(r.cpu_period);
    host.cpu_quota = number(r.cpu_quota);
    host.cpu_realtime_period = number(r.cpu_rt_period);
    host.cpu_realtime_runtime = number(r.cpu_rt_runtime);
    host.cpuset_cpus = text(&r.cpuset);
    host.memory_swap = number(r.memory_swap);
    host.memory_swappiness = number(r.memory_swappiness);
    host.oom_kill_disable = r.oom_kill_disable.then_some(true);
    if let Some(blkio) = &r.blkio {
        let throttle = |devices: &[super::spec::ThrottleSpec]| {
            non_empty(
                devices
                    .iter()
                    .map(|d| ThrottleDevice {
                        path: Some(d.path.clone()),
                        rate: Some(d.rate),
                    })
                    .collect(),
            )
        };
        host.blkio_weight = (blkio.weight != 0).then_some(blkio.weight);
        host.blkio_weight_device = non_empty(
            blkio
                .weight_device
                .iter()
                .map(|d| ResourcesBlkioWeightDevice {
                    path: Some(d.path.clone()),
                    weight: Some(usize::from(d.weight)),
                })
                .collect(),
        );
        host.blkio_device_read_bps = throttle(&blkio.device_read_bps);
        host.blkio_device_write_bps = throttle(&blkio.device_write_bps);
        host.blkio_device_read_iops = throttle(&blkio.device_read_iops);
        host.blkio_device_write_iops = throttle(&blkio.device_write_iops);
    }
}

/// The driver option that names the container's interface (API 1.49).
const IFNAME_OPTION: &str = "com.docker.network.endpoint.ifname";

/// The endpoint settings of one network attachment; fields the engine
/// would not understand are left out (the plan warned about them).
fn endpoint(
    n: &super::spec::NetworkAttachment,
    container_name: &str,
    api: ApiVersion,
) -> EndpointSettings {
    // The container's own name is always an alias, as Docker Compose does.
    let mut aliases = vec![container_name.to_string()];
    aliases.extend(n.aliases.iter().cloned());
    // Docker Compose sends an IPAM config, empty or not, whenever the
    // service configures the network (`front: {aliases: [...]}`); berth
    // sees that configuration through what it set. The service's name is
    // the first alias, the file's come after it.
    let configured = n.aliases.len() > 1
        || !n.ipv4_address.is_empty()
        || !n.ipv6_address.is_empty()
        || !n.link_local_ips.is_empty()
        || !n.mac_address.is_empty()
        || !n.driver_opts.is_empty()
        || n.gw_priority != 0
        || !n.interface_name.is_empty();
    let ipam = configured.then(|| EndpointIpamConfig {
        ipv4_address: (!n.ipv4_address.is_empty()).then(|| n.ipv4_address.clone()),
        ipv6_address: (!n.ipv6_address.is_empty()).then(|| n.ipv6_address.clone()),
        link_local_ips: non_empty(n.link_local_ips.clone()),
    });
    let mut driver_opts: HashMap<String, String> = n.driver_opts.clone().into_iter().collect();
    if !n.interface_name.is_empty() && api >= ApiVersion::INTERFACE_NAME {
        driver_opts.insert(IFNAME_OPTION.into(), n.interface_name.clone());
    }
    EndpointSettings {
        aliases: Some(aliases),
        ipam_config: ipam,
        // Docker Compose fills these in from the fixed addresses too (the
        // engine replaces them when the container connects).
        ip_address: (!n.ipv4_address.is_empty()).then(|| n.ipv4_address.clone()),
        ipv6_gateway: (!n.ipv6_address.is_empty()).then(|| n.ipv6_address.clone()),
        mac_address: (!n.mac_address.is_empty() && api >= ApiVersion::ENDPOINT_MAC_ADDRESS)
            .then(|| n.mac_address.clone()),
        driver_opts: (!driver_opts.is_empty()).then_some(driver_opts),
        gw_priority: (n.gw_priority != 0 && api >= ApiVersion::GW_PRIORITY)
            .then_some(n.gw_priority),
        ..Default::default()
    }
}

/// Capabilities as Docker's Go client sends them, and so Docker Compose:
/// upper case, `CAP_`-prefixed (but `ALL`), without duplicates, sorted.
fn capabilities(names: &[String]) -> Option<Vec<String>> {
    let mut normalised: Vec<String> = names
        .iter()
        .map(|name| {
            let name = name.to_uppercase();
            if name == "ALL" || name.starts_with("CAP_") {
                name
            } else {
                format!("CAP_{name}")
            }
        })
        .collect();
    normalised.sort();
    normalised.dedup();
    non_empty(normalised)
}

/// Whether the mount goes in the `Binds` list rather than through the mount
/// API, as Docker Compose chooses: a bind that needs none of the mount
/// API's options (the list makes a missing host directory), and a named
/// volume without `nocopy`, `subpath` or labels.
fn in_binds_list(m: &MountSpec) -> bool {
    match m.kind.as_str() {
        "bind" => m.create_host_path && m.propagation.is_empty() && m.recursive.is_empty(),
        "volume" => {
            !m.source.is_empty() && !m.nocopy && m.subpath.is_empty() && m.volume_labels.is_empty()
        }
        _ => false,
    }
}

/// `source:target:access[,selinux][,propagation][,nocopy]`, as Docker
/// Compose writes a `Binds` entry.
fn bind(m: &MountSpec) -> String {
    let mut options = vec![if m.read_only { "ro" } else { "rw" }];
    for option in [&m.selinux, &m.propagation] {
        if !option.is_empty() {
            options.push(option);
        }
    }
    if m.nocopy {
        options.push("nocopy");
    }
    format!("{}:{}:{}", m.source, m.target, options.join(","))
}

/// A mount through the mount API, which has no SELinux relabelling.
/// Binds and volumes carry their options, empty or not, as Docker Compose
/// sends them for the short syntax.
fn mount(m: &MountSpec) -> bollard::models::Mount {
    let kind = match m.kind.as_str() {
        "bind" => MountType::BIND,
        "tmpfs" => MountType::TMPFS,
        _ => MountType::VOLUME,
    };
    let recursive = |level: &str| (m.recursive == level).then_some(true);
    bollard::models::Mount {
        typ: Some(kind),
        source: (!m.source.is_empty()).then(|| m.source.clone()),
        target: Some(m.target.clone()),
        read_only: Some(m.read_only),
        bind_options: (kind == MountType::BIND).then(|| MountBindOptions {
            propagation: m
                .propagation
                .parse::<MountBindOptionsPropagationEnum>()
                .ok()
                .filter(|_| !m.propagation.is_empty()),
            // Honoured from API 1.42; older engines ignore it.
            create_mountpoint: m.create_host_path.then_some(true),
            non_recursive: recursive("disabled"),
            read_only_non_recursive: recursive("writable"),
            read_only_force_recursive: recursive("readonly"),
        }),
        volume_options: (kind == MountType::VOLUME).then(|| MountVolumeOptions {
            no_copy: m.nocopy.then_some(true),
            subpath: (!m.subpath.is_empty()).then(|| m.subpath.clone()),
            labels: (!m.volume_labels.is_empty())
                .then(|| m.volume_labels.clone().into_iter().collect()),
            ..Default::default()
        }),
        tmpfs_options: (kind == MountType::TMPFS
            && (m.tmpfs_size.is_some() || m.tmpfs_mode.is_some()))
        .then(|| MountTmpfsOptions {
            size_bytes: m.tmpfs_size,
            mode: m.tmpfs_mode.map(i64::from),
            options: None,
        }),
        ..Default::default()
    }
}

pub(super) fn credentials(auth: &RegistryAuth) -> DockerCredentials {
    let set = |v: &str| (!v.is_empty()).then(|| v.to_string());
    DockerCredentials {
        username: set(&auth.username),
        password: set(&auth.password),
        identitytoken: set(&auth.identity_token),
        serveraddress: set(&auth.server),
        ..Default::default()
    }
}

/// bollard's build options have no place for `ulimits` and `isolation`,
/// which the engine's `/build` reads from the query: a client of its own
/// appends them to the build request.
fn with_build_query(client: Docker, spec: &BuildSpec) -> Docker {
    let mut extra = Vec::new();
    if !spec.ulimits.is_empty() {
        let ulimits: Vec<serde_json::Value> = spec
            .ulimits
            .iter()
            .map(|u| serde_json::json!({"Name": u.name, "Soft": u.soft, "Hard": u.hard}))
            .collect();
        extra.push(("ulimits", serde_json::Value::from(ulimits).to_string()));
    }
    if !spec.isolation.is_empty() {
        extra.push(("isolation", spec.isolation.clone()));
    }
    // bollard's `memory` is an i32: a limit above 2 GiB would not fit.
    if spec.memory > 0 {
        extra.push(("memory", spec.memory.to_string()));
    }
    if extra.is_empty() {
        return client;
    }
    let query: String = extra
        .iter()
        .map(|(k, v)| format!("&{k}={}", percent_encode(v)))
        .collect();
    client.with_request_modifier(move |mut request| {
        let uri = request.uri().to_string();
        if uri.contains("/build?")
            && let Ok(with_extra) = format!("{uri}{query}").parse::<http::Uri>()
        {
            *request.uri_mut() = with_extra;
        }
        request
    })
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// What one message of the build stream tells: output lines, the image
/// ID, or the error that ended the build.
fn build_outputs(
    host: &str,
    message: std::result::Result<bollard::models::BuildInfo, BollardError>,
    trace: &mut Trace,
) -> Vec<Result<BuildOutput>> {
    let info = match message {
        Ok(info) => info,
        Err(BollardError::DockerStreamError { error }) => {
            return vec![Err(EngineError::Other(error))];
        }
        Err(e) => return vec![Err(engine_error(host, e))],
    };
    let mut outputs = Vec::new();
    if let Some(text) = info.stream.as_deref().or(info.status.as_deref()) {
        outputs.extend(
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| Ok(BuildOutput::Line(l.trim_end().to_string()))),
        );
    }
    if let Some(detail) = info.error_detail.and_then(|d| d.message) {
        outputs.push(Err(EngineError::Other(detail)));
    }
    match info.aux {
        Some(BuildInfoAux::Default(image)) => {
            outputs.extend(image.id.map(|id| Ok(BuildOutput::ImageId(id))));
        }
        Some(BuildInfoAux::BuildKit(status)) => outputs.extend(
            trace
                .lines(&trace_update(status))
                .into_iter()
                .map(|line| Ok(BuildOutput::Line(line))),
        ),
        None => {}
    }
    outputs
}

/// A BuildKit trace message in berth's own terms.
fn trace_update(status: bollard::moby::buildkit::v1::StatusResponse) -> TraceUpdate {
    let epoch = |seconds: i64, nanos: i32| seconds as f64 + f64::from(nanos) / 1e9;
    TraceUpdate {
        steps: status
            .vertexes
            .into_iter()
            .map(|v| Step {
                digest: v.digest,
                name: v.name,
                started: v.started.map(|t| epoch(t.seconds, t.nanos)),
                completed: v.completed.map(|t| epoch(t.seconds, t.nanos)),
                cached: v.cached,
                error: v.error,
            })
            .collect(),
        logs: status
            .logs
            .into_iter()
            .map(|l| StepLog {
                digest: l.vertex,
                at: l.timestamp.map_or(0.0, |t| epoch(t.seconds, t.nanos)),
                text: l.msg,
            })
            .collect(),
        warnings: status
            .warnings
            .into_iter()
            .map(|w| String::from_utf8_lossy(&w.short).into_owned())
            .collect(),
    }
}

/// A session ID no other build on this engine uses at the same time.
fn build_session_id() -> String {
    static BUILDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("berth-{}-{nanos}-{n}", std::process::id())
}

/// A time from the engine as the engine wrote it (RFC 3339, to the nanosecond).
fn rfc3339(time: bollard::models::BollardDate) -> String {
    time.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A stats sample in the numbers `docker stats` shows: CPU against the
/// previous sample, memory without the inactive page cache (`inactive_file`
/// on cgroup v2, `total_inactive_file` on v1), I/O summed over devices.
fn usage(sample: bollard::models::ContainerStatsResponse) -> Usage {
    let cpu = sample.cpu_stats.unwrap_or_default();
    let before = sample.precpu_stats.unwrap_or_default();
    let total = |c: &bollard::models::ContainerCpuStats| {
        c.cpu_usage
            .as_ref()
            .and_then(|u| u.total_usage)
            .unwrap_or(0)
    };
    let cpu_delta = total(&cpu).saturating_sub(total(&before)) as f64;
    let system_delta = cpu
        .system_cpu_usage
        .unwrap_or(0)
        .saturating_sub(before.system_cpu_usage.unwrap_or(0)) as f64;
    let cpus = cpu.online_cpus.map(f64::from).unwrap_or_else(|| {
        cpu.cpu_usage
            .as_ref()
            .and_then(|u| u.percpu_usage.as_ref())
            .map_or(0.0, |p| p.len() as f64)
    });
    let cpu_percent = if system_delta > 0.0 && cpu_delta > 0.0 {
        cpu_delta / system_delta * cpus * 100.0
    } else {
        0.0
    };
    let memory = sample.memory_stats.unwrap_or_default();
    let used = memory.usage.unwrap_or(0);
    let stats = memory.stats.unwrap_or_default();
    let cache = stats
        .get("inactive_file")
        .or_else(|| stats.get("total_inactive_file"))
        .copied()
        .filter(|&c| c < used)
        .unwrap_or(0);
    let networks = sample.networks.unwrap_or_default();
    let (mut block_read, mut block_write) = (0, 0);
    let entries = sample
        .blkio_stats
        .and_then(|b| b.io_service_bytes_recursive)
        .unwrap_or_default();
    for entry in entries {
        match entry.op.as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("read") => block_read += entry.value.unwrap_or(0),
            Some("write") => block_write += entry.value.unwrap_or(0),
            _ => {}
        }
    }
    Usage {
        cpu_percent,
        memory: used - cache,
        memory_limit: memory.limit.unwrap_or(0),
        net_rx: networks.values().filter_map(|n| n.rx_bytes).sum(),
        net_tx: networks.values().filter_map(|n| n.tx_bytes).sum(),
        block_read,
        block_write,
        pids: sample.pids_stats.and_then(|p| p.current).unwrap_or(0),
    }
}

fn container_event(message: bollard::models::EventMessage) -> Option<Event> {
    let action = message.action?;
    let actor = message.actor?;
    let attributes = actor.attributes.unwrap_or_default();
    let what = match action.as_str() {
        "start" => ContainerEvent::Started,
        "die" => ContainerEvent::Died {
            exit_code: attributes
                .get("exitCode")
                .and_then(|c| c.parse().ok())
                .unwrap_or(-1),
        },
        // Podman's name for Docker's `destroy`.
        "destroy" | "remove" => ContainerEvent::Destroyed,
        // Docker writes `health_status: healthy`; Podman 4 a bare
        // `health_status` (later ones with the status as an attribute).
        // A wait inspects again on any event, so the bare one only wakes it.
        a if a.starts_with("health_status") => {
            let status = match a.split_once(':') {
                Some((_, status)) => Some(status.trim()),
                None => attributes.get("health_status").map(String::as_str),
            };
            ContainerEvent::Health(status.and_then(Health::parse).unwrap_or(Health::Starting))
        }
        _ => return None,
    };
    Some(Event {
        container_id: actor.id.unwrap_or_default(),
        what,
    })
}

impl Engine for DockerEngine {
    async fn api_version(&self) -> Result<ApiVersion> {
        self.api().await
    }

    async fn platform(&self) -> Result<String> {
        Ok(self.version().await?.platform.clone())
    }

    async fn list_containers(&self, project: &str) -> Result<Vec<Container>> {
        self.containers(&project_filter(project)).await
    }

    async fn list_all_projects(&self) -> Result<Vec<Container>> {
        let filter = HashMap::from([("label", vec![labels::PROJECT.to_string()])]);
        self.containers(&filter).await
    }

    async fn list_networks(&self, project: &str) -> Result<Vec<Network>> {
        let options = ListNetworksOptionsBuilder::default()
            .filters(&project_filter(project))
            .build();
        let list = self
            .read(|c| {
                let options = options.clone();
                async move { c.list_networks(Some(options)).await }
            })
            .await
            .map_err(|e| self.fail(e))?;
        Ok(list
            .into_iter()
            .map(|n| Network {
                id: n.id.unwrap_or_default(),
                name: n.name.unwrap_or_default(),
                labels: sorted(n.labels),
            })
            .collect())
    }

    async fn list_volumes(&self, project: &str) -> Result<Vec<Volume>> {
        let options = ListVolumesOptionsBuilder::default()
            .filters(&project_filter(project))
            .build();
        let list = self
            .read(|c| {
                let options = options.clone();
                async move { c.list_volumes(Some(options)).await }
            })
            .await
            .map_err(|e| self.fail(e))?;
        Ok(list
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(volume)
            .collect())
    }

    async fn find_network(&self, name: &str) -> Result<Option<Network>> {
        match self
            .read(|c| async move { c.inspect_network(name, None).await })
            .await
        {
            Ok(n) => Ok(Some(Network {
                id: n.id.unwrap_or_default(),
                name: n.name.unwrap_or_default(),
                labels: sorted(n.labels),
            })),
            Err(e) => match self.fail(e) {
                EngineError::NotFound(_) => Ok(None),
                e => Err(e),
            },
        }
    }

    async fn find_volume(&self, name: &str) -> Result<Option<Volume>> {
        match self
            .read(|c| async move { c.inspect_volume(name).await })
            .await
        {
            Ok(v) => Ok(Some(volume(v))),
            Err(e) => match self.fail(e) {
                EngineError::NotFound(_) => Ok(None),
                e => Err(e),
            },
        }
    }

    async fn image_id(&self, reference: &str) -> Result<Option<String>> {
        match self
            .read(|c| async move { c.inspect_image(reference).await })
            .await
        {
            Ok(image) => Ok(image.id),
            Err(e) => match self.fail(e) {
                EngineError::NotFound(_) => Ok(None),
                e => Err(e),
            },
        }
    }

    async fn inspect_image(&self, reference: &str) -> Result<Option<ImageInfo>> {
        let image = match self
            .read(|c| async move { c.inspect_image(reference).await })
            .await
        {
            Ok(image) => image,
            Err(e) => {
                return match self.fail(e) {
                    EngineError::NotFound(_) => Ok(None),
                    e => Err(e),
                };
            }
        };
        Ok(Some(ImageInfo {
            id: image.id.unwrap_or_default(),
            repo_tags: image.repo_tags.unwrap_or_default(),
            repo_digests: image.repo_digests.unwrap_or_default(),
            size: image.size.unwrap_or_default(),
            created: image.created.map(rfc3339).unwrap_or_default(),
            last_tag_time: image
                .metadata
                .and_then(|m| m.last_tag_time)
                .map(rfc3339)
                .unwrap_or_default(),
            platform: format!(
                "{}/{}",
                image.os.unwrap_or_default(),
                image.architecture.unwrap_or_default()
            ),
            labels: sorted(image.config.and_then(|c| c.labels)),
        }))
    }

    async fn list_project_images(&self, project: &str) -> Result<Vec<ImageInfo>> {
        let options = ListImagesOptionsBuilder::default()
            .filters(&project_filter(project))
            .build();
        let images = self
            .read(|c| {
                let options = options.clone();
                async move { c.list_images(Some(options)).await }
            })
            .await
            .map_err(|e| self.fail(e))?;
        Ok(images
            .into_iter()
            .map(|i| ImageInfo {
                id: i.id,
                repo_tags: i.repo_tags,
                repo_digests: i.repo_digests,
                size: i.size,
                created: i.created.to_string(),
                last_tag_time: String::new(),
                platform: String::new(),
                labels: i.labels.into_iter().collect(),
            })
            .collect())
    }

    async fn pull_image(
        &self,
        reference: &str,
        platform: &str,
        auth: Option<&RegistryAuth>,
        progress: &(dyn Fn(Transfer) + Send + Sync),
    ) -> Result<String> {
        let (image, tag) = crate::registry::split_tag(reference);
        let options = CreateImageOptionsBuilder::default()
            .from_image(image)
            .tag(tag)
            .platform(platform)
            .build();
        let mut stream = self
            .client
            .create_image(Some(options), None, auth.map(credentials));
        let mut tally = LayerTally::default();
        while let Some(message) = stream.next().await {
            let message = message.map_err(|e| self.fail(e))?;
            if let (Some(layer), Some(status)) = (message.id.as_deref(), message.status.as_deref())
            {
                let detail = message.progress_detail.unwrap_or_default();
                let sum = tally.update(
                    layer,
                    status,
                    detail.current.unwrap_or_default(),
                    detail.total.unwrap_or_default(),
                );
                progress(sum);
            }
        }
        self.image_id(reference).await?.ok_or_else(|| {
            EngineError::NotFound(format!("{reference} is still missing after the pull"))
        })
    }

    async fn registry_digest(
        &self,
        reference: &str,
        auth: Option<&RegistryAuth>,
    ) -> Result<String> {
        let inspect = self
            .client
            .inspect_registry_image(reference, auth.map(credentials))
            .await
            .map_err(|e| self.fail(e))?;
        inspect.descriptor.digest.ok_or_else(|| {
            EngineError::Other(format!("the registry gave no digest for {reference}"))
        })
    }

    async fn push_image(
        &self,
        reference: &str,
        auth: Option<&RegistryAuth>,
        progress: &(dyn Fn(Transfer) + Send + Sync),
    ) -> Result<()> {
        let (image, tag) = crate::registry::split_tag(reference);
        let options = PushImageOptionsBuilder::default().tag(tag).build();
        let mut stream = self
            .client
            .push_image(image, Some(options), auth.map(credentials));
        let mut tally = LayerTally::default();
        while let Some(message) = stream.next().await {
            let message = message.map_err(|e| self.fail(e))?;
            // bollard keeps no layer ID for pushes: a layer is told by its size.
            let detail = message.progress_detail.unwrap_or_default();
            if let (Some(status), Some(total)) = (message.status.as_deref(), detail.total) {
                progress(tally.update(
                    &total.to_string(),
                    status,
                    detail.current.unwrap_or_default(),
                    total,
                ));
            }
        }
        Ok(())
    }

    fn build_image(
        &self,
        spec: &BuildSpec,
        context: BoxStream<'static, std::io::Result<bytes::Bytes>>,
    ) -> BoxStream<'static, Result<BuildOutput>> {
        let to_map = |m: &BTreeMap<String, String>| -> HashMap<String, String> {
            m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
        };
        let mut options = BuildImageOptionsBuilder::default()
            .dockerfile(&spec.dockerfile)
            .t(&spec.tag)
            .buildargs(&to_map(&spec.args))
            .labels(&to_map(&spec.labels))
            .target(&spec.target)
            .nocache(spec.no_cache)
            .rm(true)
            .forcerm(true)
            .platform(&spec.platform);
        if spec.pull {
            options = options.pull("1");
        }
        if !spec.cache_from.is_empty() {
            options = options.cachefrom(&spec.cache_from);
        }
        if !spec.extra_hosts.is_empty() {
            options = options.extrahosts(&spec.extra_hosts.join(","));
        }
        if !spec.network.is_empty() {
            options = options.networkmode(&spec.network);
        }
        if spec.shm_size > 0 {
            options = options.shmsize(i32::try_from(spec.shm_size).unwrap_or(i32::MAX));
        }
        if spec.buildkit {
            // BuildKit talks back to the client over a session of its own
            // (bollard serves it); the context still travels as the body.
            options = options
                .version(BuilderVersion::BuilderBuildKit)
                .session(&build_session_id());
        }
        // Keyed as each builder looks them up: BuildKit by the registry's
        // host (Docker Hub's is registry-1.docker.io), the classic builder
        // by the key of `config.json`.
        let auths: HashMap<String, DockerCredentials> = spec
            .auths
            .iter()
            .map(|auth| {
                let key = match auth.server.as_str() {
                    crate::registry::DOCKER_HUB_KEY if spec.buildkit => "registry-1.docker.io",
                    server => server,
                };
                (key.to_string(), credentials(auth))
            })
            .collect();
        let auths = (!auths.is_empty()).then_some(auths);
        let client = with_build_query(self.client.clone(), spec);
        let options = options.build();
        // bollard's stream borrows the client: a task owns both and forwards.
        let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
        let host = self.host.clone();
        tokio::spawn(async move {
            let mut stream =
                client.build_image(options, auths, Some(bollard::body_try_stream(context)));
            let mut trace = Trace::default();
            while let Some(message) = stream.next().await {
                for output in build_outputs(&host, message, &mut trace) {
                    if sender.send(output).is_err() {
                        return;
                    }
                }
            }
        });
        futures_util::stream::unfold(receiver, |mut receiver| async move {
            receiver.recv().await.map(|output| (output, receiver))
        })
        .boxed()
    }

    async fn tag_image(&self, image: &str, reference: &str) -> Result<()> {
        let (repo, tag) = crate::registry::split_tag(reference);
        let options = TagImageOptionsBuilder::default()
            .repo(repo)
            .tag(tag)
            .build();
        self.quick
            .tag_image(image, Some(options))
            .await
            .map_err(|e| self.fail(e))
    }

    async fn remove_image(&self, reference: &str) -> Result<bool> {
        match self
            .quick
            .remove_image(reference, None::<RemoveImageOptions>, None)
            .await
            .map_err(|e| self.fail(e))
        {
            Ok(_) => Ok(true),
            Err(EngineError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn prune_dangling_images(&self, project: &str) -> Result<usize> {
        let label = format!("{}={project}", labels::PROJECT);
        let filters = HashMap::from([("dangling", vec!["true"]), ("label", vec![label.as_str()])]);
        let options = PruneImagesOptionsBuilder::default()
            .filters(&filters)
            .build();
        let pruned = self
            .client
            .prune_images(Some(options))
            .await
            .map_err(|e| self.fail(e))?;
        Ok(pruned
            .images_deleted
            .map_or(0, |d| d.iter().filter(|i| i.deleted.is_some()).count()))
    }

    async fn create_network(&self, spec: &NetworkSpec) -> Result<String> {
        let api = self.api().await?;
        let mut labels: HashMap<String, String> = spec.labels.clone().into_iter().collect();
        labels.extend(spec.identity_labels.clone());
        let request = NetworkCreateRequest {
            name: spec.name.clone(),
            driver: (!spec.driver.is_empty()).then(|| spec.driver.clone()),
            options: (!spec.driver_opts.is_empty())
                .then(|| spec.driver_opts.clone().into_iter().collect()),
            labels: Some(labels),
            internal: spec.internal.then_some(true),
            attachable: spec.attachable.then_some(true),
            enable_ipv6: spec.enable_ipv6,
            enable_ipv4: spec.enable_ipv4.filter(|_| api >= ApiVersion::DISABLE_IPV4),
            ipam: spec.ipam.as_ref().map(|i| Ipam {
                driver: (!i.driver.is_empty()).then(|| i.driver.clone()),
                config: Some(
                    i.config
                        .iter()
                        .map(|p| IpamConfig {
                            subnet: (!p.subnet.is_empty()).then(|| p.subnet.clone()),
                            ip_range: (!p.ip_range.is_empty()).then(|| p.ip_range.clone()),
                            gateway: (!p.gateway.is_empty()).then(|| p.gateway.clone()),
                            auxiliary_addresses: (!p.aux_addresses.is_empty())
                                .then(|| p.aux_addresses.clone().into_iter().collect()),
                        })
                        .collect(),
                ),
                options: (!i.options.is_empty()).then(|| i.options.clone().into_iter().collect()),
            }),
            ..Default::default()
        };
        let mut attempts = 0;
        let created = loop {
            match self.quick.create_network(request.clone()).await {
                // Nothing was created: Podman lost a race with an interface
                // that went away while it chose a subnet.
                Err(e) if podman::lost_interface_race(&e.to_string()) && attempts < 3 => {
                    attempts += 1;
                }
                answer => break answer.map_err(|e| self.fail(e))?,
            }
        };
        Ok(created.id)
    }

    async fn remove_network(&self, id: &str) -> Result<()> {
        match self.ignore_not_found(self.quick.remove_network(id).await) {
            // Containers outside the plan (orphans, other projects) still use it.
            Err(EngineError::Other(message)) if message.contains("active endpoints") => {
                let attached = self
                    .read(|c| async move { c.inspect_network(id, None).await })
                    .await
                    .map(|n| n.containers.is_some_and(|c| !c.is_empty()));
                match attached {
                    Ok(false) => Err(EngineError::StaleNetwork(message)),
                    _ => Err(EngineError::Conflict(message)),
                }
            }
            other => other,
        }
    }

    async fn create_volume(&self, spec: &VolumeSpec) -> Result<()> {
        let mut labels: HashMap<String, String> = spec.labels.clone().into_iter().collect();
        labels.extend(spec.identity_labels.clone());
        let request = VolumeCreateRequest {
            name: Some(spec.name.clone()),
            driver: Some(spec.driver.clone()),
            driver_opts: (!spec.driver_opts.is_empty())
                .then(|| spec.driver_opts.clone().into_iter().collect()),
            labels: Some(labels),
            ..Default::default()
        };
        self.quick
            .create_volume(request)
            .await
            .map(|_| ())
            .map_err(|e| self.fail(e))
    }

    async fn remove_volume(&self, name: &str) -> Result<()> {
        self.ignore_not_found(
            self.quick
                .remove_volume(name, None::<bollard::query_parameters::RemoveVolumeOptions>)
                .await,
        )
    }

    async fn create_container(
        &self,
        name: &str,
        network_name: &str,
        spec: &ContainerSpec,
    ) -> Result<Created> {
        let api = self.api().await?;
        let body = create_body(network_name, spec, api);
        let mut options = CreateContainerOptionsBuilder::default().name(name);
        if api >= ApiVersion::CREATE_PLATFORM && !spec.platform_to_use().is_empty() {
            options = options.platform(spec.platform_to_use());
        }
        let options = options.build();
        let created = self
            .quick
            .create_container(Some(options), body)
            .await
            .map_err(|e| self.fail(e))?;
        // Older engines take one network at create; the others are joined now, before start.
        if api < ApiVersion::MULTI_NETWORK_CREATE && spec.network_mode.is_empty() {
            for attachment in spec.networks.iter().skip(1) {
                let request = NetworkConnectRequest {
                    container: created.id.clone(),
                    endpoint_config: Some(endpoint(attachment, network_name, api)),
                };
                if let Err(e) = self
                    .quick
                    .connect_network(&attachment.network, request)
                    .await
                {
                    // Leave nothing half-made behind.
                    let _ = self.remove_container(&created.id, true).await;
                    return Err(self.fail(e));
                }
            }
        }
        Ok(Created {
            id: created.id,
            warnings: created.warnings,
        })
    }

    async fn start_container(&self, id: &str) -> Result<()> {
        self.quick
            .start_container(id, None::<StartContainerOptions>)
            .await
            .map_err(|e| self.fail(e))
    }

    async fn stop_container(&self, id: &str, timeout: Option<i64>) -> Result<()> {
        // Always with `t`: Podman before 4.7 kills at once without it. The
        // container's own timeout (its `StopTimeout`, else 10 s) is what
        // Docker would apply.
        let t = match timeout {
            Some(t) => t,
            None => {
                let path = format!("/containers/{}/json", percent_encode(id));
                match self.get_json::<wire::Inspect>(&path).await {
                    Ok(inspect) => inspect
                        .config
                        .and_then(|c| c.stop_timeout)
                        .unwrap_or(DEFAULT_STOP_TIMEOUT),
                    Err(EngineError::NotFound(_)) => return Ok(()),
                    Err(e) => return Err(e),
                }
            }
        };
        let options = StopContainerOptionsBuilder::default()
            .t(i32::try_from(t).unwrap_or(i32::MAX))
            .build();
        self.ignore_not_found(self.client.stop_container(id, Some(options)).await)
    }

    async fn remove_container(&self, id: &str, volumes: bool) -> Result<()> {
        let options = RemoveContainerOptionsBuilder::default()
            .force(true)
            .v(volumes)
            .build();
        match self.quick.remove_container(id, Some(options)).await {
            // A removal already under way is as good as done.
            Err(BollardError::DockerResponseServerError {
                status_code: 409,
                message,
            }) if message.contains("already in progress") => Ok(()),
            other => self.ignore_not_found(other),
        }
    }

    async fn rename_container(&self, id: &str, name: &str) -> Result<()> {
        let options = RenameContainerOptionsBuilder::default().name(name).build();
        self.quick
            .rename_container(id, options)
            .await
            .map_err(|e| self.fail(e))
    }

    async fn exec(&self, id: &str, spec: &ExecSpec) -> Result<Session> {
        let attached = !spec.detach;
        let config = bollard::exec::CreateExecOptions {
            cmd: Some(spec.command.clone()),
            env: (!spec.env.is_empty()).then(|| spec.env.clone()),
            user: (!spec.user.is_empty()).then(|| spec.user.clone()),
            working_dir: (!spec.working_dir.is_empty()).then(|| spec.working_dir.clone()),
            privileged: spec.privileged.then_some(true),
            tty: Some(spec.tty),
            attach_stdin: Some(attached),
            attach_stdout: Some(attached),
            attach_stderr: Some(attached),
            ..Default::default()
        };
        let created = self
            .quick
            .create_exec(id, config)
            .await
            .map_err(|e| self.fail(e))?;
        let options = bollard::exec::StartExecOptions {
            detach: spec.detach,
            tty: spec.tty,
            // Lines of any length pass through whole.
            output_capacity: Some(1 << 20),
        };
        let started = self
            .client
            .start_exec(&created.id, Some(options))
            .await
            .map_err(|e| self.fail(e))?;
        let (output, input) = match started {
            bollard::exec::StartExecResults::Attached { output, input } => {
                let host = self.host.clone();
                let output = output
                    .map(move |chunk| {
                        chunk
                            .map_err(|e| engine_error(&host, e))
                            .map(|chunk| LogChunk {
                                stderr: matches!(
                                    chunk,
                                    bollard::container::LogOutput::StdErr { .. }
                                ),
                                bytes: chunk.into_bytes(),
                            })
                    })
                    .boxed();
                (Some(output), Some(input))
            }
            bollard::exec::StartExecResults::Detached => (None, None),
        };
        Ok(Session {
            id: created.id,
            output,
            input,
        })
    }

    async fn attach_container(&self, id: &str, options: &AttachOptions) -> Result<Session> {
        let mut query = bollard::query_parameters::AttachContainerOptionsBuilder::default()
            .stream(true)
            .stdin(options.stdin)
            .stdout(true)
            .stderr(true);
        if let Some(keys) = &options.detach_keys {
            query = query.detach_keys(keys);
        }
        let options = query.build();
        let attached = self
            .client
            .attach_container(id, Some(options))
            .await
            .map_err(|e| self.fail(e))?;
        let host = self.host.clone();
        let output = attached
            .output
            .map(move |chunk| {
                chunk
                    .map_err(|e| engine_error(&host, e))
                    .map(|chunk| LogChunk {
                        stderr: matches!(chunk, bollard::container::LogOutput::StdErr { .. }),
                        bytes: chunk.into_bytes(),
                    })
            })
            .boxed();
        Ok(Session {
            id: id.to_string(),
            output: Some(output),
            input: Some(attached.input),
        })
    }

    async fn wait_container(&self, id: &str) -> Result<i64> {
        let mut waits = self
            .client
            .wait_container(id, None::<bollard::query_parameters::WaitContainerOptions>);
        match waits.next().await {
            Some(Ok(done)) => Ok(done.status_code),
            // bollard reports a non-zero exit as an error that carries the code.
            Some(Err(BollardError::DockerContainerWaitError { code, .. })) => Ok(code),
            Some(Err(e)) => Err(self.fail(e)),
            None => Err(EngineError::Other(format!(
                "the engine stopped reporting on container {id}"
            ))),
        }
    }

    async fn resize_container(&self, id: &str, rows: u16, cols: u16) -> Result<()> {
        let options = bollard::query_parameters::ResizeContainerTTYOptionsBuilder::default()
            .h(i32::from(rows))
            .w(i32::from(cols))
            .build();
        self.quick
            .resize_container_tty(id, options)
            .await
            .map_err(|e| self.fail(e))
    }

    async fn exec_exit_code(&self, exec: &str) -> Result<i64> {
        let inspect = self
            .read(|c| async move { c.inspect_exec(exec).await })
            .await
            .map_err(|e| self.fail(e))?;
        Ok(inspect.exit_code.unwrap_or_default())
    }

    async fn resize_exec(&self, exec: &str, rows: u16, cols: u16) -> Result<()> {
        let options = bollard::query_parameters::ResizeExecOptionsBuilder::default()
            .h(i32::from(rows))
            .w(i32::from(cols))
            .build();
        self.quick
            .resize_exec(exec, options)
            .await
            .map_err(|e| self.fail(e))
    }

    async fn kill_container(&self, id: &str, signal: &str) -> Result<()> {
        let options = KillContainerOptionsBuilder::default()
            .signal(signal)
            .build();
        self.quick
            .kill_container(id, Some(options))
            .await
            .map_err(|e| self.fail(e))
    }

    async fn pause_container(&self, id: &str) -> Result<()> {
        self.quick
            .pause_container(id)
            .await
            .map_err(|e| self.fail(e))
    }

    async fn unpause_container(&self, id: &str) -> Result<()> {
        self.quick
            .unpause_container(id)
            .await
            .map_err(|e| self.fail(e))
    }

    async fn connect_network(
        &self,
        network: &str,
        id: &str,
        name: &str,
        attachment: &super::spec::NetworkAttachment,
    ) -> Result<()> {
        let api = self.api().await?;
        let request = NetworkConnectRequest {
            container: id.to_string(),
            endpoint_config: Some(endpoint(attachment, name, api)),
        };
        match self.quick.connect_network(network, request).await {
            // An earlier, interrupted run connected it already.
            Err(BollardError::DockerResponseServerError {
                status_code: 403,
                message,
            }) if message.contains("already exists") => Ok(()),
            other => other.map_err(|e| self.fail(e)),
        }
    }

    async fn disconnect_network(&self, network: &str, id: &str) -> Result<()> {
        let request = NetworkDisconnectRequest {
            container: id.to_string(),
            force: Some(true),
        };
        match self.quick.disconnect_network(network, request).await {
            // Not (or no longer) connected: already as wanted.
            Err(BollardError::DockerResponseServerError { message, .. })
                if message.contains("is not connected") =>
            {
                Ok(())
            }
            other => self.ignore_not_found(other),
        }
    }

    async fn inspect_status(&self, id: &str) -> Result<ContainerStatus> {
        let inspect: wire::Inspect = self
            .get_json(&format!("/containers/{}/json", percent_encode(id)))
            .await?;
        let check = inspect.config.as_ref().and_then(|c| c.healthcheck.as_ref());
        let status_check = check.filter(|c| c.is_set()).map(|c| c.interval);
        let status = ContainerStatus::from(inspect);
        if let Some(interval) = status_check
            && status.state == RunState::Running
            && status.health == Some(Health::Starting)
        {
            self.run_health_checks(id, podman::interval(interval)).await;
        }
        Ok(status)
    }

    async fn copy_files(&self, id: &str, files: &[FileCopy]) -> Result<()> {
        if files.is_empty() {
            return Ok(());
        }
        let mut archive = tar::Builder::new(Vec::new());
        for file in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(file.content.len() as u64);
            header.set_mode(file.mode);
            header.set_uid(file.uid);
            header.set_gid(file.gid);
            header.set_mtime(unix_now() as u64);
            archive
                .append_data(
                    &mut header,
                    file.path.trim_start_matches('/'),
                    file.content.as_slice(),
                )
                .map_err(|e| EngineError::Other(format!("cannot pack {}: {e}", file.path)))?;
        }
        let bytes = archive
            .into_inner()
            .map_err(|e| EngineError::Other(e.to_string()))?;
        // The engine creates the missing parent directories of each entry.
        self.upload(id, "/", bytes.into(), false).await
    }

    async fn download(&self, id: &str, path: &str) -> Result<Vec<u8>> {
        let options = DownloadFromContainerOptionsBuilder::default()
            .path(path)
            .build();
        let mut stream = self.client.download_from_container(id, Some(options));
        let mut archive = Vec::new();
        while let Some(chunk) = stream.next().await {
            archive.extend_from_slice(&chunk.map_err(|e| self.fail(e))?);
        }
        Ok(archive)
    }

    async fn upload(&self, id: &str, dir: &str, archive: bytes::Bytes, owned: bool) -> Result<()> {
        // The directory must be there: Docker refuses a missing one, but
        // Podman makes it (and `cp` relies on the refusal to copy to a new
        // name), so it is looked at first, as `docker cp` does.
        if dir != "/" {
            let options = ContainerArchiveInfoOptionsBuilder::default()
                .path(dir)
                .build();
            let stat = self
                .client
                .get_container_archive_info(id, Some(options))
                .await
                .map_err(|e| self.fail(e))?;
            if !wire::is_directory(stat.file_mode) {
                return Err(EngineError::Other(format!("{dir} is not a directory")));
            }
        }
        let options = UploadToContainerOptionsBuilder::default()
            .path(dir)
            .copy_uidgid(if owned { "true" } else { "false" })
            .build();
        self.client
            .upload_to_container(id, Some(options), bollard::body_full(archive))
            .await
            .map_err(|e| self.fail(e))
    }

    fn export_container(&self, id: &str) -> BoxStream<'static, Result<bytes::Bytes>> {
        let (client, host) = (self.client.clone(), self.host.clone());
        client
            .export_container(id)
            .map(move |chunk| chunk.map_err(|e| engine_error(&host, e)))
            .boxed()
    }

    async fn commit_container(&self, id: &str, spec: &CommitSpec) -> Result<String> {
        let mut options = CommitContainerOptionsBuilder::default()
            .container(id)
            .pause(spec.pause);
        // Empty means not given: the engine would take an empty author or tag literally.
        if !spec.repository.is_empty() {
            options = options.repo(&spec.repository);
        }
        if !spec.tag.is_empty() {
            options = options.tag(&spec.tag);
        }
        if !spec.author.is_empty() {
            options = options.author(&spec.author);
        }
        if !spec.message.is_empty() {
            options = options.comment(&spec.message);
        }
        if !spec.changes.is_empty() {
            // The engine reads the instructions as the lines of one Dockerfile.
            options = options.changes(&spec.changes.join("\n"));
        }
        let created = self
            .client
            .commit_container(options.build(), bollard::models::ContainerConfig::default())
            .await
            .map_err(|e| self.fail(e))?;
        Ok(created.id)
    }

    async fn top(&self, id: &str) -> Result<(Vec<String>, Vec<Vec<String>>)> {
        let top = self
            .read(|c| async move {
                c.top_processes(id, None::<bollard::query_parameters::TopOptions>)
                    .await
            })
            .await
            .map_err(|e| self.fail(e))?;
        Ok((
            top.titles.unwrap_or_default(),
            top.processes.unwrap_or_default(),
        ))
    }

    async fn usage(&self, id: &str) -> Result<Usage> {
        let options = StatsOptionsBuilder::default().stream(false).build();
        let mut samples = self.client.stats(id, Some(options));
        match samples.next().await {
            Some(sample) => Ok(usage(sample.map_err(|e| self.fail(e))?)),
            None => Err(EngineError::Other(format!("no stats for container {id}"))),
        }
    }

    async fn tail_logs(&self, id: &str, lines: usize) -> Result<String> {
        let options = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .tail(&lines.to_string())
            .build();
        let mut stream = self.client.logs(id, Some(options));
        let mut text = String::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.fail(e))?;
            text.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
        }
        Ok(text)
    }

    fn logs(&self, id: &str, options: &LogOptions) -> BoxStream<'static, Result<LogChunk>> {
        // The engine takes whole seconds as a 32-bit number.
        let seconds = |t: i64| i32::try_from(t).unwrap_or(i32::MAX);
        let mut query = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .follow(options.follow)
            .timestamps(options.timestamps)
            .tail(options.tail.as_deref().unwrap_or("all"));
        if let Some(since) = options.since {
            query = query.since(seconds(since));
        }
        if let Some(until) = options.until {
            query = query.until(seconds(until));
        }
        let (client, host) = (self.client.clone(), self.host.clone());
        client
            .logs(id, Some(query.build()))
            .map(move |chunk| {
                chunk
                    .map_err(|e| engine_error(&host, e))
                    .map(|chunk| LogChunk {
                        stderr: matches!(chunk, bollard::container::LogOutput::StdErr { .. }),
                        bytes: chunk.into_bytes(),
                    })
            })
            .boxed()
    }

    async fn events(&self, project: &str) -> Result<BoxStream<'static, Result<Event>>> {
        let stream = self
            .container_messages(project, None, None)
            .filter_map(|item| async move {
                match item {
                    Ok(message) => container_event(message).map(Ok),
                    Err(e) => Some(Err(e)),
                }
            });
        Ok(stream.boxed())
    }

    fn activity(
        &self,
        project: &str,
        since: Option<i64>,
        until: Option<i64>,
    ) -> BoxStream<'static, Result<Activity>> {
        self.container_messages(project, since, until)
            .map(|item| {
                item.map(|message| {
                    let actor = message.actor.unwrap_or_default();
                    let action = message.action.unwrap_or_default();
                    Activity {
                        time_nano: message.time_nano.unwrap_or_default(),
                        // Podman's `remove` is Docker's `destroy`, which
                        // `events` prints as Docker Compose does.
                        action: if action == "remove" {
                            "destroy".to_string()
                        } else {
                            action
                        },
                        container_id: actor.id.unwrap_or_default(),
                        attributes: actor.attributes.unwrap_or_default().into_iter().collect(),
                    }
                })
            })
            .boxed()
    }
}

/// How long the engine may take to answer a ping after its event stream
/// ended, before berth takes it for gone.
const PING_AFTER_END: Duration = Duration::from_secs(5);
/// How long an event stream may stay quiet before berth checks, with a
/// ping, that the engine is still there.
const QUIET_BEFORE_PING: Duration = Duration::from_secs(10);
/// How long that ping may take: a slow or far engine answers well within it.
const PING_WHEN_QUIET: Duration = Duration::from_secs(20);
/// Subscriptions to the events anew in a row, while the engine answers
/// pings; Podman ends the stream when it rotates its event log.
const RESUBSCRIPTIONS: u32 = 2;
/// A stream that lived this long (or brought an event) earns its
/// resubscriptions back.
const LONG_LIVED: Duration = Duration::from_secs(30);

/// The engine's event stream for one project, subscribed anew when it ends
/// while the engine still answers.
struct EventFeed {
    engine: DockerEngine,
    filters: HashMap<&'static str, Vec<String>>,
    /// The first subscription's `since`.
    since: String,
    until: Option<String>,
    /// When the last event delivered happened (nanoseconds).
    last_nano: Option<i64>,
    stream: Option<
        BoxStream<'static, std::result::Result<bollard::models::EventMessage, BollardError>>,
    >,
    opened: std::time::Instant,
    /// Resubscriptions left.
    retries: u32,
}

impl EventFeed {
    /// Subscribes, from just after the last event delivered (or from the
    /// first `since` when none was): what happened in between is replayed.
    fn subscribe(&mut self) {
        let since = match self.last_nano {
            Some(nano) => {
                let next = nano.saturating_add(1);
                format!(
                    "{}.{:09}",
                    next.div_euclid(1_000_000_000),
                    next.rem_euclid(1_000_000_000)
                )
            }
            None => self.since.clone(),
        };
        let mut options = EventsOptionsBuilder::default()
            .since(&since)
            .filters(&self.filters);
        if let Some(until) = &self.until {
            options = options.until(until);
        }
        self.stream = Some(self.engine.client.events(Some(options.build())).boxed());
        self.opened = std::time::Instant::now();
    }

    /// The next event; an error ends the feed.
    async fn next(&mut self) -> Option<Result<bollard::models::EventMessage>> {
        loop {
            if self.stream.is_none() {
                self.subscribe();
            }
            let stream = self.stream.as_mut()?;
            let Ok(next) = tokio::time::timeout(QUIET_BEFORE_PING, stream.next()).await else {
                // A quiet stream is normal; an engine that does not answer
                // a ping either is gone, though the connection looks open
                // (a host that dropped off the network).
                if let Err(e) = self.engine.check_alive().await {
                    return Some(Err(e));
                }
                continue;
            };
            let why = match next {
                Some(Ok(message)) => {
                    if let Some(nano) = message.time_nano {
                        self.last_nano = Some(nano);
                    }
                    self.retries = RESUBSCRIPTIONS;
                    return Some(Ok(message));
                }
                Some(Err(e)) => match transport_failure(&e) {
                    Some(reason) => reason,
                    None => return Some(Err(self.engine.fail(e))),
                },
                // With `until`, the engine ends the stream there.
                None if self.until.is_some() => return None,
                None => "the engine ended its event stream".to_string(),
            };
            self.stream = None;
            if self.opened.elapsed() >= LONG_LIVED {
                self.retries = RESUBSCRIPTIONS;
            }
            let lost = |reason: String| EngineError::Lost {
                host: self.engine.host.to_string(),
                reason,
            };
            // An engine that still answers ended the stream on purpose.
            match tokio::time::timeout(PING_AFTER_END, self.engine.client.ping()).await {
                Ok(Ok(_)) if self.retries > 0 => self.retries -= 1,
                Ok(Ok(_)) => {
                    return Some(Err(EngineError::Other(format!(
                        "{why}, {} times in a row",
                        RESUBSCRIPTIONS + 1
                    ))));
                }
                Ok(Err(e)) => {
                    return Some(Err(match self.engine.fail(e) {
                        e @ EngineError::Lost { .. } => e,
                        other => lost(format!("{why}, and a ping failed: {other}")),
                    }));
                }
                Err(_) => {
                    return Some(Err(lost(format!(
                        "{why}, and a ping got no answer within {} s",
                        PING_AFTER_END.as_secs()
                    ))));
                }
            }
        }
    }
}

impl DockerEngine {
    /// Whether the engine still answers a ping in time.
    async fn check_alive(&self) -> Result<()> {
        match tokio::time::timeout(PING_WHEN_QUIET, self.quick.ping()).await {
            Ok(answer) => answer.map(drop).map_err(|e| self.fail(e)),
            Err(_) => Err(EngineError::Lost {
                host: self.host.to_string(),
                reason: format!(
                    "its event stream went quiet and a ping got no answer within {} s",
                    PING_WHEN_QUIET.as_secs()
                ),
            }),
        }
    }
}

impl DockerEngine {
    /// The engine's messages about the containers of `project`, from `since`
    /// (Unix seconds; now when `None`) until `until` (for ever when `None`).
    /// A stream the engine ends while it still answers is subscribed anew
    /// (up to [`RESUBSCRIPTIONS`] times in a row); one that ends because
    /// the engine went away ends with [`EngineError::Lost`].
    fn container_messages(
        &self,
        project: &str,
        since: Option<i64>,
        until: Option<i64>,
    ) -> BoxStream<'static, Result<bollard::models::EventMessage>> {
        let mut filters = project_filter(project);
        filters.insert("type", vec!["container".into()]);
        // The stream is lazy (bollard sends the request when first polled),
        // so "now" is asked for explicitly: events in between are replayed.
        let feed = EventFeed {
            engine: self.clone(),
            filters,
            since: since.unwrap_or_else(unix_now).to_string(),
            until: until.map(|u| u.to_string()),
            last_nano: None,
            stream: None,
            opened: std::time::Instant::now(),
            retries: RESUBSCRIPTIONS,
        };
        futures_util::stream::unfold(Some(feed), |feed| async move {
            let mut feed = feed?;
            match feed.next().await? {
                Ok(message) => Some((Ok(message), Some(feed))),
                // Nothing comes after an error.
                Err(e) => Some((Err(e), None)),
            }
        })
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_connection_is_the_engine_lost_at_its_address() {
        let host = "unix:///run/docker.sock";
        let lost = |e: BollardError| match engine_error(host, e) {
            EngineError::Lost { host, reason } => Some((host, reason)),
            _ => None,
        };
        // bollard's stream readers keep only the text of hyper's error.
        let body = std::io::Error::other("error reading a body from connection");
        assert_eq!(
            lost(BollardError::IOError { err: body }),
            Some((host.into(), "error reading a body from connection".into()))
        );
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(lost(BollardError::IOError { err: refused }).is_some());
        // Answers are not the connection's fault.
        let not_found = BollardError::DockerResponseServerError {
            status_code: 404,
            message: "no such container".into(),
        };
        assert!(matches!(
            engine_error(host, not_found),
            EngineError::NotFound(_)
        ));
        let garbled = BollardError::JsonDataError {
            message: "x".into(),
            column: 1,
        };
        assert!(lost(garbled).is_none());
        let other = std::io::Error::other("disk full");
        assert!(lost(BollardError::IOError { err: other }).is_none());
    }

    #[test]
    fn podmans_event_words_read_as_dockers() {
        let event = |action: &str, attributes: &[(&str, &str)]| {
            container_event(bollard::models::EventMessage {
                action: Some(action.into()),
                actor: Some(bollard::models::EventActor {
                    id: Some("c1".into()),
                    attributes: Some(
                        attributes
                            .iter()
                            .map(|(k, v)| (k.to_string(), v.to_string()))
                            .collect(),
                    ),
                }),
                ..Default::default()
            })
            .map(|e| e.what)
        };
        assert_eq!(event("remove", &[]), Some(ContainerEvent::Destroyed));
        assert_eq!(event("destroy", &[]), Some(ContainerEvent::Destroyed));
        assert_eq!(
            event("health_status: unhealthy", &[]),
            Some(ContainerEvent::Health(Health::Unhealthy))
        );
        assert_eq!(
            event("health_status", &[("health_status", "healthy")]),
            Some(ContainerEvent::Health(Health::Healthy))
        );
        // Podman 4's bare word only wakes a wait, which inspects again.
        assert_eq!(
            event("health_status", &[]),
            Some(ContainerEvent::Health(Health::Starting))
        );
    }

    #[test]
    fn endpoint_fields_newer_than_the_engine_are_left_out() {
        let attachment = super::super::spec::NetworkAttachment {
            network: "p_front".into(),
            link_local_ips: vec!["169.254.1.1".into()],
            mac_address: "02:42:ac:11:00:02".into(),
            driver_opts: BTreeMap::from([("k".into(), "v".into())]),
            gw_priority: 3,
            interface_name: "eth7".into(),
            ..Default::default()
        };
        let old = endpoint(&attachment, "p-web-1", ApiVersion::new(1, 41));
        assert_eq!(old.mac_address, None);
        assert_eq!(old.gw_priority, None);
        assert_eq!(
            old.driver_opts,
            Some(HashMap::from([("k".into(), "v".into())]))
        );
        assert_eq!(
            old.ipam_config.and_then(|i| i.link_local_ips),
            Some(vec!["169.254.1.1".to_string()])
        );
        let new = endpoint(&attachment, "p-web-1", ApiVersion::new(1, 49));
        assert_eq!(new.mac_address.as_deref(), Some("02:42:ac:11:00:02"));
        assert_eq!(new.gw_priority, Some(3));
        assert_eq!(
            new.driver_opts.unwrap_or_default().get(IFNAME_OPTION),
            Some(&"eth7".to_string())
        );
    }

    #[test]
    fn links_go_on_the_primary_endpoint_or_else_the_host_config() {
        let mut spec = ContainerSpec {
            image: "busybox".into(),
            links: vec!["p-db-1:db".into()],
            external_links: vec!["other:o".into()],
            networks: vec![super::super::spec::NetworkAttachment {
                network: "p_default".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let body = create_body("p-web-1", &spec, ApiVersion::new(1, 41));
        let endpoints = body.networking_config.unwrap().endpoints_config.unwrap();
        assert_eq!(
            endpoints["p_default"].links,
            Some(vec!["p-db-1:db".to_string(), "other:o".to_string()])
        );
        assert_eq!(body.host_config.unwrap().links, None);

        spec.networks.clear();
        spec.network_mode = "bridge".into();
        let body = create_body("p-web-1", &spec, ApiVersion::new(1, 41));
        assert_eq!(body.host_config.unwrap().links.map(|l| l.len()), Some(2));
    }

    #[test]
    fn only_the_primary_network_goes_into_create_on_api_1_41() {
        let spec = ContainerSpec {
            image: "busybox".into(),
            networks: vec![
                super::super::spec::NetworkAttachment {
                    network: "p_front".into(),
                    ..Default::default()
                },
                super::super::spec::NetworkAttachment {
                    network: "p_back".into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let old = create_body("p-web-1", &spec, ApiVersion::new(1, 41));
        let new = create_body("p-web-1", &spec, ApiVersion::new(1, 44));
        let endpoints = |b: &ContainerCreateBody| {
            b.networking_config
                .as_ref()
                .and_then(|n| n.endpoints_config.as_ref())
                .map_or(0, HashMap::len)
        };
        assert_eq!(endpoints(&old), 1);
        assert_eq!(endpoints(&new), 2);
        assert_eq!(
            old.host_config.and_then(|h| h.network_mode).as_deref(),
            Some("p_front")
        );
    }

    /// Keys this machine's engine cannot apply (no NVIDIA runtime, no
    /// real-time scheduler, no xfs quotas, Linux only): their create body.
    #[test]
    fn mounts_take_the_api_docker_compose_chooses() {
        let m = |kind: &str, source: &str, target: &str| MountSpec {
            kind: kind.into(),
            source: source.into(),
            target: target.into(),
            ..Default::default()
        };
        let spec = ContainerSpec {
            image: "busybox".into(),
            mounts: vec![
                MountSpec {
                    selinux: "z".into(),
                    create_host_path: true,
                    ..m("bind", "/h/data", "/data")
                },
                MountSpec {
                    read_only: true,
                    selinux: "Z".into(),
                    create_host_path: true,
                    ..m("bind", "/h/conf", "/conf")
                },
                // `bind: {selinux: z}` alone: the mount API, without `z`.
                MountSpec {
                    selinux: "z".into(),
                    ..m("bind", "/h/data", "/mount-api")
                },
                MountSpec {
                    create_host_path: true,
                    propagation: "rslave".into(),
                    ..m("bind", "/h/data", "/rslave")
                },
                MountSpec {
                    create_host_path: true,
                    recursive: "disabled".into(),
                    ..m("bind", "/h/data", "/flat")
                },
                MountSpec {
                    selinux: "Z".into(),
                    ..m("volume", "p_data", "/named")
                },
                MountSpec {
                    nocopy: true,
                    ..m("volume", "p_data", "/nocopy")
                },
                MountSpec {
                    volume_labels: BTreeMap::from([("a".into(), "b".into())]),
                    ..m("volume", "p_data", "/labelled")
                },
                m("volume", "", "/anonymous"),
                m("tmpfs", "", "/scratch"),
            ],
            ..Default::default()
        };
        let host = create_body("p-web-1", &spec, ApiVersion::FLOOR)
            .host_config
            .unwrap();
        assert_eq!(
            host.binds.unwrap(),
            [
                "/h/data:/data:rw,z",
                "/h/conf:/conf:ro,Z",
                "p_data:/named:rw,Z"
            ]
        );
        let mounts = host.mounts.unwrap();
        let targets: Vec<&str> = mounts
            .iter()
            .map(|m| m.target.as_deref().unwrap())
            .collect();
        assert_eq!(
            targets,
            [
                "/mount-api",
                "/rslave",
                "/flat",
                "/nocopy",
                "/labelled",
                "/anonymous",
                "/scratch"
            ]
        );
        let options = |i: usize| mounts[i].bind_options.clone().unwrap();
        assert_eq!(options(0), MountBindOptions::default());
        assert_eq!(
            options(1).propagation,
            Some(MountBindOptionsPropagationEnum::RSLAVE)
        );
        assert_eq!(options(1).create_mountpoint, Some(true));
        assert_eq!(options(2).non_recursive, Some(true));
        let volume = |i: usize| mounts[i].volume_options.clone().unwrap();
        assert_eq!(volume(3).no_copy, Some(true));
        assert_eq!(
            volume(4).labels,
            Some(HashMap::from([("a".into(), "b".into())]))
        );
        assert_eq!(volume(5), MountVolumeOptions::default());
    }

    #[test]
    fn lists_are_sent_as_docker_compose_sends_them() {
        let spec = ContainerSpec {
            image: "busybox".into(),
            cap_add: vec![
                "net_admin".into(),
                "CAP_SYS_TIME".into(),
                "NET_ADMIN".into(),
            ],
            cap_drop: vec!["ALL".into()],
            expose: vec!["3000".into(), "4000/udp".into()],
            ..Default::default()
        };
        let body = create_body("p-web-1", &spec, ApiVersion::FLOOR);
        let host = body.host_config.unwrap();
        assert_eq!(host.cap_add.unwrap(), ["CAP_NET_ADMIN", "CAP_SYS_TIME"]);
        assert_eq!(host.cap_drop.unwrap(), ["ALL"]);
        assert_eq!(host.extra_hosts, Some(Vec::new()));
        assert_eq!(host.port_bindings, Some(HashMap::new()));
        assert_eq!(body.exposed_ports.unwrap(), ["3000", "4000/udp"]);
    }

    #[test]
    fn host_only_keys_reach_the_create_body() {
        use super::super::spec::{DeviceRequestSpec, ResourceSpec};
        let spec = ContainerSpec {
            image: "busybox".into(),
            device_requests: vec![DeviceRequestSpec {
                driver: "nvidia".into(),
                count: -1,
                capabilities: vec!["gpu".into()],
                ..Default::default()
            }],
            storage_opt: BTreeMap::from([("size".into(), "1G".into())]),
            isolation: "hyperv".into(),
            resources: ResourceSpec {
                cpu_count: 2,
                cpu_percent: 50,
                cpu_rt_period: 1_000_000,
                cpu_rt_runtime: 950_000,
                ..Default::default()
            },
            ..Default::default()
        };
        let host = create_body("p-web-1", &spec, ApiVersion::FLOOR)
            .host_config
            .unwrap();
        let request = &host.device_requests.as_ref().unwrap()[0];
        assert_eq!(request.driver.as_deref(), Some("nvidia"));
        assert_eq!(request.count, Some(-1));
        assert_eq!(request.capabilities, Some(vec![vec!["gpu".to_string()]]));
        assert_eq!(
            host.storage_opt,
            Some(HashMap::from([("size".into(), "1G".into())]))
        );
        assert_eq!(host.isolation, Some(HostConfigIsolationEnum::HYPERV));
        assert_eq!(host.cpu_count, Some(2));
        assert_eq!(host.cpu_percent, Some(50));
        assert_eq!(host.cpu_realtime_period, Some(1_000_000));
        assert_eq!(host.cpu_realtime_runtime, Some(950_000));
    }

    #[test]
    fn newer_keys_are_left_out_on_older_engines() {
        let spec = ContainerSpec {
            image: "busybox".into(),
            annotations: BTreeMap::from([("com.example.a".into(), "1".into())]),
            healthcheck: Some(super::super::spec::HealthSpec {
                test: vec!["CMD".into(), "true".into()],
                start_period: Some(5_000_000_000),
                start_interval: Some(1_000_000_000),
                ..Default::default()
            }),
            mac_address: "02:42:ac:11:00:99".into(),
            networks: vec![super::super::spec::NetworkAttachment {
                network: "p_default".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let mac = |b: &ContainerCreateBody| {
            b.networking_config.as_ref().and_then(|n| {
                n.endpoints_config.as_ref()?["p_default"]
                    .mac_address
                    .clone()
            })
        };

        let old = create_body("p-web-1", &spec, ApiVersion::new(1, 41));
        let health = old.healthcheck.as_ref().unwrap();
        assert_eq!(health.start_period, Some(5_000_000_000));
        assert_eq!(health.start_interval, None);
        assert_eq!(old.host_config.as_ref().unwrap().annotations, None);
        assert_eq!(mac(&old), None);

        let new = create_body("p-web-1", &spec, ApiVersion::new(1, 44));
        assert_eq!(
            new.healthcheck.as_ref().unwrap().start_interval,
            Some(1_000_000_000)
        );
        assert_eq!(
            new.host_config.as_ref().unwrap().annotations,
            Some(HashMap::from([("com.example.a".into(), "1".into())]))
        );
        assert_eq!(mac(&new).as_deref(), Some("02:42:ac:11:00:99"));
    }
}
