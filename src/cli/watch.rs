//! `berth watch`: `up -d` of the services, then their `develop.watch`
//! rules applied as files change, until Ctrl-C.

use clap::{ArgAction, Args};

use super::{CliError, Settings};
use crate::app::watch::{self, WatchRequest};

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Services to watch (default: all that have a `develop` section)
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Don't bring the services up before watching
    #[arg(long)]
    pub no_up: bool,
    /// Don't print what each batch did (failures are still printed)
    #[arg(long)]
    pub quiet: bool,
    /// Prune dangling images on rebuild
    #[arg(long, default_value_t = true, action = ArgAction::Set, num_args = 0..=1,
          default_missing_value = "true", value_name = "BOOL")]
    pub prune: bool,
    /// Say whether PATH is synced, and why not (which rule, which ignore
    /// pattern), then exit; nothing is brought up or watched
    #[arg(long, value_name = "PATH")]
    pub explain: Option<std::path::PathBuf>,
}

pub fn run(settings: &Settings, args: WatchArgs) -> Result<i32, CliError> {
    let request = WatchRequest {
        services: args.services,
        up: !args.no_up,
        quiet: args.quiet,
        prune: args.prune,
    };
    if let Some(path) = &args.explain {
        print!("{}", watch::explain(settings, &request, path)?);
        return Ok(0);
    }
    watch::run(settings, &request)?;
    if settings.dry_run {
        return Ok(0);
    }
    // Only Ctrl-C or a termination ends a watch: Docker Compose then
    // exits with 130, as `up --watch` does.
    Ok(super::exit::INTERRUPTED)
}
