//! What the commands that touch the engine share: loading the project into a
//! desired state, connecting, locking, observing, and running a plan with a
//! progress renderer.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{CliError, Settings, print_warnings};
use crate::engine::Engine;
use crate::engine::docker::DockerEngine;
use crate::env_vars;
use crate::events::{Emitter, Kind, Status};
use crate::reconcile::desired::{self, Desired};
use crate::reconcile::execute::{self, Context};
use crate::reconcile::lock::{self, ProjectLock};
use crate::reconcile::observe::{self, Listing, Observed};
use crate::reconcile::plan::Plan;
use crate::render::{self, Progress};

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
/// `-p x down` work on what the engine's labels say: an empty desired state.
fn load_desired(settings: &Settings, services: &[String]) -> Result<Desired, CliError> {
    let mut opts = settings.load.clone();
    opts.services = services.to_vec();
    let loaded = match crate::load::load(&opts) {
        Ok(loaded) => loaded,
        Err(diagnostics)
            if diagnostics.is_missing_file() && settings.load.project_name.is_some() =>
        {
            return Ok(Desired {
                project: settings.load.project_name.clone().unwrap_or_default(),
                ..Default::default()
            });
        }
        Err(diagnostics) => return Err(diagnostics.into()),
    };
    print_warnings(&loaded.warnings, &loaded.sources);
    Ok(desired::from_loaded(loaded, &settings.load.env_files)?)
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

/// What a command works on: the engine, the desired state, the project's
/// lock when the command changes things, and the engine's objects.
pub struct Prepared {
    pub engine: DockerEngine,
    pub desired: Desired,
    pub lock: Option<ProjectLock>,
    pub listing: Option<Listing>,
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
    let named = settings.load.project_name.clone().or_else(|| {
        settings
            .load
            .os_env
            .get(env_vars::COMPOSE_PROJECT_NAME)
            .filter(|n| !n.is_empty())
            .cloned()
    });
    let (loaded, early) = std::thread::scope(|scope| {
        let loading = scope.spawn(|| load_desired(settings, services));
        let early = runtime.block_on(async {
            let engine = connect(settings).await?;
            let (mut held, mut listing) = (None, None);
            if let Some(name) = &named {
                if lock {
                    held = Some(lock_project(settings, name).await?);
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
        _ if lock => Some(runtime.block_on(lock_project(settings, &desired.project))?),
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
        Some(unknown) => Err(CliError::Usage(format!("no such service: {unknown}"))),
        None => Ok(()),
    }
}

/// Connects to the engine named by `DOCKER_HOST`.
pub async fn connect(settings: &Settings) -> Result<DockerEngine, CliError> {
    let env = &settings.load.os_env;
    let host = env.get(env_vars::DOCKER_HOST).map(String::as_str);
    let pinned = env.get(env_vars::DOCKER_API_VERSION).map(String::as_str);
    DockerEngine::connect(host, pinned)
        .await
        .map_err(CliError::Engine)
}

/// Takes the project's lock, telling the user when another berth holds it.
pub async fn lock_project(settings: &Settings, project: &str) -> Result<ProjectLock, CliError> {
    let host = settings
        .load
        .os_env
        .get(env_vars::DOCKER_HOST)
        .map_or("", String::as_str);
    lock::acquire(host, project, || {
        eprintln!("Waiting for another berth working on project {project}...");
    })
    .await
    .map_err(|e| CliError::Other(format!("cannot lock project {project}: {e}")))
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

/// Warns about the keys the engine is too old for (the create calls leave
/// them out), and about platforms it will likely refuse.
pub async fn warn_unsupported<E: Engine>(
    engine: &E,
    desired: &Desired,
    observed: &Observed,
) -> Result<(), CliError> {
    // Asking the version costs the engine several milliseconds: only when it matters.
    if !desired.has_engine_dependent_keys() {
        return Ok(());
    }
    let api = engine.api_version().await.map_err(CliError::Engine)?;
    let platform = engine.platform().await.map_err(CliError::Engine)?;
    let local = |image: &str| observed.images.get(image).is_some_and(Option::is_some);
    let warnings = [
        desired.unsupported(api),
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
    pub progress: Progress,
    pub wait_timeout: Option<Duration>,
}

impl RunSettings {
    /// The command line's limit and progress mode, with a deadline for waits.
    pub fn new(settings: &Settings, wait_timeout: Option<Duration>) -> Self {
        RunSettings {
            parallel: settings.parallel,
            progress: settings.progress,
            wait_timeout,
        }
    }
}

/// Runs `plan`, rendering progress, and cancels cleanly on Ctrl-C.
pub async fn run_plan<E: Engine>(
    engine: E,
    desired: Desired,
    observed: &Observed,
    plan: &Plan,
    run: &RunSettings,
) -> Result<(), CliError> {
    for warning in &plan.warnings {
        eprintln!("WARN[0000] {warning}");
    }
    let (events, receiver) = Emitter::channel();
    let renderer = render::spawn(run.progress, receiver);
    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    let signals = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.cancel();
        }
    });
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
    signals.abort();
    // The context (and with it the last emitter) is gone: the renderer ends.
    let _ = renderer.await;
    result.map_err(CliError::Exec)
}

/// Pulls the images the plan needs that the engine does not have. Images
/// that cannot be pulled are reported together, with what to do.
pub async fn pull_missing<E: Engine>(
    engine: &E,
    desired: &Desired,
    observed: &mut Observed,
    plan: &Plan,
    progress: Progress,
) -> Result<(), CliError> {
    let missing = missing_images(desired, observed, plan);
    if missing.is_empty() {
        return Ok(());
    }
    let (events, receiver) = Emitter::channel();
    let renderer = render::spawn(progress, receiver);
    let pulls = missing.iter().map(|(image, platform)| {
        let events = events.clone();
        async move {
            events.emit(Kind::Image, image, Status::Working, "Pulling", "");
            let result = engine.pull_image(image, platform).await;
            match &result {
                Ok(_) => events.emit(Kind::Image, image, Status::Done, "Pulled", ""),
                Err(e) => events.emit(Kind::Image, image, Status::Error, "Error", &e.to_string()),
            }
            (image.clone(), result)
        }
    });
    let results = futures_util::future::join_all(pulls).await;
    drop(events);
    let _ = renderer.await;
    let mut failed = Vec::new();
    for (image, result) in results {
        match result {
            Ok(id) => {
                observed.images.insert(image, Some(id));
            }
            Err(_) => failed.push(image),
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
fn missing_images(desired: &Desired, observed: &Observed, plan: &Plan) -> Vec<(String, String)> {
    let mut missing: Vec<(String, String)> = plan
        .actions
        .iter()
        .filter_map(|a| match &a.op {
            crate::reconcile::plan::Op::CreateContainer { service, .. } => {
                let spec = &desired.services[service].spec;
                matches!(observed.images.get(&spec.image), Some(None) | None)
                    .then(|| (spec.image.clone(), spec.platform.clone()))
            }
            _ => None,
        })
        .collect();
    missing.sort();
    missing.dedup();
    missing
}
