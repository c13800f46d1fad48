//! berth's own record of what it asked the engine for, kept in the
//! `dev.berth.digests` label of each container, network and volume: short
//! digests, never values, so that `plan` can name the key that changed
//! (`environment.FOO changed`) while a label reader learns nothing it
//! could print.
//!
//! Every key of the spec gets a digest of its whole value (8 hex digits),
//! and every entry of a key whose value is an object a shorter one (4 hex
//! digits, so that a single entry's value cannot be confirmed by guessing
//! with any certainty). Each digest covers the key's path, so equal values
//! under different keys do not match.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Digests of a spec, by path (`image`, `environment`, `environment.FOO`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fingerprint(BTreeMap<String, String>);

/// Hex digits kept of a key's digest and of an entry's.
const KEY_DIGITS: usize = 8;
const ENTRY_DIGITS: usize = 4;

impl Fingerprint {
    /// The fingerprint of `spec`, serialised as JSON.
    pub fn of<T: Serialize>(spec: &T) -> Fingerprint {
        let json = serde_json::to_value(spec).unwrap_or(Value::Null);
        let mut digests = BTreeMap::new();
        if let Value::Object(keys) = &json {
            for (key, value) in keys {
                digests.insert(key.clone(), digest(key, value, KEY_DIGITS));
                if let Value::Object(entries) = value {
                    for (entry, value) in entries {
                        let path = format!("{key}.{entry}");
                        let d = digest(&path, value, ENTRY_DIGITS);
                        digests.insert(path, d);
                    }
                }
            }
        }
        Fingerprint(digests)
    }

    /// The label's text: a compact JSON object of the digests.
    pub fn to_label(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_default()
    }

    /// Reads a label written by [`Fingerprint::to_label`].
    pub fn parse(label: &str) -> Option<Fingerprint> {
        serde_json::from_str(label).ok().map(Fingerprint)
    }

    /// The paths that differ from `new`, as people read them: the entries
    /// that changed, or the key itself when no single entry tells. Spec keys
    /// hold no dot, so a path with one is an entry.
    pub fn changed(&self, new: &Fingerprint) -> Vec<String> {
        let paths: BTreeSet<&String> = self.0.keys().chain(new.0.keys()).collect();
        let differing: Vec<&String> = paths
            .into_iter()
            .filter(|p| self.0.get(*p) != new.0.get(*p))
            .collect();
        let mut changed: Vec<String> = differing
            .iter()
            .filter(|path| match path.split_once('.') {
                Some(_) => true,
                None => !differing.iter().any(|e| {
                    e.split_once('.')
                        .is_some_and(|(key, _)| key == path.as_str())
                }),
            })
            .map(|p| (*p).clone())
            .collect();
        changed.sort();
        changed
    }

    /// Whether `key` held `value` (up to the digest's certainty).
    pub fn has(&self, key: &str, value: &Value) -> bool {
        self.0.get(key) == Some(&digest(key, value, KEY_DIGITS))
    }
}

/// `environment.FOO, ports changed`, for a plan's reason.
/// A spec's `version` (its format) is not named: what it changed is.
pub fn describe(changed: &[String]) -> String {
    let changed: Vec<&str> = changed
        .iter()
        .map(String::as_str)
        .filter(|path| *path != "version")
        .collect();
    match changed.len() {
        0 => "configuration changed".into(),
        1..=3 => format!("{} changed", changed.join(", ")),
        n => format!("{}, and {} more changed", changed[..3].join(", "), n - 3),
    }
}

/// The first `digits` hex digits of the SHA-256 of `path` and `value`'s
/// JSON. On every `up`, for every key of every service: the JSON goes
/// straight into the hasher and only the digits kept are formatted.
fn digest(path: &str, value: &Value, digits: usize) -> String {
    let mut hasher = Sha256::new();
    hasher.update(path.as_bytes());
    hasher.update([0]);
    // Writing into a hasher cannot fail, nor can serialising a `Value`.
    let _ = serde_json::to_writer(Hashing(&mut hasher), value);
    let sum = hasher.finalize();
    let mut hex = crate::digest::hex(&sum[..digits.div_ceil(2)]);
    hex.truncate(digits);
    hex
}

/// Bytes written go into the hasher.
struct Hashing<'a>(&'a mut Sha256);

impl std::io::Write for Hashing<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn of(value: Value) -> Fingerprint {
        Fingerprint::of(&value)
    }

    #[test]
    fn the_label_holds_digests_and_no_value() {
        let fp = of(json!({"image": "busybox", "environment": {"DB_PASSWORD": "hunter2"}}));
        let label = fp.to_label();
        assert!(!label.contains("hunter2"), "{label}");
        assert!(!label.contains("busybox"), "{label}");
        assert!(label.contains("environment.DB_PASSWORD"), "{label}");
        assert_eq!(Fingerprint::parse(&label), Some(fp));
    }

    #[test]
    fn changes_are_named_by_entry_or_by_key() {
        let old = of(json!({
            "image": "a",
            "environment": {"A": "1", "B": "2"},
            "ports": [1],
        }));
        let new = of(json!({
            "image": "a",
            "environment": {"A": "1", "B": "3", "C": "4"},
            "ports": [2],
        }));
        assert_eq!(
            old.changed(&new),
            ["environment.B", "environment.C", "ports"]
        );
        assert!(old.changed(&old).is_empty());
        assert_eq!(
            describe(&old.changed(&new)),
            "environment.B, environment.C, ports changed"
        );
    }

    #[test]
    fn a_section_that_appears_names_its_entries() {
        let old = of(json!({"image": "a"}));
        let new = of(json!({"image": "a", "labels": {"x.y": "1"}}));
        assert_eq!(old.changed(&new), ["labels.x.y"]);
        let emptied = of(json!({"image": "a", "labels": {}}));
        assert_eq!(new.changed(&emptied), ["labels.x.y"]);
    }

    #[test]
    fn digests_are_the_leading_hex_digits_of_the_sha256() {
        // sha256("image\0\"busybox\"") starts with these digits; labels
        // written by earlier berths must keep matching.
        let full: String = Sha256::digest(b"image\0\"busybox\"")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(digest("image", &json!("busybox"), 8), full[..8]);
        assert_eq!(digest("image", &json!("busybox"), 4), full[..4]);
    }

    #[test]
    fn equal_values_under_other_keys_differ() {
        let a = of(json!({"user": "x"}));
        let b = of(json!({"group": "x"}));
        assert_eq!(a.changed(&b), ["group", "user"]);
    }
}
