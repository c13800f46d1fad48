//! An engine in memory, for unit tests of observe, plan and execute.
//!
//! It keeps containers, networks and volumes in a map, answers the list
//! and inspect calls from it, and sends the events a real engine would
//! (start, die, health). Every call that changes something is recorded
//! with when it began and ended, on one clock of call steps, and takes a
//! little time (`delay`), so that tests can check order and concurrency.
//! Calls can be made to fail, and services to exit or turn (un)healthy.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::stream::{self, BoxStream, StreamExt};
use tokio::sync::broadcast;

use super::spec::NetworkAttachment;
use super::{
    Activity, ApiVersion, AttachOptions, BuildOutput, BuildSpec, CommitSpec, Container,
    ContainerEvent, ContainerSpec, ContainerStatus, Created, Engine, EngineError, Event, ExecSpec,
    FileCopy, Health, ImageInfo, LogChunk, LogOptions, Network, NetworkSpec, RegistryAuth, Result,
    RunState, Session, Transfer, Usage, Volume, VolumeSpec, labels,
};

/// What the containers of a service do once started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnStart {
    /// Run, without a health check.
    #[default]
    Run,
    /// Run, and turn healthy after `delay`.
    TurnHealthy,
    /// Run, and turn unhealthy after `delay`.
    TurnUnhealthy,
    /// Run with a health check that never ends starting.
    StayStarting,
    /// Exit with this code after `delay`.
    Exit(i64),
}

/// One call that changed something: what, on what, and when (in steps of
/// the fake's clock, which ticks at every begin and end).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub op: &'static str,
    pub target: String,
    pub began: u64,
    pub ended: Option<u64>,
}

#[derive(Clone, Debug)]
struct FakeContainer {
    container: Container,
    status: ContainerStatus,
}

#[derive(Default)]
struct State {
    containers: BTreeMap<String, FakeContainer>,
    networks: Vec<Network>,
    volumes: Vec<Volume>,
    calls: Vec<Call>,
    clock: u64,
    in_flight: usize,
    max_in_flight: usize,
    next_id: u64,
    /// `(op, target)` → the error that call fails with.
    failures: BTreeMap<(String, String), EngineError>,
    on_start: BTreeMap<String, OnStart>,
}

/// The in-memory engine; clones share one state.
#[derive(Clone)]
pub struct FakeEngine {
    state: Arc<Mutex<State>>,
    events: broadcast::Sender<Event>,
    delay: Duration,
}

impl Default for FakeEngine {
    fn default() -> Self {
        FakeEngine::new(Duration::from_millis(2))
    }
}

