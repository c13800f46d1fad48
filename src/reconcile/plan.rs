//! The plan: a DAG of typed actions, each with the reason it exists.
//!
//! Planning is pure: `(Desired, Observed, options) -> Plan`. The executor
//! runs the actions, each as soon as the actions it comes after are done.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use super::desired::DesiredNetwork;
use super::desired::{Condition, Desired, DesiredService};
use super::fingerprint::{self, Fingerprint};
use super::observe::Observed;
use super::{config_hash, references};
use crate::engine::spec::{ContainerSpec, MountSpec, NetworkAttachment, canonical_json};
use crate::engine::{Container, Network, RunState, labels};

/// What `up` does with containers whose configuration has not changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Recreate {
    /// Recreate only what diverged from the file.
    #[default]
    Diverged,
    /// Recreate everything (`--force-recreate`).
    Force,
    /// Recreate nothing (`--no-recreate`).
    Never,
}

/// The switches of `up` and `create` that shape the plan.
#[derive(Clone, Debug, Default)]
pub struct UpOptions {
    /// Services named on the command line; empty for all.
    pub services: Vec<String>,
    pub recreate: Recreate,
    /// For services pulled in only as dependencies.
    pub dependencies_recreate: Recreate,
    pub no_start: bool,
    pub remove_orphans: bool,
    /// `-V`: new anonymous volumes instead of the old containers' ones.
    pub renew_anonymous_volumes: bool,
    /// `--wait`: wait for every service to be running or healthy.
    pub wait: bool,
    /// `-t`: seconds to stop containers in, instead of their own grace period.
    pub timeout: Option<i64>,
    /// Warn about orphans (`COMPOSE_IGNORE_ORPHANS` turns it off).
    pub warn_orphans: bool,
    /// `-y`: recreate volumes whose definition changed, losing their data.
    pub yes: bool,
    /// `--rerun-jobs`: start completed one-shot jobs again, as Docker
    /// Compose does (berth leaves a completed, unchanged job done).
    pub rerun_jobs: bool,
}

/// One step of a plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Op {
    CreateNetwork {
        network: String,
        name: String,
    },
    RemoveNetwork {
        name: String,
        /// Not `id`: that key is the action's own in the JSON plan.
        #[serde(rename = "network_id")]
        id: String,
    },
    CreateVolume {
        volume: String,
        name: String,
    },
    RemoveVolume {
        name: String,
    },
    /// Creates replica `number` under `name`; a recreated container is first
    /// created under a temporary name and renamed once the old one is gone.
    CreateContainer {
        service: String,
        name: String,
        number: u32,
        /// Anonymous volumes taken over from the container it replaces: target → volume.
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        inherit: BTreeMap<String, String>,
        /// The container it replaces, for the `replace` label.
        #[serde(skip_serializing_if = "Option::is_none")]
        replaces: Option<String>,
    },
    StartContainer {
        service: String,
        name: String,
    },
    StopContainer {
        service: String,
        name: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        timeout: Option<i64>,
    },
    RemoveContainer {
        service: String,
        name: String,
        /// Also remove its anonymous volumes.
        volumes: bool,
        /// With `volumes`, the unnamed volumes it mounts, removed after it
        /// unless another container still uses them: the engine's own `v`
        /// spares those a recreated container inherited by name.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        anonymous_volumes: Vec<String>,
    },
    RenameContainer {
        service: String,
        name: String,
        to: String,
    },
    /// Sends a signal to a running container (`kill`).
    KillContainer {
        service: String,
        name: String,
        signal: String,
    },
    PauseContainer {
        service: String,
        name: String,
    },
    UnpauseContainer {
        service: String,
        name: String,
    },
    /// Takes a container off a network that is about to be recreated.
    DisconnectNetwork {
        service: String,
        name: String,
        network: String,
    },
    /// Joins a container that outlives a recreated network to its successor.
    ConnectNetwork {
        service: String,
        name: String,
        network: String,
        /// Aliases and addresses, as the container was created with.
        #[serde(skip)]
        attachment: NetworkAttachment,
    },
    /// Waits until every replica of `service` meets `condition`.
    Wait {
        service: String,
        condition: Condition,
        /// When false, a failed wait is a warning, not an error.
        required: bool,
    },
}

impl Op {
    /// The names of the containers this action acts on, if any.
    pub fn containers(&self) -> Vec<&str> {
        match self {
            Op::CreateContainer { name, .. }
            | Op::StartContainer { name, .. }
            | Op::StopContainer { name, .. }
            | Op::RemoveContainer { name, .. }
            | Op::KillContainer { name, .. }
            | Op::PauseContainer { name, .. }
            | Op::UnpauseContainer { name, .. }
            | Op::DisconnectNetwork { name, .. }
            | Op::ConnectNetwork { name, .. } => vec![name.as_str()],
            Op::RenameContainer { name, to, .. } => vec![name.as_str(), to.as_str()],
            _ => Vec::new(),
        }
    }

    /// The verb and the object, for people: `create container p-web-1`.
    pub fn describe(&self) -> String {
        match self {
            Op::CreateNetwork { name, .. } => format!("create network {name}"),
            Op::RemoveNetwork { name, .. } => format!("remove network {name}"),
            Op::CreateVolume { name, .. } => format!("create volume {name}"),
            Op::RemoveVolume { name } => format!("remove volume {name}"),
            Op::CreateContainer { name, .. } => format!("create container {name}"),
            Op::StartContainer { name, .. } => format!("start container {name}"),
            Op::StopContainer { name, .. } => format!("stop container {name}"),
            Op::RemoveContainer {
                name,
                anonymous_volumes,
                ..
            } => match anonymous_volumes.len() {
                0 => format!("remove container {name}"),
                1 => format!("remove container {name} and 1 anonymous volume"),
                n => format!("remove container {name} and {n} anonymous volumes"),
            },
            Op::RenameContainer { name, to, .. } => format!("rename container {name} to {to}"),
            Op::KillContainer { name, signal, .. } => format!("kill container {name} ({signal})"),
            Op::PauseContainer { name, .. } => format!("pause container {name}"),
            Op::UnpauseContainer { name, .. } => format!("unpause container {name}"),
            Op::DisconnectNetwork { name, network, .. } => {
                format!("disconnect container {name} from network {network}")
            }
            Op::ConnectNetwork { name, network, .. } => {
                format!("connect container {name} to network {network}")
            }
            Op::Wait {
                service, condition, ..
            } => format!("wait for {service} ({})", condition.as_str()),
        }
    }
}

