//! [`Map`]: the mappings of the node tree, entries kept in file order.
//!
//! A plain vector of entries searched linearly. Compose mappings are small (a
//! service has a few dozen keys), where a scan is as quick as hashing, and a
//! node tree holds hundreds of thousands of entries: a hash index would cost
//! each of them a hash and an index slot, and every node the room of a
//! hash table. Only `services` and the other top-level sections grow with
//! the project; each of their entries is looked up a bounded number of
//! times, which stays well under a millisecond for a thousand services.
//!
//! The API is the part of `IndexMap`'s the loader uses, with the same meaning.
//!
//! The entries are clone-on-write (see [`super::Seq`]): cloning a map
//! shares them, and the first change through `&mut` copies them (one level:
//! the values' own lists and mappings stay shared). Walks that change only
//! some values look before they take `&mut`, so a shared subtree stays
//! shared when nothing in it changes.

use ecow::EcoVec;

use super::{Key, Node};

#[derive(Clone, Debug, Default)]
pub struct Map {
    entries: EcoVec<(Key, Node)>,
}

impl Map {
    pub fn with_capacity(capacity: usize) -> Self {
        Map {
            entries: EcoVec::with_capacity(capacity),
        }
    }

    /// Makes room for `additional` more entries and no more (see [`Map::push`]).
    pub fn reserve_exact(&mut self, additional: usize) {
        if self.entries.capacity() - self.entries.len() < additional {
            self.regrow(self.entries.len() + additional);
        }
    }

    /// Moves the entries into an allocation of exactly `capacity`
    /// (`EcoVec::reserve` would at least double it).
    fn regrow(&mut self, capacity: usize) {
        let mut entries = EcoVec::with_capacity(capacity);
        entries.extend(std::mem::take(&mut self.entries));
        self.entries = entries;
    }

    /// Whether no other map shares these entries (changing them copies
    /// nothing).
    pub fn is_unique(&mut self) -> bool {
        self.entries.is_unique()
    }

    /// Whether `self` and `other` hold the same entries, not copies.
    pub fn shares_entries_with(&self, other: &Map) -> bool {
        std::ptr::eq(self.entries.as_ptr(), other.entries.as_ptr())
            && self.entries.len() == other.entries.len()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Where `key` is. Keys are interned: the text is looked up once, and
    /// the entries compared by index.
    pub fn get_index_of(&self, key: &str) -> Option<usize> {
        self.index_of(Key::find(key)?)
    }

    fn index_of(&self, key: Key) -> Option<usize> {
        self.entries.iter().position(|(k, _)| *k == key)
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.get_index_of(key).map(|i| &self.entries[i].1)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.get_index_of(key)
            .map(|i| &mut self.entries.make_mut()[i].1)
    }

    /// The value at `index`, to change: the entries are copied first when
    /// another map shares them.
    pub fn value_at_mut(&mut self, index: usize) -> &mut Node {
        &mut self.entries.make_mut()[index].1
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get_index_of(key).is_some()
    }

    /// Sets `key` to `value`: in place if the key is there (returning the old
    /// value), else at the end.
    pub fn insert(&mut self, key: impl Into<Key>, value: Node) -> Option<Node> {
        let key = key.into();
        match self.index_of(key) {
            Some(i) => Some(std::mem::replace(self.value_at_mut(i), value)),
            None => {
                self.push(key, value);
                None
            }
        }
    }

    /// Appends an entry whose key is not in the map. Growth is by half
    /// rather than double: most maps stop growing after a few entries, and
    /// every unused slot costs a whole entry.
    fn push(&mut self, key: Key, value: Node) {
        if self.entries.len() == self.entries.capacity() {
            self.regrow(self.entries.len() + self.entries.len() / 2 + 1);
        }
        self.entries.push((key, value));
    }

    /// Appends an entry whose key the caller knows is not in the map yet,
    /// without looking for it (building a large map by [`Map::insert`] takes
    /// time quadratic in its size).
    pub fn insert_unique(&mut self, key: impl Into<Key>, value: Node) {
        self.push(key.into(), value);
    }

    /// Removes `key`, keeping the order of the other entries.
    pub fn shift_remove(&mut self, key: &str) -> Option<Node> {
        self.shift_remove_full(key).map(|(_, _, v)| v)
    }

    /// [`Map::shift_remove`], also giving the entry's index and key.
    pub fn shift_remove_full(&mut self, key: &str) -> Option<(usize, Key, Node)> {
        let index = self.get_index_of(key)?;
        let (k, v) = self.entries.remove(index);
        Some((index, k, v))
    }

    /// Moves the entry at `from` to `to`, shifting the ones in between.
    pub fn move_index(&mut self, from: usize, to: usize) {
        let entries = self.entries.make_mut();
        if from < to {
            entries[from..=to].rotate_left(1);
        } else {
            entries[to..=from].rotate_right(1);
        }
    }

    pub fn entry(&mut self, key: impl Into<Key>) -> Entry<'_> {
        let key = key.into();
        match self.index_of(key) {
            Some(index) => Entry::Occupied(self.value_at_mut(index)),
            None => Entry::Vacant(self, key),
        }
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&Key, &mut Node) -> bool) {
        self.entries.retain(|(k, v)| keep(k, v));
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter(self.entries.iter())
    }

    pub fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = (&Key, &mut Node)> {
        self.entries.make_mut().iter_mut().map(|(k, v)| (&*k, v))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &Key> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Node> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut Node> {
        self.entries.make_mut().iter_mut().map(|(_, v)| v)
    }
}

/// A place for a key in a [`Map`], from [`Map::entry`].
pub enum Entry<'a> {
    Occupied(&'a mut Node),
    Vacant(&'a mut Map, Key),
}

impl<'a> Entry<'a> {
    pub fn or_insert(self, default: Node) -> &'a mut Node {
        self.or_insert_with(|| default)
    }

    pub fn or_insert_with(self, default: impl FnOnce() -> Node) -> &'a mut Node {
        match self {
            Entry::Occupied(value) => value,
            Entry::Vacant(map, key) => {
                map.push(key, default());
                &mut map.entries.make_mut().last_mut().expect("just pushed").1
            }
        }
    }
}

/// Iterator over a map's entries, in order.
pub struct Iter<'a>(std::slice::Iter<'a, (Key, Node)>);

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a Key, &'a Node);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k, v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (k, v))
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a Map {
    type Item = (&'a Key, &'a Node);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl IntoIterator for Map {
    type Item = (Key, Node);
    type IntoIter = ecow::vec::IntoIter<(Key, Node)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<K: Into<Key>> Extend<(K, Node)> for Map {
    /// Inserts every entry (a key already there keeps its place).
    fn extend<I: IntoIterator<Item = (K, Node)>>(&mut self, entries: I) {
        for (k, v) in entries {
            self.insert(k, v);
        }
    }
}

impl<K: Into<Key>> FromIterator<(K, Node)> for Map {
    fn from_iter<I: IntoIterator<Item = (K, Node)>>(entries: I) -> Self {
        let entries = entries.into_iter();
        // Room for every entry at once rather than growing to fit.
        let mut map = Map::with_capacity(entries.size_hint().0);
        map.extend(entries);
        map
    }
}

impl std::ops::Index<&str> for Map {
    type Output = Node;

    fn index(&self, key: &str) -> &Node {
        self.get(key).expect("key in map")
    }
}

impl PartialEq for Map {
    /// Maps are equal when they hold the same keys with equal values, in any order.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .all(|(k, v)| other.get(k).is_some_and(|w| v == w))
    }
}
