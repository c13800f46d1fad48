//! What the commands that touch the engine share: loading the project into a
//! desired state, connecting, locking, observing, and running a plan with a
//! progress renderer.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::interrupts::Interrupts;
use super::{CliError, Settings, print_warnings};
use crate::build::service::PullPolicy;
use crate::build::{self, BuildOptions};
use crate::engine::Engine;
use crate::engine::docker::DockerEngine;
use crate::engine::dryrun::DryRun;
use crate::env_vars;
use crate::events::Emitter;
use crate::output::progress::Printer;
use crate::reconcile::desired::{self, Desired};
use crate::reconcile::execute::{self, Context};
use crate::reconcile::lock::{self, ProjectLock};
use crate::reconcile::observe::{self, Listing, Observed};
use crate::reconcile::plan::Plan;
use crate::transfer::{self, Direction, ImageRef, PullRecord};

/// A single-threaded runtime: berth waits on the engine, it does not compute.
pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Other(format!("cannot start the async runtime: {e}")))
}

/// Loads the project with `services` selected (and their dependencies).
///
/// Without any compose file and with a project name, commands like
/// `-p x down` work on what the engine's labels say: an empty desired state,
/// unless `files_optional` is false (commands that create things).
fn load_desired(
    settings: &Settings,
    services: &[String],
    files_optional: bool,
) -> Result<Desired, CliError> {
    let mut opts = settings.load.clone();
    opts.services = services.to_vec();
    let loaded = match crate::load::load(&opts) {
        Ok(loaded) => loaded,
        Err(diagnostics)
            if files_optional
                && diagnostics.is_missing_file()
                && settings.load.project_name.is_some() =>
        {
            return Ok(Desired {
                project: settings.load.project_name.clone().unwrap_or_default(),
                ..Default::default()
            });
        }
        Err(diagnostics) => return Err(diagnostics.into()),
    };
    print_warnings(&loaded.warnings, &loaded.sources);
    Ok(desired::from_loaded(loaded)?)
}

/// Warns about the keys this engine is too old to apply, and refuses to go
/// on when ignoring one would do something else than the file says.
pub async fn check_gates<E: Engine>(engine: &E, desired: &Desired) -> Result<(), CliError> {
    if desired.gates.is_empty() {
        return Ok(());
    }
    let api = engine.api_version().await?;
    let (warnings, refusals) = desired::check_gates(&desired.gates, api);
    for warning in &warnings {
        eprintln!("WARN[0000] {warning}");
    }
    if refusals.is_empty() {
        Ok(())
    } else {
        Err(CliError::Other(refusals.join("\n")))
    }
}

/// The engine every command works on: the Docker Engine, wrapped once so
/// that with `--dry-run` nothing reaches it but reads (see [`DryRun`]).
pub type CliEngine = DryRun<DockerEngine>;

/// What a command works on: the engine, the desired state, the project's
/// lock when the command changes things, and the engine's objects.
pub struct Prepared {
    pub engine: CliEngine,
    pub desired: Desired,
    pub lock: Option<ProjectLock>,
    pub listing: Option<Listing>,
}

/// The opening of a command that reads the engine: a runtime, the project
/// prepared without the lock, and `services` checked against the file.
pub fn open(
    settings: &Settings,
    services: &[String],
) -> Result<(tokio::runtime::Runtime, Prepared), CliError> {
    let runtime = runtime()?;
    let prepared = prepare(&runtime, settings, &[], false)?;
    check_services(&prepared.desired, services)?;
    Ok((runtime, prepared))
}

/// Loads the project on another thread while connecting to the engine and,
/// when the command line names the project, locking and listing it: the
/// engine answers while the files are read.
pub fn prepare(
    runtime: &tokio::runtime::Runtime,
    settings: &Settings,
    services: &[String],
    lock: bool,
) -> Result<Prepared, CliError> {
    prepare_loading(runtime, settings, services, lock, true)
}

