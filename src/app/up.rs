//! `up`: brings the engine to the file. The project is opened and shaped
//! by the request (scales, `--no-deps`), its images built and pulled as
//! their policies say, the plan made, the images it still needs pulled,
//! the plan applied, and what was left running said so.

use super::error::Failure;
use std::collections::HashSet;

use super::apply::{self, RunSettings};
use super::images::{self, ImageChoices};
use super::open::{self, CliEngine};
use super::{Error, Settings};
use crate::engine::{Engine, RunState};
use crate::env_vars;
use crate::events::{Kind, Status, Word};
use crate::output::progress::Printer;
use crate::reconcile::desired::Desired;
use crate::reconcile::observe::{Listing, Observed};
use crate::reconcile::plan::{self, Plan, Recreate, UpOptions};

/// What `up` is asked, whoever asks: the command line or a rebuild of `watch`.
#[derive(Clone, Debug, Default)]
pub struct UpRequest {
    /// `--scale`: replicas per service.
    pub scales: Vec<(String, u32)>,
    /// `--no-deps`: the named services alone, not what they depend on.
    pub no_deps: bool,
    /// A project none of whose services is enabled is an error (for `up`,
    /// not `create`), as Docker Compose has it.
    pub needs_a_service: bool,
    /// What to recreate, start, remove and wait for.
    pub options: UpOptions,
    pub images: ImageChoices,
}

/// Applies the request to the loaded project: the services it asks for,
/// scaled; refuses a service the engine cannot run as written.
pub fn shape(desired: &mut Desired, request: &UpRequest, settings: &Settings) -> Result<(), Error> {
    // Docker Compose's words, when every service is behind a profile that is not enabled.
    if request.needs_a_service && !settings.load.all_resources && desired.services.is_empty() {
        return Err(Failure::NoServiceSelected.into());
    }
    for (service, count) in &request.scales {
        let Some(target) = desired.services.get_mut(service) else {
            return Err(match open::no_such_service(desired, service) {
                Error::Usage(message) => Error::Usage(format!("--scale: {message}")),
                other => other,
            });
        };
        if target.container_name.is_some() && *count > 1 {
            return Err(Error::Usage(format!(
                "--scale: service {service} sets container_name, so it cannot have more than one container"
            )));
        }
        target.replicas = *count;
    }
    let named = &request.options.services;
    if request.no_deps && !named.is_empty() {
        desired
            .services
            .retain(|name, _| named.iter().any(|s| s == name));
    }
    if let Some(problem) = desired.services.values().flat_map(|s| &s.problems).next() {
        return Err(Failure::Service(problem.clone()).into());
    }
    Ok(())
}

/// Observes the engine, builds and pulls what the policies ask for (unless
/// `dry_run`: a dry run, or a `plan` that is only shown), and plans.
pub async fn plan<E: Engine>(
    engine: &E,
    desired: &Desired,
    listing: Option<Listing>,
    settings: &Settings,
    request: &UpRequest,
    dry_run: bool,
) -> Result<(Observed, Plan), Error> {
    open::check_gates(engine, desired, &settings.progress).await?;
    let mut observed = open::observe(engine, desired, listing).await?;
    open::warn_platform_mismatch(engine, desired, &observed, &settings.progress).await?;
    if !dry_run {
        images::prepare_images(engine, settings, desired, &mut observed, request.images).await?;
    }
    let plan = plan::plan_up(desired, &observed, &request.options).map_err(Error::Plan)?;
    Ok((observed, plan))
}

/// Pulls what the plan still needs, applies it, and says which containers
/// it left running.
pub async fn apply(
    engine: CliEngine,
    desired: Desired,
    mut observed: Observed,
    plan: &Plan,
    settings: &Settings,
    run: &RunSettings,
    request: &UpRequest,
) -> Result<(), Error> {
    let quiet = request.images.quiet_pull;
    images::pull_missing(&engine, settings, &desired, &mut observed, plan, quiet).await?;
    let running = left_running(&desired, &observed, plan);
    apply::run_plan(engine, desired, &observed, plan, run).await?;
    if !request.options.no_start {
        report_running(&running, &run.progress).await;
    }
    Ok(())
}

/// `up -d` of `services` (all when empty), or with `rebuild` the build of
/// their images and their recreation without their dependencies: what
/// `watch` runs first, and for a `rebuild` rule, in the runtime it runs in.
pub async fn up_detached(
    settings: &Settings,
    services: &[String],
    rebuild: bool,
) -> Result<(), Error> {
    let recreate = if rebuild {
        Recreate::Force
    } else {
        Recreate::Diverged
    };
    let request = UpRequest {
        no_deps: rebuild,
        options: UpOptions {
            services: services.to_vec(),
            recreate,
            dependencies_recreate: Recreate::Diverged,
            remove_orphans: settings.env_flag(env_vars::COMPOSE_REMOVE_ORPHANS),
            warn_orphans: !settings.env_flag(env_vars::COMPOSE_IGNORE_ORPHANS),
            ..UpOptions::default()
        },
        images: ImageChoices {
            build: rebuild,
            ..ImageChoices::default()
        },
        ..UpRequest::default()
    };
    let lock = !settings.dry_run;
    let prepared = open::prepare_from_files_async(settings, services, lock).await?;
    let (engine, mut desired) = (prepared.engine, prepared.desired);
    shape(&mut desired, &request, settings)?;
    let listing = prepared.listing;
    let (observed, plan) = plan(
        &engine,
        &desired,
        listing,
        settings,
        &request,
        settings.dry_run,
    )
    .await?;
    if settings.dry_run {
        eprint!("{}", plan.render());
        return Ok(());
    }
    let run = RunSettings::new(settings, None);
    let applied = apply(engine, desired, observed, &plan, settings, &run, &request).await;
    drop(prepared.lock);
    applied
}

/// The running containers of the file's services that `plan` leaves alone.
pub fn left_running(desired: &Desired, observed: &Observed, plan: &Plan) -> Vec<String> {
    let touched: HashSet<&str> = plan
        .actions
        .iter()
        .flat_map(|a| a.op.containers())
        .collect();
    observed
        .containers
        .iter()
        .filter(|c| {
            c.state == RunState::Running
                && !c.is_oneoff()
                && desired.services.contains_key(c.service())
                && !touched.contains(c.name.as_str())
        })
        .map(|c| c.name.clone())
        .collect()
}

/// ` Container p-web-1  Running` for each of `running`, as Docker Compose
/// says of them: a no-op `up` is not silent.
pub async fn report_running(running: &[String], printer: &Printer) {
    if running.is_empty() {
        return;
    }
    printer
        .show("Running", |events| async move {
            for name in running {
                events.emit(Kind::Container, name, Status::Done, Word::Running, "");
            }
        })
        .await;
}
