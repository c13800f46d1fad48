//! `stack rm`: everything labelled with the stack's namespace, whoever
//! deployed it (berth or `docker stack deploy`).

use std::time::{Duration, Instant};

use super::execute::Event;
use super::plan::Kind;
use crate::engine::EngineError;
use crate::engine::docker::DockerEngine;
use crate::engine::swarm::Filter;

/// How long the tasks of removed services may take to stop before their
/// networks are removed anyway (and the engine's refusal reported).
const STOP_LIMIT: Duration = Duration::from_secs(120);
const POLL: Duration = Duration::from_millis(200);

/// Removes the stack `name`; `false` when it had nothing. Services go
/// first; their networks once their tasks are gone (a network with
/// containers on it cannot be removed); then configs and secrets.
pub async fn remove(
    engine: &DockerEngine,
    name: &str,
    dry_run: bool,
    emit: &dyn Fn(Event),
) -> Result<bool, EngineError> {
    let (services, networks, configs, secrets) = tokio::try_join!(
        engine.swarm_services(Some(name)),
        engine.swarm_networks(name),
        engine.swarm_configs(Filter::Stack(name)),
        engine.swarm_secrets(Filter::Stack(name)),
    )?;
    let found =
        !(services.is_empty() && networks.is_empty() && configs.is_empty() && secrets.is_empty());
    if dry_run {
        let all = services
            .iter()
            .map(|s| (Kind::Service, &s.name))
            .chain(networks.iter().map(|n| (Kind::Network, &n.name)))
            .chain(configs.iter().map(|c| (Kind::Config, &c.name)))
            .chain(secrets.iter().map(|s| (Kind::Secret, &s.name)));
        for (kind, name) in all {
            emit(Event::Would(format!("remove {kind} {name}")));
        }
        return Ok(found);
    }
    for service in &services {
        engine.remove_swarm_service(&service.id).await?;
        emit(removed(Kind::Service, &service.name));
    }
    if !services.is_empty() && !networks.is_empty() {
        let deadline = Instant::now() + STOP_LIMIT;
        while !engine.swarm_tasks(name).await?.is_empty() && Instant::now() < deadline {
            tokio::time::sleep(POLL).await;
        }
    }
    for network in &networks {
        remove_network(engine, &network.id).await?;
        emit(removed(Kind::Network, &network.name));
    }
    for config in &configs {
        engine.remove_swarm_config(&config.id).await?;
        emit(removed(Kind::Config, &config.name));
    }
    for secret in &secrets {
        engine.remove_swarm_secret(&secret.id).await?;
        emit(removed(Kind::Secret, &secret.name));
    }
    Ok(found)
}

fn removed(kind: Kind, name: &str) -> Event {
    Event::Removed {
        kind,
        name: name.to_string(),
    }
}

/// A task's container can outlive its task in the listing by a moment:
/// the network is tried again while the engine says it has endpoints.
async fn remove_network(engine: &DockerEngine, id: &str) -> Result<(), EngineError> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match engine.remove_swarm_network(id).await {
            Err(EngineError::Refused(m) | EngineError::Conflict(m))
                if m.contains("active endpoints") && Instant::now() < deadline =>
            {
                tokio::time::sleep(POLL).await;
            }
            other => return other,
        }
    }
}
