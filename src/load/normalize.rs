//! Normalisation: implicit `default` network, resource names, implicit
//! dependencies, and values taken from the environment.

use super::environment::Env;
use super::graph::implied_references;
use super::node::{Kind, Map, Node};
use crate::diag::Span;
use crate::graph::EdgeKind;

fn started_dependency(restart: bool, span: Span) -> Node {
    let mut m = Map::default();
    m.insert("condition", Node::str("service_started", span));
    m.insert("restart", Node::new(Kind::Bool(restart), span));
    m.insert("required", Node::new(Kind::Bool(true), span));
    Node::map(m, span)
}

/// Compose's `Normalize` on the merged model (its `name` already set).
pub fn normalize(model: &mut Node, env: &Env) {
    normalize_networks(model);
    let lookup = |k: &str| env.get(k).cloned();
    if let Some(services) = model.get_mut("services").and_then(Node::as_map_mut) {
        for service in services.values_mut() {
            let Some(s) = service.as_map_mut() else {
                continue;
            };
            if s.get("pull_policy").and_then(Node::as_str) == Some("if_not_present") {
                s.insert("pull_policy", Node::str("missing", Span::NONE));
            }
            if let Some(build) = s.get_mut("build").and_then(Node::as_map_mut) {
                // Looked up before changed: a build an alias shares stays shared.
                if !build.contains_key("context") {
                    build.insert("context", Node::str(".", Span::NONE));
                }
                if !build.contains_key("dockerfile") && !build.contains_key("dockerfile_inline") {
                    build.insert("dockerfile", Node::str("Dockerfile", Span::NONE));
                }
                if let Some(args) = build.get_mut("args") {
                    resolve_from_env(args, &lookup, false);
                }
            }
            if let Some(e) = s.get_mut("environment") {
                resolve_from_env(e, &lookup, true);
            }
            let mut depends = match s.shift_remove("depends_on") {
                Some(Node {
                    kind: Kind::Map(m), ..
                }) => m,
                _ => Map::default(),
            };
            // Shared volumes need no restart when their owner is recreated.
            for (target, span, kind) in implied_references(s) {
                let restart = kind != EdgeKind::VolumesFrom;
                depends
                    .entry(target)
                    .or_insert_with(|| started_dependency(restart, span));
            }
            if let Some(volumes) = s.get_mut("volumes").and_then(Node::as_seq_mut) {
                for v in volumes.make_mut() {
                    if let Some(t) = v.get_mut("target")
                        && let Kind::Str(target) = &mut t.kind
                    {
                        *target = clean_unix(target).into();
                    }
                }
            }
            if !depends.is_empty() {
                s.insert("depends_on", Node::map(depends, Span::NONE));
            }
        }
    }
    set_names_from_keys(model);
}

fn clean_unix(path: &str) -> String {
    super::discover::clean_path(path)
}

fn normalize_networks(model: &mut Node) {
    let mut uses_default = false;
    if let Some(services) = model.get_mut("services").and_then(Node::as_map_mut) {
        for service in services.values_mut() {
            let Some(s) = service.as_map_mut() else {
                continue;
            };
            if s.contains_key("provider") || s.contains_key("network_mode") {
                continue;
            }
            let default_only = || {
                let mut m = Map::default();
                m.insert("default", Node::null(Span::NONE));
                Node::map(m, Span::NONE)
            };
            match s.get("networks").and_then(Node::as_map) {
                None => {
                    s.insert("networks", default_only());
                    uses_default = true;
                }
                Some(m) if m.is_empty() => {
                    s.insert("networks", default_only());
                    uses_default = true;
                }
                Some(m) => uses_default |= m.contains_key("default"),
            }
        }
    }
    let Some(root) = model.as_map_mut() else {
        return;
    };
    let networks = root
        .entry("networks")
        .or_insert_with(|| Node::map(Map::default(), Span::NONE));
    if let Some(n) = networks.as_map_mut()
        && uses_default
        && !n.contains_key("default")
    {
        n.insert("default", Node::null(Span::NONE));
    }
    if networks.as_map().is_some_and(Map::is_empty) {
        root.shift_remove("networks");
    }
}

/// Fills bare keys (`- KEY`, `KEY:` with no value) from the environment.
fn resolve_from_env(node: &mut Node, lookup: &dyn Fn(&str) -> Option<String>, keep_empty: bool) {
    match &mut node.kind {
        Kind::Map(m) => m.retain(|k, v| {
            if !v.is_null() {
                return true;
            }
            match lookup(k) {
                Some(val) => {
                    *v = Node::str(val, v.span);
                    true
                }
                None => keep_empty,
            }
        }),
        Kind::Seq(items) => items.retain(|item| match item.as_str() {
            Some(s) if !s.contains('=') => match lookup(s) {
                Some(val) => {
                    *item = Node::str(format!("{s}={val}"), item.span);
                    true
                }
                None => keep_empty,
            },
            _ => true,
        }),
        _ => {}
    }
}

