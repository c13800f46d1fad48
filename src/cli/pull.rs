//! `berth pull`: pull the services' images, in parallel.

use clap::Args;

use super::{CliError, Settings};
use crate::app::pull::{self, PullRequest};

#[derive(Debug, Args)]
pub struct PullArgs {
    /// Services whose images to pull (default: all)
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Apply pull policy: missing (only images not on the engine) or always
    #[arg(long, value_name = "POLICY", value_parser = ["missing", "always"])]
    pub policy: Option<String>,
    /// Pull what it can and ignore images that failed
    #[arg(long)]
    pub ignore_pull_failures: bool,
    /// Also pull the images of the services the named ones depend on
    #[arg(long)]
    pub include_deps: bool,
    /// Ignore images that can be built
    #[arg(long)]
    pub ignore_buildable: bool,
    /// Pull without printing progress information
    #[arg(short, long)]
    pub quiet: bool,
}

pub fn run(settings: &Settings, args: PullArgs) -> Result<i32, CliError> {
    let request = PullRequest {
        missing_only: args.policy.as_deref() == Some("missing"),
        services: args.services,
        ignore_pull_failures: args.ignore_pull_failures,
        include_deps: args.include_deps,
        ignore_buildable: args.ignore_buildable,
        quiet: args.quiet,
    };
    pull::pull(settings, &request)?;
    Ok(0)
}
