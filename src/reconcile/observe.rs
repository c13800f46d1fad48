//! What runs in the engine for a project: one list call per kind of object,
//! plus a lookup by name of the networks and volumes the labels did not find.

use std::collections::BTreeMap;

use futures_util::future::try_join_all;

use super::desired::Desired;
use crate::engine::{Container, Engine, Network, Result, Volume, labels};

/// The engine's objects of one project.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    /// Every container of the project, one-offs included.
    pub containers: Vec<Container>,
    /// By network key: labelled ones first, then same-named ones.
    pub networks: BTreeMap<String, Network>,
    /// By volume key.
    pub volumes: BTreeMap<String, Volume>,
    /// Labelled networks and volumes whose key the file no longer declares.
    pub stale_networks: Vec<Network>,
    pub stale_volumes: Vec<Volume>,
    /// Further networks of a key that has one in `networks` (concurrent
    /// creates can make several of one name): `down` removes them too.
    pub duplicate_networks: Vec<Network>,
    /// Image reference → local image ID (`None`: not present).
    pub images: BTreeMap<String, Option<String>>,
}

impl Observed {
    /// The service containers (not one-offs) of `service`.
    pub fn service_containers<'a>(
        &'a self,
        service: &'a str,
    ) -> impl Iterator<Item = &'a Container> + 'a {
        self.containers
            .iter()
            .filter(move |c| !c.is_oneoff() && c.service() == service)
    }
}

/// What the three list calls of a project return: all of the observation
/// that needs nothing but the project's name.
#[derive(Clone, Debug)]
pub struct Listing {
    pub project: String,
    containers: Vec<Container>,
    networks: Vec<Network>,
    volumes: Vec<Volume>,
}

impl Listing {
    /// The containers listed, for commands that need nothing else.
    pub fn into_containers(self) -> Vec<Container> {
        self.containers
    }
}

/// Lists the project's containers, networks and volumes, all at once.
pub async fn list<E: Engine>(engine: &E, project: &str) -> Result<Listing> {
    let (containers, networks, volumes) = tokio::try_join!(
        engine.list_containers(project),
        engine.list_networks(project),
        engine.list_volumes(project),
    )?;
    Ok(Listing {
        project: project.to_string(),
        containers,
        networks,
        volumes,
    })
}

/// Reads the project's state from the engine.
pub async fn observe<E: Engine>(engine: &E, desired: &Desired) -> Result<Observed> {
    observe_listed(engine, desired, None).await
}

/// Reads the project's state, reusing `listing` when it is of this project.
pub async fn observe_listed<E: Engine>(
    engine: &E,
    desired: &Desired,
    listing: Option<Listing>,
) -> Result<Observed> {
    let project = desired.project.as_str();
    let mut references: Vec<&str> = desired
        .services
        .values()
        .map(|s| s.spec.image.as_str())
        .collect();
    references.sort_unstable();
    references.dedup();
    let listing = listing.filter(|l| l.project == project);
    let listed = async {
        match listing {
            Some(listing) => Ok(listing),
            None => list(engine, project).await,
        }
    };
    // Everything at once: the engine answers each in a few milliseconds.
    let (listing, ids) = tokio::try_join!(
        listed,
        try_join_all(references.iter().map(|r| engine.image_id(r))),
    )?;
    let Listing {
        containers,
        networks,
        volumes,
        ..
    } = listing;
    let mut observed = Observed {
        containers,
        ..Default::default()
    };
    sort_networks(&mut observed, desired, networks);
    sort_volumes(&mut observed, desired, volumes);
    // External and foreign objects carry no project label: find them by name.
    find_by_name(engine, desired, &mut observed).await?;
    observed.images = references
        .into_iter()
        .map(str::to_string)
        .zip(ids)
        .collect();
    Ok(observed)
}

/// The project's networks, by key: of several with one key, the one with
/// the desired name; the others as duplicates, those of no desired key as
/// stale.
fn sort_networks(observed: &mut Observed, desired: &Desired, networks: Vec<Network>) {
    for network in networks {
        let key = network.labels.get(labels::NETWORK).cloned();
        match key.filter(|k| desired.networks.contains_key(k)) {
            Some(k) => {
                let wanted = &desired.networks[&k].spec.name;
                let keep_old = observed
                    .networks
                    .get(&k)
                    .is_some_and(|old| &old.name == wanted || network.name != *wanted);
                if keep_old {
                    observed.duplicate_networks.push(network);
                } else if let Some(old) = observed.networks.insert(k, network) {
                    observed.duplicate_networks.push(old);
                }
            }
            None => observed.stale_networks.push(network),
        }
    }
}

