//! Runs a plan: a DAG scheduler with one concurrency limit. An action starts
//! the moment the actions it comes after are done; waits follow the
//! engine's event stream instead of polling.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{Semaphore, broadcast};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::config_hash;
use super::desired::{Condition, Desired, Hook};
use super::fingerprint::Fingerprint;
use super::host_files;
use super::plan::{Op, Plan, container_name};
use super::references;
use crate::engine::spec::MountSpec;
use crate::engine::{ContainerStatus, Engine, EngineError, FileCopy, Health, RunState, labels};
use crate::events::{Emitter, Kind, Status};

/// How a plan's execution failed.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("{0}")]
    Engine(#[from] EngineError),
    /// A dependency or `--wait` condition failed; `report` holds the evidence.
    #[error("{message}")]
    Condition {
        failure: Failure,
        message: String,
        report: String,
    },
    #[error("{0}")]
    Timeout(String),
    #[error("interrupted")]
    Cancelled,
}

/// Why a condition failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// A container exited (with a non-zero code where success was expected).
    Exited,
    /// A health check reported unhealthy, or there is none to wait for.
    Unhealthy,
    /// No container to wait for.
    Missing,
}

/// What the executor needs besides the plan.
pub struct Context<E: Engine> {
    pub engine: E,
    pub desired: Arc<Desired>,
    /// Image reference → local image ID, stamped on new containers.
    pub images: BTreeMap<String, String>,
    /// Container name → ID for what exists before the plan runs.
    pub containers: HashMap<String, String>,
    pub events: Emitter,
    /// Engine operations at once.
    pub parallel: usize,
    /// Deadline for each wait.
    pub wait_timeout: Option<Duration>,
    pub cancel: CancellationToken,
}

struct Shared<E: Engine> {
    ctx: Context<E>,
    /// Container names → IDs, including what the plan creates.
    ids: Mutex<HashMap<String, String>>,
    /// The engine allocates ephemeral and ranged host ports without
    /// atomicity, so starts of containers that use them take turns.
    port_start: tokio::sync::Mutex<()>,
    engine_events: Option<EventFeed>,
    limit: Semaphore,
    /// Container removals at once, below `limit`: see [`removal_limit`].
    removals: Semaphore,
}

/// The engine's events, passed on to every wait.
struct EventFeed {
    /// Never read: waits subscribe through it. The task that passes the
    /// events on holds the only sender, so when the engine's stream ends
    /// every wait sees the channel close (after the events before).
    receiver: broadcast::Receiver<crate::engine::Event>,
    /// Why the stream ended, once it has.
    ended: Arc<std::sync::OnceLock<EngineError>>,
}

impl EventFeed {
    /// Subscribes to the engine's events of `project` and passes them on
    /// until the stream ends or `stop` is cancelled.
    async fn start<E: Engine>(
        engine: &E,
        project: &str,
        stop: CancellationToken,
    ) -> Result<EventFeed, EngineError> {
        let (tx, receiver) = broadcast::channel(1024);
        let mut stream = engine.events(project).await?;
        let ended = Arc::new(std::sync::OnceLock::new());
        let why = ended.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    item = stream.next() => match item {
                        Some(Ok(event)) => { let _ = tx.send(event); }
                        Some(Err(e)) => {
                            let _ = why.set(e);
                            break;
                        }
                        None => {
                            let _ = why.set(EngineError::Other(
                                "the engine's event stream ended".into(),
                            ));
                            break;
                        }
                    },
                }
            }
            // Dropping the sender closes the channel for every wait.
            drop(tx);
        });
        Ok(EventFeed { receiver, ended })
    }

    fn subscribe(&self) -> broadcast::Receiver<crate::engine::Event> {
        self.receiver.resubscribe()
    }

    /// Why the stream ended.
    fn ended(&self) -> EngineError {
        self.ended
            .get()
            .cloned()
            .unwrap_or_else(|| EngineError::Other("the engine's event stream ended".into()))
    }
}

