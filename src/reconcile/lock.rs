//! A per-project lock, so that concurrent berth invocations on one project
//! take turns instead of racing each other into duplicate objects.
//!
//! It is an advisory file lock: the kernel drops it when the process dies,
//! so a killed `up` never leaves a stale lock behind. The file lives in one
//! fixed directory (not `$TMPDIR`, which differs between shells), is named
//! after the engine as the kernel knows it (a unix socket by its resolved
//! path, so `unix:///var/run/docker.sock` and the default are one engine)
//! and the project, and is removed when the lock is released.
//!
//! What it cannot cover: two machines driving one remote engine, or one tcp
//! engine reached under two names; each gets a lock of its own.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

/// The directory of every user's locks: shared, so that two users driving
/// one engine take turns too.
const LOCK_DIR: &str = "/tmp/berth-locks";

/// Held while a command changes a project; released (and its file
/// removed) on drop.
#[derive(Debug)]
pub struct ProjectLock {
    file: File,
    path: PathBuf,
    /// When an earlier holder that never released the lock (it was killed)
    /// took it, in Unix seconds: what it asked of the engine may still be
    /// under way.
    pub interrupted_since: Option<i64>,
}

impl Drop for ProjectLock {
    fn drop(&mut self) {
        // Removed while still locked: a waiter that then gets the lock of
        // the removed file sees it is gone and locks the next one (see
        // `acquire`). Another user's file cannot be removed; it stays.
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

/// The engine as a lock key: a unix socket by its resolved path, any other
/// address as written.
fn engine_key(host: &str) -> String {
    match host.strip_prefix("unix://") {
        Some(socket) => std::fs::canonicalize(socket)
            .map(|p| format!("unix://{}", p.display()))
            .unwrap_or_else(|_| host.to_string()),
        None => host.to_string(),
    }
}

/// The shared lock directory, made if missing. Refuses a symlink or a
/// directory that another user could swap files in (not sticky).
fn lock_dir() -> io::Result<PathBuf> {
    let dir = PathBuf::from(LOCK_DIR);
    match std::fs::create_dir(&dir) {
        Ok(()) => {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o1777))?;
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    check_dir(&dir)?;
    Ok(dir)
}

fn check_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(dir)?;
    let mine = Some(meta.uid()) == super::host_files::effective_uid() || meta.uid() == 0;
    let sticky = meta.mode() & 0o1000 != 0;
    if !meta.is_dir() || !(mine || sticky) {
        return Err(io::Error::other(format!(
            "{} is not a directory berth can trust (a symlink, or another user's without the sticky bit): remove it",
            dir.display()
        )));
    }
    Ok(())
}

/// Where the lock of `project` on the engine at `host` lives.
fn lock_path(dir: &Path, host: &str, project: &str) -> PathBuf {
    let engine = crate::digest::hex(&Sha256::digest(engine_key(host).as_bytes())[..6]);
    dir.join(format!("{engine}-{project}.lock"))
}

/// Opens (or makes) the lock file, never through a symlink. Read access is
/// enough to lock, so another user's file serves as well.
fn open(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o644)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .or_else(|e| match e.raw_os_error() {
            Some(libc::EACCES) => OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NOFOLLOW)
                .open(path),
            _ => Err(e),
        })
}

/// Whether `file` is still the one at `path` (its holder removes it).
fn still_there(file: &File, path: &Path) -> io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let held = file.metadata()?;
    Ok(match std::fs::symlink_metadata(path) {
        Ok(now) => now.dev() == held.dev() && now.ino() == held.ino(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => return Err(e),
    })
}

