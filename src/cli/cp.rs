//! `berth cp`: copies files and folders between a service's containers and
//! the host.

use clap::Args;

use super::{CliError, Settings};
use crate::app::cp::{self, CpRequest};

#[derive(Debug, Args)]
pub struct CpArgs {
    /// SERVICE:SRC_PATH, or SRC_PATH on the host (`-`: a tar archive on standard input)
    #[arg(value_name = "SRC")]
    pub source: String,
    /// DEST_PATH on the host (`-`: a tar archive on standard output), or SERVICE:DEST_PATH
    #[arg(value_name = "DEST")]
    pub destination: String,
    /// The replica to copy from or to (default: from the first, to every one)
    #[arg(long, value_name = "N")]
    pub index: Option<u32>,
    /// Archive mode: copied files belong to the container's user (into a
    /// container) or keep their owners (out of one)
    #[arg(short, long)]
    pub archive: bool,
    /// Always follow the symbolic link SRC_PATH
    #[arg(short = 'L', long)]
    pub follow_link: bool,
    /// Include the one-off containers of `run` (after the replicas)
    #[arg(long)]
    pub all: bool,
}

pub fn run(settings: &Settings, args: CpArgs) -> Result<i32, CliError> {
    let request = CpRequest {
        source: args.source,
        destination: args.destination,
        index: args.index,
        archive: args.archive,
        follow_link: args.follow_link,
        all: args.all,
    };
    cp::cp(settings, &request)?;
    Ok(0)
}
