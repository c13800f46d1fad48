//! Merging one Compose model onto another, with Compose's per-attribute
//! rules, the `!reset` / `!override` tags, and de-duplication of keyed lists.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use super::tree_path::PathTable;

use super::node::{Kind, Map, Node, Tag};
use crate::diag::Diagnostic;

/// How an attribute merges when both sides define it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Mappings merge deeply, sequences append, scalars are replaced.
    Deep,
    /// The later value replaces the earlier one.
    Replace,
    /// Both sides become `k=v` lists (mappings sorted) and are concatenated.
    ToSequence,
    /// Concatenated without repeating entries of the earlier side.
    ExtraHosts,
    /// Lists of names become mappings to null, then merge deeply.
    ToMapping,
    /// Like `ToMapping`, but listed services get `service_started`, `required: true`.
    DependsOn,
    /// A string build becomes `{context}`, then merges deeply.
    Build,
    /// Deep-merged only if both sides use the same driver (or one has none).
    Logging,
    /// A mapping merges deeply; anything else replaces.
    Ulimit,
    /// Entries merge by `subnet`.
    IpamConfig,
}

/// Patterns of paths (`*` matches one key) and their merge rule.
static RULE_TABLE: LazyLock<PathTable<Rule>> = LazyLock::new(|| PathTable::new(RULES));
static UNIQUE_TABLE: LazyLock<PathTable<Indexer>> = LazyLock::new(|| PathTable::new(UNIQUE));

const RULES: &[(&str, Rule)] = &[
    ("networks.*.ipam.config", Rule::IpamConfig),
    ("networks.*.labels", Rule::ToSequence),
    ("volumes.*.labels", Rule::ToSequence),
    ("services.*.annotations", Rule::ToSequence),
    ("services.*.build", Rule::Build),
    ("services.*.build.args", Rule::ToSequence),
    ("services.*.build.additional_contexts", Rule::ToSequence),
    ("services.*.build.extra_hosts", Rule::ExtraHosts),
    ("services.*.build.labels", Rule::ToSequence),
    ("services.*.command", Rule::Replace),
    ("services.*.depends_on", Rule::DependsOn),
    ("services.*.deploy.labels", Rule::ToSequence),
    ("services.*.dns", Rule::ToSequence),
    ("services.*.dns_opt", Rule::ToSequence),
    ("services.*.dns_search", Rule::ToSequence),
    ("services.*.entrypoint", Rule::Replace),
    ("services.*.env_file", Rule::ToSequence),
    ("services.*.label_file", Rule::ToSequence),
    ("services.*.environment", Rule::ToSequence),
    ("services.*.extra_hosts", Rule::ExtraHosts),
    ("services.*.healthcheck.test", Rule::Replace),
    ("services.*.labels", Rule::ToSequence),
    ("services.*.volumes.*.volume.labels", Rule::ToSequence),
    ("services.*.logging", Rule::Logging),
    ("services.*.models", Rule::ToMapping),
    ("services.*.networks", Rule::ToMapping),
    ("services.*.sysctls", Rule::ToSequence),
    ("services.*.tmpfs", Rule::ToSequence),
    ("services.*.ulimits.*", Rule::Ulimit),
];

fn rule_for(path: &[&str]) -> Rule {
    RULE_TABLE.find(path).copied().unwrap_or(Rule::Deep)
}

/// Merges `other` onto `base` (a whole model, or a service when `prefix` is
/// `["services", "x"]`).
pub fn merge_at(base: Node, other: Node, prefix: &[&str]) -> Result<Node, Diagnostic> {
    let mut path: Vec<String> = prefix.iter().map(|s| s.to_string()).collect();
    merge_value(base, other, &mut path)
}

/// Merges a whole model onto another.
pub fn merge(base: Node, other: Node) -> Result<Node, Diagnostic> {
    merge_at(base, other, &[])
}

