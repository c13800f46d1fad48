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
    /// `exec` without a replica index, when no replica runs.
    #[error("service {service:?} is not running")]
    NotRunning { service: String },
    /// A one-off joining the network of a service that does not run.
    #[error("service {parent} must run for {service} to join its network")]
    MustRun { parent: String, service: String },
    /// A one-off's `network_mode`, `volumes_from` or `links` that name no container.
    #[error("{0}")]
    References(String),
    /// The files of a read-only one-off's secrets and configs.
    #[error("{0}")]
    HostFiles(String),
    #[error("--env-from-file {file}: {source}")]
    EnvFileUnreadable {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("--env-from-file {file}: {source}")]
    EnvFileInvalid {
        file: String,
        #[source]
        source: crate::load::dotenv::DotenvError,
    },
    /// `wait` for services that have no container.
    #[error("no containers for {}", .0.join(", "))]
    NoContainers(Vec<String>),
    /// A path `cp` copies from that the container does not have.
    #[error("{service}:{path}: no such file or directory")]
    NoSuchPath { service: String, path: String },
    /// A directory `cp` copies into that the container does not have.
    #[error("{service}:{path}: no such directory")]
    NoSuchDirectory { service: String, path: String },
    /// A destination of `cp` without a parent directory and a name.
    #[error("{service}:{path}: not a place to copy to")]
    NotAPlaceToCopyTo { service: String, path: String },
    /// A host path `cp` copies from that is not there.
    #[error("{0}: no such file or directory")]
    NoSuchHostPath(String),
    /// A host path `cp -L` cannot follow.
    #[error("{path}: {source}")]
    CannotFollow {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}")]
    CannotRead {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the archive: {0}")]
    CannotReadArchive(#[source] std::io::Error),
    #[error("cannot write the archive: {0}")]
    CannotWriteArchive(#[source] std::io::Error),
    #[error("the engine sent a bad archive: {0}")]
    BadArchive(#[source] std::io::Error),
    /// `cp` out of a container into a host path.
    #[error("cannot copy to {path}: {source}")]
    CannotCopyTo {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// `export -o FILE`.
    #[error("cannot write {path}: {source}")]
    CannotWrite {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Images that `push` (or `build --push`) could not push.
    #[error("{}", .0.join("\nerror: "))]
    PushFailed(Vec<String>),
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
