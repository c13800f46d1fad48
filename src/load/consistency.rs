//! Compose's consistency checks of a loaded project (skipped with
//! `--no-consistency`): what a service refers to exists, exclusive keys
//! are not set together, replicas and mounts make sense, the dependency
//! graph has no cycle. Every error is reported, not just the first.

use std::collections::{HashMap, HashSet};

use rustc_hash::FxHashSet;

use super::Result;
use super::node::string_list;
use super::node::{Key, Map, Node};
use crate::diag::{Diagnostic, Sources, Span};
use crate::graph::{Cycle, ProjectGraph};

/// Compose's consistency checks (skipped with `--no-consistency`).
pub(super) fn check_consistency(
    model: &Node,
    disabled: &HashSet<Key>,
    graph: &ProjectGraph,
    sources: &Sources,
) -> Result<()> {
    let empty = Map::default();
    let section = |k: &str| model.get(k).and_then(Node::as_map).unwrap_or(&empty);
    let services = section("services");
    let volumes = section("volumes");
    let mut check = Consistency {
        services,
        networks: section("networks"),
        volumes,
        secrets: section("secrets"),
        configs: section("configs"),
        models: section("models"),
        // Sections that grow with the project are looked up by name in sets.
        service_names: services.keys().map(Key::as_str).collect(),
        volume_names: volumes.keys().map(Key::as_str).collect(),
        disabled,
        errors: Vec::new(),
    };
    for (name, s) in services {
        check.service(name, s);
    }
    check.secret_sources();
    let mut errors = check.errors;
    if let Some(cycle) = graph.cycle() {
        errors.push(cycle_error(&cycle, sources));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The project's sections, and the errors found so far.
struct Consistency<'a> {
    services: &'a Map,
    networks: &'a Map,
    volumes: &'a Map,
    secrets: &'a Map,
    configs: &'a Map,
    models: &'a Map,
    service_names: FxHashSet<&'a str>,
    volume_names: FxHashSet<&'a str>,
    /// Services profiles disabled: an optional dependency on one is fine.
    disabled: &'a HashSet<Key>,
    errors: Vec<Diagnostic>,
}

/// Whether the service sets `key` (to something other than null).
fn has(s: &Node, key: &str) -> bool {
    s.get(key).is_some_and(|n| !n.is_null())
}

/// An error pointing at `node`, with a hint.
fn err_at(msg: String, node: &Node, hint: &str) -> Diagnostic {
    Diagnostic::new(msg).at(node.span).hint(hint.to_string())
}

impl Consistency<'_> {
    /// Every check of one service, in the order Compose reports them.
    fn service(&mut self, name: &Key, s: &Node) {
        if !has(s, "build") && !has(s, "image") && !has(s, "provider") {
            self.errors.push(err_at(
                format!("service \"{name}\" has neither an image nor a build context specified: invalid compose project"),
                s,
                "add `image:` or `build:` to the service",
            ));
        }
        if let Some(b) = s.get("build") {
            self.build(name, s, b);
        }
        self.networks(name, s);
        self.healthcheck(s);
        self.depends_on(name, s);
        self.network_mode(s);
        self.volumes(name, s);
        self.references(name, s);
        self.models(name, s);
        self.replicas(name, s);
        self.watch(name, s);
        self.mount_targets(name, s);
    }

    /// `build`: exclusive dockerfiles, additional contexts naming buildable
    /// services, platforms that include the service's.
    fn build(&mut self, name: &Key, s: &Node, b: &Node) {
        if b.get("dockerfile").is_some()
            && b.get("dockerfile_inline").is_some()
            && has_explicit_dockerfile(b)
        {
            self.errors.push(err_at(
                format!("service \"{name}\" declares mutualy exclusive dockerfile and dockerfile_inline: invalid compose project"),
                b,
                "keep either `dockerfile` or `dockerfile_inline`",
            ));
        }
        if let Some(ctxs) = b.get("additional_contexts").and_then(Node::as_map) {
            for (add, c) in ctxs {
                if let Some(target) = c.as_str().and_then(|c| c.strip_prefix("service:")) {
                    match self.services.get(target) {
                        None => self.errors.push(err_at(format!("service \"{name}\" declares unknown service \"{target}\" as additional contexts {add}"), c, "name a service of this project")),
                        Some(t) if t.get("build").is_none() => self.errors.push(err_at(format!("service \"{name}\" declares non-buildable service \"{target}\" as additional contexts {add}"), c, "that service has no `build:`")),
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
            self.errors.push(err_at(
                format!("service.build.platforms MUST include service.platform \"{p}\": invalid compose project"),
                s.get("platform").unwrap_or(s),
                "add the platform to build.platforms",
            ));
        }
    }

    /// `networks`: not with `network_mode`, and each one declared.
    fn networks(&mut self, name: &Key, s: &Node) {
        let svc_networks = s.get("networks").and_then(Node::as_map);
        if has(s, "network_mode") && svc_networks.is_some_and(|n| !n.is_empty()) {
            self.errors.push(err_at(
                format!("service {name} declares mutually exclusive `network_mode` and `networks`: invalid compose project"),
                s.get("network_mode").unwrap_or(s),
                "remove either `network_mode` or `networks`",
            ));
        }
        for (net, n) in svc_networks.into_iter().flatten() {
            if !self.networks.contains_key(net) {
                self.errors.push(
                    Diagnostic::new(format!("service \"{name}\" refers to undefined network {net}: invalid compose project"))
                        .at(n.key_span())
                        .hint(format!("declare it under the top-level `networks:` ({})", known(self.networks))),
                );
            }
        }
    }

    /// A `healthcheck.test` list starts with `CMD`, `CMD-SHELL` or `NONE`.
    fn healthcheck(&mut self, s: &Node) {
        if let Some(test) = s
            .get("healthcheck")
            .and_then(|h| h.get("test"))
            .and_then(Node::as_seq)
            && let Some(first) = test.first().and_then(Node::as_str)
            && !matches!(first, "CMD" | "CMD-SHELL" | "NONE")
        {
            self.errors.push(err_at(
                "healthcheck.test must start either by \"CMD\", \"CMD-SHELL\" or \"NONE\"".into(),
                &test[0],
                "write `test: [\"CMD\", ...]`, or a string to run through the shell",
            ));
        }
    }

    /// `depends_on` names services of the project, or optional disabled ones.
    fn depends_on(&mut self, name: &Key, s: &Node) {
        for (dep, cfg) in s
            .get("depends_on")
            .and_then(Node::as_map)
            .into_iter()
            .flatten()
        {
            if self.service_names.contains(dep.as_str()) {
                continue;
            }
            let required = cfg.get("required").and_then(Node::as_bool).unwrap_or(true);
            if self.disabled.contains(dep.as_str()) && !required {
                continue;
            }
            self.errors.push(
                Diagnostic::new(format!("service \"{name}\" depends on undefined service \"{dep}\": invalid compose project"))
                    .at(cfg.key_span())
                    .hint(super::extends::did_you_mean(dep, self.services.keys().map(Key::as_str))),
            );
        }
    }

    /// `network_mode: service:x` names a service of the project.
    fn network_mode(&mut self, s: &Node) {
        if let Some(target) = s
            .get("network_mode")
            .and_then(Node::as_str)
            .and_then(|m| m.strip_prefix("service:"))
            && !self.service_names.contains(target)
        {
            self.errors.push(err_at(
                format!("service \"{target}\" not found for network_mode 'service:{target}'"),
                s.get("network_mode").unwrap_or(s),
                "name a service of this project",
            ));
        }
    }

    /// Named volumes the service mounts are declared.
    fn volumes(&mut self, name: &Key, s: &Node) {
        for v in s
            .get("volumes")
            .and_then(Node::as_seq)
            .into_iter()
            .flatten()
        {
            if v.get("type").and_then(Node::as_str) == Some("volume")
                && let Some(src) = v.get("source").and_then(Node::as_str)
                && !src.is_empty()
                && !self.volume_names.contains(src)
            {
                self.errors.push(err_at(
                    format!("service \"{name}\" refers to undefined volume {src}: invalid compose project"),
                    v,
                    &format!("declare it under the top-level `volumes:` ({})", known(self.volumes)),
                ));
            }
        }
    }

    /// The secrets (of the build too) and configs the service uses are declared.
    fn references(&mut self, name: &Key, s: &Node) {
        for (src, r) in sources_of("secrets", s.get("build")) {
            if !self.secrets.contains_key(&src) {
                self.errors.push(err_at(format!("service \"{name}\" refers to undefined build secret {src}: invalid compose project"), &r, "declare it under the top-level `secrets:`"));
            }
        }
        for (src, r) in sources_of("configs", Some(s)) {
            if !self.configs.contains_key(&src) {
                self.errors.push(err_at(format!("service \"{name}\" refers to undefined config {src}: invalid compose project"), &r, "declare it under the top-level `configs:`"));
            }
        }
        for (src, r) in sources_of("secrets", Some(s)) {
            if !self.secrets.contains_key(&src) {
                self.errors.push(err_at(format!("service \"{name}\" refers to undefined secret {src}: invalid compose project"), &r, "declare it under the top-level `secrets:`"));
            }
        }
    }

    /// The models the service uses are declared.
    fn models(&mut self, name: &Key, s: &Node) {
        for (m, n) in s.get("models").and_then(Node::as_map).into_iter().flatten() {
            if !self.models.contains_key(m) {
                self.errors.push(
                    Diagnostic::new(format!(
                        "service \"{name}\" refers to undefined model {m}: invalid compose project"
                    ))
                    .at(n.key_span()),
                );
            }
        }
    }

    /// `scale` and `deploy.replicas` agree and are not negative; several
    /// replicas cannot share a `container_name`.
    fn replicas(&mut self, name: &Key, s: &Node) {
        let scale = s.get("scale").and_then(Node::as_i64);
        let replicas = s
            .get("deploy")
            .and_then(|d| d.get("replicas"))
            .and_then(Node::as_i64);
        if let (Some(a), Some(b)) = (scale, replicas)
            && a != b
        {
            self.errors.push(err_at(format!("services.{name}: can't set distinct values on 'scale' and 'deploy.replicas': invalid compose project"), s, "keep one of them"));
        }
        if scale.is_some_and(|x| x < 0) {
            self.errors.push(err_at(
                format!("services.{name}.scale: must be greater than or equal to 0"),
                s,
                "",
            ));
        }
        if replicas.is_some_and(|x| x < 0) {
            self.errors.push(err_at(
                format!("services.{name}.deploy.replicas: must be greater than or equal to 0"),
                s,
                "",
            ));
        }
        if scale.or(replicas).unwrap_or(1) > 1 && has(s, "container_name") {
            self.errors.push(err_at(
                format!("services.{name}: can't set container_name and {} as container name must be unique: invalid compose project", if scale.is_some() { "scale" } else { "deploy.replicas" }),
                s.get("container_name").unwrap_or(s),
                "remove container_name, or run a single replica",
            ));
        }
    }

    /// `develop.watch` rules that sync need a target.
    fn watch(&mut self, name: &Key, s: &Node) {
        for w in s
            .get("develop")
            .and_then(|d| d.get("watch"))
            .and_then(Node::as_seq)
            .into_iter()
            .flatten()
        {
            let action = w.get("action").and_then(Node::as_str).unwrap_or_default();
            if w.get("target").is_none() && action != "rebuild" && action != "restart" {
                self.errors.push(err_at(format!("services.{name}.develop.watch: target is required for non-rebuild actions: invalid compose project"), w, "add `target: /path/in/container`"));
            }
        }
    }

    /// No two mounts on one container path: tmpfs entries first, then
    /// volumes, as Compose checks them.
    fn mount_targets(&mut self, name: &Key, s: &Node) {
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
                self.errors.push(err_at(
                    format!("{loc}: target {target} already mounted as {p}"),
                    node,
                    "mount one thing per container path",
                ));
            }
            mounts.insert(target, loc);
        }
    }

    /// Each secret has a source, unless it is external.
    fn secret_sources(&mut self) {
        for (name, secret) in self.secrets {
            let external = secret.get("external").and_then(Node::as_bool) == Some(true);
            if !external && secret.get("file").is_none() && secret.get("environment").is_none() {
                self.errors.push(
                    Diagnostic::new(format!("secret \"{name}\" must declare either `file` or `environment`: invalid compose project"))
                        .at(secret.key_span())
                        .hint("add `file: ./path` or `environment: VAR`, or mark it `external: true`"),
                );
            }
        }
    }
}

/// The `source` of each entry of the list `key` of `node`, with the entry.
fn sources_of(key: &str, node: Option<&Node>) -> Vec<(String, Node)> {
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
}

/// Whether the file sets `dockerfile` (rather than a default filling it in).
fn has_explicit_dockerfile(build: &Node) -> bool {
    build.get("dockerfile").is_some_and(|d| d.span.is_known())
}

/// The names a section declares, for a hint.
fn known(section: &Map) -> String {
    if section.is_empty() {
        "none declared yet".into()
    } else {
        format!(
            "declared: {}",
            section.keys().copied().collect::<Vec<_>>().join(", ")
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