fn merge_value(base: Node, other: Node, path: &mut Vec<String>) -> Result<Node, Diagnostic> {
    if other.tag == Some(Tag::Override) {
        return Ok(strip_tags(other));
    }
    let segs: Vec<&str> = path.iter().map(String::as_str).collect();
    let rule = rule_for(&segs);
    let span = other.span;
    match rule {
        Rule::Replace => return Ok(strip_tags(other)),
        Rule::ToSequence => {
            let mut items = to_sequence(&base);
            items.extend(to_sequence(&strip_tags(other)));
            return Ok(with_spans(Node::seq(items, span), &base));
        }
        Rule::ExtraHosts => {
            let mut items = to_sequence(&base);
            for item in to_sequence(&strip_tags(other)) {
                if !items.contains(&item) {
                    items.push(item);
                }
            }
            return Ok(with_spans(Node::seq(items, span), &base));
        }
        Rule::ToMapping | Rule::DependsOn => {
            let depends_on = rule == Rule::DependsOn;
            let b = to_mapping(base, depends_on);
            let o = to_mapping(other, depends_on);
            return merge_maps(b, o, path);
        }
        Rule::Build => {
            let b = build_to_map(base);
            let o = build_to_map(other);
            return merge_maps(b, o, path);
        }
        Rule::Logging => {
            let (bd, od) = (base.get("driver").cloned(), other.get("driver").cloned());
            if bd.is_none() || od.is_none() || bd == od {
                return merge_maps(base, other, path);
            }
            return Ok(strip_tags(other));
        }
        Rule::Ulimit => {
            if matches!(other.kind, Kind::Map(_)) && matches!(base.kind, Kind::Map(_)) {
                return merge_maps(base, other, path);
            }
            return Ok(strip_tags(other));
        }
        Rule::IpamConfig => return Ok(merge_ipam_config(base, strip_tags(other))),
        Rule::Deep => {}
    }
    if other.is_null() {
        return Ok(base);
    }
    match (&base.kind, &other.kind) {
        (Kind::Map(_), Kind::Map(_)) => merge_maps(base, other, path),
        (Kind::Seq(_), Kind::Seq(_)) => {
            let mut base = base;
            let Kind::Seq(extra) = strip_tags(other).kind else { unreachable!() };
            base.as_seq_mut().expect("checked").extend(extra);
            Ok(base)
        }
        (Kind::Map(_), _) | (Kind::Seq(_), _) => Err(Diagnostic::new(format!(
            "cannot override {}",
            path.join(".")
        ))
        .at(other.span)
        .hint(format!(
            "this file sets it to {}, an earlier one to {}; use the same shape, or tag it `!override`",
            other.type_name(),
            base.type_name()
        ))),
        _ => Ok(strip_tags(other)),
    }
}

fn merge_maps(mut base: Node, other: Node, path: &mut Vec<String>) -> Result<Node, Diagnostic> {
    if !matches!(base.kind, Kind::Map(_)) {
        return Ok(strip_tags(other));
    }
    let Kind::Map(entries) = other.kind else {
        if other.is_null() {
            return Ok(base);
        }
        return Err(
            Diagnostic::new(format!("cannot override {}", path.join(".")))
                .at(other.span)
                .hint("an earlier file defines a mapping here"),
        );
    };
    let map = base.as_map_mut().expect("checked");
    for (key, value) in entries {
        if value.tag == Some(Tag::Reset) {
            map.shift_remove(&key);
            continue;
        }
        match map.shift_remove_full(&key) {
            None => {
                map.insert(key, strip_tags(value));
            }
            Some((index, _, existing)) => {
                path.push(key.to_string());
                let merged = merge_value(existing, value, path);
                path.pop();
                let merged = merged?;
                map.insert(key, merged);
                let last = map.len() - 1;
                map.move_index(last, index);
            }
        }
    }
    Ok(base)
}

/// Removes `!reset` entries and clears tags in a subtree that is taken as is
/// (in place: the maps keep their allocations).
pub fn strip_tags(mut node: Node) -> Node {
    clear_tags(&mut node);
    node
}

fn clear_tags(node: &mut Node) {
    node.tag = None;
    // Only where a tag is below: changing a list or mapping copies it when
    // aliases share it.
    match &mut node.kind {
        Kind::Map(m) if m.values().any(has_tags) => {
            m.retain(|_, v| v.tag != Some(Tag::Reset));
            m.values_mut().for_each(clear_tags);
        }
        Kind::Seq(items) if items.iter().any(has_tags) => {
            items.retain(|v| v.tag != Some(Tag::Reset));
            items.make_mut().iter_mut().for_each(clear_tags);
        }
        _ => {}
    }
}

/// Whether `node` or anything below it has a tag.
fn has_tags(node: &Node) -> bool {
    node.tag.is_some()
        || match &node.kind {
            Kind::Map(m) => m.values().any(has_tags),
            Kind::Seq(items) => items.iter().any(has_tags),
            _ => false,
        }
}

fn with_spans(mut node: Node, base: &Node) -> Node {
    node.set_key_span(base.key_span());
    node
}