/// An action of the plan: what, after which other actions, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Action {
    pub id: usize,
    #[serde(flatten)]
    pub op: Op,
    pub after: Vec<usize>,
    pub reason: String,
}

/// The actions that bring the engine to the desired state.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Plan {
    pub project: String,
    pub actions: Vec<Action>,
    /// Things the user should know that change nothing (orphans, foreign networks...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Services with lifecycle hooks: their starts and stops run them too.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub hooks: BTreeMap<String, HookCount>,
    /// The engine names of the volumes the file declares: never taken for
    /// anonymous ones, whatever their names look like.
    #[serde(skip)]
    pub(crate) declared_volumes: BTreeSet<String>,
}

/// How many hooks a service's start and stop actions run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HookCount {
    /// Executed in each container after it starts; a failure fails the start.
    pub post_start: usize,
    /// Executed in each running container before it stops.
    pub pre_stop: usize,
}

impl HookCount {
    /// The hooks of every service that has some.
    pub(crate) fn of(desired: &Desired) -> BTreeMap<String, HookCount> {
        desired
            .services
            .iter()
            .map(|(name, s)| {
                let count = HookCount {
                    post_start: s.post_start.len(),
                    pre_stop: s.pre_stop.len(),
                };
                (name.clone(), count)
            })
            .filter(|(_, count)| *count != HookCount::default())
            .collect()
    }
}

/// A condition that makes the plan impossible, with how to get past it.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct PlanError {
    pub message: String,
    pub hint: String,
}

impl Plan {
    /// An empty plan for `desired`'s project.
    pub(crate) fn for_project(desired: &Desired) -> Plan {
        Plan {
            project: desired.project.clone(),
            hooks: HookCount::of(desired),
            declared_volumes: desired
                .volumes
                .values()
                .map(|v| v.spec.name.clone())
                .collect(),
            ..Default::default()
        }
    }

    pub(crate) fn push(&mut self, op: Op, after: Vec<usize>, reason: impl Into<String>) -> usize {
        let id = self.actions.len();
        let mut after = after;
        after.sort_unstable();
        after.dedup();
        self.actions.push(Action {
            id,
            op,
            after,
            reason: reason.into(),
        });
        id
    }

    /// Stops (when it must) and removes `container` after `after`. Returns
    /// the node after which it no longer runs, and the one that removes it.
    /// Orphans, containers of services the file no longer has: removed
    /// with `remove` (`--remove-orphans`), else named in a warning when `warn`.
    pub(crate) fn orphans(
        &mut self,
        desired: &Desired,
        observed: &Observed,
        remove: bool,
        warn: bool,
        timeout: Option<i64>,
    ) {
        let orphans: Vec<&Container> = observed
            .containers
            .iter()
            .filter(|c| {
                !c.is_oneoff()
                    && !desired.services.contains_key(c.service())
                    && !desired.disabled_services.iter().any(|s| s == c.service())
            })
            .collect();
        if remove {
            for orphan in orphans {
                self.retire(orphan, vec![], "orphan (--remove-orphans)", timeout, false);
            }
        } else if warn && !orphans.is_empty() {
            let names: Vec<&str> = orphans.iter().map(|c| c.name.as_str()).collect();
            self.warnings.push(format!(
                "Found orphan containers ({}) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.",
                names.join(", ")
            ));
        }
    }

    pub(crate) fn retire(
        &mut self,
        container: &Container,
        after: Vec<usize>,
        reason: &str,
        timeout: Option<i64>,
        volumes: bool,
    ) -> (usize, usize) {
        let service = container.service().to_string();
        // A pre_stop hook runs in the stop action, so a running container keeps it.
        let hooked = self.hooks.get(&service).is_some_and(|h| h.pre_stop > 0)
            && matches!(container.state, RunState::Running | RunState::Restarting);
        let stopped = if hooked || needs_stop(container, timeout) {
            let stop = Op::StopContainer {
                service: service.clone(),
                name: container.name.clone(),
                timeout,
            };
            Some(self.push(stop, after.clone(), reason))
        } else {
            None
        };
        let anonymous_volumes = if volumes {
            container
                .mounts
                .iter()
                .filter(|m| m.kind == "volume" && is_anonymous(&m.name))
                .filter(|m| !self.declared_volumes.contains(&m.name))
                .map(|m| m.name.clone())
                .collect()
        } else {
            Vec::new()
        };
        let remove = Op::RemoveContainer {
            service,
            name: container.name.clone(),
            volumes,
            anonymous_volumes,
        };
        let removed = self.push(remove, stopped.map_or(after, |s| vec![s]), reason);
        (stopped.unwrap_or(removed), removed)
    }

    /// The hooks an action runs, for its line: `, then 1 post_start hook`.
    fn hooks_of(&self, op: &Op) -> String {
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        match op {
            Op::StartContainer { service, .. } => match self.hooks.get(service) {
                Some(h) if h.post_start > 0 => format!(
                    ", then {} post_start hook{}",
                    h.post_start,
                    plural(h.post_start)
                ),
                _ => String::new(),
            },
            Op::StopContainer { service, .. } => match self.hooks.get(service) {
                Some(h) if h.pre_stop > 0 => {
                    format!(", {} pre_stop hook{} first", h.pre_stop, plural(h.pre_stop))
                }
                _ => String::new(),
            },
            _ => String::new(),
        }
    }

