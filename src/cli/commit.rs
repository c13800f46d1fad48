//! `berth commit`: an image made of a service container's changes.

use crate::app::open;
use clap::{ArgAction, Args};

use super::{CliError, Settings};
use crate::engine::{CommitSpec, Engine};
use crate::events::{Emitter, Kind, Status, Word};

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
    let spec = CommitSpec {
        repository: repository.to_string(),
        tag: tag.to_string(),
        author: args.author.clone().unwrap_or_default(),
        message: args.message.clone().unwrap_or_default(),
        changes: args.change.clone(),
        pause: args.pause,
    };
    let (runtime, prepared) = open::open(settings, std::slice::from_ref(&args.service))?;
    let engine = prepared.engine;
    runtime.block_on(async {
        // A stopped container can be committed too; a running one is preferred.
        let container = &open::replica(
            &engine,
            &prepared.desired.project,
            prepared.listing,
            &args.service,
            args.index,
            false,
        )
        .await?;
        let name = &container.name;
        let committing = |events: Emitter| async move {
            events.emit(Kind::Container, name, Status::Working, Word::Committing, "");
            let result = engine.commit_container(&container.id, &spec).await;
            match &result {
                Ok(id) => events.emit(
                    Kind::Container,
                    name,
                    Status::Done,
                    Word::CommittedAs(id.clone()),
                    "",
                ),
                Err(_) => events.emit(Kind::Container, name, Status::Error, Word::Error, ""),
            }
            result
        };
        settings.progress.show("Committing", committing).await?;
        Ok(0)
    })
}
