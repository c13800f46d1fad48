//! `berth push`: push the images of services that have `build:` and `image:`.

use clap::Args;

use super::{CliError, Settings};
use crate::app::push::{self, PushRequest};

#[derive(Debug, Args)]
pub struct PushArgs {
    /// Services whose images to push (default: all)
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Push what it can and ignore images that failed
    #[arg(long)]
    pub ignore_push_failures: bool,
    /// Also push the images of the services the named ones depend on
    #[arg(long)]
    pub include_deps: bool,
    /// Push without printing progress information
    #[arg(short, long)]
    pub quiet: bool,
}

pub fn run(settings: &Settings, args: PushArgs) -> Result<i32, CliError> {
    let request = PushRequest {
        services: args.services,
        ignore_push_failures: args.ignore_push_failures,
        include_deps: args.include_deps,
        quiet: args.quiet,
    };
    push::push(settings, &request)?;
    Ok(0)
}