    /// One line per action, for people.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if self.actions.is_empty() {
            let _ = writeln!(out, "Project {}: nothing to do.", self.project);
        } else {
            let _ = writeln!(
                out,
                "Project {}: {} action{}",
                self.project,
                self.actions.len(),
                if self.actions.len() == 1 { "" } else { "s" }
            );
        }
        for action in &self.actions {
            let after = if action.after.is_empty() {
                String::new()
            } else {
                let ids: Vec<String> = action.after.iter().map(|a| format!("#{a}")).collect();
                format!(" after {}", ids.join(" "))
            };
            let _ = writeln!(
                out,
                "  #{:<3} {}{}{after}: {}",
                action.id,
                action.op.describe(),
                self.hooks_of(&action.op),
                action.reason
            );
        }
        for warning in &self.warnings {
            let _ = writeln!(out, "warning: {warning}");
        }
        out
    }
}

/// Services in dependency order (dependencies first), ties by name: the
/// project graph's order, of the services `desired` still has (`run` takes
/// its own service out).
pub fn dependency_order(desired: &Desired) -> Vec<String> {
    desired
        .graph
        .dependency_order_of(|s| desired.services.contains_key(s))
        .into_iter()
        .map(String::from)
        .collect()
}

/// The replica's container name: `container_name`, or `<project>-<service>-<n>`.
pub fn container_name(desired: &Desired, service: &DesiredService, number: u32) -> String {
    match &service.container_name {
        Some(name) => name.clone(),
        None => desired
            .naming
            .container(&desired.project, &service.name, number),
    }
}

/// Whether `container` must be stopped before its removal. One that does
/// not run need not; nor one whose stop signal is SIGKILL, without a `-t`:
/// the forced removal kills it just the same, in one engine call instead of
/// two.
fn needs_stop(container: &Container, timeout: Option<i64>) -> bool {
    match container.state {
        RunState::Running | RunState::Restarting => {}
        RunState::Paused => return true,
        _ => return false,
    }
    if timeout.is_some() {
        return true;
    }
    // berth's record of the spec it made the container with says its signal.
    if let Some(digests) = container
        .label(labels::DIGESTS)
        .and_then(Fingerprint::parse)
    {
        let sigkill = ["SIGKILL", "KILL", "9", "sigkill", "kill"];
        return !sigkill
            .iter()
            .any(|signal| digests.has("stop_signal", &Value::from(*signal)));
    }
    let recorded: Option<ContainerSpec> = container
        .label(labels::SPEC)
        .and_then(|json| serde_json::from_str(json).ok());
    !recorded.is_some_and(|spec| is_sigkill(&spec.stop_signal))
}

/// `SIGKILL`, `KILL` or `9`.
pub(crate) fn is_sigkill(signal: &str) -> bool {
    let signal = signal.trim().to_ascii_uppercase();
    matches!(signal.trim_start_matches("SIG"), "KILL" | "9")
}

/// The error for an `external: true` network or volume the engine lacks.
fn missing_external(kind: &str, name: &str) -> PlanError {
    PlanError {
        message: format!("{kind} {name} is declared as external, but could not be found"),
        hint: format!("create it with `docker {kind} create {name}`, or remove `external: true`"),
    }
}

/// The warning for a same-named network or volume of someone else, used as it is.
/// The warning for a network or volume that another project (or no
/// project) owns: berth uses it as it is and never changes or removes it.
fn foreign(kind: &str, found_name: &str, labels: &BTreeMap<String, String>) -> String {
    let owner = match labels.get(labels::PROJECT) {
        Some(project) => format!("was created for project {project}"),
        None => "was not created for this project".to_string(),
    };
    format!(
        "a {kind} named {found_name} exists but {owner}; it is used as it is (set `external: true` to silence this)"
    )
}

/// Why a running container must be recreated, or `None` when it matches.
fn recreate_reason(
    container: &Container,
    service: &DesiredService,
    desired: &Desired,
    observed: &Observed,
    recreated_parent: Option<&str>,
) -> Option<String> {
    if let Some(parent) = recreated_parent {
        return Some(format!(
            "{parent} is recreated, and this shares its namespace or volumes"
        ));
    }
    if let Some(reason) = config_change(container, service, desired, observed) {
        return Some(reason);
    }
    if let Some(Some(image_id)) = observed.images.get(&service.spec.image) {
        let stamped = container
            .label(labels::IMAGE)
            .unwrap_or(&container.image_id);
        if stamped != image_id {
            return Some(format!("image {} changed", service.spec.image));
        }
    }
    if container.state == RunState::Running {
        for key in &service.networks {
            let Some(network) = observed.networks.get(key) else {
                return Some(format!(
                    "network {} is missing",
                    desired.networks[key].spec.name
                ));
            };
            if !container.networks.values().any(|id| id == &network.id) {
                return Some(format!("not connected to network {}", network.name));
            }
        }
    }
    for key in &service.volumes {
        let name = &desired.volumes[key].spec.name;
        if !container
            .mounts
            .iter()
            .any(|m| m.kind == "volume" && &m.name == name)
        {
            return Some(format!("volume {name} is not mounted"));
        }
    }
    None
}

/// What changed in the service's configuration since `container` was made.
///
/// berth's digests of the spec it made the container with name the keys
/// that changed. A container made by Docker Compose is compared by Compose's
/// own hash, which berth computes as Compose does; one made by an earlier
/// berth by the spec it recorded.
fn config_change(
    container: &Container,
    service: &DesiredService,
    desired: &Desired,
    observed: &Observed,
) -> Option<String> {
    if let Some(old) = container
        .label(labels::DIGESTS)
        .and_then(Fingerprint::parse)
    {
        let changed = old.changed(&Fingerprint::of(&service.spec));
        return (!changed.is_empty()).then(|| fingerprint::describe(&changed));
    }
    if let Some(old) = container.label(labels::SPEC) {
        let (json, _) = canonical_json(&service.spec);
        return (old != json).then(|| describe_change(old, &json));
    }
    let hash = config_hash::service_hash(service.hashed(), |parent| {
        let containers = observed
            .containers
            .iter()
            .map(|c| (c.name.as_str(), c.id.as_str()));
        references::replicas_of(desired, parent, containers)
            .into_iter()
            .next()
            .map(|replica| replica.id)
    });
    (container.label(labels::CONFIG_HASH) != Some(hash.as_str()))
        .then(|| "created by another tool (its configuration hash differs)".into())
}

