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
    /// What a use case itself could not do.
    Failed(Failure),
    Other(String),
}

/// What a use case itself could not do, with what the user needs to read.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("cannot start {what}: {source}")]
    Start {
        /// `the async runtime`, `the loader`.
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot listen for signals: {0}")]
    Signals(#[source] std::io::Error),
    #[error("the loader stopped unexpectedly")]
    LoaderStopped,
    #[error("cannot lock project {project}: {source}")]
    Lock {
        project: String,
        #[source]
        source: std::io::Error,
    },
    /// Keys the engine is too old to apply as the file says.
    #[error("{}", .0.join("\n"))]
    Refused(Vec<String>),
    #[error(
        "service {service:?} has no {}container{}",
        if *running { "running " } else { "" },
        index.map(|n| format!(" with index {n}")).unwrap_or_default()
    )]
    NoContainer {
        service: String,
        running: bool,
        index: Option<u32>,
    },
    /// Every service is behind a profile that is not enabled (Compose's words).
    #[error("no service selected")]
    NoServiceSelected,
    /// A service the engine cannot run as written.
    #[error(transparent)]
    Service(#[from] crate::reconcile::desired::DesiredError),
    /// Images with `pull_policy: never` that the engine does not have.
    #[error("{}", .0.join("\n"))]
    NeverPulled(Vec<String>),
    #[error("the engine's event stream ended")]
    EventsEnded,
    #[error("the stop failed: {0}")]
    StopFailed(#[source] tokio::task::JoinError),
    /// A `--format` template that does not apply to a listing's rows.
    #[error(transparent)]
    Template(#[from] crate::output::template::TemplateError),
    #[error("port {port}/{protocol} of {container} is not published")]
    PortNotPublished {
        port: u16,
        protocol: String,
        container: String,
    },
    /// `logs --index N` of a replica that is not there.
    #[error("service {service:?} has no container #{index}")]
    NoReplica { service: String, index: u32 },
}

impl From<Failure> for Error {
    fn from(f: Failure) -> Self {
        Error::Failed(f)
    }
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
