//! `extends`: a service starts from another service's definition, in the
//! same file or another one, and merges its own keys on top.

use std::path::{Path, PathBuf};

use super::environment::Env;
use super::node::{Key, Map, Node};
use super::{FileMode, Loader, Result, merge};
use crate::diag::Diagnostic;

/// Resolves `extends` of every service of one file's document.
pub(super) fn apply(loader: &mut Loader<'_>, doc: &mut Node, file: &Path, env: &Env) -> Result<()> {
    let Some(services) = doc.get_mut("services").and_then(Node::as_map_mut) else {
        return Ok(());
    };
    if !services.values().any(|s| s.get("extends").is_some()) {
        return Ok(());
    }
    let names: Vec<String> = services.keys().map(|k| k.to_string()).collect();
    for name in names {
        let mut chain = Vec::new();
        let merged = extend_service(loader, &name, services, file, env, &mut chain)?;
        if let Some(m) = merged {
            services.insert(name, m);
        }
    }
    Ok(())
}

/// The service `name` of `services` (defined in `file`) with its `extends` resolved.
fn extend_service(
    loader: &mut Loader<'_>,
    name: &str,
    services: &mut Map,
    file: &Path,
    env: &Env,
    chain: &mut Vec<(PathBuf, String)>,
) -> Result<Option<Node>> {
    let Some(service) = services.get(name).cloned() else {
        return Ok(None);
    };
    if service.is_null() {
        return Ok(None);
    }
    if service.as_map().is_none() {
        return Err(vec![
            Diagnostic::new(format!("services.{name} must be a mapping")).at(service.span),
        ]);
    }
    let Some(ext) = service.get("extends") else {
        return Ok(Some(service));
    };
    let (base_name, base_file) = match (ext.as_str(), ext.as_map()) {
        (Some(s), _) => (s.to_string(), None),
        (None, Some(m)) => {
            let Some(s) = m.get("service").and_then(Node::as_str) else {
                return Err(vec![
                    Diagnostic::new(format!("extends.{name}.service is required"))
                        .at(ext.span)
                        .hint("write `extends: {service: <name>, file: <path>}`"),
                ]);
            };
            (
                s.to_string(),
                m.get("file")
                    .and_then(Node::scalar_text)
                    .map(|f| (f, m["file"].span)),
            )
        }
        _ => {
            return Err(vec![
                Diagnostic::new(format!(
                    "services.{name}.extends must be a string or a mapping"
                ))
                .at(ext.span),
            ]);
        }
    };

    let here = (file.to_path_buf(), name.to_string());
    if chain.contains(&here) {
        chain.push(here);
        let mut lines = vec!["Circular reference:".to_string()];
        for (i, (f, s)) in chain.iter().enumerate() {
            let verb = if i == 0 { "" } else { "extends " };
            lines.push(format!("  {verb}{s} in {}", f.display()));
        }
        return Err(vec![Diagnostic::new(lines.join("\n")).at(ext.span).hint(
            "break the cycle: a service cannot extend itself, directly or through others",
        )]);
    }
    chain.push(here);

    let base = match base_file {
        Some((relative, span)) => {
            let dir = file.parent().unwrap_or(Path::new("/"));
            let other = super::discover::absolute(dir, &relative);
            let mut other_services = load_services_of(loader, &other, env, name, file, span)?;
            if !other_services.contains_key(&base_name) {
                return Err(vec![Diagnostic::new(format!(
                    "cannot extend service \"{name}\" in {}: service \"{base_name}\" not found in {relative}",
                    file.display()
                ))
                .at(span)
                .hint(format!("services in that file: {}", other_services.keys().copied().collect::<Vec<_>>().join(", ")))]);
            }
            extend_service(loader, &base_name, &mut other_services, &other, env, chain)?
        }
        None => {
            if !services.contains_key(&base_name) {
                return Err(vec![
                    Diagnostic::new(format!(
                        "cannot extend service \"{name}\" in {}: service \"{base_name}\" not found",
                        file.display()
                    ))
                    .at(ext.span)
                    .hint(did_you_mean(&base_name, services.keys().map(Key::as_str))),
                ]);
            }
            let resolved = extend_service(loader, &base_name, services, file, env, chain)?;
            if let Some(r) = &resolved {
                services.insert(base_name.clone(), r.clone());
            }
            resolved
        }
    };
    let Some(base) = base else {
        return Ok(Some(service));
    };
    let mut merged = super::one(merge::merge_at(base, service, &["services", "x"]))?;
    if let Some(m) = merged.as_map_mut() {
        m.shift_remove("extends");
    }
    services.insert(name.to_string(), merged.clone());
    Ok(Some(merged))
}

/// The services of another file, interpolated and in canonical form, with
/// paths relative to that file (Compose loads it without extends or includes).
fn load_services_of(
    loader: &mut Loader<'_>,
    path: &Path,
    env: &Env,
    name: &str,
    from: &Path,
    span: crate::diag::Span,
) -> Result<Map> {
    if !path.is_file() {
        return Err(vec![
            Diagnostic::new(format!(
                "cannot extend service \"{name}\" in {}: open {}: no such file or directory",
                from.display(),
                path.display()
            ))
            .at(span)
            .hint("`extends.file` is relative to the file that declares it"),
        ]);
    }
    let parsed = loader.parse_extends_file(path)?;
    let mode = FileMode {
        skip_extends: true,
        skip_include: true,
        skip_validation: true,
    };
    let mut model = Node::map(Map::default(), crate::diag::Span::NONE);
    model = loader.load_file(
        parsed,
        model,
        path.parent().unwrap_or(Path::new("/")),
        env,
        &[],
        mode,
    )?;
    // Paths of another file are relative to it, so they are always resolved.
    let home = env.get(crate::env_vars::HOME).map(PathBuf::from);
    super::one(super::paths::resolve_paths(
        &mut model,
        path.parent().unwrap_or(Path::new("/")),
        home.as_deref(),
    ))?;
    match model.get("services").and_then(Node::as_map) {
        Some(s) => Ok(s.clone()),
        None => Err(vec![
            Diagnostic::new(format!(
                "cannot extend service \"{name}\" in {}: no services section",
                path.display()
            ))
            .at(span),
        ]),
    }
}

/// "did you mean" for a name among candidates, or the list of candidates.
pub fn did_you_mean<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    let candidates: Vec<&str> = candidates.collect();
    match crate::suggest::closest(name, candidates.iter().copied()) {
        Some(c) => format!("did you mean `{c}`?"),
        None if candidates.is_empty() => "no services are defined".into(),
        None => format!("known services: {}", candidates.join(", ")),
    }
}
