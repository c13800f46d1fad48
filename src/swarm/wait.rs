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

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::ServiceSpec;

    fn spec(json: serde_json::Value) -> ServiceSpec {
        serde_json::from_value(json).unwrap()
    }

    fn web(replicas: u64, args: &str) -> ServiceSpec {
        spec(serde_json::json!({
            "Name": "s_web",
            "TaskTemplate": {"ContainerSpec": {"Image": "busybox", "Args": [args]}},
            "Mode": {"Replicated": {"Replicas": replicas}},
            "UpdateConfig": {"FailureAction": "rollback"},
        }))
    }

    fn service(spec: &ServiceSpec, update_state: &str) -> SwarmService {
        SwarmService {
            id: "svc".into(),
            name: "s_web".into(),
            version: 1,
            spec: spec.clone(),
            update_state: update_state.into(),
            update_message: "update rolled back due to failure".into(),
            running: 0,
            desired: 0,
            completed: 0,
        }
    }

    fn task(id: &str, spec: &ServiceSpec, state: &str) -> SwarmTask {
        SwarmTask {
            id: id.into(),
            service_id: "svc".into(),
            slot: 1,
            desired_state: if state == "running" {
                "running"
            } else {
                "shutdown"
            }
            .into(),
            state: state.into(),
            err: if state == "failed" {
                "task: non-zero exit (3)".into()
            } else {
                String::new()
            },
            exit_code: (state == "failed").then_some(3),
            image: "busybox".into(),
            spec: serde_json::to_value(&spec.task_template).unwrap(),
            ..Default::default()
        }
    }

    fn watch<'a>(spec: &'a ServiceSpec, updated: bool, before: &'a HashSet<String>) -> Watch<'a> {
        Watch {
            name: "s_web",
            spec,
            job: false,
            updated,
            failed_before: before,
        }
    }

    #[test]
    fn tasks_of_the_spec_before_an_update_do_not_count() {
        let (old, new) = (web(2, "old"), web(2, "new"));
        let none = HashSet::new();
        // A listing made before the update: the old spec, its tasks running.
        let stale = Snapshot {
            services: vec![service(&old, "")],
            tasks: vec![task("a", &old, "running"), task("b", &old, "running")],
        };
        let pending = State::Pending { done: 0, wanted: 2 };
        assert_eq!(state(&watch(&new, true, &none), &stale), pending);
        let fresh = Snapshot {
            services: vec![service(&new, "completed")],
            tasks: vec![task("c", &new, "running"), task("d", &new, "running")],
        };
        assert_eq!(
            state(&watch(&new, true, &none), &fresh),
            State::Converged { done: 2 }
        );
    }

    #[test]
    fn a_failed_task_fails_a_new_service_with_its_error() {
        let new = web(1, "new");
        let none = HashSet::new();
        let listing = Snapshot {
            services: vec![service(&new, "")],
            tasks: vec![task("t1", &new, "failed")],
        };
        let State::Failed(report) = state(&watch(&new, false, &none), &listing) else {
            panic!("not failed");
        };
        assert!(
            report.contains("\"task: non-zero exit (3)\" (exit code 3)"),
            "{report}"
        );
        // A task that had failed before the deploy is old news.
        let before = HashSet::from(["t1".to_string()]);
        assert!(matches!(
            state(&watch(&new, false, &before), &listing),
            State::Pending { .. }
        ));
    }

    #[test]
    fn an_update_that_rolls_back_is_followed_to_its_end() {
        let new = web(1, "new");
        let none = HashSet::new();
        let failing = Snapshot {
            services: vec![service(&new, "updating")],
            tasks: vec![task("t1", &new, "failed")],
        };
        assert!(matches!(
            state(&watch(&new, true, &none), &failing),
            State::Pending { .. }
        ));
        let rolled_back = Snapshot {
            services: vec![service(&new, "rollback_completed")],
            ..failing
        };
        let State::Failed(report) = state(&watch(&new, true, &none), &rolled_back) else {
            panic!("not failed");
        };
        assert!(report.contains("ended rollback completed"), "{report}");
        assert!(report.contains("exit code 3"), "{report}");
    }
}
