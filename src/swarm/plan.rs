//! What a deploy changes, and why (pure): the desired [`Stack`] against the
//! [`Observed`] one, service by service and field by field.

use std::fmt;

use bollard::models::ServiceSpec;

use super::convert::{self, Stack};
use super::diff;
use super::observe::Observed;
use crate::reconcile::desired::Condition;

/// What happens to one service.
#[derive(Clone, Debug, PartialEq)]
pub enum ServiceAction {
    Create,
    /// Its spec differs: the reasons, and the version the update names.
    Update {
        id: String,
        version: u64,
        reasons: Vec<String>,
    },
    /// The swarm already holds this spec: nothing is sent.
    Unchanged {
        id: String,
    },
}

#[derive(Clone, Debug)]
pub struct ServiceStep {
    pub key: String,
    pub name: String,
    pub action: ServiceAction,
    /// What is sent, config and secret IDs filled in where they exist.
    pub spec: ServiceSpec,
    pub depends_on: Vec<(String, Condition)>,
    pub job: bool,
    pub healthcheck: bool,
}

/// A network, config or secret created or removed.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectStep {
    pub kind: Kind,
    pub name: String,
    /// The engine's ID, for removals.
    pub id: String,
    pub reason: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Network,
    Config,
    Secret,
    Service,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Network => "network",
            Kind::Config => "config",
            Kind::Secret => "secret",
            Kind::Service => "service",
        })
    }
}

/// A deploy, in the order it runs: objects first, services in `depends_on`
/// order, then what is no longer used.
#[derive(Clone, Debug)]
pub struct Plan {
    pub stack: String,
    pub creates: Vec<ObjectStep>,
    pub services: Vec<ServiceStep>,
    /// Services not in the file (`--prune`), then config and secret
    /// versions no service of the file uses.
    pub removals: Vec<ObjectStep>,
}

/// Why a stack cannot be planned.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{message}")]
pub struct PlanError {
    pub message: String,
    pub hint: String,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Remove the stack's services that the file no longer has.
    pub prune: bool,
}

pub fn plan(desired: &Stack, observed: &Observed, options: Options) -> Result<Plan, PlanError> {
    check_externals(desired, observed)?;
    check_named_objects(desired, observed)?;
    let mut creates = Vec::new();
    for network in desired.networks.iter().filter(|n| !n.external) {
        if !observed.networks.contains_key(&network.name) {
            creates.push(create(Kind::Network, &network.name, "new"));
        }
    }
    let ids = observed.object_ids();
    for (kind, objects) in [
        (Kind::Config, &desired.configs),
        (Kind::Secret, &desired.secrets),
    ] {
        for object in objects.iter().filter(|o| !o.external) {
            if !ids.contains_key(&object.name) {
                let reason = format!("content of {} {:?}", kind, object.key);
                creates.push(create(kind, &object.name, &reason));
            }
        }
    }
    let services = order(desired)?
        .into_iter()
        .map(|key| service_step(&desired.services[key], observed, &ids))
        .collect();
    Ok(Plan {
        stack: desired.name.clone(),
        creates,
        services,
        removals: removals(desired, observed, options),
    })
}

fn create(kind: Kind, name: &str, reason: &str) -> ObjectStep {
    ObjectStep {
        kind,
        name: name.into(),
        id: String::new(),
        reason: reason.into(),
    }
}

/// A config or secret kept under an explicit `name:` cannot take a new
/// version: one whose content changed since berth made it is refused,
/// where using the old content silently would deploy what the file no
/// longer says.
fn check_named_objects(desired: &Stack, observed: &Observed) -> Result<(), PlanError> {
    let held = [
        (Kind::Config, &desired.configs, &observed.configs),
        (Kind::Secret, &desired.secrets, &observed.secrets),
    ];
    for (kind, objects, found) in held {
        for object in objects.iter().filter(|o| !o.external) {
            let wanted = object.labels.get(super::CONTENT_LABEL);
            let had = found
                .iter()
                .find(|f| f.name == object.name)
                .and_then(|f| f.labels.get(super::CONTENT_LABEL));
            if let (Some(wanted), Some(had)) = (wanted, had)
                && wanted != had
            {
                return Err(PlanError {
                    message: format!(
                        "the content of {kind} {:?} changed, but the swarm holds it as {} and a swarm's {kind}s cannot change",
                        object.key, object.name
                    ),
                    hint: format!(
                        "give it a new `name:`, or drop its `name:` so that berth keeps versions of it \
                         (`<stack>_{}_<digest>`)",
                        object.key
                    ),
                });
            }
        }
    }
    Ok(())
}

