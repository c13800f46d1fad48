//! Runs a plan: a DAG scheduler with one concurrency limit. An action starts
//! the moment the actions it comes after are done; waits follow the
//! engine's event stream instead of polling.
//!
//! This module schedules the actions; `actions` runs each kind of action
//! against the engine, `wait` follows a service's containers until they
//! meet a condition.

mod actions;
mod wait;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{Semaphore, broadcast};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::desired::Desired;
use super::plan::{Op, Plan};
use super::schedule::Schedule;
use crate::engine::{Engine, EngineError};
use crate::events::{Emitter, Kind, Status, Word};

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
    /// A lifecycle hook exited non-zero; `output` is what it printed.
    #[error(
        "service {service}: {kind} hook {command:?} exited with {code} in {container}{}",
        if output.is_empty() { String::new() } else { format!(": {output}") }
    )]
    Hook {
        service: String,
        kind: &'static str,
        command: String,
        code: i64,
        container: String,
        output: String,
    },
    #[error("{0}")]
    HostFile(#[from] crate::reconcile::host_files::HostFileError),
    #[error("{0}")]
    NoContainer(#[from] crate::reconcile::references::NoContainer),
    /// A task of the executor panicked or was aborted.
    #[error("{0}")]
    Task(String),
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
                            let _ = why.set(EngineError::EventFeedEnded);
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
            .unwrap_or(EngineError::EventFeedEnded)
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

    fn emit(&self, kind: Kind, name: &str, status: Status, text: Word) {
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

    let mut schedule = Schedule::new(plan.dag());
    let mut running: JoinSet<(usize, Result<(), ExecError>)> = JoinSet::new();
    let mut failure: Option<ExecError> = None;

    loop {
        while let Some(id) = schedule.next_ready() {
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
                failure.get_or_insert(ExecError::Task(e.to_string()));
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
                    Word::Skipped,
                    &e.to_string(),
                );
                Ok(())
            }
            (_, result) => result,
        };
        match result {
            Ok(()) => schedule.done(id),
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

/// Runs one action, within the concurrency limits; a wait takes none.
async fn run_action<E: Engine>(shared: &Shared<E>, op: &Op) -> Result<(), ExecError> {
    if let Op::Wait {
        service, condition, ..
    } = op
    {
        return wait::wait(shared, service, *condition).await;
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
    actions::perform(shared, op).await
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

#[cfg(test)]
mod tests;
