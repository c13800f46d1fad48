//! Each kind of action of a plan, run against the engine, with the
//! progress events people see.

use crate::engine::spec::MountKind;
use std::collections::BTreeMap;
use std::time::Duration;

use super::{ExecError, Shared, grace_period};
use crate::engine::spec::{MountSpec, NetworkAttachment};
use crate::engine::{Engine, EngineError, FileCopy, labels};
use crate::events::{Kind, Status, Word};
use crate::reconcile::config_hash;
use crate::reconcile::desired::Hook;
use crate::reconcile::fingerprint::Fingerprint;
use crate::reconcile::host_files;
use crate::reconcile::plan::{Op, container_name};
use crate::reconcile::references;

/// Runs `op`, any action but a wait.
pub(super) async fn perform<E: Engine>(shared: &Shared<E>, op: &Op) -> Result<(), ExecError> {
    match op {
        Op::CreateNetwork { network, name } => create_network(shared, network, name).await,
        Op::CreateVolume { volume, name } => create_volume(shared, volume, name).await,
        Op::RemoveNetwork { name, id } => remove_network(shared, name, id).await,
        Op::RemoveVolume { name } => remove_volume(shared, name).await,
        Op::CreateContainer {
            service,
            name,
            number,
            inherit,
            replaces,
        } => {
            let replica = Replica {
                service,
                name,
                number: *number,
                inherit,
                replaces: replaces.as_deref(),
            };
            create_container(shared, replica).await
        }
        Op::RenameContainer { name, to, .. } => rename_container(shared, name, to).await,
        Op::StartContainer { service, name } => start_container(shared, service, name).await,
        Op::StopContainer {
            service,
            name,
            timeout,
        } => stop_container(shared, service, name, *timeout).await,
        Op::RemoveContainer {
            name,
            volumes,
            anonymous_volumes,
            ..
        } => remove_container(shared, name, *volumes, anonymous_volumes).await,
        Op::KillContainer { name, signal, .. } => kill_container(shared, name, signal).await,
        Op::PauseContainer { name, .. } => pause_container(shared, name).await,
        Op::UnpauseContainer { name, .. } => unpause_container(shared, name).await,
        Op::DisconnectNetwork { name, network, .. } => {
            disconnect_network(shared, name, network).await
        }
        Op::ConnectNetwork {
            name,
            network,
            attachment,
            ..
        } => connect_network(shared, name, network, attachment).await,
        Op::Wait { .. } => unreachable!("waits are run by the wait module"),
    }
}

/// Creates a network; one another invocation created first will do.
async fn create_network<E: Engine>(
    shared: &Shared<E>,
    network: &str,
    name: &str,
) -> Result<(), ExecError> {
    shared.emit(Kind::Network, name, Status::Working, Word::Creating);
    let spec = &shared.ctx.desired.networks[network].spec;
    match shared.ctx.engine.create_network(spec).await {
        // Another invocation got there first: as good as created.
        Ok(_) | Err(EngineError::Conflict(_)) => {}
        Err(e) => return Err(e.into()),
    }
    shared.emit(Kind::Network, name, Status::Done, Word::Created);
    Ok(())
}

/// Creates a volume.
async fn create_volume<E: Engine>(
    shared: &Shared<E>,
    volume: &str,
    name: &str,
) -> Result<(), ExecError> {
    shared.emit(Kind::Volume, name, Status::Working, Word::Creating);
    let spec = &shared.ctx.desired.volumes[volume].spec;
    shared.ctx.engine.create_volume(spec).await?;
    shared.emit(Kind::Volume, name, Status::Done, Word::Created);
    Ok(())
}

/// Removes a network, by ID: several may share its name.
async fn remove_network<E: Engine>(
    shared: &Shared<E>,
    name: &str,
    id: &str,
) -> Result<(), ExecError> {
    shared.emit(Kind::Network, name, Status::Working, Word::Removing);
    shared.ctx.engine.remove_network(id).await?;
    shared.emit(Kind::Network, name, Status::Done, Word::Removed);
    Ok(())
}

