//! `build`: builds the images of the services that have a `build:`
//! section, and with `--push` pushes them.

use std::collections::BTreeMap;

use super::{Error, Settings, open, push};
use crate::build::{self, BuildOptions};
use crate::load::environment::Env;
use crate::output::progress::Printer;
use crate::reconcile::desired::Desired;

/// What `build` is asked.
#[derive(Clone, Debug, Default)]
pub struct BuildRequest {
    /// The services (all that have `build:` when empty).
    pub services: Vec<String>,
    pub no_cache: bool,
    /// Always pulls newer base images.
    pub pull: bool,
    /// Without progress (nor the push's).
    pub quiet: bool,
    /// `--build-arg`: `KEY=VALUE`, or `KEY` for the environment's value.
    pub build_args: Vec<String>,
    /// Also the services the named ones depend on.
    pub with_dependencies: bool,
    /// Memory limit of the build containers, in bytes.
    pub memory: Option<i64>,
    /// Pushes the images once built (those `push` would push).
    pub push: bool,
}

/// Builds (and pushes) the services' images; a dry run only says which.
pub fn build(settings: &Settings, request: &BuildRequest) -> Result<(), Error> {
    let (runtime, prepared) = open::open_from_files(settings, &request.services, false)?;
    let desired = prepared.desired;
    let options = BuildOptions {
        no_cache: request.no_cache,
        pull: request.pull,
        args: build_args(&request.build_args, &settings.load.os_env),
        parallel: settings.parallel,
        memory: request.memory.unwrap_or(0),
        classic: !settings.buildkit()?,
        env: settings.load.os_env.clone(),
    };
    let services = services_to_build(&desired, request);
    if settings.dry_run {
        show_dry_run(&desired, &services, request.push, &settings.progress);
        return Ok(());
    }
    let printer = settings.progress.quiet_if(request.quiet);
    runtime.block_on(async {
        let engine = prepared.engine;
        printer
            .show("Building", |events| {
                let (engine, desired, services, options) = (&engine, &desired, &services, &options);
                async move {
                    build::build_services(engine, desired, services, options, &events).await
                }
            })
            .await
            .map_err(Error::Build)?;
        if !request.push {
            return Ok(());
        }
        let images = push::pushable_images(&desired, &services, false);
        Ok(push::push_images(&engine, settings, &images, request.quiet).await?)
    })
}

/// The named services, or all of them with `--with-dependencies` or none
/// named (the loader added the dependencies of the named ones).
fn services_to_build(desired: &Desired, request: &BuildRequest) -> Vec<String> {
    if request.with_dependencies || request.services.is_empty() {
        desired.services.keys().cloned().collect()
    } else {
        request.services.clone()
    }
}

/// What a build would do.
fn show_dry_run(desired: &Desired, services: &[String], and_push: bool, printer: &Printer) {
    for service in services
        .iter()
        .filter(|s| desired.services[*s].build.is_some())
    {
        printer.note(&format!("would build service {service}"));
    }
    if and_push {
        for image in push::pushable_images(desired, services, false) {
            printer.note(&format!("would push {}", image.reference));
        }
    }
}

/// `--build-arg` values: `KEY=VALUE`, or `KEY` with the environment's
/// value (left out when the environment has none, as Docker Compose does).
fn build_args(flags: &[String], env: &Env) -> BTreeMap<String, String> {
    flags
        .iter()
        .filter_map(|flag| match flag.split_once('=') {
            Some((key, value)) => Some((key.to_string(), value.to_string())),
            None => env.get(flag).map(|value| (flag.clone(), value.clone())),
        })
        .collect()
}