/// How a network's or volume's definition differs from the one it was made with.
enum Change {
    None,
    /// berth made it: the keys that changed, for people.
    Keys(String),
    /// Another tool made it, with another hash: which key changed is unknown.
    Unknown,
}

/// Compares the definition `spec` (Compose's `hash` of it) with the one the
/// object with `labels` was made with.
fn definition_change<T: Serialize>(
    labels: &BTreeMap<String, String>,
    hash: &str,
    spec: &T,
) -> Change {
    if let Some(old) = labels
        .get(labels::DIGESTS)
        .and_then(|l| Fingerprint::parse(l))
    {
        let changed = old.changed(&Fingerprint::of(spec));
        return match changed.is_empty() {
            true => Change::None,
            false => Change::Keys(fingerprint::describe(&changed)),
        };
    }
    if let Some(old) = labels.get(labels::SPEC) {
        let (json, _) = canonical_json(spec);
        return match *old == json {
            true => Change::None,
            false => Change::Keys(describe_change(old, &json)),
        };
    }
    match labels.get(labels::CONFIG_HASH) {
        // Docker Compose leaves an object without a hash as it is.
        Some(found) if found != hash => Change::Unknown,
        _ => Change::None,
    }
}

/// What differs between two canonical specs (JSON), for people:
/// `environment.FOO, ports changed`.
fn describe_change(old: &str, new: &str) -> String {
    let old: Value = serde_json::from_str(old).unwrap_or(Value::Null);
    let new: Value = serde_json::from_str(new).unwrap_or(Value::Null);
    let mut changed = Vec::new();
    diff_paths(&old, &new, "", 0, &mut changed);
    match changed.len() {
        0 => "configuration changed".into(),
        1..=3 => format!("{} changed", changed.join(", ")),
        n => format!("{}, and {} more changed", changed[..3].join(", "), n - 3),
    }
}

/// Paths of the keys that differ between two JSON values, two levels deep
/// (`environment.FOO`, `healthcheck.interval`, `ports`).
fn diff_paths<'a>(
    old: &'a Value,
    new: &'a Value,
    prefix: &str,
    depth: usize,
    out: &mut Vec<String>,
) {
    let join = |key: &str| {
        if prefix.is_empty() {
            key.to_string()
        } else {
            format!("{prefix}.{key}")
        }
    };
    // A section absent on one side compares as empty, so the keys are named.
    let empty = serde_json::Map::new();
    let as_object = |v: &'a Value, other: &Value| match (v, other) {
        (Value::Object(m), _) => Some(m),
        (Value::Null, Value::Object(_)) => Some(&empty),
        _ => None,
    };
    match (as_object(old, new), as_object(new, old)) {
        (Some(a), Some(b)) if depth < 2 => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                if key == "version" && depth == 0 {
                    continue;
                }
                let (x, y) = (
                    a.get(key).unwrap_or(&Value::Null),
                    b.get(key).unwrap_or(&Value::Null),
                );
                if x != y {
                    diff_paths(x, y, &join(key), depth + 1, out);
                }
            }
        }
        _ if old != new => out.push(if prefix.is_empty() {
            "configuration".into()
        } else {
            prefix.to_string()
        }),
        _ => {}
    }
}

/// A container taken off the networks that are recreated under it.
struct Halted {
    /// The node that stopped it, if it ran (then it starts again once reconnected).
    stop: Option<usize>,
    /// Engine names of the recreated networks, with the nodes that create them.
    networks: Vec<(String, usize)>,
}

/// Recreates a network whose definition changed, as Docker Compose does:
/// the containers on it stop and are disconnected, the network is removed
/// and created anew. Returns the create node; the containers are reconnected
/// (and restarted) by the caller, unless they are replaced anyway.
fn recreate_network(
    plan: &mut Plan,
    network: &DesiredNetwork,
    found: &Network,
    change: &str,
    observed: &Observed,
    timeout: Option<i64>,
    halted: &mut BTreeMap<String, Halted>,
) -> usize {
    let reason = format!("recreate: {change}");
    let why = format!("network {} is recreated", found.name);
    let attached = observed.containers.iter().filter(|c| {
        c.networks.contains_key(&found.name) || c.networks.values().any(|id| id == &found.id)
    });
    let mut disconnects = Vec::new();
    let mut attached_names = Vec::new();
    for container in attached {
        attached_names.push(container.name.clone());
        let entry = halted.entry(container.name.clone()).or_insert_with(|| {
            let was_running = matches!(container.state, RunState::Running | RunState::Restarting);
            let stop = was_running.then(|| {
                plan.push(
                    Op::StopContainer {
                        service: container.service().to_string(),
                        name: container.name.clone(),
                        timeout,
                    },
                    vec![],
                    why.clone(),
                )
            });
            Halted {
                stop,
                networks: Vec::new(),
            }
        });
        disconnects.push(plan.push(
            Op::DisconnectNetwork {
                service: container.service().to_string(),
                name: container.name.clone(),
                network: found.name.clone(),
            },
            entry.stop.into_iter().collect(),
            why.clone(),
        ));
    }
    let remove = plan.push(
        Op::RemoveNetwork {
            name: found.name.clone(),
            id: found.id.clone(),
        },
        disconnects,
        reason.clone(),
    );
    let create = plan.push(
        Op::CreateNetwork {
            network: network.key.clone(),
            name: network.spec.name.clone(),
        },
        vec![remove],
        reason,
    );
    for name in attached_names {
        if let Some(entry) = halted.get_mut(&name) {
            entry.networks.push((network.spec.name.clone(), create));
        }
    }
    create
}