/// How long the engine gives a container to stop before it kills it, when
/// known: `-t`, else the service's `stop_grace_period` or the engine's 10 s.
/// None for a container whose stop signal kills at once, or one the file
/// does not describe.
fn grace_period(desired: &Desired, service: &str, timeout: Option<i64>) -> Option<u64> {
    const ENGINE_DEFAULT: i64 = 10;
    let spec = &desired.services.get(service)?.spec;
    if super::plan::is_sigkill(&spec.stop_signal) {
        return None;
    }
    let seconds = timeout.or(spec.stop_timeout).unwrap_or(ENGINE_DEFAULT);
    u64::try_from(seconds).ok()
}

/// The engine tears containers down faster a few at a time than all at
/// once: on 2 cores, `down` of 50 took 3.7 s with 50 removals in flight,
/// 2.7 s with 8 or 12, and 3.8 s with 2. Creates and starts showed no such
/// knee, so they keep the general limit.
fn removal_limit(parallel: usize) -> usize {
    const REMOVALS_PER_CORE: usize = 4;
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    (cores * REMOVALS_PER_CORE).clamp(1, parallel.max(1))
}

impl<E: Engine> Shared<E> {
    fn id_of(&self, name: &str) -> Result<String, ExecError> {
        self.ids
            .lock()
            .expect("the ID map is never poisoned")
            .get(name)
            .cloned()
            .ok_or_else(|| ExecError::Engine(EngineError::NotFound(format!("no container {name}"))))
    }

    fn emit(&self, kind: Kind, name: &str, status: Status, text: &str) {
        self.ctx.events.emit(kind, name, status, text, "");
    }
}

