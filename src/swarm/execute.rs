//! Applies a [`Plan`]: networks, configs and secrets first; each service
//! as soon as the services it depends on have converged; then what is no
//! longer used. Progress goes to the caller as [`Event`]s.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use bollard::models::{ConfigSpec, NetworkCreateRequest, SecretSpec};
use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::sync::watch;

use super::convert::{self, FileObject, Stack};
use super::plan::{Kind, ObjectStep, Plan, ServiceAction, ServiceStep};
use super::wait::{self, Snapshot, State, Watch};
use crate::engine::docker::DockerEngine;
use crate::engine::{EngineError, RegistryAuth};

/// What the executor tells as it goes.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Created {
        kind: Kind,
        name: String,
    },
    Updated {
        name: String,
    },
    Unchanged {
        name: String,
    },
    Removed {
        kind: Kind,
        name: String,
    },
    /// A removal the swarm refused because something still uses it.
    KeptInUse {
        kind: Kind,
        name: String,
    },
    Waiting {
        name: String,
        on: String,
    },
    Progress {
        name: String,
        done: u64,
        wanted: u64,
    },
    Converged {
        name: String,
    },
    Warning(String),
    /// What a dry run would do.
    Would(String),
}

#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A network of the stack that is not a network create request.
    #[error("network {name}: {source}")]
    NetworkSpec {
        name: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("service {service} did not converge:\n{report}")]
    Failed { service: String, report: String },
    #[error(
        "service {service} was not started: its dependency {dependency} did not converge:\n{report}"
    )]
    Dependency {
        service: String,
        dependency: String,
        report: String,
    },
}

pub struct Options<'a> {
    /// Return once every change is sent, without waiting for convergence
    /// (dependencies are still waited for).
    pub detach: bool,
    /// Credentials sent with each service, by image (`--with-registry-auth`).
    pub auth: &'a BTreeMap<String, RegistryAuth>,
    pub emit: &'a (dyn Fn(Event) + Sync),
}

/// How often the stack's tasks are listed while waiting.
const POLL: Duration = Duration::from_millis(250);

pub async fn execute(
    engine: &DockerEngine,
    stack: &Stack,
    plan: Plan,
    ids: BTreeMap<String, String>,
    options: &Options<'_>,
) -> Result<(), ExecError> {
    let ids = create_objects(engine, stack, &plan.creates, ids, options).await?;
    let baseline = engine.swarm_tasks(&stack.name).await?;
    let failed_before: HashSet<String> = baseline
        .iter()
        .filter(|t| matches!(t.state.as_str(), "failed" | "rejected"))
        .map(|t| t.id.clone())
        .collect();
    let (sender, receiver) = watch::channel(None::<Snapshot>);
    let needed: HashSet<&str> = plan
        .services
        .iter()
        .flat_map(|s| s.depends_on.iter().map(|(d, _)| d.as_str()))
        .collect();
    let steps: Vec<ServiceStep> = plan
        .services
        .iter()
        .map(|step| {
            let mut spec = step.spec.clone();
            convert::fill_ids(&mut spec, &ids);
            ServiceStep {
                spec,
                ..step.clone()
            }
        })
        .collect();
    let mut services: FuturesUnordered<_> =
        steps
            .iter()
            .map(|step| {
                let waits = !options.detach || needed.contains(step.key.as_str());
                let receiver = receiver.clone();
                let failed_before = &failed_before;
                let all = &steps[..];
                async move {
                    run_service(engine, step, all, receiver, failed_before, waits, options).await
                }
            })
            .collect();
    let poll = async {
        loop {
            let snapshot = tokio::try_join!(
                engine.swarm_services(Some(&stack.name)),
                engine.swarm_tasks(&stack.name)
            )
            .map(|(services, tasks)| Snapshot { services, tasks })?;
            sender.send_replace(Some(snapshot));
            tokio::time::sleep(POLL).await;
        }
        #[allow(unreachable_code)]
        Ok::<(), EngineError>(())
    };
    tokio::pin!(poll);
    while !services.is_empty() {
        tokio::select! {
            done = services.next() => {
                if let Some(result) = done {
                    result?;
                }
            }
            failed = &mut poll => failed?,
        }
    }
    remove_unused(engine, &plan.removals, options).await
}

async fn create_objects(
    engine: &DockerEngine,
    stack: &Stack,
    creates: &[ObjectStep],
    mut ids: BTreeMap<String, String>,
    options: &Options<'_>,
) -> Result<BTreeMap<String, String>, ExecError> {
    for step in creates {
        let id = match step.kind {
            Kind::Network => {
                let network = stack.networks.iter().find(|n| n.name == step.name);
                let create = network.map(|n| n.create.clone()).unwrap_or_default();
                let request: NetworkCreateRequest =
                    serde_json::from_value(create).map_err(|source| ExecError::NetworkSpec {
                        name: step.name.clone(),
                        source,
                    })?;
                engine.create_swarm_network(request).await?
            }
            Kind::Config => {
                let object = find(&stack.configs, &step.name);
                engine.create_swarm_config(config_spec(object)).await?
            }
            Kind::Secret => {
                let object = find(&stack.secrets, &step.name);
                engine.create_swarm_secret(secret_spec(object)).await?
            }
            Kind::Service => continue,
        };
        ids.insert(step.name.clone(), id);
        (options.emit)(Event::Created {
            kind: step.kind,
            name: step.name.clone(),
        });
    }
    Ok(ids)
}

