//! `berth logs`: the output of the project's containers, each line prefixed
//! with its service and replica (`web-1  | ...`), as Docker Compose prints it.
//! With `-f` it follows them, and the containers that start later too.

use std::io::IsTerminal;

use clap::Args;

use super::instant_flag;
use super::{CliError, Settings};
use crate::app::logs::{self, LogsRequest};
use crate::engine::LogOptions;
use crate::env_vars;
use crate::output::log_mux::LogStyle;

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Services whose logs to show (default: all)
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Follow log output
    #[arg(short, long)]
    pub follow: bool,
    /// Number of lines to show from the end of the logs of each container, or "all"
    #[arg(short = 'n', long, default_value = "all", value_name = "LINES")]
    pub tail: String,
    /// Show logs since a timestamp (2024-01-02T03:04:05Z) or relative time (42m)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Show logs before a timestamp (2024-01-02T03:04:05Z) or relative time (42m)
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Show timestamps
    #[arg(short, long)]
    pub timestamps: bool,
    /// Produce monochrome output
    #[arg(long)]
    pub no_color: bool,
    /// Don't print the prefix in logs
    #[arg(long)]
    pub no_log_prefix: bool,
    /// The replica of the service to show, when it has several
    #[arg(long, value_name = "N")]
    pub index: Option<u32>,
}

pub fn run(settings: &Settings, args: LogsArgs) -> Result<i32, CliError> {
    if args.tail != "all" && args.tail.parse::<u64>().is_err() {
        return Err(CliError::Usage(format!(
            "--tail takes a number of lines or \"all\", not {:?}",
            args.tail
        )));
    }
    // As Docker Compose: a replica number means nothing across services.
    // `--index 0` is Docker Compose's default: every replica.
    let index = args.index.filter(|&n| n > 0);
    if index.is_some() && args.services.len() != 1 {
        return Err(CliError::Usage(
            "--index requires one service to be selected".into(),
        ));
    }
    let options = LogOptions {
        follow: args.follow,
        tail: Some(args.tail.clone()),
        since: instant_flag(&args.since)?,
        until: instant_flag(&args.until)?,
        timestamps: args.timestamps,
    };
    let color = !args.no_color
        && std::io::stdout().is_terminal()
        && !settings.load.os_env.contains_key(env_vars::NO_COLOR);
    let request = LogsRequest {
        services: args.services,
        index,
        options,
        style: LogStyle {
            prefix: !args.no_log_prefix,
            color,
            split_streams: false,
        },
    };
    logs::logs(settings, &request)?;
    Ok(0)
}
