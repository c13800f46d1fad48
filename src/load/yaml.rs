//! YAML text → [`Node`] trees, resolving scalars the way go-yaml v3 does.
//!
//! saphyr-parser gives events with positions; this module builds the tree,
//! expands aliases and `<<` merge keys, rejects duplicate keys, and keeps the
//! `!reset` / `!override` tags.

use std::cell::Cell;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle};

use rustc_hash::FxHashMap;

use super::node::{Key, Kind, Map, Node, Tag};
use crate::diag::{Diagnostic, Span};

/// Aliases may be expanded at most this many nodes in total (a "billion
/// laughs" guard, as go-yaml has).
const ALIAS_BUDGET: usize = 1_000_000;

/// Collections may nest this deep, as in go-yaml (the loader's recursive
/// walks run on a thread with [`super::LOAD_STACK`] of stack for it).
pub const MAX_DEPTH: usize = 10_000;

/// Parses every document of `text` (registered as `file` in the sources).
pub fn parse_documents(source: &str, file: u32) -> Result<Vec<Node>, Diagnostic> {
    let text = source.strip_prefix('\u{feff}').unwrap_or(source);
    let mut builder = Builder {
        file,
        source,
        bom: source.len() - text.len(),
        text,
        line_starts: line_starts(text),
        ..Default::default()
    };
    let parser = Parser::new_from_str(text);
    for ev in parser {
        let (event, span) = ev.map_err(|e| {
            let m = e.marker();
            let span = builder.span_at(m.index(), m.line(), 0);
            Diagnostic::new(format!("invalid YAML: {}", e.info()))
                .at(span)
                .hint("check the indentation and quoting around this position")
        })?;
        let span = builder.span_of(&span);
        if matches!(event, Event::SequenceStart(..) | Event::MappingStart(..))
            && builder.stack.len() >= MAX_DEPTH
        {
            return Err(Diagnostic::new(format!(
                "invalid YAML: exceeded max depth of {MAX_DEPTH}"
            ))
            .at(span)
            .hint("collections nest this deep only by mistake"));
        }
        builder.event(event, span)?;
    }
    Ok(builder.documents)
}

#[derive(Default)]
struct Builder<'t> {
    file: u32,
    /// The file's whole text, which spans point into.
    source: &'t str,
    /// Length of the byte order mark before `text`, if any.
    bom: usize,
    /// The text given to the parser.
    text: &'t str,
    line_starts: Vec<(usize, usize)>,
    /// The last (char index, byte offset) found, where the next search on
    /// the same line can start: positions mostly come in order.
    last_offset: Cell<(usize, usize)>,
    documents: Vec<Node>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    alias_nodes: usize,
}

enum Frame {
    Seq {
        items: Vec<Node>,
        span: Span,
        anchor: usize,
        tag: Option<Tag>,
    },
    Map {
        entries: Vec<(Node, Node)>,
        pending_key: Option<Node>,
        span: Span,
        anchor: usize,
        tag: Option<Tag>,
    },
}

/// (char index, byte offset) at the start of every line, to turn saphyr's
/// character positions into byte offsets; none for an ASCII text, where
/// the two are the same (a table for a large file would outweigh its tree).
fn line_starts(text: &str) -> Vec<(usize, usize)> {
    if text.is_ascii() {
        return Vec::new();
    }
    let lines = text.bytes().filter(|&b| b == b'\n').count();
    let mut starts = Vec::with_capacity(lines + 1);
    starts.push((0, 0));
    let mut chars = 0;
    for (byte, c) in text.char_indices() {
        chars += 1;
        if c == '\n' {
            starts.push((chars, byte + 1));
        }
    }
    starts
}

