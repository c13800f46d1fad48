//! Containers: listing them, their lifecycle (create, start, stop,
//! remove...), exec and attach, archives in and out, inspection, commit
//! and export; and the health checks berth runs for Podman.

use std::collections::HashMap;
use std::time::Duration;

use bollard::errors::Error as BollardError;
use bollard::models::NetworkConnectRequest;
use bollard::query_parameters::{
    CommitContainerOptionsBuilder, ContainerArchiveInfoOptionsBuilder,
    CreateContainerOptionsBuilder, DownloadFromContainerOptionsBuilder,
    KillContainerOptionsBuilder, RemoveContainerOptionsBuilder, RenameContainerOptionsBuilder,
    StartContainerOptions, StopContainerOptionsBuilder, UploadToContainerOptionsBuilder,
};
use futures_util::stream::{BoxStream, StreamExt};

use super::connect::engine_error;
use super::convert::{create_body, endpoint};
use super::streams::log_chunk;
use super::{DockerEngine, percent_encode, unix_now};
use crate::engine::intent::Intent;
use crate::engine::spec::ContainerSpec;
use crate::engine::{
    ApiVersion, AttachOptions, CommitSpec, Container, ContainerStatus, Created, EngineError,
    ExecSpec, FileCopy, Health, Result, RunState, Session, podman, wire,
};

/// The seconds an engine gives a container to stop when neither the stop
/// call nor the container says.
const DEFAULT_STOP_TIMEOUT: i64 = 10;

impl DockerEngine {
    /// Runs the health check of container `id` every `interval` through
    /// Podman's API, while the container runs and berth does, when Podman
    /// runs none itself (no systemd). Nothing on Docker.
    async fn run_health_checks(&self, id: &str, interval: Duration) {
        let ask = async {
            match self.version().await {
                Ok(v) if v.podman => self
                    .get_json::<podman::Info>(&format!("{}/info", podman::LIBPOD))
                    .await
                    .is_ok_and(|info| !info.has_systemd()),
                _ => false,
            }
        };
        if !self.podman.drives_health(ask).await || !self.podman.take_on(id) {
            return;
        }
        self.podman.say_once();
        let (engine, id) = (self.clone(), id.to_string());
        tokio::spawn(async move {
            let path = format!(
                "{}/containers/{}/healthcheck",
                podman::LIBPOD,
                percent_encode(&id)
            );
            loop {
                tokio::time::sleep(interval).await;
                // Podman records the result and reports a `health_status`
                // event; it refuses once the container stopped or went.
                if engine.get_json::<serde_json::Value>(&path).await.is_err() {
                    break;
                }
            }
            engine.podman.give_up(&id);
        });
    }

    /// Every container (stopped ones too) matching `filters`.
    pub(super) async fn containers(
        &self,
        filters: &HashMap<&'static str, Vec<String>>,
    ) -> Result<Vec<Container>> {
        let filters = serde_json::to_string(filters).unwrap_or_default();
        let list: Vec<wire::Summary> = self
            .get_json(&format!(
                "/containers/json?all=true&filters={}",
                percent_encode(&filters)
            ))
            .await?;
        let mut containers: Vec<Container> = list.into_iter().map(Container::from).collect();
        let podman = containers
            .iter()
            .flat_map(|c| &c.networks)
            .any(|(name, id)| podman::names_network_by_name(name, id));
        if podman {
            self.podman_listing(&mut containers, &filters).await?;
        }
        Ok(containers)
    }

    /// Completes Podman's container list (see [`podman`]): network IDs for
    /// the network names it gives, and the health in each status text.
    async fn podman_listing(&self, containers: &mut [Container], filters: &str) -> Result<()> {
        let own_list = format!(
            "{}/containers/json?all=true&filters={}",
            podman::LIBPOD,
            percent_encode(filters)
        );
        let (networks, own) = tokio::try_join!(
            self.get_json::<Vec<wire::NetworkSummary>>("/networks"),
            self.get_json::<Vec<podman::LibpodSummary>>(&own_list),
        )?;
        let ids: HashMap<String, String> = networks.into_iter().map(|n| (n.name, n.id)).collect();
        let health = podman::health_by_id(own);
        for c in containers {
            for id in c.networks.values_mut() {
                if let Some(real) = ids.get(id.as_str()) {
                    *id = real.clone();
                }
            }
            if let Some(health) = health.get(&c.id) {
                c.display.status = podman::with_health(&c.display.status, health);
            }
        }
        Ok(())
    }

