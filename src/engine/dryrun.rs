//! `--dry-run`, by construction: an [`Engine`] that wraps the real one,
//! answers every read from it, and never lets a change reach it.
//!
//! The command line wraps the engine it connects to once (see
//! `cli::engine_cmd::connect`), so no command can act by accident: with the
//! flag, each change is recorded and printed as `would …` with a plausible
//! answer (a fake ID for what is created) so that a command can go on;
//! what has no plausible answer (an interactive exec, an attach, a copy of
//! files to or from a container) is refused, as Docker Compose does.
//! Without the flag every call goes straight to the wrapped engine.
//!
//! Code that writes on the host (the pull record, files of read-only
//! services, an exported archive) asks [`Engine::dry_run`] first.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::stream::{self, BoxStream, StreamExt};

use super::{
    Activity, ApiVersion, AttachOptions, BuildOutput, BuildSpec, CommitSpec, Container,
    ContainerSpec, ContainerStatus, Created, Engine, EngineError, Event, ExecSpec, FileCopy,
    Health, ImageInfo, LogChunk, LogOptions, Network, NetworkSpec, RegistryAuth, Result, RunState,
    Session, Transfer, Usage, Volume, VolumeSpec, spec,
};

/// What Docker Compose prints before each line of a dry run.
pub const PREFIX: &str = "DRY-RUN MODE - ";

/// IDs of what a dry run pretended to create start with this: a colon is
/// in no engine ID and no container, network or volume name.
const FAKE: &str = "dry-run:";

/// An engine that, when dry, reads from `inner` and only pretends to change
/// anything; when not dry, `inner` itself.
#[derive(Clone)]
pub struct DryRun<E> {
    inner: E,
    journal: Option<Arc<Journal>>,
}

/// What a dry run did instead of changing things.
#[derive(Default)]
struct Journal {
    /// The changes it would have made, in order (`stop container p-web-1`).
    would: Mutex<Vec<String>>,
    /// Container IDs seen in listings, and the names to print for them.
    names: Mutex<HashMap<String, String>>,
    /// Whether to print each change as it is recorded.
    print: bool,
}

impl<E: Engine> DryRun<E> {
    /// `inner`, pretending to change things when `dry`.
    pub fn new(inner: E, dry: bool) -> Self {
        Self::with_printing(inner, dry, true)
    }

    fn with_printing(inner: E, dry: bool, print: bool) -> Self {
        DryRun {
            inner,
            journal: dry.then(|| {
                Arc::new(Journal {
                    print,
                    ..Journal::default()
                })
            }),
        }
    }

    /// The changes a dry run would have made so far, in order.
    pub fn would(&self) -> Vec<String> {
        self.journal
            .as_ref()
            .map(|j| j.would.lock().expect("never poisoned").clone())
            .unwrap_or_default()
    }

    /// The wrapped engine, when it may be changed.
    pub fn live(&self) -> Option<&E> {
        self.journal.is_none().then_some(&self.inner)
    }

    /// Records (and prints) a change instead of making it.
    fn record(&self, what: String) {
        if let Some(journal) = &self.journal {
            if journal.print {
                eprintln!("{PREFIX}would {what}");
            }
            journal.would.lock().expect("never poisoned").push(what);
        }
    }

    /// How to name container `id` in what is printed: its name when a
    /// listing or a create told it.
    fn container(&self, id: &str) -> String {
        if let Some(name) = id.strip_prefix(FAKE) {
            return name.to_string();
        }
        let known = self
            .journal
            .as_ref()
            .and_then(|j| j.names.lock().expect("never poisoned").get(id).cloned());
        known.unwrap_or_else(|| id.chars().take(12).collect())
    }

    fn remember(&self, containers: &[Container]) {
        if let Some(journal) = &self.journal {
            let mut names = journal.names.lock().expect("never poisoned");
            for c in containers {
                names.insert(c.id.clone(), c.name.clone());
            }
        }
    }

    /// Refuses what a dry run cannot pretend, in Docker Compose's words
    /// where it has some.
    fn refuse<T>(&self, what: &str) -> Result<T> {
        Err(EngineError::NotInDryRun(format!(
            "{what} is not supported in dry-run mode"
        )))
    }
}