impl Builder<'_> {
    fn span_at(&self, index: usize, line: usize, len_chars: usize) -> Span {
        let offset = self.byte_offset(index, line);
        let end = self.byte_offset(index + len_chars, line);
        Span::new(
            self.file,
            (self.bom + offset) as u32,
            end.saturating_sub(offset),
        )
    }

    fn byte_offset(&self, index: usize, line: usize) -> usize {
        if self.line_starts.is_empty() {
            return index.min(self.text.len());
        }
        let (mut chars, mut byte) = self
            .line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or((0, 0));
        let last = self.last_offset.get();
        if (chars..=index).contains(&last.0) {
            (chars, byte) = last;
        }
        let rest = &self.text[byte.min(self.text.len())..];
        for c in rest.chars() {
            if chars >= index {
                break;
            }
            chars += 1;
            byte += c.len_utf8();
        }
        self.last_offset.set((chars, byte));
        byte
    }

    fn span_of(&self, span: &saphyr_parser::Span) -> Span {
        let start = span.start;
        // Spans of block collections run to the next token; keep them to one line.
        let len = if span.end.line() == start.line() {
            span.end.index() - start.index()
        } else {
            0
        };
        self.span_at(start.index(), start.line(), len)
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), Diagnostic> {
        match event {
            Event::Scalar(value, style, anchor, tag) => {
                let tag_name = tag.as_ref().map(|t| format!("{}{}", t.handle, t.suffix));
                let mut node = Node::new(
                    resolve_scalar(&value, style, tag_name.as_deref(), span)?,
                    span,
                );
                node.tag = compose_tag(tag_name.as_deref());
                self.finish(node, anchor)
            }
            Event::SequenceStart(anchor, tag) => {
                let tag = compose_tag(tag.map(|t| format!("{}{}", t.handle, t.suffix)).as_deref());
                self.stack.push(Frame::Seq {
                    items: Vec::new(),
                    span,
                    anchor,
                    tag,
                });
                Ok(())
            }
            Event::MappingStart(anchor, tag) => {
                let tag = compose_tag(tag.map(|t| format!("{}{}", t.handle, t.suffix)).as_deref());
                self.stack.push(Frame::Map {
                    entries: Vec::new(),
                    pending_key: None,
                    span,
                    anchor,
                    tag,
                });
                Ok(())
            }
            Event::SequenceEnd => match self.stack.pop() {
                Some(Frame::Seq {
                    mut items,
                    span,
                    anchor,
                    tag,
                }) => {
                    // The room a growing list doubled into would last as long as the tree.
                    items.shrink_to_fit();
                    let mut node = Node::seq(items, span);
                    node.tag = tag;
                    self.finish(node, anchor)
                }
                _ => Err(Diagnostic::new("invalid YAML: unbalanced sequence").at(span)),
            },
            Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Map {
                    entries,
                    span,
                    anchor,
                    tag,
                    ..
                }) => {
                    let mut node = Node::map(build_map(entries, self.source)?, span);
                    node.tag = tag;
                    self.finish(node, anchor)
                }
                _ => Err(Diagnostic::new("invalid YAML: unbalanced mapping").at(span)),
            },
            Event::Alias(id) => {
                let Some(target) = self.anchors.get(&id) else {
                    return Err(Diagnostic::new("invalid YAML: unknown anchor").at(span));
                };
                self.alias_nodes += count_nodes(target);
                if self.alias_nodes > ALIAS_BUDGET {
                    return Err(Diagnostic::new("invalid YAML: document contains excessive aliasing")
                        .at(span)
                        .hint("aliases expand to more than a million nodes; is an anchor referring to itself?"));
                }
                let mut node = target.clone();
                node.set_key_span(span);
                self.finish(node, 0)
            }
            Event::DocumentStart(_) => {
                self.anchors.clear();
                Ok(())
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => Ok(()),
        }
    }

    /// Places a completed node in its parent (or as a document root).
    fn finish(&mut self, node: Node, anchor: usize) -> Result<(), Diagnostic> {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.documents.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                pending_key,
                ..
            }) => match pending_key.take() {
                None => *pending_key = Some(node),
                Some(key) => entries.push((key, node)),
            },
        }
        Ok(())
    }
}

fn count_nodes(node: &Node) -> usize {
    1 + match &node.kind {
        Kind::Seq(items) => items.iter().map(count_nodes).sum(),
        Kind::Map(m) => m.values().map(count_nodes).sum(),
        _ => 0,
    }
}

fn compose_tag(tag: Option<&str>) -> Option<Tag> {
    match tag {
        Some("!reset") => Some(Tag::Reset),
        Some("!override") => Some(Tag::Override),
        _ => None,
    }
}

