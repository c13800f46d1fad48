//! Networks recreated under running containers: the containers are stopped
//! and disconnected first, then reconnected to the new network (and
//! started again) unless they are replaced anyway.

use super::super::{Op, Plan};
use super::Up;
use crate::engine::spec::{ContainerSpec, NetworkAttachment};
use crate::engine::{Container, Network, RunState, labels};
use crate::reconcile::desired::{DesiredNetwork, DesiredService};

/// A container taken off the networks that are recreated under it.
pub(super) struct Halted {
    /// The node that stopped it, if it ran (then it starts again once reconnected).
    pub(super) stop: Option<usize>,
    /// Engine names of the recreated networks, with the nodes that create them.
    pub(super) networks: Vec<(String, usize)>,
}

impl Up<'_> {
    /// Recreates a network whose definition changed, as Docker Compose does:
    /// the containers on it stop and are disconnected, the network is removed
    /// and created anew. Returns the create node; the containers are reconnected
    /// (and restarted) by the caller, unless they are replaced anyway.
    pub(super) fn recreate_network(
        &mut self,
        network: &DesiredNetwork,
        found: &Network,
        change: &str,
    ) -> usize {
        let (observed, timeout) = (self.observed, self.options.timeout);
        let (plan, halted) = (&mut self.plan, &mut self.halted);
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
                let was_running =
                    matches!(container.state, RunState::Running | RunState::Restarting);
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

    /// Puts the containers the services' plans did not see (orphans, other
    /// services) back on the recreated networks, and runs them again if they ran.
    pub(super) fn restore_halted(&mut self) {
        let observed = self.observed;
        for (name, halt) in &self.halted {
            let Some(container) = observed.containers.iter().find(|c| &c.name == name) else {
                continue;
            };
            let orphan = !self.desired.services.contains_key(container.service());
            if self.doomed.contains(container.id.as_str())
                || (orphan && self.options.remove_orphans)
            {
                continue;
            }
            let reconnects = reconnect_with(&mut self.plan, container, name, None, halt, &[]);
            if halt.stop.is_some() && !self.options.no_start {
                self.plan.push(
                    Op::StartContainer {
                        service: container.service().to_string(),
                        name: name.clone(),
                    },
                    reconnects,
                    "its network was recreated",
                );
            }
        }
    }
}

/// Connects a container that outlives the networks recreated under it to
/// their successors, once `after` is done too (a rename to `name`); its
/// start must follow the returned nodes.
pub(super) fn reconnect(
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

/// [`reconnect`], for a container of a service the file has (`desired`
/// its spec) or not.
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
