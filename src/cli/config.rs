//! `berth config`: the resolved project, or facts about it.

use clap::{Args, ValueEnum};

use super::{CliError, Settings};
use crate::app::config::{self as app_config, ConfigRequest};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Yaml,
    Json,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Services to render (default: all enabled services)
    pub services: Vec<String>,
    /// Output format
    #[arg(long, value_enum, default_value = "yaml")]
    pub format: Format,
    /// Write the output to this file instead of standard output
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<String>,
    /// Only validate the configuration, print nothing
    #[arg(short, long)]
    pub quiet: bool,
    /// Print the service names, one per line
    #[arg(long = "services")]
    pub list_services: bool,
    /// Print the volume names, one per line
    #[arg(long)]
    pub volumes: bool,
    /// Print the network names, one per line
    #[arg(long)]
    pub networks: bool,
    /// Print the profile names, one per line
    #[arg(long = "profiles", id = "list_profiles")]
    pub list_profiles: bool,
    /// Print the image names, one per line
    #[arg(long)]
    pub images: bool,
    /// Print the config hash of services (`svc1,svc2` or `*`)
    #[arg(long, value_name = "SERVICES")]
    pub hash: Option<String>,
    /// Print the variables the model uses, with their defaults
    #[arg(long)]
    pub variables: bool,
    /// Print the environment used for interpolation
    #[arg(long)]
    pub environment: bool,
    /// Don't interpolate environment variables
    #[arg(long)]
    pub no_interpolate: bool,
    /// Don't normalize the model
    #[arg(long)]
    pub no_normalize: bool,
    /// Don't resolve file paths
    #[arg(long)]
    pub no_path_resolution: bool,
    /// Don't check model consistency
    #[arg(long)]
    pub no_consistency: bool,
    /// Don't resolve service env files: print `env_file` as written
    #[arg(long)]
    pub no_env_resolution: bool,
    /// Print the model names, one per line
    #[arg(long)]
    pub models: bool,
    /// Pin image tags to digests (asks the engine, and the registry when
    /// the local image has no digest)
    #[arg(long)]
    pub resolve_image_digests: bool,
    /// Print an override file that pins each service's image to its digest
    #[arg(long)]
    pub lock_image_digests: bool,
}

pub fn run(settings: &Settings, args: ConfigArgs) -> Result<i32, CliError> {
    app_config::config(settings, &args.into())?;
    Ok(0)
}

impl From<Format> for app_config::Format {
    fn from(format: Format) -> Self {
        match format {
            Format::Yaml => app_config::Format::Yaml,
            Format::Json => app_config::Format::Json,
        }
    }
}

impl From<ConfigArgs> for ConfigRequest {
    fn from(args: ConfigArgs) -> Self {
        ConfigRequest {
            services: args.services,
            format: args.format.into(),
            output: args.output,
            quiet: args.quiet,
            list_services: args.list_services,
            volumes: args.volumes,
            networks: args.networks,
            list_profiles: args.list_profiles,
            images: args.images,
            hash: args.hash,
            variables: args.variables,
            environment: args.environment,
            no_interpolate: args.no_interpolate,
            no_normalize: args.no_normalize,
            no_path_resolution: args.no_path_resolution,
            no_consistency: args.no_consistency,
            no_env_resolution: args.no_env_resolution,
            models: args.models,
            resolve_image_digests: args.resolve_image_digests,
            lock_image_digests: args.lock_image_digests,
        }
    }
}
