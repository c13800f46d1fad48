//! `completion` and `man`: shell completion scripts and the man page.
//!
//! Completion is dynamic, as Docker Compose's: the script a shell sources
//! calls berth back (`COMPLETE=<shell> berth -- <words>`, clap_complete's
//! protocol) and berth answers with commands, flags, and the services and
//! profiles of the project in the current directory. `--static` prints a
//! script that never calls berth and completes commands and flags only.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};
use clap_complete::env::{CompleteEnv, EnvCompleter};

use super::{Cli, CliError};
use crate::app::error::Failure;

/// The environment variable of clap_complete's protocol.
const VAR: &str = "COMPLETE";

/// `completion`.
#[derive(Debug, clap::Args)]
pub struct CompletionArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: Shell,
    /// Print a script that completes commands and flags without running
    /// berth (no service or profile names)
    #[arg(long = "static")]
    pub static_script: bool,
}

/// The shells `completion` writes scripts for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

/// `man`.
#[derive(Debug, clap::Args)]
pub struct ManArgs {}

/// The command line as clap sees it, with service and profile names to
/// complete.
pub fn command() -> clap::Command {
    Cli::command()
        .mut_arg("profiles", |a| a.add(ArgValueCandidates::new(profiles)))
        .mut_subcommands(with_services)
}

/// Adds service names to the positional `SERVICE` arguments of a command
/// and of its subcommands.
fn with_services(cmd: clap::Command) -> clap::Command {
    cmd.mut_args(|a| {
        let service = a.is_positional()
            && a.get_value_names()
                .is_some_and(|names| names.iter().any(|n| n.as_str() == "SERVICE"))
            || a.get_id() == "services";
        if service {
            a.add(ArgValueCandidates::new(services))
        } else {
            a
        }
    })
    .mut_subcommands(with_services)
}

/// Answers a completion request (`COMPLETE` set): `Some` exit code when
/// there was one, `None` for a regular run.
pub fn answer_request(args: &[std::ffi::OsString]) -> Option<i32> {
    if std::env::var_os(VAR).is_none_or(|v| v.is_empty() || v == "0") {
        return None;
    }
    let cwd = std::env::current_dir().ok();
    match CompleteEnv::with_factory(command)
        .var(VAR)
        .try_complete(args.iter().cloned(), cwd.as_deref())
    {
        Ok(true) => Some(0),
        Ok(false) => None,
        Err(e) => {
            let _ = e.print();
            Some(super::exit::USAGE)
        }
    }
}

fn services() -> Vec<CompletionCandidate> {
    crate::app::complete::service_names()
        .into_iter()
        .map(CompletionCandidate::new)
        .collect()
}

fn profiles() -> Vec<CompletionCandidate> {
    crate::app::complete::profile_names()
        .into_iter()
        .map(CompletionCandidate::new)
        .collect()
}

pub fn completion(args: CompletionArgs) -> Result<i32, CliError> {
    let mut buf = Vec::new();
    let written = if args.static_script {
        let mut cmd = Cli::command();
        let shell = match args.shell {
            Shell::Bash => clap_complete::Shell::Bash,
            Shell::Zsh => clap_complete::Shell::Zsh,
            Shell::Fish => clap_complete::Shell::Fish,
            Shell::Powershell => clap_complete::Shell::PowerShell,
        };
        clap_complete::generate(shell, &mut cmd, "berth", &mut buf);
        Ok(())
    } else {
        let shell: &dyn EnvCompleter = match args.shell {
            Shell::Bash => &clap_complete::env::Bash,
            Shell::Zsh => &clap_complete::env::Zsh,
            Shell::Fish => &clap_complete::env::Fish,
            Shell::Powershell => &clap_complete::env::Powershell,
        };
        // `berth` as found on PATH when the shell completes.
        shell.write_registration(VAR, "berth", "berth", "berth", &mut buf)
    };
    written
        .and_then(|()| std::io::stdout().write_all(&buf))
        .map_err(|source| Failure::CannotWrite {
            what: "the script".into(),
            source,
        })?;
    Ok(0)
}

pub fn man(_args: ManArgs) -> Result<i32, CliError> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut buf)
        .and_then(|()| std::io::stdout().write_all(&buf))
        .map_err(|source| Failure::CannotWrite {
            what: "the man page".into(),
            source,
        })?;
    Ok(0)
}