/// The project's volumes, by key when their name is the desired one, else
/// stale.
fn sort_volumes(observed: &mut Observed, desired: &Desired, volumes: Vec<Volume>) {
    for volume in volumes {
        let key = volume.labels.get(labels::VOLUME).cloned();
        match key.filter(|k| desired.volumes.contains_key(k)) {
            Some(k) if desired.volumes[&k].spec.name == volume.name => {
                observed.volumes.insert(k, volume);
            }
            _ => observed.stale_volumes.push(volume),
        }
    }
}

/// The desired networks and volumes not found by label (external ones,
/// and those made outside the project), looked up by name.
async fn find_by_name<E: Engine>(
    engine: &E,
    desired: &Desired,
    observed: &mut Observed,
) -> Result<()> {
    let missing_networks: Vec<_> = desired
        .networks
        .values()
        .filter(|n| !observed.networks.contains_key(&n.key))
        .collect();
    let found = try_join_all(
        missing_networks
            .iter()
            .map(|n| engine.find_network(&n.spec.name)),
    )
    .await?;
    for (wanted, network) in missing_networks.into_iter().zip(found) {
        if let Some(network) = network.filter(|n| n.name == wanted.spec.name) {
            observed.networks.insert(wanted.key.clone(), network);
        }
    }
    let missing_volumes: Vec<_> = desired
        .volumes
        .values()
        .filter(|v| !observed.volumes.contains_key(&v.key))
        .collect();
    let found = try_join_all(
        missing_volumes
            .iter()
            .map(|v| engine.find_volume(&v.spec.name)),
    )
    .await?;
    for (wanted, volume) in missing_volumes.into_iter().zip(found) {
        if let Some(volume) = volume {
            observed.volumes.insert(wanted.key.clone(), volume);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};
    use std::sync::Arc;

    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::engine::fake::FakeEngine;
    use crate::events::Emitter;
    use crate::reconcile::execute::{Context, execute};
    use crate::reconcile::plan::{UpOptions, plan_up};
    use crate::reconcile::test_support::desired;

    const TWO_NETWORKS: &str = "services:\n  web:\n    image: x\n    networks: [front, back]\n    volumes: ['data:/d']\nnetworks: {front: {}, back: {}, outside: {external: true}}\nvolumes: {data: {}}\n";

    #[tokio::test]
    async fn objects_are_found_by_label_or_by_name_and_the_rest_is_stale() {
        let engine = FakeEngine::default();
        let before = desired(TWO_NETWORKS);
        let observed = observe(&engine, &before).await.unwrap();
        assert!(observed.networks.is_empty() && observed.containers.is_empty());
        let plan = plan_up(&before, &observed, &UpOptions::default()).unwrap();
        let ctx = Context {
            engine: engine.clone(),
            desired: Arc::new(before.clone()),
            images: BTreeMap::new(),
            containers: HashMap::new(),
            events: Emitter::channel().0,
            parallel: 4,
            wait_timeout: None,
            cancel: CancellationToken::new(),
        };
        execute(&plan, ctx).await.unwrap();
        // The file drops `back` and uses an external network made by hand.
        engine.add_network("outside");
        let after = desired(
            "services:\n  web:\n    image: x\n    networks: [front, outside]\n    volumes: ['data:/d']\nnetworks: {front: {}, outside: {external: true}}\nvolumes: {data: {}}\n",
        );
        let observed = observe(&engine, &after).await.unwrap();
        let keys: Vec<&String> = observed.networks.keys().collect();
        assert_eq!(keys, ["front", "outside"]);
        let stale: Vec<&str> = observed
            .stale_networks
            .iter()
            .map(|n| n.name.as_str())
            .collect();
        assert_eq!(stale, ["t_back"]);
        assert_eq!(observed.volumes["data"].name, "t_data");
        assert_eq!(observed.containers.len(), 1);
        assert_eq!(observed.images["x"].as_deref(), Some("sha256:x"));
    }
}
