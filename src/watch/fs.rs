//! The host side: one non-recursive inotify watch per directory that a
//! rule does not ignore (never a recursive watch of a whole tree, which
//! would register every `node_modules` directory), new directories added
//! as they appear.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use notify::event::{AccessKind, AccessMode, CreateKind, EventKind, ModifyKind, RenameMode};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::rules::Rule;

/// What the OS told about the watched trees.
#[derive(Debug)]
pub enum FsEvent {
    /// `path` changed. `content` is false when only its metadata did
    /// (which reading a file can cause: its access time).
    /// `gone` when the event says it was removed or moved away (it may
    /// exist again by the time the event is read).
    /// `settled` when the event ends a change (a file closed after
    /// writing, renamed into place, a directory created, a mode changed)
    /// rather than being in the middle of one (a write, a creation, a
    /// removal, which something usually follows).
    Changed {
        path: PathBuf,
        content: bool,
        gone: bool,
        settled: bool,
    },
    /// Events were lost (the kernel's queue overflowed): compare everything.
    Rescan,
    /// The watcher failed; the message says how to fix it.
    Failed(WatcherError),
}

/// Why directories cannot be watched; the limits name the system setting
/// to raise.
#[derive(Debug, thiserror::Error)]
pub enum WatcherError {
    #[error(
        "the system's limit of inotify watches is reached; raise it with `sudo sysctl fs.inotify.max_user_watches=524288` (add it to /etc/sysctl.conf to keep it), or ignore more directories"
    )]
    WatchLimit,
    #[error(
        "{0}: the system's limit of inotify instances is reached; raise it with `sudo sysctl fs.inotify.max_user_instances=512`"
    )]
    InstanceLimit(#[source] std::io::Error),
    #[error(transparent)]
    Notify(notify::Error),
    #[error("cannot watch {}: {cause}", dir.display())]
    Watch {
        dir: PathBuf,
        #[source]
        cause: Box<WatcherError>,
    },
}

/// Watches the directories of a set of rules.
pub struct DirWatcher {
    watcher: RecommendedWatcher,
    watched: BTreeSet<PathBuf>,
}

impl DirWatcher {
    /// A watcher whose events arrive on the returned receiver.
    pub fn new() -> Result<(DirWatcher, UnboundedReceiver<FsEvent>), WatcherError> {
        let (sender, receiver) = unbounded_channel();
        let watcher = notify::recommended_watcher(move |result| forward(&sender, result))
            .map_err(describe)?;
        Ok((
            DirWatcher {
                watcher,
                watched: BTreeSet::new(),
            },
            receiver,
        ))
    }

    /// How many directories are watched.
    pub fn count(&self) -> usize {
        self.watched.len()
    }

    /// Watches what `rules` cover: each rule's directory and its
    /// subdirectories that are not pruned, and the closest existing
    /// directory above each rule's path (which holds a rule's single file,
    /// and sees the rule's path removed and created again, or created when
    /// it does not exist yet). Already watched directories are skipped.
    pub fn cover(&mut self, rules: &[Rule]) -> Result<(), WatcherError> {
        for rule in rules {
            if let Some(existing) = rule.path.ancestors().skip(1).find(|a| a.is_dir()) {
                self.add(existing)?;
            }
            if rule.path.is_dir() {
                self.add_tree(&rule.path, rules)?;
            }
        }
        Ok(())
    }

    /// Watches `dir` and the subdirectories under it that some rule keeps.
    pub fn add_tree(&mut self, dir: &Path, rules: &[Rule]) -> Result<(), WatcherError> {
        let walk = walkdir::WalkDir::new(dir)
            .follow_links(false)
            .into_iter()
            .filter_entry(|e| e.file_type().is_dir() && !pruned(rules, e.path()));
        for entry in walk.flatten() {
            self.add(entry.path())?;
        }
        Ok(())
    }

    /// Forgets `dir` and what is under it (moved or removed): their
    /// watches are stale.
    pub fn forget(&mut self, dir: &Path) {
        let stale: Vec<PathBuf> = self
            .watched
            .range(dir.to_path_buf()..)
            .take_while(|p| p.starts_with(dir))
            .cloned()
            .collect();
        for path in stale {
            // The kernel drops the watch of a removed directory by itself.
            let _ = self.watcher.unwatch(&path);
            self.watched.remove(&path);
        }
    }