/// Removes a volume; one still in use stays, with a warning.
async fn remove_volume<E: Engine>(shared: &Shared<E>, name: &str) -> Result<(), ExecError> {
    shared.emit(Kind::Volume, name, Status::Working, Word::Removing);
    match shared.ctx.engine.remove_volume(name).await {
        Ok(()) => shared.emit(Kind::Volume, name, Status::Done, Word::Removed),
        // A container of another project still mounts it (a volume
        // with a fixed `name:`): it stays, and `down` goes on, as
        // with Docker Compose.
        Err(EngineError::Conflict(_)) => shared.ctx.events.emit(
            Kind::Volume,
            name,
            Status::Warning,
            Word::InUse,
            "kept: a container outside this project still mounts it",
        ),
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// The replica a `CreateContainer` action makes.
struct Replica<'a> {
    service: &'a str,
    name: &'a str,
    number: u32,
    /// Anonymous volumes taken over: target → volume.
    inherit: &'a BTreeMap<String, String>,
    /// The container it replaces, shown instead of its temporary name.
    replaces: Option<&'a str>,
}

/// Creates a replica and records its ID. A conflict over its name is
/// another berth's create of the same replica, adopted when it is.
async fn create_container<E: Engine>(
    shared: &Shared<E>,
    replica: Replica<'_>,
) -> Result<(), ExecError> {
    let Replica { service, name, .. } = replica;
    let desired = &shared.ctx.desired;
    let display = replica.replaces.unwrap_or(name);
    let (working, done) = if replica.replaces.is_some() {
        (Word::Recreate, Word::Recreated)
    } else {
        (Word::Creating, Word::Created)
    };
    shared.emit(Kind::Container, display, Status::Working, working);
    let spec = replica_spec(
        shared,
        service,
        replica.number,
        replica.inherit,
        replica.replaces,
    )?;
    let network_name = container_name(desired, &desired.services[service], replica.number);
    let created = shared
        .ctx
        .engine
        .create_container(name, &network_name, &spec)
        .await;
    let id = match created {
        Ok(created) => {
            // Settings the engine dropped are not dropped silently.
            for warning in &created.warnings {
                shared.ctx.events.emit(
                    Kind::Container,
                    display,
                    Status::Warning,
                    Word::Warning,
                    warning,
                );
            }
            created.id
        }
        // A killed berth's create the engine finished after we looked:
        // the same replica with the same spec is as good as ours.
        Err(EngineError::Conflict(message)) => adopt(shared, name, &spec)
            .await?
            .ok_or(ExecError::Engine(EngineError::Conflict(message)))?,
        Err(e) => return Err(e.into()),
    };
    shared
        .ids
        .lock()
        .expect("the ID map is never poisoned")
        .insert(name.to_string(), id);
    if replica.replaces.is_none() {
        shared.emit(Kind::Container, display, Status::Done, done);
    }
    Ok(())
}

/// Renames a recreated replica to its final name, which ends its recreate.
async fn rename_container<E: Engine>(
    shared: &Shared<E>,
    name: &str,
    to: &str,
) -> Result<(), ExecError> {
    let id = shared.id_of(name)?;
    shared.ctx.engine.rename_container(&id, to).await?;
    shared
        .ids
        .lock()
        .expect("the ID map is never poisoned")
        .insert(to.to_string(), id);
    shared.emit(Kind::Container, to, Status::Done, Word::Recreated);
    Ok(())
}

/// Starts a container: its files copied in first, then its post_start hooks.
async fn start_container<E: Engine>(
    shared: &Shared<E>,
    service: &str,
    name: &str,
) -> Result<(), ExecError> {
    let (engine, desired) = (&shared.ctx.engine, &shared.ctx.desired);
    let id = shared.id_of(name)?;
    // A container of a service the file no longer has (an orphan put
    // back on a recreated network) starts as it is.
    let spec = desired.services.get(service).map(|s| &s.spec);
    shared.emit(Kind::Container, name, Status::Working, Word::Starting);
    if let Some(spec) = spec.filter(|s| !s.files.is_empty() && !s.read_only) {
        let files: Vec<FileCopy> = spec.files.iter().map(FileCopy::from).collect();
        engine.copy_files(&id, &files).await?;
    }
    let allocates_ports = spec.is_some_and(|s| {
        s.ports
            .iter()
            .any(|p| p.published.is_empty() || p.published.contains('-'))
    });
    let _turn = if allocates_ports {
        Some(shared.port_start.lock().await)
    } else {
        None
    };
    engine.start_container(&id).await?;
    drop(_turn);
    shared.emit(Kind::Container, name, Status::Done, Word::Started);
    let hooks = desired
        .services
        .get(service)
        .map_or(&[][..], |s| &s.post_start);
    for hook in hooks {
        run_hook(shared, service, name, &id, "post_start", hook).await?;
    }
    Ok(())
}

/// Stops a container, its pre_stop hooks first.
async fn stop_container<E: Engine>(
    shared: &Shared<E>,
    service: &str,
    name: &str,
    timeout: Option<i64>,
) -> Result<(), ExecError> {
    let desired = &shared.ctx.desired;
    let id = shared.id_of(name)?;
    let hooks = desired
        .services
        .get(service)
        .map_or(&[][..], |s| &s.pre_stop);
    for hook in hooks {
        // A failed pre_stop hook does not keep the container running.
        if let Err(e) = run_hook(shared, service, name, &id, "pre_stop", hook).await {
            shared.ctx.events.emit(
                Kind::Container,
                name,
                Status::Warning,
                Word::HookFailed,
                &e.to_string(),
            );
        }
    }
    match grace_period(desired, service, timeout) {
        Some(seconds) => shared.ctx.events.stopping(name, seconds),
        None => shared.emit(Kind::Container, name, Status::Working, Word::Stopping),
    }
    shared.ctx.engine.stop_container(&id, timeout).await?;
    shared.emit(Kind::Container, name, Status::Done, Word::Stopped);
    Ok(())
}

/// Removes a container, then the anonymous volumes it leaves behind.
async fn remove_container<E: Engine>(
    shared: &Shared<E>,
    name: &str,
    volumes: bool,
    anonymous_volumes: &[String],
) -> Result<(), ExecError> {
    let engine = &shared.ctx.engine;
    let id = shared.id_of(name)?;
    shared.emit(Kind::Container, name, Status::Working, Word::Removing);
    engine.remove_container(&id, volumes).await?;
    for volume in anonymous_volumes {
        // Gone already (the engine took it along), or still mounted by
        // another container, which takes it along when it goes.
        match engine.remove_volume(volume).await {
            Ok(()) | Err(EngineError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    shared.emit(Kind::Container, name, Status::Done, Word::Removed);
    Ok(())
}

/// Sends `signal` to a container (`kill`).
async fn kill_container<E: Engine>(
    shared: &Shared<E>,
    name: &str,
    signal: &str,
) -> Result<(), ExecError> {
    let id = shared.id_of(name)?;
    shared.emit(Kind::Container, name, Status::Working, Word::Killing);
    shared.ctx.engine.kill_container(&id, signal).await?;
    shared.emit(Kind::Container, name, Status::Done, Word::Killed);
    Ok(())
}

/// Pauses a container (`pause`).
async fn pause_container<E: Engine>(shared: &Shared<E>, name: &str) -> Result<(), ExecError> {
    let id = shared.id_of(name)?;
    shared.emit(Kind::Container, name, Status::Working, Word::Pausing);
    shared.ctx.engine.pause_container(&id).await?;
    shared.emit(Kind::Container, name, Status::Done, Word::Paused);
    Ok(())
}

/// Unpauses a container (`unpause`).
async fn unpause_container<E: Engine>(shared: &Shared<E>, name: &str) -> Result<(), ExecError> {
    let id = shared.id_of(name)?;
    shared.emit(Kind::Container, name, Status::Working, Word::Unpausing);
    shared.ctx.engine.unpause_container(&id).await?;
    shared.emit(Kind::Container, name, Status::Done, Word::Unpaused);
    Ok(())
}

/// Takes a container off a network that is about to be recreated.
async fn disconnect_network<E: Engine>(
    shared: &Shared<E>,
    name: &str,
    network: &str,
) -> Result<(), ExecError> {
    let id = shared.id_of(name)?;
    shared.emit(Kind::Container, name, Status::Working, Word::Disconnecting);
    shared.ctx.engine.disconnect_network(network, &id).await?;
    shared.emit(Kind::Container, name, Status::Done, Word::Disconnected);
    Ok(())
}

/// Joins a container to a recreated network, with the aliases and
/// addresses it was created with.
async fn connect_network<E: Engine>(
    shared: &Shared<E>,
    name: &str,
    network: &str,
    attachment: &NetworkAttachment,
) -> Result<(), ExecError> {
    let id = shared.id_of(name)?;
    shared.emit(Kind::Container, name, Status::Working, Word::Connecting);
    shared
        .ctx
        .engine
        .connect_network(network, &id, name, attachment)
        .await?;
    shared.emit(Kind::Container, name, Status::Done, Word::Connected);
    Ok(())
}

/// Runs a lifecycle hook in the container `id` of `service`; a non-zero
/// exit is an error that names the service, the hook and its output.
async fn run_hook<E: Engine>(
    shared: &Shared<E>,
    service: &str,
    name: &str,
    id: &str,
    kind: &'static str,
    hook: &Hook,
) -> Result<(), ExecError> {
    shared.emit(
        Kind::Container,
        name,
        Status::Working,
        Word::HookRunning(kind),
    );
    let (exit_code, output) = crate::engine::exec_to_end(&shared.ctx.engine, id, hook).await?;
    if exit_code != 0 {
        return Err(ExecError::Hook {
            service: service.to_string(),
            kind,
            command: hook.command.join(" "),
            code: exit_code,
            container: name.to_string(),
            output: String::from_utf8_lossy(&output).trim().to_string(),
        });
    }
    shared.emit(Kind::Container, name, Status::Done, Word::HookDone(kind));
    Ok(())
}

/// The ID of the container named `name` if it is this very replica
/// (same project, service, number and configuration hash), made by a killed
/// or concurrent berth.
async fn adopt<E: Engine>(
    shared: &Shared<E>,
    name: &str,
    spec: &crate::engine::ContainerSpec,
) -> Result<Option<String>, ExecError> {
    let same = |c: &crate::engine::Container, key: &str| {
        c.label(key) == spec.identity_labels.get(key).map(String::as_str)
    };
    // The engine reserves the name when a create begins, but lists the
    // container only once it is made: give an in-flight create a moment.
    for _ in 0..ADOPT_ATTEMPTS {
        let containers = shared
            .ctx
            .engine
            .list_containers(&shared.ctx.desired.project)
            .await?;
        let mine = containers.iter().find(|c| {
            c.name == name
                && same(c, labels::SERVICE)
                && same(c, labels::CONTAINER_NUMBER)
                && same(c, labels::CONFIG_HASH)
        });
        if let Some(container) = mine {
            return Ok(Some(container.id.clone()));
        }
        if containers.iter().any(|c| c.name == name) {
            // Made, but not this replica: not ours to adopt.
            return Ok(None);
        }
        tokio::time::sleep(ADOPT_INTERVAL).await;
    }
    Ok(None)
}

/// How long an in-flight create of another berth is waited for: 3 s at most.
const ADOPT_ATTEMPTS: usize = 30;
const ADOPT_INTERVAL: Duration = Duration::from_millis(100);

/// The spec of one replica: the service's, plus its identity labels, the
/// anonymous volumes it inherits and its namespace parents resolved to IDs.
fn replica_spec<E: Engine>(
    shared: &Shared<E>,
    service: &str,
    number: u32,
    inherit: &BTreeMap<String, String>,
    replaces: Option<&str>,
) -> Result<crate::engine::ContainerSpec, ExecError> {
    let desired = &shared.ctx.desired;
    let first_container = |target: &str| {
        let ids = shared.ids.lock().expect("the ID map is never poisoned");
        references::replicas_of(
            desired,
            target,
            ids.iter().map(|(name, id)| (name.as_str(), id.as_str())),
        )
        .into_iter()
        .next()
        .map(|replica| replica.id)
    };
    let hash = config_hash::service_hash(desired.services[service].hashed(), first_container);
    let mut spec = desired.services[service].spec.clone();
    spec.identity_labels
        .insert(labels::CONTAINER_NUMBER.into(), number.to_string());
    spec.identity_labels
        .insert(labels::CONFIG_HASH.into(), hash);
    spec.identity_labels
        .insert(labels::DIGESTS.into(), Fingerprint::of(&spec).to_label());
    if let Some(image_id) = shared.ctx.images.get(&spec.image) {
        spec.identity_labels
            .insert(labels::IMAGE.into(), image_id.clone());
    }
    if let Some(old) = replaces {
        spec.identity_labels
            .insert(labels::REPLACE.into(), old.to_string());
    }
    for (target, volume) in inherit {
        match spec.mounts.iter_mut().find(|m| &m.target == target) {
            Some(mount) => mount.source = volume.clone(),
            // A volume the image declares: keep its data too.
            None => spec.mounts.push(MountSpec {
                kind: MountKind::Volume,
                source: volume.clone(),
                target: target.clone(),
                ..Default::default()
            }),
        }
    }
    host_files::bind_from_host(
        &desired.project,
        service,
        &mut spec,
        shared.ctx.engine.dry_run(),
    )?;
    // References to services become references to their containers.
    references::resolve(&mut spec, desired, |target| {
        let ids = shared.ids.lock().expect("the ID map is never poisoned");
        references::replicas_of(
            desired,
            target,
            ids.iter().map(|(name, id)| (name.as_str(), id.as_str())),
        )
    })?;
    Ok(spec)
}
