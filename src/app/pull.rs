//! `pull`: pulls the services' images, in parallel.

use super::{Error, Settings, images, open};
use crate::engine::Engine;
use crate::reconcile::desired::Desired;
use crate::transfer::{Direction, ImageRef};

/// What `pull` is asked.
#[derive(Clone, Debug, Default)]
pub struct PullRequest {
    /// The services (all when empty).
    pub services: Vec<String>,
    /// Only the images the engine does not have (`--policy missing`).
    pub missing_only: bool,
    /// Warns about the images that could not be pulled instead of failing.
    pub ignore_pull_failures: bool,
    /// Also the services the named ones depend on.
    pub include_deps: bool,
    /// Leaves out the images the file can build.
    pub ignore_buildable: bool,
    /// Without progress.
    pub quiet: bool,
}

/// The images to pull, and those of them the file can build too.
struct ToPull {
    images: Vec<ImageRef>,
    buildable: Vec<String>,
}

/// Pulls the services' images; a failure for an image the file can build
/// is only a warning.
pub fn pull(settings: &Settings, request: &PullRequest) -> Result<(), Error> {
    let (runtime, prepared) = open::open_from_files(settings, &request.services, false)?;
    let ToPull { images, buildable } = to_pull(&prepared.desired, request);
    let engine = &prepared.engine;
    runtime.block_on(async {
        let images = match request.missing_only {
            true => missing(engine, images).await?,
            false => images,
        };
        let failures =
            images::transfer_failures(engine, settings, Direction::Pull, &images, request.quiet)
                .await;
        let (warned, failed): (Vec<_>, Vec<_>) = failures
            .into_iter()
            .partition(|(image, _)| request.ignore_pull_failures || buildable.contains(image));
        for (_, message) in &warned {
            settings.progress.warn(message);
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(Error::MissingImages(
                failed.into_iter().map(|(_, m)| m).collect(),
            ))
        }
    })
}

/// The images of the selected services, but those berth names itself
/// (`<project>-<service>`), which exist only once built.
fn to_pull(desired: &Desired, request: &PullRequest) -> ToPull {
    let mut images = Vec::new();
    let mut buildable = Vec::new();
    for service in images::selected_services(desired, &request.services, request.include_deps) {
        let built_here =
            service.build.is_some() && (request.ignore_buildable || service.image_named_by_berth);
        if built_here {
            continue;
        }
        if service.build.is_some() {
            buildable.push(service.spec.image.clone());
        }
        images.push(ImageRef {
            reference: service.spec.image.clone(),
            platform: service.spec.platform.clone(),
        });
    }
    images.sort();
    images.dedup();
    ToPull { images, buildable }
}

/// Those of `images` the engine does not have.
async fn missing<E: Engine>(engine: &E, images: Vec<ImageRef>) -> Result<Vec<ImageRef>, Error> {
    let present =
        futures_util::future::try_join_all(images.iter().map(|i| engine.image_id(&i.reference)))
            .await?;
    Ok(images
        .into_iter()
        .zip(present)
        .filter_map(|(image, id)| id.is_none().then_some(image))
        .collect())
}
