//! What the project asks the engine for: specs of the networks, volumes and
//! containers of a loaded [`Project`], before looking at what runs.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use indexmap::IndexMap;

use crate::build::service::{PullPolicy, ServiceBuild};
use crate::diag::{Diagnostic, Diagnostics};
use crate::engine::spec::{
    BlkioSpec, ContainerSpec, DeviceRequestSpec, DeviceSpec, FileSpec, HealthSpec, IpamPoolSpec,
    IpamSpec, LoggingSpec, MountSpec, NetworkAttachment, NetworkSpec, PortSpec, ResourceSpec,
    ThrottleSpec, UlimitSpec, VolumeSpec, WeightDeviceSpec,
};
use crate::engine::{ApiVersion, ExecSpec, labels};
use crate::env_vars;
use crate::graph::ProjectGraph;
use crate::load::Loaded;
use crate::load::node::{PathSeg, path_to_string};
use crate::model::UlimitsConfig;
use crate::model::{FileObjectConfig, FileReferenceConfig, Project, Service, ServiceHook};
use crate::reconcile::checks;
use crate::reconcile::config_hash;
use crate::reconcile::fingerprint::Fingerprint;

/// The whole desired state of a project.
#[derive(Clone, Debug, Default)]
pub struct Desired {
    pub project: String,
    /// How containers and built images are named.
    pub naming: Naming,
    pub services: BTreeMap<String, DesiredService>,
    /// By network key.
    pub networks: BTreeMap<String, DesiredNetwork>,
    /// By volume key.
    pub volumes: BTreeMap<String, DesiredVolume>,
    /// Services the file defines but profiles disabled: their containers are not orphans.
    pub disabled_services: Vec<String>,
    /// Keys only newer engines apply, checked once the engine's version is known.
    pub gates: Vec<Gate>,
    /// The project's compose files, absolute (`watch` never syncs them).
    pub config_files: Vec<std::path::PathBuf>,
    /// The services and what they need: the loader's graph, carried on.
    pub graph: ProjectGraph,
}

/// How Docker Compose names what it creates: v2's `project-service-1`, or
/// v1's `project_service_1` in its compatibility mode (`--compatibility`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Naming {
    #[default]
    V2,
    V1,
}

impl Naming {
    /// The naming `--compatibility` chose for `loaded`.
    pub fn of(loaded: &Loaded) -> Naming {
        if loaded.compatibility {
            Naming::V1
        } else {
            Naming::V2
        }
    }

    fn separator(self) -> char {
        match self {
            Naming::V2 => '-',
            Naming::V1 => '_',
        }
    }

    /// A replica's container: `project-service-1`.
    pub fn container(self, project: &str, service: &str, number: u32) -> String {
        format!(
            "{project}{}{}",
            self.separator(),
            self.replica(service, number)
        )
    }

    /// The replica number in `name` when it is a replica's container name
    /// of `service`.
    pub fn replica_number(self, project: &str, service: &str, name: &str) -> Option<u32> {
        let s = self.separator();
        name.strip_prefix(&format!("{project}{s}{service}{s}"))?
            .parse()
            .ok()
    }

    /// A replica without its project (`service-1`), a link alias.
    pub fn replica(self, service: &str, number: u32) -> String {
        format!("{service}{}{number}", self.separator())
    }

    /// The image a service with `build:` and no `image:` gets: `project-service`.
    pub fn image(self, project: &str, service: &str) -> String {
        format!("{project}{}{service}", self.separator())
    }

    /// A one-off container of `run`: `project-service-run-0123456789ab`.
    pub fn one_off(self, project: &str, service: &str, id: &str) -> String {
        let s = self.separator();
        format!("{project}{s}{service}{s}run{s}{id}")
    }
}

/// A key that the engine applies only from API version `api` on.
#[derive(Clone, Debug)]
pub struct Gate {
    pub api: ApiVersion,
    /// Where the key is in the model, for the message.
    pub path: Vec<PathSeg>,
    /// `file:line:col` of the key, when known.
    pub at: Option<String>,
    /// What an older engine does with it (`is ignored`...).
    pub effect: &'static str,
    /// Whether an older engine is refused: ignoring the key would do
    /// something else than the file says, not just less.
    pub refuse: bool,
}

impl Gate {
    fn new(api: ApiVersion, path: Vec<PathSeg>, effect: &'static str, refuse: bool) -> Self {
        Gate {
            api,
            path,
            at: None,
            effect,
            refuse,
        }
    }

    /// The message for an engine older than the gate.
    pub fn message(&self, found: ApiVersion) -> String {
        let at = self
            .at
            .as_ref()
            .map_or(String::new(), |at| format!(" ({at})"));
        format!(
            "{} needs Docker Engine API {} or newer, this engine speaks {found}: {}{at}",
            path_to_string(&self.path),
            self.api,
            self.effect
        )
    }
}

/// The warnings and the refusals of `gates` on an engine speaking `api`.
pub fn check_gates(gates: &[Gate], api: ApiVersion) -> (Vec<String>, Vec<String>) {
    let (refused, warned): (Vec<&Gate>, Vec<&Gate>) =
        gates.iter().filter(|g| api < g.api).partition(|g| g.refuse);
    let messages = |gates: Vec<&Gate>| gates.iter().map(|g| g.message(api)).collect();
    (messages(warned), messages(refused))
}

/// A path into the model: `path(&["services", "web"])`.
fn path(keys: &[&str]) -> Vec<PathSeg> {
    keys.iter().map(|k| PathSeg::Key(k.to_string())).collect()
}

#[derive(Clone, Debug)]
pub struct DesiredService {
    pub name: String,
    pub replicas: u32,
    /// `container_name`, when set.
    pub container_name: Option<String>,
    pub spec: ContainerSpec,
    pub depends_on: IndexMap<String, Dependency>,
    /// Network keys the containers join.
    pub networks: Vec<String>,
    /// Volume keys the containers mount.
    pub volumes: Vec<String>,
    /// Services whose containers this one shares a namespace or volumes with
    /// (`network_mode: service:x`, `volumes_from`...): recreating them recreates this.
    pub parents: Vec<String>,
    /// What keeps its containers from being created (a secret's missing
    /// source...); commands that create containers refuse to run with them.
    pub problems: Vec<DesiredError>,
    /// `file:line:col` of the keys checked against the engine's platform
    /// once connected (`platform` and the Windows-only ones), by key.
    pub located: BTreeMap<&'static str, String>,
    /// Commands run in each container after it starts (`post_start`).
    pub post_start: Vec<Hook>,
    /// Commands run in each container before it stops (`pre_stop`).
    pub pre_stop: Vec<Hook>,
    /// `attach: false`: attached `up` (not implemented yet) leaves its output out.
    pub attach: bool,
    /// How its image is built, when it has a `build:` section.
    pub build: Option<ServiceBuild>,
    pub pull_policy: PullPolicy,
    /// No `image:` in the file: berth names the image `<project>-<service>`
    /// (what `down --rmi local` removes).
    pub image_named_by_berth: bool,
    /// `develop.watch` rules.
    pub develop: Option<crate::model::DevelopConfig>,
    /// The service as the file has it, for [`DesiredService::hashed`].
    source: Arc<Service>,
    hashed: OnceLock<serde_json::Value>,
}

