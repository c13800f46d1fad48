//! `berth pull`: pull the services' images, in parallel.

use crate::app::{images, open};
use clap::Args;

use super::{CliError, Settings};
use crate::engine::Engine;
use crate::transfer::{Direction, ImageRef};

#[derive(Debug, Args)]
pub struct PullArgs {
    /// Services whose images to pull (default: all)
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Apply pull policy: missing (only images not on the engine) or always
    #[arg(long, value_name = "POLICY", value_parser = ["missing", "always"])]
    pub policy: Option<String>,
    /// Pull what it can and ignore images that failed
    #[arg(long)]
    pub ignore_pull_failures: bool,
    /// Also pull the images of the services the named ones depend on
    #[arg(long)]
    pub include_deps: bool,
    /// Ignore images that can be built
    #[arg(long)]
    pub ignore_buildable: bool,
    /// Pull without printing progress information
    #[arg(short, long)]
    pub quiet: bool,
}

pub fn run(settings: &Settings, args: PullArgs) -> Result<i32, CliError> {
    let runtime = open::runtime()?;
    let prepared = open::prepare_from_files(&runtime, settings, &args.services, false)?;
    open::check_services(&prepared.desired, &args.services)?;
    let desired = prepared.desired;
    let mut images = Vec::new();
    // Images berth names itself (`<project>-<service>`) exist only once built.
    let mut buildable = Vec::new();
    for service in images::selected_services(&desired, &args.services, args.include_deps) {
        let built_here =
            service.build.is_some() && (args.ignore_buildable || service.image_named_by_berth);
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
    let missing_only = args.policy.as_deref() == Some("missing");
    runtime.block_on(async {
        if missing_only {
            let engine = &prepared.engine;
            let present = futures_util::future::try_join_all(
                images.iter().map(|i| engine.image_id(&i.reference)),
            )
            .await?;
            images = images
                .into_iter()
                .zip(present)
                .filter_map(|(image, id)| id.is_none().then_some(image))
                .collect();
        }
        let failures = images::transfer_failures(
            &prepared.engine,
            settings,
            Direction::Pull,
            &images,
            args.quiet,
        )
        .await;
        // A pull that fails for an image the file can build is only a warning.
        let (warned, failed): (Vec<_>, Vec<_>) = failures
            .into_iter()
            .partition(|(image, _)| args.ignore_pull_failures || buildable.contains(image));
        for (_, message) in &warned {
            eprintln!("WARN[0000] {message}");
        }
        if failed.is_empty() {
            Ok(0)
        } else {
            Err(CliError::MissingImages(
                failed.into_iter().map(|(_, m)| m).collect(),
            ))
        }
    })
}
