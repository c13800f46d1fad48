//! Waiting for a service's containers to meet a condition (started,
//! healthy, completed), following the engine's events instead of polling.

use std::collections::HashMap;

use tokio::sync::broadcast;

use super::{EventFeed, ExecError, Failure, Shared, indented};
use crate::engine::{ContainerStatus, Engine, EngineError, Event, Health, RunState};
use crate::events::{Kind, Status, Word};
use crate::reconcile::desired::Condition;
use crate::reconcile::references;

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
pub(super) async fn wait<E: Engine>(
    shared: &Shared<E>,
    service: &str,
    condition: Condition,
) -> Result<(), ExecError> {
    let feed = shared
        .engine_events
        .as_ref()
        .ok_or(ExecError::Engine(EngineError::NoEventFeed))?;
    let mut events = feed.subscribe();
    shared.ctx.events.emit(
        Kind::Service,
        service,
        Status::Working,
        Word::Waiting,
        condition.as_str(),
    );
    let containers = replicas(shared, service).await?;
    if containers.is_empty() {
        return Err(ExecError::Condition {
            failure: Failure::Missing,
            message: format!("service {service} has no container to wait for"),
            report: String::new(),
        });
    }
    let mut waiting = Waiting {
        shared,
        feed,
        service,
        condition,
        open: HashMap::new(),
        checked_health: false,
    };
    for (id, name) in &containers {
        if !waiting.met(id, name).await? {
            waiting.open.insert(id.clone(), name.clone());
        }
    }
    let deadline = shared
        .ctx
        .wait_timeout
        .map(|t| tokio::time::Instant::now() + t);
    while !waiting.open.is_empty() {
        let id = waiting.next_change(&mut events, deadline).await?;
        let name = waiting.open[&id].clone();
        if waiting.met(&id, &name).await? {
            waiting.open.remove(&id);
        }
    }
    let text = match condition {
        Condition::ServiceCompletedSuccessfully => Word::Exited,
        Condition::ServiceStarted => Word::Started,
        _ if waiting.checked_health => Word::Healthy,
        _ => Word::Running,
    };
    shared
        .ctx
        .events
        .emit(Kind::Service, service, Status::Done, text, "");
    Ok(())
}

/// The service's replicas, (ID, name), by their names: not a copy that an
/// interrupted recreate left under a temporary name (it may never start).
async fn replicas<E: Engine>(
    shared: &Shared<E>,
    service: &str,
) -> Result<Vec<(String, String)>, ExecError> {
    let listed = shared
        .ctx
        .engine
        .list_containers(&shared.ctx.desired.project)
        .await?;
    let replicas = references::replicas_of(
        &shared.ctx.desired,
        service,
        listed
            .iter()
            .filter(|c| !c.is_oneoff() && c.service() == service)
            .map(|c| (c.name.as_str(), c.id.as_str())),
    );
    Ok(replicas
        .into_iter()
        .map(|replica| (replica.id, replica.name))
        .collect())
}

/// A wait under way: the containers that do not meet the condition yet.
struct Waiting<'a, E: Engine> {
    shared: &'a Shared<E>,
    feed: &'a EventFeed,
    service: &'a str,
    condition: Condition,
    /// Container ID → name, of those that do not meet it yet.
    open: HashMap<String, String>,
    /// Whether "ready" means healthy (a health check ran) or just running.
    checked_health: bool,
}

impl<E: Engine> Waiting<'_, E> {
    /// Whether the container meets the condition now; an error when it
    /// never will.
    async fn met(&mut self, id: &str, name: &str) -> Result<bool, ExecError> {
        let status = self.shared.ctx.engine.inspect_status(id).await?;
        self.checked_health |= status.health.is_some();
        match judge(name, self.condition, &status) {
            Verdict::Met => Ok(true),
            Verdict::Pending => Ok(false),
            Verdict::Failed(failure, message) => {
                Err(condition_failed(self.shared, id, failure, message, &status).await)
            }
        }
    }

    /// The ID of the next open container the engine reports an event
    /// about. Fails when interrupted, at the deadline, or when the event
    /// stream ends.
    async fn next_change(
        &self,
        events: &mut broadcast::Receiver<Event>,
        deadline: Option<tokio::time::Instant>,
    ) -> Result<String, ExecError> {
        let open = &self.open;
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
        let cancel = &self.shared.ctx.cancel;
        let id = tokio::select! {
            id = next => id,
            _ = cancel.cancelled() => return Err(ExecError::Cancelled),
            _ = sleep_until(deadline) => {
                return Err(ExecError::Timeout(format!(
                    "timed out waiting for {} ({})", self.service, self.condition.as_str()
                )));
            }
        };
        match id {
            Some(id) => Ok(id),
            None if cancel.is_cancelled() => Err(ExecError::Cancelled),
            None => Err(ExecError::Engine(self.feed.ended())),
        }
    }
}

/// Sleeps until `deadline`, or forever without one.
async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
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