/// Builds a mapping: keys become strings, duplicates are errors and `<<`
/// merges are expanded (explicit keys win, earlier merge sources win).
fn build_map(entries: Vec<(Node, Node)>, source: &str) -> Result<Map, Diagnostic> {
    // Room for the keys merged in with `<<` too.
    let merged_len: usize = entries
        .iter()
        .filter(|(key, _)| is_merge_key(key))
        .map(|(_, value)| match &value.kind {
            Kind::Map(m) => m.len(),
            Kind::Seq(items) => items.iter().filter_map(Node::as_map).map(Map::len).sum(),
            _ => 0,
        })
        .sum();
    let mut map = Map::with_capacity(entries.len() + merged_len);
    let mut merged: Vec<Node> = Vec::new();
    let mut first_seen: FxHashMap<Key, Span> = FxHashMap::default();
    let mut first_merge: Option<Span> = None;
    for (key, mut value) in entries {
        if is_merge_key(&key) {
            // go-yaml takes one `<<` per mapping (a list of sources merges several).
            if let Some(first) = first_merge {
                return Err(Diagnostic::new(format!(
                    "mapping key \"<<\" already defined at line {}",
                    first.line_col(source).0
                ))
                .at(key.span)
                .hint("merge several mappings with `<<: [*a, *b]`"));
            }
            first_merge = Some(key.span);
            match &value.kind {
                Kind::Map(_) => merged.push(value),
                Kind::Seq(items) if items.iter().all(|i| matches!(i.kind, Kind::Map(_))) => {
                    merged.extend(items.iter().cloned());
                }
                _ => {
                    return Err(Diagnostic::new(
                        "map merge requires map or sequence of maps as the value",
                    )
                    .at(value.span)
                    .hint("write `<<: *anchor` where the anchor names a mapping"));
                }
            }
            continue;
        }
        let Some(name) = key_string(&key) else {
            return Err(Diagnostic::new(format!(
                "mapping keys must be scalars, found {}",
                key.type_name()
            ))
            .at(key.span));
        };
        if let Some(first) = first_seen.get(name.as_str()) {
            return Err(Diagnostic::new(format!(
                "mapping key \"{name}\" already defined at line {}",
                first.line_col(source).0
            ))
            .at(key.span)
            .hint("remove one of the two entries, or merge their contents"));
        }
        let name = Key::from(name);
        first_seen.insert(name, key.span);
        value.set_key_span(key.span);
        map.insert_unique(name, value);
    }
    for source in merged {
        if let Kind::Map(m) = source.kind {
            for (k, v) in m {
                map.entry(k).or_insert(v);
            }
        }
    }
    Ok(map)
}

/// The merge key `<<` (a `!reset` or `!override` one is an ordinary key).
fn is_merge_key(key: &Node) -> bool {
    matches!(&key.kind, Kind::Str(s) if s == "<<") && key.tag.is_none()
}

fn key_string(key: &Node) -> Option<String> {
    match &key.kind {
        Kind::Null => Some("null".into()),
        _ => key.scalar_text(),
    }
}

/// go-yaml v3's resolution of a scalar to a typed value.
fn resolve_scalar(
    raw: &str,
    style: ScalarStyle,
    tag: Option<&str>,
    span: Span,
) -> Result<Kind, Diagnostic> {
    let plain = matches!(style, ScalarStyle::Plain);
    match tag {
        Some("tag:yaml.org,2002:str") | Some("!!str") => return Ok(Kind::Str(raw.into())),
        Some("tag:yaml.org,2002:int") | Some("!!int") => {
            return parse_int(raw).map(Kind::Int).ok_or_else(|| {
                Diagnostic::new(format!("cannot decode !!str `{raw}` as a !!int")).at(span)
            });
        }
        Some("tag:yaml.org,2002:float") | Some("!!float") => {
            return parse_float(raw)
                .or_else(|| parse_int(raw).map(|i| i as f64))
                .map(Kind::Float)
                .ok_or_else(|| {
                    Diagnostic::new(format!("cannot decode !!str `{raw}` as a !!float")).at(span)
                });
        }
        Some("tag:yaml.org,2002:bool") | Some("!!bool") => {
            return match raw {
                "true" | "True" | "TRUE" => Ok(Kind::Bool(true)),
                "false" | "False" | "FALSE" => Ok(Kind::Bool(false)),
                _ => Err(
                    Diagnostic::new(format!("cannot decode !!str `{raw}` as a !!bool")).at(span),
                ),
            };
        }
        Some("tag:yaml.org,2002:null") | Some("!!null") => {
            return match resolve_plain(raw) {
                Kind::Null => Ok(Kind::Null),
                _ => Err(
                    Diagnostic::new(format!("cannot decode !!str `{raw}` as a !!null")).at(span),
                ),
            };
        }
        _ => {}
    }
    if !plain {
        return Ok(Kind::Str(raw.into()));
    }
    Ok(resolve_plain(raw))
}