impl DesiredService {
    /// The service as Docker Compose hashes it, references unresolved
    /// ([`config_hash::service_hash`] gives the container's hash). Made on
    /// first need: only a create, and a container another tool made, need
    /// it, and `ps` or a no-op `up` need neither.
    pub fn hashed(&self) -> &serde_json::Value {
        self.hashed
            .get_or_init(|| config_hash::hashed_service(&self.source))
    }
}

/// A `post_start` or `pre_stop` hook: a command executed in the container.
/// It is not part of the container's spec, so editing one recreates nothing.
pub type Hook = ExecSpec;

pub(crate) fn hook(hook: &ServiceHook) -> Hook {
    Hook {
        command: hook.command.clone().unwrap_or_default(),
        user: hook.user.clone(),
        privileged: hook.privileged,
        working_dir: hook.working_dir.clone(),
        env: hook
            .environment
            .iter()
            .map(|(k, v)| match v {
                Some(v) => format!("{k}={v}"),
                None => k.clone(),
            })
            .collect(),
        ..Default::default()
    }
}

/// A `depends_on` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dependency {
    pub condition: Condition,
    pub required: bool,
    pub restart: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    ServiceStarted,
    ServiceHealthy,
    ServiceCompletedSuccessfully,
    /// Healthy when there is a health check, running otherwise (`up --wait`).
    RunningOrHealthy,
}

impl Condition {
    pub fn parse(text: &str) -> Condition {
        match text {
            "service_healthy" => Condition::ServiceHealthy,
            "service_completed_successfully" => Condition::ServiceCompletedSuccessfully,
            _ => Condition::ServiceStarted,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Condition::ServiceStarted => "service_started",
            Condition::ServiceHealthy => "service_healthy",
            Condition::ServiceCompletedSuccessfully => "service_completed_successfully",
            Condition::RunningOrHealthy => "running_or_healthy",
        }
    }
}

#[derive(Clone, Debug)]
pub struct DesiredNetwork {
    pub key: String,
    pub external: bool,
    pub spec: NetworkSpec,
    /// Docker Compose's hash of the definition.
    pub hash: String,
}

#[derive(Clone, Debug)]
pub struct DesiredVolume {
    pub key: String,
    pub external: bool,
    pub spec: VolumeSpec,
    /// Docker Compose's hash of the definition.
    pub hash: String,
}

/// Where the project came from, for the labels Docker Compose puts on containers.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    pub working_dir: String,
    pub config_files: Vec<String>,
    pub env_files: Vec<String>,
    /// The project's environment, for secrets and configs taken from it.
    pub environment: IndexMap<String, String>,
    pub naming: Naming,
}

/// An error in turning the project into engine objects.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{}{message}", if service.is_empty() { String::new() } else { format!("service {service:?}: ") })]
pub struct DesiredError {
    pub service: String,
    pub message: String,
    /// The offending key in the model, to point at its line; empty when none.
    pub path: Vec<PathSeg>,
}

/// The desired state of a loaded project. Errors and gated keys point at
/// their place in the files.
pub fn from_loaded(mut loaded: Loaded) -> Result<Desired, Diagnostics> {
    let graph = std::mem::take(&mut loaded.graph);
    let origin = Origin {
        working_dir: loaded.working_dir.display().to_string(),
        config_files: loaded
            .config_files
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        // Absolute, as Docker Compose records them: the label is read back
        // from other folders (`-p x start`, Compose on berth's containers).
        env_files: loaded
            .env_files
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        environment: loaded.environment.clone(),
        naming: Naming::of(&loaded),
    };
    let all_services = loaded.all_services.clone();
    let config_files = loaded.config_files.clone();
    let locations = checks::key_locations(&loaded);
    let sources = loaded.sources.clone();
    // Positions are looked up in the tree, which the typed model has no room for.
    let locate = |path: &[PathSeg]| sources.locate(deepest(&loaded.model, path)?.key_span());
    let project = typed_project(&loaded)?;
    let mut desired = desired(project, &origin).map_err(|e| {
        let mut diagnostic = Diagnostic::new(e.to_string());
        if let Some(node) = deepest(&loaded.model, &e.path) {
            diagnostic = diagnostic.at(node.key_span());
        }
        Diagnostics {
            items: vec![diagnostic],
            sources: sources.clone(),
        }
    })?;
    for service in desired.services.values_mut() {
        service.located = locations
            .range((service.name.clone(), "")..)
            .take_while(|((name, _), _)| *name == service.name)
            .map(|((_, key), at)| (*key, at.clone()))
            .collect();
    }
    for gate in &mut desired.gates {
        gate.at = locate(&gate.path);
    }
    let builds = desired
        .services
        .values_mut()
        .filter_map(|s| s.build.as_mut());
    for refusal in builds.flat_map(|b| b.refusals.iter_mut()) {
        refusal.at = locate(&refusal.path);
    }
    desired.config_files = config_files;
    desired.graph = graph;
    desired.disabled_services = all_services
        .into_iter()
        .filter(|s| !desired.services.contains_key(s))
        .collect();
    Ok(desired)
}

/// The typed model of `loaded`; an error points at the value at fault.
pub(crate) fn typed_project(loaded: &Loaded) -> Result<Project, Diagnostics> {
    Project::from_json(loaded.model.to_json()).map_err(|e| {
        let mut diagnostic = Diagnostic::new(e.to_string());
        if let Some(span) = loaded.model.locate_dotted(&e.path) {
            diagnostic = diagnostic.at(span);
        }
        Diagnostics {
            items: vec![diagnostic],
            sources: loaded.sources.clone(),
        }
    })
}

/// The node at `path`, or at its longest prefix that exists (a key the
/// short syntax implied has no node of its own); `None` for an empty path.
pub(crate) fn deepest<'a>(
    model: &'a crate::load::node::Node,
    path: &[PathSeg],
) -> Option<&'a crate::load::node::Node> {
    (1..=path.len())
        .rev()
        .find_map(|len| model.at_path(&path[..len]))
}

