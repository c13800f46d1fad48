//! `berth wait`: blocks until a container of the named services stops, and
//! exits with its code; `--down-project` then takes the project down.

use clap::Args;

use super::{CliError, Settings};
use crate::app;

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
    let code = app::wait::wait(settings, &args.services)?;
    if args.down_project {
        app::down::run(settings, &app::down::DownRequest::default())?;
    }
    Ok(code)
}
