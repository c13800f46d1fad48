//! What the project asks the engine for: specs of the networks, volumes and
//! containers of a loaded [`Project`], before looking at what runs.
//!
//! This module holds the desired state's types and builds it; the parts of
//! a service's container spec come from the submodules: `service` puts
//! them together, `host` (devices, resources, security...), `networking`
//! (ports, networks, shared namespaces, links), `mounts` (volumes, secrets
//! and configs); `objects` makes the networks and volumes.

pub mod build;
mod host;
pub mod locations;
mod mounts;
mod networking;
mod objects;
mod service;

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use indexmap::IndexMap;

use crate::diag::{Diagnostic, Diagnostics};
use crate::engine::spec::{ContainerSpec, NetworkSpec, VolumeSpec};
use crate::engine::{ApiVersion, ExecSpec};
use crate::graph::ProjectGraph;
use crate::load::Loaded;
use crate::load::node::{PathSeg, path_to_string};
use crate::model::{Project, Service, ServiceHook};
use crate::reconcile::config_hash;
use crate::reconcile::desired::build::{PullPolicy, ServiceBuild};

pub use host::ulimit_specs;

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
    let locations = locations::key_locations(&loaded);
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
        desired.gates.extend(objects::ipv4_gate(key, network));
        let state = objects::network_state(&project.name, key, network);
        desired.networks.insert(key.clone(), state);
    }
    for (key, volume) in &project.volumes {
        let state = objects::volume_state(&project.name, key, volume);
        desired.volumes.insert(key.clone(), state);
    }
    for (name, service) in &project.services {
        let (desired_service, gates) =
            service::service_state(&project, origin, &desired, name, service)?;
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

/// A map in key order, as specs keep them (stable digests and hashes).
fn sorted(map: &IndexMap<String, String>) -> BTreeMap<String, String> {
    map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

#[cfg(test)]
mod tests;
