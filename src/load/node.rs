//! The YAML node tree every loader stage works on.
//!
//! It mirrors what go-yaml gives compose-go: resolved scalars, mappings with
//! string keys, and the two Compose tags (`!reset`, `!override`). Each node
//! remembers where it was written so that errors can point at the line.

pub mod key;
pub mod map;

pub use key::Key;
pub use map::Map;

use crate::diag::Span;

/// The strings of the tree, keys and values. Nearly all are short, and
/// stored inline they cost no allocation of their own.
pub type Text = compact_str::CompactString;

/// The items of a list. Clone-on-write: a copied subtree (each `*alias`,
/// each `<<: *common`) shares its lists and mappings with the original until
/// one side changes them. At 16 bytes, it also keeps [`Kind`] at 24 (a
/// `Vec` would overlap the niche `Text` leaves for the variant's tag).
pub type Seq = ecow::EcoVec<Node>;

/// A Compose-relevant YAML tag on a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    /// `!reset`: remove the attribute from what earlier files defined.
    Reset,
    /// `!override`: replace the attribute instead of merging it.
    Override,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Text),
    Seq(Seq),
    Map(Map),
}

/// A value of the tree. A loaded project has hundreds of thousands, so it is
/// kept to 40 bytes: the key's span is stored in pieces that pack around
/// the tag, with its length cut at 255 bytes (a longer key, or list item
/// standing for one, is still pointed at, only underlined shorter).
#[derive(Clone, Debug)]
pub struct Node {
    pub kind: Kind,
    /// Where the value was written.
    pub span: Span,
    key_offset: u32,
    key_file: u16,
    key_len: u8,
    pub tag: Option<Tag>,
}

impl PartialEq for Node {
    /// Nodes are equal when their values are; positions and tags don't count.
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
    }
}

impl Node {
    pub fn new(kind: Kind, span: Span) -> Self {
        let mut node = Node {
            kind,
            span,
            key_offset: 0,
            key_file: 0,
            key_len: 0,
            tag: None,
        };
        node.set_key_span(span);
        node
    }

    /// Where the key that holds this value was written (the value's own span
    /// for sequence items and document roots).
    pub fn key_span(&self) -> Span {
        Span {
            offset: self.key_offset,
            len: self.key_len.into(),
            file: self.key_file,
        }
    }

    pub fn set_key_span(&mut self, span: Span) {
        self.key_offset = span.offset;
        self.key_file = span.file;
        self.key_len = span.len.min(u8::MAX.into()) as u8;
    }

    pub fn null(span: Span) -> Self {
        Node::new(Kind::Null, span)
    }

    pub fn str(s: impl Into<Text>, span: Span) -> Self {
        Node::new(Kind::Str(s.into()), span)
    }

    pub fn map(map: Map, span: Span) -> Self {
        Node::new(Kind::Map(map), span)
    }

    pub fn seq(items: impl Into<Seq>, span: Span) -> Self {
        Node::new(Kind::Seq(items.into()), span)
    }

