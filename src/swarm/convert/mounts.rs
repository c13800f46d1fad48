//! What a service mounts: volumes, binds and tmpfs, and the files of its
//! configs and secrets.

use serde_json::{Value, json};

use super::{ConvertError, FileObject, Stack, default_name};
use crate::model::{FileReferenceConfig, Project, Service};
use crate::swarm::{NAMESPACE, scoped};

pub fn mounts(
    project: &Project,
    stack: &Stack,
    key: &str,
    service: &Service,
) -> Result<Value, ConvertError> {
    let mut mounts = Vec::new();
    for volume in &service.volumes {
        let mut mount = json!({
            "Type": volume.kind,
            "Target": volume.target,
            "ReadOnly": volume.read_only,
        });
        match volume.kind.as_str() {
            "volume" => {
                mount["Source"] = volume_source(project, &stack.name, &volume.source).into();
                let definition = project.volumes.get(&volume.source);
                let driver = definition
                    .filter(|d| !d.driver.is_empty())
                    .map(|d| json!({ "Name": d.driver, "Options": d.driver_opts }));
                let mut labels = definition.map(|d| d.labels.clone()).unwrap_or_default();
                labels.insert(NAMESPACE.into(), stack.name.clone());
                mount["VolumeOptions"] = json!({
                    "NoCopy": volume.volume.as_ref().is_some_and(|v| v.nocopy),
                    "Labels": labels,
                    "DriverConfig": driver,
                });
            }
            "bind" => {
                mount["Source"] = volume.source.clone().into();
                let propagation = volume.bind.as_ref().map(|b| b.propagation.clone());
                mount["BindOptions"] = json!({ "Propagation": propagation });
            }
            "tmpfs" => {
                let tmpfs = volume.tmpfs.clone().unwrap_or_default();
                mount["TmpfsOptions"] = json!({ "SizeBytes": tmpfs.size.0, "Mode": tmpfs.mode });
            }
            other => {
                return Err(ConvertError::new(
                    format!("a {other} mount cannot be given to a swarm service"),
                    &["services", key, "volumes"],
                ));
            }
        }
        mounts.push(mount);
    }
    for tmpfs in &service.tmpfs {
        let target = tmpfs.split_once(':').map_or(tmpfs.as_str(), |(t, _)| t);
        mounts.push(json!({ "Type": "tmpfs", "Target": target }));
    }
    Ok(Value::Array(mounts))
}

/// A named volume's name in the swarm; an anonymous one has none.
fn volume_source(project: &Project, stack: &str, source: &str) -> String {
    match project.volumes.get(source) {
        Some(v) if v.external => {
            if v.name.is_empty() {
                source.to_string()
            } else {
                v.name.clone()
            }
        }
        Some(v) if !default_name(project, source, &v.name) => v.name.clone(),
        Some(_) => scoped(stack, source),
        None => source.to_string(),
    }
}

/// The file of a reference: its name (a path for configs, a name under
/// `/run/secrets` for secrets), owner and mode.
fn file(reference: &FileReferenceConfig, default_target: String) -> Value {
    let name = if reference.target.is_empty() {
        default_target
    } else {
        reference.target.clone()
    };
    let id = |s: &str| {
        if s.is_empty() {
            "0".to_string()
        } else {
            s.to_string()
        }
    };
    json!({
        "Name": name,
        "UID": id(&reference.uid),
        "GID": id(&reference.gid),
        "Mode": reference.mode.map_or(0o444, |m| m.0),
    })
}

fn version<'a>(objects: &'a [FileObject], key: &'a str) -> &'a str {
    objects
        .iter()
        .find(|o| o.key == key)
        .map_or(key, |o| o.name.as_str())
}

pub fn secrets(stack: &Stack, service: &Service) -> Value {
    service
        .secrets
        .iter()
        .map(|r| {
            json!({
                "File": file(r, r.source.clone()),
                "SecretName": version(&stack.secrets, &r.source),
            })
        })
        .collect()
}

pub fn configs(stack: &Stack, service: &Service) -> Value {
    service
        .configs
        .iter()
        .map(|r| {
            json!({
                "File": file(r, format!("/{}", r.source)),
                "ConfigName": version(&stack.configs, &r.source),
            })
        })
        .collect()
}
