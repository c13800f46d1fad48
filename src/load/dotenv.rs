//! `.env` files in Compose's syntax (owned by the env helper; see issue 2).

use indexmap::IndexMap;

/// A syntax error in an env file, 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotenvError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

/// Parses `text` in Compose's `.env` syntax. Variables referenced in values
/// are resolved first from the keys parsed so far, then through `lookup`.
/// A bare `KEY` takes `lookup(KEY)` and is left out when that is `None`.
pub fn parse(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<IndexMap<String, String>, DotenvError> {
    let _ = (text, lookup);
    todo!("dotenv::parse")
}

/// Parses the docker CLI's raw env-file format (`env_file: {format: raw}`):
/// `KEY=VALUE` lines taken literally, `#` comment lines, bare `KEY` from `lookup`.
pub fn parse_raw(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> IndexMap<String, String> {
    let _ = (text, lookup);
    todo!("dotenv::parse_raw")
}
