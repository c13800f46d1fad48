//! `berth export`: a service container's filesystem as a tar archive, on
//! standard output or in a file, as the engine streams it.

use crate::app::open;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use futures_util::StreamExt;

use super::{CliError, Settings};
use crate::engine::Engine;
use crate::events::{Emitter, Kind, Status, Word};

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
    let (runtime, prepared) = open::open(settings, std::slice::from_ref(&args.service))?;
    let engine = prepared.engine;
    runtime.block_on(async {
        // A stopped container has a filesystem too; a running one is preferred.
        let container = &open::replica(
            &engine,
            &prepared.desired.project,
            prepared.listing,
            &args.service,
            args.index,
            false,
        )
        .await?;
        let dest = match &args.output {
            Some(path) => format!("to {}", path.display()),
            None => String::new(),
        };
        let name = &container.name;
        let exporting = |events: Emitter| async move {
            events.emit(
                Kind::Container,
                name,
                Status::Working,
                Word::Exporting,
                &dest,
            );
            let result = export(&engine, &container.id, args.output.as_deref()).await;
            let (status, text) = match result {
                Ok(()) => (Status::Done, Word::Exported),
                Err(_) => (Status::Error, Word::Error),
            };
            events.emit(Kind::Container, name, status, text, &dest);
            result
        };
        settings
            .progress
            .show("Exporting", exporting)
            .await
            .map(|()| 0)
    })
}

/// Streams the archive of container `id` to `output`, or standard output;
/// a dry run, as Docker Compose's, writes neither.
async fn export<E: Engine>(engine: &E, id: &str, output: Option<&Path>) -> Result<(), CliError> {
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
            // A partial archive never takes the place of the file: the
            // archive goes to a file beside it, renamed once complete.
            let partial = partial_path(path);
            let written = async {
                let mut file = std::fs::File::create(&partial).map_err(|e| {
                    CliError::Other(format!("cannot write {}: {e}", path.display()))
                })?;
                copy(archive, &mut file).await?;
                file.sync_all()
                    .and_then(|()| std::fs::rename(&partial, path))
                    .map_err(|e| CliError::Other(format!("cannot write {}: {e}", path.display())))
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
) -> Result<(), CliError> {
    let failed = |e: std::io::Error| CliError::Other(format!("cannot write the archive: {e}"));
    while let Some(chunk) = archive.next().await {
        out.write_all(&chunk?).map_err(failed)?;
    }
    out.flush().map_err(failed)
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
