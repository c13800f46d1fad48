//! A per-project lock, so that concurrent berth invocations on one project
//! take turns instead of racing each other into duplicate objects.
//!
//! It is an advisory file lock: the kernel drops it when the process dies,
//! so a killed `up` never leaves a stale lock behind.

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use sha2::{Digest, Sha256};

/// Held while a command changes a project; released on drop.
#[derive(Debug)]
pub struct ProjectLock {
    _file: File,
}

/// Where the lock of `project` on the engine at `host` lives.
fn lock_path(host: &str, project: &str) -> io::Result<PathBuf> {
    let dir = std::env::temp_dir().join("berth-locks");
    if !dir.exists() {
        std::fs::create_dir_all(&dir)?;
        // Several users may drive one engine: let each create its lock files.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o1777));
        }
    }
    let engine: String = Sha256::digest(host.as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(dir.join(format!("{engine}-{project}.lock")))
}

/// Takes the lock, calling `on_wait` once if another process holds it.
///
/// The wait polls rather than blocking a thread, so that dropping the
/// future (an interrupted command) gives up waiting at once.
pub async fn acquire(host: &str, project: &str, on_wait: impl FnOnce()) -> io::Result<ProjectLock> {
    const MIN_POLL: Duration = Duration::from_millis(10);
    const MAX_POLL: Duration = Duration::from_millis(100);
    let path = lock_path(host, project)?;
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    let mut on_wait = Some(on_wait);
    let mut poll = MIN_POLL;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(ProjectLock { _file: file }),
            Err(TryLockError::WouldBlock) => {
                if let Some(on_wait) = on_wait.take() {
                    on_wait();
                }
            }
            Err(TryLockError::Error(e)) => return Err(e),
        }
        tokio::time::sleep(poll).await;
        poll = (poll * 2).min(MAX_POLL);
    }
}