/// Builds the desired state of every service of `project` (already filtered by profiles).
pub fn desired(mut project: Project, origin: &Origin) -> Result<Desired, DesiredError> {
    let mut desired = Desired {
        project: project.name.clone(),
        naming: origin.naming,
        ..Default::default()
    };
    for (key, network) in &project.networks {
        let mut spec = NetworkSpec {
            name: network.name.clone(),
            driver: network.driver.clone(),
            driver_opts: sorted(&network.driver_opts),
            labels: sorted(&network.labels),
            internal: network.internal,
            attachable: network.attachable,
            enable_ipv6: network.enable_ipv6,
            enable_ipv4: network.enable_ipv4,
            ipam: (!network.ipam.driver.is_empty()
                || !network.ipam.config.is_empty()
                || !network.ipam.options.is_empty())
            .then(|| IpamSpec {
                driver: network.ipam.driver.clone(),
                config: network
                    .ipam
                    .config
                    .iter()
                    .map(|p| IpamPoolSpec {
                        subnet: p.subnet.clone(),
                        ip_range: p.ip_range.clone(),
                        gateway: p.gateway.clone(),
                        aux_addresses: sorted(&p.aux_addresses),
                    })
                    .collect(),
                options: sorted(&network.ipam.options),
            }),
            identity_labels: BTreeMap::new(),
        };
        if network.enable_ipv4 == Some(false) && !network.external {
            desired.gates.push(Gate::new(
                ApiVersion::DISABLE_IPV4,
                path(&["networks", key, "enable_ipv4"]),
                "the network gets IPv4 addresses anyway",
                false,
            ));
        }
        let hash = config_hash::network_hash(network);
        spec.identity_labels = BTreeMap::from([
            (labels::PROJECT.into(), project.name.clone()),
            (labels::NETWORK.into(), key.clone()),
            (labels::VERSION.into(), labels::COMPOSE_VERSION.into()),
            (labels::CONFIG_HASH.into(), hash.clone()),
            (labels::DIGESTS.into(), Fingerprint::of(&spec).to_label()),
        ]);
        desired.networks.insert(
            key.clone(),
            DesiredNetwork {
                key: key.clone(),
                external: network.external,
                spec,
                hash,
            },
        );
    }
    for (key, volume) in &project.volumes {
        let mut spec = VolumeSpec {
            name: volume.name.clone(),
            driver: if volume.driver.is_empty() {
                "local".into()
            } else {
                volume.driver.clone()
            },
            driver_opts: sorted(&volume.driver_opts),
            labels: sorted(&volume.labels),
            identity_labels: BTreeMap::new(),
        };
        let hash = config_hash::volume_hash(volume);
        spec.identity_labels = BTreeMap::from([
            (labels::PROJECT.into(), project.name.clone()),
            (labels::VOLUME.into(), key.clone()),
            (labels::VERSION.into(), labels::COMPOSE_VERSION.into()),
            (labels::CONFIG_HASH.into(), hash.clone()),
            (labels::DIGESTS.into(), Fingerprint::of(&spec).to_label()),
        ]);
        desired.volumes.insert(
            key.clone(),
            DesiredVolume {
                key: key.clone(),
                external: volume.external,
                spec,
                hash,
            },
        );
    }
    for (name, service) in &project.services {
        let (desired_service, gates) = service_state(&project, origin, &desired, name, service)?;
        desired.services.insert(name.clone(), desired_service);
        desired.gates.extend(gates);
    }
    for (name, service) in std::mem::take(&mut project.services) {
        if let Some(desired_service) = desired.services.get_mut(&name) {
            desired_service.source = Arc::new(service);
        }
    }
    Ok(desired)
}

/// `ulimits` entries for the engine; a single number sets both limits.
pub fn ulimit_specs(ulimits: &IndexMap<String, UlimitsConfig>) -> Vec<UlimitSpec> {
    ulimits
        .iter()
        .map(|(name, u)| {
            let (soft, hard) = if u.single != 0 {
                (u.single, u.single)
            } else {
                (u.soft, u.hard)
            };
            UlimitSpec {
                name: name.clone(),
                soft,
                hard,
            }
        })
        .collect()
}

