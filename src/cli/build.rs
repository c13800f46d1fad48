//! `berth build`: build the images of services that have a `build:` section.

use std::collections::BTreeMap;

use clap::Args;

use super::{CliError, Settings, engine_cmd};
use crate::build::{self, BuildOptions};
use crate::events::Emitter;
use crate::render::{self, Progress};

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Services to build (default: all that have a `build:` section)
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Do not use cache when building the image
    #[arg(long)]
    pub no_cache: bool,
    /// Always attempt to pull a newer version of the base images
    #[arg(long)]
    pub pull: bool,
    /// Don't print anything to standard output
    #[arg(short, long)]
    pub quiet: bool,
    /// Set build-time variables: KEY=VALUE, or KEY to take its value from the environment
    #[arg(long, value_name = "KEY[=VALUE]")]
    pub build_arg: Vec<String>,
    /// Also build the services the named ones depend on
    #[arg(long)]
    pub with_dependencies: bool,
}

pub fn run(settings: &Settings, args: BuildArgs) -> Result<i32, CliError> {
    let runtime = engine_cmd::runtime()?;
    let prepared = engine_cmd::prepare(&runtime, settings, &args.services, false)?;
    engine_cmd::check_services(&prepared.desired, &args.services)?;
    let desired = prepared.desired;
    let options = BuildOptions {
        no_cache: args.no_cache,
        pull: args.pull,
        args: build_args(&args.build_arg, &settings.load.os_env),
        parallel: settings.parallel,
    };
    // The loader added the dependencies of the named services.
    let services: Vec<String> = if args.with_dependencies || args.services.is_empty() {
        desired.services.keys().cloned().collect()
    } else {
        args.services.clone()
    };
    if settings.dry_run {
        for service in services
            .iter()
            .filter(|s| desired.services[*s].build.is_some())
        {
            eprintln!("would build service {service}");
        }
        return Ok(0);
    }
    let progress = if args.quiet {
        Progress::Quiet
    } else {
        settings.progress
    };
    runtime.block_on(async {
        let (events, receiver) = Emitter::channel();
        let renderer = render::spawn(progress, receiver);
        let engine = prepared.engine;
        let built = build::build_services(&engine, &desired, &services, &options, &events).await;
        drop(events);
        let _ = renderer.await;
        built.map_err(CliError::Build)?;
        Ok(0)
    })
}

/// `--build-arg` values: `KEY=VALUE`, or `KEY` with the environment's
/// value (left out when the environment has none, as Docker Compose does).
fn build_args(flags: &[String], env: &crate::load::environment::Env) -> BTreeMap<String, String> {
    flags
        .iter()
        .filter_map(|flag| match flag.split_once('=') {
            Some((key, value)) => Some((key.to_string(), value.to_string())),
            None => env.get(flag).map(|value| (flag.clone(), value.clone())),
        })
        .collect()
}
