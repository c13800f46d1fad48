//! Short syntax → long syntax (owned by the transform helper; see issue 2).
//!
//! Compose accepts many attributes in a short form (`ports: ["80:80"]`,
//! `depends_on: [db]`, `build: ./dir`, ...). [`canonical`] rewrites each of
//! them into the long form, so that later steps only see one shape;
//! [`set_defaults`] then fills the values Compose implies.
//!
//! Both walk the model with a table of dotted patterns (`*` matches any
//! key or list item); at the first pattern that matches a path, its
//! transform takes over that subtree. Paths in messages are Compose's
//! (`services.web.volumes.[]`); the span points at the value.

mod ports;
pub mod volume;

use crate::diag::{Diagnostic, Span};
use crate::load::node::{Kind, Map, Node, Text, format_go_float};
use crate::load::paths::{clean, go_type_name, path_string};
use crate::load::tree_path::PathTable;

static TRANSFORM_TABLE: std::sync::LazyLock<PathTable<Transform>> =
    std::sync::LazyLock::new(|| PathTable::new(TRANSFORMS));
static DEFAULT_TABLE: std::sync::LazyLock<PathTable<DefaultFn>> =
    std::sync::LazyLock::new(|| PathTable::new(DEFAULTS));

/// Rewrites every short form of the merged model into Compose's long form
/// (ports, volumes, depends_on, env_file, networks, devices, secrets, ...).
/// With `skip_interpolation`, values still holding `${...}` are left alone
/// where they cannot be parsed. Deprecations (`external.name`) are pushed
/// to `warnings`.
pub fn canonical(
    root: &mut Node,
    skip_interpolation: bool,
    warnings: &mut Vec<Diagnostic>,
) -> Result<(), Diagnostic> {
    let mut ctx = Ctx {
        skip_parse_errors: skip_interpolation,
        warnings,
    };
    let mut path = Vec::new();
    transform(root, &mut path, &mut ctx)
}

/// Fills Compose's default values (build context `.`, port mode and
/// protocol, secret targets, device request counts).
pub fn set_defaults(root: &mut Node) -> Result<(), Diagnostic> {
    let mut path = Vec::new();
    defaults(root, &mut path)
}

struct Ctx<'w> {
    /// Keep values that do not parse (they may still hold `${...}`).
    skip_parse_errors: bool,
    warnings: &'w mut Vec<Diagnostic>,
}

type Path = Vec<String>;
type Transform = fn(&mut Node, &mut Path, &mut Ctx) -> Result<(), Diagnostic>;

const TRANSFORMS: &[(&str, Transform)] = &[
    ("services.*", service),
    ("services.*.build.secrets.*", file_mount),
    ("services.*.build.provenance", string_or_text),
    ("services.*.build.sbom", string_or_text),
    ("services.*.build.additional_contexts", key_value),
    ("services.*.depends_on", depends_on),
    ("services.*.env_file", env_file),
    ("services.*.label_file", string_or_list),
    ("services.*.extends", extends),
    ("services.*.gpus", gpus),
    ("services.*.networks", list_to_map),
    ("services.*.models", list_to_map),
    ("services.*.volumes.*", volume_mount),
    ("services.*.dns", string_or_list),
    ("services.*.devices.*", device),
    ("services.*.secrets.*", file_mount),
    ("services.*.configs.*", file_mount),
    ("services.*.ports", ports),
    ("services.*.build", build),
    ("services.*.build.ssh", ssh),
    ("services.*.ulimits.*", ulimit),
    ("services.*.build.ulimits.*", ulimit),
    ("services.*.develop.watch.*.ignore", string_or_list),
    ("services.*.develop.watch.*.include", string_or_list),
    ("volumes.*", maybe_external),
    ("networks.*", maybe_external),
    ("secrets.*", maybe_external),
    ("configs.*", maybe_external),
    ("include.*", include),
];