impl FakeEngine {
    /// An empty engine whose calls each take `delay`.
    pub fn new(delay: Duration) -> FakeEngine {
        FakeEngine {
            state: Arc::default(),
            events: broadcast::channel(1024).0,
            delay,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .expect("the fake's state is never poisoned")
    }

    /// Makes the call `op` (`start`, `create_network`...) on `target` (a
    /// container, network or volume name) fail with `error`.
    pub fn fail(&self, op: &str, target: &str, error: EngineError) {
        self.state()
            .failures
            .insert((op.to_string(), target.to_string()), error);
    }

    /// What the containers of `service` do once started.
    pub fn on_start(&self, service: &str, behaviour: OnStart) {
        self.state().on_start.insert(service.to_string(), behaviour);
    }

    /// A network made outside the project (no labels), such as an
    /// external one.
    pub fn add_network(&self, name: &str) {
        let mut state = self.state();
        state.next_id += 1;
        let id = format!("net{}", state.next_id);
        state.networks.push(Network {
            id,
            name: name.to_string(),
            labels: BTreeMap::new(),
        });
    }

    /// Every call so far, in the order they began.
    pub fn calls(&self) -> Vec<Call> {
        self.state().calls.clone()
    }

    /// The most calls that were under way at once.
    pub fn max_in_flight(&self) -> usize {
        self.state().max_in_flight
    }

    /// The names of the containers, sorted.
    pub fn container_names(&self) -> Vec<String> {
        let state = self.state();
        let mut names: Vec<String> = state
            .containers
            .values()
            .map(|c| c.container.name.clone())
            .collect();
        names.sort();
        names
    }

    /// Runs a changing call: records it, fails it when asked, lets the
    /// clock and the other tasks move during `delay`, then applies `change`.
    async fn call<T>(
        &self,
        op: &'static str,
        target: &str,
        change: impl FnOnce(&mut State) -> Result<T>,
    ) -> Result<T> {
        let index = {
            let mut state = self.state();
            state.clock += 1;
            let began = state.clock;
            state.calls.push(Call {
                op,
                target: target.to_string(),
                began,
                ended: None,
            });
            state.in_flight += 1;
            state.max_in_flight = state.max_in_flight.max(state.in_flight);
            state.calls.len() - 1
        };
        tokio::time::sleep(self.delay).await;
        let mut state = self.state();
        state.clock += 1;
        state.calls[index].ended = Some(state.clock);
        state.in_flight -= 1;
        if let Some(error) = state.failures.get(&(op.to_string(), target.to_string())) {
            return Err(error.clone());
        }
        change(&mut state)
    }

    fn container_mut<'a>(state: &'a mut State, id: &str) -> Result<&'a mut FakeContainer> {
        state
            .containers
            .get_mut(id)
            .ok_or_else(|| EngineError::NotFound(format!("No such container: {id}")))
    }

    fn name_of(&self, id: &str) -> String {
        self.state()
            .containers
            .get(id)
            .map_or_else(|| id.to_string(), |c| c.container.name.clone())
    }

    /// Sets the container's state after its start, now or after `delay`,
    /// and sends the events of the change.
    fn started(&self, id: &str) {
        let behaviour = {
            let mut state = self.state();
            let Some(c) = state.containers.get_mut(id) else {
                return;
            };
            c.status.state = RunState::Running;
            c.container.state = RunState::Running;
            let service = c.container.service().to_string();
            let behaviour = state.on_start.get(&service).copied().unwrap_or_default();
            if let Some(c) = state.containers.get_mut(id)
                && matches!(
                    behaviour,
                    OnStart::TurnHealthy | OnStart::TurnUnhealthy | OnStart::StayStarting
                )
            {
                c.status.health = Some(Health::Starting);
            }
            behaviour
        };
        self.send(id, ContainerEvent::Started);
        let later = match behaviour {
            OnStart::TurnHealthy => Some(ContainerEvent::Health(Health::Healthy)),
            OnStart::TurnUnhealthy => Some(ContainerEvent::Health(Health::Unhealthy)),
            OnStart::Exit(exit_code) => Some(ContainerEvent::Died { exit_code }),
            OnStart::Run | OnStart::StayStarting => None,
        };
        if let Some(event) = later {
            let (fake, id) = (self.clone(), id.to_string());
            tokio::spawn(async move {
                tokio::time::sleep(fake.delay).await;
                fake.apply(&id, &event);
                fake.send(&id, event);
            });
        }
    }

    fn apply(&self, id: &str, event: &ContainerEvent) {
        let mut state = self.state();
        let Some(c) = state.containers.get_mut(id) else {
            return;
        };
        match event {
            ContainerEvent::Health(health) => c.status.health = Some(*health),
            ContainerEvent::Died { exit_code } => {
                c.status.state = RunState::Exited;
                c.status.exit_code = *exit_code;
                c.container.state = RunState::Exited;
                c.container.exit_code = Some(*exit_code);
            }
            ContainerEvent::Started | ContainerEvent::Destroyed => {}
        }
    }

    fn send(&self, id: &str, what: ContainerEvent) {
        let _ = self.events.send(Event {
            container_id: id.to_string(),
            what,
        });
    }
}

fn unsupported<T>(what: &str) -> Result<T> {
    Err(EngineError::Refused(format!(
        "the fake engine has no {what}"
    )))
}

fn of_project(labels: &BTreeMap<String, String>, project: &str) -> bool {
    labels.get(labels::PROJECT).map(String::as_str) == Some(project)
}

impl Engine for FakeEngine {
    async fn api_version(&self) -> Result<ApiVersion> {
        Ok(ApiVersion::FLOOR)
    }

    async fn platform(&self) -> Result<String> {
        Ok("linux/amd64".into())
    }

    async fn list_containers(&self, project: &str) -> Result<Vec<Container>> {
        Ok(self
            .state()
            .containers
            .values()
            .map(|c| c.container.clone())
            .filter(|c| of_project(&c.labels, project))
            .collect())
    }

    async fn list_all_projects(&self) -> Result<Vec<Container>> {
        Ok(self
            .state()
            .containers
            .values()
            .map(|c| c.container.clone())
            .collect())
    }

    async fn list_networks(&self, project: &str) -> Result<Vec<Network>> {
        let state = self.state();
        let networks = state.networks.iter();
        Ok(networks
            .filter(|n| of_project(&n.labels, project))
            .cloned()
            .collect())
    }

    async fn list_volumes(&self, project: &str) -> Result<Vec<Volume>> {
        let state = self.state();
        let volumes = state.volumes.iter();
        Ok(volumes
            .filter(|v| of_project(&v.labels, project))
            .cloned()
            .collect())
    }

    async fn find_network(&self, name: &str) -> Result<Option<Network>> {
        let state = self.state();
        Ok(state
            .networks
            .iter()
            .find(|n| n.name == name || n.id == name)
            .cloned())
    }

