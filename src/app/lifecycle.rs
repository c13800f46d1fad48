//! The lifecycle commands (`start`, `stop`, `restart`, `kill`, `pause`,
//! `unpause`, `rm`): a plan over the containers that exist, applied as
//! `up`'s are (`--dry-run` shows it).

use super::apply::{self, RunSettings};
use super::open;
use super::{Error, Settings};
use crate::reconcile::desired::Desired;
use crate::reconcile::lifecycle;
use crate::reconcile::observe::Observed;
use crate::reconcile::plan::Plan;

/// Opens, locks and observes the project, has `make` plan, and applies the
/// plan (or shows it in a dry run).
pub fn apply(
    settings: &Settings,
    services: &[String],
    make: impl FnOnce(&Desired, &Observed) -> Result<Plan, Error>,
) -> Result<i32, Error> {
    let (runtime, prepared) = open_locked(settings, services)?;
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

/// The project opened under its lock (not in a dry run), with `services`
/// checked against the file.
fn open_locked(
    settings: &Settings,
    services: &[String],
) -> Result<(tokio::runtime::Runtime, open::Prepared), Error> {
    let runtime = open::runtime()?;
    let prepared = open::prepare(&runtime, settings, &[], !settings.dry_run)?;
    open::check_services(&prepared.desired, services)?;
    Ok((runtime, prepared))
}

/// What `restart` is asked.
#[derive(Clone, Debug, Default)]
pub struct Restart {
    /// The services (all when empty).
    pub services: Vec<String>,
    /// Also those that depend on them with `restart: true`, and theirs.
    pub with_dependents: bool,
    /// Seconds to stop in, instead of each container's grace period.
    pub timeout: Option<i64>,
}

/// Stops, then starts, the services of `request`.
pub fn restart(settings: &Settings, request: &Restart) -> Result<(), Error> {
    let (runtime, prepared) = open_locked(settings, &request.services)?;
    let (engine, desired, _lock) = (prepared.engine, prepared.desired, prepared.lock);
    let mut services = request.services.clone();
    if request.with_dependents && !services.is_empty() {
        // Dependents with `restart: true`, and theirs in turn.
        let restarting = desired
            .graph
            .with_dependents_by(&request.services, |e| e.kind.restarts_with_dependency());
        for dependent in restarting {
            if !services.iter().any(|s| s == dependent) {
                services.push(dependent.to_string());
            }
        }
    }
    let run = RunSettings::new(settings, None);
    runtime.block_on(async {
        let observed = open::observe(&engine, &desired, prepared.listing).await?;
        let stop = lifecycle::plan_stop(&desired, &observed, &services, request.timeout);
        if settings.dry_run {
            eprint!("{}", stop.render());
            return Ok(());
        }
        apply::run_plan(engine.clone(), desired.clone(), &observed, &stop, &run).await?;
        let observed = open::observe(&engine, &desired, None).await?;
        let start = lifecycle::plan_start(&desired, &observed, &services);
        apply::run_plan(engine, desired, &observed, &start, &run).await
    })
}
