//! Project-wide steps after loading: structure checks, profiles, the
//! consistency checks (in `consistency`), the services' environment and
//! label files, and pruning of resources no service uses.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;

use super::environment::{self, Env};
use super::node::string_list;
use super::node::{Key, Kind, Map, Node};
use super::{ProjectContext, Result, dotenv};
use crate::diag::{Diagnostic, Span};
use crate::graph::ProjectGraph;

/// Structural checks Compose runs on each loaded model (before paths).
pub fn validate_structure(model: &Node) -> Result<()> {
    let mut errors = Vec::new();
    for kind in ["secrets", "configs"] {
        let Some(resources) = model.get(kind).and_then(Node::as_map) else {
            continue;
        };
        for (name, r) in resources {
            let Some(m) = r.as_map() else { continue };
            let external = m.get("external").is_some_and(|x| x.as_bool() == Some(true));
            if external || m.contains_key("driver") {
                continue;
            }
            let sources: Vec<&str> = ["file", "environment", "content"]
                .into_iter()
                .filter(|k| m.contains_key(k))
                .collect();
            if sources.len() > 1 {
                errors.push(
                    Diagnostic::new(format!(
                        "{kind}.{name}: {} attributes are mutually exclusive",
                        sources.join("|")
                    ))
                    .at(r.key_span())
                    .hint("keep exactly one of `file`, `environment`, `content`"),
                );
            }
        }
    }
    let mut container_names: HashMap<String, String> = HashMap::new();
    if let Some(services) = model.get("services").and_then(Node::as_map) {
        for (name, s) in services {
            if let Some(ports) = s.get("ports").and_then(Node::as_seq) {
                for p in ports {
                    if let Some(ip) = p.get("host_ip").and_then(Node::as_str)
                        && ip.parse::<std::net::IpAddr>().is_err()
                    {
                        errors.push(
                            Diagnostic::new(format!("invalid ip address: {ip}"))
                                .at(p.get("host_ip").map_or(p.span, |n| n.span))
                                .hint("host_ip must be an IPv4 or IPv6 address such as 127.0.0.1"),
                        );
                    }
                }
            }
            if let Some(cn) = s.get("container_name").and_then(Node::as_str) {
                if let Some(other) = container_names.get(cn) {
                    errors.push(
                        Diagnostic::new(format!(
                            "services.{name}: container name \"{cn}\" is already in use by service {other}"
                        ))
                        .at(s.get("container_name").map_or(s.span, |n| n.span))
                        .hint("container names are global on the engine; give each service its own"),
                    );
                }
                container_names.insert(cn.to_string(), name.to_string());
            }
            if let Some(watch) = s
                .get("develop")
                .and_then(|d| d.get("watch"))
                .and_then(Node::as_seq)
            {
                for w in watch {
                    if w.get("path")
                        .and_then(Node::as_str)
                        .is_some_and(|p| p.trim().is_empty())
                    {
                        errors.push(
                            Diagnostic::new(format!(
                                "services.{name}.develop.watch: path is required"
                            ))
                            .at(w.span),
                        );
                    }
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Profiles, consistency, environment and label files, selection and pruning.
/// Returns the active profiles and the graph of what is left.
pub fn finish(model: &mut Node, ctx: &ProjectContext<'_>) -> Result<(Vec<String>, ProjectGraph)> {
    let mut profiles = ctx.profiles.clone();
    let mut services = model
        .get_mut("services")
        .and_then(Node::as_map_mut)
        .map(std::mem::take)
        .unwrap_or_default();
    for name in &ctx.opts.services {
        let Some(s) = services.get(name) else {
            return Err(vec![
                Diagnostic::new(format!("no such service: {name}")).hint(
                    super::extends::did_you_mean(name, services.keys().map(Key::as_str)),
                ),
            ]);
        };
        if !is_enabled(s, &profiles) {
            profiles.extend(string_list(s.get("profiles")));
        }
    }
    // Filtered where they are: a new mapping for a thousand services would
    // leave the old one's room unused beside the tree.
    let mut disabled: HashSet<Key> = HashSet::new();
    services.retain(|name, service| {
        let enabled = is_enabled(service, &profiles);
        if !enabled {
            disabled.insert(*name);
        }
        enabled
    });
    set(model, "services", Node::map(services, Span::NONE));

    let mut graph = super::graph::project_graph(model);
    if !ctx.opts.skip_consistency {
        super::consistency::check_consistency(model, &disabled, &graph, ctx.sources)?;
    }
    if !ctx.opts.skip_env_resolution {
        resolve_service_files(model, ctx)?;
    }
    let mut changed = false;
    if !ctx.opts.services.is_empty() {
        changed |= select(model, &graph.with_dependencies(&ctx.opts.services));
    }
    if !ctx.opts.all_resources {
        changed |= prune_unused(model, &ctx.opts.keep_volumes);
    }
    // Built again only when selection or pruning left out part of the model.
    if changed {
        graph = super::graph::project_graph(model);
    }
    Ok((profiles, graph))
}

/// Every profile declared by any service, sorted and unique.
pub fn all_profiles(model: &Node) -> Vec<String> {
    let mut all: Vec<String> = model
        .get("services")
        .and_then(Node::as_map)
        .into_iter()
        .flatten()
        .flat_map(|(_, s)| string_list(s.get("profiles")))
        .collect();
    all.sort();
    all.dedup();
    all
}

fn set(model: &mut Node, key: &str, value: Node) {
    if let Some(m) = model.as_map_mut() {
        m.insert(key, value);
    }
}

fn is_enabled(service: &Node, active: &[String]) -> bool {
    let own = string_list(service.get("profiles"));
    own.is_empty() || active.iter().any(|p| p == "*" || own.contains(p))
}

/// A `KEY=VALUE` / `KEY` list or a mapping as (key, optional value) pairs.
fn pairs(node: Option<&Node>) -> Vec<(String, Option<String>, Span)> {
    match node.map(|n| &n.kind) {
        Some(Kind::Map(m)) => m
            .iter()
            .map(|(k, v)| (k.to_string(), v.scalar_text(), v.span))
            .collect(),
        Some(Kind::Seq(items)) => items
            .iter()
            .filter_map(|i| {
                let t = i.scalar_text()?;
                Some(match t.split_once('=') {
                    Some((k, v)) => (k.to_string(), Some(v.to_string()), i.span),
                    None => (t, None, i.span),
                })
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn pairs_to_map(pairs: Vec<(String, Option<String>, Span)>) -> Map {
    let mut m = Map::with_capacity(pairs.len());
    for (k, v, span) in pairs {
        m.insert(k, v.map_or(Node::null(span), |v| Node::str(v, span)));
    }
    m
}

/// Reads `env_file` and `label_file` of the enabled services into
/// `environment` and `labels` (the service's own entries win).
fn resolve_service_files(model: &mut Node, ctx: &ProjectContext<'_>) -> Result<()> {
    let Some(services) = model.get_mut("services").and_then(Node::as_map_mut) else {
        return Ok(());
    };
    for service in services.values_mut() {
        let Some(s) = service.as_map_mut() else {
            continue;
        };
        resolve_env_files(s, ctx)?;
        resolve_label_files(s, ctx)?;
    }
    Ok(())
}

/// The service's `environment`: its `env_file` entries in order, then its
/// own entries (a name without a value taken from the project's environment).
fn resolve_env_files(s: &mut Map, ctx: &ProjectContext<'_>) -> Result<()> {
    // Nothing to read or fill in: the mapping stays as it is (rebuilding it
    // would give the same entries, at the cost of a second copy).
    let settled = !s.contains_key("env_file")
        && s.get("environment")
            .and_then(Node::as_map)
            .is_some_and(|m| m.values().all(|v| matches!(v.kind, Kind::Str(_))));
    if settled {
        return Ok(());
    }
    let env = ctx.env;
    let own = pairs(s.get("environment"));
    let own_map: HashMap<String, Option<String>> =
        own.iter().map(|(k, v, _)| (k.clone(), v.clone())).collect();
    let resolved: Vec<(String, Option<String>, Span)> = own
        .into_iter()
        .map(|(k, v, span)| {
            let v = v.or_else(|| env.get(&k).cloned());
            (k, v, span)
        })
        .collect();
    let files = s.shift_remove("env_file");
    if files.is_none() && resolved.is_empty() {
        return Ok(());
    }
    let service_env: Env = own_map
        .iter()
        .filter_map(|(k, v)| v.clone().map(|v| (k.clone(), v)))
        .collect();
    let mut from_files = Env::new();
    for f in files.as_ref().and_then(Node::as_seq).into_iter().flatten() {
        if let Some(parsed) = read_service_env_file(f, &service_env, &from_files, ctx)? {
            from_files.extend(parsed);
        }
    }
    let out = overlaid(from_files, resolved);
    s.insert("environment", Node::map(pairs_to_map(out), Span::NONE));
    Ok(())
}

/// The variables of one `env_file` entry, whose values may refer to the
/// project's environment, the service's own entries and earlier files;
/// `None` for a missing optional file.
fn read_service_env_file(
    f: &Node,
    service_env: &Env,
    from_files: &Env,
    ctx: &ProjectContext<'_>,
) -> Result<Option<Env>> {
    let (path, required, raw) = env_file_entry(f);
    let path = PathBuf::from(path);
    if !path.exists() {
        if required {
            return Err(vec![
                Diagnostic::new(format!(
                    "env file {} not found: stat {}: no such file or directory",
                    path.display(),
                    path.display()
                ))
                .at(f.span)
                .hint("create the file, fix the path, or mark it optional with `required: false`"),
            ]);
        }
        return Ok(None);
    }
    let parsed = if raw {
        let text = super::one(environment::read_text(&path))?;
        let lookup = |k: &str| ctx.env.get(k).or_else(|| service_env.get(k)).cloned();
        dotenv::parse_raw(&text, &lookup)
    } else {
        let mut merged = ctx.env.clone();
        for (k, v) in service_env {
            merged.entry(k.clone()).or_insert_with(|| v.clone());
        }
        super::one(environment::read_env_file(
            &path,
            &merged,
            from_files,
            ctx.sources,
        ))?
    };
    Ok(Some(parsed))
}

/// The service's `labels`: its `label_file` entries in order, then its own
/// labels (one without a value is empty).
fn resolve_label_files(s: &mut Map, ctx: &ProjectContext<'_>) -> Result<()> {
    let Some(files) = s.shift_remove("label_file") else {
        return Ok(());
    };
    let mut labels = Env::new();
    for f in files.as_seq().into_iter().flatten() {
        let path = PathBuf::from(f.scalar_text().unwrap_or_default());
        let parsed = super::one(environment::read_env_file(
            &path,
            &Env::new(),
            &labels,
            ctx.sources,
        ))?;
        labels.extend(parsed);
    }
    let own = pairs(s.get("labels"))
        .into_iter()
        .map(|(k, v, span)| (k, Some(v.unwrap_or_default()), span))
        .collect();
    let out = overlaid(labels, own);
    if !out.is_empty() {
        s.insert("labels", Node::map(pairs_to_map(out), Span::NONE));
    }
    Ok(())
}

/// The entries read from files, each replaced in place by the service's
/// own entry of the same name; the service's other entries follow.
fn overlaid(
    from_files: Env,
    own: Vec<(String, Option<String>, Span)>,
) -> Vec<(String, Option<String>, Span)> {
    let mut out: Vec<(String, Option<String>, Span)> = from_files
        .into_iter()
        .map(|(k, v)| (k, Some(v), Span::NONE))
        .collect();
    for (k, v, span) in own {
        match out.iter_mut().find(|(ok, _, _)| *ok == k) {
            Some(slot) => *slot = (k, v, span),
            None => out.push((k, v, span)),
        }
    }
    out
}

/// `(path, required, raw format)` of an `env_file` entry.
fn env_file_entry(f: &Node) -> (String, bool, bool) {
    match f.as_map() {
        Some(m) => (
            m.get("path")
                .and_then(Node::scalar_text)
                .unwrap_or_default(),
            m.get("required").and_then(Node::as_bool).unwrap_or(true),
            m.get("format").and_then(Node::as_str) == Some("raw"),
        ),
        None => (f.scalar_text().unwrap_or_default(), true, false),
    }
}

/// Keeps only the services of `keep` (the named ones and what they depend
/// on); whether any went.
fn select(model: &mut Node, keep: &BTreeSet<&str>) -> bool {
    let Some(services) = model.get_mut("services").and_then(Node::as_map_mut) else {
        return false;
    };
    let before = services.len();
    services.retain(|k, _| keep.contains(k.as_str()));
    services.len() != before
}

/// Drops networks, volumes, secrets, configs and models that no enabled
/// service uses (but the volumes of `keep_volumes`); whether any went.
fn prune_unused(model: &mut Node, keep_volumes: &[String]) -> bool {
    // Names as interned keys: a name no mapping has as a key defines
    // nothing to keep, and a thousand services cost no string each.
    let mut used: HashMap<&str, HashSet<Key>> = HashMap::new();
    let mut entry = |kind: &'static str, name: &str| {
        if let Some(key) = Key::find(name) {
            used.entry(kind).or_default().insert(key);
        }
    };
    keep_volumes.iter().for_each(|v| entry("volumes", v));
    let empty = Map::default();
    let services = model
        .get("services")
        .and_then(Node::as_map)
        .unwrap_or(&empty);
    for s in services.values() {
        let keys = |k: &str| s.get(k).and_then(Node::as_map).into_iter().flatten();
        for (network, _) in keys("networks") {
            entry("networks", network);
        }
        for v in s
            .get("volumes")
            .and_then(Node::as_seq)
            .into_iter()
            .flatten()
        {
            if v.get("type").and_then(Node::as_str) == Some("volume")
                && let Some(src) = v
                    .get("source")
                    .and_then(Node::as_str)
                    .filter(|s| !s.is_empty())
            {
                entry("volumes", src);
            }
        }
        for (kind, node) in [
            ("secrets", s.get("secrets")),
            ("secrets", s.get("build").and_then(|b| b.get("secrets"))),
            ("configs", s.get("configs")),
        ] {
            for r in node.and_then(Node::as_seq).into_iter().flatten() {
                if let Some(src) = r.get("source").and_then(Node::scalar_text) {
                    entry(kind, &src);
                }
            }
        }
        for (model_name, _) in keys("models") {
            entry("models", model_name);
        }
    }
    let Some(root) = model.as_map_mut() else {
        return false;
    };
    let mut pruned = false;
    for kind in ["networks", "volumes", "secrets", "configs", "models"] {
        let Some(section) = root.get_mut(kind).and_then(Node::as_map_mut) else {
            continue;
        };
        let keep = used.get(kind);
        let before = section.len();
        section.retain(|k, _| keep.is_some_and(|u| u.contains(k)));
        pruned |= section.len() != before;
    }
    pruned
}