fn sorted(map: &IndexMap<String, String>) -> BTreeMap<String, String> {
    map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn service_state(
    project: &Project,
    origin: &Origin,
    desired: &Desired,
    name: &str,
    service: &Service,
) -> Result<(DesiredService, Vec<Gate>), DesiredError> {
    let fail = |message: String| DesiredError {
        service: name.to_string(),
        message,
        path: Vec::new(),
    };
    let key = |keys: &[&str]| {
        let mut p = path(&["services", name]);
        p.extend(path(keys));
        p
    };
    let mut gates = Vec::new();
    let replicas = service
        .scale
        .or(service.deploy.as_ref().and_then(|d| d.replicas))
        .unwrap_or(1);
    let replicas = u32::try_from(replicas).map_err(|_| fail("scale cannot be negative".into()))?;
    let image = if service.image.is_empty() {
        desired.naming.image(&project.name, name)
    } else {
        service.image.clone()
    };

    let mut spec = ContainerSpec {
        version: 1,
        image,
        entrypoint: service.entrypoint.clone(),
        command: service.command.clone(),
        environment: service
            .environment
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| (k.clone(), v.clone())))
            .collect(),
        unset_environment: {
            let mut names: Vec<String> = service
                .environment
                .iter()
                .filter(|(_, v)| v.is_none())
                .map(|(k, _)| k.clone())
                .collect();
            names.sort();
            names
        },
        labels: sorted(&service.labels),
        hostname: service.hostname.clone(),
        domainname: service.domainname.clone(),
        user: service.user.clone(),
        working_dir: service.working_dir.clone(),
        tty: service.tty,
        stdin_open: service.stdin_open,
        privileged: service.privileged,
        read_only: service.read_only,
        init: service.init,
        restart: restart_policy(service),
        stop_signal: service.stop_signal.clone(),
        stop_timeout: service
            .stop_grace_period
            .map(|d| d.as_nanos() / 1_000_000_000),
        cap_add: service.cap_add.clone(),
        cap_drop: service.cap_drop.clone(),
        dns: service.dns.clone(),
        extra_hosts: service
            .extra_hosts
            .iter()
            .flat_map(|(host, ips)| ips.iter().map(move |ip| format!("{host}:{ip}")))
            .collect(),
        sysctls: sorted(&service.sysctls),
        tmpfs: service
            .tmpfs
            .iter()
            .map(|t| match t.split_once(':') {
                Some((path, options)) => (path.to_string(), options.to_string()),
                None => (t.clone(), String::new()),
            })
            .collect(),
        ulimits: ulimit_specs(&service.ulimits),
        resources: resources(service),
        logging: logging(service),
        ..Default::default()
    };
    let mut problems = Vec::new();
    if let Err(message) = host_options(&mut spec, service, origin) {
        problems.push(fail(message));
    }
    // Docker Compose hands these to plugins; ignoring them would pull an
    // image that does not exist, or start a service without its model.
    if let Some(provider) = &service.provider {
        problems.push(DesiredError {
            path: key(&["provider"]),
            ..fail(format!(
                "its provider {:?} is a Docker Compose plugin, which berth does not run",
                provider.kind
            ))
        });
    }
    if !service.models.is_empty() {
        let names: Vec<&str> = service.models.keys().map(String::as_str).collect();
        problems.push(DesiredError {
            path: key(&["models"]),
            ..fail(format!(
                "uses models ({}), which need the Docker Model Runner plugin; berth does not support models",
                names.join(", ")
            ))
        });
    }
    for (index, device) in service.devices.iter().enumerate() {
        if is_cdi_device_name(&device.source) {
            let mut at = key(&["devices"]);
            at.push(PathSeg::Index(index));
            gates.push(Gate::new(
                ApiVersion::CDI_DEVICES,
                at,
                "it cannot resolve a CDI device name",
                true,
            ));
        }
    }
    if let Some(health) = &service.healthcheck {
        spec.healthcheck = Some(if health.disable {
            HealthSpec {
                test: vec!["NONE".into()],
                ..Default::default()
            }
        } else {
            HealthSpec {
                test: health.test.clone(),
                interval: health.interval.map(|d| d.as_nanos()),
                timeout: health.timeout.map(|d| d.as_nanos()),
                retries: health.retries.map(|r| r as i64),
                start_period: health.start_period.map(|d| d.as_nanos()),
                start_interval: health.start_interval.map(|d| d.as_nanos()),
            }
        });
    }

    // Ports: a range of published ports maps onto the same range of targets.
    for port in &service.ports {
        spec.ports.push(PortSpec {
            target: port.target,
            protocol: if port.protocol.is_empty() {
                "tcp".into()
            } else {
                port.protocol.clone()
            },
            host_ip: port.host_ip.clone(),
            published: port.published.clone(),
        });
    }
    // As written: Docker Compose makes each entry an `ExposedPorts` key
    // as is (`3000`, not `3000/tcp`), ranges included.
    spec.expose = service.expose.clone();

    let mut volume_keys = Vec::new();
    for (index, volume) in service.volumes.iter().enumerate() {
        let volume_key = |last: &str| {
            let mut p = key(&["volumes"]);
            p.push(PathSeg::Index(index));
            p.push(PathSeg::Key(last.into()));
            p
        };
        let mut mount = MountSpec {
            kind: volume.kind.clone(),
            target: volume.target.clone(),
            read_only: volume.read_only,
            ..Default::default()
        };
        match volume.kind.as_str() {
            "bind" => {
                mount.source = volume.source.clone();
                match &volume.bind {
                    Some(bind) => {
                        mount.propagation = bind.propagation.clone();
                        mount.create_host_path = bind.create_host_path;
                        mount.selinux = bind.selinux.clone();
                        mount.recursive = bind.recursive.clone();
                        // Docker Compose's client refuses it below 1.44
                        // (`writable`, the older engines' behaviour, is sent anyway).
                        if bind.recursive == "readonly" {
                            gates.push(Gate::new(
                                ApiVersion::BIND_RECURSIVE_READ_ONLY,
                                volume_key("bind"),
                                "it would leave the submounts of the bind writable",
                                true,
                            ));
                        }
                    }
                    // Docker Compose sends a bind without options in the
                    // `Binds` list, which makes a missing host directory.
                    None => mount.create_host_path = true,
                }
                // Docker Compose passes `nocopy` on in a bind's `Binds` entry.
                mount.nocopy = volume.volume.as_ref().is_some_and(|v| v.nocopy);
            }
            "volume" => {
                if !volume.source.is_empty() {
                    let Some(declared) = desired.volumes.get(&volume.source) else {
                        return Err(fail(format!(
                            "uses volume {:?}, which the top-level volumes do not declare",
                            volume.source
                        )));
                    };
                    mount.source = declared.spec.name.clone();
                    volume_keys.push(volume.source.clone());
                }
                // Options of the `Binds` entry Docker Compose sends for a
                // named volume (`data:/data:Z`).
                if let Some(bind) = &volume.bind {
                    mount.selinux = bind.selinux.clone();
                    mount.propagation = bind.propagation.clone();
                }
                if let Some(options) = &volume.volume {
                    mount.nocopy = options.nocopy;
                    mount.subpath = options.subpath.clone();
                    mount.volume_labels = sorted(&options.labels);
                    if !options.subpath.is_empty() {
                        // An older engine would mount the whole volume instead.
                        gates.push(Gate::new(
                            ApiVersion::VOLUME_SUBPATH,
                            volume_key("volume"),
                            "it would mount the whole volume instead of the subpath",
                            true,
                        ));
                    }
                }
            }
            "tmpfs" => {
                if let Some(tmpfs) = &volume.tmpfs {
                    mount.tmpfs_size = (tmpfs.size.0 > 0).then_some(tmpfs.size.0);
                    mount.tmpfs_mode = (tmpfs.mode != 0).then_some(tmpfs.mode);
                }
            }
            other => {
                let why = match other {
                    "npipe" => "named pipes exist only on Windows engines",
                    "cluster" => "cluster volumes exist only in Swarm mode",
                    "image" => {
                        "image mounts need Docker Engine API 1.48, and berth does not make them yet"
                    }
                    _ => "berth knows bind, volume and tmpfs",
                };
                return Err(DesiredError {
                    path: volume_key("type"),
                    ..fail(format!(
                        "the volume {} has type {other:?}, which berth cannot mount: {why}",
                        volume.target
                    ))
                });
            }
        }
        spec.mounts.push(mount);
    }

    for (reference, base, kind) in service
        .secrets
        .iter()
        .map(|s| (s, "/run/secrets", "secret"))
        .chain(service.configs.iter().map(|c| (c, "", "config")))
    {
        let definitions = if kind == "secret" {
            &project.secrets
        } else {
            &project.configs
        };
        let Some(definition) = definitions.get(&reference.source) else {
            return Err(fail(format!(
                "uses {kind} {:?}, which the top-level {kind}s do not declare",
                reference.source
            )));
        };
        // Only creating containers needs the content: `down` must work without it.
        if let Err(message) = file_object(&mut spec, origin, reference, definition, base, kind) {
            problems.push(fail(message));
        }
    }

    // Networks, the primary one first: highest priority, then by name.
    let mut network_keys = Vec::new();
    let mut parents = Vec::new();
    if service.network_mode.is_empty() {
        let mut joined: Vec<(i64, &String, Option<&crate::model::ServiceNetworkConfig>)> = service
            .networks
            .iter()
            .map(|(key, config)| {
                (
                    config.as_ref().map_or(0, |c| c.priority),
                    key,
                    config.as_ref(),
                )
            })
            .collect();
        joined.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        for (_, net_key, config) in joined {
            let Some(network) = desired.networks.get(net_key) else {
                return Err(fail(format!(
                    "joins network {net_key:?}, which the top-level networks do not declare"
                )));
            };
            let mut attachment = NetworkAttachment {
                network: network.spec.name.clone(),
                aliases: vec![name.to_string()],
                ..Default::default()
            };
            if let Some(config) = config {
                attachment.aliases.extend(config.aliases.iter().cloned());
                attachment.ipv4_address = config.ipv4_address.clone();
                attachment.ipv6_address = config.ipv6_address.clone();
                attachment.link_local_ips = config.link_local_ips.clone();
                attachment.mac_address = config.mac_address.clone();
                attachment.driver_opts = sorted(&config.driver_opts);
                attachment.gw_priority = config.gw_priority;
                attachment.interface_name = config.interface_name.clone();
                let gated = [
                    (
                        !config.mac_address.is_empty(),
                        ApiVersion::ENDPOINT_MAC_ADDRESS,
                        "mac_address",
                    ),
                    (
                        config.gw_priority != 0,
                        ApiVersion::GW_PRIORITY,
                        "gw_priority",
                    ),
                    (
                        !config.interface_name.is_empty(),
                        ApiVersion::INTERFACE_NAME,
                        "interface_name",
                    ),
                ];
                for (_, api, field) in gated.into_iter().filter(|g| g.0) {
                    gates.push(Gate::new(
                        api,
                        key(&["networks", net_key, field]),
                        "the engine ignores it",
                        false,
                    ));
                }
            }
            spec.networks.push(attachment);
            network_keys.push(net_key.clone());
        }
    } else {
        spec.network_mode = service.network_mode.clone();
        if let Some(parent) = service.network_mode.strip_prefix("service:") {
            parents.push(parent.to_string());
        }
    }
    for from in &service.volumes_from {
        if !from.starts_with("container:") {
            parents.push(from.split(':').next().unwrap_or_default().to_string());
        }
    }
    spec.volumes_from = service.volumes_from.clone();
    for (field, mode) in [("ipc", &service.ipc), ("pid", &service.pid)] {
        if let Some(parent) = mode.strip_prefix("service:") {
            if !project.services.contains_key(parent) {
                return Err(DesiredError {
                    path: key(&[field]),
                    ..fail(format!(
                        "{field} shares the namespace of service {parent:?}, which is not in the project"
                    ))
                });
            }
            parents.push(parent.to_string());
        }
    }
    spec.ipc = service.ipc.clone();
    spec.pid = service.pid.clone();
    // `service[:alias]`, the alias defaulting to the service's name.
    spec.links = service
        .links
        .iter()
        .map(|link| match link.split_once(':') {
            Some((target, alias)) => format!("{target}:{alias}"),
            None => format!("{link}:{link}"),
        })
        .collect();
    spec.external_links = service.external_links.clone();

    let depends_on = service
        .depends_on
        .iter()
        .map(|(dep, d)| {
            (
                dep.clone(),
                Dependency {
                    condition: Condition::parse(&d.condition),
                    required: d.required,
                    restart: d.restart,
                },
            )
        })
        .collect();

    spec.identity_labels = identity_labels(project, origin, name, service);
    let service_level = [
        (
            !spec.annotations.is_empty(),
            ApiVersion::ANNOTATIONS,
            &["annotations"][..],
        ),
        (
            spec.healthcheck
                .as_ref()
                .is_some_and(|h| h.start_interval.is_some()),
            ApiVersion::START_INTERVAL,
            &["healthcheck", "start_interval"][..],
        ),
        // bollard's create body has no place for the container-level field
        // older engines read, so the address goes on the primary endpoint.
        (
            !spec.mac_address.is_empty(),
            ApiVersion::ENDPOINT_MAC_ADDRESS,
            &["mac_address"][..],
        ),
    ];
    for (_, api, keys) in service_level.into_iter().filter(|g| g.0) {
        gates.push(Gate::new(api, key(keys), "berth leaves it out", false));
    }
    let build = crate::build::service::service_build(&project.name, name, service, &spec.image);
    let pull_policy = PullPolicy::parse(&service.pull_policy)
        .ok_or_else(|| fail(format!("unknown pull_policy {:?}", service.pull_policy)))?;
    let service_state = DesiredService {
        name: name.to_string(),
        replicas,
        container_name: (!service.container_name.is_empty())
            .then(|| service.container_name.clone()),
        spec,
        depends_on,
        networks: network_keys,
        volumes: volume_keys,
        parents,
        problems,
        located: BTreeMap::new(),
        post_start: service.post_start.iter().map(hook).collect(),
        pre_stop: service.pre_stop.iter().map(hook).collect(),
        attach: service.attach.unwrap_or(true),
        build,
        pull_policy,
        image_named_by_berth: service.image.is_empty(),
        develop: service.develop.clone(),
        // Filled in by `desired`, which owns the service.
        source: Arc::default(),
        hashed: OnceLock::new(),
    };
    Ok((service_state, gates))
}

