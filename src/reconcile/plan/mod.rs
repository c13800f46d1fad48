//! The plan: a DAG of typed actions, each with the reason it exists.
//!
//! Planning is pure: `(Desired, Observed, options) -> Plan`. The executor
//! runs the actions, each as soon as the actions it comes after are done.
//!
//! This module holds the plan's types and what `up` and `down` share;
//! `up` and `down` build their plans, `change` tells what differs from
//! what the engine has.

mod change;
mod down;
mod up;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use super::desired::{Condition, Desired, DesiredService};
use super::fingerprint::Fingerprint;
use super::observe::Observed;
use crate::engine::spec::{ContainerSpec, MountKind, NetworkAttachment};
use crate::engine::{Container, RunState, labels};

pub use down::{DownOptions, plan_down};
pub use up::{Recreate, UpOptions, plan_up};

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
                .filter(|m| m.kind == Some(MountKind::Volume) && is_anonymous(&m.name))
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

/// Anonymous volumes are named by 64 hex digits.
fn is_anonymous(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit())
}