    async fn find_volume(&self, name: &str) -> Result<Option<Volume>> {
        Ok(self
            .state()
            .volumes
            .iter()
            .find(|v| v.name == name)
            .cloned())
    }

    async fn image_id(&self, reference: &str) -> Result<Option<String>> {
        Ok(Some(format!("sha256:{reference}")))
    }

    async fn inspect_image(&self, _: &str) -> Result<Option<ImageInfo>> {
        Ok(None)
    }

    async fn list_project_images(&self, _: &str) -> Result<Vec<ImageInfo>> {
        Ok(Vec::new())
    }

    async fn pull_image(
        &self,
        _: &str,
        _: &str,
        _: Option<&RegistryAuth>,
        _: &(dyn Fn(Transfer) + Send + Sync),
    ) -> Result<String> {
        unsupported("registry")
    }

    async fn registry_digest(&self, _: &str, _: Option<&RegistryAuth>) -> Result<String> {
        unsupported("registry")
    }

    async fn push_image(
        &self,
        _: &str,
        _: Option<&RegistryAuth>,
        _: &(dyn Fn(Transfer) + Send + Sync),
    ) -> Result<()> {
        unsupported("registry")
    }

    fn build_image(
        &self,
        _: &BuildSpec,
        _: BoxStream<'static, std::io::Result<bytes::Bytes>>,
    ) -> BoxStream<'static, Result<BuildOutput>> {
        stream::once(async { unsupported("builder") }).boxed()
    }

    async fn tag_image(&self, _: &str, _: &str) -> Result<()> {
        unsupported("images")
    }

    async fn remove_image(&self, _: &str) -> Result<bool> {
        Ok(false)
    }

    async fn prune_dangling_images(&self, _: &str) -> Result<usize> {
        Ok(0)
    }

    async fn create_network(&self, spec: &NetworkSpec) -> Result<String> {
        self.call("create_network", &spec.name, |state| {
            if state.networks.iter().any(|n| n.name == spec.name) {
                return Err(EngineError::Conflict(format!(
                    "network with name {} already exists",
                    spec.name
                )));
            }
            state.next_id += 1;
            let id = format!("net{}", state.next_id);
            let mut labels = spec.labels.clone();
            labels.extend(spec.identity_labels.clone());
            state.networks.push(Network {
                id: id.clone(),
                name: spec.name.clone(),
                labels,
            });
            Ok(id)
        })
        .await
    }

    async fn remove_network(&self, id: &str) -> Result<()> {
        self.call("remove_network", id, |state| {
            state.networks.retain(|n| n.id != id);
            Ok(())
        })
        .await
    }

    async fn create_volume(&self, spec: &VolumeSpec) -> Result<()> {
        self.call("create_volume", &spec.name, |state| {
            let mut labels = spec.labels.clone();
            labels.extend(spec.identity_labels.clone());
            state.volumes.retain(|v| v.name != spec.name);
            state.volumes.push(Volume {
                name: spec.name.clone(),
                driver: spec.driver.clone(),
                labels,
                mountpoint: String::new(),
                scope: "local".into(),
            });
            Ok(())
        })
        .await
    }

    async fn remove_volume(&self, name: &str) -> Result<()> {
        self.call("remove_volume", name, |state| {
            state.volumes.retain(|v| v.name != name);
            Ok(())
        })
        .await
    }

    async fn create_container(&self, name: &str, _: &str, spec: &ContainerSpec) -> Result<Created> {
        self.call("create", name, |state| {
            if state.containers.values().any(|c| c.container.name == name) {
                return Err(EngineError::Conflict(format!(
                    "the container name \"/{name}\" is already in use"
                )));
            }
            state.next_id += 1;
            let id = format!("c{}", state.next_id);
            let mut labels = spec.labels.clone();
            labels.extend(spec.identity_labels.clone());
            // Attached to every network of the spec that exists.
            let networks = spec
                .networks
                .iter()
                .filter_map(|n| state.networks.iter().find(|x| x.name == n.network))
                .map(|n| (n.name.clone(), n.id.clone()))
                .collect();
            let container = Container {
                id: id.clone(),
                name: name.to_string(),
                labels,
                // As `image_id` answers: every image is present.
                image_id: format!("sha256:{}", spec.image),
                networks,
                ..Default::default()
            };
            let status = ContainerStatus {
                state: RunState::Created,
                exit_code: 0,
                health: None,
                last_probe: None,
                tty: false,
                finished_at: String::new(),
                user: spec.user.clone(),
            };
            state
                .containers
                .insert(id.clone(), FakeContainer { container, status });
            Ok(Created {
                id,
                warnings: Vec::new(),
            })
        })
        .await
    }

    async fn start_container(&self, id: &str) -> Result<()> {
        self.call("start", &self.name_of(id), |state| {
            Self::container_mut(state, id).map(|_| ())
        })
        .await?;
        self.started(id);
        Ok(())
    }

    async fn stop_container(&self, id: &str, _: Option<i64>) -> Result<()> {
        self.call("stop", &self.name_of(id), |state| {
            let c = Self::container_mut(state, id)?;
            c.status.state = RunState::Exited;
            c.container.state = RunState::Exited;
            Ok(())
        })
        .await
    }

    async fn remove_container(&self, id: &str, _: bool) -> Result<()> {
        self.call("remove", &self.name_of(id), |state| {
            state.containers.remove(id);
            Ok(())
        })
        .await
    }

    async fn rename_container(&self, id: &str, name: &str) -> Result<()> {
        self.call("rename", &self.name_of(id), |state| {
            Self::container_mut(state, id)?.container.name = name.to_string();
            Ok(())
        })
        .await
    }

    async fn kill_container(&self, id: &str, _: &str) -> Result<()> {
        self.stop_container(id, None).await
    }

    async fn pause_container(&self, id: &str) -> Result<()> {
        self.call("pause", &self.name_of(id), |state| {
            Self::container_mut(state, id)?.container.state = RunState::Paused;
            Ok(())
        })
        .await
    }

    async fn unpause_container(&self, id: &str) -> Result<()> {
        self.call("unpause", &self.name_of(id), |state| {
            Self::container_mut(state, id)?.container.state = RunState::Running;
            Ok(())
        })
        .await
    }

    async fn connect_network(
        &self,
        network: &str,
        id: &str,
        _: &str,
        _: &NetworkAttachment,
    ) -> Result<()> {
        let target = format!("{} {network}", self.name_of(id));
        self.call("connect", &target, |_| Ok(())).await
    }

    async fn disconnect_network(&self, network: &str, id: &str) -> Result<()> {
        let target = format!("{} {network}", self.name_of(id));
        self.call("disconnect", &target, |_| Ok(())).await
    }

    async fn inspect_status(&self, id: &str) -> Result<ContainerStatus> {
        let mut state = self.state();
        Ok(Self::container_mut(&mut state, id)?.status.clone())
    }

    async fn copy_files(&self, id: &str, _: &[FileCopy]) -> Result<()> {
        self.call("copy", &self.name_of(id), |_| Ok(())).await
    }

    async fn download(&self, _: &str, _: &str) -> Result<Vec<u8>> {
        unsupported("copies")
    }

    async fn upload(&self, id: &str, _: &str, _: bytes::Bytes, _: bool) -> Result<()> {
        self.call("upload", &self.name_of(id), |_| Ok(())).await
    }

    fn export_container(&self, _: &str) -> BoxStream<'static, Result<bytes::Bytes>> {
        stream::once(async { unsupported("exports") }).boxed()
    }

    async fn commit_container(&self, _: &str, _: &CommitSpec) -> Result<String> {
        unsupported("commits")
    }

    async fn top(&self, _: &str) -> Result<(Vec<String>, Vec<Vec<String>>)> {
        unsupported("processes")
    }

    async fn usage(&self, _: &str) -> Result<Usage> {
        Ok(Usage::default())
    }

    async fn tail_logs(&self, _: &str, _: usize) -> Result<String> {
        Ok(String::new())
    }

    async fn exec(&self, _: &str, _: &ExecSpec) -> Result<Session> {
        unsupported("exec")
    }

    async fn attach_container(&self, _: &str, _: &AttachOptions) -> Result<Session> {
        unsupported("attach")
    }

    async fn wait_container(&self, id: &str) -> Result<i64> {
        let mut state = self.state();
        Ok(Self::container_mut(&mut state, id)?.status.exit_code)
    }

    async fn resize_container(&self, _: &str, _: u16, _: u16) -> Result<()> {
        Ok(())
    }

    async fn exec_exit_code(&self, _: &str) -> Result<i64> {
        unsupported("exec")
    }

    async fn resize_exec(&self, _: &str, _: u16, _: u16) -> Result<()> {
        Ok(())
    }

    fn logs(&self, _: &str, _: &LogOptions) -> BoxStream<'static, Result<LogChunk>> {
        stream::empty().boxed()
    }

    async fn events(&self, _: &str) -> Result<BoxStream<'static, Result<Event>>> {
        let receiver = self.events.subscribe();
        let events = stream::unfold(receiver, |mut receiver| async move {
            loop {
                match receiver.recv().await {
                    Ok(event) => return Some((Ok(event), receiver)),
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        });
        Ok(events.boxed())
    }

    fn activity(
        &self,
        _: &str,
        _: Option<i64>,
        _: Option<i64>,
    ) -> BoxStream<'static, Result<Activity>> {
        stream::empty().boxed()
    }
}