    pub fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&Map> {
        match &self.kind {
            Kind::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_map_mut(&mut self) -> Option<&mut Map> {
        match &mut self.kind {
            Kind::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&Seq> {
        match &self.kind {
            Kind::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// Calls `f` on each value of this mapping (with its key) or item of
    /// this list (with no key), which it may change. A mapping or list that
    /// is the node's own is changed in place. A shared one (an alias's copy)
    /// stays shared unless `f` changes something: `f` is given a copy of
    /// each value, and the mapping or list is copied only for a value that
    /// comes back different. Walks that visit a subtree without changing it
    /// keep what an alias shares.
    pub fn update_children<E>(
        &mut self,
        mut f: impl FnMut(Option<&Key>, &mut Node) -> Result<(), E>,
    ) -> Result<(), E> {
        let own = match &mut self.kind {
            Kind::Map(map) => map.is_unique(),
            Kind::Seq(items) => items.is_unique(),
            _ => return Ok(()),
        };
        match &mut self.kind {
            Kind::Map(map) if own => {
                for (key, value) in map.iter_mut() {
                    f(Some(key), value)?;
                }
            }
            Kind::Seq(items) if own => {
                for item in items.make_mut() {
                    f(None, item)?;
                }
            }
            Kind::Map(map) => {
                let mut copy: Option<Map> = None;
                for (i, (key, value)) in map.iter().enumerate() {
                    let mut new = value.clone();
                    f(Some(key), &mut new)?;
                    if !new.is_same(value) {
                        *copy.get_or_insert_with(|| map.clone()).value_at_mut(i) = new;
                    }
                }
                if let Some(copy) = copy {
                    *map = copy;
                }
            }
            Kind::Seq(items) => {
                let mut copy: Option<Seq> = None;
                for (i, item) in items.iter().enumerate() {
                    let mut new = item.clone();
                    f(None, &mut new)?;
                    if !new.is_same(item) {
                        copy.get_or_insert_with(|| items.clone()).make_mut()[i] = new;
                    }
                }
                if let Some(copy) = copy {
                    *items = copy;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// [`Node::update_children`] with each child's segment on `path` while
    /// `f` runs: its key, or `[]` for a list item.
    pub fn update_children_at<E>(
        &mut self,
        path: &mut Vec<String>,
        mut f: impl FnMut(&mut Node, &mut Vec<String>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.update_children(|key, child| {
            path.push(key.map_or_else(|| "[]".into(), |k| k.to_string()));
            let r = f(child, path);
            path.pop();
            r
        })
    }

    /// Whether `other` is this node unchanged: the same position, tag and
    /// scalar, or the same (not an equal) mapping or list.
    fn is_same(&self, other: &Node) -> bool {
        let kind = match (&self.kind, &other.kind) {
            (Kind::Map(a), Kind::Map(b)) => a.shares_entries_with(b),
            (Kind::Seq(a), Kind::Seq(b)) => {
                std::ptr::eq(a.as_ptr(), b.as_ptr()) && a.len() == b.len()
            }
            (Kind::Float(a), Kind::Float(b)) => a.to_bits() == b.to_bits(),
            (Kind::Map(_) | Kind::Seq(_), _) | (_, Kind::Map(_) | Kind::Seq(_)) => false,
            (a, b) => a == b,
        };
        kind && self.span == other.span
            && self.key_span() == other.key_span()
            && self.tag == other.tag
    }

    pub fn as_seq_mut(&mut self) -> Option<&mut Seq> {
        match &mut self.kind {
            Kind::Seq(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match &self.kind {
            Kind::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match &self.kind {
            Kind::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// A child of a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map().and_then(|m| m.get(key))
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.as_map_mut().and_then(|m| m.get_mut(key))
    }

    /// The scalar as text, the way Go's `fmt` would print it; `None` for
    /// null, sequences and mappings.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.kind {
            Kind::Bool(b) => Some(b.to_string()),
            Kind::Int(i) => Some(i.to_string()),
            Kind::Float(f) => Some(format_go_float(*f)),
            Kind::Str(s) => Some(s.to_string()),
            Kind::Null | Kind::Seq(_) | Kind::Map(_) => None,
        }
    }

    /// A short name of the node's type for error messages ("a string", "a list").
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "a boolean",
            Kind::Int(_) => "an integer",
            Kind::Float(_) => "a number",
            Kind::Str(_) => "a string",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
        }
    }

    /// The node as plain JSON (positions and tags dropped).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            Kind::Null => Value::Null,
            Kind::Bool(b) => Value::Bool(*b),
            Kind::Int(i) => Value::from(*i),
            Kind::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Kind::Str(s) => Value::String(s.to_string()),
            Kind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Kind::Map(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// The node as plain JSON, consuming it (no copy of the strings).
    pub fn into_json(self) -> serde_json::Value {
        use serde_json::Value;
        match self.kind {
            Kind::Null => Value::Null,
            Kind::Bool(b) => Value::Bool(b),
            Kind::Int(i) => Value::from(i),
            Kind::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
            Kind::Str(s) => Value::String(s.into_string()),
            Kind::Seq(items) => Value::Array(items.into_iter().map(Node::into_json).collect()),
            Kind::Map(m) => Value::Object(
                m.into_iter()
                    .map(|(k, v)| (String::from(k), v.into_json()))
                    .collect(),
            ),
        }
    }

    /// Builds a node from JSON, every part placed at `span`.
    pub fn from_json(value: &serde_json::Value, span: Span) -> Node {
        use serde_json::Value;
        let kind = match value {
            Value::Null => Kind::Null,
            Value::Bool(b) => Kind::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Kind::Int(i),
                None => Kind::Float(n.as_f64().unwrap_or_default()),
            },
            Value::String(s) => Kind::Str(s.as_str().into()),
            Value::Array(a) => Kind::Seq(a.iter().map(|v| Node::from_json(v, span)).collect()),
            Value::Object(o) => Kind::Map(
                o.iter()
                    .map(|(k, v)| (k.clone(), Node::from_json(v, span)))
                    .collect(),
            ),
        };
        Node::new(kind, span)
    }

    /// The node at a path of mapping keys and sequence indexes, if any.
    /// Where the value at a dotted path (`services.web.ports[0].target`, as
    /// the typed model names a value it cannot read) was written: the
    /// value, else the key that holds it, else the deepest known parent.
    pub fn locate_dotted(&self, path: &str) -> Option<Span> {
        let mut segs = Vec::new();
        for part in path.split('.').filter(|p| !p.is_empty()) {
            let mut rest = part;
            if let Some(i) = rest.find('[') {
                if i > 0 {
                    segs.push(PathSeg::Key(rest[..i].to_string()));
                }
                rest = &rest[i..];
                while let Some(inner) = rest.strip_prefix('[') {
                    let Some(end) = inner.find(']') else { break };
                    match inner[..end].parse() {
                        Ok(n) => segs.push(PathSeg::Index(n)),
                        Err(_) => segs.push(PathSeg::Key(inner[..end].to_string())),
                    }
                    rest = &inner[end + 1..];
                }
            } else {
                segs.push(PathSeg::Key(rest.to_string()));
            }
        }
        (0..=segs.len()).rev().find_map(|len| {
            let node = self.at_path(&segs[..len])?;
            [node.span, node.key_span()]
                .into_iter()
                .find(|s| s.is_known())
        })
    }

    pub fn at_path<'a>(&'a self, path: &[PathSeg]) -> Option<&'a Node> {
        let mut node = self;
        for seg in path {
            node = match (seg, &node.kind) {
                (PathSeg::Key(k), Kind::Map(m)) => m.get(k)?,
                (PathSeg::Index(i), Kind::Seq(s)) => s.get(*i)?,
                _ => return None,
            };
        }
        Some(node)
    }
}

/// One step of a path into a node tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathSeg {
    Key(String),
    Index(usize),
}

/// A path in Compose's message style: dots between keys and indexes
/// (`services.web.ports.0`).
pub fn path_to_string(path: &[PathSeg]) -> String {
    let mut out = String::new();
    for seg in path {
        if !out.is_empty() {
            out.push('.');
        }
        match seg {
            PathSeg::Key(k) => out.push_str(k),
            PathSeg::Index(i) => out.push_str(&i.to_string()),
        }
    }
    out
}

/// Formats a float like Go's `strconv.FormatFloat(f, 'g', -1, 64)` for the
/// common cases: shortest representation, no trailing `.0`.
pub fn format_go_float(f: f64) -> String {
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if f.is_nan() {
        return "NaN".into();
    }
    let exp = if f == 0.0 {
        0
    } else {
        crate::gocompat::decimal_exponent(f)
    };
    if (-4..21).contains(&exp) {
        let s = format!("{f}");
        s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
    } else {
        let s = format!("{f:e}");
        // Rust prints `1e21`, Go prints `1e+21`.
        match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e:0>2}"),
            Some((m, e)) => format!("{m}e-{:0>2}", &e[1..]),
            None => s,
        }
    }
}

/// The scalars of a sequence node (`profiles`, `platforms`), as text.
pub fn string_list(node: Option<&Node>) -> Vec<String> {
    node.and_then(Node::as_seq)
        .map(|v| v.iter().filter_map(Node::scalar_text).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_go_formats_them_next_to_a_power_of_ten() {
        assert_eq!(format_go_float(1e21), "1e+21");
        assert_eq!(
            format_go_float(9.999_999_999_999_999e20),
            "999999999999999900000"
        );
        assert_eq!(format_go_float(0.5), "0.5");
    }

    #[test]
    fn a_node_takes_40_bytes() {
        // The tree's memory is mostly nodes and map entries; keep them small.
        assert_eq!(std::mem::size_of::<Kind>(), 24);
        assert_eq!(std::mem::size_of::<Node>(), 40);
        assert_eq!(std::mem::size_of::<(Key, Node)>(), 48);
    }
}
