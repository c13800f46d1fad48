//! Short syntax → long syntax (owned by the transform helper; see issue 2).

use crate::diag::Diagnostic;
use crate::load::node::Node;

/// Rewrites every short form of the merged model into Compose's long form
/// (ports, volumes, depends_on, env_file, networks, devices, secrets, ...).
/// With `skip_interpolation`, values still holding `${...}` are left alone
/// where they cannot be parsed.
pub fn canonical(root: &mut Node, skip_interpolation: bool) -> Result<(), Diagnostic> {
    let _ = (root, skip_interpolation);
    Ok(())
}

/// Fills Compose's default values (build context `.`, dockerfile, port mode
/// and protocol, secret targets, bind options, ...).
pub fn set_defaults(root: &mut Node) -> Result<(), Diagnostic> {
    let _ = root;
    Ok(())
}
