//! `stats`: what the project's containers use of the host, sampled again
//! and again, each round handed to whoever prints it.

use std::ops::ControlFlow;

use super::open;
use super::select::{by_name, in_services};
use super::{Error, Settings};
use crate::engine::{Container, Engine, RunState, Usage};

/// What `stats` is asked.
#[derive(Clone, Debug, Default)]
pub struct StatsRequest {
    /// The services (all when empty).
    pub services: Vec<String>,
    /// Stopped containers too (with empty usage).
    pub all: bool,
    /// One round only.
    pub once: bool,
}

/// A container and what it uses.
pub struct Sample {
    pub container: Container,
    pub usage: Usage,
}

/// Lists and samples the containers, hands `sink` each round (by container
/// name), and goes on until `sink` breaks (or after one round with `once`).
pub fn stats(
    settings: &Settings,
    request: &StatsRequest,
    mut sink: impl FnMut(&[Sample]) -> Result<ControlFlow<()>, Error>,
) -> Result<(), Error> {
    let (runtime, prepared) = open::open(settings, &request.services)?;
    let engine = prepared.engine;
    let project = prepared.desired.project;
    let mut listing = prepared.listing;
    runtime.block_on(async {
        loop {
            let mut containers = open::containers(&engine, &project, listing.take()).await?;
            containers.retain(|c| {
                !c.is_oneoff()
                    && (request.all || c.state == RunState::Running)
                    && in_services(c, &request.services)
            });
            by_name(&mut containers);
            // Every container is sampled at once: each sample takes a second.
            let usages = futures_util::future::join_all(containers.iter().map(|c| async {
                match c.state {
                    RunState::Running => engine.usage(&c.id).await.unwrap_or_default(),
                    _ => Usage::default(),
                }
            }))
            .await;
            let samples: Vec<Sample> = containers
                .into_iter()
                .zip(usages)
                .map(|(container, usage)| Sample { container, usage })
                .collect();
            if sink(&samples)?.is_break() || request.once {
                return Ok(());
            }
        }
    })
}
