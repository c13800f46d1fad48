//! Plans of the commands that change what runs but create nothing: `start`,
//! `stop`, `kill`, `pause`, `unpause` and `rm`. Like `up`'s, they are pure
//! and run on the same executor, so `--dry-run` and progress come for free.

use std::collections::HashMap;

use super::desired::{Condition, Desired};
use super::observe::Observed;
use super::plan::{Op, Plan, dependency_order, is_one_shot, stops_of_dependents};
use crate::engine::{Container, RunState};

/// Whether `service` is among those named (all when none are).
fn selected(services: &[String], service: &str) -> bool {
    services.is_empty() || services.iter().any(|s| s == service)
}

fn runs(c: &Container) -> bool {
    matches!(
        c.state,
        RunState::Running | RunState::Restarting | RunState::Paused
    )
}

/// The selected services' containers in `state`, by name.
fn containers<'a>(
    observed: &'a Observed,
    services: &[String],
    wanted: impl Fn(&Container) -> bool,
) -> Vec<&'a Container> {
    let mut found: Vec<&Container> = observed
        .containers
        .iter()
        .filter(|c| !c.is_oneoff() && selected(services, c.service()) && wanted(c))
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

/// `start`: the stopped containers of the selected services start in
/// dependency order, each once its dependencies' conditions hold. A one-shot
/// job that completed stays done, as with `up`.
pub fn plan_start(desired: &Desired, observed: &Observed, services: &[String]) -> Plan {
    let mut plan = Plan::for_project(desired);
    let mut started: HashMap<String, Vec<usize>> = HashMap::new();
    let mut waits: HashMap<(String, Condition), usize> = HashMap::new();
    for name in dependency_order(desired) {
        if !selected(services, &name) {
            continue;
        }
        let service = &desired.services[&name];
        let stopped: Vec<&Container> = observed
            .service_containers(&name)
            .filter(|c| !runs(c))
            .filter(|c| !(c.exit_code == Some(0) && is_one_shot(&name, desired)))
            .collect();
        if stopped.is_empty() {
            continue;
        }
        let mut gates = Vec::new();
        for (dep, dependency) in &service.depends_on {
            if desired.services.get(dep).is_none_or(|d| d.replicas == 0) {
                continue;
            }
            let after = started.get(dep).cloned().unwrap_or_default();
            if dependency.condition == Condition::ServiceStarted {
                gates.extend(after);
                continue;
            }
            let wait = *waits
                .entry((dep.clone(), dependency.condition))
                .or_insert_with(|| {
                    let wait = Op::Wait {
                        service: dep.clone(),
                        condition: dependency.condition,
                        required: dependency.required,
                    };
                    plan.push(wait, after, format!("{name} depends on it"))
                });
            gates.push(wait);
        }
        let mut ids = Vec::new();
        for container in stopped {
            let start = Op::StartContainer {
                service: name.clone(),
                name: container.name.clone(),
            };
            let reason = format!("{:?}", container.state).to_lowercase();
            ids.push(plan.push(start, gates.clone(), reason));
        }
        started.insert(name, ids);
    }
    plan
}

/// `stop`: the selected services' running containers stop, dependents
/// before their dependencies.
pub fn plan_stop(
    desired: &Desired,
    observed: &Observed,
    services: &[String],
    timeout: Option<i64>,
) -> Plan {
    let mut plan = Plan::for_project(desired);
    let mut order = dependency_order(desired);
    order.reverse();
    let mut stopped: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut running = containers(observed, services, runs);
    // Dependents first; services the file no longer has, first of all.
    running.sort_by_key(|c| order.iter().position(|s| s == c.service()));
    for container in running {
        let service = container.service();
        let dependents = stops_of_dependents(desired, service, &stopped);
        let stop = Op::StopContainer {
            service: service.to_string(),
            name: container.name.clone(),
            timeout,
        };
        let id = plan.push(stop, dependents, "stop");
        stopped.entry(service).or_default().push(id);
    }
    plan
}

/// `kill`, `pause` or `unpause` of the selected services' containers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signal {
    Kill(String),
    Pause,
    Unpause,
}

/// One action per container that can take `signal`, all at once.
pub fn plan_signal(
    desired: &Desired,
    observed: &Observed,
    services: &[String],
    signal: &Signal,
) -> Plan {
    signal_plan(desired, observed, services, signal, |_| true)
}

/// `kill`: as [`plan_signal`], and with `remove_orphans` the containers of
/// services the file no longer has are removed instead of signalled.
/// (Docker Compose 2.40 signals them either way, whatever its flag says.)
pub fn plan_kill(
    desired: &Desired,
    observed: &Observed,
    services: &[String],
    signal: &str,
    remove_orphans: bool,
) -> Plan {
    let signal = Signal::Kill(signal.to_string());
    let declared = |c: &Container| desired.services.contains_key(c.service());
    let mut plan = signal_plan(desired, observed, services, &signal, |c| {
        !remove_orphans || declared(c)
    });
    if remove_orphans {
        plan.orphans(desired, observed, true, false, None);
    }
    plan
}

/// The signal to the selected containers it applies to and `also` accepts.
fn signal_plan(
    desired: &Desired,
    observed: &Observed,
    services: &[String],
    signal: &Signal,
    also: impl Fn(&Container) -> bool,
) -> Plan {
    let mut plan = Plan::for_project(desired);
    let applies = |c: &Container| {
        also(c)
            && match signal {
                Signal::Kill(_) => matches!(c.state, RunState::Running | RunState::Restarting),
                Signal::Pause => c.state == RunState::Running,
                Signal::Unpause => c.state == RunState::Paused,
            }
    };
    for container in containers(observed, services, applies) {
        let (service, name) = (container.service().to_string(), container.name.clone());
        let op = match signal {
            Signal::Kill(signal) => Op::KillContainer {
                service,
                name,
                signal: signal.clone(),
            },
            Signal::Pause => Op::PauseContainer { service, name },
            Signal::Unpause => Op::UnpauseContainer { service, name },
        };
        plan.push(op, vec![], "asked for");
    }
    plan
}

/// `rm`: the selected services' stopped containers go (with `stop_first`,
/// the running ones too); `volumes` takes their anonymous volumes along.
pub fn plan_rm(
    desired: &Desired,
    observed: &Observed,
    services: &[String],
    stop_first: bool,
    volumes: bool,
) -> Plan {
    let mut plan = Plan::for_project(desired);
    for container in containers(observed, services, |c| stop_first || !runs(c)) {
        plan.retire(container, vec![], "rm", None, volumes);
    }
    plan
}
