//! `push`: pushes the images the file both builds and names.

use super::error::Failure;
use super::{Error, Settings, images, open};
use crate::engine::Engine;
use crate::reconcile::desired::Desired;
use crate::transfer::{Direction, ImageRef};

/// What `push` is asked.
#[derive(Clone, Debug, Default)]
pub struct PushRequest {
    /// The services (all when empty).
    pub services: Vec<String>,
    /// Warns about the images that could not be pushed instead of failing.
    pub ignore_push_failures: bool,
    /// Also the services the named ones depend on.
    pub include_deps: bool,
    /// Without progress.
    pub quiet: bool,
}

/// Pushes the services' images.
pub fn push(settings: &Settings, request: &PushRequest) -> Result<(), Error> {
    let (runtime, prepared) = open::open_from_files(settings, &request.services, false)?;
    let images = pushable_images(&prepared.desired, &request.services, request.include_deps);
    let pushed = runtime.block_on(push_images(
        &prepared.engine,
        settings,
        &images,
        request.quiet,
    ));
    match pushed {
        Err(Failure::PushFailed(messages)) if request.ignore_push_failures => {
            for message in &messages {
                settings.progress.warn(message);
            }
            Ok(())
        }
        pushed => Ok(pushed?),
    }
}

/// Pushes `images` (without progress when `quiet`); the failures together
/// once every push has ended.
pub async fn push_images<E: Engine>(
    engine: &E,
    settings: &Settings,
    images: &[ImageRef],
    quiet: bool,
) -> Result<(), Failure> {
    let failures =
        images::transfer_failures(engine, settings, Direction::Push, images, quiet).await;
    if failures.is_empty() {
        return Ok(());
    }
    Err(Failure::PushFailed(
        failures.into_iter().map(|(_, m)| m).collect(),
    ))
}

/// The images `push` pushes for these services (all when none is named): as
/// Docker Compose, only images the file both builds and names, every tag.
pub fn pushable_images(
    desired: &Desired,
    services: &[String],
    include_deps: bool,
) -> Vec<ImageRef> {
    let mut images = Vec::new();
    for service in images::selected_services(desired, services, include_deps) {
        let Some(build) = service
            .build
            .as_ref()
            .filter(|_| !service.image_named_by_berth)
        else {
            continue;
        };
        for tag in std::iter::once(&build.spec.tag).chain(&build.spec.extra_tags) {
            images.push(ImageRef {
                reference: tag.clone(),
                platform: String::new(),
            });
        }
    }
    images.sort();
    images.dedup();
    images
}
