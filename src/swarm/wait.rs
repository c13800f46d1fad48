//! Whether a service has converged, from one listing of the stack's
//! services and tasks (pure).
//!
//! A swarm emits no events about tasks, so the executor lists the stack's
//! tasks (one call for all of its services) and asks this module about
//! each service. A task whose health check has not passed yet is still
//! `starting`, so `running` means healthy where there is a check.

use std::collections::HashSet;

use crate::engine::swarm::{SwarmService, SwarmTask};

/// One listing of the stack.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub services: Vec<SwarmService>,
    pub tasks: Vec<SwarmTask>,
}

/// Where a service stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// Tasks of its current spec running (or completed, for a job) of those wanted.
    Pending {
        done: u64,
        wanted: u64,
    },
    Converged {
        done: u64,
    },
    /// Why it cannot converge: a task's error as `docker service ps
    /// --no-trunc` shows it, or the update's message.
    Failed(String),
}

/// What the wait knows about a service besides the listing.
pub struct Watch<'a> {
    pub name: &'a str,
    /// The spec sent: its tasks are the current ones (a listing made
    /// before the update still shows the old spec).
    pub spec: &'a bollard::models::ServiceSpec,
    pub job: bool,
    /// Whether this deploy updated it (so its update status is news).
    pub updated: bool,
    /// Tasks that had already failed before the deploy.
    pub failed_before: &'a HashSet<String>,
}

pub fn state(watch: &Watch, snapshot: &Snapshot) -> State {
    let Some(service) = snapshot.services.iter().find(|s| s.name == watch.name) else {
        return State::Pending { done: 0, wanted: 0 };
    };
    if watch.updated {
        match service.update_state.as_str() {
            "paused" | "rollback_paused" | "rollback_completed" => {
                let failed = snapshot.tasks.iter().rev().find(|t| {
                    t.service_id == service.id
                        && matches!(t.state.as_str(), "failed" | "rejected")
                        && !watch.failed_before.contains(&t.id)
                });
                let task = failed.map_or(String::new(), |t| format!("\n{}", report(watch.name, t)));
                return State::Failed(format!(
                    "the update of {} ended {}: {}{task}",
                    watch.name,
                    service.update_state.replace('_', " "),
                    service.update_message
                ));
            }
            _ => {}
        }
    }
    let template = normalized(serde_json::to_value(&watch.spec.task_template));
    let current: Vec<&SwarmTask> = snapshot
        .tasks
        .iter()
        .filter(|t| t.service_id == service.id && normalized(Ok(t.spec.clone())) == template)
        .collect();
    // An update that rolls back on failure is followed to its end: the
    // rollback, not the first failed task, says how it ended.
    let rolls_back = watch.updated
        && watch
            .spec
            .update_config
            .as_ref()
            .and_then(|u| u.failure_action.as_ref())
            .is_some_and(|a| a.to_string() == "rollback");
    if let Some(failed) = current.iter().find(|t| {
        matches!(t.state.as_str(), "failed" | "rejected") && !watch.failed_before.contains(&t.id)
    }) && !rolls_back
    {
        return State::Failed(report(watch.name, failed));
    }
    let mode = watch.spec.mode.as_ref();
    let (done, wanted) = if watch.job {
        let complete = current.iter().filter(|t| t.state == "complete").count() as u64;
        let total = mode
            .and_then(|m| m.replicated_job.as_ref())
            .and_then(|j| j.total_completions)
            .map_or(service.desired.max(1), |n| n.max(0) as u64);
        (complete, total)
    } else {
        let running = current
            .iter()
            .filter(|t| t.state == "running" && t.desired_state == "running")
            .count() as u64;
        let wanted = mode
            .and_then(|m| m.replicated.as_ref())
            .and_then(|r| r.replicas)
            .map_or(service.desired, |n| n.max(0) as u64);
        (running, wanted)
    };
    let updating = matches!(
        service.update_state.as_str(),
        "updating" | "rollback_started"
    );
    if done >= wanted && !updating && (wanted > 0 || !watch.job) {
        State::Converged { done }
    } else {
        State::Pending { done, wanted }
    }
}

fn normalized(value: serde_json::Result<serde_json::Value>) -> serde_json::Value {
    super::diff::normalize(value.unwrap_or_default())
}

/// A failed task as a row of `docker service ps --no-trunc`, with a header.
pub fn report(service: &str, task: &SwarmTask) -> String {
    let exit = task
        .exit_code
        .filter(|c| *c != 0)
        .map_or(String::new(), |c| format!(" (exit code {c})"));
    let error = if task.err.is_empty() {
        &task.message
    } else {
        &task.err
    };
    format!(
        "{:<26} {:<24} {:<24} {:<14} {:<14} ERROR\n{:<26} {:<24} {:<24} {:<14} {:<14} \"{error}\"{exit}",
        "ID",
        "NAME",
        "IMAGE",
        "DESIRED STATE",
        "CURRENT STATE",
        task.id,
        format!("{service}.{}", task.slot),
        task.image,
        capitalized(&task.desired_state),
        capitalized(&task.state),
    )
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
