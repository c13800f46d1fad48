//! The images a plan needs: built and pulled as the services' policies
//! and the command line ask, before planning or after it.

use super::error::Failure;
use std::collections::BTreeMap;

use super::{Error, Settings};
use crate::build::{self, BuildOptions};
use crate::engine::Engine;
use crate::reconcile::desired::Desired;
use crate::reconcile::desired::build::PullPolicy;
use crate::reconcile::observe::Observed;
use crate::reconcile::plan::Plan;
use crate::transfer::{self, Direction, ImageRef, PullRecord, TransferError};

/// What the command line says about images: `--build`, `--no-build`,
/// `--pull POLICY` (which overrides every service's `pull_policy`), and
/// `--quiet-build`/`--quiet-pull` (no progress for builds or pulls).
#[derive(Clone, Copy, Debug, Default)]
pub struct ImageChoices {
    pub build: bool,
    pub no_build: bool,
    pub pull: Option<PullPolicy>,
    pub quiet_build: bool,
    pub quiet_pull: bool,
}

/// Builds and pulls what the services' policies ask for before planning,
/// so that the plan sees the new image IDs (and recreates what they
/// change): images of services with `build:` that are missing (or all of
/// them with `--build` or `pull_policy: build`), and pulls for `always` and
/// for stale `daily`/`weekly`/`every_*` images. Missing images of other
/// services are left to [`pull_missing`].
pub async fn prepare_images<E: Engine>(
    engine: &E,
    settings: &Settings,
    desired: &Desired,
    observed: &mut Observed,
    choices: ImageChoices,
) -> Result<(), Error> {
    let env = &settings.load.os_env;
    let record = PullRecord::open(env);
    let mut to_build = Vec::new();
    let mut to_pull = Vec::new();
    let mut never = Vec::new();
    for service in desired.services.values() {
        let policy = choices.pull.unwrap_or(service.pull_policy);
        let image = &service.spec.image;
        let local = matches!(observed.images.get(image), Some(Some(_)));
        let buildable = service.build.is_some() && !choices.no_build;
        if buildable && (choices.build || policy == PullPolicy::Build || !local) {
            to_build.push(service.name.clone());
        } else if policy == PullPolicy::Never && !local {
            never.push(format!(
                "service {:?}: the image {image} is not on this engine, and pull_policy is never",
                service.name
            ));
        } else if match policy {
            PullPolicy::Always => true,
            PullPolicy::Refresh(every) => !local || !record.is_fresh(image, every),
            _ => false,
        } {
            to_pull.push(ImageRef {
                reference: image.clone(),
                platform: service.spec.platform_to_use().to_string(),
            });
        }
    }
    if !never.is_empty() {
        return Err(Failure::NeverPulled(never).into());
    }
    to_pull.sort();
    to_pull.dedup();
    if to_build.is_empty() && to_pull.is_empty() {
        return Ok(());
    }
    // Builds, then pulls: each with a renderer of its own, so that either
    // can be quiet.
    let built = if to_build.is_empty() {
        Ok(BTreeMap::new())
    } else {
        let options = BuildOptions {
            parallel: settings.parallel,
            classic: !settings.buildkit()?,
            env: settings.load.os_env.clone(),
            ..Default::default()
        };
        let printer = settings.progress.quiet_if(choices.quiet_build);
        printer
            .show("Building", |events| async move {
                build::build_services(engine, desired, &to_build, &options, &events).await
            })
            .await
    };
    let pulled = if to_pull.is_empty() {
        Vec::new()
    } else {
        transfer_images(
            engine,
            settings,
            Direction::Pull,
            &to_pull,
            choices.quiet_pull,
        )
        .await
    };
    for (image, id) in built.map_err(Error::Build)? {
        observed.images.insert(image, Some(id));
    }
    note_pulled(pulled, observed)
}

/// Pulls the images the plan needs that the engine does not have. Images
/// that cannot be pulled are reported together, each with its reason.
pub async fn pull_missing<E: Engine>(
    engine: &E,
    settings: &Settings,
    desired: &Desired,
    observed: &mut Observed,
    plan: &Plan,
    quiet: bool,
) -> Result<(), Error> {
    let missing = missing_images(desired, observed, plan);
    pull_images(engine, settings, &missing, observed, quiet).await
}

/// Pulls `images` (without progress when `quiet`), noting their IDs in
/// `observed`; the failures are reported together once every pull has ended.
pub async fn pull_images<E: Engine>(
    engine: &E,
    settings: &Settings,
    images: &[ImageRef],
    observed: &mut Observed,
    quiet: bool,
) -> Result<(), Error> {
    if images.is_empty() {
        return Ok(());
    }
    let results = transfer_images(engine, settings, Direction::Pull, images, quiet).await;
    note_pulled(results, observed)
}

/// Pulls or pushes `images` with a progress line each (none when `quiet`);
/// for each, its ID after a pull, or why it failed.
pub async fn transfer_images<E: Engine>(
    engine: &E,
    settings: &Settings,
    direction: Direction,
    images: &[ImageRef],
    quiet: bool,
) -> Vec<(String, Result<String, TransferError>)> {
    let printer = settings.progress.quiet_if(quiet);
    printer
        .show(direction.title(), |events| async move {
            transfer::transfer_all(
                engine,
                direction,
                images,
                &settings.load.os_env,
                settings.parallel,
                &events,
            )
            .await
        })
        .await
}

/// The images of [`transfer_images`] that failed, with their messages (the
/// form the commands print and gather into [`Error::MissingImages`]).
pub async fn transfer_failures<E: Engine>(
    engine: &E,
    settings: &Settings,
    direction: Direction,
    images: &[ImageRef],
    quiet: bool,
) -> Vec<(String, String)> {
    transfer_images(engine, settings, direction, images, quiet)
        .await
        .into_iter()
        .filter_map(|(image, result)| result.err().map(|e| (image, e.to_string())))
        .collect()
}

/// The services `pull` and `push` work on: the named ones (all when none
/// is), and with `include_deps` the ones they depend on (which the loader added).
pub fn selected_services<'a>(
    desired: &'a Desired,
    named: &'a [String],
    include_deps: bool,
) -> impl Iterator<Item = &'a crate::reconcile::desired::DesiredService> + 'a {
    desired
        .services
        .values()
        .filter(move |s| named.is_empty() || include_deps || named.contains(&s.name))
}

/// Notes the IDs of the images pulled; an error listing the failures.
fn note_pulled(
    results: Vec<(String, Result<String, TransferError>)>,
    observed: &mut Observed,
) -> Result<(), Error> {
    let mut failed = Vec::new();
    for (image, result) in results {
        match result {
            Ok(id) => {
                observed.images.insert(image, Some(id));
            }
            Err(e) => failed.push(e.to_string()),
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::MissingImages(failed))
    }
}

/// Images the plan needs that are not on the engine, with the platform the
/// service asks for (empty for the engine's).
fn missing_images(desired: &Desired, observed: &Observed, plan: &Plan) -> Vec<ImageRef> {
    let mut missing: Vec<ImageRef> = plan
        .actions
        .iter()
        .filter_map(|a| match &a.op {
            crate::reconcile::plan::Op::CreateContainer { service, .. } => {
                let spec = &desired.services[service].spec;
                matches!(observed.images.get(&spec.image), Some(None) | None).then(|| ImageRef {
                    reference: spec.image.clone(),
                    platform: spec.platform_to_use().to_string(),
                })
            }
            _ => None,
        })
        .collect();
    missing.sort();
    missing.dedup();
    missing
}