/// Resolves an untagged plain scalar.
pub fn resolve_plain(raw: &str) -> Kind {
    match raw {
        "" | "~" | "null" | "Null" | "NULL" => return Kind::Null,
        "true" | "True" | "TRUE" => return Kind::Bool(true),
        "false" | "False" | "FALSE" => return Kind::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Kind::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Kind::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Kind::Float(f64::NAN),
        _ => {}
    }
    let first = raw.as_bytes()[0];
    if first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.') {
        if let Some(i) = parse_int(raw) {
            return Kind::Int(i);
        }
        if let Some(f) = parse_float(raw) {
            return Kind::Float(f);
        }
    }
    Kind::Str(raw.into())
}

/// Go's `strconv.ParseInt(s, 0, 64)` after removing `_`, as go-yaml does:
/// `0x`, `0o`, `0b` prefixes and a leading `0` for octal.
pub fn parse_int(raw: &str) -> Option<i64> {
    let s: String = raw.chars().filter(|&c| c != '_').collect();
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, &s[..]),
    };
    if body.is_empty() {
        return None;
    }
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, &lower[..])
    };
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return None;
    }
    let magnitude = i128::from_str_radix(digits, radix).ok()?;
    let value = if neg { -magnitude } else { magnitude };
    i64::try_from(value).ok()
}

