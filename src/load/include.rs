//! `include`: other Compose projects loaded on their own (own directory,
//! own `.env`) whose resources are imported into this one.

use std::path::{Path, PathBuf};

use super::environment::{self, Env};
use super::node::{Kind, Node};
use super::{FileMode, Loader, Result, discover, one};
use crate::diag::Diagnostic;

/// One `include` entry in long form.
struct Include {
    paths: Vec<(String, crate::diag::Span)>,
    project_directory: Option<String>,
    env_files: Vec<String>,
    span: crate::diag::Span,
}

pub(super) fn apply(
    loader: &mut Loader<'_>,
    doc: &mut Node,
    working_dir: &Path,
    env: &Env,
    included: &[PathBuf],
) -> Result<()> {
    let Some(map) = doc.as_map_mut() else {
        return Ok(());
    };
    let Some(entries) = map.shift_remove("include") else {
        return Ok(());
    };
    for entry in parse_entries(&entries)? {
        let mut files = Vec::new();
        let mut project_dir = PathBuf::new();
        for (i, (p, span)) in entry.paths.iter().enumerate() {
            let path = discover::absolute(working_dir, p);
            if i == 0 {
                project_dir = match &entry.project_directory {
                    None => path.parent().map(Path::to_path_buf).unwrap_or_default(),
                    Some(d) => discover::absolute(working_dir, d),
                };
                if included.contains(&path) {
                    let mut chain: Vec<String> =
                        included.iter().map(|p| p.display().to_string()).collect();
                    chain.push(path.display().to_string());
                    return Err(vec![
                        Diagnostic::new(format!(
                            "include cycle detected:\n{}\n include {}",
                            chain[0],
                            chain[1..].join("\n include ")
                        ))
                        .at(*span)
                        .hint("a file cannot include itself, directly or through other includes"),
                    ]);
                }
            }
            if !path.is_file() {
                return Err(vec![
                    Diagnostic::new(format!(
                        "open {}: no such file or directory",
                        path.display()
                    ))
                    .at(*span)
                    .hint("include paths are relative to the project directory"),
                ]);
            }
            files.push(path);
        }
        let env_files: Vec<PathBuf> = if entry.env_files.is_empty() {
            let f = project_dir.join(".env");
            if f.is_file() { vec![f] } else { Vec::new() }
        } else {
            let mut out = Vec::new();
            for f in &entry.env_files {
                let path = discover::absolute(working_dir, f);
                if !path.exists() {
                    return Err(vec![
                        Diagnostic::new(format!(
                            "stat {}: no such file or directory",
                            path.display()
                        ))
                        .at(entry.span),
                    ]);
                }
                if path.is_dir() {
                    return Err(vec![
                        Diagnostic::new(format!("{} is not a file", path.display())).at(entry.span),
                    ]);
                }
                out.push(path);
            }
            out
        };
        let sub_env = one(environment::with_env_files(
            env,
            &env_files,
            &loader.sources,
        ))?;
        let parsed = loader.parse_files(&files)?;
        let imported = loader.load_model_included(parsed, &project_dir, &sub_env, included)?;
        import_resources(imported, doc)?;
    }
    Ok(())
}

impl Loader<'_> {
    fn load_model_included(
        &mut self,
        files: Vec<super::ParsedFile>,
        dir: &Path,
        env: &Env,
        included: &[PathBuf],
    ) -> Result<Node> {
        // Included files are checked against each other (cycles) but not re-included here.
        let mut model = Node::map(Default::default(), crate::diag::Span::NONE);
        for file in files {
            model = self.load_file(file, model, dir, env, included, FileMode::default())?;
        }
        one(super::canonical::set_defaults(&mut model))?;
        super::project::validate_structure(&model)?;
        // Included projects always get absolute paths: they have their own directory.
        let home = env.get(crate::env_vars::HOME).map(PathBuf::from);
        one(super::paths::resolve_paths(
            &mut model,
            dir,
            home.as_deref(),
        ))?;
        super::normalize::resolve_environment(&mut model, env);
        Ok(model)
    }
}

fn parse_entries(node: &Node) -> Result<Vec<Include>> {
    let Some(items) = node.as_seq() else {
        return Err(vec![
            Diagnostic::new("include must be a list")
                .at(node.span)
                .hint("write `include: [other/compose.yaml]`"),
        ]);
    };
    let mut out = Vec::new();
    for item in items {
        let text_list = |n: &Node| -> Vec<(String, crate::diag::Span)> {
            match &n.kind {
                Kind::Seq(v) => v
                    .iter()
                    .filter_map(|x| x.scalar_text().map(|t| (t, x.span)))
                    .collect(),
                _ => n
                    .scalar_text()
                    .map(|t| vec![(t, n.span)])
                    .unwrap_or_default(),
            }
        };
        match &item.kind {
            Kind::Str(s) => out.push(Include {
                paths: vec![(s.to_string(), item.span)],
                project_directory: None,
                env_files: Vec::new(),
                span: item.span,
            }),
            Kind::Map(m) => out.push(Include {
                paths: m.get("path").map(text_list).unwrap_or_default(),
                project_directory: m.get("project_directory").and_then(Node::scalar_text),
                env_files: m
                    .get("env_file")
                    .map(|n| text_list(n).into_iter().map(|(t, _)| t).collect())
                    .unwrap_or_default(),
                span: item.span,
            }),
            _ => {
                return Err(vec![
                    Diagnostic::new(format!(
                        "include entries must be strings or mappings, found {}",
                        item.type_name()
                    ))
                    .at(item.span),
                ]);
            }
        }
    }
    Ok(out)
}

/// Copies the included project's resources into `target`; a name defined
/// differently on both sides is an error.
fn import_resources(source: Node, target: &mut Node) -> Result<()> {
    let Kind::Map(mut source) = source.kind else {
        return Ok(());
    };
    let Some(target) = target.as_map_mut() else {
        return Ok(());
    };
    for key in [
        "services", "volumes", "networks", "secrets", "configs", "models",
    ] {
        let Some(from) = source.shift_remove(key) else {
            continue;
        };
        let Kind::Map(from) = from.kind else { continue };
        let to = target
            .entry(key.to_string())
            .or_insert_with(|| Node::map(Default::default(), crate::diag::Span::NONE));
        let Some(to) = to.as_map_mut() else { continue };
        for (name, value) in from {
            match to.get(&name) {
                Some(existing) if *existing == value => {}
                Some(existing) => {
                    return Err(vec![
                        Diagnostic::new(format!("{key}.{name} conflicts with imported resource"))
                            .at(existing.key_span())
                            .hint("rename one of them, or remove the duplicate definition"),
                    ]);
                }
                None => {
                    to.insert(name, value);
                }
            }
        }
    }
    Ok(())
}
