//! [`Engine`] over the Docker Engine API, with bollard.
//!
//! bollard 0.21 never sends the `/vX.Y` prefix (its issue #736), so the daemon
//! answers at its own version; berth reads that version once and gates
//! features on it.
//!
//! One file per concern: `connect` (clients, reads, pings, errors),
//! `convert` (create bodies), `containers`, `images` (builds too),
//! `networks` (and volumes), `streams` (logs, events, stats, top). The
//! [`Engine`] impl here only delegates to them.

mod connect;
mod containers;
mod convert;
mod images;
mod networks;
mod streams;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use bollard::Docker;
use futures_util::stream::BoxStream;

use super::endpoint::Endpoint;
use super::intent::{Intent, IntentLog};
use super::podman;
use super::spec::{ContainerSpec, NetworkSpec, VolumeSpec};
use super::{
    Activity, ApiVersion, AttachOptions, BuildOutput, BuildSpec, CommitSpec, Container,
    ContainerStatus, Created, Engine, Event, ExecSpec, FileCopy, ImageInfo, LogChunk, LogOptions,
    Network, RegistryAuth, Result, Session, Transfer, Usage, Volume, labels,
};

/// For the swarm calls of [`super::swarm`].
pub(super) use images::credentials;

/// The Docker Engine berth talks to.
#[derive(Clone)]
pub struct DockerEngine {
    /// For requests whose answer may rightly take long to start: a stop
    /// waiting out a grace period, a build or pull, a stream.
    client: Docker,
    /// For the rest, which an engine answers at once: one that says nothing
    /// for [`connect::ANSWER_LIMIT`] has stopped answering.
    quick: Docker,
    /// Read once, on first need.
    version: Arc<tokio::sync::OnceCell<connect::Version>>,
    pinned: Option<ApiVersion>,
    /// The endpoint's address (`unix://...`, `tcp://...`).
    host: Arc<str>,
    /// What berth does differently on Podman (see [`podman`]).
    podman: Arc<podman::PodmanState>,
    /// Where stops, kills, removals and network creates are noted, once the
    /// project's lock gives a place (see [`super::intent`]).
    intents: Arc<RwLock<Option<Arc<dyn IntentLog>>>>,
}

impl DockerEngine {
    /// Connects to `endpoint`, speaking at most API `pinned`
    /// (`DOCKER_API_VERSION`). Fails at once when nothing listens there;
    /// waits up to a minute for an engine that is slow to answer, saying
    /// so on standard error after a few seconds.
    pub async fn connect(endpoint: &Endpoint, pinned: Option<&str>) -> Result<Self> {
        let pinned = pinned.filter(|v| !v.is_empty());
        let client_version = connect::client_version(pinned)?;
        let (client, ssh_errors) = connect::open(endpoint, &client_version)?;
        connect::first_answer(&client, &endpoint.host, ssh_errors.as_ref())
            .await
            .map_err(|reason| connect::unreachable(endpoint, reason.to_string()))?;
        Ok(DockerEngine {
            quick: client.clone().with_timeout(connect::ANSWER_LIMIT),
            client,
            version: Arc::new(tokio::sync::OnceCell::new()),
            pinned: pinned.and_then(ApiVersion::parse),
            host: endpoint.host.as_str().into(),
            podman: Arc::default(),
            intents: Arc::default(),
        })
    }

    /// From now on, notes every stop, kill, removal and network create in
    /// `log` (that of the project lock taken last).
    pub fn note_intents_in(&self, log: Arc<dyn IntentLog>) {
        *self.intents.write().unwrap_or_else(|e| e.into_inner()) = Some(log);
    }

    /// Runs `request` for `intent`, noted before and after when a log is set.
    async fn noted<T>(
        &self,
        intent: impl FnOnce() -> Intent,
        request: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let log = self
            .intents
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let Some(log) = log else {
            return request.await;
        };
        let ticket = log.begin(&intent());
        let answer = request.await;
        log.end(ticket);
        answer
    }

