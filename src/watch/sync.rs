//! What goes into a container: snapshots of the host files a rule keeps,
//! the manifest of what each container was last given, the tar archive
//! that carries the files, and the `rm -rf` that carries deletions.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::rules::Rule;

/// What a file looked like when it was synced: enough to tell it changed.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Stamp {
    pub kind: EntryKind,
    pub size: u64,
    /// Nanoseconds since the epoch.
    pub mtime: i128,
    pub mode: u32,
    /// When it was looked at (nanoseconds since the epoch); not compared.
    #[serde(default)]
    pub seen: i128,
}

/// File times come from a clock that ticks every few milliseconds: a write
/// within this long of a look may leave the time as it was.
const CLOCK_TICK_NS: i128 = 50_000_000;

impl PartialEq for Stamp {
    fn eq(&self, other: &Stamp) -> bool {
        (self.kind, self.size, self.mtime, self.mode)
            == (other.kind, other.size, other.mtime, other.mode)
    }
}

impl Eq for Stamp {}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    File,
    Dir,
    Link,
}

impl Stamp {
    pub fn of(meta: &std::fs::Metadata) -> Stamp {
        let kind = if meta.file_type().is_symlink() {
            EntryKind::Link
        } else if meta.is_dir() {
            EntryKind::Dir
        } else {
            EntryKind::File
        };
        Stamp {
            kind,
            size: if kind == EntryKind::Dir {
                0
            } else {
                meta.size()
            },
            mtime: if kind == EntryKind::Dir {
                0
            } else {
                i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec())
            },
            mode: meta.mode(),
            seen: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as i128),
        }
    }

    /// Whether the file certainly has not changed since `self` was taken:
    /// it looks the same, and its last write was a clock tick before that look.
    pub fn unchanged_since(&self, earlier: &Stamp) -> bool {
        self == earlier && self.mtime + CLOCK_TICK_NS < earlier.seen
    }
}

/// The entries of a rule's tree, by path relative to the rule's path.
pub type Tree = BTreeMap<String, Stamp>;

/// What one container was given, per rule (by [`Rule::key`]).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Manifest {
    pub rules: BTreeMap<String, Tree>,
}

impl Manifest {
    /// The manifest kept on the host for the container `id`, if any.
    pub fn load(dir: &Path, id: &str) -> Option<Manifest> {
        let text = std::fs::read(dir.join(format!("{id}.json"))).ok()?;
        serde_json::from_slice(&text).ok()
    }

    /// Keeps it on the host, replacing the previous one whole.
    pub fn save(&self, dir: &Path, id: &str) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let temporary = dir.join(format!(".{id}.json.tmp"));
        std::fs::write(&temporary, serde_json::to_vec(self)?)?;
        std::fs::rename(temporary, dir.join(format!("{id}.json")))
    }
}

/// Where the manifests of `project`'s containers are kept.
pub fn manifest_dir(project: &str) -> PathBuf {
    std::env::temp_dir().join("berth-watch").join(project)
}

/// The entries under `rel` (the rule's path when empty) that the rule
/// keeps, `rel` itself included; empty when it does not exist.
pub fn snapshot(rule: &Rule, rel: &str) -> Tree {
    let start = rule.host_path(rel);
    let mut tree = Tree::new();
    let walk = walkdir::WalkDir::new(&start)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| !(e.file_type().is_dir() && rule.prunes(e.path())));
    for entry in walk.flatten() {
        let is_dir = entry.file_type().is_dir();
        if rule.ignores(entry.path(), is_dir) {
            continue;
        }
        let (Some(rel), Ok(meta)) = (rule.relative(entry.path()), entry.metadata()) else {
            continue;
        };
        tree.insert(rel, Stamp::of(&meta));
    }
    tree
}

/// What to do to a container for one rule.
#[derive(Debug, Default)]
pub struct Changes {
    /// Relative paths to copy, with what they were when looked at.
    pub copy: Tree,
    /// Relative paths to remove.
    pub remove: Vec<String>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.copy.is_empty() && self.remove.is_empty()
    }

    /// What makes `given` (what the container has under `rel`) into `now`
    /// (the host's entries under `rel`). Directories count as changed only
    /// when new or their mode changed.
    pub fn between(given: &Tree, now: &Tree, rel: &str) -> Changes {
        let mut changes = Changes::default();
        for (path, stamp) in now {
            if given.get(path) != Some(stamp) {
                changes.copy.insert(path.clone(), *stamp);
            }
        }
        // A removed directory takes what is under it: one path suffices.
        let mut removed: Option<&str> = None;
        for path in under(given, rel).map(|(p, _)| p.as_str()) {
            if now.contains_key(path) || removed.is_some_and(|r| is_under(path, r)) {
                continue;
            }
            changes.remove.push(path.to_string());
            removed = Some(path);
        }
        changes
    }

    /// Applies the changes to what a container was given.
    pub fn apply_to(&self, given: &mut Tree) {
        for path in &self.remove {
            let gone: Vec<String> = under(given, path).map(|(p, _)| p.clone()).collect();
            for path in gone {
                given.remove(&path);
            }
        }
        given.extend(self.copy.iter().map(|(p, s)| (p.clone(), *s)));
    }
}