fn transform(node: &mut Node, path: &mut Path, ctx: &mut Ctx) -> Result<(), Diagnostic> {
    if let Some(f) = TRANSFORM_TABLE.find(path) {
        return f(node, path, ctx);
    }
    if !TRANSFORM_TABLE.may_match_below(path) {
        return Ok(());
    }
    match node.kind {
        Kind::Map(_) => transform_mapping(node, path, ctx),
        Kind::Seq(_) => transform_sequence(node, path, ctx),
        _ => Ok(()),
    }
}

fn transform_mapping(node: &mut Node, path: &mut Path, ctx: &mut Ctx) -> Result<(), Diagnostic> {
    if matches!(node.kind, Kind::Map(_)) {
        transform_children(node, path, ctx)?;
    }
    Ok(())
}

fn transform_sequence(node: &mut Node, path: &mut Path, ctx: &mut Ctx) -> Result<(), Diagnostic> {
    if matches!(node.kind, Kind::Seq(_)) {
        transform_children(node, path, ctx)?;
    }
    Ok(())
}

/// Transforms the values of a mapping or the items of a list (`[]` in the
/// path); what an alias shares is copied only where a transform changes it.
fn transform_children(node: &mut Node, path: &mut Path, ctx: &mut Ctx) -> Result<(), Diagnostic> {
    node.update_children_at(path, |child, path| transform(child, path, ctx))
}

// ---------------------------------------------------------------------------
// Node helpers

fn text(s: impl Into<Text>, span: Span) -> Node {
    Node::str(s, span)
}

fn boolean(b: bool, span: Span) -> Node {
    Node::new(Kind::Bool(b), span)
}

/// A mapping built from `(key, value)` pairs, every part placed at `span`.
fn mapping(entries: Vec<(&str, Node)>, span: Span) -> Node {
    Node::map(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        span,
    )
}

/// Whether a mapping holds `key` (even with a null value).
fn has(map: &Map, key: &str) -> bool {
    map.contains_key(key)
}

fn error(node: &Node, message: String, hint: &str) -> Diagnostic {
    Diagnostic::new(message).at(node.span).hint(hint)
}

fn invalid_type(node: &Node, path: &Path, what: &str, hint: &str) -> Diagnostic {
    error(
        node,
        format!(
            "{}: invalid type {} for {what}",
            path_string(path),
            go_type_name(node)
        ),
        hint,
    )
}

