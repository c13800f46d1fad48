//! `ps`: the project's containers a listing asks for, from one list call.

use super::open;
use super::select::{by_name, in_services};
use super::{Error, Settings};
use crate::engine::{Container, RunState};
use crate::reconcile::desired::Desired;

/// What `ps` is asked.
#[derive(Clone, Debug, Default)]
pub struct PsRequest {
    /// The services (all when empty).
    pub services: Vec<String>,
    /// Only containers in these states; without them, those running,
    /// paused or restarting (every state with `all`).
    pub states: Option<Vec<RunState>>,
    pub all: bool,
    /// Also the containers of services the file no longer declares.
    pub orphans: bool,
}

/// The containers of a project, sorted by name.
pub struct ProjectContainers {
    pub project: String,
    pub containers: Vec<Container>,
}

/// Opens the project (the services checked against the file) and lists
/// the containers `request` asks for.
pub fn ps(settings: &Settings, request: &PsRequest) -> Result<ProjectContainers, Error> {
    let (runtime, prepared) = open::open(settings, &request.services)?;
    let desired = prepared.desired;
    let mut containers = runtime.block_on(open::containers(
        &prepared.engine,
        &desired.project,
        prepared.listing,
    ))?;
    containers.retain(|c| wanted(c, &desired, request));
    by_name(&mut containers);
    Ok(ProjectContainers {
        project: desired.project,
        containers,
    })
}

fn wanted(c: &Container, desired: &Desired, request: &PsRequest) -> bool {
    let state_wanted = match &request.states {
        Some(states) => states.contains(&c.state),
        None => {
            request.all
                || matches!(
                    c.state,
                    RunState::Running | RunState::Paused | RunState::Restarting
                )
        }
    };
    // Without a file, only the labels know the services: none is an orphan.
    let file_less = desired.services.is_empty() && desired.disabled_services.is_empty();
    let declared = || {
        desired.services.contains_key(c.service())
            || desired.disabled_services.iter().any(|s| s == c.service())
    };
    state_wanted
        && in_services(c, &request.services)
        && (request.orphans || file_less || declared())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::labels;

    fn container(service: &str, state: RunState) -> Container {
        Container {
            state,
            labels: [(labels::SERVICE.to_string(), service.to_string())].into(),
            ..Default::default()
        }
    }

    fn declaring(services: &[&str]) -> Desired {
        Desired {
            disabled_services: services.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn running_containers_of_declared_services_by_default() {
        let desired = declaring(&["web"]);
        let request = PsRequest {
            orphans: false,
            ..Default::default()
        };
        assert!(wanted(
            &container("web", RunState::Paused),
            &desired,
            &request
        ));
        assert!(!wanted(
            &container("web", RunState::Exited),
            &desired,
            &request
        ));
        assert!(!wanted(
            &container("old", RunState::Running),
            &desired,
            &request
        ));
        // Without a file no container is an orphan.
        let file_less = Desired::default();
        assert!(wanted(
            &container("old", RunState::Running),
            &file_less,
            &request
        ));
    }

    #[test]
    fn states_asked_for_replace_the_default() {
        let desired = declaring(&["web", "db"]);
        let request = PsRequest {
            services: vec!["web".into()],
            states: Some(vec![RunState::Exited]),
            orphans: true,
            ..Default::default()
        };
        assert!(wanted(
            &container("web", RunState::Exited),
            &desired,
            &request
        ));
        assert!(!wanted(
            &container("web", RunState::Running),
            &desired,
            &request
        ));
        assert!(!wanted(
            &container("db", RunState::Exited),
            &desired,
            &request
        ));
    }
}