/// Devices, namespaces, security options and the other host settings.
/// Fails when a seccomp profile cannot be read.
fn host_options(
    spec: &mut ContainerSpec,
    service: &Service,
    origin: &Origin,
) -> Result<(), String> {
    let (cdi, paths): (Vec<_>, Vec<_>) = service
        .devices
        .iter()
        .partition(|d| is_cdi_device_name(&d.source));
    spec.devices = paths
        .into_iter()
        .map(|d| DeviceSpec {
            source: d.source.clone(),
            target: if d.target.is_empty() {
                d.source.clone()
            } else {
                d.target.clone()
            },
            permissions: if d.permissions.is_empty() {
                "rwm".into()
            } else {
                d.permissions.clone()
            },
        })
        .collect();
    spec.device_cgroup_rules = service.device_cgroup_rules.clone();
    // `gpus` entries ask for the `gpu` capability, as `docker run --gpus` does.
    let gpus = service.gpus.iter().map(|g| {
        let mut request = device_request(g);
        if !request.capabilities.iter().any(|c| c == "gpu") {
            request.capabilities.push("gpu".into());
        }
        request
    });
    let reserved = service
        .deploy
        .iter()
        .filter_map(|d| d.resources.reservations.as_ref())
        .flat_map(|r| r.devices.iter().map(device_request));
    // A CDI name (`vendor.com/class=name`) is resolved by the engine's CDI
    // driver into device nodes, mounts and environment.
    let cdi = (!cdi.is_empty()).then(|| DeviceRequestSpec {
        driver: "cdi".into(),
        device_ids: cdi.iter().map(|d| d.source.clone()).collect(),
        ..Default::default()
    });
    spec.device_requests = gpus.chain(reserved).chain(cdi).collect();
    spec.uts = service.uts.clone();
    spec.cgroupns = service.cgroup.clone();
    spec.cgroup_parent = service.cgroup_parent.clone();
    spec.userns_mode = service.userns_mode.clone();
    spec.group_add = service.group_add.clone();
    spec.platform = service.platform.clone();
    if spec.platform.is_empty() {
        spec.default_platform = origin
            .environment
            .get(env_vars::DOCKER_DEFAULT_PLATFORM)
            .cloned()
            .unwrap_or_default();
    }
    spec.mac_address = service.mac_address.clone();
    spec.dns_opt = service.dns_opt.clone();
    spec.dns_search = service.dns_search.clone();
    spec.oom_score_adj = service.oom_score_adj;
    spec.storage_opt = sorted(&service.storage_opt);
    // The engine's API knows these three; Linux engines take only `default`.
    if !matches!(
        service.isolation.as_str(),
        "" | "default" | "process" | "hyperv"
    ) {
        return Err(format!(
            "isolation must be default, process or hyperv, not {:?}",
            service.isolation
        ));
    }
    spec.isolation = service.isolation.clone();
    spec.runtime = service.runtime.clone();
    spec.annotations = sorted(&service.annotations);
    for option in &service.security_opt {
        if option == "systempaths=unconfined" {
            spec.unconfined_paths = true;
        } else {
            spec.security_opt
                .push(security_option(option, &origin.working_dir)?);
        }
    }
    Ok(())
}

/// A `security_opt` entry as Docker Compose sends it: as written, but a
/// seccomp profile's path becomes `seccomp=` and the profile's compacted JSON.
fn security_option(option: &str, working_dir: &str) -> Result<String, String> {
    let split = match option.split_once('=') {
        Some(pair) => Some(pair),
        None if option == "no-new-privileges" => None,
        None => Some(
            option
                .split_once(':')
                .ok_or_else(|| format!("invalid security_opt {option:?}: use key=value"))?,
        ),
    };
    let Some((key, value)) = split else {
        return Ok(option.to_string());
    };
    if key != "seccomp" || value == "unconfined" || value == "builtin" {
        return Ok(option.to_string());
    }
    let path = Path::new(working_dir).join(value);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "security_opt: cannot read the seccomp profile {}: {e}",
            path.display()
        )
    })?;
    let profile = compact_json(&text).map_err(|e| {
        format!(
            "security_opt: the seccomp profile {} is not JSON: {e}",
            path.display()
        )
    })?;
    Ok(format!("seccomp={profile}"))
}

