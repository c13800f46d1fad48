//! [`Key`]: the keys of the tree's mappings, interned.
//!
//! A project of a thousand services holds some 85,000 mapping entries whose
//! keys come from a vocabulary of a few thousand words (`image`, `ports`,
//! service and variable names). Stored inline, each key took 24 bytes of
//! its entry; as the address of its word in one table, it takes 8, and the
//! entry shrinks from 72 to 56 bytes. Words are never freed: a process loads
//! a few projects at most (watch loads one again on a rebuild), and the same
//! words come back.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::HashSet;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::{LazyLock, RwLock};

use rustc_hash::FxBuildHasher;

/// A mapping key: the address of its text in the table of words, so equal
/// keys are the same address and comparing two is comparing two pointers;
/// ordering and hashing are the text's.
#[derive(Clone, Copy)]
pub struct Key(&'static String);

/// Every key seen, by its text.
static WORDS: LazyLock<RwLock<HashSet<Key, FxBuildHasher>>> = LazyLock::new(RwLock::default);

impl Key {
    /// The key of `text`, added to the table if it is new.
    pub fn new(text: &str) -> Key {
        if let Some(key) = Key::find(text) {
            return key;
        }
        let mut words = WORDS.write().expect("key table lock");
        if let Some(&key) = words.get(text) {
            return key;
        }
        let key = Key(Box::leak(Box::new(text.to_string())));
        words.insert(key);
        key
    }

    /// The key of `text` if any mapping has it: a key never added is in no map.
    pub fn find(text: &str) -> Option<Key> {
        WORDS.read().expect("key table lock").get(text).copied()
    }

    pub fn as_str(&self) -> &'static str {
        self.0.as_str()
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for Key {}

impl std::ops::Deref for Key {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Key {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl Hash for Key {
    /// As the text hashes, so that a set of keys can be asked for a `&str`.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        if self == other {
            return Ordering::Equal;
        }
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<&str> for Key {
    fn from(text: &str) -> Key {
        Key::new(text)
    }
}

impl From<String> for Key {
    fn from(text: String) -> Key {
        Key::new(&text)
    }
}

impl From<Key> for super::Text {
    fn from(key: Key) -> super::Text {
        super::Text::const_new(key.as_str())
    }
}

impl From<Key> for String {
    fn from(key: Key) -> String {
        key.as_str().to_string()
    }
}

impl PartialEq<&str> for Key {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::Key;

    #[test]
    fn one_text_is_one_key_and_keys_order_as_their_texts() {
        let a = Key::new("zeta-interned-test");
        assert_eq!(a, Key::from(String::from("zeta-interned-test")));
        assert_eq!(a.as_str(), "zeta-interned-test");
        assert_eq!(Key::find("never-added-to-any-map-xyz"), None);
        let b = Key::new("alpha-interned-test");
        assert!(b < a, "ordered by text, not by when they were added");
        let set: std::collections::HashSet<Key> = [a, b].into();
        assert!(set.contains("alpha-interned-test"));
    }
}
