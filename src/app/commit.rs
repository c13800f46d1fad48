//! `commit`: an image made of a service container's changes.

use super::{Error, Settings, open};
use crate::engine::{CommitSpec, Engine};
use crate::events::{Emitter, Kind, Status, Word};

/// What `commit` is asked.
#[derive(Clone, Debug, Default)]
pub struct CommitRequest {
    pub service: String,
    /// The replica (default: the lowest, a running one before a stopped one).
    pub index: Option<u32>,
    /// The image's name and what goes into it.
    pub spec: CommitSpec,
}

/// Commits the service's container; the new image's ID.
pub fn commit(settings: &Settings, request: &CommitRequest) -> Result<String, Error> {
    // A stopped container can be committed too; a running one is preferred.
    let (runtime, engine, container) =
        open::open_replica(settings, &request.service, request.index, false)?;
    runtime.block_on(async {
        let (container, engine) = (&container, &engine);
        let name = &container.name;
        let committing = |events: Emitter| async move {
            events.emit(Kind::Container, name, Status::Working, Word::Committing, "");
            let result = engine.commit_container(&container.id, &request.spec).await;
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
        Ok(settings.progress.show("Committing", committing).await?)
    })
}