/// `text` without the white space between JSON tokens, nothing else
/// changed (keys keep their order, numbers and escapes their spelling).
fn compact_json(text: &str) -> Result<String, serde_json::Error> {
    serde_json::from_str::<serde::de::IgnoredAny>(text)?;
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            in_string = c == '"';
            out.push(c);
        }
    }
    Ok(out)
}

/// Whether a `devices` entry is a fully qualified CDI device name,
/// `vendor/class=name`, rather than a host path.
fn is_cdi_device_name(entry: &str) -> bool {
    let Some((kind, name)) = entry.split_once('=') else {
        return false;
    };
    let Some((vendor, class)) = kind.split_once('/') else {
        return false;
    };
    let word = |s: &str, extra: &str| {
        !s.is_empty()
            && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
    };
    word(vendor, "-_.") && word(class, "-_") && word(name, "-_.:")
}

fn device_request(d: &crate::model::DeviceRequest) -> DeviceRequestSpec {
    DeviceRequestSpec {
        driver: d.driver.clone(),
        // No count and no IDs asks for every device that matches.
        count: if d.count == 0 && d.ids.is_empty() {
            -1
        } else {
            d.count
        },
        device_ids: d.ids.clone(),
        capabilities: d.capabilities.clone(),
        options: sorted(&d.options),
    }
}

fn restart_policy(service: &Service) -> String {
    if !service.restart.is_empty() {
        return service.restart.clone();
    }
    let Some(policy) = service
        .deploy
        .as_ref()
        .and_then(|d| d.restart_policy.as_ref())
    else {
        return String::new();
    };
    match policy.condition.as_str() {
        "any" | "always" => "always".into(),
        "unless-stopped" => "unless-stopped".into(),
        "on-failure" => match policy.max_attempts {
            Some(n) => format!("on-failure:{n}"),
            None => "on-failure".into(),
        },
        _ => "no".into(),
    }
}

fn resources(service: &Service) -> ResourceSpec {
    let resources = service.deploy.as_ref().map(|d| &d.resources);
    let limits = resources.and_then(|r| r.limits.as_ref());
    let reservations = resources.and_then(|r| r.reservations.as_ref());
    let first_set = |values: [i64; 2]| values.into_iter().find(|v| *v != 0).unwrap_or(0);
    // As Docker Compose: the limit wins (the loader refuses two values).
    let cpus = match limits.map_or(0.0, |l| l.cpus) {
        0.0 => service.cpus,
        limit => limit,
    };
    ResourceSpec {
        memory: first_set([service.mem_limit.0, limits.map_or(0, |l| l.memory.0)]),
        memory_reservation: first_set([
            service.mem_reservation.0,
            reservations.map_or(0, |r| r.memory.0),
        ]),
        nano_cpus: nano_cpus(cpus),
        shm_size: service.shm_size.0,
        // Docker Compose takes only a positive `limits.pids`.
        pids_limit: first_set([limits.map_or(0, |l| l.pids.max(0)), service.pids_limit]),
        cpu_count: service.cpu_count,
        cpu_percent: service.cpu_percent.round() as i64,
        cpu_shares: service.cpu_shares,
        cpu_period: service.cpu_period,
        cpu_quota: service.cpu_quota,
        cpu_rt_period: service.cpu_rt_period,
        cpu_rt_runtime: service.cpu_rt_runtime,
        cpuset: service.cpuset.clone(),
        memory_swap: service.memswap_limit.0,
        memory_swappiness: service.mem_swappiness.0,
        oom_kill_disable: service.oom_kill_disable,
        blkio: service.blkio_config.as_ref().map(blkio),
    }
}

/// `cpus` in billionths of a CPU, computed as Docker Compose does: the
/// product in single precision (the model's `cpus` is a float32), then
/// truncated, so that `0.7` is 700000000 and `2.33` is 2329999872.
fn nano_cpus(cpus: f32) -> i64 {
    (cpus * 1e9_f32) as i64
}

fn blkio(config: &crate::model::BlkioConfig) -> BlkioSpec {
    let throttle = |devices: &[crate::model::ThrottleDevice]| {
        devices
            .iter()
            .map(|d| ThrottleSpec {
                path: d.path.clone(),
                rate: d.rate.0,
            })
            .collect()
    };
    BlkioSpec {
        weight: config.weight,
        weight_device: config
            .weight_device
            .iter()
            .map(|d| WeightDeviceSpec {
                path: d.path.clone(),
                weight: d.weight,
            })
            .collect(),
        device_read_bps: throttle(&config.device_read_bps),
        device_write_bps: throttle(&config.device_write_bps),
        device_read_iops: throttle(&config.device_read_iops),
        device_write_iops: throttle(&config.device_write_iops),
    }
}

fn logging(service: &Service) -> Option<LoggingSpec> {
    match &service.logging {
        Some(l) if !l.driver.is_empty() || !l.options.is_empty() => Some(LoggingSpec {
            driver: l.driver.clone(),
            options: sorted(&l.options),
        }),
        _ if !service.log_driver.is_empty() => Some(LoggingSpec {
            driver: service.log_driver.clone(),
            options: sorted(&service.log_opt),
        }),
        _ => None,
    }
}

/// A secret or config: a read-only bind of its file, or a file copied in.
fn file_object(
    spec: &mut ContainerSpec,
    origin: &Origin,
    reference: &FileReferenceConfig,
    definition: &FileObjectConfig,
    base: &str,
    kind: &str,
) -> Result<(), String> {
    let target = if reference.target.is_empty() {
        format!("{base}/{}", reference.source)
    } else if reference.target.starts_with('/') {
        reference.target.clone()
    } else {
        format!("{base}/{}", reference.target)
    };
    if definition.external {
        return Err(format!(
            "external {kind}s exist only in Swarm; {:?} cannot be mounted here",
            reference.source
        ));
    }
    if !definition.file.is_empty() {
        if !Path::new(&definition.file).exists() {
            return Err(format!(
                "the file {} of {kind} {:?} does not exist",
                definition.file, reference.source
            ));
        }
        // A bind keeps the host file's owner and mode, so one that asks for
        // its own is copied in instead (Docker Compose binds it and ignores
        // them without a word).
        let owned =
            !reference.uid.is_empty() || !reference.gid.is_empty() || reference.mode.is_some();
        if owned && Path::new(&definition.file).is_file() {
            let content = std::fs::read(&definition.file).map_err(|e| {
                format!(
                    "cannot read the file {} of {kind} {:?}: {e}",
                    definition.file, reference.source
                )
            })?;
            push_file(spec, reference, target, content);
            return Ok(());
        }
        spec.mounts.push(MountSpec {
            kind: "bind".into(),
            source: definition.file.clone(),
            target,
            read_only: true,
            ..Default::default()
        });
        return Ok(());
    }
    let content = if !definition.environment.is_empty() {
        origin
            .environment
            .get(&definition.environment)
            .cloned()
            .ok_or_else(|| {
                format!(
                    "{kind} {:?} comes from the environment variable {}, which is not set",
                    reference.source, definition.environment
                )
            })?
    } else {
        definition.content.clone()
    };
    push_file(spec, reference, target, content.into_bytes());
    Ok(())
}