/// The plan of `up` (and `create`, with `no_start`).
pub fn plan_up(
    desired: &Desired,
    observed: &Observed,
    options: &UpOptions,
) -> Result<Plan, PlanError> {
    let mut plan = Plan::for_project(desired);
    let targeted =
        |name: &str| options.services.is_empty() || options.services.iter().any(|s| s == name);

    // Networks and volumes first; containers come after the ones they use.
    let mut network_nodes: HashMap<&str, usize> = HashMap::new();
    let mut halted: BTreeMap<String, Halted> = BTreeMap::new();
    for (key, network) in &desired.networks {
        match observed.networks.get(key) {
            Some(_) if network.external => {}
            None if network.external => return Err(missing_external("network", &network.spec.name)),
            // Another project's network (a fixed `name:`) is not ours to
            // recreate, whatever its definition.
            Some(found) if found.labels.get(labels::PROJECT) != Some(&desired.project) => {
                plan.warnings
                    .push(foreign("network", &found.name, &found.labels));
            }
            Some(found) => match definition_change(&found.labels, &network.hash, &network.spec) {
                Change::None => {}
                Change::Keys(change) => {
                    let id = recreate_network(
                        &mut plan,
                        network,
                        found,
                        &change,
                        observed,
                        options.timeout,
                        &mut halted,
                    );
                    network_nodes.insert(key, id);
                }
                // Not berth's: which key changed cannot be told.
                Change::Unknown => plan.warnings.push(format!(
                    "network {} was created by another tool and differs from its definition in the file; `berth down` then `berth up` recreates it",
                    found.name
                )),
            },
            None => {
                let id = plan.push(
                    Op::CreateNetwork {
                        network: key.clone(),
                        name: network.spec.name.clone(),
                    },
                    vec![],
                    "does not exist",
                );
                network_nodes.insert(key, id);
            }
        }
    }
    let mut volume_nodes: HashMap<&str, usize> = HashMap::new();
    // Containers removed because their volume is recreated.
    let mut doomed: BTreeSet<&str> = BTreeSet::new();
    let mut doomed_services: BTreeSet<String> = BTreeSet::new();
    for (key, volume) in &desired.volumes {
        match observed.volumes.get(key) {
            None if volume.external => return Err(missing_external("volume", &volume.spec.name)),
            Some(_) if volume.external => {}
            // Another project's volume holds its data: never recreated here.
            Some(found) if found.labels.get(labels::PROJECT) != Some(&desired.project) => plan
                .warnings
                .push(foreign("volume", &found.name, &found.labels)),
            Some(found) => match definition_change(&found.labels, &volume.hash, &volume.spec) {
                Change::None => {}
                change if !options.yes => {
                    let change = match change {
                        Change::Keys(change) => format!(" ({change})"),
                        _ => String::new(),
                    };
                    return Err(PlanError {
                        message: format!(
                            "volume {} exists but does not match its definition in the file{change}",
                            found.name
                        ),
                        hint: "its data is kept: run `up -y` to remove and recreate it (its data is lost), or restore the old definition".into(),
                    });
                }
                _ => {
                    // -y: the containers that mount it go, then the volume is made anew.
                    let mut removed = Vec::new();
                    for container in observed.containers.iter().filter(|c| {
                        c.mounts
                            .iter()
                            .any(|m| m.kind == "volume" && m.name == found.name)
                    }) {
                        let reason = format!("volume {} is recreated (-y)", found.name);
                        let (_, gone) =
                            plan.retire(container, vec![], &reason, options.timeout, false);
                        removed.push(gone);
                        doomed.insert(container.id.as_str());
                        doomed_services.insert(container.service().to_string());
                    }
                    let remove = plan.push(
                        Op::RemoveVolume {
                            name: found.name.clone(),
                        },
                        removed,
                        "does not match its definition in the file (-y)",
                    );
                    let id = plan.push(
                        Op::CreateVolume {
                            volume: key.clone(),
                            name: volume.spec.name.clone(),
                        },
                        vec![remove],
                        "does not match its definition in the file (-y)",
                    );
                    volume_nodes.insert(key, id);
                }
            },
            None => {
                let id = plan.push(
                    Op::CreateVolume {
                        volume: key.clone(),
                        name: volume.spec.name.clone(),
                    },
                    vec![],
                    "does not exist",
                );
                volume_nodes.insert(key, id);
            }
        }
    }

    // Per service, in dependency order: the node that makes its containers
    // exist (for namespace children), and the nodes that start them.
    let mut created_nodes: HashMap<String, Vec<usize>> = HashMap::new();
    let mut started_nodes: HashMap<String, Vec<usize>> = HashMap::new();
    // Services whose containers are made anew: their `restart: true` dependents restart.
    let mut recreated: BTreeSet<String> = doomed_services;
    let mut waits: HashMap<(String, Condition), usize> = HashMap::new();
    // Stop nodes of `restart: true` dependents, by the dependency that triggers them.
    let order = dependency_order(desired);

    for name in &order {
        let service = &desired.services[name];
        let strategy = if targeted(name) {
            options.recreate
        } else {
            options.dependencies_recreate
        };
        let mut prerequisites: Vec<usize> = Vec::new();
        prerequisites.extend(
            service
                .networks
                .iter()
                .filter_map(|k| network_nodes.get(k.as_str())),
        );
        prerequisites.extend(
            service
                .volumes
                .iter()
                .filter_map(|k| volume_nodes.get(k.as_str())),
        );
        for parent in &service.parents {
            prerequisites.extend(started_nodes.get(parent).into_iter().flatten());
            prerequisites.extend(created_nodes.get(parent).into_iter().flatten());
        }
        // Containers are created in dependency order, as Docker Compose does.
        for dep in service.depends_on.keys() {
            prerequisites.extend(created_nodes.get(dep).into_iter().flatten());
        }
        let recreated_parent = service
            .parents
            .iter()
            .find(|p| recreated.contains(p.as_str()))
            .map(String::as_str);
        let restart_trigger = service
            .depends_on
            .iter()
            .find(|(dep, d)| d.restart && recreated.contains(dep.as_str()))
            .map(|(dep, _)| dep.clone());

        // Up-to-date containers first, then by replica number.
        let mut existing: Vec<(&Container, Option<String>)> = observed
            .service_containers(name)
            .filter(|c| !doomed.contains(c.id.as_str()))
            .map(|c| {
                let reason = match strategy {
                    Recreate::Force => Some("--force-recreate".to_string()),
                    Recreate::Never => None,
                    Recreate::Diverged => {
                        recreate_reason(c, service, desired, observed, recreated_parent)
                    }
                };
                (c, reason)
            })
            .collect();
        // Of two copies of one replica, the one an interrupted recreate left
        // under a temporary name wins: it is the newer, and the original may
        // be stopping already (the interrupted run asked the engine to).
        existing.sort_by_key(|(c, reason)| {
            let original = c.name == container_name(desired, service, c.number().max(1));
            (reason.is_some(), c.number(), original, c.created)
        });

        let mut creates = Vec::new();
        let mut starts = Vec::new();
        let wanted = service.replicas as usize;
        let stop_timeout = options.timeout;
        let mut scaled_down = Vec::new();
        for (container, _) in existing.iter().skip(wanted) {
            halted.remove(&container.name);
            let reason = format!("scaled down to {wanted}");
            let (_, gone) = plan.retire(container, vec![], &reason, stop_timeout, false);
            scaled_down.push(gone);
        }
        for (index, (container, reason)) in existing.iter().enumerate() {
            if index >= wanted {
                continue;
            }
            let number = container.number().max(1);
            let halt = halted.remove(&container.name);
            if let Some(reason) = reason {
                recreated.insert(name.clone());
                let final_name = container_name(desired, service, number);
                let short_id: String = container.id.chars().take(12).collect();
                let temp_name = format!("{short_id}_{final_name}");
                let inherit = if options.renew_anonymous_volumes {
                    BTreeMap::new()
                } else {
                    anonymous_volumes(container, &service.spec.mounts)
                };
                let create = plan.push(
                    Op::CreateContainer {
                        service: name.clone(),
                        name: temp_name.clone(),
                        number,
                        inherit,
                        replaces: Some(container.name.clone()),
                    },
                    prerequisites.clone(),
                    format!("recreate: {reason}"),
                );
                let reason = format!("replaced by {temp_name}");
                let (_, remove) =
                    plan.retire(container, vec![create], &reason, stop_timeout, false);
                let rename = plan.push(
                    Op::RenameContainer {
                        service: name.clone(),
                        name: temp_name,
                        to: final_name.clone(),
                    },
                    vec![remove],
                    format!("takes the place of {}", container.name),
                );
                creates.push(rename);
                if !options.no_start {
                    starts.push((final_name, vec![rename], "recreated".to_string()));
                }
            } else if container.name != container_name(desired, service, number) {
                // An interrupted recreate left it under its temporary name.
                let final_name = container_name(desired, service, number);
                let rename = plan.push(
                    Op::RenameContainer {
                        service: name.clone(),
                        name: container.name.clone(),
                        to: final_name.clone(),
                    },
                    scaled_down.clone(),
                    "an interrupted recreate left it under a temporary name",
                );
                creates.push(rename);
                let mut after = reconnect(
                    &mut plan,
                    container,
                    &final_name,
                    service,
                    halt.as_ref(),
                    &[rename],
                );
                after.push(rename);
                let was_running = halt.as_ref().is_some_and(|h| h.stop.is_some());
                if !options.no_start && (container.state != RunState::Running || was_running) {
                    starts.push((final_name, after, "created".to_string()));
                }
            } else {
                let reconnects = reconnect(
                    &mut plan,
                    container,
                    &container.name,
                    service,
                    halt.as_ref(),
                    &[],
                );
                if options.no_start {
                    continue;
                }
                match container.state {
                    RunState::Running | RunState::Restarting
                        if halt.as_ref().is_some_and(|h| h.stop.is_some()) =>
                    {
                        starts.push((
                            container.name.clone(),
                            reconnects,
                            "its network was recreated".to_string(),
                        ));
                    }
                    RunState::Running | RunState::Restarting => {
                        if let Some(trigger) = &restart_trigger {
                            // Docker Compose restarts these dependents with their dependency.
                            let stop = plan.push(
                                Op::StopContainer {
                                    service: name.clone(),
                                    name: container.name.clone(),
                                    timeout: stop_timeout,
                                },
                                vec![],
                                format!("{trigger} is recreated (restart: true)"),
                            );
                            starts.push((
                                container.name.clone(),
                                vec![stop],
                                format!("{trigger} is recreated (restart: true)"),
                            ));
                        }
                    }
                    // A one-shot job that completed and has not changed is done.
                    RunState::Exited
                        if container.exit_code == Some(0)
                            && is_one_shot(name, desired)
                            && !options.rerun_jobs => {}
                    state => starts.push((
                        container.name.clone(),
                        reconnects,
                        format!("{state:?}").to_lowercase(),
                    )),
                }
            }
        }
        // Missing replicas get the next numbers after the highest in use.
        let mut next = existing.iter().map(|(c, _)| c.number()).max().unwrap_or(0);
        for _ in existing.len().min(wanted)..wanted {
            next += 1;
            let container = container_name(desired, service, next);
            let create = plan.push(
                Op::CreateContainer {
                    service: name.clone(),
                    name: container.clone(),
                    number: next,
                    inherit: BTreeMap::new(),
                    replaces: None,
                },
                prerequisites.clone(),
                format!("replica {next} of {wanted} does not exist"),
            );
            creates.push(create);
            if !options.no_start {
                starts.push((container, vec![create], "created".to_string()));
            }
        }

        // Starts wait for the dependencies' conditions.
        let mut gates: Vec<usize> = Vec::new();
        if !starts.is_empty() {
            for (dep, dependency) in &service.depends_on {
                let Some(dep_service) = desired.services.get(dep) else {
                    continue;
                };
                if dep_service.replicas == 0 {
                    continue;
                }
                if dependency.condition == Condition::ServiceStarted {
                    gates.extend(started_nodes.get(dep).into_iter().flatten());
                } else {
                    let key = (dep.clone(), dependency.condition);
                    let wait = match waits.get(&key) {
                        Some(&wait) => wait,
                        None => {
                            let after = started_nodes.get(dep).cloned().unwrap_or_default();
                            let wait = plan.push(
                                Op::Wait {
                                    service: dep.clone(),
                                    condition: dependency.condition,
                                    required: dependency.required,
                                },
                                after,
                                format!("{name} depends on it"),
                            );
                            waits.insert(key, wait);
                            wait
                        }
                    };
                    gates.push(wait);
                }
            }
            for parent in &service.parents {
                gates.extend(started_nodes.get(parent).into_iter().flatten());
            }
        }
        let mut start_ids = Vec::new();
        for (container, after, reason) in starts {
            let mut deps = gates.clone();
            deps.extend(after);
            start_ids.push(plan.push(
                Op::StartContainer {
                    service: name.clone(),
                    name: container,
                },
                deps,
                reason,
            ));
        }
        created_nodes.insert(name.clone(), creates);
        started_nodes.insert(name.clone(), start_ids);
    }

    if options.wait && !options.no_start {
        for name in &order {
            let service = &desired.services[name];
            if service.replicas == 0 || !targeted(name) {
                continue;
            }
            let condition = if is_one_shot(name, desired) {
                Condition::ServiceCompletedSuccessfully
            } else {
                Condition::RunningOrHealthy
            };
            if waits.contains_key(&(name.clone(), condition)) {
                continue;
            }
            let after = started_nodes.get(name).cloned().unwrap_or_default();
            plan.push(
                Op::Wait {
                    service: name.clone(),
                    condition,
                    required: true,
                },
                after,
                "--wait",
            );
        }
    }

    // Containers the loop above did not see (orphans, other services) go
    // back on the recreated networks, and run again if they ran.
    for (name, halt) in &halted {
        let Some(container) = observed.containers.iter().find(|c| &c.name == name) else {
            continue;
        };
        let orphan = !desired.services.contains_key(container.service());
        if doomed.contains(container.id.as_str()) || (orphan && options.remove_orphans) {
            continue;
        }
        let reconnects = reconnect_with(&mut plan, container, name, None, halt, &[]);
        if halt.stop.is_some() && !options.no_start {
            plan.push(
                Op::StartContainer {
                    service: container.service().to_string(),
                    name: name.clone(),
                },
                reconnects,
                "its network was recreated",
            );
        }
    }

    plan.orphans(
        desired,
        observed,
        options.remove_orphans,
        options.warn_orphans,
        options.timeout,
    );
    Ok(plan)
}

