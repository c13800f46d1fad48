//! `berth down`: stop and remove the project's containers and networks.

use crate::app::{apply, open};
use clap::Args;

use super::{CliError, Settings};
use crate::app::apply::RunSettings;
use crate::engine::Engine;
use crate::events::{Emitter, Kind, Status, Word};
use crate::output::progress::Printer;
use crate::reconcile::desired::Desired;
use crate::reconcile::observe::Observed;
use crate::reconcile::plan::{self, DownOptions};

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

pub fn run(settings: &Settings, args: DownArgs) -> Result<i32, CliError> {
    let runtime = open::runtime()?;
    let prepared = open::prepare(&runtime, settings, &[], !settings.dry_run)?;
    let (engine, desired, _lock) = (prepared.engine, prepared.desired, prepared.lock);
    let options_remove_everything = args.services.is_empty();
    let options = DownOptions {
        services: args.services,
        remove_orphans: args.remove_orphans,
        volumes: args.volumes,
        timeout: args.timeout,
    };
    let run = RunSettings::new(settings, None);
    runtime.block_on(async {
        let observed = open::observe(&engine, &desired, prepared.listing).await?;
        let plan = plan::plan_down(&desired, &observed, &options);
        if settings.dry_run {
            eprint!("{}", plan.render());
            return Ok(0);
        }
        let project = desired.project.clone();
        let images = match args.rmi {
            Some(which) => images_to_remove(&engine, &desired, &observed, which).await?,
            None => Vec::new(),
        };
        if plan.actions.is_empty() && images.is_empty() && options_remove_everything {
            // Docker Compose's words: a mistyped project name is not a success.
            eprintln!("WARN[0000] Warning: No resource found to remove for project {project:?}.");
        }
        apply::run_plan(engine.clone(), desired, &observed, &plan, &run).await?;
        remove_images(&engine, &images, &settings.progress).await;
        if options_remove_everything && !engine.dry_run() {
            // Files written for read-only services' secrets and configs, and
            // what watch gave each container.
            let _ = std::fs::remove_dir_all(crate::reconcile::host_files::host_files_dir(&project));
            let _ = std::fs::remove_dir_all(crate::watch::sync::manifest_dir(&project));
        }
        Ok(0)
    })
}

/// The images `--rmi` removes: with `local`, those berth names itself
/// (`<project>-<service>`, and without a file the images labelled with the
/// project); with `all`, also every image a service or container names.
async fn images_to_remove<E: Engine>(
    engine: &E,
    desired: &Desired,
    observed: &Observed,
    which: RemoveImages,
) -> Result<Vec<String>, CliError> {
    let mut images: Vec<String> = desired
        .services
        .values()
        .filter(|s| which == RemoveImages::All || s.image_named_by_berth)
        .map(|s| s.spec.image.clone())
        .collect();
    if desired.services.is_empty() {
        // No file: what the engine knows of the project.
        let labelled = engine.list_project_images(&desired.project).await?;
        images.extend(labelled.into_iter().flat_map(|i| i.repo_tags));
        if which == RemoveImages::All {
            images.extend(observed.containers.iter().map(|c| c.display.image.clone()));
        }
    }
    images.sort();
    images.dedup();
    Ok(images)
}

/// Removes `images`, each with a progress line; an image still used by
/// another container stays, with a warning.
async fn remove_images<E: Engine>(engine: &E, images: &[String], printer: &Printer) {
    let (events, receiver) = Emitter::channel();
    let renderer = printer.spawn("Running", receiver);
    let removals = images.iter().map(|image| {
        let events = events.clone();
        async move {
            match engine.remove_image(image).await {
                Ok(true) => events.emit(Kind::Image, image, Status::Done, Word::Removed, ""),
                Ok(false) => {}
                Err(e) => events.emit(
                    Kind::Image,
                    image,
                    Status::Warning,
                    Word::Kept,
                    &e.to_string(),
                ),
            }
        }
    });
    futures_util::future::join_all(removals).await;
    drop(events);
    let _ = renderer.await;
}