fn check_externals(desired: &Stack, observed: &Observed) -> Result<(), PlanError> {
    if let Some(name) = observed.missing_networks.first() {
        return Err(PlanError {
            message: format!("the external network {name} does not exist"),
            hint: format!("create it first: docker network create --driver overlay {name}"),
        });
    }
    let externals = desired
        .configs
        .iter()
        .map(|o| (o, "config"))
        .chain(desired.secrets.iter().map(|o| (o, "secret")));
    for (object, kind) in externals.filter(|(o, _)| o.external) {
        if !observed.external_ids.contains_key(&object.name) {
            return Err(PlanError {
                message: format!("the external {kind} {} does not exist", object.name),
                hint: format!("create it first: docker {kind} create {} FILE", object.name),
            });
        }
    }
    Ok(())
}

/// Service keys with every dependency before its dependents.
fn order(desired: &Stack) -> Result<Vec<&String>, PlanError> {
    let mut done: Vec<&String> = Vec::new();
    while done.len() < desired.services.len() {
        let before = done.len();
        for (key, service) in &desired.services {
            let ready = service
                .depends_on
                .iter()
                .all(|(d, _)| done.contains(&d) || !desired.services.contains_key(d));
            if !done.contains(&key) && ready {
                done.push(key);
            }
        }
        if done.len() == before {
            let stuck: Vec<&str> = desired
                .services
                .keys()
                .filter(|k| !done.contains(k))
                .map(String::as_str)
                .collect();
            return Err(PlanError {
                message: format!("depends_on makes a cycle among {}", stuck.join(", ")),
                hint: "remove one of the dependencies".into(),
            });
        }
    }
    Ok(done)
}

fn service_step(
    service: &convert::StackService,
    observed: &Observed,
    ids: &std::collections::BTreeMap<String, String>,
) -> ServiceStep {
    let mut spec = service.spec.clone();
    convert::fill_ids(&mut spec, ids);
    let action = match observed.services.get(&service.name) {
        None => ServiceAction::Create,
        Some(held) => {
            let reasons = diff::reasons(&compared(&spec), &compared(&held.spec));
            if reasons.is_empty() {
                ServiceAction::Unchanged {
                    id: held.id.clone(),
                }
            } else {
                ServiceAction::Update {
                    id: held.id.clone(),
                    version: held.version,
                    reasons,
                }
            }
        }
    };
    ServiceStep {
        key: service.key.clone(),
        name: service.name.clone(),
        action,
        spec,
        depends_on: service.depends_on.clone(),
        job: service.job,
        healthcheck: service.healthcheck,
    }
}

fn compared(spec: &ServiceSpec) -> serde_json::Value {
    diff::normalize(serde_json::to_value(spec).unwrap_or_default())
}

fn removals(desired: &Stack, observed: &Observed, options: Options) -> Vec<ObjectStep> {
    let mut removals = Vec::new();
    let wanted: Vec<&str> = desired.services.values().map(|s| s.name.as_str()).collect();
    if options.prune {
        for (name, held) in &observed.services {
            if !wanted.contains(&name.as_str()) {
                removals.push(ObjectStep {
                    kind: Kind::Service,
                    name: name.clone(),
                    id: held.id.clone(),
                    reason: "not in the file (--prune)".into(),
                });
            }
        }
    }
    for (kind, held, objects) in [
        (Kind::Config, &observed.configs, &desired.configs),
        (Kind::Secret, &observed.secrets, &desired.secrets),
    ] {
        for object in held {
            if !objects.iter().any(|o| o.name == object.name) {
                removals.push(ObjectStep {
                    kind,
                    name: object.name.clone(),
                    id: object.id.clone(),
                    reason: "no longer used".into(),
                });
            }
        }
    }
    removals
}

impl Plan {
    /// Whether the deploy changes nothing.
    pub fn is_empty(&self) -> bool {
        self.creates.is_empty()
            && self.removals.is_empty()
            && self
                .services
                .iter()
                .all(|s| matches!(s.action, ServiceAction::Unchanged { .. }))
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "stack {}:", self.stack)?;
        for step in &self.creates {
            writeln!(f, "  + {} {}  ({})", step.kind, step.name, step.reason)?;
        }
        for service in &self.services {
            match &service.action {
                ServiceAction::Create => writeln!(f, "  + service {}", service.name)?,
                ServiceAction::Update { reasons, .. } => {
                    writeln!(f, "  ~ service {}: {}", service.name, reasons.join("; "))?;
                }
                ServiceAction::Unchanged { .. } => {
                    writeln!(f, "  = service {}  (unchanged)", service.name)?;
                }
            }
        }
        for step in &self.removals {
            writeln!(f, "  - {} {}  ({})", step.kind, step.name, step.reason)?;
        }
        Ok(())
    }
}
