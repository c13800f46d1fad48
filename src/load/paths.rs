//! Relative paths → absolute paths (owned by the transform helper; see issue 2).

use std::path::Path;

use crate::diag::Diagnostic;
use crate::load::node::Node;

/// Makes every path of the model absolute against `working_dir` (build
/// contexts, env files, bind sources with `~` expanded from `home`, ...).
pub fn resolve_paths(root: &mut Node, working_dir: &Path, home: Option<&Path>) -> Result<(), Diagnostic> {
    let _ = (root, working_dir, home);
    Ok(())
}
