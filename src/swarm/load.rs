//! From the loader's output to a [`Stack`], with every problem pointing at
//! its line.

use crate::diag::{Diagnostic, Diagnostics, Sources};
use crate::load::Loaded;
use crate::load::node::PathSeg;
use crate::reconcile::desired::{deepest, typed_project};

use super::convert::{self, Inputs, Stack};

/// A stack and the warnings about keys it leaves out (file:line each).
pub struct Converted {
    pub stack: Stack,
    pub warnings: Vec<Diagnostic>,
    pub sources: Sources,
}

/// Converts a loaded project into the stack `name`; with `strict`, a key a
/// swarm cannot honour is an error rather than a warning. With `building`
/// (`--build`), `build:` sections are used, not left out.
pub fn stack(
    loaded: &Loaded,
    name: &str,
    strict: bool,
    building: bool,
) -> Result<Converted, Diagnostics> {
    let sources = loaded.sources.clone();
    let fail = |message: String, path: &[PathSeg]| {
        let mut diagnostic = Diagnostic::new(message);
        if let Some(node) = deepest(&loaded.model, path) {
            diagnostic = diagnostic.at(node.key_span());
        }
        Diagnostics {
            items: vec![diagnostic],
            sources: sources.clone(),
        }
    };
    let project = typed_project(loaded)?;
    let inputs = Inputs {
        stack: name,
        environment: &loaded.environment,
    };
    let mut stack = convert::stack(&project, &inputs).map_err(|e| fail(e.message, &e.path))?;
    if building {
        let build = PathSeg::Key("build".into());
        stack.unsupported.retain(|u| u.path.last() != Some(&build));
    }
    let warnings: Vec<Diagnostic> = stack
        .unsupported
        .iter()
        .map(|u| {
            let diagnostic = Diagnostic::new(u.message.clone());
            match deepest(&loaded.model, &u.path) {
                Some(node) => diagnostic.at(node.key_span()),
                None => diagnostic,
            }
        })
        .collect();
    if strict && !warnings.is_empty() {
        return Err(Diagnostics {
            items: warnings
                .into_iter()
                .map(|d| d.hint("--strict refuses keys a swarm cannot honour; remove them"))
                .collect(),
            sources,
        });
    }
    Ok(Converted {
        stack,
        warnings,
        sources,
    })
}