    /// The address berth reached the engine at.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The bollard client, for the swarm calls of [`super::swarm`].
    pub(super) fn client(&self) -> &Docker {
        &self.client
    }
}

// Helpers the concern files share.

/// The filter for the objects labelled as `project`'s.
fn project_filter(project: &str) -> HashMap<&'static str, Vec<String>> {
    HashMap::from([("label", vec![format!("{}={project}", labels::PROJECT)])])
}

/// Labels in a stable order.
fn sorted(map: Option<HashMap<String, String>>) -> BTreeMap<String, String> {
    map.unwrap_or_default().into_iter().collect()
}

/// Seconds since the epoch.
fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

impl Engine for DockerEngine {
    async fn api_version(&self) -> Result<ApiVersion> {
        self.api().await
    }

    async fn platform(&self) -> Result<String> {
        Ok(self.version().await?.platform.clone())
    }

    async fn list_containers(&self, project: &str) -> Result<Vec<Container>> {
        self.containers(&project_filter(project)).await
    }

    async fn list_all_projects(&self) -> Result<Vec<Container>> {
        let filter = HashMap::from([("label", vec![labels::PROJECT.to_string()])]);
        self.containers(&filter).await
    }

    async fn list_networks(&self, project: &str) -> Result<Vec<Network>> {
        self.project_networks(project).await
    }

    async fn list_volumes(&self, project: &str) -> Result<Vec<Volume>> {
        self.project_volumes(project).await
    }

    async fn find_network(&self, name: &str) -> Result<Option<Network>> {
        self.network_named(name).await
    }

    async fn find_volume(&self, name: &str) -> Result<Option<Volume>> {
        self.volume_named(name).await
    }

    async fn image_id(&self, reference: &str) -> Result<Option<String>> {
        self.local_image_id(reference).await
    }

    async fn inspect_image(&self, reference: &str) -> Result<Option<ImageInfo>> {
        self.image_info(reference).await
    }

    async fn list_project_images(&self, project: &str) -> Result<Vec<ImageInfo>> {
        self.project_images(project).await
    }

    async fn pull_image(
        &self,
        reference: &str,
        platform: &str,
        auth: Option<&RegistryAuth>,
        progress: &(dyn Fn(Transfer) + Send + Sync),
    ) -> Result<String> {
        self.pull(reference, platform, auth, progress).await
    }

    async fn registry_digest(
        &self,
        reference: &str,
        auth: Option<&RegistryAuth>,
    ) -> Result<String> {
        self.digest_at_registry(reference, auth).await
    }

    async fn push_image(
        &self,
        reference: &str,
        auth: Option<&RegistryAuth>,
        progress: &(dyn Fn(Transfer) + Send + Sync),
    ) -> Result<()> {
        self.push(reference, auth, progress).await
    }