/// Networks, volumes, configs and secrets without `name` are named `<project>_<key>`
/// (external ones keep their key).
fn set_names_from_keys(model: &mut Node) {
    let project = model
        .get("name")
        .and_then(Node::as_str)
        .unwrap_or_default()
        .to_string();
    for kind in ["networks", "volumes", "configs", "secrets"] {
        let Some(resources) = model.get_mut(kind).and_then(Node::as_map_mut) else {
            continue;
        };
        for (key, resource) in resources.iter_mut() {
            if resource.is_null() {
                resource.kind = Kind::Map(Map::default());
            }
            let Some(r) = resource.as_map_mut() else {
                continue;
            };
            if r.get("name").is_none_or(Node::is_null) {
                let external = r.get("external").is_some_and(|x| {
                    x.as_bool() == Some(true)
                        || x.scalar_text().is_some_and(|t| super::is_truthy(&t))
                });
                let name = if external {
                    key.to_string()
                } else {
                    format!("{project}_{key}")
                };
                r.insert("name", Node::str(name, Span::NONE));
            }
        }
    }
}

/// Compose's `ResolveEnvironment`: bare `environment` entries take values
/// from the environment; secrets and configs from `environment:` get their content.
pub fn resolve_environment(model: &mut Node, env: &Env) {
    if let Some(services) = model.get_mut("services").and_then(Node::as_map_mut) {
        for service in services.values_mut() {
            if let Some(items) = service.get_mut("environment").and_then(Node::as_seq_mut) {
                for item in items.make_mut().iter_mut() {
                    if let Some(s) = item.as_str()
                        && let Some(v) = env.get(s)
                    {
                        *item = Node::str(format!("{s}={v}"), item.span);
                    }
                }
            }
        }
    }
    // A secret's value stays out of the model (it must never be printed);
    // the engine side reads it from the environment when it needs it.
    for (kind, field) in [("configs", "content")] {
        let Some(resources) = model.get_mut(kind).and_then(Node::as_map_mut) else {
            continue;
        };
        for resource in resources.values_mut() {
            let Some(r) = resource.as_map_mut() else {
                continue;
            };
            if let Some(value) = r
                .get("environment")
                .and_then(Node::as_str)
                .and_then(|e| env.get(e))
            {
                r.insert(field, Node::str(value.clone(), Span::NONE));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::yaml::parse_documents;

    fn normalized(text: &str, env: &[(&str, &str)]) -> serde_json::Value {
        let mut model = parse_documents(text, 0).unwrap().remove(0);
        let env: Env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        normalize(&mut model, &env);
        model.to_json()
    }

    #[test]
    fn services_without_networks_join_the_implicit_default() {
        let m = normalized(
            "name: p\nservices:\n  a: {image: x}\n  b: {image: x, network_mode: host}\n",
            &[],
        );
        assert_eq!(
            m["services"]["a"]["networks"],
            serde_json::json!({"default": null})
        );
        assert!(m["services"]["b"].get("networks").is_none());
        assert_eq!(m["networks"]["default"]["name"], "p_default");
    }

    #[test]
    fn no_default_network_when_nobody_uses_it() {
        let m = normalized(
            "name: p\nservices:\n  a: {image: x, networks: {front: null}}\nnetworks:\n  front: {}\n",
            &[],
        );
        assert!(m["networks"].get("default").is_none());
        assert_eq!(m["networks"]["front"]["name"], "p_front");
    }

    #[test]
    fn links_namespaces_and_volumes_from_imply_dependencies() {
        let m = normalized(
            "name: p\nservices:\n  a:\n    image: x\n    links: ['db:database']\n    ipc: 'service:shm'\n    volumes_from: ['data:ro', 'container:other']\n",
            &[],
        );
        let deps = &m["services"]["a"]["depends_on"];
        assert_eq!(
            deps["db"],
            serde_json::json!({"condition": "service_started", "restart": true, "required": true})
        );
        assert_eq!(deps["shm"]["restart"], true);
        assert_eq!(deps["data"]["restart"], false);
        assert!(deps.get("other").is_none());
    }

    #[test]
    fn resources_are_named_and_external_ones_keep_their_key() {
        let m = normalized(
            "name: p\nservices: {}\nvolumes:\n  data:\n  ext: {external: true}\n  named: {name: custom}\n",
            &[],
        );
        assert_eq!(m["volumes"]["data"]["name"], "p_data");
        assert_eq!(m["volumes"]["ext"]["name"], "ext");
        assert_eq!(m["volumes"]["named"]["name"], "custom");
    }

    #[test]
    fn bare_environment_keys_come_from_the_environment() {
        let m = normalized(
            "name: p\nservices:\n  a:\n    image: x\n    environment: {SET: null, UNSET: null, GIVEN: v}\n    build: {args: [SET, NOPE]}\n",
            &[("SET", "1")],
        );
        assert_eq!(
            m["services"]["a"]["environment"],
            serde_json::json!({"SET": "1", "UNSET": null, "GIVEN": "v"})
        );
        assert_eq!(
            m["services"]["a"]["build"]["args"],
            serde_json::json!(["SET=1"])
        );
        assert_eq!(m["services"]["a"]["build"]["dockerfile"], "Dockerfile");
    }
}
