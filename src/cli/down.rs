//! `berth down`: stop and remove the project's containers and networks.

use clap::Args;

use super::{CliError, Settings};
use crate::app::down::{self, DownRequest};
use crate::reconcile::plan::DownOptions;

#[derive(Debug, Default, Args)]
pub struct DownArgs {
    /// Services to stop and remove (default: the whole project)
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Remove named volumes declared in the "volumes" section and anonymous volumes
    #[arg(short = 'v', long)]
    pub volumes: bool,
    /// Remove containers for services not defined in the Compose file
    #[arg(long)]
    pub remove_orphans: bool,
    /// Shutdown timeout in seconds
    #[arg(short = 't', long, value_name = "SECONDS")]
    pub timeout: Option<i64>,
    /// Remove images used by services: "local" removes only the images berth
    /// named itself (no `image:` in the file), "all" every service's image
    #[arg(long, value_name = "TYPE", value_enum)]
    pub rmi: Option<RemoveImages>,
}

/// `--rmi`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RemoveImages {
    Local,
    All,
}

impl From<RemoveImages> for down::RemoveImages {
    fn from(which: RemoveImages) -> Self {
        match which {
            RemoveImages::Local => down::RemoveImages::Local,
            RemoveImages::All => down::RemoveImages::All,
        }
    }
}

pub fn run(settings: &Settings, args: DownArgs) -> Result<i32, CliError> {
    let request = DownRequest {
        options: DownOptions {
            services: args.services,
            remove_orphans: args.remove_orphans,
            volumes: args.volumes,
            timeout: args.timeout,
        },
        images: args.rmi.map(Into::into),
    };
    down::run(settings, &request)?;
    Ok(0)
}
