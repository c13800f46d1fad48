//! JSON-schema validation of a Compose model (owned by the schema helper; see issue 2).

use crate::diag::Diagnostic;
use crate::load::node::Node;

/// Validates one file's model (after interpolation, before normalisation)
/// against `schemas/compose.schema.json`. Returns every independent problem,
/// each pointing at the offending key or value, with a did-you-mean hint for
/// unknown keys. `file_label` is the path shown in messages.
pub fn validate(root: &Node, file_label: &str) -> Vec<Diagnostic> {
    let _ = (root, file_label);
    Vec::new()
}
