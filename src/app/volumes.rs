//! `volumes`: the project's volumes (those carrying its label), or those
//! the containers of some services mount.

use std::collections::BTreeSet;

use super::open;
use super::select::in_services;
use super::{Error, Settings};
use crate::engine::{Engine, Volume};

/// The volumes of the project, by name; with `services`, only those their
/// containers mount.
pub fn volumes(settings: &Settings, services: &[String]) -> Result<Vec<Volume>, Error> {
    let (runtime, prepared) = open::open(settings, services)?;
    let engine = prepared.engine;
    let project = prepared.desired.project;
    let mut volumes = runtime.block_on(async {
        let mut volumes = engine.list_volumes(&project).await?;
        if !services.is_empty() {
            let containers = open::containers(&engine, &project, prepared.listing).await?;
            let mounted: BTreeSet<&str> = containers
                .iter()
                .filter(|c| in_services(c, services))
                .flat_map(|c| &c.mounts)
                .map(|m| m.name.as_str())
                .filter(|name| !name.is_empty())
                .collect();
            volumes.retain(|v| mounted.contains(v.name.as_str()));
        }
        Ok::<_, Error>(volumes)
    })?;
    // The engine lists them in no stable order.
    volumes.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(volumes)
}
