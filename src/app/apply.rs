//! Applying a plan: the executor with a progress renderer, cancelled
//! cleanly on an interrupt.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::interrupts::Interrupts;
use super::{Error, Settings};
use crate::engine::Engine;
use crate::output::progress::Printer;
use crate::reconcile::desired::Desired;
use crate::reconcile::execute::{self, Context};
use crate::reconcile::observe::Observed;
use crate::reconcile::plan::Plan;

/// What running a plan needs from the command line.
#[derive(Clone)]
pub struct RunSettings {
    pub parallel: usize,
    pub progress: Printer,
    pub wait_timeout: Option<Duration>,
}

impl RunSettings {
    /// The command line's limit and progress mode, with a deadline for waits.
    pub fn new(settings: &Settings, wait_timeout: Option<Duration>) -> Self {
        RunSettings {
            parallel: settings.parallel,
            progress: settings.progress.clone(),
            wait_timeout,
        }
    }
}

/// Runs `plan`, rendering progress, and cancels cleanly on Ctrl-C (or
/// SIGTERM, SIGHUP: see [`Interrupts`]).
pub async fn run_plan<E: Engine>(
    engine: E,
    desired: Desired,
    observed: &Observed,
    plan: &Plan,
    run: &RunSettings,
) -> Result<(), Error> {
    if plan.actions.is_empty() {
        // A no-op: no signal handlers, no renderer (the hot path).
        for warning in &plan.warnings {
            run.progress.warn(warning);
        }
        return Ok(());
    }
    let interrupts = Interrupts::listen()?;
    run_plan_until(engine, desired, observed, plan, run, interrupts.token()).await
}

/// Runs `plan`, rendering progress, and cancels cleanly when `cancel` is:
/// actions under way finish, no new one starts, and waits end.
pub async fn run_plan_until<E: Engine>(
    engine: E,
    desired: Desired,
    observed: &Observed,
    plan: &Plan,
    run: &RunSettings,
    cancel: CancellationToken,
) -> Result<(), Error> {
    for warning in &plan.warnings {
        run.progress.warn(warning);
    }
    let images: BTreeMap<String, String> = observed
        .images
        .iter()
        .filter_map(|(r, id)| id.clone().map(|id| (r.clone(), id)))
        .collect();
    let containers: HashMap<String, String> = observed
        .containers
        .iter()
        .map(|c| (c.name.clone(), c.id.clone()))
        .collect();
    let result = run
        .progress
        .show("Running", |events| {
            let context = Context {
                engine,
                desired: Arc::new(desired),
                images,
                containers,
                events,
                parallel: run.parallel,
                wait_timeout: run.wait_timeout,
                cancel,
            };
            execute::execute(plan, context)
        })
        .await;
    result.map_err(Error::Exec)
}
