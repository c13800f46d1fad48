//! `down`: stops and removes the project's containers and networks (and,
//! when asked, its volumes and images), and forgets what berth kept on the
//! host for it.

use super::apply::{self, RunSettings};
use super::open::{self, CliEngine};
use super::{Error, Settings};
use crate::engine::Engine;
use crate::events::{Kind, Status, Word};
use crate::output::progress::Printer;
use crate::reconcile::desired::Desired;
use crate::reconcile::observe::{Listing, Observed};
use crate::reconcile::plan::{self, DownOptions};

/// Which images `down` removes too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RemoveImages {
    /// Those berth named itself (no `image:` in the file).
    Local,
    /// Every service's image.
    All,
}

/// What `down` is asked.
#[derive(Clone, Debug, Default)]
pub struct DownRequest {
    pub options: DownOptions,
    pub images: Option<RemoveImages>,
}

/// Opens the project (without a file, what the engine's labels say of it)
/// under its lock, and takes it down.
pub fn run(settings: &Settings, request: &DownRequest) -> Result<(), Error> {
    let runtime = open::runtime()?;
    let prepared = open::prepare(&runtime, settings, &[], !settings.dry_run)?;
    let _lock = prepared.lock;
    let (engine, desired, listing) = (prepared.engine, prepared.desired, prepared.listing);
    runtime.block_on(down(engine, desired, listing, settings, request))
}

/// Plans and applies the removal; in a dry run, only shows the plan.
pub async fn down(
    engine: CliEngine,
    desired: Desired,
    listing: Option<Listing>,
    settings: &Settings,
    request: &DownRequest,
) -> Result<(), Error> {
    let everything = request.options.services.is_empty();
    let observed = open::observe(&engine, &desired, listing).await?;
    let plan = plan::plan_down(&desired, &observed, &request.options);
    if settings.dry_run {
        eprint!("{}", plan.render());
        return Ok(());
    }
    let project = desired.project.clone();
    let images = match request.images {
        Some(which) => images_to_remove(&engine, &desired, &observed, which).await?,
        None => Vec::new(),
    };
    if plan.actions.is_empty() && images.is_empty() && everything {
        // Docker Compose's words: a mistyped project name is not a success.
        settings.progress.warn(&format!(
            "Warning: No resource found to remove for project {project:?}."
        ));
    }
    let run = RunSettings::new(settings, None);
    apply::run_plan(engine.clone(), desired, &observed, &plan, &run).await?;
    remove_images(&engine, &images, &settings.progress).await;
    if everything && !engine.dry_run() {
        // Files written for read-only services' secrets and configs, and
        // what watch gave each container.
        let _ = std::fs::remove_dir_all(crate::reconcile::host_files::host_files_dir(&project));
        let _ = std::fs::remove_dir_all(crate::watch::sync::manifest_dir(&project));
    }
    Ok(())
}

/// The images `--rmi` removes: with `local`, those berth names itself
/// (`<project>-<service>`, and without a file the images labelled with the
/// project); with `all`, also every image a service or container names.
async fn images_to_remove<E: Engine>(
    engine: &E,
    desired: &Desired,
    observed: &Observed,
    which: RemoveImages,
) -> Result<Vec<String>, Error> {
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
    printer
        .show("Running", |events| async move {
            let removals = images.iter().map(|image| {
                let events = &events;
                async move {
                    match engine.remove_image(image).await {
                        Ok(true) => {
                            events.emit(Kind::Image, image, Status::Done, Word::Removed, "");
                        }
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
        })
        .await;
}
