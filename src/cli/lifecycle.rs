//! `start`, `stop`, `restart`, `kill`, `pause`, `unpause` and `rm`: plans
//! over the containers that exist, run like `up`'s (`--dry-run` prints them).

use crate::app::{apply, open};
use std::io::IsTerminal;

use clap::Args;

use super::{CliError, Settings};
use crate::app::apply::RunSettings;
use crate::env_vars;
use crate::reconcile::desired::Desired;
use crate::reconcile::lifecycle::{self, Signal};
use crate::reconcile::observe::Observed;
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
    run(settings, &args.services, |desired, observed| {
        Ok(lifecycle::plan_start(desired, observed, &args.services))
    })
}

pub fn stop(settings: &Settings, args: StopArgs) -> Result<i32, CliError> {
    run(settings, &args.services, |desired, observed| {
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
    let runtime = open::runtime()?;
    let prepared = open::prepare(&runtime, settings, &[], !settings.dry_run)?;
    open::check_services(&prepared.desired, &args.services)?;
    let (engine, desired, _lock) = (prepared.engine, prepared.desired, prepared.lock);
    let mut services = args.services.clone();
    if !args.no_deps && !services.is_empty() {
        // Dependents with `restart: true`, and theirs in turn.
        let restarting = desired
            .graph
            .with_dependents_by(&args.services, |e| e.kind.restarts_with_dependency());
        for dependent in restarting {
            if !services.iter().any(|s| s == dependent) {
                services.push(dependent.to_string());
            }
        }
    }
    let settings_run = RunSettings::new(settings, None);
    runtime.block_on(async {
        let observed = open::observe(&engine, &desired, prepared.listing).await?;
        let stop = lifecycle::plan_stop(&desired, &observed, &services, args.timeout);
        if settings.dry_run {
            eprint!("{}", stop.render());
            return Ok(0);
        }
        apply::run_plan(
            engine.clone(),
            desired.clone(),
            &observed,
            &stop,
            &settings_run,
        )
        .await?;
        let observed = open::observe(&engine, &desired, None).await?;
        let start = lifecycle::plan_start(&desired, &observed, &services);
        apply::run_plan(engine, desired, &observed, &start, &settings_run).await?;
        Ok(0)
    })
}

pub fn kill(settings: &Settings, args: KillArgs) -> Result<i32, CliError> {
    let remove_orphans = args.remove_orphans || settings.env_flag(env_vars::COMPOSE_REMOVE_ORPHANS);
    run(settings, &args.services, |desired, observed| {
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
    run(settings, &args.services, |desired, observed| {
        Ok(lifecycle::plan_signal(
            desired,
            observed,
            &args.services,
            &Signal::Pause,
        ))
    })
}

pub fn unpause(settings: &Settings, args: PauseArgs) -> Result<i32, CliError> {
    run(settings, &args.services, |desired, observed| {
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
    run(settings, &args.services, |desired, observed| {
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

/// Loads, locks and observes the project, makes the plan and runs it (or
/// prints it with `--dry-run`).
fn run(
    settings: &Settings,
    services: &[String],
    make: impl FnOnce(&Desired, &Observed) -> Result<Plan, CliError>,
) -> Result<i32, CliError> {
    let runtime = open::runtime()?;
    let prepared = open::prepare(&runtime, settings, &[], !settings.dry_run)?;
    open::check_services(&prepared.desired, services)?;
    let (engine, desired, _lock) = (prepared.engine, prepared.desired, prepared.lock);
    let run = RunSettings::new(settings, None);
    runtime.block_on(async {
        let observed = open::observe(&engine, &desired, prepared.listing).await?;
        let plan = make(&desired, &observed)?;
        if settings.dry_run {
            eprint!("{}", plan.render());
            return Ok(0);
        }
        apply::run_plan(engine, desired, &observed, &plan, &run).await?;
        Ok(0)
    })
}
