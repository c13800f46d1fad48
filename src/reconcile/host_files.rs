//! Secrets and configs of read-only services: the engine refuses to copy
//! files into a read-only root filesystem, so berth writes them on the host
//! (the engine is local) and binds them read-only instead.
//!
//! They are written below a private directory of the user's own (mode 0700,
//! made by berth, never a symlink, never another user's), so that another
//! local user cannot plant a symlink to redirect a write, read a secret, or
//! swap a file between its write and its bind.

use crate::engine::spec::MountKind;
use std::fs::{DirBuilder, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::engine::spec::{ContainerSpec, FileSpec, MountSpec};

/// The effective user of this process (the owner of `/proc/self`).
pub(crate) fn effective_uid() -> Option<u32> {
    std::fs::metadata("/proc/self").map(|m| m.uid()).ok()
}

/// The user's private directory of host files: `$XDG_RUNTIME_DIR/berth-files`
/// when the runtime directory is set, else `/tmp/berth-files-<uid>`.
fn private_root() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(dir) if Path::new(&dir).is_absolute() => Path::new(&dir).join("berth-files"),
        // Not `$TMPDIR`, which may differ between the `up` and the `down`.
        _ => PathBuf::from(format!("/tmp/berth-files-{}", effective_uid().unwrap_or(0))),
    }
}

/// Where the files of read-only services of `project` live on the host,
/// removed by `down`.
pub fn host_files_dir(project: &str) -> PathBuf {
    private_root().join(project)
}

/// Makes `dir` (mode 0700) unless it exists, then checks that it is a real
/// directory of this user that no one else can enter.
fn private_dir(dir: &Path) -> io::Result<()> {
    match DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    let meta = std::fs::symlink_metadata(dir)?;
    let refuse = |why: &str| {
        Err(io::Error::other(format!(
            "{} {why}: berth keeps secrets only in a private directory of its user; remove it",
            dir.display()
        )))
    };
    if !meta.is_dir() {
        return refuse("is not a directory (a symlink?)");
    }
    if Some(meta.uid()) != effective_uid() {
        return refuse("belongs to another user");
    }
    if meta.mode() & 0o077 != 0 {
        // Made by berth with another umask, or loosened: tighten it.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// A secret or config of a read-only service that could not be written on
/// the host.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path} for the read-only service {service}: {source}")]
pub struct HostFileError {
    /// Where the file goes in the container.
    pub path: String,
    pub service: String,
    pub source: io::Error,
}

/// Turns the files `spec` would copy in into read-only binds of host
/// files, when its root filesystem is read-only. A `dry_run` only names
/// the files, without writing them.
pub fn bind_from_host(
    project: &str,
    service: &str,
    spec: &mut ContainerSpec,
    dry_run: bool,
) -> Result<(), HostFileError> {
    if !spec.read_only {
        return Ok(());
    }
    for file in std::mem::take(&mut spec.files) {
        let root = private_root();
        let written = match dry_run {
            // Named, not written: a dry run changes nothing on disk.
            true => Ok(file_path(&root, project, service, &file)),
            false => host_file(&root, project, service, &file),
        };
        let source = written.map_err(|source| HostFileError {
            path: file.path.clone(),
            service: service.to_string(),
            source,
        })?;
        spec.mounts.push(MountSpec {
            kind: MountKind::Bind,
            source,
            target: file.path,
            read_only: true,
            ..Default::default()
        });
    }
    Ok(())
}

/// Where the file of a secret or config of `service` goes below `root`.
fn file_path(root: &Path, project: &str, service: &str, file: &FileSpec) -> String {
    let name: String = file.digest.chars().take(16).collect();
    root.join(project)
        .join(service)
        .join(format!("{name}-{:o}-{}-{}", file.mode, file.uid, file.gid))
        .display()
        .to_string()
}

/// Writes a secret or config for a read-only service below `root` and
/// returns its path: written to a new file of its own (never through a
/// symlink), given its mode and owner, then renamed into place.
fn host_file(root: &Path, project: &str, service: &str, file: &FileSpec) -> io::Result<String> {
    private_dir(root)?;
    // Below a private root, no other user can plant anything.
    let dir = root.join(project).join(service);
    for level in [root.join(project), dir.clone()] {
        private_dir(&level)?;
    }
    let name: String = file.digest.chars().take(16).collect();
    let path = file_path(root, project, service, file);
    let staging = dir.join(format!(".{name}.{}", std::process::id()));
    let _ = std::fs::remove_file(&staging);
    let mut out = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&staging)?;
    out.write_all(&file.content)?;
    out.set_permissions(std::fs::Permissions::from_mode(file.mode))?;
    // Owned as asked when berth may change owners (as root); otherwise by the user.
    let _ = std::os::unix::fs::fchown(&out, Some(file.uid as u32), Some(file.gid as u32));
    drop(out);
    std::fs::rename(&staging, &path)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> FileSpec {
        FileSpec {
            path: "/run/secrets/token".into(),
            digest: "0123456789abcdef0123".into(),
            uid: 0,
            gid: 0,
            mode: 0o400,
            content: b"s3cret".to_vec(),
        }
    }

    #[test]
    fn files_are_written_private_with_their_mode() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("files");
        let path = host_file(&root, "p", "web", &secret()).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"s3cret");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().mode() & 0o7777;
        assert_eq!(mode(Path::new(&path)), 0o400);
        assert_eq!(mode(&root), 0o700);
        assert_eq!(mode(&root.join("p").join("web")), 0o700);
        // Written again (another up): replaced, not refused.
        host_file(&root, "p", "web", &secret()).unwrap();
    }

    #[test]
    fn a_planted_symlink_is_refused_and_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        std::fs::set_permissions(&elsewhere, std::fs::Permissions::from_mode(0o755)).unwrap();
        // The root itself a symlink to a directory someone else chose.
        let root = dir.path().join("files");
        std::os::unix::fs::symlink(&elsewhere, &root).unwrap();
        let error = host_file(&root, "p", "web", &secret()).unwrap_err();
        assert!(error.to_string().contains("symlink"), "{error}");
        assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
        let mode = std::fs::metadata(&elsewhere).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o755, "the chmod followed the symlink");

        // A symlink planted as the service's directory.
        let root = dir.path().join("files2");
        private_dir(&root).unwrap();
        private_dir(&root.join("p")).unwrap();
        std::os::unix::fs::symlink(&elsewhere, root.join("p").join("web")).unwrap();
        assert!(host_file(&root, "p", "web", &secret()).is_err());
        assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    }
}
