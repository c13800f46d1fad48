//! What a stack has on the swarm: one list call per kind of object, all at
//! once, plus a lookup of the external objects the file names.

use std::collections::BTreeMap;

use super::convert::Stack;
use crate::engine::docker::DockerEngine;
use crate::engine::swarm::{Filter, SwarmObject, SwarmService};
use crate::engine::{Engine, EngineError};

/// The stack as the swarm holds it.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    /// By name (`<stack>_<service>`).
    pub services: BTreeMap<String, SwarmService>,
    /// By name.
    pub networks: BTreeMap<String, SwarmObject>,
    pub configs: Vec<SwarmObject>,
    pub secrets: Vec<SwarmObject>,
    /// External networks, configs and secrets found, name → ID.
    pub external_ids: BTreeMap<String, String>,
    /// External networks the file names that do not exist.
    pub missing_networks: Vec<String>,
}

impl Observed {
    /// Network, config and secret IDs by name: the stack's and the
    /// external ones.
    pub fn object_ids(&self) -> BTreeMap<String, String> {
        let mut ids = self.external_ids.clone();
        for object in self
            .configs
            .iter()
            .chain(&self.secrets)
            .chain(self.networks.values())
        {
            ids.insert(object.name.clone(), object.id.clone());
        }
        ids
    }
}

/// Lists what `stack` has (and the external objects `desired` names).
pub async fn observe(engine: &DockerEngine, desired: &Stack) -> Result<Observed, EngineError> {
    let name = desired.name.as_str();
    let externals = |objects: &[super::convert::FileObject]| -> Vec<String> {
        objects
            .iter()
            .filter(|o| o.external)
            .map(|o| o.name.clone())
            .collect()
    };
    let (external_configs, external_secrets) =
        (externals(&desired.configs), externals(&desired.secrets));
    let (services, networks, configs, secrets, ext_configs, ext_secrets) = tokio::try_join!(
        engine.swarm_services(Some(name)),
        engine.swarm_networks(name),
        engine.swarm_configs(Filter::Stack(name)),
        engine.swarm_secrets(Filter::Stack(name)),
        engine.swarm_configs(Filter::Names(&external_configs)),
        engine.swarm_secrets(Filter::Names(&external_secrets)),
    )?;
    let mut missing_networks = Vec::new();
    let mut external_ids: BTreeMap<String, String> = ext_configs
        .into_iter()
        .chain(ext_secrets)
        .map(|o| (o.name, o.id))
        .collect();
    for network in desired.networks.iter().filter(|n| n.external) {
        match engine.find_network(&network.name).await? {
            Some(found) => {
                external_ids.insert(network.name.clone(), found.id);
            }
            None => missing_networks.push(network.name.clone()),
        }
    }
    Ok(Observed {
        services: services.into_iter().map(|s| (s.name.clone(), s)).collect(),
        networks: networks.into_iter().map(|n| (n.name.clone(), n)).collect(),
        configs,
        secrets,
        external_ids,
        missing_networks,
    })
}
