//! One service's containers in the plan of `up`: the replicas it keeps,
//! recreates, renames, starts or restarts, those it scales down, the
//! missing ones it creates, and the waits its starts come after.

use crate::engine::spec::MountKind;
use std::collections::BTreeMap;

use super::super::change::recreate_reason;
use super::super::{Op, container_name, is_anonymous, is_one_shot};
use super::networks::{Halted, reconnect};
use super::{Recreate, Up};
use crate::engine::spec::MountSpec;
use crate::engine::{Container, RunState};
use crate::reconcile::desired::{Condition, Dependency, DesiredService};

/// The service whose containers are planned, with what they all share.
struct Target<'a> {
    name: &'a str,
    service: &'a DesiredService,
    /// The nodes its containers are created after: its networks and
    /// volumes, its namespace parents, its dependencies' containers.
    prerequisites: Vec<usize>,
    /// A recreated dependency with `restart: true`, if there is one: the
    /// running containers restart with it, as Docker Compose does.
    restart_trigger: Option<String>,
}

/// A start to plan: the container, the nodes it comes after, and why.
struct Start {
    container: String,
    after: Vec<usize>,
    reason: String,
}

/// What a service's containers need: the nodes that make them exist (for
/// those that come after), and the starts to plan once its dependencies allow.
#[derive(Default)]
struct Replicas {
    creates: Vec<usize>,
    starts: Vec<Start>,
}

impl Replicas {
    fn start(
        &mut self,
        container: impl Into<String>,
        after: Vec<usize>,
        reason: impl Into<String>,
    ) {
        self.starts.push(Start {
            container: container.into(),
            after,
            reason: reason.into(),
        });
    }
}

/// A container of the service, with why it must be recreated (if it must).
type Existing<'a> = (&'a Container, Option<String>);

impl<'a> Up<'a> {
    /// Plans the containers of service `name`, whose dependencies are planned.
    pub(super) fn service(&mut self, name: &str) {
        let desired = self.desired;
        let (name, service) = desired
            .services
            .get_key_value(name)
            .expect("the order lists the services of the project");
        let target = Target {
            name,
            service,
            prerequisites: self.prerequisites(service),
            restart_trigger: self.restart_trigger(service),
        };
        let existing = self.existing(&target);
        let wanted = service.replicas as usize;
        let scaled_down = self.scale_down(&existing, wanted);
        let mut replicas = Replicas::default();
        for (container, reason) in existing.iter().take(wanted) {
            self.keep(
                &target,
                container,
                reason.as_deref(),
                &scaled_down,
                &mut replicas,
            );
        }
        self.add_missing(&target, &existing, &mut replicas);
        // Starts wait for the dependencies' conditions.
        let gates = if replicas.starts.is_empty() {
            Vec::new()
        } else {
            self.start_gates(name, service)
        };
        let mut start_ids = Vec::new();
        for start in replicas.starts {
            let mut after = gates.clone();
            after.extend(start.after);
            let op = Op::StartContainer {
                service: name.clone(),
                name: start.container,
            };
            start_ids.push(self.plan.push(op, after, start.reason));
        }
        self.created_nodes.insert(name.clone(), replicas.creates);
        self.started_nodes.insert(name.clone(), start_ids);
    }

    /// The nodes the service's containers are created after.
    fn prerequisites(&self, service: &DesiredService) -> Vec<usize> {
        let mut prerequisites: Vec<usize> = Vec::new();
        prerequisites.extend(
            service
                .networks
                .iter()
                .filter_map(|k| self.network_nodes.get(k.as_str())),
        );
        prerequisites.extend(
            service
                .volumes
                .iter()
                .filter_map(|k| self.volume_nodes.get(k.as_str())),
        );
        for parent in &service.parents {
            prerequisites.extend(self.started(parent));
            prerequisites.extend(self.created(parent));
        }
        // Containers are created in dependency order, as Docker Compose does.
        for dep in service.depends_on.keys() {
            prerequisites.extend(self.created(dep));
        }
        prerequisites
    }

    /// The first recreated dependency whose dependents restart with it.
    fn restart_trigger(&self, service: &DesiredService) -> Option<String> {
        service
            .depends_on
            .iter()
            .find(|(dep, d)| d.restart && self.recreated.contains(dep.as_str()))
            .map(|(dep, _)| dep.clone())
    }

    /// What `--force-recreate`, `--no-recreate` and their dependency
    /// counterparts ask of the service.
    fn strategy(&self, name: &str) -> Recreate {
        if self.targeted(name) {
            self.options.recreate
        } else {
            self.options.dependencies_recreate
        }
    }

