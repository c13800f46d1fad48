//! The Swarm half of the Engine API (services, tasks, overlay networks,
//! configs, secrets), for `berth stack`.
//!
//! Specs travel as bollard's models: Swarm's service spec is large and
//! berth sends it as the API defines it, so a type of berth's own would only
//! copy it. Everything else comes back as the small records below.

use std::collections::{BTreeMap, HashMap};

use bollard::models::{ConfigSpec, NetworkCreateRequest, SecretSpec, ServiceSpec};
use bollard::query_parameters::{
    ListConfigsOptionsBuilder, ListNetworksOptionsBuilder, ListSecretsOptionsBuilder,
    ListServicesOptionsBuilder, ListTasksOptionsBuilder, UpdateServiceOptionsBuilder,
};

use super::docker::{DockerEngine, credentials};
use super::{EngineError, RegistryAuth, Result};

/// The label `docker stack` puts on everything of a stack.
pub const NAMESPACE: &str = "com.docker.stack.namespace";

/// Whether this engine can take swarm services, and why not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    Manager,
    /// A worker, or a node not in a swarm (`inactive`, `pending`, `locked`...):
    /// its local node state.
    NotManager(String),
}

/// A service as the swarm holds it.
#[derive(Clone, Debug)]
pub struct SwarmService {
    pub id: String,
    pub name: String,
    /// `Version.Index`: every update must name the version it updates.
    pub version: u64,
    pub spec: ServiceSpec,
    /// `updating`, `paused`, `completed`, `rollback_started`...; empty when
    /// it was never updated.
    pub update_state: String,
    pub update_message: String,
    /// Running and desired tasks (`ServiceStatus`, API 1.41).
    pub running: u64,
    pub desired: u64,
    pub completed: u64,
}

impl SwarmService {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.spec.labels.as_ref()?.get(key).map(String::as_str)
    }
}

/// A task (one replica's attempt) as the swarm reports it.
#[derive(Clone, Debug, Default)]
pub struct SwarmTask {
    pub id: String,
    pub service_id: String,
    pub slot: i64,
    pub node_id: String,
    /// `running`, `shutdown`...
    pub desired_state: String,
    /// `new` ... `running`, `complete`, `failed`, `rejected`...
    pub state: String,
    pub message: String,
    /// Why it failed, in the engine's words.
    pub err: String,
    pub exit_code: Option<i64>,
    pub image: String,
    /// The task's spec as the API's JSON: the service's template when the
    /// task was made, so a task of an older spec is told apart.
    pub spec: serde_json::Value,
    /// RFC 3339, from the engine.
    pub created_at: String,
    pub updated_at: String,
}

/// A network, config or secret: what listing it tells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SwarmObject {
    pub id: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
}

/// A config or secret as listed: its ID, name and labels.
type Listed = (
    Option<String>,
    Option<String>,
    Option<HashMap<String, String>>,
);

/// Which configs or secrets to list.
#[derive(Clone, Copy, Debug)]
pub enum Filter<'a> {
    /// Those of a stack.
    Stack(&'a str),
    /// Those with these exact names (external ones).
    Names(&'a [String]),
}

impl Filter<'_> {
    fn query(&self) -> HashMap<String, Vec<String>> {
        match self {
            Filter::Stack(ns) => label_filter(Some(ns)),
            Filter::Names(names) => HashMap::from([("name".to_string(), names.to_vec())]),
        }
    }

    /// The engine matches names by prefix; berth wants them exact.
    fn keeps(&self, name: &str) -> bool {
        match self {
            Filter::Stack(_) => true,
            Filter::Names(names) => names.iter().any(|n| n == name),
        }
    }

    /// Listed configs or secrets (ID, name, labels) that pass.
    fn objects(&self, listed: impl Iterator<Item = Listed>) -> Vec<SwarmObject> {
        listed
            .map(|(id, name, labels)| SwarmObject {
                id: id.unwrap_or_default(),
                name: name.unwrap_or_default(),
                labels: sorted(labels),
            })
            .filter(|o| self.keeps(&o.name))
            .collect()
    }
}