/// A secret or config copied in before each start, with the owner and mode
/// the reference asks for.
fn push_file(
    spec: &mut ContainerSpec,
    reference: &FileReferenceConfig,
    target: String,
    content: Vec<u8>,
) {
    let digest = crate::digest::sha256_hex(&content);
    spec.files.push(FileSpec {
        path: target,
        digest,
        uid: reference.uid.parse().unwrap_or(0),
        gid: reference.gid.parse().unwrap_or(0),
        mode: reference.mode.map_or(0o444, |m| m.0 as u32),
        content,
    });
}

/// Docker Compose's labels that every replica of the service carries.
fn identity_labels(
    project: &Project,
    origin: &Origin,
    name: &str,
    service: &Service,
) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([
        (labels::PROJECT.to_string(), project.name.clone()),
        (labels::SERVICE.into(), name.to_string()),
        (labels::VERSION.into(), labels::COMPOSE_VERSION.into()),
        (labels::ONEOFF.into(), "False".into()),
        (labels::WORKING_DIR.into(), origin.working_dir.clone()),
        (labels::CONFIG_FILES.into(), origin.config_files.join(",")),
        (
            labels::DEPENDS_ON.into(),
            service
                .depends_on
                .iter()
                .map(|(dep, d)| format!("{dep}:{}:{}", d.condition, d.restart))
                .collect::<Vec<_>>()
                .join(","),
        ),
    ]);
    if !origin.env_files.is_empty() {
        labels.insert(labels::ENVIRONMENT_FILE.into(), origin.env_files.join(","));
    }
    labels
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ApiVersion;
    use crate::load::{self, LoadOptions};

    fn load_yaml(yaml: &str) -> (tempfile::TempDir, Desired) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("compose.yaml"), yaml).unwrap();
        let opts = LoadOptions {
            cwd: dir.path().to_path_buf(),
            project_name: Some("p".into()),
            ..Default::default()
        };
        let loaded = load::load(&opts).unwrap_or_else(|e| panic!("{}", e.render(false, false)));
        let desired = from_loaded(loaded).unwrap();
        (dir, desired)
    }

    fn spec<'a>(desired: &'a Desired, service: &str) -> &'a ContainerSpec {
        &desired.services[service].spec
    }

    #[test]
    fn a_service_without_the_newer_keys_keeps_its_hash() {
        let (_dir, desired) = load_yaml("services:\n  web:\n    image: busybox\n");
        let (json, _) = crate::engine::spec::canonical_json(spec(&desired, "web"));
        assert_eq!(
            json,
            r#"{"version":1,"image":"busybox","networks":[{"network":"p_default","aliases":["web"]}]}"#
        );
    }

    #[test]
    fn deploy_restart_policy_maps_as_docker_compose_does() {
        let (_dir, desired) = load_yaml(
            "services:
  none: {image: busybox, deploy: {restart_policy: {condition: none}}}
  failure: {image: busybox, deploy: {restart_policy: {condition: on-failure, max_attempts: 3}}}
  any: {image: busybox, deploy: {restart_policy: {condition: any}}}
  both: {image: busybox, restart: unless-stopped, deploy: {restart_policy: {condition: any}}}
",
        );
        let restart = |s: &str| spec(&desired, s).restart.clone();
        assert_eq!(restart("none"), "no");
        assert_eq!(restart("failure"), "on-failure:3");
        assert_eq!(restart("any"), "always");
        assert_eq!(restart("both"), "unless-stopped");
    }

    #[test]
    fn deploy_labels_stay_off_containers() {
        // They label the Swarm service, not its tasks: Docker Compose ignores them.
        let (_dir, desired) = load_yaml(
            "services:\n  web:\n    image: busybox\n    labels: {a: '1'}\n    deploy: {labels: {b: '2'}}\n",
        );
        let web = spec(&desired, "web");
        assert_eq!(web.labels, BTreeMap::from([("a".into(), "1".into())]));
        assert!(!web.identity_labels.contains_key("b"));
    }

    #[test]
    fn gpus_and_reserved_devices_become_device_requests() {
        let (_dir, desired) = load_yaml(
            "services:
  web:
    image: busybox
    gpus: all
    deploy:
      resources:
        reservations:
          devices:
            - {driver: nvidia, device_ids: ['0'], capabilities: [gpu, utility]}
",
        );
        assert_eq!(
            spec(&desired, "web").device_requests,
            vec![
                DeviceRequestSpec {
                    count: -1,
                    capabilities: vec!["gpu".into()],
                    ..Default::default()
                },
                DeviceRequestSpec {
                    driver: "nvidia".into(),
                    device_ids: vec!["0".into()],
                    capabilities: vec!["gpu".into(), "utility".into()],
                    ..Default::default()
                },
            ]
        );
    }

    #[test]
    fn mounts_keep_what_decides_binds_or_mounts() {
        let (_dir, desired) = load_yaml(
            "services:
  web:
    image: busybox
    volumes:
      - ./data:/data:z
      - data:/named:Z
      - type: bind
        source: ./plain
        target: /plain
      - type: bind
        source: ./labelled
        target: /labelled
        bind: {selinux: Z, recursive: disabled}
      - type: volume
        source: data
        target: /tagged
        volume: {labels: {a: b}}
volumes:
  data:
",
        );
        let mounts = &spec(&desired, "web").mounts;
        assert_eq!(
            (mounts[0].selinux.as_str(), mounts[0].create_host_path),
            ("z", true)
        );
        assert_eq!(mounts[1].selinux, "Z");
        // No `bind` options: Docker Compose's `Binds` entry makes the directory.
        assert!(mounts[2].create_host_path);
        assert_eq!(
            (mounts[3].create_host_path, mounts[3].recursive.as_str()),
            (false, "disabled")
        );
        assert_eq!(
            mounts[4].volume_labels,
            BTreeMap::from([("a".to_string(), "b".to_string())])
        );
    }

    #[test]
    fn cpus_become_nano_cpus_as_docker_compose_computes_them() {
        // What Docker Compose v2.40.3 sent for each value (its create request).
        for (cpus, nano) in [
            (0.1, 100_000_000),
            (0.2, 200_000_000),
            (0.3, 300_000_000),
            (0.5, 500_000_000),
            (0.7, 700_000_000),
            (1.1, 1_100_000_000),
            (1.5, 1_500_000_000),
            (2.33, 2_329_999_872),
            (0.05, 50_000_000),
            (0.001, 1_000_000),
        ] {
            assert_eq!(nano_cpus(cpus), nano, "cpus {cpus}");
        }
    }

    #[test]
    fn a_seccomp_profile_is_sent_as_its_json() {
        let (dir, _) = load_yaml("services: {}\n");
        std::fs::write(
            dir.path().join("profile.json"),
            "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\"\n}\n",
        )
        .unwrap();
        let dir_text = dir.path().display().to_string();
        assert_eq!(
            security_option("seccomp:profile.json", &dir_text).unwrap(),
            r#"seccomp={"defaultAction":"SCMP_ACT_ALLOW"}"#
        );
        // Key order and spelling are kept, as Go's json.Compact does.
        std::fs::write(
            dir.path().join("ordered.json"),
            "{ \"z\": [1.50, \"a b\\\" c\"],\n\t\"a\": {} }",
        )
        .unwrap();
        assert_eq!(
            security_option("seccomp=ordered.json", &dir_text).unwrap(),
            r#"seccomp={"z":[1.50,"a b\" c"],"a":{}}"#
        );
        // Everything else goes as written, `:` or `=`.
        for option in [
            "no-new-privileges:true",
            "no-new-privileges",
            "label=disable",
            "label:type:svirt_apache_t",
            "seccomp:unconfined",
        ] {
            assert_eq!(security_option(option, &dir_text).unwrap(), option);
        }
        assert!(security_option("nonsense", &dir_text).is_err());
        assert!(security_option("seccomp=missing.json", &dir_text).is_err());
    }

    #[test]
    fn windows_only_keys_and_foreign_platforms_warn_where_they_are_set() {
        let (_dir, desired) = load_yaml(
            "services:
  web:
    image: busybox
    cpu_count: 2
    platform: linux/arm64/v8
  other:
    image: busybox
    platform: linux/amd64
",
        );
        assert!(desired.has_platform_dependent_keys());
        let windows = desired.windows_only("linux/amd64");
        assert_eq!(windows.len(), 1, "{windows:?}");
        assert!(
            windows[0].contains("cpu_count applies to Windows"),
            "{windows:?}"
        );
        assert!(windows[0].ends_with("compose.yaml:4:5)"), "{windows:?}");
        assert!(desired.windows_only("windows/amd64").is_empty());

        let foreign = desired.foreign_platforms("linux/amd64", |_| true);
        assert_eq!(foreign.len(), 1, "{foreign:?}");
        assert!(foreign[0].starts_with("service \"web\": platform linux/arm64/v8"));
        assert!(foreign[0].ends_with("compose.yaml:5:5)"), "{foreign:?}");
        // An image still to pull is pulled for the platform asked for.
        assert!(
            desired
                .foreign_platforms("linux/amd64", |_| false)
                .is_empty()
        );
        assert_eq!(desired.foreign_platforms("linux/arm64", |_| true).len(), 1);
    }

    #[test]
    fn cdi_device_names_become_a_cdi_device_request() {
        let (_dir, desired) = load_yaml(
            "services:\n  web:\n    image: busybox\n    devices:\n      - vendor.com/class=name\n      - /dev/null:/dev/n2:r\n      - nvidia.com/gpu=all\n",
        );
        let web = spec(&desired, "web");
        assert_eq!(web.devices.len(), 1);
        assert_eq!(web.devices[0].source, "/dev/null");
        assert_eq!(
            web.device_requests,
            [DeviceRequestSpec {
                driver: "cdi".into(),
                device_ids: vec!["vendor.com/class=name".into(), "nvidia.com/gpu=all".into()],
                ..Default::default()
            }]
        );
        let (warnings, refusals) = check_gates(&desired.gates, ApiVersion::FLOOR);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(refusals.len(), 2, "{refusals:?}");
        assert!(
            refusals[0].starts_with("services.web.devices.0 needs Docker Engine API 1.44"),
            "{refusals:?}"
        );
        assert!(refusals[0].ends_with("compose.yaml:5:9)"), "{refusals:?}");
        assert!(
            check_gates(&desired.gates, ApiVersion::new(1, 44))
                .1
                .is_empty()
        );
        for path in ["/dev/fuse", "/dev/a=b", "vendor.com/class", "a/b=", "=x"] {
            assert!(!is_cdi_device_name(path), "{path}");
        }
    }

    #[test]
    fn docker_default_platform_is_a_fallback_outside_the_hash() {
        let yaml = "services:\n  web:\n    image: busybox\n  arm:\n    image: busybox\n    platform: linux/arm64\n";
        let (_dir, plain) = load_yaml(yaml);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("compose.yaml"), yaml).unwrap();
        std::fs::write(
            dir.path().join(".env"),
            "DOCKER_DEFAULT_PLATFORM=linux/s390x\n",
        )
        .unwrap();
        let opts = LoadOptions {
            cwd: dir.path().to_path_buf(),
            project_name: Some("p".into()),
            ..Default::default()
        };
        let defaulted = from_loaded(load::load(&opts).unwrap()).unwrap();
        assert_eq!(spec(&defaulted, "web").platform_to_use(), "linux/s390x");
        assert_eq!(spec(&defaulted, "arm").platform_to_use(), "linux/arm64");
        assert_eq!(spec(&plain, "web").platform_to_use(), "");
        // Setting the variable recreates nothing.
        let hash = |d: &Desired| crate::engine::spec::canonical_json(spec(d, "web")).1;
        assert_eq!(hash(&plain), hash(&defaulted));
        let warned = defaulted.foreign_platforms("linux/amd64", |_| true);
        assert!(
            warned
                .iter()
                .any(|w| w.contains("(from DOCKER_DEFAULT_PLATFORM)")),
            "{warned:?}"
        );
    }

    #[test]
    fn service_keys_for_newer_engines_are_gates_that_point_at_the_file() {
        let (_dir, desired) = load_yaml(
            "services:
  web:
    image: busybox
    healthcheck:
      test: [CMD, 'true']
      start_interval: 1s
    annotations: {a: '1'}
  plain:
    image: busybox
",
        );
        let (warnings, refusals) = check_gates(&desired.gates, ApiVersion::FLOOR);
        assert!(refusals.is_empty(), "{refusals:?}");
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings[0].starts_with("services.web.annotations needs Docker Engine API 1.43"),
            "{warnings:?}"
        );
        assert!(warnings[0].ends_with("compose.yaml:7:5)"), "{warnings:?}");
        assert!(
            warnings[1].starts_with("services.web.healthcheck.start_interval needs"),
            "{warnings:?}"
        );
        assert!(warnings[1].ends_with("compose.yaml:6:7)"), "{warnings:?}");
        let (warnings, _) = check_gates(&desired.gates, ApiVersion::new(1, 44));
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn gates_warn_or_refuse_only_below_their_version() {
        let gates = [
            Gate::new(ApiVersion::GW_PRIORITY, path(&["a"]), "ignored", false),
            Gate::new(ApiVersion::VOLUME_SUBPATH, path(&["b"]), "unsafe", true),
        ];
        let (warned, refused) = check_gates(&gates, ApiVersion::new(1, 41));
        assert_eq!(
            warned,
            ["a needs Docker Engine API 1.48 or newer, this engine speaks 1.41: ignored"]
        );
        assert_eq!(refused.len(), 1);
        let (warned, refused) = check_gates(&gates, ApiVersion::new(1, 45));
        assert_eq!((warned.len(), refused.len()), (1, 0));
        let (warned, refused) = check_gates(&gates, ApiVersion::new(1, 48));
        assert!(warned.is_empty() && refused.is_empty());
    }
}