/// Whether `path` is `dir` or under it (`""` is the root, above everything).
fn is_under(path: &str, dir: &str) -> bool {
    dir.is_empty()
        || path == dir
        || (path.starts_with(dir) && path.as_bytes().get(dir.len()) == Some(&b'/'))
}

/// The entries of `tree` at `rel` or under it.
pub fn under<'a>(tree: &'a Tree, rel: &'a str) -> impl Iterator<Item = (&'a String, &'a Stamp)> {
    tree.range(rel.to_string()..)
        .take_while(move |(p, _)| p.starts_with(rel))
        .filter(move |(p, _)| is_under(p, rel))
}

/// Consecutive runs of `entries` whose sizes add up to at most `limit`,
/// or a single larger entry.
pub fn chunks(entries: &[Entry], limit: u64) -> impl Iterator<Item = &[Entry]> {
    let mut rest = entries;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut total = 0;
        let mut end = 0;
        while end < rest.len() && (end == 0 || total + rest[end].size <= limit) {
            total += rest[end].size;
            end += 1;
        }
        let (chunk, tail) = rest.split_at(end);
        rest = tail;
        Some(chunk)
    })
}

/// One host path to put in the container.
#[derive(Clone, Debug)]
pub struct Entry {
    pub host: PathBuf,
    /// Absolute container path.
    pub container: String,
    /// Its size when looked at: what the archive is expected to carry.
    pub size: u64,
}

/// A tar archive of host paths, with what went into it.
#[derive(Debug, Default)]
pub struct Archive {
    pub bytes: bytes::Bytes,
    /// The entries in it (by their index in the list given), as they were
    /// when read.
    pub included: Vec<(usize, Stamp)>,
    /// The paths that cannot be synced, with the reason.
    pub skipped: Vec<(PathBuf, String)>,
}

/// How often a file that changes while it is read is read again.
const READS: usize = 3;

/// A tar archive of host files under their container paths, with their
/// modes, times and owners (or `owner` for all, when given). A path that
/// vanished since it was looked at is left out (its deletion comes with
/// the next batch); one that cannot be archived (a socket, a pipe, a
/// device, an unreadable file) is left out and named in
/// [`Archive::skipped`]. A file that changes while it is read is read
/// again, and the header always says the size of what was read.
pub fn archive(entries: &[Entry], owner: Option<Owner>) -> Archive {
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    let mut archive = Archive::default();
    let mut content = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let name = entry.container.trim_start_matches('/');
        match add(&mut builder, entry, name, owner, &mut content) {
            Ok(Some(stamp)) => archive.included.push((index, stamp)),
            Ok(None) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => archive.skipped.push((entry.host.clone(), e.to_string())),
        }
    }
    // Writing to memory cannot fail.
    archive.bytes = builder.into_inner().unwrap_or_default().into();
    archive
}

/// Who every entry of an archive belongs to.
pub type Owner = super::receiver::Owner;

/// Adds one entry; what it was when read, or `None` when it is gone.
fn add(
    builder: &mut tar::Builder<Vec<u8>>,
    entry: &Entry,
    name: &str,
    owner: Option<Owner>,
    content: &mut Vec<u8>,
) -> std::io::Result<Option<Stamp>> {
    use std::os::unix::fs::FileTypeExt;
    let meta = std::fs::symlink_metadata(&entry.host)?;
    let kind = meta.file_type();
    let unsupported = |what: &str| Err(std::io::Error::other(format!("a {what} cannot be synced")));
    let header_of = |meta: &std::fs::Metadata| {
        let mut header = tar::Header::new_gnu();
        header.set_metadata_in_mode(meta, tar::HeaderMode::Complete);
        if let Some(owner) = owner {
            header.set_uid(owner.uid);
            header.set_gid(owner.gid);
        }
        header
    };
    if kind.is_dir() {
        let mut header = header_of(&meta);
        header.set_size(0);
        builder.append_data(&mut header, name, std::io::empty())?;
        return Ok(Some(Stamp::of(&meta)));
    }
    if kind.is_symlink() {
        let target = std::fs::read_link(&entry.host)?;
        let mut header = header_of(&meta);
        header.set_size(0);
        builder.append_link(&mut header, name, target)?;
        return Ok(Some(Stamp::of(&meta)));
    }
    if kind.is_socket() {
        return unsupported("socket");
    }
    if kind.is_fifo() {
        return unsupported("named pipe");
    }
    if kind.is_block_device() || kind.is_char_device() {
        return unsupported("device");
    }
    let (meta, stamp) = read_settled(&entry.host, content)?;
    let mut header = header_of(&meta);
    header.set_size(content.len() as u64);
    builder.append_data(&mut header, name, content.as_slice())?;
    Ok(Some(stamp))
}

