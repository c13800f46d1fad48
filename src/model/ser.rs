//! Serialisation helpers reproducing Go's `encoding/json` output of the
//! compose types: maps print with sorted keys, `float32` prints its shortest
//! 32-bit form, `omitempty` skips zero values.
//!
//! These are used through `#[serde(serialize_with = "...")]` and
//! `#[serde(skip_serializing_if = "...")]`.

use indexmap::IndexMap;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

/// A map printed with its keys sorted, as Go prints every map.
pub(crate) fn sorted<S, V>(map: &IndexMap<String, V>, s: S) -> Result<S::Ok, S::Error>
where
    S: Serializer,
    V: Serialize,
{
    let mut entries: Vec<(&String, &V)> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    let mut m = s.serialize_map(Some(entries.len()))?;
    for (k, v) in entries {
        m.serialize_entry(k, v)?;
    }
    m.end()
}

/// A `float32` printed as Go prints it (an integer when it has no fraction).
pub(crate) fn float32<S: Serializer>(v: &f32, s: S) -> Result<S::Ok, S::Error> {
    super::units::go_json_f32(*v).serialize(s)
}

/// Prints nothing: used on flattened extension maps whose Go field is tagged
/// `json:"-"`.
pub(crate) fn nothing<S: Serializer, T>(_: &T, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_map(Some(0))?.end()
}

/// Go's `omitempty` test for numbers and booleans: the zero value.
pub(crate) fn is_zero<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}
