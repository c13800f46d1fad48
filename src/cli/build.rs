//! `berth build`: build the images of services that have a `build:` section.

use crate::app::{images, open};
use std::collections::BTreeMap;

use clap::Args;

use super::{CliError, Settings};
use crate::build::{self, BuildOptions};
use crate::transfer::Direction;

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
    /// Memory limit of the build containers (for example 512m or 2g)
    #[arg(short, long, value_name = "BYTES", value_parser = parse_memory)]
    pub memory: Option<i64>,
    /// Push the images after building them (those `push` would push)
    #[arg(long)]
    pub push: bool,
    /// Builder to use: berth builds with the engine's own builder, so only `default`
    #[arg(long, value_name = "NAME")]
    pub builder: Option<String>,
    /// buildx only: refused (berth builds with the engine's own BuildKit)
    #[arg(long)]
    pub check: bool,
    /// Bake only: refused (berth builds with the engine's own BuildKit)
    #[arg(long)]
    pub print: bool,
    /// buildx only: refused (berth builds with the engine's own BuildKit)
    #[arg(long, value_name = "VALUE")]
    pub provenance: Option<String>,
    /// buildx only: refused (berth builds with the engine's own BuildKit)
    #[arg(long, value_name = "VALUE")]
    pub sbom: Option<String>,
    /// buildx only: refused (berth builds with the engine's own BuildKit)
    #[arg(long, value_name = "SPEC")]
    pub ssh: Option<String>,
}

/// `--memory`: a size as `mem_limit` takes it.
fn parse_memory(text: &str) -> Result<i64, String> {
    match crate::model::ram_in_bytes(text).map_err(|e| e.to_string())? {
        bytes if bytes > 0 => Ok(bytes),
        _ => Err(format!("the memory limit must be above 0, not '{text}'")),
    }
}

/// The flags that need buildx (or its bake) and so cannot be honoured:
/// refused rather than ignored, since ignoring `--check` would report success.
fn refuse_buildx_flags(args: &BuildArgs) -> Result<(), CliError> {
    let builder = args.builder.as_deref().filter(|b| *b != "default");
    let flags = [
        (builder.is_some(), "--builder"),
        (args.check, "--check"),
        (args.print, "--print"),
        (args.provenance.is_some(), "--provenance"),
        (args.sbom.is_some(), "--sbom"),
        (args.ssh.is_some(), "--ssh"),
    ];
    let refused: Vec<&str> = flags
        .iter()
        .filter(|(set, _)| *set)
        .map(|(_, f)| *f)
        .collect();
    if refused.is_empty() {
        return Ok(());
    }
    Err(CliError::Usage(format!(
        "{} need{} buildx; berth builds with the Docker Engine's own BuildKit, which has no \
         such feature\n  hint: leave {} out, or build with `docker buildx` and then run berth \
         with `--no-build`",
        refused.join(", "),
        if refused.len() == 1 { "s" } else { "" },
        if refused.len() == 1 { "it" } else { "them" },
    )))
}

pub fn run(settings: &Settings, args: BuildArgs) -> Result<i32, CliError> {
    refuse_buildx_flags(&args)?;
    let runtime = open::runtime()?;
    let prepared = open::prepare_from_files(&runtime, settings, &args.services, false)?;
    open::check_services(&prepared.desired, &args.services)?;
    let desired = prepared.desired;
    let options = BuildOptions {
        no_cache: args.no_cache,
        pull: args.pull,
        args: build_args(&args.build_arg, &settings.load.os_env),
        parallel: settings.parallel,
        memory: args.memory.unwrap_or(0),
        classic: !settings.buildkit()?,
        env: settings.load.os_env.clone(),
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
        if args.push {
            for image in super::push::pushable_images(&desired, &services, false) {
                eprintln!("would push {}", image.reference);
            }
        }
        return Ok(0);
    }
    let printer = settings.progress.quiet_if(args.quiet);
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
            .map_err(CliError::Build)?;
        if !args.push {
            return Ok(0);
        }
        let images = super::push::pushable_images(&desired, &services, false);
        let failures =
            images::transfer_failures(&engine, settings, Direction::Push, &images, args.quiet)
                .await;
        if failures.is_empty() {
            return Ok(0);
        }
        let messages: Vec<String> = failures.into_iter().map(|(_, m)| m).collect();
        Err(CliError::Other(messages.join("\nerror: ")))
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
