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
    let start = if rel.is_empty() {
        rule.path.clone()
    } else {
        rule.path.join(rel)
    };
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

/// Consecutive runs of `entries` (host path, container path, size) whose
/// sizes add up to at most `limit`, or a single larger entry.
pub fn chunks(
    entries: &[(PathBuf, String, u64)],
    limit: u64,
) -> impl Iterator<Item = &[(PathBuf, String, u64)]> {
    let mut rest = entries;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut total = 0;
        let mut end = 0;
        while end < rest.len() && (end == 0 || total + rest[end].2 <= limit) {
            total += rest[end].2;
            end += 1;
        }
        let (chunk, tail) = rest.split_at(end);
        rest = tail;
        Some(chunk)
    })
}

/// A tar archive of host files under their container paths, with their
/// modes, owners and times. Files that vanished since they were looked at
/// are left out (their deletion comes with the next batch).
pub fn archive(entries: &[(PathBuf, String, u64)]) -> std::io::Result<bytes::Bytes> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    builder.mode(tar::HeaderMode::Complete);
    for (host, container, _) in entries {
        let name = container.trim_start_matches('/');
        let meta = match std::fs::symlink_metadata(host) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        let result = if meta.is_dir() {
            builder.append_dir(name, host)
        } else {
            builder.append_path_with_name(host, name)
        };
        match result {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            other => other?,
        }
    }
    Ok(builder.into_inner()?.into())
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
        let mut after = given.clone();
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
        let entry = |size| (PathBuf::from("/h"), "/c".to_string(), size);
        let entries = [entry(40), entry(40), entry(100), entry(10), entry(10)];
        let sizes: Vec<Vec<u64>> = chunks(&entries, 90)
            .map(|c| c.iter().map(|e| e.2).collect())
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
}
