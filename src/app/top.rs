//! `top`: the processes running in the project's containers.

use super::open;
use super::select::in_services;
use super::{Error, Settings};
use crate::engine::{Engine, RunState};

/// The processes of the running containers, as one table: the titles the
/// engine gives (those of the first container), and each container's rows.
pub struct Processes {
    pub titles: Vec<String>,
    pub containers: Vec<ContainerProcesses>,
}

/// The processes of one container.
pub struct ContainerProcesses {
    pub service: String,
    /// The replica number.
    pub number: u32,
    /// One row a process, in the order of the titles.
    pub processes: Vec<Vec<String>>,
}

/// The processes of the running containers of `services` (all when
/// empty), by service and replica; none when no container runs.
pub fn top(settings: &Settings, services: &[String]) -> Result<Option<Processes>, Error> {
    let (runtime, prepared) = open::open(settings, services)?;
    let engine = prepared.engine;
    runtime.block_on(async {
        let mut containers =
            open::containers(&engine, &prepared.desired.project, prepared.listing).await?;
        containers
            .retain(|c| !c.is_oneoff() && c.state == RunState::Running && in_services(c, services));
        containers.sort_by_key(|c| (c.service().to_string(), c.number()));
        let tops = futures_util::future::try_join_all(containers.iter().map(|c| engine.top(&c.id)))
            .await?;
        let Some(titles) = tops.first().map(|(titles, _)| titles.clone()) else {
            return Ok(None);
        };
        let containers = containers
            .iter()
            .zip(tops)
            .map(|(c, (_, processes))| ContainerProcesses {
                service: c.service().to_string(),
                number: c.number(),
                processes,
            })
            .collect();
        Ok(Some(Processes { titles, containers }))
    })
}
