//! Remembers which models passed schema validation, so that the next load
//! of the same model skips it.
//!
//! Compiling the Compose schema is half of the work of a no-op `up` or a
//! `ps` (about 20 M instructions against a few for everything else berth
//! does before it talks to the engine), and most loads see a model an
//! earlier load already validated. Validation is a pure function of the
//! model and the schema, so a verdict keyed by both is exact: the key is
//! the SHA-256 of the schema's text and of the model as the validator sees
//! it (kinds, keys and values; no positions). Only passes are remembered:
//! a failing model is validated again, to report its errors.
//!
//! Verdicts are empty files under `$XDG_CACHE_HOME/berth/valid` (else
//! `~/.cache/berth/valid`). Anything that goes wrong with that directory
//! only means validating again.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::load::environment::Env;
use crate::load::node::{Kind, Node};

/// More verdicts than this and the older half goes: each edit of a file
/// leaves one behind.
const KEPT: usize = 512;

/// The directory of remembered verdicts.
#[derive(Debug, Clone)]
pub struct Verdicts {
    dir: PathBuf,
}

impl Verdicts {
    /// Where `env` keeps caches; `None` without a home directory.
    pub fn locate(env: &Env) -> Option<Verdicts> {
        let non_empty = |name: &str| env.get(name).filter(|v| !v.is_empty());
        let cache = match non_empty("XDG_CACHE_HOME") {
            Some(dir) if Path::new(dir).is_absolute() => PathBuf::from(dir),
            _ => Path::new(non_empty("HOME")?).join(".cache"),
        };
        Some(Verdicts {
            dir: cache.join("berth").join("valid"),
        })
    }

    /// Whether `key` passed before.
    pub fn passed(&self, key: &str) -> bool {
        self.dir.join(key).is_file()
    }

    /// Remembers that `key` passed.
    pub fn remember(&self, key: &str) {
        if std::fs::create_dir_all(&self.dir).is_err() {
            return;
        }
        if std::fs::File::create(self.dir.join(key)).is_ok() {
            self.prune();
        }
    }

    /// Removes the older half of the verdicts once there are too many.
    fn prune(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let mut verdicts: Vec<(std::time::SystemTime, PathBuf)> = entries
            .flatten()
            .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
            .collect();
        if verdicts.len() <= KEPT {
            return;
        }
        verdicts.sort();
        for (_, path) in &verdicts[..verdicts.len() - KEPT / 2] {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The key of `root` validated against `schema`.
pub fn key(schema: &str, root: &Node) -> String {
    let mut hasher = Sha256::new();
    hasher.update((schema.len() as u64).to_le_bytes());
    hasher.update(schema.as_bytes());
    feed(&mut hasher, root);
    crate::digest::hex(&hasher.finalize())
}

/// Feeds `node` to the hasher unambiguously: a tag byte per kind, and the
/// length before every string and collection.
fn feed(hasher: &mut Sha256, node: &Node) {
    let text = |hasher: &mut Sha256, s: &str| {
        hasher.update((s.len() as u64).to_le_bytes());
        hasher.update(s.as_bytes());
    };
    match &node.kind {
        Kind::Null => hasher.update([0]),
        Kind::Bool(b) => hasher.update([1, u8::from(*b)]),
        Kind::Int(i) => {
            hasher.update([2]);
            hasher.update(i.to_le_bytes());
        }
        Kind::Float(f) => {
            hasher.update([3]);
            hasher.update(f.to_bits().to_le_bytes());
        }
        Kind::Str(s) => {
            hasher.update([4]);
            text(hasher, s);
        }
        Kind::Seq(items) => {
            hasher.update([5]);
            hasher.update((items.len() as u64).to_le_bytes());
            for item in items {
                feed(hasher, item);
            }
        }
        Kind::Map(map) => {
            hasher.update([6]);
            hasher.update((map.len() as u64).to_le_bytes());
            for (key, value) in map {
                text(hasher, key);
                feed(hasher, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::yaml;

    fn node(text: &str) -> Node {
        yaml::parse_documents(text, 0)
            .expect("test YAML parses")
            .remove(0)
    }

    #[test]
    fn keys_differ_with_values_types_and_schema() {
        let a = key("s", &node("x: 1"));
        assert_eq!(a, key("s", &node("x:   1 # positions do not count")));
        assert_ne!(a, key("s", &node("x: '1'")));
        assert_ne!(a, key("s", &node("x: 2")));
        assert_ne!(a, key("s", &node("y: 1")));
        assert_ne!(a, key("t", &node("x: 1")));
        // Lengths keep strings apart that would run together.
        assert_ne!(key("s", &node("[ab, c]")), key("s", &node("[a, bc]")));
    }

    #[test]
    fn a_remembered_pass_is_found_and_old_ones_are_pruned() {
        let home = tempfile::tempdir().unwrap();
        let env: Env = [("HOME".to_string(), home.path().display().to_string())]
            .into_iter()
            .collect();
        let verdicts = Verdicts::locate(&env).unwrap();
        assert!(!verdicts.passed("k0"));
        verdicts.remember("k0");
        assert!(verdicts.passed("k0"));
        for i in 1..=KEPT {
            verdicts.remember(&format!("k{i}"));
        }
        let left = std::fs::read_dir(&verdicts.dir).unwrap().count();
        assert!(left <= KEPT, "{left} verdicts kept");
    }
}