/// A mapping or list as a list of `k=v` strings (mappings sorted by entry).
fn to_sequence(node: &Node) -> Vec<Node> {
    match &node.kind {
        Kind::Map(m) => {
            let mut items: Vec<Node> = Vec::new();
            for (k, v) in m {
                match &v.kind {
                    Kind::Null => items.push(Node::str(*k, v.span)),
                    Kind::Seq(vals) => {
                        for val in vals {
                            let text = val.scalar_text().unwrap_or_default();
                            items.push(Node::str(format!("{k}={text}"), val.span));
                        }
                    }
                    _ => {
                        let text = v.scalar_text().unwrap_or_default();
                        items.push(Node::str(format!("{k}={text}"), v.span));
                    }
                }
            }
            items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            items
        }
        Kind::Seq(items) => items.to_vec(),
        Kind::Str(_) => vec![node.clone()],
        _ => Vec::new(),
    }
}

/// A list of names as a mapping: to null, or to `depends_on`'s defaults.
fn to_mapping(node: Node, depends_on: bool) -> Node {
    let key_span = node.key_span();
    match node.kind {
        Kind::Seq(items) => {
            let mut map = Map::default();
            for item in items {
                let key = item.scalar_text().unwrap_or_default();
                let value = if depends_on {
                    let mut m = Map::default();
                    m.insert("condition", Node::str("service_started", item.span));
                    m.insert("required", Node::new(Kind::Bool(true), item.span));
                    Node::map(m, item.span)
                } else {
                    Node::null(item.span)
                };
                map.insert(key, value);
            }
            let mut out = Node::map(map, node.span);
            out.set_key_span(key_span);
            out.tag = node.tag;
            out
        }
        _ => node,
    }
}

fn build_to_map(node: Node) -> Node {
    match &node.kind {
        Kind::Str(_) => {
            let mut m = Map::default();
            let span = node.span;
            m.insert("context", node);
            Node::map(m, span)
        }
        _ => node,
    }
}

fn merge_ipam_config(base: Node, other: Node) -> Node {
    let (Kind::Seq(originals), Kind::Seq(overrides)) = (&base.kind, &other.kind) else {
        return other;
    };
    let subnet = |n: &Node| n.get("subnet").cloned();
    let mut out: Vec<Node> = Vec::new();
    for original in originals {
        for over in overrides {
            if subnet(over) != subnet(original) && !out.iter().any(|c| subnet(c) == subnet(over)) {
                out.push(over.clone());
                continue;
            }
            let mut path = Vec::new();
            let merged = merge_maps(original.clone(), over.clone(), &mut path)
                .unwrap_or_else(|_| over.clone());
            match out.iter().position(|c| subnet(c) == subnet(&merged)) {
                Some(i) => out[i] = merged,
                None => out.push(merged),
            }
        }
    }
    Node::seq(out, base.span)
}