/// go-yaml's float syntax: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
fn parse_float(raw: &str) -> Option<f64> {
    let s: String = raw.chars().filter(|&c| c != '_').collect();
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if int_digits == 0 && i == f {
            return None;
        }
    } else if int_digits == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let e = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == e {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Node {
        parse_documents(text, 0).unwrap().remove(0)
    }

    #[test]
    fn scalars_resolve_like_go_yaml() {
        let cases = [
            ("0755", Kind::Int(493)),
            ("1_000", Kind::Int(1000)),
            ("0x1F", Kind::Int(31)),
            ("0o17", Kind::Int(15)),
            ("-12", Kind::Int(-12)),
            ("1.5", Kind::Float(1.5)),
            ("08", Kind::Float(8.0)),
            ("1e3", Kind::Float(1000.0)),
            ("yes", Kind::Str("yes".into())),
            ("no", Kind::Str("no".into())),
            ("on", Kind::Str("on".into())),
            ("True", Kind::Bool(true)),
            ("~", Kind::Null),
            ("1.2.3", Kind::Str("1.2.3".into())),
            ("2001-12-14", Kind::Str("2001-12-14".into())),
            ("-", Kind::Str("-".into())),
        ];
        for (raw, want) in cases {
            assert_eq!(resolve_plain(raw), want, "{raw}");
        }
    }

    #[test]
    fn quoted_scalars_stay_strings() {
        let n = parse("a: '0755'\nb: \"true\"\n");
        assert_eq!(n.get("a").unwrap().kind, Kind::Str("0755".into()));
        assert_eq!(n.get("b").unwrap().kind, Kind::Str("true".into()));
    }

    #[test]
    fn merge_keys_expand_with_explicit_keys_winning() {
        let n =
            parse("base: &b {x: 1, y: 2}\nother: &o {y: 3, z: 4}\nm:\n  <<: [*b, *o]\n  x: 9\n");
        let m = n.get("m").unwrap();
        assert_eq!(m.get("x").unwrap().kind, Kind::Int(9));
        assert_eq!(m.get("y").unwrap().kind, Kind::Int(2));
        assert_eq!(m.get("z").unwrap().kind, Kind::Int(4));
    }

    #[test]
    fn duplicate_keys_are_errors_with_both_lines() {
        let text = "a: 1\nb: 2\na: 3\n";
        let err = parse_documents(text, 0).unwrap_err();
        assert_eq!(err.message, "mapping key \"a\" already defined at line 1");
        assert_eq!(err.span.unwrap().line_col(text).0, 3);
    }

    #[test]
    fn compose_tags_are_kept() {
        let n = parse("ports: !reset []\nimage: !override x\n");
        assert_eq!(n.get("ports").unwrap().tag, Some(Tag::Reset));
        assert_eq!(n.get("image").unwrap().tag, Some(Tag::Override));
    }

    #[test]
    fn several_documents() {
        assert_eq!(parse_documents("a: 1\n---\nb: 2\n", 0).unwrap().len(), 2);
    }

    #[test]
    fn spans_point_at_values_and_keys() {
        let text = "services:\n  web:\n    image: nginx\n";
        let n = parse(text);
        let image = n
            .get("services")
            .unwrap()
            .get("web")
            .unwrap()
            .get("image")
            .unwrap();
        assert_eq!(image.span.line_col(text), (3, 12));
        assert_eq!(image.key_span().line_col(text), (3, 5));
    }

    #[test]
    fn spans_are_byte_offsets_after_characters_of_several_bytes() {
        // Only a text with other than ASCII needs the table of line starts.
        for text in [
            "a: x\nb: caf\u{e9} \u{1f600}\nc: y\n",
            "a: x\nb: cafe\nc: y\n",
        ] {
            let n = parse(text);
            let c = n.get("c").unwrap();
            assert_eq!(&text[c.span.offset as usize..][..1], "y", "{text:?}");
            assert_eq!(c.key_span().line_col(text), (3, 1), "{text:?}");
            let b = n.get("b").unwrap();
            assert_eq!(
                usize::from(b.span.len),
                b.as_str().unwrap().len(),
                "{text:?}"
            );
        }
    }

    /// The first document of `text` as JSON.
    fn json(text: &str) -> serde_json::Value {
        parse(text).to_json()
    }

    /// go-yaml (Docker Compose) checks no indentation inside a flow
    /// collection: its items and closing bracket may sit at or left of the
    /// parent key (saphyr-parser is patched for it, vendor/saphyr-parser).
    #[test]
    fn flow_sequences_may_close_at_or_left_of_the_parent_key() {
        let want = json("s:\n  command: [\"a\", \"b\"]\n  image: x\n");
        for text in [
            "s:\n  command: [\n    \"a\",\n    \"b\"\n  ]\n  image: x\n",
            "s:\n  command: [\n    \"a\",\n    \"b\"\n]\n  image: x\n",
            "s:\n  command: [\n  \"a\",\n  \"b\"\n  ]\n  image: x\n",
            "s:\n  command: [\n\"a\",\n\"b\"\n]\n  image: x\n",
            "s:\n  command: [\n\"a\", # a comment\n# another\n  \"b\"]\n  image: x\n",
            "s:\n  command: [\na,\nb\n]\n  image: x\n",
        ] {
            assert_eq!(json(text), want, "{text}");
        }
    }

    #[test]
    fn flow_mappings_may_close_at_or_left_of_the_parent_key() {
        let want = json("s:\n  environment: {A: \"1\", B: 2}\n  image: x\n");
        for text in [
            "s:\n  environment: {\n    A: \"1\",\n    B: 2\n  }\n  image: x\n",
            "s:\n  environment: {\n    A: \"1\",\n    B: 2\n}\n  image: x\n",
            "s:\n  environment: {\nA: \"1\",\nB: 2\n}\n  image: x\n",
            "s:\n  environment: {\n    A:\n\"1\",\n  B: 2\n  }\n  image: x\n",
        ] {
            assert_eq!(json(text), want, "{text}");
        }
    }

    #[test]
    fn flow_collections_in_list_items_may_close_at_the_dash() {
        let want = json("v:\n  - {type: bind, target: /x}\n  - [\"80:80\"]\n  - b\n");
        for text in [
            "v:\n  - {\n    type: bind,\n    target: /x\n  }\n  - [\n    \"80:80\"\n  ]\n  - b\n",
            "v:\n  - {\n  type: bind,\n  target: /x\n  }\n  - [\n  \"80:80\"\n  ]\n  - b\n",
            "v:\n  - {\ntype: bind,\ntarget: /x\n}\n  - [\n\"80:80\"\n]\n  - b\n",
            "v:\n- {\ntype: bind,\ntarget: /x\n}\n- [\n\"80:80\"\n]\n- b\n",
        ] {
            assert_eq!(json(text), want, "{text}");
        }
        // A mapping in a list item whose flow value closes at the dash.
        let want = json("l:\n  - name: a\n    ports: [\"80:80\"]\n  - x\n");
        for text in [
            "l:\n  - name: a\n    ports: [\n      \"80:80\"\n    ]\n  - x\n",
            "l:\n  - name: a\n    ports: [\n      \"80:80\"\n  ]\n  - x\n",
            "l:\n  - name: a\n    ports: [\n\"80:80\"\n]\n  - x\n",
        ] {
            assert_eq!(json(text), want, "{text}");
        }
    }

    #[test]
    fn nested_flow_collections_may_sit_left_of_the_parent_key() {
        let want = json("x:\n  a: [[1, 2], [3], {b: [4]}]\n  c: 5\n");
        for text in [
            "x:\n  a: [\n    [\n      1,\n      2\n    ],\n    [\n    3\n    ],\n    {\n      b: [\n        4\n      ]\n    }\n  ]\n  c: 5\n",
            "x:\n  a: [\n  [\n1,\n2\n],\n[3],\n{\nb: [\n4]\n}\n]\n  c: 5\n",
            "x:\n  a: [ [\n1, 2\n], [3\n], {b:\n[4]}\n]\n  c: 5\n",
        ] {
            assert_eq!(json(text), want, "{text}");
        }
    }

    #[test]
    fn multi_line_scalars_in_flow_may_continue_left_of_the_parent_key() {
        let want = json("x:\n  a: [\"b c\", 'd e', f g]\n");
        let text = "x:\n  a: [\n    \"b\nc\",\n    'd\n e',\n    f\ng\n  ]\n";
        assert_eq!(json(text), want);
    }

    #[test]
    fn flow_items_left_of_the_parent_key_keep_their_positions() {
        let text = "s:\n  command: [\n\"a\",\n  b,\n]\n  env: {\nK: v\n}\n";
        let n = parse(text);
        let s = n.get("s").unwrap();
        let command = s.get("command").unwrap();
        let items = command.as_seq().unwrap();
        assert_eq!(command.span.line_col(text), (2, 12));
        assert_eq!(items[0].span.line_col(text), (3, 1));
        assert_eq!(items[1].span.line_col(text), (4, 3));
        let env = s.get("env").unwrap();
        assert_eq!(env.key_span().line_col(text), (6, 3));
        let k = env.get("K").unwrap();
        assert_eq!(k.key_span().line_col(text), (7, 1));
        assert_eq!(k.span.line_col(text), (7, 4));
    }

    /// What go-yaml still refuses around flow collections is refused, with
    /// the place of the error.
    #[test]
    fn layouts_compose_refuses_around_flow_collections_stay_errors() {
        let cases = [
            // A document marker inside a flow collection.
            ("s:\n  command: [\n---\n]\n", (3, 1)),
            // A collection never closed: the block key after it is an item.
            ("s:\n  command: [\n    \"a\",\n  image: x\n", (5, 1)),
            // After the bracket, block indentation counts again.
            ("x:\n  a:\n    b: [\n1\n]\n   c: 2\n", (6, 4)),
            // A tab left of the block indentation inside a plain scalar.
            ("x:\n  a: [\n    b\n\tc\n  ]\n", (3, 5)),
        ];
        for (text, at) in cases {
            let err = parse_documents(text, 0).unwrap_err();
            assert!(err.message.starts_with("invalid YAML"), "{}", err.message);
            assert_eq!(err.span.unwrap().line_col(text), at, "{text}");
        }
    }

    /// go-yaml checks no indentation in a quoted scalar's continuation
    /// lines, in block context too: they may sit left of the key, and
    /// start with tabs.
    #[test]
    fn quoted_scalars_may_continue_left_of_the_key() {
        let want = json("s:\n  e: \"a b\"\n  f: 'c d'\n  g: x\n");
        for text in [
            "s:\n  e: \"a\nb\"\n  f: 'c\nd'\n  g: x\n",
            "s:\n  e: \"a\n b\"\n  f: 'c\n  d'\n  g: x\n",
            "s:\n  e: \"a\n\tb\"\n  f: 'c\n \td'\n  g: x\n",
        ] {
            assert_eq!(json(text), want, "{text}");
        }
        let n = parse("l:\n  - \"a\n\n b\\\nc\"\n");
        let items = n.get("l").unwrap().as_seq().unwrap();
        assert_eq!(items[0].kind, Kind::Str("a\nbc".into()));
    }

    /// In flow collections go-yaml reads `?` and `:` as indicators whatever
    /// follows them, ends plain scalars at `?` but not at `:` before a
    /// flow indicator, and takes tabs after `:` as spaces.
    #[test]
    fn flow_indicators_read_as_go_yaml_reads_them() {
        let cases = [
            ("a: [ ?x: 1, ?y ]\n", "a: [{x: 1}, {y: null}]\n"),
            ("a: { ?x }\n", "a: {x: null}\n"),
            ("a: [b:, c:]\n", "a: ['b:', 'c:']\n"),
            ("a: {b:, c:}\n", "a: {'b:': null, 'c:': null}\n"),
            ("a: [b:c, http://d]\n", "a: ['b:c', 'http://d']\n"),
            ("a:\tb\nc: {d:\t1}\n", "a: b\nc: {d: 1}\n"),
        ];
        for (text, want) in cases {
            assert_eq!(json(text), json(want), "{text}");
        }
    }

    /// Layouts go-yaml refuses that upstream saphyr-parser takes: a key
    /// whose `:` is on a later line inside braces, `|` or `>` inside
    /// brackets, a `:` with no key in a flow collection, `?` inside a
    /// plain scalar in flow. Each is a located error.
    #[test]
    fn flow_layouts_go_yaml_refuses_are_located_errors() {
        let cases = [
            ("a: {\n b\n : 1 }\n", (3, 2)),
            ("a: { \"b\n c\": 1 }\n", (2, 4)),
            ("a: { \"b\"\n : 1 }\n", (2, 2)),
            ("a: [ |, x ]\n", (1, 6)),
            ("a: [ >\n  x ]\n", (1, 6)),
            ("a: { b: | }\n", (1, 9)),
            ("a: { : 1 }\n", (1, 6)),
            ("a: [ :x ]\n", (1, 6)),
            ("a: [b?c]\n", (1, 6)),
        ];
        for (text, at) in cases {
            let err = parse_documents(text, 0).unwrap_err();
            assert!(err.message.starts_with("invalid YAML"), "{}", err.message);
            assert_eq!(err.span.unwrap().line_col(text), at, "{text}");
        }
        // An explicit key may still have its `:` on the next line.
        assert_eq!(json("a: { ? b\n : 1 }\n"), json("a: {b: 1}\n"));
    }

    /// What go-yaml refuses in scalars, keys and directives.
    #[test]
    fn scalars_and_directives_go_yaml_refuses_are_errors() {
        let cases = [
            ("a: \"b\\/c\"\n", "invalid YAML", (1, 4)),
            ("%YAML 1.2\n---\na: 1\n", "invalid YAML", (1, 1)),
            (
                "a: !!null b\n",
                "cannot decode !!str `b` as a !!null",
                (1, 4),
            ),
            (
                "a:\n  <<: {b: 1}\n  <<: {c: 2}\n",
                "mapping key \"<<\" already defined at line 2",
                (3, 3),
            ),
        ];
        for (text, message, at) in cases {
            let err = parse_documents(text, 0).unwrap_err();
            assert!(err.message.starts_with(message), "{}", err.message);
            assert_eq!(err.span.unwrap().line_col(text), at, "{text}");
        }
        assert_eq!(json("%YAML 1.1\n---\na: !!null ~\n"), json("a: null\n"));
        assert_eq!(json("a: \"b\\\\c\"\n")["a"], "b\\c");
    }

    #[test]
    fn syntax_errors_have_positions() {
        let err = parse_documents("a: [1, 2\nb: 3\n", 0).unwrap_err();
        assert!(err.message.starts_with("invalid YAML"), "{}", err.message);
        assert!(err.span.is_some());
    }
}
