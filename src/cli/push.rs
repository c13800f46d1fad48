//! `berth push`: push the images of services that have `build:` and `image:`.

use crate::app::{images, open};
use clap::Args;

use super::{CliError, Settings};
use crate::reconcile::desired::Desired;
use crate::transfer::{Direction, ImageRef};

#[derive(Debug, Args)]
pub struct PushArgs {
    /// Services whose images to push (default: all)
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Push what it can and ignore images that failed
    #[arg(long)]
    pub ignore_push_failures: bool,
    /// Also push the images of the services the named ones depend on
    #[arg(long)]
    pub include_deps: bool,
    /// Push without printing progress information
    #[arg(short, long)]
    pub quiet: bool,
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

pub fn run(settings: &Settings, args: PushArgs) -> Result<i32, CliError> {
    let runtime = open::runtime()?;
    let prepared = open::prepare_from_files(&runtime, settings, &args.services, false)?;
    open::check_services(&prepared.desired, &args.services)?;
    let images = pushable_images(&prepared.desired, &args.services, args.include_deps);
    runtime.block_on(async {
        let failures = images::transfer_failures(
            &prepared.engine,
            settings,
            Direction::Push,
            &images,
            args.quiet,
        )
        .await;
        if failures.is_empty() {
            return Ok(0);
        }
        let messages: Vec<String> = failures.into_iter().map(|(_, m)| m).collect();
        if args.ignore_push_failures {
            for message in &messages {
                eprintln!("WARN[0000] {message}");
            }
            Ok(0)
        } else {
            Err(CliError::Other(messages.join("\nerror: ")))
        }
    })
}