/// A value printed the way Go's `fmt.Sprint` prints decoded YAML.
fn go_sprint(node: &Node) -> String {
    match &node.kind {
        Kind::Null => "<nil>".into(),
        Kind::Bool(b) => b.to_string(),
        Kind::Int(i) => i.to_string(),
        Kind::Float(f) => format_go_float(*f),
        Kind::Str(s) => s.to_string(),
        Kind::Seq(items) => format!(
            "[{}]",
            items.iter().map(go_sprint).collect::<Vec<_>>().join(" ")
        ),
        Kind::Map(map) => {
            let mut keys: Vec<&str> = map.keys().map(|k| k.as_str()).collect();
            keys.sort();
            let parts: Vec<String> = keys
                .iter()
                .map(|k| format!("{k}:{}", go_sprint(&map[*k])))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
    }
}

// ---------------------------------------------------------------------------
// Transforms

fn service(node: &mut Node, path: &mut Path, ctx: &mut Ctx) -> Result<(), Diagnostic> {
    transform_mapping(node, path, ctx)
}

/// `label_file: a` → `[a]` (also `dns`, watch `ignore` / `include`).
fn string_or_list(node: &mut Node, _: &mut Path, _: &mut Ctx) -> Result<(), Diagnostic> {
    if let Kind::Str(s) = &node.kind {
        node.kind = Kind::Seq(ecow::eco_vec![text(s.clone(), node.span)]);
    }
    Ok(())
}

/// `provenance: true` → `"true"`: the value is passed to buildx as text.
fn string_or_text(node: &mut Node, _: &mut Path, _: &mut Ctx) -> Result<(), Diagnostic> {
    if !matches!(node.kind, Kind::Str(_)) {
        node.kind = Kind::Str(go_sprint(node).into());
    }
    Ok(())
}

/// `secrets: [name]` → `[{source: name}]` (also configs and build secrets).
fn file_mount(node: &mut Node, path: &mut Path, _: &mut Ctx) -> Result<(), Diagnostic> {
    match &node.kind {
        Kind::Map(_) => Ok(()),
        Kind::Str(s) => {
            node.kind = Kind::Map(Map::from_iter([(
                "source".to_string(),
                text(s.clone(), node.span),
            )]));
            Ok(())
        }
        _ => Err(error(
            node,
            format!(
                "{}: unsupported type {}",
                path_string(path),
                go_type_name(node)
            ),
            "write the name of the secret or config, or a mapping with `source` and `target`",
        )),
    }
}

/// `additional_contexts: ["name=path"]` → `{name: path}`.
fn key_value(node: &mut Node, path: &mut Path, ctx: &mut Ctx) -> Result<(), Diagnostic> {
    const HINT: &str = "write each entry as `name=value`, or use a mapping";
    match &node.kind {
        Kind::Map(_) => Ok(()),
        Kind::Seq(items) => {
            let mut map = Map::with_capacity(items.len());
            for item in items {
                let Some(s) = item.as_str() else {
                    return Err(error(
                        item,
                        format!(
                            "{}: invalid type {}, expected key=value",
                            path_string(path),
                            go_type_name(item)
                        ),
                        HINT,
                    ));
                };
                let Some((key, value)) = s.split_once('=') else {
                    if ctx.skip_parse_errors {
                        return Ok(());
                    }
                    return Err(error(
                        item,
                        format!(
                            "{}: invalid value {s}, expected key=value",
                            path_string(path)
                        ),
                        HINT,
                    ));
                };
                let mut v = text(value, item.span);
                v.set_key_span(item.span);
                map.insert(key.to_string(), v);
            }
            node.kind = Kind::Map(map);
            Ok(())
        }
        _ => Err(error(
            node,
            format!("{}: invalid type {}", path_string(path), go_type_name(node)),
            HINT,
        )),
    }
}

/// `depends_on: [db]` → `{db: {condition: service_started, required: true}}`;
/// a mapping gets the same defaults where they are missing.
fn depends_on(node: &mut Node, path: &mut Path, _: &mut Ctx) -> Result<(), Diagnostic> {
    let printed = go_sprint(node);
    match &mut node.kind {
        Kind::Map(map) => {
            for (name, dep) in map.iter_mut() {
                let span = dep.span;
                let Kind::Map(d) = &mut dep.kind else {
                    return Err(error(
                        dep,
                        format!("{}.{name}: unsupported value {printed}", path_string(path)),
                        "give each dependency a mapping such as `{condition: service_started}`, or use a list of service names",
                    ));
                };
                let missing = usize::from(!has(d, "condition")) + usize::from(!has(d, "required"));
                d.reserve_exact(missing);
                if !has(d, "condition") {
                    d.insert("condition", text("service_started", span));
                }
                if !has(d, "required") {
                    d.insert("required", boolean(true, span));
                }
            }
            Ok(())
        }
        Kind::Seq(items) => {
            let mut map = Map::with_capacity(items.len());
            for item in items.iter() {
                let Some(name) = item.as_str() else {
                    return Err(error(
                        item,
                        format!(
                            "{}: invalid type {} for a service name",
                            path_string(path),
                            go_type_name(item)
                        ),
                        "list the names of the services this one depends on",
                    ));
                };
                let mut dep = mapping(
                    vec![
                        ("condition", text("service_started", item.span)),
                        ("required", boolean(true, item.span)),
                    ],
                    item.span,
                );
                dep.set_key_span(item.span);
                map.insert(name.to_string(), dep);
            }
            node.kind = Kind::Map(map);
            Ok(())
        }
        _ => Err(invalid_type(
            node,
            path,
            "depend_on",
            "list the services this one depends on, or map each to `{condition: ...}`",
        )),
    }
}

/// `env_file: a.env` → `[{path: a.env, required: true}]`.
fn env_file(node: &mut Node, path: &mut Path, _: &mut Ctx) -> Result<(), Diagnostic> {
    fn entry(item: &mut Node) {
        let span = item.span;
        match &mut item.kind {
            Kind::Str(s) => {
                let p = text(std::mem::take(s), span);
                item.kind = Kind::Map(Map::from_iter([
                    ("path".to_string(), p),
                    ("required".to_string(), boolean(true, span)),
                ]));
            }
            Kind::Map(m) => {
                if !has(m, "required") {
                    m.insert("required", boolean(true, span));
                }
            }
            _ => item.kind = Kind::Null,
        }
    }
    match &mut node.kind {
        Kind::Str(_) => {
            let mut item = node.clone();
            item.tag = None;
            entry(&mut item);
            node.kind = Kind::Seq(ecow::eco_vec![item]);
            Ok(())
        }
        Kind::Seq(items) => {
            items.make_mut().iter_mut().for_each(entry);
            Ok(())
        }
        _ => Err(invalid_type(
            node,
            path,
            "env_file",
            "give a file name, a list of them, or a list of `{path, required}` mappings",
        )),
    }
}

/// `extends: web` → `{service: web}`.
fn extends(node: &mut Node, path: &mut Path, ctx: &mut Ctx) -> Result<(), Diagnostic> {
    match &node.kind {
        Kind::Map(_) => transform_mapping(node, path, ctx),
        Kind::Str(s) => {
            node.kind = Kind::Map(Map::from_iter([(
                "service".to_string(),
                text(s.clone(), node.span),
            )]));
            Ok(())
        }
        _ => Err(invalid_type(
            node,
            path,
            "extends",
            "name the service to extend, or use `{service, file}`",
        )),
    }
}

/// `gpus: all` → `[{count: all}]`.
fn gpus(node: &mut Node, path: &mut Path, ctx: &mut Ctx) -> Result<(), Diagnostic> {
    match &node.kind {
        Kind::Seq(_) => transform_sequence(node, path, ctx),
        Kind::Str(_) => {
            let span = node.span;
            node.kind = Kind::Seq(ecow::eco_vec![mapping(
                vec![("count", text("all", span))],
                span
            )]);
            Ok(())
        }
        _ => Err(invalid_type(
            node,
            path,
            "gpus",
            "write `gpus: all`, or list device requests",
        )),
    }
}

/// `networks: [front]` → `{front: null}` (also `models`).
fn list_to_map(node: &mut Node, path: &mut Path, _: &mut Ctx) -> Result<(), Diagnostic> {
    let Kind::Seq(items) = &node.kind else {
        return Ok(());
    };
    let mut map = Map::with_capacity(items.len());
    for item in items {
        let Some(name) = item.as_str() else {
            return Err(error(
                item,
                format!(
                    "{}: invalid type {} for a name",
                    path_string(path),
                    go_type_name(item)
                ),
                "list names, or use a mapping",
            ));
        };
        map.insert(name.to_string(), Node::null(item.span));
    }
    node.kind = Kind::Map(map);
    Ok(())
}

/// `volumes: ["./src:/app:ro"]` → `{type: bind, source, target, read_only, bind}`.
fn volume_mount(node: &mut Node, path: &mut Path, ctx: &mut Ctx) -> Result<(), Diagnostic> {
    let spec = match &node.kind {
        Kind::Map(_) => return Ok(()),
        Kind::Str(s) => s.clone(),
        _ => {
            return Err(invalid_type(
                node,
                path,
                "service volume mount",
                "write `source:target[:mode]`, or a mapping with `type`, `source` and `target`",
            ));
        }
    };
    let parsed = match volume::parse_volume(&spec) {
        Ok(v) => v,
        Err(_) if ctx.skip_parse_errors => return Ok(()),
        Err(e) => {
            let hint = if spec.starts_with(':') || spec.ends_with(':') || spec.contains("::") {
                "a section of `source:target[:mode]` is empty; is a variable used here unset?"
            } else {
                "write `source:target[:mode]`, or use the long syntax (`type`, `source`, `target`)"
            };
            return Err(error(node, e.to_string(), hint));
        }
    };
    let span = node.span;
    let len = 1
        + usize::from(!parsed.source.is_empty())
        + usize::from(!parsed.target.is_empty())
        + usize::from(parsed.read_only)
        + usize::from(parsed.bind.is_some())
        + usize::from(parsed.volume.is_some());
    let mut map = Map::with_capacity(len);
    map.insert("type", text(parsed.kind.as_str(), span));
    if !parsed.source.is_empty() {
        map.insert("source", text(parsed.source, span));
    }
    if !parsed.target.is_empty() {
        map.insert("target", text(clean(&parsed.target), span));
    }
    if parsed.read_only {
        map.insert("read_only", boolean(true, span));
    }
    if let Some(bind) = parsed.bind {
        let mut b = Map::default();
        if !bind.selinux.is_empty() {
            b.insert("selinux", text(bind.selinux, span));
        }
        if !bind.propagation.is_empty() {
            b.insert("propagation", text(bind.propagation, span));
        }
        if bind.create_host_path {
            b.insert("create_host_path", boolean(true, span));
        }
        map.insert("bind", Node::map(b, span));
    }
    if let Some(vol) = parsed.volume {
        let mut v = Map::default();
        if vol.nocopy {
            v.insert("nocopy", boolean(true, span));
        }
        map.insert("volume", Node::map(v, span));
    }
    node.kind = Kind::Map(map);
    Ok(())
}

/// `devices: ["/dev/a:/dev/b:rw"]` → `{source, target, permissions}`.
fn device(node: &mut Node, path: &mut Path, ctx: &mut Ctx) -> Result<(), Diagnostic> {
    let spec = match &node.kind {
        Kind::Map(_) => return Ok(()),
        Kind::Str(s) => s.clone(),
        _ => {
            return Err(invalid_type(
                node,
                path,
                "service volume mount",
                "write `host_path[:container_path[:permissions]]`, or a mapping",
            ));
        }
    };
    let parts: Vec<&str> = spec.split(':').collect();
    let (mut source, mut target, mut permissions) = ("", "", "rwm");
    match parts.as_slice() {
        [s] => source = s,
        [s, t] => (source, target) = (s, t),
        [s, t, p] => (source, target, permissions) = (s, t, p),
        _ if ctx.skip_parse_errors => {}
        _ => {
            return Err(error(
                node,
                format!("confusing device mapping, please use long syntax: {spec}"),
                "use a mapping with `source`, `target` and `permissions`",
            ));
        }
    }
    if target.is_empty() {
        target = source;
    }
    let span = node.span;
    node.kind = Kind::Map(Map::from_iter([
        ("source".to_string(), text(source, span)),
        ("target".to_string(), text(target, span)),
        ("permissions".to_string(), text(permissions, span)),
    ]));
    Ok(())
}

/// `ports: ["8000-8001:80-81"]` → one `{mode, host_ip, target, published,
/// protocol}` per port. The whole list is rewritten since one short entry
/// may give several long ones.
fn ports(node: &mut Node, path: &mut Path, ctx: &mut Ctx) -> Result<(), Diagnostic> {
    const HINT: &str =
        "write `[host_ip:][published:]target[/protocol]`, e.g. `127.0.0.1:8080:80/tcp`";
    let Kind::Seq(items) = &node.kind else {
        return Err(invalid_type(node, path, "port", "list the ports"));
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let spec = match &item.kind {
            Kind::Map(_) => {
                out.push(item.clone());
                continue;
            }
            Kind::Int(i) => i.to_string(),
            Kind::Str(s) => s.to_string(),
            _ => return Err(invalid_type(item, path, "port", HINT)),
        };
        let parsed = match ports::parse_port_config(&spec) {
            Ok(p) => p,
            Err(_) if ctx.skip_parse_errors && matches!(item.kind, Kind::Str(_)) => return Ok(()),
            Err(e) => return Err(error(item, e.to_string(), HINT)),
        };
        let span = item.span;
        for p in parsed {
            let len = 2
                + usize::from(!p.host_ip.is_empty())
                + usize::from(p.target != 0)
                + usize::from(!p.published.is_empty());
            let mut map = Map::with_capacity(len);
            map.insert("mode", text("ingress", span));
            if !p.host_ip.is_empty() {
                map.insert("host_ip", text(p.host_ip, span));
            }
            if p.target != 0 {
                map.insert("target", Node::new(Kind::Int(i64::from(p.target)), span));
            }
            if !p.published.is_empty() {
                map.insert("published", text(p.published, span));
            }
            map.insert("protocol", text(p.protocol, span));
            out.push(Node::map(map, span));
        }
    }
    node.kind = Kind::Seq(out.into());
    Ok(())
}

/// `build: ./dir` → `{context: ./dir}`.
fn build(node: &mut Node, path: &mut Path, ctx: &mut Ctx) -> Result<(), Diagnostic> {
    match &node.kind {
        Kind::Map(_) => transform_mapping(node, path, ctx),
        Kind::Str(s) => {
            node.kind = Kind::Map(Map::from_iter([(
                "context".to_string(),
                text(s.clone(), node.span),
            )]));
            Ok(())
        }
        _ => Err(invalid_type(
            node,
            path,
            "build",
            "give the build context directory, or a mapping",
        )),
    }
}

/// `ssh: [default, "key=path"]` → `{default: null, key: path}`.
fn ssh(node: &mut Node, path: &mut Path, _: &mut Ctx) -> Result<(), Diagnostic> {
    const HINT: &str = "list `default` or `id=path` entries, or use a mapping";
    match &node.kind {
        Kind::Map(_) => Ok(()),
        Kind::Seq(items) => {
            let mut map = Map::with_capacity(items.len());
            for item in items {
                let Some(s) = item.as_str() else {
                    return Err(error(
                        item,
                        format!("invalid ssh key type {}", go_type_name(item)),
                        HINT,
                    ));
                };
                let value = match s.split_once('=') {
                    Some((id, key_path)) => (id, text(key_path, item.span)),
                    None if s == "default" => (s, Node::null(item.span)),
                    None => return Err(error(item, format!("invalid ssh key {s:?}"), HINT)),
                };
                let mut v = value.1;
                v.set_key_span(item.span);
                map.insert(value.0.to_string(), v);
            }
            node.kind = Kind::Map(map);
            Ok(())
        }
        _ => Err(invalid_type(node, path, "ssh", HINT)),
    }
}

/// `ulimits.nofile` is a number or `{soft, hard}`; both are kept as written.
fn ulimit(node: &mut Node, path: &mut Path, _: &mut Ctx) -> Result<(), Diagnostic> {
    match node.kind {
        Kind::Map(_) | Kind::Int(_) => Ok(()),
        _ => Err(invalid_type(
            node,
            path,
            "ulimits",
            "give a number, or `{soft: N, hard: N}`",
        )),
    }
}

/// `external: {name: x}` (deprecated) → `name: x` and `external: true`.
fn maybe_external(node: &mut Node, path: &mut Path, ctx: &mut Ctx) -> Result<(), Diagnostic> {
    if !matches!(node.kind, Kind::Map(_)) {
        return Ok(());
    }
    transform_mapping(node, path, ctx)?;
    let Some(resource) = node.as_map_mut() else {
        return Ok(());
    };
    let Some(ext) = resource.get_mut("external") else {
        return Ok(());
    };
    let ext_span = ext.span;
    let Kind::Map(external) = &mut ext.kind else {
        return Ok(());
    };
    let ext_name = external.shift_remove("name");
    ext.kind = Kind::Bool(true);
    let Some(ext_name) = ext_name else {
        return Ok(());
    };
    let p = path_string(path);
    ctx.warnings.push(
        Diagnostic::new(format!(
            "{p}: external.name is deprecated. Please set name and external: true"
        ))
        .at(ext_name.key_span())
        .hint("move the name up: `name: <name>` next to `external: true`"),
    );
    match resource.get("name") {
        Some(name) if *name != ext_name => Err(Diagnostic::new(format!(
            "{p}: name and external.name conflict; only use name"
        ))
        .at(ext_span)
        .hint("remove `external.name` and keep `name`")),
        Some(_) => Ok(()),
        None => {
            resource.insert("name", ext_name);
            Ok(())
        }
    }
}

/// `include: [a.yaml]` → `[{path: a.yaml}]`.
fn include(node: &mut Node, path: &mut Path, _: &mut Ctx) -> Result<(), Diagnostic> {
    match &node.kind {
        Kind::Map(_) => Ok(()),
        Kind::Str(s) => {
            node.kind = Kind::Map(Map::from_iter([(
                "path".to_string(),
                text(s.clone(), node.span),
            )]));
            Ok(())
        }
        _ => Err(invalid_type(
            node,
            path,
            "include",
            "give a file path, or a mapping with `path`",
        )),
    }
}

// ---------------------------------------------------------------------------
// Defaults

type DefaultFn = fn(&mut Node, &Path) -> Result<(), Diagnostic>;

const DEFAULTS: &[(&str, DefaultFn)] = &[
    ("services.*.build", default_build_context),
    ("services.*.secrets.*", default_secret_target),
    ("services.*.ports.*", default_port),
    (
        "services.*.deploy.resources.reservations.devices.*",
        default_device_request,
    ),
    ("services.*.gpus.*", default_device_request),
];

fn defaults(node: &mut Node, path: &mut Path) -> Result<(), Diagnostic> {
    if let Some(f) = DEFAULT_TABLE.find(path) {
        return f(node, path);
    }
    if !DEFAULT_TABLE.may_match_below(path) {
        return Ok(());
    }
    // What an alias shares is copied only where a default is added.
    node.update_children_at(path, defaults)
}

/// `build.context` defaults to `.`.
fn default_build_context(node: &mut Node, _: &Path) -> Result<(), Diagnostic> {
    let span = node.span;
    if let Some(map) = node.as_map_mut()
        && !has(map, "context")
    {
        map.insert("context", text(".", span));
    }
    Ok(())
}

/// A service secret is mounted at `/run/secrets/<source>` by default.
fn default_secret_target(node: &mut Node, path: &Path) -> Result<(), Diagnostic> {
    let span = node.span;
    let Some(map) = node.as_map_mut() else {
        return Err(error(
            node,
            format!(
                "{}: unsupported type {}",
                path_string(path),
                go_type_name(node)
            ),
            "write the name of the secret, or a mapping with `source` and `target`",
        ));
    };
    if !has(map, "target") {
        let source = match map.get("source") {
            None => "%!s(<nil>)".to_string(),
            Some(s) => go_sprint(s),
        };
        map.insert("target", text(format!("/run/secrets/{source}"), span));
    }
    Ok(())
}

/// Ports default to `protocol: tcp` and `mode: ingress`.
fn default_port(node: &mut Node, _: &Path) -> Result<(), Diagnostic> {
    let span = node.span;
    if let Some(map) = node.as_map_mut() {
        map.reserve_exact(usize::from(!has(map, "protocol")) + usize::from(!has(map, "mode")));
        if !has(map, "protocol") {
            map.insert("protocol", text("tcp", span));
        }
        if !has(map, "mode") {
            map.insert("mode", text("ingress", span));
        }
    }
    Ok(())
}

/// A device request with neither `count` nor `device_ids` takes every device.
fn default_device_request(node: &mut Node, path: &Path) -> Result<(), Diagnostic> {
    let span = node.span;
    let Some(map) = node.as_map_mut() else {
        return Err(invalid_type(
            node,
            path,
            "device request",
            "write a mapping such as `{capabilities: [gpu], count: 1}`",
        ));
    };
    if !has(map, "count") && !has(map, "device_ids") {
        map.insert("count", text("all", span));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
