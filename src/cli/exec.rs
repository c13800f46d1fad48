//! `berth exec`: runs a command in a service's running container, with a
//! TTY when standard input is a terminal, input piped through otherwise, and
//! the command's exit code as berth's own.

use std::io::IsTerminal;

use clap::Args;

use super::{CliError, Settings};
use crate::app::exec::{self, ExecRequest};

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
    let request = ExecRequest {
        service: args.service,
        index: args.index,
        command: args.command,
        env: args.env,
        user: args.user,
        workdir: args.workdir,
        privileged: args.privileged,
        tty: !args.no_tty,
        stdin_is_terminal: std::io::stdin().is_terminal(),
        detach: args.detach,
    };
    exec::exec(settings, &request)
}