impl DryRun<super::docker::DockerEngine> {
    /// The address the engine was reached at.
    pub fn host(&self) -> &str {
        self.inner.host()
    }
}

fn is_fake(id: &str) -> bool {
    id.starts_with(FAKE)
}

impl<E: Engine> Engine for DryRun<E> {
    fn dry_run(&self) -> bool {
        self.journal.is_some()
    }

    // Reads: from the wrapped engine, dry or not.

    async fn api_version(&self) -> Result<ApiVersion> {
        self.inner.api_version().await
    }

    async fn platform(&self) -> Result<String> {
        self.inner.platform().await
    }

    async fn list_containers(&self, project: &str) -> Result<Vec<Container>> {
        let list = self.inner.list_containers(project).await?;
        self.remember(&list);
        Ok(list)
    }

    async fn list_all_projects(&self) -> Result<Vec<Container>> {
        let list = self.inner.list_all_projects().await?;
        self.remember(&list);
        Ok(list)
    }

    async fn list_networks(&self, project: &str) -> Result<Vec<Network>> {
        self.inner.list_networks(project).await
    }

    async fn list_volumes(&self, project: &str) -> Result<Vec<Volume>> {
        self.inner.list_volumes(project).await
    }

    async fn find_network(&self, name: &str) -> Result<Option<Network>> {
        self.inner.find_network(name).await
    }

    async fn find_volume(&self, name: &str) -> Result<Option<Volume>> {
        self.inner.find_volume(name).await
    }

    async fn image_id(&self, reference: &str) -> Result<Option<String>> {
        self.inner.image_id(reference).await
    }

    async fn inspect_image(&self, reference: &str) -> Result<Option<ImageInfo>> {
        self.inner.inspect_image(reference).await
    }

    async fn list_project_images(&self, project: &str) -> Result<Vec<ImageInfo>> {
        self.inner.list_project_images(project).await
    }

    async fn registry_digest(
        &self,
        reference: &str,
        auth: Option<&RegistryAuth>,
    ) -> Result<String> {
        self.inner.registry_digest(reference, auth).await
    }

    async fn inspect_status(&self, id: &str) -> Result<ContainerStatus> {
        if self.dry_run() && is_fake(id) {
            // What the dry run created runs, healthy, as Docker Compose pretends.
            return Ok(ContainerStatus {
                state: RunState::Running,
                exit_code: 0,
                health: Some(Health::Healthy),
                last_probe: None,
                tty: false,
                finished_at: String::new(),
                user: String::new(),
            });
        }
        self.inner.inspect_status(id).await
    }