/// [`prepare`] for the commands that create or build from the file (`up`,
/// `create`, `run`, `build`, `pull`, `push`, `watch`): without a compose
/// file they fail, as Docker Compose's do, instead of doing nothing.
pub fn prepare_from_files(
    runtime: &tokio::runtime::Runtime,
    settings: &Settings,
    services: &[String],
    lock: bool,
) -> Result<Prepared, CliError> {
    prepare_loading(runtime, settings, services, lock, false)
}

fn prepare_loading(
    runtime: &tokio::runtime::Runtime,
    settings: &Settings,
    services: &[String],
    lock: bool,
    files_optional: bool,
) -> Result<Prepared, CliError> {
    // A dry run changes nothing, so it need not wait for other invocations
    // (nor write the lock file).
    let lock = lock && !settings.dry_run;
    let named = settings.load.project_name.clone().or_else(|| {
        settings
            .load
            .os_env
            .get(env_vars::COMPOSE_PROJECT_NAME)
            .filter(|n| !n.is_empty())
            .cloned()
    });
    let (loaded, early) = std::thread::scope(|scope| {
        let loading = std::thread::Builder::new()
            .stack_size(crate::load::LOAD_STACK)
            .spawn_scoped(scope, || load_desired(settings, services, files_optional))
            .expect("a thread to load the project");
        let early = runtime.block_on(async {
            let engine = connect(settings).await?;
            let (mut held, mut listing) = (None, None);
            if let Some(name) = &named {
                if lock {
                    held = Some(lock_project(&engine, name).await?);
                }
                listing = Some(observe::list(&engine, name).await?);
            }
            Ok::<_, CliError>((engine, held, listing))
        });
        let loaded = loading
            .join()
            .unwrap_or_else(|_| Err(CliError::Other("the loader stopped unexpectedly".into())));
        (loaded, early)
    });
    // A bad file is reported before an unreachable engine.
    let desired = loaded?;
    let (engine, held, listing) = early?;
    let lock = match held {
        Some(held) if named.as_deref() == Some(desired.project.as_str()) => Some(held),
        _ if lock => Some(runtime.block_on(lock_project(&engine, &desired.project))?),
        _ => None,
    };
    Ok(Prepared {
        engine,
        desired,
        lock,
        listing,
    })
}

/// The project's containers: those listed while the files loaded (when the
/// command line named the project), or from a list call now.
pub async fn containers<E: Engine>(
    engine: &E,
    project: &str,
    listing: Option<Listing>,
) -> Result<Vec<crate::engine::Container>, CliError> {
    match listing {
        Some(listing) if listing.project == project => Ok(listing.into_containers()),
        _ => engine
            .list_containers(project)
            .await
            .map_err(CliError::Engine),
    }
}

/// The containers of `service` (one-offs aside), or replica `index` alone,
/// only running ones with `running`; running ones first, then by replica
/// number. None is an error that names the service.
pub fn replicas(
    mut containers: Vec<crate::engine::Container>,
    service: &str,
    index: Option<u32>,
    running: bool,
) -> Result<Vec<crate::engine::Container>, CliError> {
    use crate::engine::RunState;
    containers.retain(|c| {
        !c.is_oneoff()
            && c.service() == service
            && index.is_none_or(|n| c.number() == n)
            && (!running || c.state == RunState::Running)
    });
    containers.sort_by_key(|c| (c.state != RunState::Running, c.number()));
    if containers.is_empty() {
        return Err(CliError::Other(format!(
            "service {service:?} has no {}container{}",
            if running { "running " } else { "" },
            index
                .map(|n| format!(" with index {n}"))
                .unwrap_or_default()
        )));
    }
    Ok(containers)
}

/// The one container a single-container command (`attach`, `commit`,
/// `export`, `port`) acts on: as [`replicas`], the first of them.
pub async fn replica<E: Engine>(
    engine: &E,
    project: &str,
    listing: Option<Listing>,
    service: &str,
    index: Option<u32>,
    running: bool,
) -> Result<crate::engine::Container, CliError> {
    let found = containers(engine, project, listing).await?;
    Ok(replicas(found, service, index, running)?.remove(0))
}

