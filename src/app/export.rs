//! `export`: a service container's filesystem as a tar archive, on
//! standard output or in a file, as the engine streams it.

use std::io::Write;
use std::path::{Path, PathBuf};

use futures_util::StreamExt;

use super::error::Failure;
use super::{Error, Settings, open};
use crate::engine::Engine;
use crate::events::{Emitter, Kind, Status, Word};

/// What `export` is asked.
#[derive(Clone, Debug, Default)]
pub struct ExportRequest {
    pub service: String,
    /// The replica (default: the lowest, a running one before a stopped one).
    pub index: Option<u32>,
    /// The file to write (default: standard output).
    pub output: Option<PathBuf>,
}

/// Exports the service's container.
pub fn export(settings: &Settings, request: &ExportRequest) -> Result<(), Error> {
    // A stopped container has a filesystem too; a running one is preferred.
    let (runtime, engine, container) =
        open::open_replica(settings, &request.service, request.index, false)?;
    runtime.block_on(async {
        let dest = match &request.output {
            Some(path) => format!("to {}", path.display()),
            None => String::new(),
        };
        let (container, engine) = (&container, &engine);
        let name = &container.name;
        let exporting = |events: Emitter| async move {
            events.emit(
                Kind::Container,
                name,
                Status::Working,
                Word::Exporting,
                &dest,
            );
            let result = write_archive(engine, &container.id, request.output.as_deref()).await;
            let (status, text) = match result {
                Ok(()) => (Status::Done, Word::Exported),
                Err(_) => (Status::Error, Word::Error),
            };
            events.emit(Kind::Container, name, status, text, &dest);
            result
        };
        settings.progress.show("Exporting", exporting).await
    })
}

/// Streams the archive of container `id` to `output`, or standard output;
/// a dry run, as Docker Compose's, writes neither.
async fn write_archive<E: Engine>(
    engine: &E,
    id: &str,
    output: Option<&Path>,
) -> Result<(), Error> {
    if engine.dry_run() {
        let to = output.map_or("standard output".into(), |p| p.display().to_string());
        eprintln!(
            "{}would export the container to {to}",
            crate::engine::dryrun::PREFIX
        );
        return Ok(());
    }
    let archive = engine.export_container(id);
    match output {
        None => {
            let mut out = std::io::stdout().lock();
            copy(archive, &mut out).await
        }
        Some(path) => {
            let cannot_write = |source| Failure::CannotWrite {
                what: path.display().to_string(),
                source,
            };
            // A partial archive never takes the place of the file: the
            // archive goes to a file beside it, renamed once complete.
            let partial = partial_path(path);
            let written = async {
                let mut file = std::fs::File::create(&partial).map_err(cannot_write)?;
                copy(archive, &mut file).await?;
                file.sync_all()
                    .and_then(|()| std::fs::rename(&partial, path))
                    .map_err(|e| cannot_write(e).into())
            }
            .await;
            if written.is_err() {
                let _ = std::fs::remove_file(&partial);
            }
            written
        }
    }
}

/// Where the archive for `path` is written until it is complete.
fn partial_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.berth-{}", std::process::id()))
}

async fn copy(
    mut archive: futures_util::stream::BoxStream<'static, crate::engine::Result<bytes::Bytes>>,
    out: &mut impl Write,
) -> Result<(), Error> {
    while let Some(chunk) = archive.next().await {
        out.write_all(&chunk?)
            .map_err(Failure::CannotWriteArchive)?;
    }
    Ok(out.flush().map_err(Failure::CannotWriteArchive)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_partial_archive_is_a_hidden_file_beside_the_output() {
        let partial = partial_path(Path::new("/tmp/out/web.tar"));
        assert_eq!(partial.parent(), Some(Path::new("/tmp/out")));
        assert!(
            partial
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".web.tar.berth-")
        );
    }
}
