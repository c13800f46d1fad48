//! References from one service to another's containers: `network_mode`,
//! `ipc` and `pid` of `service:x`, `volumes_from` and `links` name services
//! in the file, and containers when they reach the engine. `up` resolves them
//! against the containers its plan made; `run` against those that exist.

use crate::engine::spec::ContainerSpec;

use super::desired::Desired;

/// A reference to a service that has no container to refer to.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no container of service {service} to share namespaces or volumes with")]
pub struct NoContainer {
    pub service: String,
}

/// An existing container of a service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replica {
    pub number: u32,
    pub name: String,
    pub id: String,
}

/// The replicas among `containers` (name and ID) of `service`, by number:
/// the one named `container_name`, or those named `project-service-N`.
pub fn replicas_of<'a>(
    desired: &Desired,
    service: &str,
    containers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Vec<Replica> {
    let fixed = desired
        .services
        .get(service)
        .and_then(|s| s.container_name.as_deref());
    let number = |name: &str| match fixed {
        // A fixed container name allows a single replica only.
        Some(fixed) => (name == fixed).then_some(1),
        None => desired
            .naming
            .replica_number(&desired.project, service, name),
    };
    let mut replicas: Vec<Replica> = containers
        .into_iter()
        .filter_map(|(name, id)| {
            Some(Replica {
                number: number(name)?,
                name: name.to_string(),
                id: id.to_string(),
            })
        })
        .collect();
    replicas.sort_by_key(|r| r.number);
    replicas
}

/// Turns the references to services in `spec` into references to their
/// containers, as `replicas` (of a service, by number) gives them. The
/// namespaces and volumes of a service are those of its lowest-numbered
/// replica, which need not be number 1. Fails naming a service that has no
/// container.
pub fn resolve(
    spec: &mut ContainerSpec,
    desired: &Desired,
    replicas: impl Fn(&str) -> Vec<Replica>,
) -> Result<(), NoContainer> {
    let first_id = |service: &str| {
        replicas(service)
            .into_iter()
            .next()
            .map(|r| r.id)
            .ok_or_else(|| NoContainer {
                service: service.to_string(),
            })
    };
    for mode in [&mut spec.network_mode, &mut spec.ipc, &mut spec.pid] {
        if let Some(parent) = mode.strip_prefix("service:") {
            *mode = format!("container:{}", first_id(parent)?);
        }
    }
    for from in &mut spec.volumes_from {
        if let Some(container) = from.strip_prefix("container:") {
            *from = container.to_string();
        } else {
            let (parent, mode) = from.split_once(':').unwrap_or((from.as_str(), ""));
            let id = first_id(parent)?;
            *from = if mode.is_empty() {
                id
            } else {
                format!("{id}:{mode}")
            };
        }
    }
    let (project, naming) = (&desired.project, desired.naming);
    let mut links = Vec::new();
    for link in &spec.links {
        let (target, alias) = link.split_once(':').unwrap_or((link, link));
        for Replica { number, name, .. } in replicas(target) {
            // Docker Compose also links `service-N` and `project-service-N`,
            // which some images' scripts use as host names.
            let mut aliases = vec![
                alias.to_string(),
                name.clone(),
                naming.replica(target, number),
                naming.container(project, target, number),
            ];
            aliases.sort();
            aliases.dedup();
            links.extend(aliases.into_iter().map(|alias| format!("{name}:{alias}")));
        }
    }
    spec.links = links;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::desired::Naming;

    fn replicas(numbers: &[u32]) -> Vec<Replica> {
        numbers
            .iter()
            .map(|&number| Replica {
                number,
                name: format!("p_db_{number}"),
                id: format!("id{number}"),
            })
            .collect()
    }

    #[test]
    fn references_name_the_lowest_replica_and_links_every_one() {
        let desired = Desired {
            project: "p".into(),
            naming: Naming::V1,
            ..Default::default()
        };
        let mut spec = ContainerSpec {
            network_mode: "service:db".into(),
            volumes_from: vec!["db:ro".into(), "container:other".into()],
            links: vec!["db:database".into()],
            ..Default::default()
        };
        resolve(&mut spec, &desired, |_| replicas(&[2, 3])).unwrap();
        assert_eq!(spec.network_mode, "container:id2");
        assert_eq!(spec.volumes_from, ["id2:ro", "other"]);
        assert_eq!(
            spec.links,
            [
                "p_db_2:database",
                "p_db_2:db_2",
                "p_db_2:p_db_2",
                "p_db_3:database",
                "p_db_3:db_3",
                "p_db_3:p_db_3",
            ]
        );
        let mut orphan = ContainerSpec {
            ipc: "service:db".into(),
            ..Default::default()
        };
        let e = resolve(&mut orphan, &desired, |_| Vec::new()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "no container of service db to share namespaces or volumes with"
        );
    }

    #[test]
    fn replicas_are_found_by_their_names() {
        let desired = Desired {
            project: "p".into(),
            ..Default::default()
        };
        let listed = [
            ("p-db-3", "c"),
            ("p-db-1", "a"),
            ("p-db-run-0123", "x"),
            ("p-dbx-1", "y"),
        ];
        let found: Vec<u32> = replicas_of(&desired, "db", listed)
            .iter()
            .map(|r| r.number)
            .collect();
        assert_eq!(found, [1, 3]);
    }
}
