//! The error a use case, and so a command, ends with.

use crate::diag::Diagnostics;

/// An error a command ends with.
pub enum Error {
    Project(Diagnostics),
    Usage(String),
    Engine(crate::engine::EngineError),
    Plan(crate::reconcile::plan::PlanError),
    Exec(crate::reconcile::execute::ExecError),
    /// Pulls that failed, each message naming the image, registry and reason.
    MissingImages(Vec<String>),
    Build(crate::build::BuildError),
    /// A stack deploy that did not converge.
    Swarm(crate::swarm::execute::ExecError),
    Other(String),
}

impl From<Diagnostics> for Error {
    fn from(d: Diagnostics) -> Self {
        Error::Project(d)
    }
}

impl From<crate::engine::EngineError> for Error {
    fn from(e: crate::engine::EngineError) -> Self {
        Error::Engine(e)
    }
}
