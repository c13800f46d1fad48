//! Opening a project: loading the files into a desired state (on a
//! thread of its own while the engine is reached), connecting, locking,
//! listing and observing, and finding the containers a command acts on.

use super::error::Failure;
use super::{Error, Settings};
use crate::engine::Engine;
use crate::engine::docker::DockerEngine;
use crate::engine::dryrun::DryRun;
use crate::env_vars;
use crate::output::print_warnings;
use crate::output::progress::Printer;
use crate::reconcile::desired::{self, Desired};
use crate::reconcile::lock::{self, ProjectLock};
use crate::reconcile::observe::{self, Listing, Observed};

/// A single-threaded runtime: berth waits on the engine, it does not compute.
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| {
            Failure::Start {
                what: "the async runtime",
                source,
            }
            .into()
        })
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
) -> Result<Desired, Error> {
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
pub async fn check_gates<E: Engine>(
    engine: &E,
    desired: &Desired,
    printer: &Printer,
) -> Result<(), Error> {
    if desired.gates.is_empty() {
        return Ok(());
    }
    let api = engine.api_version().await?;
    let (warnings, refusals) = desired::check_gates(&desired.gates, api);
    for warning in &warnings {
        printer.warn(warning);
    }
    if refusals.is_empty() {
        Ok(())
    } else {
        Err(Failure::Refused(refusals).into())
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
) -> Result<(tokio::runtime::Runtime, Prepared), Error> {
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
) -> Result<Prepared, Error> {
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
) -> Result<Prepared, Error> {
    prepare_loading(runtime, settings, services, lock, false)
}

fn prepare_loading(
    runtime: &tokio::runtime::Runtime,
    settings: &Settings,
    services: &[String],
    lock: bool,
    files_optional: bool,
) -> Result<Prepared, Error> {
    let opening = Opening::new(settings, lock);
    let (loaded, early) = std::thread::scope(|scope| {
        let loading = std::thread::Builder::new()
            .stack_size(crate::load::LOAD_STACK)
            .spawn_scoped(scope, || load_desired(settings, services, files_optional))
            .expect("a thread to load the project");
        let early = runtime.block_on(opening.reach(settings));
        let loaded = loading.join().unwrap_or_else(|_| Err(loader_stopped()));
        (loaded, early)
    });
    runtime.block_on(opening.finish(loaded, early))
}

/// The opening of the commands that work from the file on the services
/// they name (`build`, `pull`, `push`, `watch`): a runtime and the project
/// from its files, `services` checked against them; locked when `lock`.
pub fn open_from_files(
    settings: &Settings,
    services: &[String],
    lock: bool,
) -> Result<(tokio::runtime::Runtime, Prepared), Error> {
    let runtime = runtime()?;
    let prepared = prepare_from_files(&runtime, settings, services, lock)?;
    check_services(&prepared.desired, services)?;
    Ok((runtime, prepared))
}

/// [`prepare_from_files`] from within a runtime (a rebuild of `watch`):
/// the files load on a thread of their own meanwhile.
pub async fn prepare_from_files_async(
    settings: &Settings,
    services: &[String],
    lock: bool,
) -> Result<Prepared, Error> {
    let opening = Opening::new(settings, lock);
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let (owned, wanted) = (settings.clone(), services.to_vec());
    std::thread::Builder::new()
        .stack_size(crate::load::LOAD_STACK)
        .spawn(move || {
            let _ = sender.send(load_desired(&owned, &wanted, false));
        })
        .map_err(|source| Failure::Start {
            what: "the loader",
            source,
        })?;
    let early = opening.reach(settings).await;
    let loaded = receiver.await.unwrap_or_else(|_| Err(loader_stopped()));
    opening.finish(loaded, early).await
}

fn loader_stopped() -> Error {
    Failure::LoaderStopped.into()
}

/// What the engine is asked while the files load.
type Early = Result<(CliEngine, Option<ProjectLock>, Option<Listing>), Error>;

/// The opening of a project, while its files load: when the command line
/// names the project, it is locked and listed at once.
struct Opening {
    /// `-p`, else `COMPOSE_PROJECT_NAME`.
    named: Option<String>,
    lock: bool,
    /// Where the lock's waits are told.
    printer: Printer,
}

impl Opening {
    fn new(settings: &Settings, lock: bool) -> Opening {
        let named = settings.load.project_name.clone().or_else(|| {
            settings
                .load
                .os_env
                .get(env_vars::COMPOSE_PROJECT_NAME)
                .filter(|n| !n.is_empty())
                .cloned()
        });
        Opening {
            named,
            // A dry run changes nothing, so it need not wait for other
            // invocations (nor write the lock file).
            lock: lock && !settings.dry_run,
            printer: settings.progress.clone(),
        }
    }

    async fn reach(&self, settings: &Settings) -> Early {
        let engine = connect(settings).await?;
        let (mut held, mut listing) = (None, None);
        if let Some(name) = &self.named {
            if self.lock {
                held = Some(lock_project(&engine, name, &self.printer).await?);
            }
            listing = Some(observe::list(&engine, name).await?);
        }
        Ok((engine, held, listing))
    }

    /// The project, once loaded: locked under the name the files gave it.
    async fn finish(
        &self,
        loaded: Result<Desired, Error>,
        early: Early,
    ) -> Result<Prepared, Error> {
        // A bad file is reported before an unreachable engine.
        let desired = loaded?;
        let (engine, held, listing) = early?;
        let lock = match held {
            Some(held) if self.named.as_deref() == Some(desired.project.as_str()) => Some(held),
            _ if self.lock => Some(lock_project(&engine, &desired.project, &self.printer).await?),
            _ => None,
        };
        Ok(Prepared {
            engine,
            desired,
            lock,
            listing,
        })
    }
}

/// The project's containers: those listed while the files loaded (when the
/// command line named the project), or from a list call now.
pub async fn containers<E: Engine>(
    engine: &E,
    project: &str,
    listing: Option<Listing>,
) -> Result<Vec<crate::engine::Container>, Error> {
    match listing {
        Some(listing) if listing.project == project => Ok(listing.into_containers()),
        _ => engine.list_containers(project).await.map_err(Error::Engine),
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
) -> Result<Vec<crate::engine::Container>, Error> {
    use crate::engine::RunState;
    containers.retain(|c| {
        !c.is_oneoff()
            && c.service() == service
            && index.is_none_or(|n| c.number() == n)
            && (!running || c.state == RunState::Running)
    });
    containers.sort_by_key(|c| (c.state != RunState::Running, c.number()));
    if containers.is_empty() {
        return Err(Failure::NoContainer {
            service: service.to_string(),
            running,
            index,
        }
        .into());
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
) -> Result<crate::engine::Container, Error> {
    let found = containers(engine, project, listing).await?;
    Ok(replicas(found, service, index, running)?.remove(0))
}

/// The opening of a single-container command (`attach`, `commit`,
/// `export`): the project opened with `service` checked, and its one
/// container as [`replica`] picks it.
pub fn open_replica(
    settings: &Settings,
    service: &str,
    index: Option<u32>,
    running: bool,
) -> Result<(tokio::runtime::Runtime, CliEngine, crate::engine::Container), Error> {
    let (runtime, prepared) = open(settings, &[service.to_string()])?;
    let (engine, project) = (prepared.engine, prepared.desired.project);
    let container = runtime.block_on(replica(
        &engine,
        &project,
        prepared.listing,
        service,
        index,
        running,
    ))?;
    Ok((runtime, engine, container))
}

/// Refuses service names the file does not define (enabled or not). Without
/// a file (`-p NAME` alone) any name goes: only the labels know the services.
pub fn check_services(desired: &Desired, services: &[String]) -> Result<(), Error> {
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
pub fn no_such_service(desired: &Desired, unknown: &str) -> Error {
    let known = desired
        .services
        .keys()
        .map(String::as_str)
        .chain(desired.disabled_services.iter().map(String::as_str));
    Error::Usage(format!(
        "no such service: {unknown}; {}",
        crate::load::extends::did_you_mean(unknown, known)
    ))
}

/// Connects to the engine that `--context`, `DOCKER_HOST`, `DOCKER_CONTEXT`
/// or the docker CLI's current context names; with `--dry-run`, one that
/// only pretends to change anything. Every command connects here.
pub async fn connect(settings: &Settings) -> Result<CliEngine, Error> {
    let endpoint = settings.endpoint()?;
    let pinned = settings.load.os_env.get(env_vars::DOCKER_API_VERSION);
    let engine = DockerEngine::connect(&endpoint, pinned.map(String::as_str))
        .await
        .map_err(Error::Engine)?;
    Ok(DryRun::new(engine, settings.dry_run))
}

/// Takes the project's lock, telling the user when another berth holds it.
pub async fn lock_project(
    engine: &CliEngine,
    project: &str,
    printer: &Printer,
) -> Result<ProjectLock, Error> {
    // Keyed by the engine's resolved address, so every way of naming one
    // engine shares the lock.
    let mut lock = lock::acquire(engine.host(), project, || {
        printer.note(&format!(
            "Waiting for another berth working on project {project}..."
        ));
    })
    .await
    .map_err(|source| Failure::Lock {
        project: project.to_string(),
        source,
    })?;
    if let Some(live) = engine.live() {
        live.note_intents_in(lock.journal());
    }
    // The last berth on this project was killed: finish what it had under
    // way before anything looks at the containers.
    let interrupted = std::mem::take(&mut lock.interrupted);
    let finished = crate::reconcile::recover::finish(engine, project, &interrupted)
        .await
        .map_err(Error::Engine)?;
    if !finished.done.is_empty() {
        printer.note(&format!(
            "Finished what an interrupted berth had under way: {}",
            finished.done.join(", ")
        ));
    }
    for failure in &finished.failed {
        printer.warn(&format!(
            "could not finish what an interrupted berth had under way ({failure})"
        ));
    }
    Ok(lock)
}

pub async fn observe<E: Engine>(
    engine: &E,
    desired: &Desired,
    listing: Option<Listing>,
) -> Result<Observed, Error> {
    observe::observe_listed(engine, desired, listing)
        .await
        .map_err(Error::Engine)
}

/// Warns about keys only Windows engines apply and platforms the engine
/// will likely refuse.
pub async fn warn_platform_mismatch<E: Engine>(
    engine: &E,
    desired: &Desired,
    observed: &Observed,
    printer: &Printer,
) -> Result<(), Error> {
    // Asking the platform costs the engine several milliseconds: only when it matters.
    if !desired.has_platform_dependent_keys() {
        return Ok(());
    }
    let platform = engine.platform().await.map_err(Error::Engine)?;
    let local = |image: &str| observed.images.get(image).is_some_and(Option::is_some);
    let warnings = [
        desired.windows_only(&platform),
        desired.foreign_platforms(&platform, local),
    ];
    for warning in warnings.iter().flatten() {
        printer.warn(warning);
    }
    Ok(())
}