/// Refuses service names the file does not define (enabled or not). Without
/// a file (`-p NAME` alone) any name goes: only the labels know the services.
pub fn check_services(desired: &Desired, services: &[String]) -> Result<(), CliError> {
    if desired.services.is_empty() && desired.disabled_services.is_empty() {
        return Ok(());
    }
    match services
        .iter()
        .find(|s| !desired.services.contains_key(*s) && !desired.disabled_services.contains(s))
    {
        Some(unknown) => Err(no_such_service(desired, unknown)),
        None => Ok(()),
    }
}

/// `no such service: wbe; did you mean `web`?`, naming the closest service
/// the file defines (enabled or not).
pub fn no_such_service(desired: &Desired, unknown: &str) -> CliError {
    let known = desired
        .services
        .keys()
        .map(String::as_str)
        .chain(desired.disabled_services.iter().map(String::as_str));
    CliError::Usage(format!(
        "no such service: {unknown}; {}",
        crate::load::extends::did_you_mean(unknown, known)
    ))
}

/// Connects to the engine that `--context`, `DOCKER_HOST`, `DOCKER_CONTEXT`
/// or the docker CLI's current context names; with `--dry-run`, one that
/// only pretends to change anything. Every command connects here.
pub async fn connect(settings: &Settings) -> Result<CliEngine, CliError> {
    let endpoint = settings.endpoint()?;
    let pinned = settings.load.os_env.get(env_vars::DOCKER_API_VERSION);
    let engine = DockerEngine::connect(&endpoint, pinned.map(String::as_str))
        .await
        .map_err(CliError::Engine)?;
    Ok(DryRun::new(engine, settings.dry_run))
}

/// Takes the project's lock, telling the user when another berth holds it.
pub async fn lock_project(engine: &CliEngine, project: &str) -> Result<ProjectLock, CliError> {
    // Keyed by the engine's resolved address, so every way of naming one
    // engine shares the lock.
    let lock = lock::acquire(engine.host(), project, || {
        eprintln!("Waiting for another berth working on project {project}...");
    })
    .await
    .map_err(|e| CliError::Other(format!("cannot lock project {project}: {e}")))?;
    if let Some(since) = lock.interrupted_since {
        // The last berth on this project was killed: let the stops it
        // began end before anything looks at the containers.
        let waited = crate::reconcile::settle::settle(engine, project, since)
            .await
            .map_err(CliError::Engine)?;
        if !waited.is_empty() {
            eprintln!(
                "An interrupted berth was stopping {}; waited for it to end",
                waited.join(", ")
            );
        }
    }
    Ok(lock)
}

pub async fn observe<E: Engine>(
    engine: &E,
    desired: &Desired,
    listing: Option<Listing>,
) -> Result<Observed, CliError> {
    observe::observe_listed(engine, desired, listing)
        .await
        .map_err(CliError::Engine)
}