fn label_filter(namespace: Option<&str>) -> HashMap<String, Vec<String>> {
    let label = match namespace {
        Some(ns) => format!("{NAMESPACE}={ns}"),
        None => NAMESPACE.to_string(),
    };
    HashMap::from([("label".to_string(), vec![label])])
}

/// An enum of bollard's as the word the API uses.
fn word<T: serde::Serialize>(value: Option<&T>) -> String {
    value
        .and_then(|v| serde_json::to_value(v).ok())
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn date(value: Option<&bollard::models::BollardDate>) -> String {
    value
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

fn sorted(labels: Option<HashMap<String, String>>) -> BTreeMap<String, String> {
    labels.unwrap_or_default().into_iter().collect()
}

impl DockerEngine {
    /// Whether the engine is a swarm manager (`GET /info`).
    pub async fn swarm_role(&self) -> Result<Role> {
        let info = self.client().info().await.map_err(|e| self.fail(e))?;
        let swarm = info.swarm.unwrap_or_default();
        if swarm.control_available == Some(true) {
            return Ok(Role::Manager);
        }
        let state = word(swarm.local_node_state.as_ref());
        Ok(Role::NotManager(match state.as_str() {
            "active" => "a worker".to_string(),
            "" | "inactive" => "not in a swarm".to_string(),
            other => format!("in swarm state {other:?}"),
        }))
    }

    /// The services of stack `namespace` (of every stack when `None`), with
    /// their task counts, in one call.
    pub async fn swarm_services(&self, namespace: Option<&str>) -> Result<Vec<SwarmService>> {
        let options = ListServicesOptionsBuilder::default()
            .filters(&label_filter(namespace))
            .status(true)
            .build();
        let listed = self
            .client()
            .list_services(Some(options))
            .await
            .map_err(|e| self.fail(e))?;
        Ok(listed
            .into_iter()
            .map(|s| {
                let spec = s.spec.unwrap_or_default();
                let status = s.service_status.unwrap_or_default();
                let update = s.update_status.unwrap_or_default();
                SwarmService {
                    id: s.id.unwrap_or_default(),
                    name: spec.name.clone().unwrap_or_default(),
                    version: s.version.and_then(|v| v.index).unwrap_or_default(),
                    spec,
                    update_state: word(update.state.as_ref()),
                    update_message: update.message.unwrap_or_default(),
                    running: status.running_tasks.unwrap_or_default(),
                    desired: status.desired_tasks.unwrap_or_default(),
                    completed: status.completed_tasks.unwrap_or_default(),
                }
            })
            .collect())
    }

    /// The tasks of stack `namespace`, in one call.
    pub async fn swarm_tasks(&self, namespace: &str) -> Result<Vec<SwarmTask>> {
        let options = ListTasksOptionsBuilder::default()
            .filters(&label_filter(Some(namespace)))
            .build();
        let listed = self
            .client()
            .list_tasks(Some(options))
            .await
            .map_err(|e| self.fail(e))?;
        Ok(listed
            .into_iter()
            .map(|t| {
                let status = t.status.unwrap_or_default();
                SwarmTask {
                    id: t.id.unwrap_or_default(),
                    service_id: t.service_id.unwrap_or_default(),
                    slot: t.slot.unwrap_or_default(),
                    node_id: t.node_id.unwrap_or_default(),
                    desired_state: word(t.desired_state.as_ref()),
                    state: word(status.state.as_ref()),
                    message: status.message.unwrap_or_default(),
                    err: status.err.unwrap_or_default(),
                    exit_code: status.container_status.and_then(|c| c.exit_code),
                    image: t
                        .spec
                        .as_ref()
                        .and_then(|s| s.container_spec.as_ref())
                        .and_then(|c| c.image.clone())
                        .unwrap_or_default(),
                    spec: serde_json::to_value(&t.spec).unwrap_or_default(),
                    created_at: date(t.created_at.as_ref()),
                    updated_at: date(status.timestamp.as_ref()),
                }
            })
            .collect())
    }

    pub async fn swarm_networks(&self, namespace: &str) -> Result<Vec<SwarmObject>> {
        let options = ListNetworksOptionsBuilder::default()
            .filters(&label_filter(Some(namespace)))
            .build();
        let listed = self
            .client()
            .list_networks(Some(options))
            .await
            .map_err(|e| self.fail(e))?;
        Ok(listed
            .into_iter()
            .map(|n| SwarmObject {
                id: n.id.unwrap_or_default(),
                name: n.name.unwrap_or_default(),
                labels: sorted(n.labels),
            })
            .collect())
    }

    pub async fn swarm_configs(&self, filter: Filter<'_>) -> Result<Vec<SwarmObject>> {
        if matches!(filter, Filter::Names([])) {
            return Ok(Vec::new());
        }
        let options = ListConfigsOptionsBuilder::default()
            .filters(&filter.query())
            .build();
        let listed = self.client().list_configs(Some(options)).await;
        let listed = listed.map_err(|e| self.fail(e))?.into_iter();
        Ok(filter.objects(listed.map(|c| {
            let spec = c.spec.unwrap_or_default();
            (c.id, spec.name, spec.labels)
        })))
    }

    pub async fn swarm_secrets(&self, filter: Filter<'_>) -> Result<Vec<SwarmObject>> {
        if matches!(filter, Filter::Names([])) {
            return Ok(Vec::new());
        }
        let options = ListSecretsOptionsBuilder::default()
            .filters(&filter.query())
            .build();
        let listed = self.client().list_secrets(Some(options)).await;
        let listed = listed.map_err(|e| self.fail(e))?.into_iter();
        Ok(filter.objects(listed.map(|c| {
            let spec = c.spec.unwrap_or_default();
            (c.id, spec.name, spec.labels)
        })))
    }

    /// Creates a service; its ID.
    pub async fn create_swarm_service(
        &self,
        spec: ServiceSpec,
        auth: Option<&RegistryAuth>,
    ) -> Result<String> {
        let created = self
            .client()
            .create_service(spec, auth.map(credentials))
            .await
            .map_err(|e| self.fail(e))?;
        Ok(created.id.unwrap_or_default())
    }

    /// Replaces the spec of the service `id`, which must still be at `version`.
    pub async fn update_swarm_service(
        &self,
        id: &str,
        version: u64,
        spec: ServiceSpec,
        auth: Option<&RegistryAuth>,
    ) -> Result<Vec<String>> {
        let version =
            i32::try_from(version).map_err(|_| EngineError::ServiceVersion { version })?;
        let options = UpdateServiceOptionsBuilder::default()
            .version(version)
            .build();
        let updated = self
            .client()
            .update_service(id, spec, options, auth.map(credentials))
            .await
            .map_err(|e| self.fail(e))?;
        Ok(updated.warnings.unwrap_or_default())
    }

    /// Removes a service; one already gone is success.
    pub async fn remove_swarm_service(&self, id: &str) -> Result<()> {
        gone_is_ok(
            self.client()
                .delete_service(id)
                .await
                .map_err(|e| self.fail(e)),
        )
    }

    /// Creates an overlay (or other swarm-scoped) network; its ID.
    pub async fn create_swarm_network(&self, request: NetworkCreateRequest) -> Result<String> {
        let created = self
            .client()
            .create_network(request)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(created.id)
    }

    pub async fn remove_swarm_network(&self, id: &str) -> Result<()> {
        gone_is_ok(
            self.client()
                .remove_network(id)
                .await
                .map_err(|e| self.fail(e)),
        )
    }

    pub async fn create_swarm_config(&self, spec: ConfigSpec) -> Result<String> {
        let created = self
            .client()
            .create_config(spec)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(created.id)
    }

    pub async fn remove_swarm_config(&self, id: &str) -> Result<()> {
        gone_is_ok(
            self.client()
                .delete_config(id)
                .await
                .map_err(|e| self.fail(e)),
        )
    }

    pub async fn create_swarm_secret(&self, spec: SecretSpec) -> Result<String> {
        let created = self
            .client()
            .create_secret(spec)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(created.id)
    }

    pub async fn remove_swarm_secret(&self, id: &str) -> Result<()> {
        gone_is_ok(
            self.client()
                .delete_secret(id)
                .await
                .map_err(|e| self.fail(e)),
        )
    }
}

fn gone_is_ok(result: Result<()>) -> Result<()> {
    match result {
        Err(EngineError::NotFound(_)) => Ok(()),
        other => other,
    }
}
