//! `berth attach`: joins the terminal, or standard input and output, to a
//! running container of a service, until it stops or the user detaches.

use std::io::IsTerminal;

use clap::{ArgAction, Args};

use super::{CliError, Settings};
use crate::app::attach::{self, AttachRequest};

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
    let request = AttachRequest {
        service: args.service,
        index: args.index,
        stdin: !args.no_stdin,
        sig_proxy: args.sig_proxy,
        detach_keys: args.detach_keys,
        stdin_is_terminal: std::io::stdin().is_terminal(),
    };
    attach::attach(settings, &request)
}
