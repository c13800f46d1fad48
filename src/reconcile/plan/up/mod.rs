//! The plan of `up` (and `create`, with `no_start`): the project's networks
//! and volumes first, then each service's containers in dependency order,
//! then the waits of `--wait`, the containers put back on recreated
//! networks, and the orphans.

mod networks;
mod objects;
mod service;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{Op, Plan, PlanError, dependency_order, is_one_shot};
use crate::reconcile::desired::{Condition, Desired};
use crate::reconcile::observe::Observed;
use networks::Halted;

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

/// The plan of `up` (and `create`, with `no_start`).
pub fn plan_up(
    desired: &Desired,
    observed: &Observed,
    options: &UpOptions,
) -> Result<Plan, PlanError> {
    let mut up = Up::new(desired, observed, options);
    // Networks and volumes first; containers come after the ones they use.
    for (key, network) in &desired.networks {
        up.network(key, network)?;
    }
    for (key, volume) in &desired.volumes {
        up.volume(key, volume)?;
    }
    let order = dependency_order(desired);
    for name in &order {
        up.service(name);
    }
    if options.wait && !options.no_start {
        up.wait_for_services(&order);
    }
    up.restore_halted();
    up.plan.orphans(
        desired,
        observed,
        options.remove_orphans,
        options.warn_orphans,
        options.timeout,
    );
    Ok(up.plan)
}

/// The plan of `up` as it is built, with the nodes later actions come after.
struct Up<'a> {
    desired: &'a Desired,
    observed: &'a Observed,
    options: &'a UpOptions,
    plan: Plan,
    /// The nodes that create networks and volumes, by key.
    network_nodes: HashMap<&'a str, usize>,
    volume_nodes: HashMap<&'a str, usize>,
    /// Containers taken off networks that are recreated, by name.
    halted: BTreeMap<String, Halted>,
    /// IDs of the containers removed because their volume is recreated.
    doomed: BTreeSet<&'a str>,
    /// Per service: the nodes that make its containers exist (for namespace
    /// children and dependents), and the nodes that start them.
    created_nodes: HashMap<String, Vec<usize>>,
    started_nodes: HashMap<String, Vec<usize>>,
    /// Services whose containers are made anew: their `restart: true`
    /// dependents restart, their namespace children are recreated.
    recreated: BTreeSet<String>,
    /// The wait nodes made so far, by service and condition: one each.
    waits: HashMap<(String, Condition), usize>,
}

impl<'a> Up<'a> {
    fn new(desired: &'a Desired, observed: &'a Observed, options: &'a UpOptions) -> Self {
        Up {
            desired,
            observed,
            options,
            plan: Plan::for_project(desired),
            network_nodes: HashMap::new(),
            volume_nodes: HashMap::new(),
            halted: BTreeMap::new(),
            doomed: BTreeSet::new(),
            created_nodes: HashMap::new(),
            started_nodes: HashMap::new(),
            recreated: BTreeSet::new(),
            waits: HashMap::new(),
        }
    }

    /// Whether `name` is one of the services named on the command line (all
    /// when none is), rather than one pulled in as a dependency.
    fn targeted(&self, name: &str) -> bool {
        self.options.services.is_empty() || self.options.services.iter().any(|s| s == name)
    }

    /// The nodes that start the containers of `service` (none when nothing starts them).
    fn started(&self, service: &str) -> impl Iterator<Item = usize> + '_ {
        self.started_nodes
            .get(service)
            .into_iter()
            .flatten()
            .copied()
    }

    /// The nodes that make the containers of `service` exist.
    fn created(&self, service: &str) -> impl Iterator<Item = usize> + '_ {
        self.created_nodes
            .get(service)
            .into_iter()
            .flatten()
            .copied()
    }

    /// `--wait`: a wait for every targeted service that runs, unless a
    /// dependent already waits for the same condition.
    fn wait_for_services(&mut self, order: &[String]) {
        for name in order {
            let service = &self.desired.services[name];
            if service.replicas == 0 || !self.targeted(name) {
                continue;
            }
            let condition = if is_one_shot(name, self.desired) {
                Condition::ServiceCompletedSuccessfully
            } else {
                Condition::RunningOrHealthy
            };
            if self.waits.contains_key(&(name.clone(), condition)) {
                continue;
            }
            let after = self.started_nodes.get(name).cloned().unwrap_or_default();
            self.plan.push(
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
}
