//! The project's networks and volumes in the plan of `up`: created when
//! missing, recreated when their definition changed and berth may, left
//! alone (with a warning) when they are someone else's.

use std::collections::BTreeMap;

use super::super::change::{Change, definition_change};
use super::super::{Op, PlanError};
use super::Up;
use crate::engine::spec::MountKind;
use crate::engine::{Network, Volume, labels};
use crate::reconcile::desired::{DesiredNetwork, DesiredVolume};

impl<'a> Up<'a> {
    /// Plans the network `key`: creates it when missing, recreates it when
    /// its definition changed. Fails when an external one is missing.
    pub(super) fn network(
        &mut self,
        key: &'a str,
        network: &'a DesiredNetwork,
    ) -> Result<(), PlanError> {
        let project = &self.desired.project;
        match self.observed.networks.get(key) {
            Some(_) if network.external => {}
            None if network.external => {
                return Err(missing_external("network", &network.spec.name));
            }
            // Another project's network (a fixed `name:`) is not ours to
            // recreate, whatever its definition.
            Some(found) if found.labels.get(labels::PROJECT) != Some(project) => {
                self.plan
                    .warnings
                    .push(foreign("network", &found.name, &found.labels));
            }
            Some(found) => self.changed_network(key, network, found),
            None => {
                let id = self.plan.push(
                    Op::CreateNetwork {
                        network: key.to_string(),
                        name: network.spec.name.clone(),
                    },
                    vec![],
                    "does not exist",
                );
                self.network_nodes.insert(key, id);
            }
        }
        Ok(())
    }

    /// Recreates the project's network `found` if its definition changed
    /// and berth can tell how; warns if another tool made it differently.
    fn changed_network(&mut self, key: &'a str, network: &DesiredNetwork, found: &Network) {
        match definition_change(&found.labels, &network.hash, &network.spec) {
            Change::None => {}
            Change::Keys(change) => {
                let id = self.recreate_network(network, found, &change);
                self.network_nodes.insert(key, id);
            }
            // Not berth's: which key changed cannot be told.
            Change::Unknown => self.plan.warnings.push(format!(
                "network {} was created by another tool and differs from its definition in the file; `berth down` then `berth up` recreates it",
                found.name
            )),
        }
    }

    /// Plans the volume `key`: creates it when missing; when its definition
    /// changed, recreates it with `-y`, else fails (its data is at stake).
    pub(super) fn volume(
        &mut self,
        key: &'a str,
        volume: &'a DesiredVolume,
    ) -> Result<(), PlanError> {
        let project = &self.desired.project;
        match self.observed.volumes.get(key) {
            None if volume.external => return Err(missing_external("volume", &volume.spec.name)),
            Some(_) if volume.external => {}
            // Another project's volume holds its data: never recreated here.
            Some(found) if found.labels.get(labels::PROJECT) != Some(project) => self
                .plan
                .warnings
                .push(foreign("volume", &found.name, &found.labels)),
            Some(found) => match definition_change(&found.labels, &volume.hash, &volume.spec) {
                Change::None => {}
                change if !self.options.yes => return Err(volume_mismatch(found, change)),
                _ => self.recreate_volume(key, volume, found),
            },
            None => {
                let id = self.plan.push(
                    Op::CreateVolume {
                        volume: key.to_string(),
                        name: volume.spec.name.clone(),
                    },
                    vec![],
                    "does not exist",
                );
                self.volume_nodes.insert(key, id);
            }
        }
        Ok(())
    }

    /// `-y`: the containers that mount the volume go, then the volume is
    /// made anew.
    fn recreate_volume(&mut self, key: &'a str, volume: &DesiredVolume, found: &Volume) {
        let observed = self.observed;
        let mut removed = Vec::new();
        let mounting = observed.containers.iter().filter(|c| {
            c.mounts
                .iter()
                .any(|m| m.kind == Some(MountKind::Volume) && m.name == found.name)
        });
        for container in mounting {
            let reason = format!("volume {} is recreated (-y)", found.name);
            let (_, gone) =
                self.plan
                    .retire(container, vec![], &reason, self.options.timeout, false);
            removed.push(gone);
            self.doomed.insert(container.id.as_str());
            self.recreated.insert(container.service().to_string());
        }
        let remove = self.plan.push(
            Op::RemoveVolume {
                name: found.name.clone(),
            },
            removed,
            "does not match its definition in the file (-y)",
        );
        let id = self.plan.push(
            Op::CreateVolume {
                volume: key.to_string(),
                name: volume.spec.name.clone(),
            },
            vec![remove],
            "does not match its definition in the file (-y)",
        );
        self.volume_nodes.insert(key, id);
    }
}

/// The error for a volume whose definition changed, without `-y`.
fn volume_mismatch(found: &Volume, change: Change) -> PlanError {
    let change = match change {
        Change::Keys(change) => format!(" ({change})"),
        _ => String::new(),
    };
    PlanError {
        message: format!(
            "volume {} exists but does not match its definition in the file{change}",
            found.name
        ),
        hint: "its data is kept: run `up -y` to remove and recreate it (its data is lost), or restore the old definition".into(),
    }
}

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
