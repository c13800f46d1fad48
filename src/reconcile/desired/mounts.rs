//! What a service's containers mount: its `volumes` entries (binds, named
//! and anonymous volumes, tmpfs), and its secrets and configs, bound or
//! copied in.

use crate::engine::spec::MountKind;
use std::path::Path;

use super::service::ServiceContext;
use super::{DesiredError, Gate, Origin, sorted};
use crate::engine::ApiVersion;
use crate::engine::spec::{ContainerSpec, FileSpec, MountSpec};
use crate::load::node::PathSeg;
use crate::model::{FileObjectConfig, FileReferenceConfig, ServiceVolumeConfig};

impl ServiceContext<'_> {
    /// Adds the service's `volumes` to the spec's mounts. Returns the keys
    /// of the named volumes they mount.
    pub(super) fn mounts(&mut self, spec: &mut ContainerSpec) -> Result<Vec<String>, DesiredError> {
        let mut volume_keys = Vec::new();
        for (index, volume) in self.service.volumes.iter().enumerate() {
            let mount = match volume.kind.as_str() {
                "bind" => self.bind_mount(index, volume),
                "volume" => {
                    let (mount, key) = self.volume_mount(index, volume)?;
                    volume_keys.extend(key);
                    mount
                }
                "tmpfs" => tmpfs_mount(volume),
                other => return Err(self.unmountable(index, volume, other)),
            };
            spec.mounts.push(mount);
        }
        Ok(volume_keys)
    }

    /// The path of `last` in the service's volume `index`.
    fn volume_path(&self, index: usize, last: &str) -> Vec<PathSeg> {
        let mut p = self.key(&["volumes"]);
        p.push(PathSeg::Index(index));
        p.push(PathSeg::Key(last.into()));
        p
    }

    /// A bind of a host path.
    fn bind_mount(&mut self, index: usize, volume: &ServiceVolumeConfig) -> MountSpec {
        let mut mount = base_mount(volume);
        mount.source = volume.source.clone();
        match &volume.bind {
            Some(bind) => {
                mount.propagation = bind.propagation.clone();
                mount.create_host_path = bind.create_host_path;
                mount.selinux = bind.selinux.clone();
                mount.recursive = bind.recursive.clone();
                // Docker Compose's client refuses it below 1.44
                // (`writable`, the older engines' behaviour, is sent anyway).
                if bind.recursive == "readonly" {
                    self.gates.push(Gate::new(
                        ApiVersion::BIND_RECURSIVE_READ_ONLY,
                        self.volume_path(index, "bind"),
                        "it would leave the submounts of the bind writable",
                        true,
                    ));
                }
            }
            // Docker Compose sends a bind without options in the
            // `Binds` list, which makes a missing host directory.
            None => mount.create_host_path = true,
        }
        // Docker Compose passes `nocopy` on in a bind's `Binds` entry.
        mount.nocopy = volume.volume.as_ref().is_some_and(|v| v.nocopy);
        mount
    }

    /// A named volume the top-level `volumes` declare (its key returned
    /// with the mount), or an anonymous one.
    fn volume_mount(
        &mut self,
        index: usize,
        volume: &ServiceVolumeConfig,
    ) -> Result<(MountSpec, Option<String>), DesiredError> {
        let mut mount = base_mount(volume);
        let mut key = None;
        if !volume.source.is_empty() {
            let Some(declared) = self.desired.volumes.get(&volume.source) else {
                return Err(self.fail(format!(
                    "uses volume {:?}, which the top-level volumes do not declare",
                    volume.source
                )));
            };
            mount.source = declared.spec.name.clone();
            key = Some(volume.source.clone());
        }
        // Options of the `Binds` entry Docker Compose sends for a
        // named volume (`data:/data:Z`).
        if let Some(bind) = &volume.bind {
            mount.selinux = bind.selinux.clone();
            mount.propagation = bind.propagation.clone();
        }
        if let Some(options) = &volume.volume {
            mount.nocopy = options.nocopy;
            mount.subpath = options.subpath.clone();
            mount.volume_labels = sorted(&options.labels);
            if !options.subpath.is_empty() {
                // An older engine would mount the whole volume instead.
                self.gates.push(Gate::new(
                    ApiVersion::VOLUME_SUBPATH,
                    self.volume_path(index, "volume"),
                    "it would mount the whole volume instead of the subpath",
                    true,
                ));
            }
        }
        Ok((mount, key))
    }

    /// The error for a volume of a type berth cannot mount.
    fn unmountable(&self, index: usize, volume: &ServiceVolumeConfig, kind: &str) -> DesiredError {
        let why = match kind {
            "npipe" => "named pipes exist only on Windows engines",
            "cluster" => "cluster volumes exist only in Swarm mode",
            "image" => "image mounts need Docker Engine API 1.48, and berth does not make them yet",
            _ => "berth knows bind, volume and tmpfs",
        };
        self.fail_at(
            self.volume_path(index, "type"),
            format!(
                "the volume {} has type {kind:?}, which berth cannot mount: {why}",
                volume.target
            ),
        )
    }

    /// Adds the service's secrets and configs to the spec. One the file
    /// does not declare is an error; one whose content cannot be had is a
    /// problem: only creating containers needs the content.
    pub(super) fn file_objects(&mut self, spec: &mut ContainerSpec) -> Result<(), DesiredError> {
        let service = self.service;
        let references = service
            .secrets
            .iter()
            .map(|s| (s, "/run/secrets", "secret"))
            .chain(service.configs.iter().map(|c| (c, "", "config")));
        for (reference, base, kind) in references {
            let definitions = if kind == "secret" {
                &self.project.secrets
            } else {
                &self.project.configs
            };
            let Some(definition) = definitions.get(&reference.source) else {
                return Err(self.fail(format!(
                    "uses {kind} {:?}, which the top-level {kind}s do not declare",
                    reference.source
                )));
            };
            if let Err(e) = file_object(spec, self.origin, reference, definition, base, kind) {
                self.problem(e.to_string());
            }
        }
        Ok(())
    }
}