/// Connects a container that outlives the networks recreated under it to
/// their successors, once `after` is done too (a rename to `name`); its
/// start must follow the returned nodes.
fn reconnect(
    plan: &mut Plan,
    container: &Container,
    name: &str,
    service: &DesiredService,
    halt: Option<&Halted>,
    after: &[usize],
) -> Vec<usize> {
    match halt {
        Some(halt) => reconnect_with(plan, container, name, Some(&service.spec), halt, after),
        None => Vec::new(),
    }
}

fn reconnect_with(
    plan: &mut Plan,
    container: &Container,
    name: &str,
    desired: Option<&ContainerSpec>,
    halt: &Halted,
    after: &[usize],
) -> Vec<usize> {
    // The aliases and addresses it was created with: berth's record of them,
    // else the file's, else just the service name (as Docker Compose gives).
    let recorded: Option<ContainerSpec> = container
        .label(labels::SPEC)
        .and_then(|json| serde_json::from_str(json).ok());
    halt.networks
        .iter()
        .map(|(network, create)| {
            let attachment = recorded
                .iter()
                .chain(desired)
                .flat_map(|spec| &spec.networks)
                .find(|a| &a.network == network)
                .cloned()
                .unwrap_or_else(|| NetworkAttachment {
                    network: network.clone(),
                    aliases: vec![container.service().to_string()],
                    ..Default::default()
                });
            plan.push(
                Op::ConnectNetwork {
                    service: container.service().to_string(),
                    name: name.to_string(),
                    network: network.clone(),
                    attachment,
                },
                [*create].iter().chain(after).copied().collect(),
                format!("network {network} is recreated"),
            )
        })
        .collect()
}