/// Reads the regular file `path` into `content`, again when it changed
/// while it was read (a few times at most: a file written without pause
/// is taken as last read, its next write brings it again). Its metadata
/// and stamp as they were before the read that is kept.
fn read_settled(path: &Path, content: &mut Vec<u8>) -> std::io::Result<(std::fs::Metadata, Stamp)> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let mut last = None;
    for _ in 0..READS {
        // Not blocking (a pipe put in its place), not following a link.
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
            .open(path)?;
        let before = file.metadata()?;
        if !before.is_file() {
            return Err(std::io::Error::other("not a regular file any more"));
        }
        let stamp = Stamp::of(&before);
        content.clear();
        file.read_to_end(content)?;
        let after = file.metadata()?;
        let settled = Stamp::of(&after) == stamp && content.len() as u64 == after.size();
        if settled {
            return Ok((before, stamp));
        }
        last = Some((before, stamp));
    }
    let (meta, mut stamp) = last.expect("read at least once");
    // Not what the file is now: compared, it differs, so it is sent again.
    stamp.size = content.len() as u64;
    stamp.mtime = 0;
    Ok((meta, stamp))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(size: u64) -> Stamp {
        Stamp {
            kind: EntryKind::File,
            size,
            mtime: 1,
            mode: 0o644,
            seen: 2,
        }
    }

    fn tree(entries: &[(&str, u64)]) -> Tree {
        entries
            .iter()
            .map(|(p, s)| (p.to_string(), stamp(*s)))
            .collect()
    }

    #[test]
    fn changes_copy_what_differs_and_remove_what_is_gone() {
        let given = tree(&[
            ("a", 1),
            ("b", 1),
            ("d", 0),
            ("d/x", 1),
            ("d/y", 1),
            ("dz", 1),
        ]);
        let now = tree(&[("a", 1), ("b", 2), ("c", 1), ("dz", 1)]);
        let changes = Changes::between(&given, &now, "");
        assert_eq!(changes.copy.keys().collect::<Vec<_>>(), ["b", "c"]);
        assert_eq!(changes.remove, ["d"], "one rm for a removed directory");
        let mut after = given;
        changes.apply_to(&mut after);
        assert_eq!(after, now);
    }

    #[test]
    fn a_write_within_a_clock_tick_of_the_last_look_is_not_taken_as_unchanged() {
        let look = |mtime: i128, seen: i128| Stamp {
            mtime,
            seen,
            ..stamp(1)
        };
        let tick = CLOCK_TICK_NS;
        assert!(look(0, 0).unchanged_since(&look(0, 2 * tick)));
        assert!(!look(0, 0).unchanged_since(&look(0, tick / 2)));
        assert!(!look(1, 0).unchanged_since(&look(0, 2 * tick)));
    }

    #[test]
    fn archives_are_chunked_by_size() {
        let entry = |size| Entry {
            host: PathBuf::from("/h"),
            container: "/c".to_string(),
            size,
        };
        let entries = [entry(40), entry(40), entry(100), entry(10), entry(10)];
        let sizes: Vec<Vec<u64>> = chunks(&entries, 90)
            .map(|c| c.iter().map(|e| e.size).collect())
            .collect();
        assert_eq!(sizes, [vec![40, 40], vec![100], vec![10, 10]]);
    }

    #[test]
    fn changes_under_a_directory_leave_the_rest_alone() {
        let given = tree(&[("a", 1), ("d/x", 1), ("dx", 1)]);
        let now = tree(&[("d/y", 1)]);
        let changes = Changes::between(&given, &now, "d");
        assert_eq!(changes.remove, ["d/x"]);
        assert_eq!(changes.copy.keys().collect::<Vec<_>>(), ["d/y"]);
    }

    #[test]
    fn an_archive_skips_what_cannot_be_archived_and_keeps_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.txt");
        std::fs::write(&file, "hello").unwrap();
        let socket = dir.path().join("app.sock");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        let entry = |host: &Path, container: &str| Entry {
            host: host.to_path_buf(),
            container: container.to_string(),
            size: 5,
        };
        let entries = [
            entry(&socket, "/app/app.sock"),
            entry(&dir.path().join("gone"), "/app/gone"),
            entry(&file, "/app/a.txt"),
        ];
        let archive = archive(&entries, None);
        assert_eq!(archive.skipped.len(), 1);
        assert_eq!(archive.skipped[0].0, socket);
        assert!(
            archive.skipped[0].1.contains("socket"),
            "{:?}",
            archive.skipped
        );
        let included: Vec<usize> = archive.included.iter().map(|(i, _)| *i).collect();
        assert_eq!(included, [2], "the vanished path is left out silently");
        let mut tar = tar::Archive::new(&archive.bytes[..]);
        let mut names = Vec::new();
        for entry in tar.entries().unwrap() {
            let mut entry = entry.unwrap();
            let mut text = String::new();
            std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
            names.push((entry.path().unwrap().display().to_string(), text));
        }
        assert_eq!(names, [("app/a.txt".to_string(), "hello".to_string())]);
    }
}
