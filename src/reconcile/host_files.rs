//! Secrets and configs of read-only services: the engine refuses to copy
//! files into a read-only root filesystem, so berth writes them on the host
//! (the engine is local) and binds them read-only instead.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use crate::engine::spec::{ContainerSpec, FileSpec, MountSpec};

/// Where the files of read-only services live on the host: one directory
/// per project, readable by its owner only, removed by `down`.
pub fn host_files_dir(project: &str) -> PathBuf {
    std::env::temp_dir().join("berth-files").join(project)
}

/// Turns the files `spec` would copy in into read-only binds of host
/// files, when its root filesystem is read-only. A `dry_run` only names
/// the files, without writing them.
pub fn bind_from_host(
    project: &str,
    service: &str,
    spec: &mut ContainerSpec,
    dry_run: bool,
) -> Result<(), String> {
    if !spec.read_only {
        return Ok(());
    }
    for file in std::mem::take(&mut spec.files) {
        let source = host_file(project, service, &file, dry_run).map_err(|e| {
            format!(
                "cannot write {} for the read-only service {service}: {e}",
                file.path
            )
        })?;
        spec.mounts.push(MountSpec {
            kind: "bind".into(),
            source,
            target: file.path,
            read_only: true,
            ..Default::default()
        });
    }
    Ok(())
}

/// Writes a secret or config for a read-only service (unless `dry_run`)
/// and returns its path.
fn host_file(
    project: &str,
    service: &str,
    file: &FileSpec,
    dry_run: bool,
) -> std::io::Result<String> {
    let dir = host_files_dir(project).join(service);
    let name: String = file.digest.chars().take(16).collect();
    let path = dir.join(format!("{name}-{:o}-{}-{}", file.mode, file.uid, file.gid));
    if dry_run {
        return Ok(path.display().to_string());
    }
    std::fs::create_dir_all(&dir)?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    std::fs::write(&path, &file.content)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(file.mode))?;
    // Owned as asked when berth may change owners (as root); otherwise by the user.
    let _ = std::os::unix::fs::chown(&path, Some(file.uid as u32), Some(file.gid as u32));
    Ok(path.display().to_string())
}
