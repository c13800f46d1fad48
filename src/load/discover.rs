//! Which Compose files make up the project, where it lives, and its name.

use std::path::{Path, PathBuf};

use crate::diag::Diagnostic;

/// File names looked for, in order of preference.
pub const DEFAULT_FILES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];

/// Override files looked for beside the main file, in order of preference.
pub const OVERRIDE_FILES: [&str; 4] = [
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];

/// Walks up from `start` to the filesystem root and returns the first
/// directory's Compose file plus its override, if any. Several candidates
/// in one directory give a warning.
pub fn find_default_files(start: &Path, warnings: &mut Vec<Diagnostic>) -> Option<Vec<PathBuf>> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        let found: Vec<PathBuf> = DEFAULT_FILES
            .iter()
            .map(|f| d.join(f))
            .filter(|p| p.is_file())
            .collect();
        if let Some(main) = found.first() {
            if found.len() > 1 {
                warnings.push(Diagnostic::new(format!(
                    "Found multiple config files with supported names: {}\nUsing {}",
                    found
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    main.display()
                )));
            }
            let mut files = vec![main.clone()];
            if let Some(o) = OVERRIDE_FILES
                .iter()
                .map(|f| d.join(f))
                .find(|p| p.is_file())
            {
                files.push(o);
            }
            return Some(files);
        }
        dir = d.parent();
    }
    None
}

/// The error when no Compose file is found.
pub fn no_files_error(start: &Path) -> Diagnostic {
    Diagnostic::new(format!(
        "no configuration file provided: not found (looked for {} in {} and its parents)",
        DEFAULT_FILES.join(", "),
        start.display()
    ))
    .hint("run berth in the directory of your compose.yaml, or name the file with -f")
}

/// Lowercases and drops what a project name may not contain, as Compose does
/// for names taken from `name:` or the directory.
pub fn normalize_project_name(name: &str) -> String {
    let lower = name.to_lowercase();
    let kept: String = lower
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    kept.trim_start_matches(['_', '-']).to_string()
}

/// Checks a name given with `-p` or `COMPOSE_PROJECT_NAME`.
pub fn check_project_name(name: &str) -> Result<(), Diagnostic> {
    if name.is_empty() {
        return Err(Diagnostic::new("project name must not be empty"));
    }
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !valid {
        return Err(Diagnostic::new(format!(
            "invalid project name \"{name}\": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number"
        ))
        .hint(format!("try `{}`", normalize_project_name(name))));
    }
    Ok(())
}

/// Go's `filepath.Clean` for Unix paths: no `.`, no `..` after a named
/// component, no repeated or trailing `/`.
pub fn clean_path(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// `base/path` cleaned, or `path` itself when absolute.
pub fn absolute(base: &Path, path: &str) -> PathBuf {
    if path.starts_with('/') {
        PathBuf::from(clean_path(path))
    } else {
        PathBuf::from(clean_path(&format!("{}/{path}", base.display())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalized_like_compose() {
        assert_eq!(normalize_project_name("My_Project.v2"), "my_projectv2");
        assert_eq!(normalize_project_name("-_x"), "x");
        assert_eq!(
            normalize_project_name("UNNORMALIZED PATH"),
            "unnormalizedpath"
        );
    }

    #[test]
    fn given_names_must_already_be_normal() {
        assert!(check_project_name("web-1_a").is_ok());
        assert!(
            check_project_name("Web")
                .unwrap_err()
                .message
                .starts_with("invalid project name \"Web\"")
        );
        assert!(check_project_name("_x").is_err());
        assert_eq!(
            check_project_name("").unwrap_err().message,
            "project name must not be empty"
        );
    }

    #[test]
    fn paths_clean_like_go() {
        assert_eq!(clean_path("/a/b/../c/./d/"), "/a/c/d");
        assert_eq!(clean_path("a/../../b"), "../b");
        assert_eq!(clean_path("/.."), "/");
        assert_eq!(absolute(Path::new("/w"), "./x/../y"), PathBuf::from("/w/y"));
    }
}