/// The nodes that stop the containers of the services that depend on
/// `service` or share its namespaces: its own containers stop after them.
pub(crate) fn stops_of_dependents(
    desired: &Desired,
    service: &str,
    stops: &HashMap<&str, Vec<usize>>,
) -> Vec<usize> {
    desired
        .graph
        .dependents(service)
        .into_iter()
        .flat_map(|(dependent, _)| stops.get(dependent).into_iter().flatten().copied())
        .collect()
}

/// Whether another service waits for `name` to complete successfully.
pub(crate) fn is_one_shot(name: &str, desired: &Desired) -> bool {
    desired.services.values().any(|s| {
        s.depends_on
            .get(name)
            .is_some_and(|d| d.condition == Condition::ServiceCompletedSuccessfully)
    })
}

/// The old container's anonymous volumes that the new one takes over: those
/// at targets where the file names no source (or that the image declares).
fn anonymous_volumes(container: &Container, mounts: &[MountSpec]) -> BTreeMap<String, String> {
    container
        .mounts
        .iter()
        .filter(|m| m.kind == "volume" && is_anonymous(&m.name))
        .filter(|m| {
            !mounts
                .iter()
                .any(|d| d.target == m.destination && !(d.kind == "volume" && d.source.is_empty()))
        })
        .map(|m| (m.destination.clone(), m.name.clone()))
        .collect()
}

