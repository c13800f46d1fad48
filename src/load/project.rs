//! Project-wide steps after loading: structure checks, profiles, the
//! consistency checks, the services' environment and label files, and
//! pruning of resources no service uses.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;

use rustc_hash::FxHashSet;

use super::environment::{self, Env};
use super::node::{Key, Kind, Map, Node};
use super::{ProjectContext, Result, dotenv};
use crate::diag::{Diagnostic, Sources, Span};
use crate::graph::{Cycle, ProjectGraph};

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
    let services = model
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
    let mut enabled = Map::with_capacity(services.len());
    let mut disabled: HashSet<Key> = HashSet::new();
    for (name, service) in services {
        if is_enabled(&service, &profiles) {
            enabled.insert_unique(name, service);
        } else {
            disabled.insert(name);
        }
    }
    set(model, "services", Node::map(enabled, Span::NONE));

    let mut graph = ProjectGraph::from_node(model);
    if !ctx.opts.skip_consistency {
        check_consistency(model, &disabled, &graph, ctx.sources)?;
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
        graph = ProjectGraph::from_node(model);
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

fn string_list(node: Option<&Node>) -> Vec<String> {
    node.and_then(Node::as_seq)
        .map(|v| v.iter().filter_map(Node::scalar_text).collect())
        .unwrap_or_default()
}

fn is_enabled(service: &Node, active: &[String]) -> bool {
    let own = string_list(service.get("profiles"));
    own.is_empty() || active.iter().any(|p| p == "*" || own.contains(p))
}

fn err_at(msg: String, node: &Node, hint: &str) -> Diagnostic {
    Diagnostic::new(msg).at(node.span).hint(hint.to_string())
}

/// Compose's consistency checks (skipped with `--no-consistency`).
fn check_consistency(
    model: &Node,
    disabled: &HashSet<Key>,
    graph: &ProjectGraph,
    sources: &Sources,
) -> Result<()> {
    let empty = Map::default();
    let section = |k: &str| model.get(k).and_then(Node::as_map).unwrap_or(&empty);
    let (services, networks, volumes, secrets, configs, models) = (
        section("services"),
        section("networks"),
        section("volumes"),
        section("secrets"),
        section("configs"),
        section("models"),
    );
    // Sections that grow with the project are looked up by name in sets.
    let service_names: FxHashSet<&str> = services.keys().map(Key::as_str).collect();
    let volume_names: FxHashSet<&str> = volumes.keys().map(Key::as_str).collect();
    let mut errors = Vec::new();
    for (name, s) in services {
        let has = |k: &str| s.get(k).is_some_and(|n| !n.is_null());
        if !has("build") && !has("image") && !has("provider") {
            errors.push(err_at(
                format!("service \"{name}\" has neither an image nor a build context specified: invalid compose project"),
                s,
                "add `image:` or `build:` to the service",
            ));
        }
        if let Some(b) = s.get("build") {
            if b.get("dockerfile").is_some()
                && b.get("dockerfile_inline").is_some()
                && has_explicit_dockerfile(b)
            {
                errors.push(err_at(
                    format!("service \"{name}\" declares mutualy exclusive dockerfile and dockerfile_inline: invalid compose project"),
                    b,
                    "keep either `dockerfile` or `dockerfile_inline`",
                ));
            }
            if let Some(ctxs) = b.get("additional_contexts").and_then(Node::as_map) {
                for (add, c) in ctxs {
                    if let Some(target) = c.as_str().and_then(|c| c.strip_prefix("service:")) {
                        match services.get(target) {
                            None => errors.push(err_at(format!("service \"{name}\" declares unknown service \"{target}\" as additional contexts {add}"), c, "name a service of this project")),
                            Some(t) if t.get("build").is_none() => errors.push(err_at(format!("service \"{name}\" declares non-buildable service \"{target}\" as additional contexts {add}"), c, "that service has no `build:`")),
                            _ => {}
                        }
                    }
                }
            }
            let platforms = string_list(b.get("platforms"));
            if let Some(p) = s.get("platform").and_then(Node::as_str)
                && !platforms.is_empty()
                && !platforms.iter().any(|x| x == p)
            {
                errors.push(err_at(
                    format!("service.build.platforms MUST include service.platform \"{p}\": invalid compose project"),
                    s.get("platform").unwrap_or(s),
                    "add the platform to build.platforms",
                ));
            }
        }
        let svc_networks = s.get("networks").and_then(Node::as_map);
        if has("network_mode") && svc_networks.is_some_and(|n| !n.is_empty()) {
            errors.push(err_at(
                format!("service {name} declares mutually exclusive `network_mode` and `networks`: invalid compose project"),
                s.get("network_mode").unwrap_or(s),
                "remove either `network_mode` or `networks`",
            ));
        }
        for (net, n) in svc_networks.into_iter().flatten() {
            if !networks.contains_key(net) {
                errors.push(
                    Diagnostic::new(format!("service \"{name}\" refers to undefined network {net}: invalid compose project"))
                        .at(n.key_span())
                        .hint(format!("declare it under the top-level `networks:` ({})", known(networks))),
                );
            }
        }
        if let Some(test) = s
            .get("healthcheck")
            .and_then(|h| h.get("test"))
            .and_then(Node::as_seq)
            && let Some(first) = test.first().and_then(Node::as_str)
            && !matches!(first, "CMD" | "CMD-SHELL" | "NONE")
        {
            errors.push(err_at(
                "healthcheck.test must start either by \"CMD\", \"CMD-SHELL\" or \"NONE\"".into(),
                &test[0],
                "write `test: [\"CMD\", ...]`, or a string to run through the shell",
            ));
        }
        for (dep, cfg) in s
            .get("depends_on")
            .and_then(Node::as_map)
            .into_iter()
            .flatten()
        {
            if service_names.contains(dep.as_str()) {
                continue;
            }
            let required = cfg.get("required").and_then(Node::as_bool).unwrap_or(true);
            if disabled.contains(dep.as_str()) && !required {
                continue;
            }
            errors.push(
                Diagnostic::new(format!("service \"{name}\" depends on undefined service \"{dep}\": invalid compose project"))
                    .at(cfg.key_span())
                    .hint(super::extends::did_you_mean(dep, services.keys().map(Key::as_str))),
            );
        }
        if let Some(target) = s
            .get("network_mode")
            .and_then(Node::as_str)
            .and_then(|m| m.strip_prefix("service:"))
            && !service_names.contains(target)
        {
            errors.push(err_at(
                format!("service \"{target}\" not found for network_mode 'service:{target}'"),
                s.get("network_mode").unwrap_or(s),
                "name a service of this project",
            ));
        }
        for v in s
            .get("volumes")
            .and_then(Node::as_seq)
            .into_iter()
            .flatten()
        {
            if v.get("type").and_then(Node::as_str) == Some("volume")
                && let Some(src) = v.get("source").and_then(Node::as_str)
                && !src.is_empty()
                && !volume_names.contains(src)
            {
                errors.push(err_at(
                    format!("service \"{name}\" refers to undefined volume {src}: invalid compose project"),
                    v,
                    &format!("declare it under the top-level `volumes:` ({})", known(volumes)),
                ));
            }
        }
        let refs = |key: &str, node: Option<&Node>| -> Vec<(String, Node)> {
            node.and_then(|n| n.get(key))
                .and_then(Node::as_seq)
                .into_iter()
                .flatten()
                .filter_map(|r| {
                    r.get("source")
                        .and_then(Node::scalar_text)
                        .map(|t| (t, r.clone()))
                })
                .collect()
        };
        for (src, r) in refs("secrets", s.get("build")) {
            if !secrets.contains_key(&src) {
                errors.push(err_at(format!("service \"{name}\" refers to undefined build secret {src}: invalid compose project"), &r, "declare it under the top-level `secrets:`"));
            }
        }
        for (src, r) in refs("configs", Some(s)) {
            if !configs.contains_key(&src) {
                errors.push(err_at(format!("service \"{name}\" refers to undefined config {src}: invalid compose project"), &r, "declare it under the top-level `configs:`"));
            }
        }
        for (src, r) in refs("secrets", Some(s)) {
            if !secrets.contains_key(&src) {
                errors.push(err_at(format!("service \"{name}\" refers to undefined secret {src}: invalid compose project"), &r, "declare it under the top-level `secrets:`"));
            }
        }
        for (m, n) in s.get("models").and_then(Node::as_map).into_iter().flatten() {
            if !models.contains_key(m) {
                errors.push(
                    Diagnostic::new(format!(
                        "service \"{name}\" refers to undefined model {m}: invalid compose project"
                    ))
                    .at(n.key_span()),
                );
            }
        }
        let scale = s.get("scale").and_then(Node::as_i64);
        let replicas = s
            .get("deploy")
            .and_then(|d| d.get("replicas"))
            .and_then(Node::as_i64);
        if let (Some(a), Some(b)) = (scale, replicas)
            && a != b
        {
            errors.push(err_at(format!("services.{name}: can't set distinct values on 'scale' and 'deploy.replicas': invalid compose project"), s, "keep one of them"));
        }
        if scale.is_some_and(|x| x < 0) {
            errors.push(err_at(
                format!("services.{name}.scale: must be greater than or equal to 0"),
                s,
                "",
            ));
        }
        if replicas.is_some_and(|x| x < 0) {
            errors.push(err_at(
                format!("services.{name}.deploy.replicas: must be greater than or equal to 0"),
                s,
                "",
            ));
        }
        if scale.or(replicas).unwrap_or(1) > 1 && has("container_name") {
            errors.push(err_at(
                format!("services.{name}: can't set container_name and {} as container name must be unique: invalid compose project", if scale.is_some() { "scale" } else { "deploy.replicas" }),
                s.get("container_name").unwrap_or(s),
                "remove container_name, or run a single replica",
            ));
        }
        for w in s
            .get("develop")
            .and_then(|d| d.get("watch"))
            .and_then(Node::as_seq)
            .into_iter()
            .flatten()
        {
            let action = w.get("action").and_then(Node::as_str).unwrap_or_default();
            if w.get("target").is_none() && action != "rebuild" && action != "restart" {
                errors.push(err_at(format!("services.{name}.develop.watch: target is required for non-rebuild actions: invalid compose project"), w, "add `target: /path/in/container`"));
            }
        }
        // tmpfs entries first, then volumes, as Compose checks them.
        let tmpfs = s
            .get("tmpfs")
            .and_then(Node::as_seq)
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, t)| {
                let text = t.scalar_text().unwrap_or_default();
                let path = text.split(':').next().unwrap_or_default().to_string();
                (format!("services.{name}.tmpfs[{i}]"), path, t)
            });
        let volumes = s
            .get("volumes")
            .and_then(Node::as_seq)
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, v)| {
                let target = v
                    .get("target")
                    .and_then(Node::scalar_text)
                    .unwrap_or_default();
                (format!("services.{name}.volumes[{i}]"), target, v)
            });
        let mut mounts: HashMap<String, String> = HashMap::new();
        for (loc, target, node) in tmpfs.chain(volumes) {
            if let Some(p) = mounts.get(&target) {
                errors.push(err_at(
                    format!("{loc}: target {target} already mounted as {p}"),
                    node,
                    "mount one thing per container path",
                ));
            }
            mounts.insert(target, loc);
        }
    }
    for (name, secret) in secrets {
        let external = secret.get("external").and_then(Node::as_bool) == Some(true);
        if !external && secret.get("file").is_none() && secret.get("environment").is_none() {
            errors.push(
                Diagnostic::new(format!("secret \"{name}\" must declare either `file` or `environment`: invalid compose project"))
                    .at(secret.key_span())
                    .hint("add `file: ./path` or `environment: VAR`, or mark it `external: true`"),
            );
        }
    }
    if let Some(cycle) = graph.cycle() {
        errors.push(cycle_error(&cycle, sources));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn has_explicit_dockerfile(build: &Node) -> bool {
    build.get("dockerfile").is_some_and(|d| d.span.is_known())
}

fn known(section: &Map) -> String {
    if section.is_empty() {
        "none declared yet".into()
    } else {
        format!(
            "declared: {}",
            section.keys().cloned().collect::<Vec<_>>().join(", ")
        )
    }
}

/// The cycle as Docker Compose words it, pointing at its first edge, with
/// every edge and where the file makes it in the hint: any one can go.
fn cycle_error(cycle: &Cycle, sources: &Sources) -> Diagnostic {
    let hops: Vec<String> = cycle
        .hops
        .iter()
        .map(|hop| {
            let at = sources
                .locate(hop.at)
                .map_or(String::new(), |at| format!(" at {at}"));
            format!("{} -> {} ({}{at})", hop.from, hop.to, hop.kind.describe())
        })
        .collect();
    let at = cycle.hops.first().map_or(Span::NONE, |hop| hop.at);
    Diagnostic::new(format!("dependency cycle detected: {cycle}"))
        .at(at)
        .hint(format!(
            "services cannot depend on each other in a circle; remove one of these: {}",
            hops.join(", ")
        ))
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
    let env = ctx.env;
    let Some(services) = model.get_mut("services").and_then(Node::as_map_mut) else {
        return Ok(());
    };
    for service in services.values_mut() {
        let Some(s) = service.as_map_mut() else {
            continue;
        };
        let own = pairs(s.get("environment"));
        let own_map: HashMap<String, Option<String>> =
            own.iter().map(|(k, v, _)| (k.clone(), v.clone())).collect();
        let mut resolved: Vec<(String, Option<String>, Span)> = own
            .into_iter()
            .map(|(k, v, span)| {
                let v = v.or_else(|| env.get(&k).cloned());
                (k, v, span)
            })
            .collect();
        let files = s.shift_remove("env_file");
        if files.is_some() || !resolved.is_empty() {
            let mut from_files = Env::new();
            for f in files.as_ref().and_then(Node::as_seq).into_iter().flatten() {
                let (path, required, raw) = env_file_entry(f);
                let path = PathBuf::from(path);
                if !path.exists() {
                    if required {
                        return Err(vec![Diagnostic::new(format!(
                            "env file {} not found: stat {}: no such file or directory",
                            path.display(),
                            path.display()
                        ))
                        .at(f.span)
                        .hint("create the file, fix the path, or mark it optional with `required: false`")]);
                    }
                    continue;
                }
                let lookup_base: Env = env.clone();
                let service_env: Env = own_map
                    .iter()
                    .filter_map(|(k, v)| v.clone().map(|v| (k.clone(), v)))
                    .collect();
                let parsed = if raw {
                    let text = super::one(environment::read_text(&path))?;
                    let lookup =
                        |k: &str| lookup_base.get(k).or_else(|| service_env.get(k)).cloned();
                    dotenv::parse_raw(&text, &lookup)
                } else {
                    let mut merged = lookup_base.clone();
                    for (k, v) in &service_env {
                        merged.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                    super::one(environment::read_env_file(
                        &path,
                        &merged,
                        &from_files,
                        ctx.sources,
                    ))?
                };
                from_files.extend(parsed);
            }
            let mut out: Vec<(String, Option<String>, Span)> = from_files
                .into_iter()
                .map(|(k, v)| (k, Some(v), Span::NONE))
                .collect();
            for (k, v, span) in resolved.drain(..) {
                match out.iter_mut().find(|(ok, _, _)| *ok == k) {
                    Some(slot) => *slot = (k, v, span),
                    None => out.push((k, v, span)),
                }
            }
            s.insert("environment", Node::map(pairs_to_map(out), Span::NONE));
        }
        if let Some(files) = s.shift_remove("label_file") {
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
            let mut out: Vec<(String, Option<String>, Span)> = labels
                .into_iter()
                .map(|(k, v)| (k, Some(v), Span::NONE))
                .collect();
            for (k, v, span) in pairs(s.get("labels")) {
                let v = Some(v.unwrap_or_default());
                match out.iter_mut().find(|(ok, _, _)| *ok == k) {
                    Some(slot) => *slot = (k, v, span),
                    None => out.push((k, v, span)),
                }
            }
            if !out.is_empty() {
                s.insert("labels", Node::map(pairs_to_map(out), Span::NONE));
            }
        }
    }
    Ok(())
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
    let mut used: HashMap<&str, HashSet<String>> = HashMap::new();
    if !keep_volumes.is_empty() {
        used.insert("volumes", keep_volumes.iter().cloned().collect());
    }
    let empty = Map::default();
    let services = model
        .get("services")
        .and_then(Node::as_map)
        .unwrap_or(&empty);
    for s in services.values() {
        let entry = |k: &'static str, used: &mut HashMap<&str, HashSet<String>>, v: String| {
            used.entry(k).or_default().insert(v);
        };
        for k in s
            .get("networks")
            .and_then(Node::as_map)
            .into_iter()
            .flatten()
            .map(|(k, _)| k)
        {
            entry("networks", &mut used, k.to_string());
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
                entry("volumes", &mut used, src.to_string());
            }
        }
        for (key, node) in [
            ("secrets", s.get("secrets")),
            ("secrets", s.get("build").and_then(|b| b.get("secrets"))),
            ("configs", s.get("configs")),
        ] {
            for r in node.and_then(Node::as_seq).into_iter().flatten() {
                if let Some(src) = r.get("source").and_then(Node::scalar_text) {
                    entry(key, &mut used, src);
                }
            }
        }
        for k in s
            .get("models")
            .and_then(Node::as_map)
            .into_iter()
            .flatten()
            .map(|(k, _)| k)
        {
            entry("models", &mut used, k.to_string());
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
        section.retain(|k, _| keep.is_some_and(|u| u.contains(k.as_str())));
        pruned |= section.len() != before;
    }
    pruned
}
