//! The plan of `down`: stop dependents before their dependencies, remove the
//! containers, then the project's networks (and volumes with `-v`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{Op, Plan, dependency_order, stops_of_dependents};
use crate::engine::{Container, Network, labels};
use crate::reconcile::desired::Desired;
use crate::reconcile::observe::Observed;

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
    let down = Down {
        desired,
        observed,
        options,
    };
    let mut plan = Plan::for_project(desired);
    let containers = down.containers();
    if let Some(warning) = down.orphan_warning() {
        plan.warnings.push(warning);
    }
    let remove_nodes = down.retire(&mut plan, containers);
    // Containers that stay (orphans without --remove-orphans) keep their networks.
    let removed = removed_containers(&plan);
    // Only a `down` of the whole project removes networks and volumes.
    if options.services.is_empty() {
        let kept_networks = down.kept_networks(&removed);
        let mut removals = down.network_removals(&removed);
        if options.volumes {
            removals.extend(down.volume_removals());
        }
        for (op, reason) in removals {
            plan.push(op, remove_nodes.clone(), reason);
        }
        plan.warnings.extend(kept_networks);
    }
    plan
}

/// What `down` looks at, to decide what goes.
struct Down<'a> {
    desired: &'a Desired,
    observed: &'a Observed,
    options: &'a DownOptions,
}

impl<'a> Down<'a> {
    /// Whether `service` is one of those named on the command line (all when none is).
    fn selected(&self, service: &str) -> bool {
        self.options.services.is_empty() || self.options.services.iter().any(|s| s == service)
    }

    /// Whether the file defines the container's service (enabled or not).
    fn known(&self, container: &Container) -> bool {
        self.desired.services.contains_key(container.service())
            || self
                .desired
                .disabled_services
                .iter()
                .any(|s| s == container.service())
    }

    /// The containers to remove, dependents first: a service's containers
    /// stop after those of the services that depend on it.
    fn containers(&self) -> Vec<&'a Container> {
        let mut order = dependency_order(self.desired);
        order.reverse();
        let remove_orphans = self.options.remove_orphans;
        let mut containers: Vec<&Container> = self
            .observed
            .containers
            .iter()
            .filter(|c| self.selected(c.service()))
            .filter(|c| {
                if c.is_oneoff() {
                    remove_orphans
                } else {
                    self.known(c) || remove_orphans || self.desired.services.is_empty()
                }
            })
            .collect();
        containers.sort_by_key(|c| {
            (
                order.iter().position(|s| s == c.service()).unwrap_or(0),
                c.name.clone(),
            )
        });
        containers
    }

    /// The warning naming the orphans that stay (without `--remove-orphans`).
    fn orphan_warning(&self) -> Option<String> {
        let orphans: Vec<&str> = self
            .observed
            .containers
            .iter()
            .filter(|c| !c.is_oneoff() && !self.known(c) && !self.desired.services.is_empty())
            .filter(|_| !self.options.remove_orphans)
            .map(|c| c.name.as_str())
            .collect();
        (!orphans.is_empty()).then(|| format!(
            "Found orphan containers ({}) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.",
            orphans.join(", ")
        ))
    }

    /// Stops and removes `containers`, each after the stops of its
    /// service's dependents. Returns the nodes that remove them.
    fn retire(&self, plan: &mut Plan, containers: Vec<&Container>) -> Vec<usize> {
        let mut stop_nodes: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut remove_nodes = Vec::new();
        for container in containers {
            let service = container.service();
            let dependents = stops_of_dependents(self.desired, service, &stop_nodes);
            let (stopped, removed) = plan.retire(
                container,
                dependents,
                "down",
                self.options.timeout,
                self.options.volumes,
            );
            let key = self
                .desired
                .services
                .get_key_value(service)
                .map_or("", |(k, _)| k.as_str());
            stop_nodes.entry(key).or_default().push(stopped);
            remove_nodes.push(removed);
        }
        remove_nodes
    }

    /// The containers that still use `network` once the `removed` ones are gone.
    fn users(&self, network: &Network, removed: &BTreeSet<String>) -> Vec<&'a str> {
        self.observed
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
    }

    /// Every network of the project the engine has: declared, no longer
    /// declared, and duplicates of a declared one's name.
    fn every_network(&self) -> impl Iterator<Item = &'a Network> {
        let observed = self.observed;
        observed
            .networks
            .values()
            .chain(&observed.stale_networks)
            .chain(&observed.duplicate_networks)
    }

    /// The warnings for the networks that stay because containers still use them.
    fn kept_networks(&self, removed: &BTreeSet<String>) -> Vec<String> {
        self.every_network()
            .filter_map(|network| {
                let users = self.users(network, removed);
                (!users.is_empty()).then(|| {
                    format!(
                        "network {} is kept: {} still use{} it",
                        network.name,
                        users.join(", "),
                        if users.len() == 1 { "s" } else { "" }
                    )
                })
            })
            .collect()
    }

    /// Whether an object with `labels` is this project's to remove.
    fn own(&self, labels: &BTreeMap<String, String>, external: bool) -> bool {
        !external && labels.get(labels::PROJECT) == Some(&self.desired.project)
    }

    /// The removals of the project's networks that no container still uses.
    fn network_removals(&self, removed: &BTreeSet<String>) -> Vec<(Op, &'static str)> {
        let observed = self.observed;
        let declared = observed.networks.iter().filter(|(key, n)| {
            let external = self.desired.networks.get(*key).is_some_and(|d| d.external);
            self.own(&n.labels, external)
        });
        let stale = observed
            .stale_networks
            .iter()
            .map(|n| (n, "down (no longer in the file)"));
        let duplicates = observed
            .duplicate_networks
            .iter()
            .map(|n| (n, "down (another network of the same name)"));
        declared
            .map(|(_, n)| (n, "down"))
            .chain(stale)
            .chain(duplicates)
            .filter(|(n, _)| self.users(n, removed).is_empty())
            .map(|(n, reason)| {
                let op = Op::RemoveNetwork {
                    name: n.name.clone(),
                    id: n.id.clone(),
                };
                (op, reason)
            })
            .collect()
    }

    /// The removals of `-v`: every volume labelled with the project is its
    /// own, as with Docker Compose: one the file declares but no service
    /// uses, or one the file no longer declares, would otherwise be left behind.
    fn volume_removals(&self) -> Vec<(Op, &'static str)> {
        let observed = self.observed;
        let declared = observed.volumes.iter().filter(|(key, v)| {
            let external = self.desired.volumes.get(*key).is_some_and(|d| d.external);
            self.own(&v.labels, external)
        });
        let stale_reason = if self.desired.services.is_empty() {
            "down -v"
        } else {
            "down -v (no service of the file uses it)"
        };
        let stale = observed.stale_volumes.iter().map(|v| (v, stale_reason));
        declared
            .map(|(_, v)| (v, "down -v"))
            .chain(stale)
            .map(|(v, reason)| {
                let op = Op::RemoveVolume {
                    name: v.name.clone(),
                };
                (op, reason)
            })
            .collect()
    }
}

/// The names of the containers `plan` removes.
fn removed_containers(plan: &Plan) -> BTreeSet<String> {
    plan.actions
        .iter()
        .filter_map(|a| match &a.op {
            Op::RemoveContainer { name, .. } => Some(name.clone()),
            _ => None,
        })
        .collect()
}