    fn add(&mut self, dir: &Path) -> Result<(), WatcherError> {
        if self.watched.contains(dir) {
            return Ok(());
        }
        match self.watcher.watch(dir, RecursiveMode::NonRecursive) {
            Ok(()) => {
                self.watched.insert(dir.to_path_buf());
                Ok(())
            }
            // Gone between the walk and the watch: nothing to watch.
            Err(e) if matches!(e.kind, notify::ErrorKind::PathNotFound) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(WatcherError::Watch {
                dir: dir.to_path_buf(),
                cause: Box::new(describe(e)),
            }),
        }
    }
}

/// Whether every rule covering `dir` leaves it out of walks.
pub fn pruned(rules: &[Rule], dir: &Path) -> bool {
    let mut covering = rules.iter().filter(|r| dir.starts_with(&r.path)).peekable();
    covering.peek().is_some() && covering.all(|r| r.prunes(dir))
}

fn is_not_found(e: &notify::Error) -> bool {
    matches!(&e.kind, notify::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::NotFound)
}

/// The error, with the system setting to raise when a limit is reached.
fn describe(e: notify::Error) -> WatcherError {
    match e.kind {
        notify::ErrorKind::MaxFilesWatch => WatcherError::WatchLimit,
        notify::ErrorKind::Io(io) if io.raw_os_error() == Some(libc::EMFILE) => {
            WatcherError::InstanceLimit(io)
        }
        _ => WatcherError::Notify(e),
    }
}

/// Passes the OS's events on, leaving out the reads (berth's own included).
fn forward(sender: &UnboundedSender<FsEvent>, result: notify::Result<notify::Event>) {
    let event = match result {
        Ok(event) => event,
        Err(e) => {
            let _ = sender.send(FsEvent::Failed(describe(e)));
            return;
        }
    };
    if event.need_rescan() {
        let _ = sender.send(FsEvent::Rescan);
        return;
    }
    let content = match event.kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => return,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        _ => true,
    };
    // A rename's paths: where from (gone), then where to.
    let gone_first = matches!(
        event.kind,
        EventKind::Remove(_)
            | EventKind::Modify(ModifyKind::Name(RenameMode::From | RenameMode::Both))
    );
    let only_first = !matches!(
        event.kind,
        EventKind::Modify(ModifyKind::Name(RenameMode::Both))
    );
    let settled = |n: usize| match event.kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write))
        | EventKind::Modify(ModifyKind::Metadata(_))
        | EventKind::Modify(ModifyKind::Name(RenameMode::To))
        | EventKind::Create(CreateKind::Folder) => true,
        EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => n == 1,
        _ => false,
    };
    for (n, path) in event.paths.iter().enumerate() {
        let gone = gone_first && (n == 0 || only_first);
        let _ = sender.send(FsEvent::Changed {
            path: path.clone(),
            content,
            gone,
            settled: settled(n),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watch_limit_error_names_the_sysctl_to_raise() {
        let e = notify::Error::new(notify::ErrorKind::MaxFilesWatch);
        assert!(
            describe(e)
                .to_string()
                .contains("sysctl fs.inotify.max_user_watches=")
        );
        let e = notify::Error::io(std::io::Error::from_raw_os_error(libc::EMFILE));
        assert!(
            describe(e)
                .to_string()
                .contains("fs.inotify.max_user_instances")
        );
    }

    #[test]
    fn a_watch_that_fails_names_the_directory() {
        let e = WatcherError::Watch {
            dir: PathBuf::from("/src/app"),
            cause: Box::new(describe(notify::Error::new(
                notify::ErrorKind::MaxFilesWatch,
            ))),
        };
        assert!(
            e.to_string()
                .starts_with("cannot watch /src/app: the system's limit of inotify watches")
        );
        let io = std::io::Error::from_raw_os_error(libc::EMFILE);
        let want = format!(
            "{io}: the system's limit of inotify instances is reached; raise it with \
             `sudo sysctl fs.inotify.max_user_instances=512`"
        );
        assert_eq!(describe(notify::Error::io(io)).to_string(), want);
    }
}
