//! `berth commit`: an image made of a service container's changes.

use clap::{ArgAction, Args};

use super::{CliError, Settings};
use crate::app::commit::{self, CommitRequest};
use crate::engine::CommitSpec;

#[derive(Debug, Args)]
pub struct CommitArgs {
    /// Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")
    #[arg(short, long)]
    pub author: Option<String>,
    /// Apply a Dockerfile instruction to the created image (repeatable)
    #[arg(short, long, value_name = "INSTRUCTION")]
    pub change: Vec<String>,
    /// Commit message
    #[arg(short, long)]
    pub message: Option<String>,
    /// Pause the container during the commit (`--pause=false` not to)
    // A bare `-p` means true; `=` is needed for a value, as with the docker CLI's
    // booleans, so that `-p web` is not read as a value.
    #[arg(
        short,
        long,
        action = ArgAction::Set,
        num_args = 0..=1,
        require_equals = true,
        default_value_t = true,
        default_missing_value = "true",
        value_name = "BOOL"
    )]
    pub pause: bool,
    /// The replica to commit, when the service has several (default: the lowest)
    #[arg(long, value_name = "N")]
    pub index: Option<u32>,
    /// The service whose container to commit
    #[arg(value_name = "SERVICE")]
    pub service: String,
    /// The name of the image (none by default)
    #[arg(value_name = "REPOSITORY[:TAG]")]
    pub reference: Option<String>,
}

pub fn run(settings: &Settings, args: CommitArgs) -> Result<i32, CliError> {
    // No name: an image without one, as Docker Compose makes it.
    let (repository, tag) = args
        .reference
        .as_deref()
        .map_or(("", ""), crate::registry::split_tag);
    let request = CommitRequest {
        spec: CommitSpec {
            repository: repository.to_string(),
            tag: tag.to_string(),
            author: args.author.unwrap_or_default(),
            message: args.message.unwrap_or_default(),
            changes: args.change,
            pause: args.pause,
        },
        service: args.service,
        index: args.index,
    };
    commit::commit(settings, &request)?;
    Ok(0)
}