/// What every mount of a `volumes` entry has: its type, target and mode.
fn base_mount(volume: &ServiceVolumeConfig) -> MountSpec {
    MountSpec {
        // The caller has matched the type: one of these.
        kind: MountKind::parse(&volume.kind).unwrap_or_default(),
        target: volume.target.clone(),
        read_only: volume.read_only,
        ..Default::default()
    }
}

/// A tmpfs, with its size and mode when set.
fn tmpfs_mount(volume: &ServiceVolumeConfig) -> MountSpec {
    let mut mount = base_mount(volume);
    if let Some(tmpfs) = &volume.tmpfs {
        mount.tmpfs_size = (tmpfs.size.0 > 0).then_some(tmpfs.size.0);
        mount.tmpfs_mode = (tmpfs.mode != 0).then_some(tmpfs.mode);
    }
    mount
}

/// A secret or config that cannot be given to a container; `kind` is
/// `secret` or `config`, `name` the reference's source.
#[derive(Debug, thiserror::Error)]
pub enum FileObjectError {
    #[error("external {kind}s exist only in Swarm; {name:?} cannot be mounted here")]
    External { kind: &'static str, name: String },
    #[error("the file {file} of {kind} {name:?} does not exist")]
    Missing {
        file: String,
        kind: &'static str,
        name: String,
    },
    #[error("cannot read the file {file} of {kind} {name:?}: {source}")]
    Unreadable {
        file: String,
        kind: &'static str,
        name: String,
        source: std::io::Error,
    },
    #[error("{kind} {name:?} comes from the environment variable {variable}, which is not set")]
    Unset {
        kind: &'static str,
        name: String,
        variable: String,
    },
}

/// A secret or config: a read-only bind of its file, or a file copied in.
fn file_object(
    spec: &mut ContainerSpec,
    origin: &Origin,
    reference: &FileReferenceConfig,
    definition: &FileObjectConfig,
    base: &str,
    kind: &'static str,
) -> Result<(), FileObjectError> {
    let target = if reference.target.is_empty() {
        format!("{base}/{}", reference.source)
    } else if reference.target.starts_with('/') {
        reference.target.clone()
    } else {
        format!("{base}/{}", reference.target)
    };
    if definition.external {
        return Err(FileObjectError::External {
            kind,
            name: reference.source.clone(),
        });
    }
    if !definition.file.is_empty() {
        if !Path::new(&definition.file).exists() {
            return Err(FileObjectError::Missing {
                file: definition.file.clone(),
                kind,
                name: reference.source.clone(),
            });
        }
        // A bind keeps the host file's owner and mode, so one that asks for
        // its own is copied in instead (Docker Compose binds it and ignores
        // them without a word).
        let owned =
            !reference.uid.is_empty() || !reference.gid.is_empty() || reference.mode.is_some();
        if owned && Path::new(&definition.file).is_file() {
            let content =
                std::fs::read(&definition.file).map_err(|source| FileObjectError::Unreadable {
                    file: definition.file.clone(),
                    kind,
                    name: reference.source.clone(),
                    source,
                })?;
            push_file(spec, reference, target, content);
            return Ok(());
        }
        spec.mounts.push(MountSpec {
            kind: MountKind::Bind,
            source: definition.file.clone(),
            target,
            read_only: true,
            ..Default::default()
        });
        return Ok(());
    }
    let content = if !definition.environment.is_empty() {
        origin
            .environment
            .get(&definition.environment)
            .cloned()
            .ok_or_else(|| FileObjectError::Unset {
                kind,
                name: reference.source.clone(),
                variable: definition.environment.clone(),
            })?
    } else {
        definition.content.clone()
    };
    push_file(spec, reference, target, content.into_bytes());
    Ok(())
}

/// A secret or config copied in before each start, with the owner and mode
/// the reference asks for.
fn push_file(
    spec: &mut ContainerSpec,
    reference: &FileReferenceConfig,
    target: String,
    content: Vec<u8>,
) {
    let digest = crate::digest::sha256_hex(&content);
    spec.files.push(FileSpec {
        path: target,
        digest,
        uid: reference.uid.parse().unwrap_or(0),
        gid: reference.gid.parse().unwrap_or(0),
        mode: reference.mode.map_or(0o444, |m| m.0 as u32),
        content,
    });
}
