//! `exec`: runs a command in a service's running container, with a TTY or
//! with the standard streams piped through, and ends with its exit code.

use super::error::Failure;
use super::{Error, Settings, open, pipe};
use crate::engine::{Container, Engine, ExecSpec, RunState};
use crate::load::environment::Env;

/// What `exec` is asked.
#[derive(Clone, Debug, Default)]
pub struct ExecRequest {
    pub service: String,
    /// The replica to run in (default: the lowest-numbered running one).
    pub index: Option<u32>,
    pub command: Vec<String>,
    /// `KEY=VALUE`, or `KEY` to pass on berth's own value.
    pub env: Vec<String>,
    pub user: Option<String>,
    pub workdir: Option<String>,
    pub privileged: bool,
    /// Whether a TTY is wanted (it is given only when standard input is a terminal).
    pub tty: bool,
    pub stdin_is_terminal: bool,
    /// Runs the command in the background.
    pub detach: bool,
}

/// Runs the command; its exit code (0 when detached).
pub fn exec(settings: &Settings, request: &ExecRequest) -> Result<i32, Error> {
    let (runtime, prepared) = open::open(settings, std::slice::from_ref(&request.service))?;
    let engine = prepared.engine;
    let containers = runtime.block_on(engine.list_containers(&prepared.desired.project))?;
    let container = pick(&containers, &request.service, request.index)?;
    let spec = ExecSpec {
        command: request.command.clone(),
        env: environment(&request.env, &settings.load.os_env),
        user: request.user.clone().unwrap_or_default(),
        working_dir: request.workdir.clone().unwrap_or_default(),
        privileged: request.privileged,
        tty: request.tty && request.stdin_is_terminal,
        detach: request.detach,
    };
    runtime.block_on(run_in(&engine, &container.id, &spec))
}

/// The `-e` entries as `KEY=VALUE`: `KEY` alone passes on berth's own
/// value, and is left out when berth has none.
fn environment(entries: &[String], os_env: &Env) -> Vec<String> {
    entries
        .iter()
        .filter_map(|entry| match entry.split_once('=') {
            Some(_) => Some(entry.clone()),
            None => os_env.get(entry).map(|value| format!("{entry}={value}")),
        })
        .collect()
}

/// The running container of `service` to run in: replica `index`, or the
/// lowest-numbered one.
fn pick<'a>(
    containers: &'a [Container],
    service: &str,
    index: Option<u32>,
) -> Result<&'a Container, Failure> {
    let running = containers
        .iter()
        .filter(|c| !c.is_oneoff() && c.service() == service && c.state == RunState::Running);
    let found = match index {
        Some(n) => running.into_iter().find(|c| c.number() == n),
        None => running.min_by_key(|c| c.number()),
    };
    found.ok_or_else(|| match index {
        Some(_) => Failure::NoContainer {
            service: service.to_string(),
            running: true,
            index,
        },
        None => Failure::NotRunning {
            service: service.to_string(),
        },
    })
}

/// Starts the exec and pipes the terminal or standard streams through it
/// until it ends; returns its exit code.
async fn run_in<E: Engine>(engine: &E, id: &str, spec: &ExecSpec) -> Result<i32, Error> {
    let session = engine.exec(id, spec).await?;
    let (Some(output), Some(input)) = (session.output, session.input) else {
        return Ok(0);
    };
    let exec = session.id.as_str();
    pipe::pipe(output, input, spec.tty, |rows, cols| {
        engine.resize_exec(exec, rows, cols)
    })
    .await;
    let code = engine.exec_exit_code(exec).await?;
    Ok(i32::try_from(code).unwrap_or(1))
}