fn find<'a>(objects: &'a [FileObject], name: &str) -> Option<&'a FileObject> {
    objects.iter().find(|o| o.name == name)
}

fn encoded(
    object: Option<&FileObject>,
) -> (
    Option<String>,
    Option<std::collections::HashMap<String, String>>,
    Option<String>,
) {
    use base64::Engine as _;
    let name = object.map(|o| o.name.clone());
    let labels = object.map(|o| o.labels.clone().into_iter().collect());
    let data = object.map(|o| base64::engine::general_purpose::STANDARD.encode(&o.data));
    (name, labels, data)
}

fn config_spec(object: Option<&FileObject>) -> ConfigSpec {
    let (name, labels, data) = encoded(object);
    ConfigSpec {
        name,
        labels,
        data,
        ..Default::default()
    }
}

fn secret_spec(object: Option<&FileObject>) -> SecretSpec {
    let (name, labels, data) = encoded(object);
    SecretSpec {
        name,
        labels,
        data,
        ..Default::default()
    }
}

/// One service: wait for its dependencies, send its spec, then wait for it
/// to converge when asked to.
async fn run_service(
    engine: &DockerEngine,
    step: &ServiceStep,
    all: &[ServiceStep],
    mut receiver: watch::Receiver<Option<Snapshot>>,
    failed_before: &HashSet<String>,
    waits: bool,
    options: &Options<'_>,
) -> Result<(), ExecError> {
    for (dependency, _) in &step.depends_on {
        let Some(dep) = all.iter().find(|s| &s.key == dependency) else {
            continue;
        };
        (options.emit)(Event::Waiting {
            name: step.name.clone(),
            on: dep.name.clone(),
        });
        let watch = Watch {
            name: &dep.name,
            spec: &dep.spec,
            job: dep.job,
            updated: matches!(dep.action, ServiceAction::Update { .. }),
            failed_before,
        };
        if let Err(ExecError::Failed { report, .. }) =
            converge(&watch, &mut receiver, options, false).await
        {
            return Err(ExecError::Dependency {
                service: step.name.clone(),
                dependency: dep.name.clone(),
                report,
            });
        }
    }
    let image = step
        .spec
        .labels
        .as_ref()
        .and_then(|l| l.get(super::IMAGE_LABEL))
        .cloned()
        .unwrap_or_default();
    let auth = options.auth.get(&image);
    match &step.action {
        ServiceAction::Create => {
            engine.create_swarm_service(step.spec.clone(), auth).await?;
            (options.emit)(Event::Created {
                kind: Kind::Service,
                name: step.name.clone(),
            });
        }
        ServiceAction::Update { id, version, .. } => {
            for warning in engine
                .update_swarm_service(id, *version, step.spec.clone(), auth)
                .await?
            {
                (options.emit)(Event::Warning(warning));
            }
            (options.emit)(Event::Updated {
                name: step.name.clone(),
            });
        }
        ServiceAction::Unchanged { .. } => (options.emit)(Event::Unchanged {
            name: step.name.clone(),
        }),
    }
    if !waits {
        return Ok(());
    }
    let watch = Watch {
        name: &step.name,
        spec: &step.spec,
        job: step.job,
        updated: matches!(step.action, ServiceAction::Update { .. }),
        failed_before,
    };
    converge(&watch, &mut receiver, options, true).await
}

/// Waits on the listings until the service converges or fails; with
/// `show`, telling its progress as it changes.
async fn converge(
    watch: &Watch<'_>,
    receiver: &mut watch::Receiver<Option<Snapshot>>,
    options: &Options<'_>,
    show: bool,
) -> Result<(), ExecError> {
    // Only listings made after this point say anything about what was just sent.
    receiver.mark_unchanged();
    let mut last = None;
    loop {
        if receiver.changed().await.is_err() {
            return Ok(());
        }
        let state = match receiver.borrow_and_update().as_ref() {
            Some(snapshot) => wait::state(watch, snapshot),
            None => continue,
        };
        match state {
            State::Converged { .. } => {
                if show {
                    (options.emit)(Event::Converged {
                        name: watch.name.to_string(),
                    });
                }
                return Ok(());
            }
            State::Failed(report) => {
                return Err(ExecError::Failed {
                    service: watch.name.to_string(),
                    report,
                });
            }
            State::Pending { done, wanted } => {
                if show && last != Some((done, wanted)) {
                    last = Some((done, wanted));
                    (options.emit)(Event::Progress {
                        name: watch.name.to_string(),
                        done,
                        wanted,
                    });
                }
            }
        }
    }
}

/// Services pruned, then config and secret versions nothing uses; a
/// version another service still uses is kept.
async fn remove_unused(
    engine: &DockerEngine,
    removals: &[ObjectStep],
    options: &Options<'_>,
) -> Result<(), ExecError> {
    for step in removals {
        let removed = match step.kind {
            Kind::Service => engine.remove_swarm_service(&step.id).await,
            Kind::Config => engine.remove_swarm_config(&step.id).await,
            Kind::Secret => engine.remove_swarm_secret(&step.id).await,
            Kind::Network => engine.remove_swarm_network(&step.id).await,
        };
        let event = match removed {
            Ok(()) => Event::Removed {
                kind: step.kind,
                name: step.name.clone(),
            },
            Err(EngineError::Refused(m) | EngineError::Conflict(m)) if m.contains("in use") => {
                Event::KeptInUse {
                    kind: step.kind,
                    name: step.name.clone(),
                }
            }
            Err(e) => return Err(e.into()),
        };
        (options.emit)(event);
    }
    Ok(())
}