/// Anonymous volumes are named by 64 hex digits.
fn is_anonymous(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The switches of `down`.
#[derive(Clone, Debug, Default)]
pub struct DownOptions {
    /// Services named on the command line; empty for the whole project.
    pub services: Vec<String>,
    pub remove_orphans: bool,
    /// `-v`: remove named volumes declared by the file and anonymous ones.
    pub volumes: bool,
    pub timeout: Option<i64>,
}

/// The plan of `down`: stop dependents before their dependencies, remove the
/// containers, then the project's networks (and volumes with `-v`).
pub fn plan_down(desired: &Desired, observed: &Observed, options: &DownOptions) -> Plan {
    let mut plan = Plan::for_project(desired);
    let selected = |service: &str| {
        options.services.is_empty() || options.services.iter().any(|s| s == service)
    };
    let known = |c: &Container| {
        desired.services.contains_key(c.service())
            || desired.disabled_services.iter().any(|s| s == c.service())
    };
    // Dependents first: a service's containers stop after those of the services that depend on it.
    let mut order = dependency_order(desired);
    order.reverse();
    let mut stop_nodes: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut remove_nodes = Vec::new();
    let mut containers: Vec<&Container> = observed
        .containers
        .iter()
        .filter(|c| selected(c.service()))
        .filter(|c| {
            if c.is_oneoff() {
                options.remove_orphans
            } else {
                known(c) || options.remove_orphans || desired.services.is_empty()
            }
        })
        .collect();
    containers.sort_by_key(|c| {
        (
            order.iter().position(|s| s == c.service()).unwrap_or(0),
            c.name.clone(),
        )
    });
    let orphans: Vec<&str> = observed
        .containers
        .iter()
        .filter(|c| !c.is_oneoff() && !known(c) && !desired.services.is_empty())
        .filter(|_| !options.remove_orphans)
        .map(|c| c.name.as_str())
        .collect();
    if !orphans.is_empty() {
        plan.warnings.push(format!(
            "Found orphan containers ({}) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.",
            orphans.join(", ")
        ));
    }
    for container in containers {
        let service = container.service();
        let dependents = stops_of_dependents(desired, service, &stop_nodes);
        let (stopped, removed) = plan.retire(
            container,
            dependents,
            "down",
            options.timeout,
            options.volumes,
        );
        stop_nodes
            .entry(
                desired
                    .services
                    .get_key_value(service)
                    .map_or("", |(k, _)| k.as_str()),
            )
            .or_default()
            .push(stopped);
        remove_nodes.push(removed);
    }
    // Containers that stay (orphans without --remove-orphans) keep their networks.
    let removed: BTreeSet<String> = plan
        .actions
        .iter()
        .filter_map(|a| match &a.op {
            Op::RemoveContainer { name, .. } => Some(name.clone()),
            _ => None,
        })
        .collect();
    let in_use = |network: &crate::engine::Network| -> Vec<&str> {
        observed
            .containers
            .iter()
            .filter(|c| !removed.contains(&c.name))
            // By ID: several networks may share the name.
            .filter(|c| {
                c.networks.values().any(|id| *id == network.id)
                    || c.networks.get(&network.name).is_some_and(String::is_empty)
            })
            .map(|c| c.name.as_str())
            .collect()
    };
    let mut kept_networks = Vec::new();
    if options.services.is_empty() {
        let every_network = observed
            .networks
            .values()
            .chain(&observed.stale_networks)
            .chain(&observed.duplicate_networks);
        for network in every_network {
            let users = in_use(network);
            if !users.is_empty() {
                kept_networks.push(format!(
                    "network {} is kept: {} still use{} it",
                    network.name,
                    users.join(", "),
                    if users.len() == 1 { "s" } else { "" }
                ));
            }
        }
        let own = |labels: &BTreeMap<String, String>, external: bool| {
            !external && labels.get(labels::PROJECT) == Some(&desired.project)
        };
        let declared_networks = observed.networks.iter().filter(|(key, n)| {
            own(
                &n.labels,
                desired.networks.get(*key).is_some_and(|d| d.external),
            )
        });
        let networks = declared_networks
            .map(|(_, n)| (n, "down"))
            .chain(
                observed
                    .stale_networks
                    .iter()
                    .map(|n| (n, "down (no longer in the file)")),
            )
            .chain(
                observed
                    .duplicate_networks
                    .iter()
                    .map(|n| (n, "down (another network of the same name)")),
            )
            .filter(|(n, _)| in_use(n).is_empty());
        let mut removals: Vec<(Op, &str)> = networks
            .map(|(n, reason)| {
                let op = Op::RemoveNetwork {
                    name: n.name.clone(),
                    id: n.id.clone(),
                };
                (op, reason)
            })
            .collect();
        if options.volumes {
            let declared_volumes = observed.volumes.iter().filter(|(key, v)| {
                own(
                    &v.labels,
                    desired.volumes.get(*key).is_some_and(|d| d.external),
                )
            });
            // Every volume labelled with the project is its own, as with
            // Docker Compose: one the file declares but no service uses, or
            // one the file no longer declares, would otherwise be left behind.
            let declared = declared_volumes.map(|(_, v)| (v, "down -v"));
            let stale_reason = if desired.services.is_empty() {
                "down -v"
            } else {
                "down -v (no service of the file uses it)"
            };
            let stale = observed.stale_volumes.iter().map(|v| (v, stale_reason));
            removals.extend(declared.chain(stale).map(|(v, reason)| {
                let op = Op::RemoveVolume {
                    name: v.name.clone(),
                };
                (op, reason)
            }));
        }
        for (op, reason) in removals {
            plan.push(op, remove_nodes.clone(), reason);
        }
    }
    plan.warnings.extend(kept_networks);
    plan
}