/// Takes the lock, calling `on_wait` once if another process holds it.
///
/// The wait polls rather than blocking a thread, so that dropping the
/// future (an interrupted command) gives up waiting at once.
pub async fn acquire(host: &str, project: &str, on_wait: impl FnOnce()) -> io::Result<ProjectLock> {
    const MIN_POLL: Duration = Duration::from_millis(10);
    const MAX_POLL: Duration = Duration::from_millis(100);
    let path = lock_path(&lock_dir()?, host, project);
    let mut on_wait = Some(on_wait);
    let mut poll = MIN_POLL;
    loop {
        let file = open(&path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                if let Some(on_wait) = on_wait.take() {
                    on_wait();
                }
                tokio::time::sleep(poll).await;
                poll = (poll * 2).min(MAX_POLL);
                continue;
            }
            Err(TryLockError::Error(e)) => return Err(e),
        }
        if still_there(&file, &path)? {
            // A holder writes when it took the lock; a released lock's file
            // is gone, so a time found here is a holder's that was killed.
            let mut text = String::new();
            let _ = (&file).read_to_string(&mut text);
            let interrupted_since = text.trim().parse().ok();
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let _ = file.set_len(0);
            let _ = file.write_all_at(now.to_string().as_bytes(), 0);
            return Ok(ProjectLock {
                file,
                path,
                interrupted_since,
            });
        }
        // The holder removed it on release: lock the file now there.
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_socket_named_two_ways_is_one_engine() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("docker.sock");
        std::fs::write(&socket, "").unwrap();
        let link = dir.path().join("link.sock");
        std::os::unix::fs::symlink(&socket, &link).unwrap();
        let direct = format!("unix://{}", socket.display());
        let linked = format!("unix://{}", link.display());
        assert_eq!(
            lock_path(dir.path(), &direct, "p"),
            lock_path(dir.path(), &linked, "p")
        );
        assert_ne!(
            lock_path(dir.path(), &direct, "p"),
            lock_path(dir.path(), "tcp://127.0.0.1:2375", "p")
        );
    }

    #[tokio::test]
    async fn the_lock_file_goes_with_the_lock_and_the_next_one_is_fresh() {
        let host = format!("tcp://lock-test-{}:1", std::process::id());
        let first = acquire(&host, "p", || {}).await.unwrap();
        let path = first.path.clone();
        assert!(path.starts_with(LOCK_DIR));
        assert!(path.exists());
        drop(first);
        assert!(!path.exists(), "the lock file stays after release");
        let second = acquire(&host, "p", || {}).await.unwrap();
        assert!(path.exists());
        drop(second);
    }

    #[tokio::test]
    async fn a_lock_its_holder_never_released_says_since_when() {
        let host = format!("tcp://lock-killed-{}:1", std::process::id());
        let first = acquire(&host, "p", || {}).await.unwrap();
        assert_eq!(first.interrupted_since, None);
        drop(first);
        // A killed holder: the kernel dropped its lock, and nothing removed
        // the file with the time it wrote.
        let path = lock_path(Path::new(LOCK_DIR), &host, "p");
        std::fs::write(&path, "1700000001").unwrap();
        let second = acquire(&host, "p", || {}).await.unwrap();
        assert_eq!(second.interrupted_since, Some(1_700_000_001));
        drop(second);
        let third = acquire(&host, "p", || {}).await.unwrap();
        assert_eq!(third.interrupted_since, None);
    }

    #[tokio::test]
    async fn a_waiter_takes_over_after_the_holder_removed_the_file() {
        let host = format!("tcp://lock-wait-{}:1", std::process::id());
        let first = acquire(&host, "p", || {}).await.unwrap();
        let waited = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = waited.clone();
        let waiter = tokio::spawn({
            let host = host.clone();
            async move {
                acquire(&host, "p", move || {
                    flag.store(true, std::sync::atomic::Ordering::SeqCst);
                })
                .await
            }
        });
        // The waiter blocks until the first lock goes.
        while !waited.load(std::sync::atomic::Ordering::SeqCst) {
            tokio::task::yield_now().await;
        }
        drop(first);
        let second = waiter.await.unwrap().unwrap();
        assert!(still_there(&second.file, &second.path).unwrap());
        drop(second);
    }

    #[test]
    fn a_symlinked_lock_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere");
        let path = dir.path().join("x.lock");
        std::os::unix::fs::symlink(&target, &path).unwrap();
        assert!(open(&path).is_err());
        assert!(!target.exists(), "the symlink was followed");
    }
}
