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
//! While held, the file is the holder's journal of the requests it has sent
//! and not seen answered (stops, kills, removals, renames and creates; see
//! [`crate::engine::intent`]): a file found with such lines in it belonged
//! to a holder that was killed with them under way, and the next holder
//! finishes them (see [`super::recover`]).
//!
//! What it cannot cover: two machines driving one remote engine, or one tcp
//! engine reached under two names; each gets a lock of its own.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::engine::intent::{Intent, IntentLog};

/// The directory of every user's locks: shared, so that two users driving
/// one engine take turns too.
const LOCK_DIR: &str = "/tmp/berth-locks";

/// Held while a command changes a project; released (and its file
/// removed) on drop.
#[derive(Debug)]
pub struct ProjectLock {
    file: File,
    path: PathBuf,
    journal: Arc<Journal>,
    /// What an earlier holder that never released the lock (it was killed)
    /// had asked of the engine without an answer: it may still be under
    /// way.
    pub interrupted: Vec<Intent>,
}

impl ProjectLock {
    /// Where the engine notes its requests under way while the lock is
    /// held.
    pub fn journal(&self) -> Arc<dyn IntentLog> {
        self.journal.clone()
    }
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

/// The lock file as the holder's journal: a line `+<ticket> <intent>` before
/// each request, `-<ticket>` after its answer, emptied whenever nothing is
/// under way so that a long `watch` keeps it short.
#[derive(Debug)]
struct Journal {
    /// `None` when the file could not be opened for writing (another
    /// user's): nothing is noted.
    file: Option<File>,
    state: Mutex<JournalState>,
}

#[derive(Debug, Default)]
struct JournalState {
    /// Where the next line goes.
    len: u64,
    next_ticket: u64,
    under_way: usize,
}

impl Journal {
    fn write(&self, state: &mut JournalState, line: &str) {
        if let Some(file) = &self.file
            && file.write_all_at(line.as_bytes(), state.len).is_ok()
        {
            state.len += line.len() as u64;
        }
    }
}

impl IntentLog for Journal {
    fn begin(&self, intent: &Intent) -> u64 {
        let mut state = self.state.lock().expect("never poisoned");
        state.next_ticket += 1;
        state.under_way += 1;
        let ticket = state.next_ticket;
        self.write(&mut state, &format!("+{ticket} {intent}\n"));
        ticket
    }

    fn end(&self, ticket: u64) {
        let mut state = self.state.lock().expect("never poisoned");
        state.under_way = state.under_way.saturating_sub(1);
        if state.under_way == 0 {
            if let Some(file) = &self.file
                && file.set_len(0).is_ok()
            {
                state.len = 0;
            }
        } else {
            self.write(&mut state, &format!("-{ticket}\n"));
        }
    }
}

/// The intents a journal began and never ended, in the order they began.
fn under_way(journal: &str) -> Vec<Intent> {
    let mut open = BTreeMap::new();
    for line in journal.lines() {
        if let Some(rest) = line.strip_prefix('+') {
            let Some((ticket, intent)) = rest.split_once(' ') else {
                continue;
            };
            if let (Ok(ticket), Some(intent)) = (ticket.parse::<u64>(), Intent::parse(intent)) {
                open.insert(ticket, intent);
            }
        } else if let Some(ticket) = line.strip_prefix('-').and_then(|t| t.parse::<u64>().ok()) {
            open.remove(&ticket);
        }
    }
    open.into_values().collect()
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
            // A released lock's file is gone, so lines found here are a
            // killed holder's.
            let mut text = String::new();
            let _ = (&file).read_to_string(&mut text);
            let interrupted = under_way(&text);
            // Emptied for this holder's lines; a file opened read-only
            // (another user's) cannot be, and notes nothing.
            let writable = file.set_len(0).and_then(|()| file.try_clone()).ok();
            return Ok(ProjectLock {
                journal: Arc::new(Journal {
                    file: writable,
                    state: Mutex::default(),
                }),
                file,
                path,
                interrupted,
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

    /// A holder killed while it held the lock: the kernel drops the lock,
    /// and nothing removes the file.
    fn killed(lock: ProjectLock) {
        lock.file.unlock().unwrap();
        std::mem::forget(lock);
    }

    fn stop(id: &str) -> Intent {
        Intent::Stop {
            id: id.into(),
            timeout: 1,
        }
    }

    #[tokio::test]
    async fn what_a_killed_holder_had_under_way_goes_to_the_next_holder() {
        let host = format!("tcp://lock-killed-{}:1", std::process::id());
        let first = acquire(&host, "p", || {}).await.unwrap();
        assert_eq!(first.interrupted, []);
        let journal = first.journal();
        let answered = journal.begin(&stop("a"));
        let remove = Intent::Remove {
            id: "b".into(),
            volumes: false,
        };
        journal.begin(&remove);
        journal.begin(&stop("c"));
        journal.end(answered);
        killed(first);

        let second = acquire(&host, "p", || {}).await.unwrap();
        assert_eq!(second.interrupted, [remove, stop("c")]);
        // Released properly: the next holder finds nothing to finish.
        drop(second);
        let third = acquire(&host, "p", || {}).await.unwrap();
        assert_eq!(third.interrupted, []);
        // A holder whose requests were all answered leaves nothing either,
        // and a file of an older berth (its start time) reads as nothing.
        let journal = third.journal();
        let ticket = journal.begin(&stop("d"));
        journal.end(ticket);
        assert_eq!(std::fs::metadata(&third.path).unwrap().len(), 0);
        let path = third.path.clone();
        killed(third);
        let fourth = acquire(&host, "p", || {}).await.unwrap();
        assert_eq!(fourth.interrupted, []);
        killed(fourth);
        std::fs::write(&path, "1700000001").unwrap();
        let fifth = acquire(&host, "p", || {}).await.unwrap();
        assert_eq!(fifth.interrupted, []);
    }

    #[test]
    fn only_the_intents_begun_and_never_ended_are_under_way() {
        let journal =
            "+1 stop a 10\n+2 rm b v\n-1\n+3 kill c SIGKILL\ngarbage\n+4 stop\n-9\n+5 stop e 3";
        assert_eq!(
            under_way(journal),
            [
                Intent::Remove {
                    id: "b".into(),
                    volumes: true
                },
                Intent::Kill {
                    id: "c".into(),
                    signal: "SIGKILL".into()
                },
                Intent::Stop {
                    id: "e".into(),
                    timeout: 3
                },
            ]
        );
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