/// Warns about keys only Windows engines apply and platforms the engine
/// will likely refuse.
pub async fn warn_platform_mismatch<E: Engine>(
    engine: &E,
    desired: &Desired,
    observed: &Observed,
) -> Result<(), CliError> {
    // Asking the platform costs the engine several milliseconds: only when it matters.
    if !desired.has_platform_dependent_keys() {
        return Ok(());
    }
    let platform = engine.platform().await.map_err(CliError::Engine)?;
    let local = |image: &str| observed.images.get(image).is_some_and(Option::is_some);
    let warnings = [
        desired.windows_only(&platform),
        desired.foreign_platforms(&platform, local),
    ];
    for warning in warnings.iter().flatten() {
        eprintln!("WARN[0000] {warning}");
    }
    Ok(())
}

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
) -> Result<(), CliError> {
    if plan.actions.is_empty() {
        // A no-op: no signal handlers, no renderer (the hot path).
        for warning in &plan.warnings {
            eprintln!("WARN[0000] {warning}");
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
) -> Result<(), CliError> {
    for warning in &plan.warnings {
        eprintln!("WARN[0000] {warning}");
    }
    let (events, receiver) = Emitter::channel();
    let renderer = run.progress.spawn("Running", receiver);
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
    let result = execute::execute(plan, context).await;
    // The context (and with it the last emitter) is gone: the renderer ends.
    let _ = renderer.await;
    result.map_err(CliError::Exec)
}

/// What the command line says about images: `--build`, `--no-build`,
/// `--pull POLICY` (which overrides every service's `pull_policy`), and
/// `--quiet-build`/`--quiet-pull` (no progress for builds or pulls).
#[derive(Clone, Copy, Debug, Default)]
pub struct ImageChoices {
    pub build: bool,
    pub no_build: bool,
    pub pull: Option<PullPolicy>,
    pub quiet_build: bool,
    pub quiet_pull: bool,
}

/// Builds and pulls what the services' policies ask for before planning,
/// so that the plan sees the new image IDs (and recreates what they
/// change): images of services with `build:` that are missing (or all of
/// them with `--build` or `pull_policy: build`), and pulls for `always` and
/// for stale `daily`/`weekly`/`every_*` images. Missing images of other
/// services are left to [`pull_missing`].
pub async fn prepare_images<E: Engine>(
    engine: &E,
    settings: &Settings,
    desired: &Desired,
    observed: &mut Observed,
    choices: ImageChoices,
) -> Result<(), CliError> {
    let env = &settings.load.os_env;
    let record = PullRecord::open(env);
    let mut to_build = Vec::new();
    let mut to_pull = Vec::new();
    let mut never = Vec::new();
    for service in desired.services.values() {
        let policy = choices.pull.unwrap_or(service.pull_policy);
        let image = &service.spec.image;
        let local = matches!(observed.images.get(image), Some(Some(_)));
        let buildable = service.build.is_some() && !choices.no_build;
        if buildable && (choices.build || policy == PullPolicy::Build || !local) {
            to_build.push(service.name.clone());
        } else if policy == PullPolicy::Never && !local {
            never.push(format!(
                "service {:?}: the image {image} is not on this engine, and pull_policy is never",
                service.name
            ));
        } else if match policy {
            PullPolicy::Always => true,
            PullPolicy::Refresh(every) => !local || !record.is_fresh(image, every),
            _ => false,
        } {
            to_pull.push(ImageRef {
                reference: image.clone(),
                platform: service.spec.platform_to_use().to_string(),
            });
        }
    }
    if !never.is_empty() {
        return Err(CliError::Other(never.join("\n")));
    }
    to_pull.sort();
    to_pull.dedup();
    if to_build.is_empty() && to_pull.is_empty() {
        return Ok(());
    }
    // Builds, then pulls: each with a renderer of its own, so that either
    // can be quiet.
    let built = if to_build.is_empty() {
        Ok(BTreeMap::new())
    } else {
        let options = BuildOptions {
            parallel: settings.parallel,
            classic: !settings.buildkit()?,
            env: settings.load.os_env.clone(),
            ..Default::default()
        };
        let (events, receiver) = Emitter::channel();
        let renderer = settings
            .progress
            .quiet_if(choices.quiet_build)
            .spawn("Building", receiver);
        let built = build::build_services(engine, desired, &to_build, &options, &events).await;
        drop(events);
        let _ = renderer.await;
        built
    };
    let pulled = if to_pull.is_empty() {
        Vec::new()
    } else {
        transfer_images(
            engine,
            settings,
            Direction::Pull,
            &to_pull,
            choices.quiet_pull,
        )
        .await
    };
    for (image, id) in built.map_err(CliError::Build)? {
        observed.images.insert(image, Some(id));
    }
    note_pulled(pulled, observed)
}

/// The progress mode: quiet when `quiet`, else the command line's.

/// Pulls the images the plan needs that the engine does not have. Images
/// that cannot be pulled are reported together, each with its reason.
pub async fn pull_missing<E: Engine>(
    engine: &E,
    settings: &Settings,
    desired: &Desired,
    observed: &mut Observed,
    plan: &Plan,
    quiet: bool,
) -> Result<(), CliError> {
    let missing = missing_images(desired, observed, plan);
    pull_images(engine, settings, &missing, observed, quiet).await
}

/// Pulls `images` (without progress when `quiet`), noting their IDs in
/// `observed`; the failures are reported together once every pull has ended.
pub async fn pull_images<E: Engine>(
    engine: &E,
    settings: &Settings,
    images: &[ImageRef],
    observed: &mut Observed,
    quiet: bool,
) -> Result<(), CliError> {
    if images.is_empty() {
        return Ok(());
    }
    let results = transfer_images(engine, settings, Direction::Pull, images, quiet).await;
    note_pulled(results, observed)
}

/// Pulls or pushes `images` with a progress line each (none when `quiet`);
/// for each, its ID after a pull, or why it failed.
pub async fn transfer_images<E: Engine>(
    engine: &E,
    settings: &Settings,
    direction: Direction,
    images: &[ImageRef],
    quiet: bool,
) -> Vec<(String, Result<String, String>)> {
    let (events, receiver) = Emitter::channel();
    let renderer = settings
        .progress
        .quiet_if(quiet)
        .spawn(direction.title(), receiver);
    let results = transfer::transfer_all(
        engine,
        direction,
        images,
        &settings.load.os_env,
        settings.parallel,
        &events,
    )
    .await;
    drop(events);
    let _ = renderer.await;
    results
}

/// The images of [`transfer_images`] that failed, with their messages.
pub async fn transfer_failures<E: Engine>(
    engine: &E,
    settings: &Settings,
    direction: Direction,
    images: &[ImageRef],
    quiet: bool,
) -> Vec<(String, String)> {
    transfer_images(engine, settings, direction, images, quiet)
        .await
        .into_iter()
        .filter_map(|(image, result)| result.err().map(|message| (image, message)))
        .collect()
}

/// The services `pull` and `push` work on: the named ones (all when none
/// is), and with `include_deps` the ones they depend on (which the loader added).
pub fn selected_services<'a>(
    desired: &'a Desired,
    named: &'a [String],
    include_deps: bool,
) -> impl Iterator<Item = &'a crate::reconcile::desired::DesiredService> + 'a {
    desired
        .services
        .values()
        .filter(move |s| named.is_empty() || include_deps || named.contains(&s.name))
}

/// Notes the IDs of the images pulled; an error listing the failures.
fn note_pulled(
    results: Vec<(String, Result<String, String>)>,
    observed: &mut Observed,
) -> Result<(), CliError> {
    let mut failed = Vec::new();
    for (image, result) in results {
        match result {
            Ok(id) => {
                observed.images.insert(image, Some(id));
            }
            Err(message) => failed.push(message),
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(CliError::MissingImages(failed))
    }
}

/// Images the plan needs that are not on the engine, with the platform the
/// service asks for (empty for the engine's).
fn missing_images(desired: &Desired, observed: &Observed, plan: &Plan) -> Vec<ImageRef> {
    let mut missing: Vec<ImageRef> = plan
        .actions
        .iter()
        .filter_map(|a| match &a.op {
            crate::reconcile::plan::Op::CreateContainer { service, .. } => {
                let spec = &desired.services[service].spec;
                matches!(observed.images.get(&spec.image), Some(None) | None).then(|| ImageRef {
                    reference: spec.image.clone(),
                    platform: spec.platform_to_use().to_string(),
                })
            }
            _ => None,
        })
        .collect();
    missing.sort();
    missing.dedup();
    missing
}
