//! The interpolation environment: the process environment plus env files.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use super::dotenv;
use crate::diag::{Diagnostic, Sources, Span};

pub type Env = IndexMap<String, String>;

/// Reads env files in order onto `base`; keys already in `base` win, later
/// files override earlier ones. Values may refer to `base` and earlier keys.
pub fn with_env_files(base: &Env, files: &[PathBuf], sources: &Sources) -> Result<Env, Diagnostic> {
    let mut from_files = Env::new();
    for file in files {
        let parsed = read_env_file(file, base, &from_files, sources)?;
        from_files.extend(parsed);
    }
    let mut env = base.clone();
    for (k, v) in from_files {
        env.entry(k).or_insert(v);
    }
    Ok(env)
}

/// Parses one env file; `${VAR}` in values sees `base` first, then `earlier`.
pub fn read_env_file(
    path: &Path,
    base: &Env,
    earlier: &Env,
    sources: &Sources,
) -> Result<Env, Diagnostic> {
    let (file, source) = sources.add_env_file(path, read_text(path)?);
    let text = source.text();
    let text = text.as_str();
    let lookup = |k: &str| base.get(k).or_else(|| earlier.get(k)).cloned();
    dotenv::parse(text, &lookup).map_err(|e| {
        Diagnostic::new(format!("failed to read {}: {}", path.display(), e.message))
            .at(Span::new(file, line_offset(text, e.line, e.col), 1))
            .hint("env files hold KEY=value lines; quote values that contain spaces or #")
    })
}

/// Reads a file, with Compose's message when it is missing.
pub fn read_text(path: &Path) -> Result<String, Diagnostic> {
    let bytes = super::read_capped(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Diagnostic::new(format!(
                "env file {} not found: stat {}: no such file or directory",
                path.display(),
                path.display()
            ))
            .hint("create the file, fix the path, or mark it optional with `required: false`")
        } else {
            Diagnostic::new(format!("failed to read {}: {e}", path.display()))
        }
    })?;
    if bytes.len() > super::MAX_FILE_SIZE {
        return Err(super::too_big(path));
    }
    String::from_utf8(bytes).map_err(|e| {
        Diagnostic::new(format!(
            "failed to read {}: invalid UTF-8 at byte {}",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
    })
}

fn line_offset(text: &str, line: usize, col: usize) -> u32 {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    // The column counts characters.
    let in_line: usize = text[start..]
        .chars()
        .take(col.saturating_sub(1))
        .map(char::len_utf8)
        .sum();
    (start + in_line) as u32
}
