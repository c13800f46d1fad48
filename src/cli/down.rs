//! `berth down`: stop and remove the project's containers and networks.

use clap::Args;

use super::engine_cmd::{self, RunSettings};
use super::{CliError, Settings};
use crate::reconcile::plan::{self, DownOptions};

#[derive(Debug, Default, Args)]
pub struct DownArgs {
    /// Services to stop and remove (default: the whole project)
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Remove named volumes declared in the "volumes" section and anonymous volumes
    #[arg(short = 'v', long)]
    pub volumes: bool,
    /// Remove containers for services not defined in the Compose file
    #[arg(long)]
    pub remove_orphans: bool,
    /// Shutdown timeout in seconds
    #[arg(short = 't', long, value_name = "SECONDS")]
    pub timeout: Option<i64>,
}

pub fn run(settings: &Settings, args: DownArgs) -> Result<i32, CliError> {
    let runtime = engine_cmd::runtime()?;
    let prepared = engine_cmd::prepare(&runtime, settings, &[], !settings.dry_run)?;
    let (engine, desired, _lock) = (prepared.engine, prepared.desired, prepared.lock);
    let options_remove_everything = args.services.is_empty();
    let options = DownOptions {
        services: args.services,
        remove_orphans: args.remove_orphans,
        volumes: args.volumes,
        timeout: args.timeout,
    };
    let run = RunSettings::new(settings, None);
    runtime.block_on(async {
        let observed = engine_cmd::observe(&engine, &desired, prepared.listing).await?;
        let plan = plan::plan_down(&desired, &observed, &options);
        if settings.dry_run {
            eprint!("{}", plan.render());
            return Ok(0);
        }
        let project = desired.project.clone();
        engine_cmd::run_plan(engine, desired, &observed, &plan, &run).await?;
        if options_remove_everything {
            // Files written for read-only services' secrets and configs.
            let _ = std::fs::remove_dir_all(crate::reconcile::execute::host_files_dir(&project));
        }
        Ok(0)
    })
}
