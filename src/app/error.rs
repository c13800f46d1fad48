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
    #[error(transparent)]
    WatchRule(#[from] crate::watch::rules::RuleError),
    #[error(
        "none of the selected services is configured for watch: add a `develop.watch` section to one (https://docs.docker.com/compose/how-tos/file-watch/)"
    )]
    NothingToWatch,
    #[error(transparent)]
    Watch(#[from] crate::watch::WatchError),
    #[error(
        "the Docker Engine at {host} is not a swarm manager (it is {what})\n  hint: make it \
         one with `docker swarm init`, or point --context or DOCKER_HOST at a manager \
         of your swarm"
    )]
    NotSwarmManager { host: String, what: String },
    #[error("nothing found in stack: {0}")]
    EmptyStack(String),
    #[error("{message}\n  hint: {hint}")]
    SwarmPlan { message: String, hint: String },
    #[error(transparent)]
    Credentials(#[from] crate::registry::CredentialsError),
    #[error("cannot write {what}: {source}")]
    CannotWrite {
        /// A path, or `the output`.
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// Images whose digest could not be found, one line each.
    #[error("{}", .0.join("\n"))]
    Digests(Vec<String>),
    /// A value the typed project cannot read.
    #[error(transparent)]
    Model(#[from] crate::model::ModelError),
    #[error("no such service: {0}")]
    NoSuchService(String),
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
    /// `exec` without a replica index, when no replica runs.
    #[error("service {service:?} is not running")]
    NotRunning { service: String },
    /// A one-off joining the network of a service that does not run.
    #[error("service {parent} must run for {service} to join its network")]
    MustRun { parent: String, service: String },
    /// A one-off's `network_mode`, `volumes_from` or `links` that name no container.
    #[error(transparent)]
    References(#[from] crate::reconcile::references::NoContainer),
    /// The files of a read-only one-off's secrets and configs.
    #[error(transparent)]
    HostFiles(#[from] crate::reconcile::host_files::HostFileError),
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

impl Error {
    /// What the user reads: `error: ...`, with a hint where one helps.
    pub fn render(&self, color: bool, show_secrets: bool) -> String {
        use crate::reconcile::execute::ExecError;
        match self {
            Error::Project(d) => d.render(color, show_secrets),
            Error::Usage(m) => format!("error: {m}\n"),
            Error::Failed(f) => format!("error: {f}\n"),
            Error::Engine(e) => match e.hint() {
                Some(hint) => format!("error: {e}\n  hint: {hint}\n"),
                None => format!("error: {e}\n"),
            },
            Error::Plan(e) => format!("error: {}\n  hint: {}\n", e.message, e.hint),
            Error::Exec(ExecError::Condition {
                message, report, ..
            }) => format!("error: dependency failed: {message}\n{report}"),
            Error::Exec(ExecError::Engine(e)) => match e.hint() {
                Some(hint) => format!("error: {e}\n  hint: {hint}\n"),
                None => format!("error: {e}\n"),
            },
            Error::Exec(e) => format!("error: {e}\n"),
            Error::MissingImages(failures) => format!(
                "error: {}\n  hint: check the image name and tag, log in to the registry \
                 (`docker login` writes the credentials berth reads), or give the service a \
                 `build:` section\n",
                failures.join("\nerror: ")
            ),
            Error::Build(e) => format!("error: {e}\n"),
            Error::Swarm(crate::swarm::execute::ExecError::Engine(e)) => match e.hint() {
                Some(hint) => format!("error: {e}\n  hint: {hint}\n"),
                None => format!("error: {e}\n"),
            },
            Error::Swarm(e) => format!("error: {e}\n"),
        }
    }

    /// The exit code the command ends with (see [`super::exit`]).
    pub fn exit_code(&self) -> i32 {
        use crate::engine::EngineError;
        use crate::reconcile::execute::{ExecError, Failure};
        match self {
            Error::Project(_) => super::exit::INVALID_PROJECT,
            Error::Usage(_) => super::exit::USAGE,
            Error::Engine(
                EngineError::Unreachable { .. }
                | EngineError::Lost { .. }
                | EngineError::Endpoint(_)
                | EngineError::TooOld { .. },
            )
            | Error::Exec(ExecError::Engine(
                EngineError::Unreachable { .. } | EngineError::Lost { .. },
            ))
            | Error::Swarm(crate::swarm::execute::ExecError::Engine(
                EngineError::Unreachable { .. } | EngineError::Lost { .. },
            )) => super::exit::ENGINE_UNREACHABLE,
            Error::Exec(ExecError::Condition { failure, .. }) => match failure {
                Failure::Unhealthy => super::exit::UNHEALTHY,
                Failure::Exited | Failure::Missing => super::exit::CONTAINER_FAILED,
            },
            Error::Exec(ExecError::Timeout(_)) => super::exit::TIMEOUT,
            Error::Exec(ExecError::Cancelled) => super::exit::INTERRUPTED,
            Error::Swarm(
                crate::swarm::execute::ExecError::Failed { .. }
                | crate::swarm::execute::ExecError::Dependency { .. },
            ) => super::exit::CONTAINER_FAILED,
            _ => super::exit::FAILURE,
        }
    }
}