    pub(super) async fn create(
        &self,
        name: &str,
        network_name: &str,
        spec: &ContainerSpec,
    ) -> Result<Created> {
        let api = self.api().await?;
        let body = create_body(network_name, spec, api);
        let mut options = CreateContainerOptionsBuilder::default().name(name);
        if api >= ApiVersion::CREATE_PLATFORM && !spec.platform_to_use().is_empty() {
            options = options.platform(spec.platform_to_use());
        }
        let options = options.build();
        let created = self
            .quick
            .create_container(Some(options), body)
            .await
            .map_err(|e| self.fail(e))?;
        // Older engines take one network at create; the others are joined now, before start.
        if api < ApiVersion::MULTI_NETWORK_CREATE && spec.network_mode.is_empty() {
            for attachment in spec.networks.iter().skip(1) {
                let request = NetworkConnectRequest {
                    container: created.id.clone(),
                    endpoint_config: Some(endpoint(attachment, network_name, api)),
                };
                if let Err(e) = self
                    .quick
                    .connect_network(&attachment.network, request)
                    .await
                {
                    // Leave nothing half-made behind.
                    let _ = self.remove(&created.id, true).await;
                    return Err(self.fail(e));
                }
            }
        }
        Ok(Created {
            id: created.id,
            warnings: created.warnings,
        })
    }

    pub(super) async fn start(&self, id: &str) -> Result<()> {
        self.quick
            .start_container(id, None::<StartContainerOptions>)
            .await
            .map_err(|e| self.fail(e))
    }

    pub(super) async fn stop(&self, id: &str, timeout: Option<i64>) -> Result<()> {
        // Always with `t`: Podman before 4.7 kills at once without it. The
        // container's own timeout (its `StopTimeout`, else 10 s) is what
        // Docker would apply.
        let t = match timeout {
            Some(t) => t,
            None => {
                let path = format!("/containers/{}/json", percent_encode(id));
                match self.get_json::<wire::Inspect>(&path).await {
                    Ok(inspect) => inspect
                        .config
                        .and_then(|c| c.stop_timeout)
                        .unwrap_or(DEFAULT_STOP_TIMEOUT),
                    Err(EngineError::NotFound(_)) => return Ok(()),
                    Err(e) => return Err(e),
                }
            }
        };
        let options = StopContainerOptionsBuilder::default()
            .t(i32::try_from(t).unwrap_or(i32::MAX))
            .build();
        let stop = || Intent::Stop {
            id: id.to_string(),
            timeout: t,
        };
        self.noted(stop, async {
            self.ignore_not_found(self.client.stop_container(id, Some(options)).await)
        })
        .await
    }

    pub(super) async fn remove(&self, id: &str, volumes: bool) -> Result<()> {
        let options = RemoveContainerOptionsBuilder::default()
            .force(true)
            .v(volumes)
            .build();
        let remove = || Intent::Remove {
            id: id.to_string(),
            volumes,
        };
        self.noted(remove, async {
            match self.quick.remove_container(id, Some(options)).await {
                // A removal already under way is as good as done.
                Err(BollardError::DockerResponseServerError {
                    status_code: 409,
                    message,
                }) if message.contains("already in progress") => Ok(()),
                other => self.ignore_not_found(other),
            }
        })
        .await
    }

    pub(super) async fn rename(&self, id: &str, name: &str) -> Result<()> {
        let options = RenameContainerOptionsBuilder::default().name(name).build();
        self.quick
            .rename_container(id, options)
            .await
            .map_err(|e| self.fail(e))
    }

