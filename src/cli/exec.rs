//! `berth exec`: runs a command in a service's running container, with a
//! TTY when standard input is a terminal, input piped through otherwise, and
//! the command's exit code as berth's own.

use crate::app::open;
use std::io::IsTerminal;

use super::{CliError, Settings, pipe};
use crate::engine::{Container, Engine, ExecSpec, RunState};
use clap::Args;

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Detached mode: run the command in the background
    #[arg(short, long)]
    pub detach: bool,
    /// Set an environment variable (KEY=VALUE, or KEY to pass on berth's own)
    #[arg(short, long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// The replica to run in, when the service has several (default: the lowest)
    #[arg(long, value_name = "N")]
    pub index: Option<u32>,
    /// Don't allocate a TTY (by default one is, when standard input is a terminal)
    #[arg(short = 'T', long = "no-tty", visible_alias = "no-TTY")]
    pub no_tty: bool,
    /// Give extended privileges to the process
    #[arg(long)]
    pub privileged: bool,
    /// Run the command as this user
    #[arg(short, long)]
    pub user: Option<String>,
    /// Working directory of the command
    #[arg(short, long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// The service to run the command in
    #[arg(value_name = "SERVICE")]
    pub service: String,
    /// The command and its arguments
    #[arg(
        value_name = "COMMAND",
        trailing_var_arg = true,
        allow_hyphen_values = true,
        required = true
    )]
    pub command: Vec<String>,
}

pub fn run(settings: &Settings, args: ExecArgs) -> Result<i32, CliError> {
    let (runtime, prepared) = open::open(settings, std::slice::from_ref(&args.service))?;
    let engine = prepared.engine;
    let containers = runtime.block_on(engine.list_containers(&prepared.desired.project))?;
    let container = pick(&containers, &args.service, args.index)?;
    let tty = !args.no_tty && std::io::stdin().is_terminal();
    let env = args
        .env
        .iter()
        .filter_map(|entry| match entry.split_once('=') {
            Some(_) => Some(entry.clone()),
            // KEY alone passes on berth's own value, if it has one.
            None => settings
                .load
                .os_env
                .get(entry)
                .map(|value| format!("{entry}={value}")),
        })
        .collect();
    let spec = ExecSpec {
        command: args.command.clone(),
        env,
        user: args.user.clone().unwrap_or_default(),
        working_dir: args.workdir.clone().unwrap_or_default(),
        privileged: args.privileged,
        tty,
        detach: args.detach,
    };
    runtime.block_on(attach(&engine, &container.id, &spec))
}

/// The running container of `service` to run in: replica `index`, or the
/// lowest-numbered one.
fn pick<'a>(
    containers: &'a [Container],
    service: &str,
    index: Option<u32>,
) -> Result<&'a Container, CliError> {
    let running = containers
        .iter()
        .filter(|c| !c.is_oneoff() && c.service() == service && c.state == RunState::Running);
    let found = match index {
        Some(n) => running.into_iter().find(|c| c.number() == n),
        None => running.min_by_key(|c| c.number()),
    };
    found.ok_or_else(|| {
        CliError::Other(match index {
            Some(n) => format!("service {service:?} has no running container with index {n}"),
            None => format!("service {service:?} is not running"),
        })
    })
}

/// Starts the exec and pipes the terminal or standard streams through it
/// until it ends; returns its exit code.
async fn attach<E: Engine>(engine: &E, id: &str, spec: &ExecSpec) -> Result<i32, CliError> {
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