/// How entries of a list are identified when removing duplicates.
#[derive(Clone, Copy)]
enum Indexer {
    KeyValue,
    Volume,
    Device,
    Expose,
    Mount(&'static str),
    Port,
    EnvFile,
}

const UNIQUE: &[(&str, Indexer)] = &[
    ("networks.*.labels", Indexer::KeyValue),
    ("networks.*.ipam.options", Indexer::KeyValue),
    ("services.*.annotations", Indexer::KeyValue),
    ("services.*.build.args", Indexer::KeyValue),
    ("services.*.build.additional_contexts", Indexer::KeyValue),
    ("services.*.build.platform", Indexer::KeyValue),
    ("services.*.build.tags", Indexer::KeyValue),
    ("services.*.build.labels", Indexer::KeyValue),
    ("services.*.cap_add", Indexer::KeyValue),
    ("services.*.cap_drop", Indexer::KeyValue),
    ("services.*.configs", Indexer::Mount("")),
    ("services.*.deploy.labels", Indexer::KeyValue),
    ("services.*.dns", Indexer::KeyValue),
    ("services.*.dns_opt", Indexer::KeyValue),
    ("services.*.dns_search", Indexer::KeyValue),
    ("services.*.environment", Indexer::KeyValue),
    ("services.*.env_file", Indexer::EnvFile),
    ("services.*.expose", Indexer::Expose),
    ("services.*.labels", Indexer::KeyValue),
    ("services.*.links", Indexer::KeyValue),
    ("services.*.networks.*.aliases", Indexer::KeyValue),
    ("services.*.networks.*.link_local_ips", Indexer::KeyValue),
    ("services.*.ports", Indexer::Port),
    ("services.*.profiles", Indexer::KeyValue),
    ("services.*.secrets", Indexer::Mount("/run/secrets")),
    ("services.*.sysctls", Indexer::KeyValue),
    ("services.*.tmpfs", Indexer::KeyValue),
    ("services.*.volumes", Indexer::Volume),
    ("services.*.devices", Indexer::Device),
];

/// Removes later redefinitions of entries in keyed lists (ports, volumes,
/// environment...): the later entry takes the earlier one's place.
pub fn enforce_unicity(node: &mut Node) -> Result<(), Diagnostic> {
    let mut path = Vec::new();
    unicity(node, &mut path)
}

fn unicity(node: &mut Node, path: &mut Vec<String>) -> Result<(), Diagnostic> {
    match &mut node.kind {
        Kind::Map(_) if !UNIQUE_TABLE.may_match_below(path) => {}
        // What an alias shares is copied only where a list loses an entry.
        Kind::Map(_) => node.update_children_at(path, unicity)?,
        Kind::Seq(items) => {
            let segs: Vec<&str> = path.iter().map(String::as_str).collect();
            let Some(indexer) = UNIQUE_TABLE.find(&segs) else {
                return Ok(());
            };
            let keys = items
                .iter()
                .enumerate()
                .map(|(i, item)| index_key(*indexer, item, &segs, i))
                .collect::<Result<Vec<String>, Diagnostic>>()?;
            // Most lists have no duplicate: they stay as they are (shared
            // with an alias's other uses, if they are).
            let mut distinct: HashSet<&str> = HashSet::with_capacity(keys.len());
            if keys.iter().all(|k| distinct.insert(k)) {
                return Ok(());
            }
            let mut out: Vec<Node> = Vec::with_capacity(items.len());
            let mut seen: HashMap<String, usize> = HashMap::new();
            for (item, key) in std::mem::take(items).into_iter().zip(keys) {
                match seen.get(&key) {
                    Some(&j) => out[j] = item,
                    None => {
                        seen.insert(key, out.len());
                        out.push(item);
                    }
                }
            }
            *items = out.into();
        }
        _ => {}
    }
    Ok(())
}

fn index_key(indexer: Indexer, item: &Node, path: &[&str], i: usize) -> Result<String, Diagnostic> {
    let text = |n: &Node| n.scalar_text().unwrap_or_default();
    let where_ = || format!("{}[{i}]", path.join("."));
    Ok(match indexer {
        Indexer::KeyValue => match &item.kind {
            Kind::Str(s) => s.split_once('=').map_or(s.as_str(), |(k, _)| k).to_string(),
            _ => {
                return Err(Diagnostic::new(format!(
                    "{}: unexpected type {}",
                    where_(),
                    item.type_name()
                ))
                .at(item.span)
                .hint("write this entry as a string"));
            }
        },
        Indexer::Volume => match &item.kind {
            Kind::Map(m) => match m.get("target").and_then(Node::as_str) {
                Some(t) => t.to_string(),
                None => {
                    return Err(Diagnostic::new(format!(
                        "service volume {} is missing a mount target",
                        where_()
                    ))
                    .at(item.span)
                    .hint("add `target: /path/in/container`"));
                }
            },
            Kind::Str(s) => short_volume_target(s),
            _ => String::new(),
        },
        Indexer::Device => match &item.kind {
            Kind::Map(m) => m.get("target").map(text).unwrap_or_default(),
            Kind::Str(s) => {
                let parts: Vec<&str> = s.split(':').collect();
                parts.get(1).unwrap_or(&parts[0]).to_string()
            }
            _ => String::new(),
        },
        Indexer::Expose => text(item),
        Indexer::Mount(default) => match &item.kind {
            Kind::Str(s) => format!("{default}/{s}"),
            Kind::Map(m) => match m.get("target") {
                Some(t) => text(t),
                None => format!(
                    "{default}/{}",
                    m.get("source").map(text).unwrap_or_default()
                ),
            },
            _ => text(item),
        },
        Indexer::Port => match &item.kind {
            Kind::Map(m) => {
                let host = m
                    .get("host_ip")
                    .map(text)
                    .unwrap_or_else(|| "0.0.0.0".into());
                let published = m.get("published").map(text).unwrap_or_default();
                let target = m.get("target").map(text).unwrap_or_default();
                let protocol = m.get("protocol").map(text).unwrap_or_else(|| "tcp".into());
                format!("{host}:{published}:{target}/{protocol}")
            }
            _ => text(item),
        },
        Indexer::EnvFile => match &item.kind {
            Kind::Map(m) => m.get("path").map(text).unwrap_or_default(),
            _ => text(item),
        },
    })
}

/// The container path of a short volume spec (`src:dst[:mode]` or `dst`).
fn short_volume_target(spec: &str) -> String {
    let parts: Vec<&str> = spec.split(':').collect();
    match parts.len() {
        1 => parts[0].to_string(),
        _ => {
            // A Windows drive letter in the source (`C:\x:/y`) adds a part.
            let skip = usize::from(
                parts[0].len() == 1 && parts[0].chars().all(|c| c.is_ascii_alphabetic()),
            );
            parts
                .get(1 + skip)
                .unwrap_or(&parts[parts.len() - 1])
                .to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::yaml::parse_documents;

    fn load(text: &str) -> Node {
        parse_documents(text, 0).unwrap().remove(0)
    }

    fn merged(a: &str, b: &str) -> serde_json::Value {
        let mut m = merge(load(a), load(b)).unwrap();
        enforce_unicity(&mut m).unwrap();
        m.to_json()
    }

    #[test]
    fn scalars_replace_mappings_merge_sequences_append() {
        let m = merged(
            "services: {web: {image: a, cap_add: [X], deploy: {replicas: 1}}}",
            "services: {web: {image: b, cap_add: [Y], deploy: {mode: global}}}",
        );
        assert_eq!(m["services"]["web"]["image"], "b");
        assert_eq!(
            m["services"]["web"]["cap_add"],
            serde_json::json!(["X", "Y"])
        );
        assert_eq!(
            m["services"]["web"]["deploy"],
            serde_json::json!({"replicas": 1, "mode": "global"})
        );
    }

    #[test]
    fn environment_merges_by_key_later_wins() {
        let m = merged(
            "services: {web: {environment: {A: '1', B: '2'}}}",
            "services: {web: {environment: [B=3, C]}}",
        );
        assert_eq!(
            m["services"]["web"]["environment"],
            serde_json::json!(["A=1", "B=3", "C"])
        );
    }

    #[test]
    fn command_is_replaced_not_appended() {
        let m = merged(
            "services: {web: {command: [a, b]}}",
            "services: {web: {command: [c]}}",
        );
        assert_eq!(m["services"]["web"]["command"], serde_json::json!(["c"]));
    }

    #[test]
    fn reset_removes_and_override_replaces() {
        let m = merged(
            "services: {web: {ports: ['80:80'], labels: {a: b}, deploy: {replicas: 2, mode: x}}}",
            "services: {web: {ports: !reset [], deploy: !override {replicas: 3}}}",
        );
        assert!(m["services"]["web"].get("ports").is_none());
        assert_eq!(
            m["services"]["web"]["deploy"],
            serde_json::json!({"replicas": 3})
        );
    }

    #[test]
    fn depends_on_lists_become_mappings() {
        let m = merged(
            "services: {web: {depends_on: [db]}}",
            "services: {web: {depends_on: {cache: {condition: service_healthy}}}}",
        );
        assert_eq!(
            m["services"]["web"]["depends_on"],
            serde_json::json!({"db": {"condition": "service_started", "required": true},
                               "cache": {"condition": "service_healthy"}})
        );
    }

    #[test]
    fn ports_and_volumes_are_deduplicated() {
        let m = merged(
            "services: {web: {ports: ['8080:80'], volumes: ['./a:/data', 'v:/x']}}",
            "services: {web: {ports: ['8080:80'], volumes: ['./b:/data']}}",
        );
        assert_eq!(
            m["services"]["web"]["ports"],
            serde_json::json!(["8080:80"])
        );
        assert_eq!(
            m["services"]["web"]["volumes"],
            serde_json::json!(["./b:/data", "v:/x"])
        );
    }

    #[test]
    fn shape_mismatch_is_an_error() {
        let err = merge(
            load("services: {web: {ports: ['80']}}"),
            load("services: {web: {ports: {a: b}}}"),
        )
        .unwrap_err();
        assert_eq!(err.message, "cannot override services.web.ports");
    }

    #[test]
    fn logging_with_another_driver_replaces() {
        let m = merged(
            "services: {web: {logging: {driver: json-file, options: {a: '1'}}}}",
            "services: {web: {logging: {driver: syslog, options: {b: '2'}}}}",
        );
        assert_eq!(
            m["services"]["web"]["logging"],
            serde_json::json!({"driver": "syslog", "options": {"b": "2"}})
        );
    }
}
