//! `berth build`: build the images of services that have a `build:` section.

use clap::Args;

use super::{CliError, Settings};
use crate::app::build::{self, BuildRequest};

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
    let request = BuildRequest {
        services: args.services,
        no_cache: args.no_cache,
        pull: args.pull,
        quiet: args.quiet,
        build_args: args.build_arg,
        with_dependencies: args.with_dependencies,
        memory: args.memory,
        push: args.push,
    };
    build::build(settings, &request)?;
    Ok(0)
}
