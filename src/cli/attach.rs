//! `berth attach`: joins the terminal, or standard input and output, to a
//! running container of a service, until it stops or the user detaches.

use crate::app::open;
use std::io::IsTerminal;

use clap::{ArgAction, Args};

use super::{CliError, Settings, pipe};
use crate::engine::{AttachOptions, Engine, RunState};

#[derive(Debug, Args)]
pub struct AttachArgs {
    /// The service
    #[arg(value_name = "SERVICE")]
    pub service: String,
    /// The replica, when the service has several (default: the first)
    #[arg(long, value_name = "N")]
    pub index: Option<u32>,
    /// Do not attach standard input
    #[arg(long)]
    pub no_stdin: bool,
    /// Send the signals berth receives to the container (Ctrl-C as SIGINT)
    #[arg(long, default_value_t = true, action = ArgAction::Set, value_name = "BOOL")]
    pub sig_proxy: bool,
    /// The keys that detach from the container (such as ctrl-p,ctrl-q)
    #[arg(long, value_name = "KEYS")]
    pub detach_keys: Option<String>,
}

pub fn run(settings: &Settings, args: AttachArgs) -> Result<i32, CliError> {
    let (runtime, prepared) = open::open(settings, std::slice::from_ref(&args.service))?;
    let engine = prepared.engine;
    runtime.block_on(async {
        let container = &open::replica(
            &engine,
            &prepared.desired.project,
            prepared.listing,
            &args.service,
            args.index,
            true,
        )
        .await?;
        let id = container.id.as_str();
        let tty = engine.inspect_status(id).await?.tty && std::io::stdin().is_terminal();
        let options = AttachOptions {
            stdin: !args.no_stdin,
            detach_keys: args.detach_keys.clone(),
        };
        let session = engine.attach_container(id, &options).await?;
        let input = match session.input {
            Some(input) if !args.no_stdin => input,
            _ => Box::pin(tokio::io::sink()),
        };
        if let Some(output) = session.output {
            let piped = pipe::pipe(output, input, tty, |rows, cols| {
                engine.resize_container(id, rows, cols)
            });
            // A TTY passes Ctrl-C to the container as a key instead.
            let interrupts = async {
                if args.sig_proxy && !tty {
                    pipe::forward_interrupts(&engine, id).await;
                }
                std::future::pending::<()>().await;
            };
            tokio::select! {
                _ = piped => {}
                _ = interrupts => {}
            }
        }
        // The stream ends when the container stops, or when the user detached.
        let status = engine.inspect_status(id).await?;
        if matches!(status.state, RunState::Running | RunState::Restarting) {
            return Ok(0);
        }
        Ok(i32::try_from(status.exit_code).unwrap_or(super::exit::FAILURE))
    })
}
