//! `up`: brings the engine to the file. The project is opened and shaped
//! by the request (scales, `--no-deps`), its images built and pulled as
//! their policies say, the plan made, the images it still needs pulled,
//! the plan applied, and what was left running said so.

use super::error::Failure;
use std::collections::HashSet;

use std::time::Duration;

use super::apply::{self, RunSettings};
use super::attached::{self, AttachRequest, Session};
use super::exit;
use super::images::{self, ImageChoices};
use super::interrupts::Interrupts;
use super::open::{self, CliEngine};
use super::watch;
use super::{Error, Settings};
use crate::engine::{Engine, RunState};
use crate::events::{Kind, Status, Word};
use crate::output::progress::Printer;
use crate::reconcile::desired::Desired;
use crate::reconcile::execute::ExecError;
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

impl UpRequest {
    /// `up -d` of `services` (all when empty), or with `rebuild` the build
    /// of their images and their recreation without their dependencies:
    /// what `watch` runs first, and for a `rebuild` rule.
    pub fn detached(settings: &Settings, services: &[String], rebuild: bool) -> UpRequest {
        let recreate = if rebuild {
            Recreate::Force
        } else {
            Recreate::Diverged
        };
        UpRequest {
            no_deps: rebuild,
            options: UpOptions {
                services: services.to_vec(),
                recreate,
                dependencies_recreate: Recreate::Diverged,
                remove_orphans: settings.remove_orphans,
                warn_orphans: settings.warn_orphans,
                ..UpOptions::default()
            },
            images: ImageChoices {
                build: rebuild,
                ..ImageChoices::default()
            },
            ..UpRequest::default()
        }
    }
}

/// Opens the project (its files read anew) from within a runtime, and
/// applies `request` to it: a `rebuild` of `watch`.
pub async fn up_detached(settings: &Settings, request: &UpRequest) -> Result<(), Error> {
    let lock = !settings.dry_run;
    let services = &request.options.services;
    let prepared = open::prepare_from_files_async(settings, services, lock).await?;
    up_prepared(settings, prepared, request).await
}

/// Applies `request` to the opened project without attaching to it; in a
/// dry run, only shows the plan. The project's lock is held throughout.
pub async fn up_prepared(
    settings: &Settings,
    prepared: open::Prepared,
    request: &UpRequest,
) -> Result<(), Error> {
    let (engine, mut desired) = (prepared.engine, prepared.desired);
    shape(&mut desired, request, settings)?;
    let listing = prepared.listing;
    let (observed, plan) = plan(
        &engine,
        &desired,
        listing,
        settings,
        request,
        settings.dry_run,
    )
    .await?;
    if settings.dry_run {
        eprint!("{}", plan.render());
        return Ok(());
    }
    let run = RunSettings::new(settings, None);
    let applied = apply(engine, desired, observed, &plan, settings, &run, request).await;
    drop(prepared.lock);
    applied
}

/// How far `up` goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Changes the engine.
    Apply,
    /// `--dry-run`: shows the plan on stderr, changes nothing.
    DryRun,
    /// `plan`: returns the plan, changes nothing.
    Plan,
}

/// `up`, `create`, `scale` and `plan`: the request and how it is shown.
#[derive(Clone, Debug)]
pub struct Converge {
    pub request: UpRequest,
    pub mode: Mode,
    /// `--wait-timeout`.
    pub wait_timeout: Option<Duration>,
    /// Attached `up`: the output to show and when to end.
    pub attach: Option<AttachRequest>,
    /// `up --watch`: the `develop.watch` rules applied while attached.
    pub watch: bool,
}

/// How `up` ended.
pub enum Outcome {
    /// With this exit code.
    Exit(i32),
    /// [`Mode::Plan`]: the plan, for the caller to show.
    Planned(Plan),
}

/// Loads, observes, plans, and (unless only showing the plan) applies;
/// attached, shows the services' output and ends as the session says.
pub fn converge(settings: &Settings, converge: &Converge) -> Result<Outcome, Error> {
    let request = &converge.request;
    let services = &request.options.services;
    let dry_run = settings.dry_run || converge.mode != Mode::Apply;
    let runtime = open::runtime()?;
    // A dry run changes nothing, so it need not wait for other invocations.
    let prepared = open::prepare_from_files(&runtime, settings, services, !dry_run)?;
    let (engine, mut desired, lock) = (prepared.engine, prepared.desired, prepared.lock);
    shape(&mut desired, request, settings)?;
    // Before anything is brought up: no rules is an error, as for `watch`.
    let rules = match converge.watch {
        true => Some(watch::rules(&desired, services)?),
        false => None,
    };
    let session = converge
        .attach
        .as_ref()
        .map(|attach| Session::new(&desired, services, attach, converge.watch))
        .transpose()?;
    let run = RunSettings::new(settings, converge.wait_timeout);
    runtime.block_on(async {
        // Attached `up` handles every interrupt itself, from before the
        // first change on: the first stops what it started, in any phase.
        let mut interrupts = match &session {
            Some(_) if !dry_run => Some(Interrupts::listen()?),
            _ => None,
        };
        let opening = plan(&engine, &desired, prepared.listing, settings, request, dry_run);
        // Interrupted while building or pulling, before anything of this
        // `up` runs: nothing to stop.
        let (mut observed, plan) = match &interrupts {
            Some(interrupts) => {
                let token = interrupts.token();
                tokio::select! {
                    opened = opening => opened?,
                    () = token.cancelled() => return Ok(Outcome::Exit(exit::INTERRUPTED)),
                }
            }
            None => opening.await?,
        };
        match converge.mode {
            Mode::Plan => return Ok(Outcome::Planned(plan)),
            _ if dry_run => {
                eprint!("{}", plan.render());
                return Ok(Outcome::Exit(0));
            }
            _ => {}
        }
        let (Some(session), Some(interrupts)) = (session, interrupts.take()) else {
            apply(engine, desired, observed, &plan, settings, &run, request).await?;
            return Ok(Outcome::Exit(0));
        };
        let token = interrupts.token();
        let quiet = request.images.quiet_pull;
        tokio::select! {
            pulled = images::pull_missing(&engine, settings, &desired, &mut observed, &plan, quiet) => pulled?,
            () = token.cancelled() => return Ok(Outcome::Exit(exit::INTERRUPTED)),
        }
        // Subscribed before the plan runs, so that no exit is missed.
        let events = engine.events(&desired.project).await?;
        let ran = apply::run_plan_until(
            engine.clone(),
            desired.clone(),
            &observed,
            &plan,
            &run,
            token.clone(),
        )
        .await;
        // The engine is converged: others (`down`, `stop`, `up -d` from a
        // second terminal) may change the project while this session shows
        // it; the final stop takes the lock again.
        drop(lock);
        match ran {
            Err(Error::Exec(ExecError::Cancelled)) if token.is_cancelled() => {
                let services = session.stop_on_interrupt.clone();
                let code =
                    attached::stop_interrupted(engine, desired, services, run, interrupts).await?;
                return Ok(Outcome::Exit(code));
            }
            ran => ran?,
        }
        report_running(&left_running(&desired, &observed, &plan), &run.progress).await;
        let code = match rules {
            None => attached::run(engine, desired, events, session, run, interrupts).await?,
            Some(rules) => {
                let project = desired.project.clone();
                let session = attached::run(engine.clone(), desired, events, session, run, interrupts);
                watch::alongside(settings, &engine, &project, &rules, token, session).await?
            }
        };
        Ok(Outcome::Exit(code))
    })
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