    pub(super) async fn exec_in(&self, id: &str, spec: &ExecSpec) -> Result<Session> {
        let attached = !spec.detach;
        let config = bollard::exec::CreateExecOptions {
            cmd: Some(spec.command.clone()),
            env: (!spec.env.is_empty()).then(|| spec.env.clone()),
            user: (!spec.user.is_empty()).then(|| spec.user.clone()),
            working_dir: (!spec.working_dir.is_empty()).then(|| spec.working_dir.clone()),
            privileged: spec.privileged.then_some(true),
            tty: Some(spec.tty),
            attach_stdin: Some(attached),
            attach_stdout: Some(attached),
            attach_stderr: Some(attached),
            ..Default::default()
        };
        let created = self
            .quick
            .create_exec(id, config)
            .await
            .map_err(|e| self.fail(e))?;
        let options = bollard::exec::StartExecOptions {
            detach: spec.detach,
            tty: spec.tty,
            // Lines of any length pass through whole.
            output_capacity: Some(1 << 20),
        };
        let started = self
            .client
            .start_exec(&created.id, Some(options))
            .await
            .map_err(|e| self.fail(e))?;
        let (output, input) = match started {
            bollard::exec::StartExecResults::Attached { output, input } => {
                let host = self.host.clone();
                let output = output.map(move |chunk| log_chunk(&host, chunk)).boxed();
                (Some(output), Some(input))
            }
            bollard::exec::StartExecResults::Detached => (None, None),
        };
        Ok(Session {
            id: created.id,
            output,
            input,
        })
    }

    pub(super) async fn attach(&self, id: &str, options: &AttachOptions) -> Result<Session> {
        let mut query = bollard::query_parameters::AttachContainerOptionsBuilder::default()
            .stream(true)
            .stdin(options.stdin)
            .stdout(true)
            .stderr(true);
        if let Some(keys) = &options.detach_keys {
            query = query.detach_keys(keys);
        }
        let options = query.build();
        let attached = self
            .client
            .attach_container(id, Some(options))
            .await
            .map_err(|e| self.fail(e))?;
        let host = self.host.clone();
        let output = attached
            .output
            .map(move |chunk| log_chunk(&host, chunk))
            .boxed();
        Ok(Session {
            id: id.to_string(),
            output: Some(output),
            input: Some(attached.input),
        })
    }

    pub(super) async fn wait_exit(&self, id: &str) -> Result<i64> {
        let mut waits = self
            .client
            .wait_container(id, None::<bollard::query_parameters::WaitContainerOptions>);
        match waits.next().await {
            Some(Ok(done)) => Ok(done.status_code),
            // bollard reports a non-zero exit as an error that carries the code.
            Some(Err(BollardError::DockerContainerWaitError { code, .. })) => Ok(code),
            Some(Err(e)) => Err(self.fail(e)),
            None => Err(EngineError::NoExitCode { id: id.to_string() }),
        }
    }

    pub(super) async fn resize_tty(&self, id: &str, rows: u16, cols: u16) -> Result<()> {
        let options = bollard::query_parameters::ResizeContainerTTYOptionsBuilder::default()
            .h(i32::from(rows))
            .w(i32::from(cols))
            .build();
        self.quick
            .resize_container_tty(id, options)
            .await
            .map_err(|e| self.fail(e))
    }

    pub(super) async fn exec_exit(&self, exec: &str) -> Result<i64> {
        let inspect = self
            .read(|c| async move { c.inspect_exec(exec).await })
            .await
            .map_err(|e| self.fail(e))?;
        Ok(inspect.exit_code.unwrap_or_default())
    }

    pub(super) async fn resize_exec_tty(&self, exec: &str, rows: u16, cols: u16) -> Result<()> {
        let options = bollard::query_parameters::ResizeExecOptionsBuilder::default()
            .h(i32::from(rows))
            .w(i32::from(cols))
            .build();
        self.quick
            .resize_exec(exec, options)
            .await
            .map_err(|e| self.fail(e))
    }

    pub(super) async fn kill(&self, id: &str, signal: &str) -> Result<()> {
        let options = KillContainerOptionsBuilder::default()
            .signal(signal)
            .build();
        let kill = || Intent::Kill {
            id: id.to_string(),
            signal: signal.to_string(),
        };
        self.noted(kill, async {
            self.quick
                .kill_container(id, Some(options))
                .await
                .map_err(|e| self.fail(e))
        })
        .await
    }

    pub(super) async fn pause(&self, id: &str) -> Result<()> {
        self.quick
            .pause_container(id)
            .await
            .map_err(|e| self.fail(e))
    }

    pub(super) async fn unpause(&self, id: &str) -> Result<()> {
        self.quick
            .unpause_container(id)
            .await
            .map_err(|e| self.fail(e))
    }

