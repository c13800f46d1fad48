//! `berth wait`: blocks until a container of the named services stops, and
//! exits with its code; `--down-project` then takes the project down.

use crate::app::open;
use clap::Args;
use futures_util::future::select_all;

use super::{CliError, Settings, down};
use crate::engine::Engine;

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Services to wait for
    #[arg(value_name = "SERVICE", required = true)]
    pub services: Vec<String>,
    /// Drops the project when the first container stops
    #[arg(long)]
    pub down_project: bool,
}

pub fn run(settings: &Settings, args: WaitArgs) -> Result<i32, CliError> {
    let (runtime, prepared) = open::open(settings, &args.services)?;
    let engine = prepared.engine;
    let code = runtime.block_on(async {
        let mut containers =
            open::containers(&engine, &prepared.desired.project, prepared.listing).await?;
        containers.retain(|c| !c.is_oneoff() && args.services.iter().any(|s| s == c.service()));
        if containers.is_empty() {
            return Err(CliError::Other(format!(
                "no containers for {}",
                args.services.join(", ")
            )));
        }
        // The engine answers each wait when its container stops.
        let waits = containers
            .iter()
            .map(|c| Box::pin(engine.wait_container(&c.id)));
        let (code, _, _) = select_all(waits).await;
        Ok::<_, CliError>(code?)
    })?;
    drop(runtime);
    if args.down_project {
        down::run(settings, down::DownArgs::default())?;
    }
    Ok(i32::try_from(code).unwrap_or(super::exit::FAILURE))
}
