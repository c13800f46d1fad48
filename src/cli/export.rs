//! `berth export`: a service container's filesystem as a tar archive, on
//! standard output or in a file.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;

use super::{CliError, Settings};
use crate::app::export::{self, ExportRequest};

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The replica to export, when the service has several (default: the lowest)
    #[arg(long, value_name = "N")]
    pub index: Option<u32>,
    /// Write to a file, instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The service whose container to export
    #[arg(value_name = "SERVICE")]
    pub service: String,
}

pub fn run(settings: &Settings, args: ExportArgs) -> Result<i32, CliError> {
    // As `docker export`: an archive on a terminal is only noise.
    if args.output.is_none() && std::io::stdout().is_terminal() {
        return Err(CliError::Usage(
            "refusing to write a tar archive to a terminal: use -o FILE or redirect standard output"
                .into(),
        ));
    }
    let request = ExportRequest {
        service: args.service,
        index: args.index,
        output: args.output,
    };
    export::export(settings, &request)?;
    Ok(0)
}