    pub(super) async fn status(&self, id: &str) -> Result<ContainerStatus> {
        let inspect: wire::Inspect = self
            .get_json(&format!("/containers/{}/json", percent_encode(id)))
            .await?;
        let check = inspect.config.as_ref().and_then(|c| c.healthcheck.as_ref());
        let status_check = check.filter(|c| c.is_set()).map(|c| c.interval);
        let status = ContainerStatus::from(inspect);
        if let Some(interval) = status_check
            && status.state == RunState::Running
            && status.health == Some(Health::Starting)
        {
            self.run_health_checks(id, podman::interval(interval)).await;
        }
        Ok(status)
    }

    pub(super) async fn copy_in(&self, id: &str, files: &[FileCopy]) -> Result<()> {
        if files.is_empty() {
            return Ok(());
        }
        let mut archive = tar::Builder::new(Vec::new());
        for file in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(file.content.len() as u64);
            header.set_mode(file.mode);
            header.set_uid(file.uid);
            header.set_gid(file.gid);
            header.set_mtime(unix_now() as u64);
            archive
                .append_data(
                    &mut header,
                    file.path.trim_start_matches('/'),
                    file.content.as_slice(),
                )
                .map_err(|e| EngineError::Pack {
                    path: file.path.clone(),
                    reason: e.to_string(),
                })?;
        }
        let bytes = archive
            .into_inner()
            .map_err(|e| EngineError::Archive(e.to_string()))?;
        // The engine creates the missing parent directories of each entry.
        self.upload_archive(id, "/", bytes.into(), false).await
    }

    pub(super) async fn download_archive(&self, id: &str, path: &str) -> Result<Vec<u8>> {
        let options = DownloadFromContainerOptionsBuilder::default()
            .path(path)
            .build();
        let mut stream = self.client.download_from_container(id, Some(options));
        let mut archive = Vec::new();
        while let Some(chunk) = stream.next().await {
            archive.extend_from_slice(&chunk.map_err(|e| self.fail(e))?);
        }
        Ok(archive)
    }

    pub(super) async fn upload_archive(
        &self,
        id: &str,
        dir: &str,
        archive: bytes::Bytes,
        owned: bool,
    ) -> Result<()> {
        // The directory must be there: Docker refuses a missing one, but
        // Podman makes it (and `cp` relies on the refusal to copy to a new
        // name), so it is looked at first, as `docker cp` does.
        if dir != "/" {
            let options = ContainerArchiveInfoOptionsBuilder::default()
                .path(dir)
                .build();
            let stat = self
                .client
                .get_container_archive_info(id, Some(options))
                .await
                .map_err(|e| self.fail(e))?;
            if !wire::is_directory(stat.file_mode) {
                return Err(EngineError::NotADirectory {
                    path: dir.to_string(),
                });
            }
        }
        let options = UploadToContainerOptionsBuilder::default()
            .path(dir)
            .copy_uidgid(if owned { "true" } else { "false" })
            .build();
        self.client
            .upload_to_container(id, Some(options), bollard::body_full(archive))
            .await
            .map_err(|e| self.fail(e))
    }

    pub(super) fn export(&self, id: &str) -> BoxStream<'static, Result<bytes::Bytes>> {
        let (client, host) = (self.client.clone(), self.host.clone());
        client
            .export_container(id)
            .map(move |chunk| chunk.map_err(|e| engine_error(&host, e)))
            .boxed()
    }

    pub(super) async fn commit(&self, id: &str, spec: &CommitSpec) -> Result<String> {
        let mut options = CommitContainerOptionsBuilder::default()
            .container(id)
            .pause(spec.pause);
        // Empty means not given: the engine would take an empty author or tag literally.
        if !spec.repository.is_empty() {
            options = options.repo(&spec.repository);
        }
        if !spec.tag.is_empty() {
            options = options.tag(&spec.tag);
        }
        if !spec.author.is_empty() {
            options = options.author(&spec.author);
        }
        if !spec.message.is_empty() {
            options = options.comment(&spec.message);
        }
        if !spec.changes.is_empty() {
            // The engine reads the instructions as the lines of one Dockerfile.
            options = options.changes(&spec.changes.join("\n"));
        }
        let created = self
            .client
            .commit_container(options.build(), bollard::models::ContainerConfig::default())
            .await
            .map_err(|e| self.fail(e))?;
        Ok(created.id)
    }
}
