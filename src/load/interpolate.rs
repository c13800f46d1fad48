//! `${VAR}` interpolation in Compose's syntax (owned by the env helper; see issue 2).

use crate::diag::Diagnostic;
use crate::load::node::Node;

/// Why a string could not be interpolated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterpolationError {
    /// A malformed expression starting at this byte offset of the input.
    Invalid { offset: usize },
    /// `${VAR:?msg}` / `${VAR?msg}` with VAR missing.
    Required { var: String, message: String },
}

/// Substitutes every expression in `input`. Returns the result and the names
/// of variables that were used while unset (for "not set" warnings).
pub fn substitute(
    input: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, Vec<String>), InterpolationError> {
    let _ = (input, lookup);
    todo!("interpolate::substitute")
}

/// Interpolates every string value of `node` (never mapping keys), then casts
/// the values at Compose's typed paths (ports, booleans, ...) to their types.
/// Unset variables add a warning; errors name the dotted path of the value.
pub fn interpolate_tree(
    node: &mut Node,
    lookup: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<Diagnostic>,
) -> Result<(), Vec<Diagnostic>> {
    let _ = (node, lookup, warnings);
    todo!("interpolate::interpolate_tree")
}