    /// The service's containers, with why each must be recreated:
    /// up-to-date ones first, then by replica number.
    fn existing(&self, target: &Target<'a>) -> Vec<Existing<'a>> {
        let (desired, observed, service) = (self.desired, self.observed, target.service);
        let recreated_parent = service
            .parents
            .iter()
            .find(|p| self.recreated.contains(p.as_str()))
            .map(String::as_str);
        let strategy = self.strategy(target.name);
        let mut existing: Vec<Existing<'a>> = observed
            .service_containers(target.name)
            .filter(|c| !self.doomed.contains(c.id.as_str()))
            .map(|c| {
                let reason = match strategy {
                    Recreate::Force => Some("--force-recreate".to_string()),
                    Recreate::Never => None,
                    Recreate::Diverged => {
                        recreate_reason(c, service, desired, observed, recreated_parent)
                    }
                };
                (c, reason)
            })
            .collect();
        // Of two copies of one replica, the one an interrupted recreate left
        // under a temporary name wins: it is the newer, and the original may
        // be stopping already (the interrupted run asked the engine to).
        existing.sort_by_key(|(c, reason)| {
            let original = c.name == container_name(desired, service, c.number().max(1));
            (reason.is_some(), c.number(), original, c.created)
        });
        existing
    }

    /// Removes the containers beyond the `wanted` first; returns the nodes
    /// that remove them.
    fn scale_down(&mut self, existing: &[Existing<'a>], wanted: usize) -> Vec<usize> {
        let mut scaled_down = Vec::new();
        for (container, _) in existing.iter().skip(wanted) {
            self.halted.remove(&container.name);
            let reason = format!("scaled down to {wanted}");
            let (_, gone) =
                self.plan
                    .retire(container, vec![], &reason, self.options.timeout, false);
            scaled_down.push(gone);
        }
        scaled_down
    }

    /// Plans a replica that stays: recreated if it diverged, renamed if an
    /// interrupted recreate left it under a temporary name, else started
    /// or restarted as its state asks.
    fn keep(
        &mut self,
        target: &Target<'a>,
        container: &Container,
        reason: Option<&str>,
        scaled_down: &[usize],
        replicas: &mut Replicas,
    ) {
        let number = container.number().max(1);
        let halt = self.halted.remove(&container.name);
        if let Some(reason) = reason {
            self.recreate(target, container, number, reason, replicas);
        } else if container.name != container_name(self.desired, target.service, number) {
            self.rename(
                target,
                container,
                number,
                halt.as_ref(),
                scaled_down,
                replicas,
            );
        } else {
            self.resume(target, container, halt.as_ref(), replicas);
        }
    }

    /// Replaces `container`: the new one is created under a temporary name,
    /// the old one removed, and the new one renamed to take its place.
    fn recreate(
        &mut self,
        target: &Target<'a>,
        container: &Container,
        number: u32,
        reason: &str,
        replicas: &mut Replicas,
    ) {
        let name = target.name;
        self.recreated.insert(name.to_string());
        let final_name = container_name(self.desired, target.service, number);
        let short_id: String = container.id.chars().take(12).collect();
        let temp_name = format!("{short_id}_{final_name}");
        let inherit = if self.options.renew_anonymous_volumes {
            BTreeMap::new()
        } else {
            anonymous_volumes(container, &target.service.spec.mounts)
        };
        let create = self.plan.push(
            Op::CreateContainer {
                service: name.to_string(),
                name: temp_name.clone(),
                number,
                inherit,
                replaces: Some(container.name.clone()),
            },
            target.prerequisites.clone(),
            format!("recreate: {reason}"),
        );
        let reason = format!("replaced by {temp_name}");
        let (_, remove) = self.plan.retire(
            container,
            vec![create],
            &reason,
            self.options.timeout,
            false,
        );
        let rename = self.plan.push(
            Op::RenameContainer {
                service: name.to_string(),
                name: temp_name,
                to: final_name.clone(),
            },
            vec![remove],
            format!("takes the place of {}", container.name),
        );
        replicas.creates.push(rename);
        if !self.options.no_start {
            replicas.start(final_name, vec![rename], "recreated");
        }
    }

    /// Gives its name back to a replica an interrupted recreate left under
    /// its temporary name, and starts it unless it runs.
    fn rename(
        &mut self,
        target: &Target<'a>,
        container: &Container,
        number: u32,
        halt: Option<&Halted>,
        scaled_down: &[usize],
        replicas: &mut Replicas,
    ) {
        let final_name = container_name(self.desired, target.service, number);
        let rename = self.plan.push(
            Op::RenameContainer {
                service: target.name.to_string(),
                name: container.name.clone(),
                to: final_name.clone(),
            },
            scaled_down.to_vec(),
            "an interrupted recreate left it under a temporary name",
        );
        replicas.creates.push(rename);
        let mut after = reconnect(
            &mut self.plan,
            container,
            &final_name,
            target.service,
            halt,
            &[rename],
        );
        after.push(rename);
        let was_running = halt.is_some_and(|h| h.stop.is_some());
        if !self.options.no_start && (container.state != RunState::Running || was_running) {
            replicas.start(final_name, after, "created");
        }
    }

    /// A replica that is up to date: reconnected to recreated networks, and
    /// started unless it runs (or is a completed job), or restarted with a
    /// recreated dependency.
    fn resume(
        &mut self,
        target: &Target<'a>,
        container: &Container,
        halt: Option<&Halted>,
        replicas: &mut Replicas,
    ) {
        let reconnects = reconnect(
            &mut self.plan,
            container,
            &container.name,
            target.service,
            halt,
            &[],
        );
        if self.options.no_start {
            return;
        }
        let name = container.name.clone();
        match container.state {
            RunState::Running | RunState::Restarting if halt.is_some_and(|h| h.stop.is_some()) => {
                replicas.start(name, reconnects, "its network was recreated");
            }
            RunState::Running | RunState::Restarting => {
                if let Some(trigger) = &target.restart_trigger {
                    self.restart_with(target, trigger, container, replicas);
                }
            }
            // A one-shot job that completed and has not changed is done.
            RunState::Exited
                if container.exit_code == Some(0)
                    && is_one_shot(target.name, self.desired)
                    && !self.options.rerun_jobs => {}
            state => replicas.start(name, reconnects, format!("{state:?}").to_lowercase()),
        }
    }

    /// Stops a running container and starts it again, as Docker Compose
    /// restarts the dependents (`restart: true`) of a recreated dependency.
    fn restart_with(
        &mut self,
        target: &Target<'a>,
        trigger: &str,
        container: &Container,
        replicas: &mut Replicas,
    ) {
        let stop = self.plan.push(
            Op::StopContainer {
                service: target.name.to_string(),
                name: container.name.clone(),
                timeout: self.options.timeout,
            },
            vec![],
            format!("{trigger} is recreated (restart: true)"),
        );
        replicas.start(
            container.name.clone(),
            vec![stop],
            format!("{trigger} is recreated (restart: true)"),
        );
    }

    /// Creates the missing replicas, numbered after the highest in use.
    fn add_missing(
        &mut self,
        target: &Target<'a>,
        existing: &[Existing<'a>],
        replicas: &mut Replicas,
    ) {
        let wanted = target.service.replicas as usize;
        let mut next = existing.iter().map(|(c, _)| c.number()).max().unwrap_or(0);
        for _ in existing.len().min(wanted)..wanted {
            next += 1;
            let container = container_name(self.desired, target.service, next);
            let create = self.plan.push(
                Op::CreateContainer {
                    service: target.name.to_string(),
                    name: container.clone(),
                    number: next,
                    inherit: BTreeMap::new(),
                    replaces: None,
                },
                target.prerequisites.clone(),
                format!("replica {next} of {wanted} does not exist"),
            );
            replicas.creates.push(create);
            if !self.options.no_start {
                replicas.start(container, vec![create], "created");
            }
        }
    }

    /// The nodes the service's starts come after: its dependencies' starts,
    /// or waits for their conditions, and its namespace parents' starts.
    fn start_gates(&mut self, name: &str, service: &DesiredService) -> Vec<usize> {
        let mut gates: Vec<usize> = Vec::new();
        for (dep, dependency) in &service.depends_on {
            let Some(dep_service) = self.desired.services.get(dep) else {
                continue;
            };
            if dep_service.replicas == 0 {
                continue;
            }
            if dependency.condition == Condition::ServiceStarted {
                gates.extend(self.started(dep));
            } else {
                gates.push(self.wait_for(dep, dependency, name));
            }
        }
        for parent in &service.parents {
            gates.extend(self.started(parent));
        }
        gates
    }

    /// The node that waits for `dep` to meet the condition of `dependency`,
    /// made the first time a dependent (`name`) needs it.
    fn wait_for(&mut self, dep: &str, dependency: &Dependency, name: &str) -> usize {
        let key = (dep.to_string(), dependency.condition);
        if let Some(&wait) = self.waits.get(&key) {
            return wait;
        }
        let after = self.started_nodes.get(dep).cloned().unwrap_or_default();
        let wait = self.plan.push(
            Op::Wait {
                service: dep.to_string(),
                condition: dependency.condition,
                required: dependency.required,
            },
            after,
            format!("{name} depends on it"),
        );
        self.waits.insert(key, wait);
        wait
    }
}

/// The old container's anonymous volumes that the new one takes over: those
/// at targets where the file names no source (or that the image declares).
fn anonymous_volumes(container: &Container, mounts: &[MountSpec]) -> BTreeMap<String, String> {
    container
        .mounts
        .iter()
        .filter(|m| m.kind == Some(MountKind::Volume) && is_anonymous(&m.name))
        .filter(|m| {
            !mounts.iter().any(|d| {
                d.target == m.destination && !(d.kind == MountKind::Volume && d.source.is_empty())
            })
        })
        .map(|m| (m.destination.clone(), m.name.clone()))
        .collect()
}
