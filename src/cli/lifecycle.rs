//! `start`, `stop`, `restart`, `kill`, `pause`, `unpause` and `rm`: plans
//! over the containers that exist, run like `up`'s (`--dry-run` prints them).

use std::io::IsTerminal;

use clap::Args;

use super::{CliError, Settings};
use crate::app::lifecycle::{self as app_lifecycle, Restart};
use crate::reconcile::lifecycle::{self, Signal};
use crate::reconcile::plan::Plan;

#[derive(Debug, Args)]
pub struct StartArgs {
    /// Services to start (default: all)
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StopArgs {
    /// Services to stop (default: all)
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Shutdown timeout in seconds
    #[arg(short = 't', long, value_name = "SECONDS")]
    pub timeout: Option<i64>,
}

#[derive(Debug, Args)]
pub struct RestartArgs {
    /// Services to restart (default: all)
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Shutdown timeout in seconds
    #[arg(short = 't', long, value_name = "SECONDS")]
    pub timeout: Option<i64>,
    /// Don't restart the services that depend on these with `restart: true`
    #[arg(long)]
    pub no_deps: bool,
}

#[derive(Debug, Args)]
pub struct KillArgs {
    /// Services to kill (default: all)
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Signal to send to the containers
    #[arg(short, long, default_value = "SIGKILL")]
    pub signal: String,
    /// Remove containers for services not defined in the Compose file
    #[arg(long)]
    pub remove_orphans: bool,
}

#[derive(Debug, Args)]
pub struct PauseArgs {
    /// Services to pause or unpause (default: all)
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Services whose stopped containers to remove (default: all)
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Don't ask to confirm removal
    #[arg(short, long)]
    pub force: bool,
    /// Stop the containers first, if needed
    #[arg(short, long)]
    pub stop: bool,
    /// Remove the anonymous volumes attached to the containers
    #[arg(short, long)]
    pub volumes: bool,
}

pub fn start(settings: &Settings, args: StartArgs) -> Result<i32, CliError> {
    app_lifecycle::apply(settings, &args.services, |desired, observed| {
        Ok(lifecycle::plan_start(desired, observed, &args.services))
    })
}

pub fn stop(settings: &Settings, args: StopArgs) -> Result<i32, CliError> {
    app_lifecycle::apply(settings, &args.services, |desired, observed| {
        Ok(lifecycle::plan_stop(
            desired,
            observed,
            &args.services,
            args.timeout,
        ))
    })
}

/// Stops, then starts: the named services and, unless `--no-deps`, those
/// that depend on them with `restart: true`.
pub fn restart(settings: &Settings, args: RestartArgs) -> Result<i32, CliError> {
    let request = Restart {
        services: args.services,
        with_dependents: !args.no_deps,
        timeout: args.timeout,
    };
    app_lifecycle::restart(settings, &request)?;
    Ok(0)
}

pub fn kill(settings: &Settings, args: KillArgs) -> Result<i32, CliError> {
    let remove_orphans = args.remove_orphans || settings.remove_orphans;
    app_lifecycle::apply(settings, &args.services, |desired, observed| {
        Ok(lifecycle::plan_kill(
            desired,
            observed,
            &args.services,
            &args.signal,
            remove_orphans,
        ))
    })
}

pub fn pause(settings: &Settings, args: PauseArgs) -> Result<i32, CliError> {
    app_lifecycle::apply(settings, &args.services, |desired, observed| {
        Ok(lifecycle::plan_signal(
            desired,
            observed,
            &args.services,
            &Signal::Pause,
        ))
    })
}

pub fn unpause(settings: &Settings, args: PauseArgs) -> Result<i32, CliError> {
    app_lifecycle::apply(settings, &args.services, |desired, observed| {
        Ok(lifecycle::plan_signal(
            desired,
            observed,
            &args.services,
            &Signal::Unpause,
        ))
    })
}

/// Removes stopped containers after a confirmation read from standard
/// input, unless `-f`.
pub fn rm(settings: &Settings, args: RmArgs) -> Result<i32, CliError> {
    app_lifecycle::apply(settings, &args.services, |desired, observed| {
        let plan = lifecycle::plan_rm(desired, observed, &args.services, args.stop, args.volumes);
        let names: Vec<&str> = plan
            .actions
            .iter()
            .filter_map(|a| match &a.op {
                crate::reconcile::plan::Op::RemoveContainer { name, .. } => Some(name.as_str()),
                _ => None,
            })
            .collect();
        if names.is_empty() {
            eprintln!("No stopped containers");
            return Ok(plan);
        }
        if args.force || settings.dry_run {
            return Ok(plan);
        }
        // As Docker Compose, the answer is read from standard input even when
        // it is not a terminal: its end (as from /dev/null) means no.
        eprint!(
            "Going to remove {}\n? Are you sure? [y/N] ",
            names.join(", ")
        );
        let mut answer = String::new();
        let read = std::io::stdin().read_line(&mut answer);
        if matches!(answer.trim(), "y" | "Y" | "yes") {
            return Ok(plan);
        }
        if matches!(read, Ok(0) | Err(_)) && !std::io::stdin().is_terminal() {
            eprintln!("\nNothing removed: no answer on standard input (-f removes without asking)");
        }
        Ok(Plan {
            project: plan.project,
            ..Default::default()
        })
    })
}
