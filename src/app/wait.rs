//! `wait`: blocks until the first container of some services stops.

use futures_util::future::select_all;

use super::error::Failure;
use super::{Error, Settings, exit, open};
use crate::engine::Engine;
use crate::reconcile::observe::Listing;

/// Waits for the first container of `services` to stop; its exit code.
pub fn wait(settings: &Settings, services: &[String]) -> Result<i32, Error> {
    let (runtime, prepared) = open::open(settings, services)?;
    let code = runtime.block_on(first_to_stop(
        &prepared.engine,
        &prepared.desired.project,
        prepared.listing,
        services,
    ))?;
    Ok(i32::try_from(code).unwrap_or(exit::FAILURE))
}

/// The exit code of the first of the services' containers (one-offs aside)
/// to stop.
pub async fn first_to_stop<E: Engine>(
    engine: &E,
    project: &str,
    listing: Option<Listing>,
    services: &[String],
) -> Result<i64, Error> {
    let mut containers = open::containers(engine, project, listing).await?;
    containers.retain(|c| !c.is_oneoff() && services.iter().any(|s| s == c.service()));
    if containers.is_empty() {
        return Err(Failure::NoContainers(services.to_vec()).into());
    }
    // The engine answers each wait when its container stops.
    let waits = containers
        .iter()
        .map(|c| Box::pin(engine.wait_container(&c.id)));
    let (code, _, _) = select_all(waits).await;
    Ok(code?)
}