    fn export_container(&self, id: &str) -> BoxStream<'static, Result<bytes::Bytes>> {
        if self.dry_run() && is_fake(id) {
            return stream::empty().boxed();
        }
        self.inner.export_container(id)
    }

    async fn top(&self, id: &str) -> Result<(Vec<String>, Vec<Vec<String>>)> {
        self.inner.top(id).await
    }

    async fn usage(&self, id: &str) -> Result<Usage> {
        self.inner.usage(id).await
    }

    async fn tail_logs(&self, id: &str, lines: usize) -> Result<String> {
        if self.dry_run() && is_fake(id) {
            return Ok(String::new());
        }
        self.inner.tail_logs(id, lines).await
    }

    async fn wait_container(&self, id: &str) -> Result<i64> {
        if self.dry_run() && is_fake(id) {
            return Ok(0);
        }
        self.inner.wait_container(id).await
    }

    async fn exec_exit_code(&self, exec: &str) -> Result<i64> {
        if self.dry_run() && is_fake(exec) {
            return Ok(0);
        }
        self.inner.exec_exit_code(exec).await
    }

    fn logs(&self, id: &str, options: &LogOptions) -> BoxStream<'static, Result<LogChunk>> {
        if self.dry_run() && is_fake(id) {
            return stream::empty().boxed();
        }
        self.inner.logs(id, options)
    }

    async fn events(&self, project: &str) -> Result<BoxStream<'static, Result<Event>>> {
        self.inner.events(project).await
    }

    fn activity(
        &self,
        project: &str,
        since: Option<i64>,
        until: Option<i64>,
    ) -> BoxStream<'static, Result<Activity>> {
        self.inner.activity(project, since, until)
    }

    // Changes: made only when not dry.

    async fn pull_image(
        &self,
        reference: &str,
        platform: &str,
        auth: Option<&RegistryAuth>,
        progress: &(dyn Fn(Transfer) + Send + Sync),
    ) -> Result<String> {
        if let Some(live) = self.live() {
            return live.pull_image(reference, platform, auth, progress).await;
        }
        // As Docker Compose, the registry is asked whether it has the image.
        self.inner.registry_digest(reference, auth).await?;
        self.record(format!("pull image {reference}"));
        let local = self.inner.image_id(reference).await?;
        Ok(local.unwrap_or_else(|| format!("{FAKE}{reference}")))
    }

    async fn push_image(
        &self,
        reference: &str,
        auth: Option<&RegistryAuth>,
        progress: &(dyn Fn(Transfer) + Send + Sync),
    ) -> Result<()> {
        if let Some(live) = self.live() {
            return live.push_image(reference, auth, progress).await;
        }
        if self.inner.image_id(reference).await?.is_none() {
            return Err(EngineError::NotFound(format!(
                "an image does not exist locally with the tag: {reference}"
            )));
        }
        self.record(format!("push image {reference}"));
        Ok(())
    }

    fn build_image(
        &self,
        spec: &BuildSpec,
        context: BoxStream<'static, std::io::Result<bytes::Bytes>>,
    ) -> BoxStream<'static, Result<BuildOutput>> {
        if let Some(live) = self.live() {
            return live.build_image(spec, context);
        }
        // The context is never read: nothing is sent to the builder.
        drop(context);
        let mut tags = vec![spec.tag.clone()];
        tags.extend(spec.extra_tags.iter().cloned());
        self.record(format!("build image {}", tags.join(", ")));
        let id = format!("{FAKE}{}", spec.tag);
        stream::iter([Ok(BuildOutput::ImageId(id))]).boxed()
    }

    async fn tag_image(&self, image: &str, reference: &str) -> Result<()> {
        if let Some(live) = self.live() {
            return live.tag_image(image, reference).await;
        }
        self.record(format!("tag image {image} as {reference}"));
        Ok(())
    }

    async fn remove_image(&self, reference: &str) -> Result<bool> {
        if let Some(live) = self.live() {
            return live.remove_image(reference).await;
        }
        let exists = self.inner.image_id(reference).await?.is_some();
        if exists {
            self.record(format!("remove image {reference}"));
        }
        Ok(exists)
    }

    async fn prune_dangling_images(&self, project: &str) -> Result<usize> {
        if let Some(live) = self.live() {
            return live.prune_dangling_images(project).await;
        }
        self.record(format!("remove the dangling images of {project}"));
        Ok(0)
    }

    async fn create_network(&self, spec: &NetworkSpec) -> Result<String> {
        if let Some(live) = self.live() {
            return live.create_network(spec).await;
        }
        self.record(format!("create network {}", spec.name));
        Ok(format!("{FAKE}{}", spec.name))
    }

    async fn remove_network(&self, id: &str) -> Result<()> {
        if let Some(live) = self.live() {
            return live.remove_network(id).await;
        }
        let name = match self.inner.find_network(id).await {
            Ok(Some(network)) => network.name,
            _ => id.trim_start_matches(FAKE).to_string(),
        };
        self.record(format!("remove network {name}"));
        Ok(())
    }

    async fn create_volume(&self, spec: &VolumeSpec) -> Result<()> {
        if let Some(live) = self.live() {
            return live.create_volume(spec).await;
        }
        self.record(format!("create volume {}", spec.name));
        Ok(())
    }

    async fn remove_volume(&self, name: &str) -> Result<()> {
        if let Some(live) = self.live() {
            return live.remove_volume(name).await;
        }
        self.record(format!("remove volume {name}"));
        Ok(())
    }

    async fn create_container(
        &self,
        name: &str,
        network_name: &str,
        spec: &ContainerSpec,
    ) -> Result<Created> {
        if let Some(live) = self.live() {
            return live.create_container(name, network_name, spec).await;
        }
        self.record(format!("create container {name}"));
        Ok(Created {
            id: format!("{FAKE}{name}"),
            warnings: Vec::new(),
        })
    }

    async fn start_container(&self, id: &str) -> Result<()> {
        if let Some(live) = self.live() {
            return live.start_container(id).await;
        }
        self.record(format!("start container {}", self.container(id)));
        Ok(())
    }

    async fn stop_container(&self, id: &str, timeout: Option<i64>) -> Result<()> {
        if let Some(live) = self.live() {
            return live.stop_container(id, timeout).await;
        }
        self.record(format!("stop container {}", self.container(id)));
        Ok(())
    }

    async fn remove_container(&self, id: &str, volumes: bool) -> Result<()> {
        if let Some(live) = self.live() {
            return live.remove_container(id, volumes).await;
        }
        self.record(format!("remove container {}", self.container(id)));
        Ok(())
    }

    async fn rename_container(&self, id: &str, name: &str) -> Result<()> {
        if let Some(live) = self.live() {
            return live.rename_container(id, name).await;
        }
        self.record(format!("rename container {} to {name}", self.container(id)));
        Ok(())
    }

    async fn kill_container(&self, id: &str, signal: &str) -> Result<()> {
        if let Some(live) = self.live() {
            return live.kill_container(id, signal).await;
        }
        self.record(format!("send {signal} to container {}", self.container(id)));
        Ok(())
    }

    async fn pause_container(&self, id: &str) -> Result<()> {
        if let Some(live) = self.live() {
            return live.pause_container(id).await;
        }
        self.record(format!("pause container {}", self.container(id)));
        Ok(())
    }

    async fn unpause_container(&self, id: &str) -> Result<()> {
        if let Some(live) = self.live() {
            return live.unpause_container(id).await;
        }
        self.record(format!("unpause container {}", self.container(id)));
        Ok(())
    }

    async fn connect_network(
        &self,
        network: &str,
        id: &str,
        name: &str,
        attachment: &spec::NetworkAttachment,
    ) -> Result<()> {
        if let Some(live) = self.live() {
            return live.connect_network(network, id, name, attachment).await;
        }
        self.record(format!(
            "connect container {} to network {}",
            self.container(id),
            network.trim_start_matches(FAKE)
        ));
        Ok(())
    }

    async fn disconnect_network(&self, network: &str, id: &str) -> Result<()> {
        if let Some(live) = self.live() {
            return live.disconnect_network(network, id).await;
        }
        self.record(format!(
            "disconnect container {} from network {}",
            self.container(id),
            network.trim_start_matches(FAKE)
        ));
        Ok(())
    }

    async fn copy_files(&self, id: &str, files: &[FileCopy]) -> Result<()> {
        if let Some(live) = self.live() {
            return live.copy_files(id, files).await;
        }
        for file in files {
            self.record(format!(
                "copy {} into container {}",
                file.path,
                self.container(id)
            ));
        }
        Ok(())
    }

    async fn download(&self, id: &str, path: &str) -> Result<Vec<u8>> {
        match self.live() {
            Some(live) => live.download(id, path).await,
            // What it gives is written on the host: `cp` from a container.
            None => self.refuse("copying files from a container"),
        }
    }

    async fn upload(&self, id: &str, dir: &str, archive: bytes::Bytes, owned: bool) -> Result<()> {
        match self.live() {
            Some(live) => live.upload(id, dir, archive, owned).await,
            None => self.refuse("copying files into a container"),
        }
    }

    async fn commit_container(&self, id: &str, spec: &CommitSpec) -> Result<String> {
        if let Some(live) = self.live() {
            return live.commit_container(id, spec).await;
        }
        let image = match (spec.repository.as_str(), spec.tag.as_str()) {
            ("", _) => String::new(),
            (repository, "") => format!(" as {repository}:latest"),
            (repository, tag) => format!(" as {repository}:{tag}"),
        };
        let container = self.container(id);
        self.record(format!("commit container {container}{image}"));
        Ok(format!("{FAKE}{container}"))
    }

    async fn exec(&self, id: &str, spec: &ExecSpec) -> Result<Session> {
        if let Some(live) = self.live() {
            return live.exec(id, spec).await;
        }
        if !spec.detach {
            // Docker Compose's words.
            return self.refuse("interactive exec");
        }
        self.record(format!(
            "run {:?} in container {} (detached)",
            spec.command,
            self.container(id)
        ));
        Ok(Session {
            id: format!("{FAKE}exec"),
            output: None,
            input: None,
        })
    }

    async fn attach_container(&self, id: &str, options: &AttachOptions) -> Result<Session> {
        match self.live() {
            Some(live) => live.attach_container(id, options).await,
            // Docker Compose's words.
            None => self.refuse("interactive run"),
        }
    }

    async fn resize_container(&self, id: &str, rows: u16, cols: u16) -> Result<()> {
        match self.live() {
            Some(live) => live.resize_container(id, rows, cols).await,
            None => Ok(()),
        }
    }

    async fn resize_exec(&self, exec: &str, rows: u16, cols: u16) -> Result<()> {
        match self.live() {
            Some(live) => live.resize_exec(exec, rows, cols).await,
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An engine that answers every read with nothing and panics on any
    /// change: what a dry run must never reach.
    #[derive(Clone)]
    struct ReadOnly;

    fn changed(what: &str) -> ! {
        panic!("a dry run reached the engine's {what}")
    }

    impl Engine for ReadOnly {
        async fn api_version(&self) -> Result<ApiVersion> {
            Ok(ApiVersion::FLOOR)
        }
        async fn platform(&self) -> Result<String> {
            Ok("linux/amd64".into())
        }
        async fn list_containers(&self, _: &str) -> Result<Vec<Container>> {
            Ok(vec![Container {
                id: "0123456789abcdef".into(),
                name: "p-web-1".into(),
                ..Container::default()
            }])
        }
        async fn list_all_projects(&self) -> Result<Vec<Container>> {
            Ok(Vec::new())
        }
        async fn list_networks(&self, _: &str) -> Result<Vec<Network>> {
            Ok(Vec::new())
        }
        async fn list_volumes(&self, _: &str) -> Result<Vec<Volume>> {
            Ok(Vec::new())
        }
        async fn find_network(&self, _: &str) -> Result<Option<Network>> {
            Ok(None)
        }
        async fn find_volume(&self, _: &str) -> Result<Option<Volume>> {
            Ok(None)
        }
        async fn image_id(&self, _: &str) -> Result<Option<String>> {
            Ok(Some("sha256:local".into()))
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
            changed("pull_image")
        }
        async fn registry_digest(&self, _: &str, _: Option<&RegistryAuth>) -> Result<String> {
            Ok("sha256:remote".into())
        }
        async fn push_image(
            &self,
            _: &str,
            _: Option<&RegistryAuth>,
            _: &(dyn Fn(Transfer) + Send + Sync),
        ) -> Result<()> {
            changed("push_image")
        }
        fn build_image(
            &self,
            _: &BuildSpec,
            _: BoxStream<'static, std::io::Result<bytes::Bytes>>,
        ) -> BoxStream<'static, Result<BuildOutput>> {
            changed("build_image")
        }
        async fn tag_image(&self, _: &str, _: &str) -> Result<()> {
            changed("tag_image")
        }
        async fn remove_image(&self, _: &str) -> Result<bool> {
            changed("remove_image")
        }
        async fn prune_dangling_images(&self, _: &str) -> Result<usize> {
            changed("prune_dangling_images")
        }
        async fn create_network(&self, _: &NetworkSpec) -> Result<String> {
            changed("create_network")
        }
        async fn remove_network(&self, _: &str) -> Result<()> {
            changed("remove_network")
        }
        async fn create_volume(&self, _: &VolumeSpec) -> Result<()> {
            changed("create_volume")
        }
        async fn remove_volume(&self, _: &str) -> Result<()> {
            changed("remove_volume")
        }
        async fn create_container(&self, _: &str, _: &str, _: &ContainerSpec) -> Result<Created> {
            changed("create_container")
        }
        async fn start_container(&self, _: &str) -> Result<()> {
            changed("start_container")
        }
        async fn stop_container(&self, _: &str, _: Option<i64>) -> Result<()> {
            changed("stop_container")
        }
        async fn remove_container(&self, _: &str, _: bool) -> Result<()> {
            changed("remove_container")
        }
        async fn rename_container(&self, _: &str, _: &str) -> Result<()> {
            changed("rename_container")
        }
        async fn kill_container(&self, _: &str, _: &str) -> Result<()> {
            changed("kill_container")
        }
        async fn pause_container(&self, _: &str) -> Result<()> {
            changed("pause_container")
        }
        async fn unpause_container(&self, _: &str) -> Result<()> {
            changed("unpause_container")
        }
        async fn connect_network(
            &self,
            _: &str,
            _: &str,
            _: &str,
            _: &spec::NetworkAttachment,
        ) -> Result<()> {
            changed("connect_network")
        }
        async fn disconnect_network(&self, _: &str, _: &str) -> Result<()> {
            changed("disconnect_network")
        }
        async fn inspect_status(&self, _: &str) -> Result<ContainerStatus> {
            Err(EngineError::NotFound("no such container".into()))
        }
        async fn copy_files(&self, _: &str, _: &[FileCopy]) -> Result<()> {
            changed("copy_files")
        }
        async fn download(&self, _: &str, _: &str) -> Result<Vec<u8>> {
            changed("download (written on the host)")
        }
        async fn upload(&self, _: &str, _: &str, _: bytes::Bytes, _: bool) -> Result<()> {
            changed("upload")
        }
        fn export_container(&self, _: &str) -> BoxStream<'static, Result<bytes::Bytes>> {
            stream::empty().boxed()
        }
        async fn commit_container(&self, _: &str, _: &CommitSpec) -> Result<String> {
            changed("commit_container")
        }
        async fn top(&self, _: &str) -> Result<(Vec<String>, Vec<Vec<String>>)> {
            Ok((Vec::new(), Vec::new()))
        }
        async fn usage(&self, _: &str) -> Result<Usage> {
            Ok(Usage::default())
        }
        async fn tail_logs(&self, _: &str, _: usize) -> Result<String> {
            Ok(String::new())
        }
        async fn exec(&self, _: &str, _: &ExecSpec) -> Result<Session> {
            changed("exec")
        }
        async fn attach_container(&self, _: &str, _: &AttachOptions) -> Result<Session> {
            changed("attach_container")
        }
        async fn wait_container(&self, _: &str) -> Result<i64> {
            Ok(0)
        }
        async fn resize_container(&self, _: &str, _: u16, _: u16) -> Result<()> {
            changed("resize_container")
        }
        async fn exec_exit_code(&self, _: &str) -> Result<i64> {
            Ok(0)
        }
        async fn resize_exec(&self, _: &str, _: u16, _: u16) -> Result<()> {
            changed("resize_exec")
        }
        fn logs(&self, _: &str, _: &LogOptions) -> BoxStream<'static, Result<LogChunk>> {
            stream::empty().boxed()
        }
        async fn events(&self, _: &str) -> Result<BoxStream<'static, Result<Event>>> {
            Ok(stream::empty().boxed())
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

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn a_dry_run_never_changes_the_engine() {
        let engine = DryRun::with_printing(ReadOnly, true, false);
        assert!(engine.dry_run());
        let no_progress = |_: Transfer| {};
        block_on(async {
            // Listing teaches it the names to print.
            let id = engine.list_containers("p").await.unwrap()[0].id.clone();
            let created = engine
                .create_container("p-db-1", "p-db-1", &ContainerSpec::default())
                .await
                .unwrap();
            assert!(created.id.starts_with(FAKE));
            let status = engine.inspect_status(&created.id).await.unwrap();
            assert_eq!(status.state, RunState::Running);
            assert_eq!(engine.wait_container(&created.id).await.unwrap(), 0);
            engine.start_container(&created.id).await.unwrap();
            engine.stop_container(&id, Some(1)).await.unwrap();
            engine.kill_container(&id, "SIGKILL").await.unwrap();
            engine.pause_container(&id).await.unwrap();
            engine.unpause_container(&id).await.unwrap();
            engine.rename_container(&id, "p-web-2").await.unwrap();
            engine.remove_container(&id, true).await.unwrap();
            let net = engine
                .create_network(&NetworkSpec {
                    name: "p_default".into(),
                    ..NetworkSpec::default()
                })
                .await
                .unwrap();
            let attachment = spec::NetworkAttachment::default();
            engine
                .connect_network(&net, &id, "p-web-1", &attachment)
                .await
                .unwrap();
            engine.disconnect_network(&net, &id).await.unwrap();
            engine.remove_network(&net).await.unwrap();
            engine
                .create_volume(&VolumeSpec {
                    name: "p_data".into(),
                    ..VolumeSpec::default()
                })
                .await
                .unwrap();
            engine.remove_volume("p_data").await.unwrap();
            let file = FileCopy {
                path: "/run/secrets/s".into(),
                content: Vec::new(),
                uid: 0,
                gid: 0,
                mode: 0o444,
            };
            engine.copy_files(&created.id, &[file]).await.unwrap();
            let commit = CommitSpec {
                repository: "shot".into(),
                ..CommitSpec::default()
            };
            assert!(engine.commit_container(&id, &commit).await.is_ok());
            let pulled = engine
                .pull_image("busybox", "", None, &no_progress)
                .await
                .unwrap();
            assert_eq!(pulled, "sha256:local");
            engine
                .push_image("busybox", None, &no_progress)
                .await
                .unwrap();
            let build = BuildSpec {
                tag: "p-web".into(),
                ..BuildSpec::default()
            };
            let built: Vec<_> = engine
                .build_image(&build, stream::empty().boxed())
                .collect()
                .await;
            assert!(matches!(&built[..], [Ok(BuildOutput::ImageId(id))] if is_fake(id)));
            engine.tag_image("p-web", "p-web:2").await.unwrap();
            assert!(engine.remove_image("p-web").await.unwrap());
            assert_eq!(engine.prune_dangling_images("p").await.unwrap(), 0);
            engine.resize_container(&id, 24, 80).await.unwrap();
            engine.resize_exec("e", 24, 80).await.unwrap();
            let detached = ExecSpec {
                command: vec!["touch".into(), "/x".into()],
                detach: true,
                ..ExecSpec::default()
            };
            let session = engine.exec(&id, &detached).await.unwrap();
            assert_eq!(engine.exec_exit_code(&session.id).await.unwrap(), 0);
        });
        let would = engine.would();
        for expected in [
            "create container p-db-1",
            "start container p-db-1",
            "stop container p-web-1",
            "send SIGKILL to container p-web-1",
            "remove container p-web-1",
            "create network p_default",
            "remove network p_default",
            "remove volume p_data",
            "commit container p-web-1 as shot:latest",
            "pull image busybox",
            "push image busybox",
            "build image p-web",
            "run [\"touch\", \"/x\"] in container p-web-1 (detached)",
        ] {
            assert!(
                would.iter().any(|w| w == expected),
                "no {expected:?} in {would:#?}"
            );
        }
    }

    #[test]
    fn a_dry_run_refuses_what_it_cannot_pretend() {
        let engine = DryRun::with_printing(ReadOnly, true, false);
        block_on(async {
            let attached = ExecSpec {
                command: vec!["sh".into()],
                ..ExecSpec::default()
            };
            let refused = |e: EngineError| e.to_string();
            assert_eq!(
                refused(engine.exec("c", &attached).await.err().unwrap()),
                "interactive exec is not supported in dry-run mode"
            );
            let options = AttachOptions::default();
            assert_eq!(
                refused(engine.attach_container("c", &options).await.err().unwrap()),
                "interactive run is not supported in dry-run mode"
            );
            assert!(engine.download("c", "/etc").await.is_err());
            let archive = bytes::Bytes::new();
            assert!(engine.upload("c", "/", archive, false).await.is_err());
        });
        assert!(engine.would().is_empty());
    }

    #[test]
    fn without_the_flag_every_call_reaches_the_engine() {
        let engine = DryRun::new(ReadOnly, false);
        assert!(!engine.dry_run());
        let reached = std::panic::catch_unwind(|| {
            block_on(engine.start_container("c")).ok();
        });
        assert!(reached.is_err(), "start_container did not reach the engine");
    }
}