/// Runs every action of `plan`. The first failure stops the scheduling of
/// new actions; those under way finish. Optional waits only warn.
pub async fn execute<E: Engine>(plan: &Plan, ctx: Context<E>) -> Result<(), ExecError> {
    let actions = &plan.actions;
    if actions.is_empty() {
        return Ok(());
    }
    let cancel = ctx.cancel.clone();
    // Subscribe to the engine's events before anything starts, so no
    // health change or exit is missed.
    let engine_events = if actions.iter().any(|a| matches!(a.op, Op::Wait { .. })) {
        Some(EventFeed::start(&ctx.engine, &ctx.desired.project, cancel.clone()).await?)
    } else {
        None
    };
    let shared = Arc::new(Shared {
        ids: Mutex::new(ctx.containers.clone()),
        port_start: tokio::sync::Mutex::new(()),
        engine_events,
        limit: Semaphore::new(ctx.parallel.max(1)),
        removals: Semaphore::new(removal_limit(ctx.parallel)),
        ctx,
    });

    let mut pending: Vec<usize> = actions.iter().map(|a| a.after.len()).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); actions.len()];
    for action in actions {
        for &before in &action.after {
            dependents[before].push(action.id);
        }
    }
    let mut ready: VecDeque<usize> = (0..actions.len()).filter(|&i| pending[i] == 0).collect();
    let mut running: JoinSet<(usize, Result<(), ExecError>)> = JoinSet::new();
    let mut failure: Option<ExecError> = None;

    loop {
        while let Some(id) = ready.pop_front() {
            if failure.is_some() || cancel.is_cancelled() {
                continue;
            }
            let op = actions[id].op.clone();
            let shared = shared.clone();
            running.spawn(async move { (id, run_action(&shared, &op).await) });
        }
        let next = tokio::select! {
            next = running.join_next() => next,
            _ = cancel.cancelled(), if failure.is_none() => {
                failure = Some(ExecError::Cancelled);
                continue;
            }
        };
        let Some(joined) = next else { break };
        let (id, result) = match joined {
            Ok(done) => done,
            Err(e) => {
                failure.get_or_insert(ExecError::Engine(EngineError::Other(e.to_string())));
                continue;
            }
        };
        let result = match (&actions[id].op, result) {
            (
                Op::Wait {
                    required: false,
                    service,
                    ..
                },
                Err(e),
            ) => {
                shared.ctx.events.emit(
                    Kind::Service,
                    service,
                    Status::Warning,
                    "Skipped",
                    &e.to_string(),
                );
                Ok(())
            }
            (_, result) => result,
        };
        match result {
            Ok(()) => {
                for &next in &dependents[id] {
                    pending[next] -= 1;
                    if pending[next] == 0 {
                        ready.push_back(next);
                    }
                }
            }
            Err(e) => {
                if failure.is_none() {
                    failure = Some(e);
                    // Waits under way can end now; engine calls finish.
                    cancel.cancel();
                }
            }
        }
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

async fn run_action<E: Engine>(shared: &Shared<E>, op: &Op) -> Result<(), ExecError> {
    if let Op::Wait {
        service, condition, ..
    } = op
    {
        return wait(shared, service, *condition).await;
    }
    // Taken before the general permit, so that queued removals hold none.
    let _removal = match op {
        Op::RemoveContainer { .. } => Some(
            shared
                .removals
                .acquire()
                .await
                .map_err(|_| ExecError::Cancelled)?,
        ),
        _ => None,
    };
    let _permit = shared
        .limit
        .acquire()
        .await
        .map_err(|_| ExecError::Cancelled)?;
    let engine = &shared.ctx.engine;
    let desired = &shared.ctx.desired;
    match op {
        Op::CreateNetwork { network, name } => {
            shared.emit(Kind::Network, name, Status::Working, "Creating");
            match engine.create_network(&desired.networks[network].spec).await {
                // Another invocation got there first: as good as created.
                Ok(_) | Err(EngineError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
            shared.emit(Kind::Network, name, Status::Done, "Created");
        }
        Op::CreateVolume { volume, name } => {
            shared.emit(Kind::Volume, name, Status::Working, "Creating");
            engine.create_volume(&desired.volumes[volume].spec).await?;
            shared.emit(Kind::Volume, name, Status::Done, "Created");
        }
        Op::RemoveNetwork { name, id } => {
            shared.emit(Kind::Network, name, Status::Working, "Removing");
            engine.remove_network(id).await?;
            shared.emit(Kind::Network, name, Status::Done, "Removed");
        }
        Op::RemoveVolume { name } => {
            shared.emit(Kind::Volume, name, Status::Working, "Removing");
            match engine.remove_volume(name).await {
                Ok(()) => shared.emit(Kind::Volume, name, Status::Done, "Removed"),
                // A container of another project still mounts it (a volume
                // with a fixed `name:`): it stays, and `down` goes on, as
                // with Docker Compose.
                Err(EngineError::Conflict(_)) => shared.ctx.events.emit(
                    Kind::Volume,
                    name,
                    Status::Warning,
                    "Resource is still in use",
                    "kept: a container outside this project still mounts it",
                ),
                Err(e) => return Err(e.into()),
            }
        }
        Op::CreateContainer {
            service,
            name,
            number,
            inherit,
            replaces,
        } => {
            let display = replaces.as_deref().unwrap_or(name);
            let (working, done) = if replaces.is_some() {
                ("Recreate", "Recreated")
            } else {
                ("Creating", "Created")
            };
            shared.emit(Kind::Container, display, Status::Working, working);
            let spec = replica_spec(shared, service, *number, inherit, replaces.as_deref())?;
            let network_name = container_name(desired, &desired.services[service], *number);
            let id = match engine.create_container(name, &network_name, &spec).await {
                Ok(created) => {
                    // Settings the engine dropped are not dropped silently.
                    for warning in &created.warnings {
                        shared.ctx.events.emit(
                            Kind::Container,
                            display,
                            Status::Warning,
                            "Warning",
                            warning,
                        );
                    }
                    created.id
                }
                // A killed berth's create the engine finished after we looked:
                // the same replica with the same spec is as good as ours.
                Err(EngineError::Conflict(message)) => adopt(shared, name, &spec)
                    .await?
                    .ok_or(ExecError::Engine(EngineError::Conflict(message)))?,
                Err(e) => return Err(e.into()),
            };
            shared
                .ids
                .lock()
                .expect("the ID map is never poisoned")
                .insert(name.clone(), id);
            if replaces.is_none() {
                shared.emit(Kind::Container, display, Status::Done, done);
            }
        }
        Op::RenameContainer { name, to, .. } => {
            let id = shared.id_of(name)?;
            engine.rename_container(&id, to).await?;
            shared
                .ids
                .lock()
                .expect("the ID map is never poisoned")
                .insert(to.clone(), id);
            shared.emit(Kind::Container, to, Status::Done, "Recreated");
        }
        Op::StartContainer { service, name } => {
            let id = shared.id_of(name)?;
            // A container of a service the file no longer has (an orphan put
            // back on a recreated network) starts as it is.
            let spec = desired.services.get(service).map(|s| &s.spec);
            shared.emit(Kind::Container, name, Status::Working, "Starting");
            if let Some(spec) = spec.filter(|s| !s.files.is_empty() && !s.read_only) {
                let files: Vec<FileCopy> = spec.files.iter().map(FileCopy::from).collect();
                engine.copy_files(&id, &files).await?;
            }
            let allocates_ports = spec.is_some_and(|s| {
                s.ports
                    .iter()
                    .any(|p| p.published.is_empty() || p.published.contains('-'))
            });
            let _turn = if allocates_ports {
                Some(shared.port_start.lock().await)
            } else {
                None
            };
            engine.start_container(&id).await?;
            drop(_turn);
            shared.emit(Kind::Container, name, Status::Done, "Started");
            let hooks = desired
                .services
                .get(service)
                .map_or(&[][..], |s| &s.post_start);
            for hook in hooks {
                run_hook(shared, service, name, &id, "post_start", hook).await?;
            }
        }
        Op::StopContainer {
            service,
            name,
            timeout,
        } => {
            let id = shared.id_of(name)?;
            let hooks = desired
                .services
                .get(service)
                .map_or(&[][..], |s| &s.pre_stop);
            for hook in hooks {
                // A failed pre_stop hook does not keep the container running.
                if let Err(e) = run_hook(shared, service, name, &id, "pre_stop", hook).await {
                    shared.ctx.events.emit(
                        Kind::Container,
                        name,
                        Status::Warning,
                        "Hook failed",
                        &e.to_string(),
                    );
                }
            }
            match grace_period(desired, service, *timeout) {
                Some(seconds) => shared.ctx.events.stopping(name, seconds),
                None => shared.emit(Kind::Container, name, Status::Working, "Stopping"),
            }
            engine.stop_container(&id, *timeout).await?;
            shared.emit(Kind::Container, name, Status::Done, "Stopped");
        }
        Op::RemoveContainer {
            name,
            volumes,
            anonymous_volumes,
            ..
        } => {
            let id = shared.id_of(name)?;
            shared.emit(Kind::Container, name, Status::Working, "Removing");
            engine.remove_container(&id, *volumes).await?;
            for volume in anonymous_volumes {
                // Gone already (the engine took it along), or still mounted by
                // another container, which takes it along when it goes.
                match engine.remove_volume(volume).await {
                    Ok(()) | Err(EngineError::Conflict(_)) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            shared.emit(Kind::Container, name, Status::Done, "Removed");
        }
        Op::KillContainer { name, signal, .. } => {
            let id = shared.id_of(name)?;
            shared.emit(Kind::Container, name, Status::Working, "Killing");
            engine.kill_container(&id, signal).await?;
            shared.emit(Kind::Container, name, Status::Done, "Killed");
        }
        Op::PauseContainer { name, .. } => {
            let id = shared.id_of(name)?;
            shared.emit(Kind::Container, name, Status::Working, "Pausing");
            engine.pause_container(&id).await?;
            shared.emit(Kind::Container, name, Status::Done, "Paused");
        }
        Op::UnpauseContainer { name, .. } => {
            let id = shared.id_of(name)?;
            shared.emit(Kind::Container, name, Status::Working, "Unpausing");
            engine.unpause_container(&id).await?;
            shared.emit(Kind::Container, name, Status::Done, "Unpaused");
        }
        Op::DisconnectNetwork { name, network, .. } => {
            let id = shared.id_of(name)?;
            shared.emit(Kind::Container, name, Status::Working, "Disconnecting");
            engine.disconnect_network(network, &id).await?;
            shared.emit(Kind::Container, name, Status::Done, "Disconnected");
        }
        Op::ConnectNetwork {
            name,
            network,
            attachment,
            ..
        } => {
            let id = shared.id_of(name)?;
            shared.emit(Kind::Container, name, Status::Working, "Connecting");
            engine
                .connect_network(network, &id, name, attachment)
                .await?;
            shared.emit(Kind::Container, name, Status::Done, "Connected");
        }
        Op::Wait { .. } => unreachable!("handled above"),
    }
    Ok(())
}

/// Runs a lifecycle hook in the container `id` of `service`; a non-zero
/// exit is an error that names the service, the hook and its output.
async fn run_hook<E: Engine>(
    shared: &Shared<E>,
    service: &str,
    name: &str,
    id: &str,
    kind: &str,
    hook: &Hook,
) -> Result<(), ExecError> {
    shared.emit(
        Kind::Container,
        name,
        Status::Working,
        &format!("Running {kind} hook"),
    );
    let (exit_code, output) = crate::engine::exec_to_end(&shared.ctx.engine, id, hook).await?;
    if exit_code != 0 {
        let mut message = format!(
            "service {service}: {kind} hook {:?} exited with {exit_code} in {name}",
            hook.command.join(" "),
        );
        let output = String::from_utf8_lossy(&output);
        let output = output.trim();
        if !output.is_empty() {
            message.push_str(": ");
            message.push_str(output);
        }
        return Err(ExecError::Engine(EngineError::Other(message)));
    }
    shared.emit(
        Kind::Container,
        name,
        Status::Done,
        &format!("{kind} hook done"),
    );
    Ok(())
}

/// The ID of the container named `name` if it is this very replica
/// (same project, service, number and configuration hash), made by a killed
/// or concurrent berth.
async fn adopt<E: Engine>(
    shared: &Shared<E>,
    name: &str,
    spec: &crate::engine::ContainerSpec,
) -> Result<Option<String>, ExecError> {
    let same = |c: &crate::engine::Container, key: &str| {
        c.label(key) == spec.identity_labels.get(key).map(String::as_str)
    };
    // The engine reserves the name when a create begins, but lists the
    // container only once it is made: give an in-flight create a moment.
    for _ in 0..ADOPT_ATTEMPTS {
        let containers = shared
            .ctx
            .engine
            .list_containers(&shared.ctx.desired.project)
            .await?;
        let mine = containers.iter().find(|c| {
            c.name == name
                && same(c, labels::SERVICE)
                && same(c, labels::CONTAINER_NUMBER)
                && same(c, labels::CONFIG_HASH)
        });
        if let Some(container) = mine {
            return Ok(Some(container.id.clone()));
        }
        if containers.iter().any(|c| c.name == name) {
            // Made, but not this replica: not ours to adopt.
            return Ok(None);
        }
        tokio::time::sleep(ADOPT_INTERVAL).await;
    }
    Ok(None)
}

/// How long an in-flight create of another berth is waited for: 3 s at most.
const ADOPT_ATTEMPTS: usize = 30;
const ADOPT_INTERVAL: Duration = Duration::from_millis(100);

/// The spec of one replica: the service's, plus its identity labels, the
/// anonymous volumes it inherits and its namespace parents resolved to IDs.
fn replica_spec<E: Engine>(
    shared: &Shared<E>,
    service: &str,
    number: u32,
    inherit: &BTreeMap<String, String>,
    replaces: Option<&str>,
) -> Result<crate::engine::ContainerSpec, ExecError> {
    let desired = &shared.ctx.desired;
    let first_container = |target: &str| {
        let ids = shared.ids.lock().expect("the ID map is never poisoned");
        references::replicas_of(
            desired,
            target,
            ids.iter().map(|(name, id)| (name.as_str(), id.as_str())),
        )
        .into_iter()
        .next()
        .map(|replica| replica.id)
    };
    let hash = config_hash::service_hash(desired.services[service].hashed(), first_container);
    let mut spec = desired.services[service].spec.clone();
    spec.identity_labels
        .insert(labels::CONTAINER_NUMBER.into(), number.to_string());
    spec.identity_labels
        .insert(labels::CONFIG_HASH.into(), hash);
    spec.identity_labels
        .insert(labels::DIGESTS.into(), Fingerprint::of(&spec).to_label());
    if let Some(image_id) = shared.ctx.images.get(&spec.image) {
        spec.identity_labels
            .insert(labels::IMAGE.into(), image_id.clone());
    }
    if let Some(old) = replaces {
        spec.identity_labels
            .insert(labels::REPLACE.into(), old.to_string());
    }
    for (target, volume) in inherit {
        match spec.mounts.iter_mut().find(|m| &m.target == target) {
            Some(mount) => mount.source = volume.clone(),
            // A volume the image declares: keep its data too.
            None => spec.mounts.push(MountSpec {
                kind: "volume".into(),
                source: volume.clone(),
                target: target.clone(),
                ..Default::default()
            }),
        }
    }
    host_files::bind_from_host(
        &desired.project,
        service,
        &mut spec,
        shared.ctx.engine.dry_run(),
    )
    .map_err(|e| ExecError::Engine(EngineError::Other(e)))?;
    // References to services become references to their containers.
    references::resolve(&mut spec, desired, |target| {
        let ids = shared.ids.lock().expect("the ID map is never poisoned");
        references::replicas_of(
            desired,
            target,
            ids.iter().map(|(name, id)| (name.as_str(), id.as_str())),
        )
    })
    .map_err(|e| ExecError::Engine(EngineError::NotFound(e)))?;
    Ok(spec)
}

/// What one container tells about a condition.
enum Verdict {
    Met,
    Pending,
    Failed(Failure, String),
}

fn judge(name: &str, condition: Condition, status: &ContainerStatus) -> Verdict {
    let exited = matches!(status.state, RunState::Exited | RunState::Dead);
    match condition {
        Condition::ServiceStarted => {
            if status.state == RunState::Created {
                Verdict::Pending
            } else {
                Verdict::Met
            }
        }
        Condition::ServiceCompletedSuccessfully => match (exited, status.exit_code) {
            (true, 0) => Verdict::Met,
            (true, code) => Verdict::Failed(
                Failure::Exited,
                format!("{name} didn't complete successfully: exit {code}"),
            ),
            _ => Verdict::Pending,
        },
        Condition::ServiceHealthy | Condition::RunningOrHealthy => {
            if exited {
                return Verdict::Failed(
                    Failure::Exited,
                    format!("container {name} exited ({})", status.exit_code),
                );
            }
            match status.health {
                Some(Health::Healthy) => Verdict::Met,
                Some(Health::Unhealthy) => {
                    Verdict::Failed(Failure::Unhealthy, format!("container {name} is unhealthy"))
                }
                Some(Health::Starting) => Verdict::Pending,
                None if condition == Condition::ServiceHealthy => Verdict::Failed(
                    Failure::Unhealthy,
                    format!("container {name} has no healthcheck configured"),
                ),
                None if status.state == RunState::Running => Verdict::Met,
                None => Verdict::Pending,
            }
        }
    }
}

/// Waits until every replica of `service` meets `condition`, re-inspecting a
/// container only when the engine reports an event about it.
async fn wait<E: Engine>(
    shared: &Shared<E>,
    service: &str,
    condition: Condition,
) -> Result<(), ExecError> {
    let engine = &shared.ctx.engine;
    let feed = shared
        .engine_events
        .as_ref()
        .ok_or_else(|| ExecError::Engine(EngineError::Other("no event stream".into())))?;
    let mut events = feed.subscribe();
    shared.ctx.events.emit(
        Kind::Service,
        service,
        Status::Working,
        "Waiting",
        condition.as_str(),
    );
    let listed = engine.list_containers(&shared.ctx.desired.project).await?;
    // The service's replicas, by their names: not a copy that an interrupted
    // recreate left under a temporary name (it may never start).
    let containers: Vec<(String, String)> = references::replicas_of(
        &shared.ctx.desired,
        service,
        listed
            .iter()
            .filter(|c| !c.is_oneoff() && c.service() == service)
            .map(|c| (c.name.as_str(), c.id.as_str())),
    )
    .into_iter()
    .map(|replica| (replica.id, replica.name))
    .collect();
    if containers.is_empty() {
        return Err(ExecError::Condition {
            failure: Failure::Missing,
            message: format!("service {service} has no container to wait for"),
            report: String::new(),
        });
    }
    let mut open: HashMap<String, String> = HashMap::new();
    // Whether "ready" means healthy (a health check ran) or just running.
    let mut checked_health = false;
    for (id, name) in &containers {
        let status = engine.inspect_status(id).await?;
        checked_health |= status.health.is_some();
        match judge(name, condition, &status) {
            Verdict::Met => {}
            Verdict::Pending => {
                open.insert(id.clone(), name.clone());
            }
            Verdict::Failed(failure, message) => {
                return Err(condition_failed(shared, id, failure, message, &status).await);
            }
        }
    }
    let deadline = shared
        .ctx
        .wait_timeout
        .map(|t| tokio::time::Instant::now() + t);
    while !open.is_empty() {
        let next = async {
            loop {
                match events.recv().await {
                    Ok(event) if open.contains_key(&event.container_id) => {
                        return Some(event.container_id);
                    }
                    Ok(_) => {}
                    // Missed events: look at every open container again.
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        return open.keys().next().cloned();
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        };
        let id = tokio::select! {
            id = next => id,
            _ = shared.ctx.cancel.cancelled() => return Err(ExecError::Cancelled),
            _ = sleep_until(deadline) => {
                return Err(ExecError::Timeout(format!(
                    "timed out waiting for {service} ({})", condition.as_str()
                )));
            }
        };
        let Some(id) = id else {
            if shared.ctx.cancel.is_cancelled() {
                return Err(ExecError::Cancelled);
            }
            return Err(ExecError::Engine(feed.ended()));
        };
        let status = engine.inspect_status(&id).await?;
        checked_health |= status.health.is_some();
        let name = open[&id].clone();
        match judge(&name, condition, &status) {
            Verdict::Met => {
                open.remove(&id);
            }
            Verdict::Pending => {}
            Verdict::Failed(failure, message) => {
                return Err(condition_failed(shared, &id, failure, message, &status).await);
            }
        }
    }
    let text = match condition {
        Condition::ServiceCompletedSuccessfully => "Exited",
        Condition::ServiceStarted => "Started",
        _ if checked_health => "Healthy",
        _ => "Running",
    };
    shared
        .ctx
        .events
        .emit(Kind::Service, service, Status::Done, text, "");
    Ok(())
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// `title` and `text` indented under it, for error reports; empty when
/// there is no text.
pub fn indented(title: &str, text: &str) -> String {
    if text.trim().is_empty() {
        return String::new();
    }
    let mut report = format!("{title}\n");
    for line in text.lines() {
        report.push_str("  ");
        report.push_str(line);
        report.push('\n');
    }
    report
}

/// The failure of a condition, with the container's last log lines and
/// its last health probe output, so that a CI log says why.
async fn condition_failed<E: Engine>(
    shared: &Shared<E>,
    id: &str,
    failure: Failure,
    message: String,
    status: &ContainerStatus,
) -> ExecError {
    let mut report = String::new();
    if let Ok(logs) = shared.ctx.engine.tail_logs(id, 20).await {
        report.push_str(&indented("last log lines:", &logs));
    }
    if let Some(probe) = &status.last_probe {
        report.push_str(&indented("last health check output:", probe));
    }
    ExecError::Condition {
        failure,
        message,
        report,
    }
}