    fn build_image(
        &self,
        spec: &BuildSpec,
        context: BoxStream<'static, std::io::Result<bytes::Bytes>>,
    ) -> BoxStream<'static, Result<BuildOutput>> {
        self.build(spec, context)
    }

    async fn tag_image(&self, image: &str, reference: &str) -> Result<()> {
        self.tag(image, reference).await
    }

    async fn remove_image(&self, reference: &str) -> Result<bool> {
        self.delete_image(reference).await
    }

    async fn prune_dangling_images(&self, project: &str) -> Result<usize> {
        self.prune_dangling(project).await
    }

    async fn create_network(&self, spec: &NetworkSpec) -> Result<String> {
        let intent = || Intent::CreateNetwork {
            name: spec.name.clone(),
        };
        self.noted(intent, self.make_network(spec)).await
    }

    async fn remove_network(&self, id: &str) -> Result<()> {
        self.delete_network(id).await
    }

    async fn create_volume(&self, spec: &VolumeSpec) -> Result<()> {
        self.make_volume(spec).await
    }

    async fn remove_volume(&self, name: &str) -> Result<()> {
        self.delete_volume(name).await
    }

    async fn create_container(
        &self,
        name: &str,
        network_name: &str,
        spec: &ContainerSpec,
    ) -> Result<Created> {
        let intent = || Intent::CreateContainer {
            name: name.to_string(),
        };
        self.noted(intent, self.create(name, network_name, spec))
            .await
    }

    async fn start_container(&self, id: &str) -> Result<()> {
        self.start(id).await
    }

    async fn stop_container(&self, id: &str, timeout: Option<i64>) -> Result<()> {
        self.stop(id, timeout).await
    }

    async fn remove_container(&self, id: &str, volumes: bool) -> Result<()> {
        self.remove(id, volumes).await
    }

    async fn rename_container(&self, id: &str, name: &str) -> Result<()> {
        let intent = || Intent::Rename {
            id: id.to_string(),
            name: name.to_string(),
        };
        self.noted(intent, self.rename(id, name)).await
    }

    async fn exec(&self, id: &str, spec: &ExecSpec) -> Result<Session> {
        self.exec_in(id, spec).await
    }

    async fn attach_container(&self, id: &str, options: &AttachOptions) -> Result<Session> {
        self.attach(id, options).await
    }

    async fn wait_container(&self, id: &str) -> Result<i64> {
        self.wait_exit(id).await
    }

    async fn resize_container(&self, id: &str, rows: u16, cols: u16) -> Result<()> {
        self.resize_tty(id, rows, cols).await
    }

    async fn exec_exit_code(&self, exec: &str) -> Result<i64> {
        self.exec_exit(exec).await
    }

    async fn resize_exec(&self, exec: &str, rows: u16, cols: u16) -> Result<()> {
        self.resize_exec_tty(exec, rows, cols).await
    }

    async fn kill_container(&self, id: &str, signal: &str) -> Result<()> {
        self.kill(id, signal).await
    }

    async fn pause_container(&self, id: &str) -> Result<()> {
        self.pause(id).await
    }

    async fn unpause_container(&self, id: &str) -> Result<()> {
        self.unpause(id).await
    }

    async fn connect_network(
        &self,
        network: &str,
        id: &str,
        name: &str,
        attachment: &super::spec::NetworkAttachment,
    ) -> Result<()> {
        self.join_network(network, id, name, attachment).await
    }

    async fn disconnect_network(&self, network: &str, id: &str) -> Result<()> {
        self.leave_network(network, id).await
    }

    async fn inspect_status(&self, id: &str) -> Result<ContainerStatus> {
        self.status(id).await
    }

    async fn copy_files(&self, id: &str, files: &[FileCopy]) -> Result<()> {
        self.copy_in(id, files).await
    }

    async fn download(&self, id: &str, path: &str) -> Result<Vec<u8>> {
        self.download_archive(id, path).await
    }

    async fn upload(&self, id: &str, dir: &str, archive: bytes::Bytes, owned: bool) -> Result<()> {
        self.upload_archive(id, dir, archive, owned).await
    }

    fn export_container(&self, id: &str) -> BoxStream<'static, Result<bytes::Bytes>> {
        self.export(id)
    }

    async fn commit_container(&self, id: &str, spec: &CommitSpec) -> Result<String> {
        self.commit(id, spec).await
    }

    async fn top(&self, id: &str) -> Result<(Vec<String>, Vec<Vec<String>>)> {
        self.processes(id).await
    }

    async fn usage(&self, id: &str) -> Result<Usage> {
        self.sample_usage(id).await
    }

    async fn tail_logs(&self, id: &str, lines: usize) -> Result<String> {
        self.log_tail(id, lines).await
    }

    fn logs(&self, id: &str, options: &LogOptions) -> BoxStream<'static, Result<LogChunk>> {
        self.log_stream(id, options)
    }

    async fn events(&self, project: &str) -> Result<BoxStream<'static, Result<Event>>> {
        self.event_stream(project).await
    }

    fn activity(
        &self,
        project: &str,
        since: Option<i64>,
        until: Option<i64>,
    ) -> BoxStream<'static, Result<Activity>> {
        self.activity_stream(project, since, until)
    }
}
