//! `berth run`: a one-off container of a service. Its dependencies are
//! brought up first and their conditions waited for; then it runs attached
//! (a TTY when standard input is a terminal, input piped otherwise) and
//! berth exits with its exit code.

use std::io::IsTerminal;

use clap::Args;

use super::{CliError, Settings};
use crate::app::run::{self, RunRequest};
use crate::reconcile::desired::build::PullPolicy;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Run the container in the background and print its name
    #[arg(short, long)]
    pub detach: bool,
    /// Remove the container when it exits
    #[arg(long)]
    pub rm: bool,
    /// Name of the container (default: <project>-<service>-run-<id>)
    #[arg(long)]
    pub name: Option<String>,
    /// Set an environment variable (KEY=VALUE, or KEY to pass on berth's own)
    #[arg(short, long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Add a label (KEY=VALUE)
    #[arg(short, long = "label", value_name = "KEY=VALUE")]
    pub label: Vec<String>,
    /// Run as this user
    #[arg(short, long)]
    pub user: Option<String>,
    /// Working directory inside the container
    #[arg(short, long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// Override the image's entrypoint
    #[arg(long)]
    pub entrypoint: Option<String>,
    /// Publish a container port: [[IP:]HOST:]CONTAINER[/PROTOCOL]
    #[arg(short, long, value_name = "PORT")]
    pub publish: Vec<String>,
    /// Publish the service's own ports too
    #[arg(short = 'P', long)]
    pub service_ports: bool,
    /// Give the container the service's network aliases
    #[arg(long)]
    pub use_aliases: bool,
    /// Don't start the services it depends on
    #[arg(long)]
    pub no_deps: bool,
    /// Don't allocate a TTY (by default one is, when standard input is a terminal)
    #[arg(short = 'T', long = "no-tty", visible_alias = "no-TTY")]
    pub no_tty: bool,
    /// Keep standard input open (the default, detached too with `-i`);
    /// `--interactive=false` gives the container none
    #[arg(
        short,
        long,
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true"
    )]
    pub interactive: Option<bool>,
    /// Mount a volume (repeatable): HOST:CONTAINER[:ro|rw], VOLUME:CONTAINER,
    /// or an anonymous CONTAINER path; relative host paths are from the
    /// current directory
    #[arg(short, long = "volume", value_name = "VOLUME")]
    pub volume: Vec<String>,
    /// Add a Linux capability (repeatable; added to the service's)
    #[arg(long, value_name = "CAP")]
    pub cap_add: Vec<String>,
    /// Drop a Linux capability (repeatable; added to the service's)
    #[arg(long, value_name = "CAP")]
    pub cap_drop: Vec<String>,
    /// Set environment variables from a file in `.env` format (repeatable;
    /// `-e` wins, then the earlier file)
    #[arg(long, value_name = "FILE")]
    pub env_from_file: Vec<String>,
    /// Build the images before starting the container
    #[arg(long)]
    pub build: bool,
    /// Pull images before running: always, missing, never or build (default:
    /// each service's pull_policy)
    #[arg(long, value_name = "POLICY", value_parser = super::up::parse_pull_policy)]
    pub pull: Option<PullPolicy>,
    /// Pull without printing progress information
    #[arg(long)]
    pub quiet_pull: bool,
    /// Suppress the build output
    #[arg(long)]
    pub quiet_build: bool,
    /// Print no progress (builds, pulls, dependencies); the command's output still shows
    #[arg(short, long)]
    pub quiet: bool,
    /// Remove containers of services the file no longer defines
    #[arg(long)]
    pub remove_orphans: bool,
    /// The service to run
    #[arg(value_name = "SERVICE")]
    pub service: String,
    /// The command and its arguments (default: the service's)
    #[arg(
        value_name = "COMMAND",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<String>,
}

pub fn run(settings: &Settings, args: RunArgs) -> Result<i32, CliError> {
    let request = RunRequest {
        service: args.service,
        command: args.command,
        detach: args.detach,
        rm: args.rm,
        name: args.name,
        env: args.env,
        label: args.label,
        user: args.user,
        workdir: args.workdir,
        entrypoint: args.entrypoint,
        publish: args.publish,
        service_ports: args.service_ports,
        use_aliases: args.use_aliases,
        no_deps: args.no_deps,
        no_tty: args.no_tty,
        interactive: args.interactive,
        stdin_is_terminal: std::io::stdin().is_terminal(),
        volume: args.volume,
        cap_add: args.cap_add,
        cap_drop: args.cap_drop,
        env_from_file: args.env_from_file,
        build: args.build,
        pull: args.pull,
        quiet_pull: args.quiet_pull,
        quiet_build: args.quiet_build,
        quiet: args.quiet,
        remove_orphans: args.remove_orphans,
    };
    run::run(settings, &request)
}
