//! Command-line interface: clap definitions and settings resolved once.

mod alpha;
mod attach;
mod build;
mod commit;
mod completion;
mod config;
mod cp;
mod down;
mod events;
mod exec;
mod export;
mod images;
mod lifecycle;
mod logs;
mod ls;
mod plugin;
mod port;
mod ps;
mod pull;
mod push;
mod run;
mod stack;
mod stats;
mod top;
mod up;
mod volumes;
mod wait;
mod watch;

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::env_vars;
use crate::load::LoadOptions;
use crate::load::environment::Env;

pub use crate::app::{Error as CliError, Settings};
pub use crate::output::print_warnings;

/// Resolving the settings is the command line's job.
impl Settings {
    pub(crate) fn from_process(global: &GlobalArgs) -> Result<Self, String> {
        let mut os_env: Env = std::env::vars().collect();
        if let Some(dir) = &global.docker_config {
            os_env.insert(env_vars::DOCKER_CONFIG.into(), dir.display().to_string());
        }
        let cwd = os_env
            .get(env_vars::PWD)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute() && same_dir(p, std::env::current_dir().ok()))
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_else(|| PathBuf::from("/"));
        let ansi = if global.no_ansi {
            eprintln!("option '--no-ansi' is DEPRECATED ! Please use '--ansi' instead.");
            Some(Ansi::Never)
        } else {
            global.ansi
        };
        let project_directory = global.project_directory.clone().or_else(|| {
            let workdir = global.workdir.clone()?;
            eprintln!(
                "option '--workdir' is DEPRECATED at root level! Please use '--project-directory' instead."
            );
            Some(workdir)
        });
        let color_stderr = match ansi {
            Some(Ansi::Always) => true,
            Some(Ansi::Never) => false,
            _ => std::io::stderr().is_terminal() && !os_env.contains_key(env_vars::NO_COLOR),
        };
        use crate::output::progress::Progress;
        let to_stdout = os_env
            .get(env_vars::COMPOSE_STATUS_STDOUT)
            .is_some_and(|v| crate::load::is_truthy(v));
        let progress = match (global.progress.unwrap_or(Progress::Auto), ansi) {
            (Progress::Tty, Some(Ansi::Never)) => {
                return Err("--progress tty cannot be combined with --ansi never".into());
            }
            (Progress::Plain, Some(Ansi::Always)) => {
                return Err("--progress plain cannot be combined with --ansi always".into());
            }
            (Progress::Auto, Some(Ansi::Never)) => Progress::Plain,
            (p, _) => p.resolve(!os_env.contains_key(env_vars::NO_COLOR), to_stdout),
        };
        let needs_stdin = global.files.iter().any(|f| f == "-");
        let stdin = needs_stdin.then(crate::load::read_stdin);
        // The default is generous: the engine, not berth, is the bottleneck.
        let parallel = global
            .parallel
            .or_else(|| {
                os_env
                    .get(env_vars::COMPOSE_PARALLEL_LIMIT)
                    .and_then(|v| v.parse().ok())
            })
            .filter(|&n| n > 0)
            .unwrap_or(64);
        let env_flag = |name: &str| {
            os_env
                .get(name)
                .is_some_and(|v| crate::gocompat::env_flag(v))
        };
        let compat_exit = env_flag(env_vars::COMPOSE_COMPAT_EXIT);
        let remove_orphans = env_flag(env_vars::COMPOSE_REMOVE_ORPHANS);
        let warn_orphans = !env_flag(env_vars::COMPOSE_IGNORE_ORPHANS);
        let compatibility = global.compatibility || env_flag(env_vars::COMPOSE_COMPATIBILITY);
        let watch_receivers = os_env
            .get(env_vars::BERTH_WATCH_RECEIVER)
            .is_none_or(|v| v != "0");
        let load = LoadOptions {
            files: global.files.clone(),
            project_name: global.project_name.clone(),
            project_directory,
            env_files: global.env_files.clone(),
            profiles: global
                .profiles
                .iter()
                .flat_map(|p| p.split(','))
                .map(str::to_string)
                .collect(),
            services: Vec::new(),
            all_resources: global.all_resources,
            compatibility,
            cwd,
            os_env,
            stdin,
            // A dry run writes nothing, not even a cache entry.
            remember_validation: !global.dry_run,
            ..Default::default()
        };
        Ok(Settings {
            load,
            color_stderr,
            show_secrets: global.show_secrets,
            dry_run: global.dry_run,
            compat_exit,
            progress: crate::output::progress::Printer::new(progress, to_stdout),
            parallel,
            engine: crate::engine::endpoint::EngineFlags {
                context: global.context.clone(),
                host: global.host.clone(),
                tls: global.tls,
                tls_verify: global.tlsverify,
                tls_ca: global.tlscacert.clone(),
                tls_cert: global.tlscert.clone(),
                tls_key: global.tlskey.clone(),
            },
            remove_orphans,
            warn_orphans,
            watch_receivers,
        })
    }
}

pub use crate::app::exit;

#[derive(Debug, Parser)]
#[command(
    name = "berth",
    version,
    about = "Runs Compose projects against the Docker Engine",
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags shared by every command, as Docker Compose names them.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Compose configuration files (repeatable; `-` reads standard input)
    // `-f` and `-p` go before the command only, as with `docker compose`:
    // after it, `logs -f` follows and `run -p` publishes.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<String>,
    /// Project name
    #[arg(short = 'p', long = "project-name", value_name = "NAME")]
    pub project_name: Option<String>,
    /// Alternate working directory (default: the directory of the first file)
    #[arg(long, global = true, value_name = "DIR")]
    pub project_directory: Option<String>,
    /// Alternate environment files (repeatable)
    #[arg(long = "env-file", global = true, value_name = "FILE")]
    pub env_files: Vec<String>,
    /// Profiles to enable (repeatable)
    #[arg(long = "profile", global = true, value_name = "PROFILE")]
    pub profiles: Vec<String>,
    /// Show what would change without changing anything
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// Progress output: auto, tty, plain, json or quiet
    #[arg(
        long,
        global = true,
        value_enum,
        env = "COMPOSE_PROGRESS",
        value_name = "TYPE"
    )]
    pub progress: Option<crate::output::progress::Progress>,
    /// When to print control characters: never, always or auto
    #[arg(
        long,
        global = true,
        value_enum,
        env = "COMPOSE_ANSI",
        value_name = "WHEN"
    )]
    pub ansi: Option<Ansi>,
    /// Maximum number of engine operations at once
    #[arg(long, global = true, value_name = "N")]
    pub parallel: Option<usize>,
    /// Include all resources, even those not used by services
    #[arg(long, global = true)]
    pub all_resources: bool,
    /// Name containers and built images as Docker Compose v1 did
    /// (project_service_1)
    #[arg(long, global = true)]
    pub compatibility: bool,
    /// The docker CLI context naming the engine (overrides DOCKER_HOST,
    /// DOCKER_CONTEXT and `docker context use`)
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// The engine's address (as DOCKER_HOST)
    #[arg(short = 'H', long, value_name = "HOST")]
    pub host: Option<String>,
    /// Use TLS; berth refuses it without --tlsverify
    #[arg(long, hide = true)]
    pub tls: bool,
    /// Use TLS and check the engine's certificate (as DOCKER_TLS_VERIFY)
    #[arg(long)]
    pub tlsverify: bool,
    /// The CA the engine's certificate is checked against (default: ca.pem of DOCKER_CERT_PATH)
    #[arg(long, value_name = "FILE")]
    pub tlscacert: Option<PathBuf>,
    /// berth's TLS certificate (default: cert.pem of DOCKER_CERT_PATH)
    #[arg(long, value_name = "FILE")]
    pub tlscert: Option<PathBuf>,
    /// berth's TLS key (default: key.pem of DOCKER_CERT_PATH)
    #[arg(long, value_name = "FILE")]
    pub tlskey: Option<PathBuf>,
    // The docker CLI's logging flags, which Docker Compose takes and ignores.
    #[arg(long, hide = true)]
    pub verbose: bool,
    #[arg(short = 'D', long, hide = true)]
    pub debug: bool,
    #[arg(short = 'l', long, hide = true, value_name = "LEVEL")]
    pub log_level: Option<String>,
    /// Show secret-looking values (passwords, tokens, `environment:`
    /// entries) in the file lines printed with an error; they are masked by default
    #[arg(long, global = true)]
    pub show_secrets: bool,
    /// Deprecated: --ansi never
    #[arg(long, hide = true)]
    pub no_ansi: bool,
    /// Deprecated: --project-directory
    #[arg(long, hide = true, value_name = "DIR")]
    pub workdir: Option<String>,
    /// The docker CLI's `--config` when berth runs as its plugin: read as
    /// `DOCKER_CONFIG`.
    #[arg(skip)]
    pub docker_config: Option<PathBuf>,
}

/// `--ansi`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Ansi {
    Never,
    Always,
    Auto,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse, resolve and render the Compose file in canonical format
    Config(config::ConfigArgs),
    /// Create and start containers
    Up(up::UpArgs),
    /// Create containers without starting them
    Create(up::CreateArgs),
    /// Stop and remove containers and networks
    Down(down::DownArgs),
    /// Show what `up` would do, and why
    Plan(up::PlanArgs),
    /// List containers
    Ps(ps::PsArgs),
    /// View output from containers
    Logs(logs::LogsArgs),
    /// Execute a command in a running container
    Exec(exec::ExecArgs),
    /// List the Compose projects on this engine
    Ls(ls::LsArgs),
    /// Print the host address of a published port
    Port(port::PortArgs),
    /// Run a one-off command on a service
    Run(run::RunArgs),
    /// Start existing containers
    Start(lifecycle::StartArgs),
    /// Stop running containers without removing them
    Stop(lifecycle::StopArgs),
    /// Restart containers
    Restart(lifecycle::RestartArgs),
    /// Send a signal to running containers
    Kill(lifecycle::KillArgs),
    /// Pause running containers
    Pause(lifecycle::PauseArgs),
    /// Unpause paused containers
    Unpause(lifecycle::PauseArgs),
    /// Remove stopped containers
    Rm(lifecycle::RmArgs),
    /// Set the number of containers of services
    Scale(up::ScaleArgs),
    /// Display the running processes
    Top(top::TopArgs),
    /// Build or rebuild services' images
    Build(build::BuildArgs),
    /// Pull service images
    Pull(pull::PullArgs),
    /// Push service images
    Push(push::PushArgs),
    /// List images used by the created containers
    Images(images::ImagesArgs),
    /// Copy files/folders between a service container and the local filesystem
    Cp(cp::CpArgs),
    /// Receive real time events from containers
    Events(events::EventsArgs),
    /// Block until the first container of the services stops
    Wait(wait::WaitArgs),
    /// Display a live stream of container resource usage statistics
    Stats(stats::StatsArgs),
    /// Attach local standard input, output, and error streams to a service's running container
    Attach(attach::AttachArgs),
    /// List volumes
    Volumes(volumes::VolumesArgs),
    /// Experimental commands (`viz`: the services as a Graphviz graph)
    Alpha(alpha::AlphaArgs),
    /// Export a service container's filesystem as a tar archive
    Export(export::ExportArgs),
    /// Create a new image from a service container's changes
    Commit(commit::CommitArgs),
    /// Show the berth version
    Version(VersionArgs),
    /// Bring services up, then sync, restart or rebuild them as files change
    Watch(watch::WatchArgs),
    /// Print a shell completion script (bash, zsh, fish or powershell)
    Completion(completion::CompletionArgs),
    /// Print berth's man page (roff)
    Man(completion::ManArgs),
    /// Deploy the project to Docker Swarm as a stack, and manage stacks
    Stack(stack::StackArgs),
}

/// `version`.
#[derive(Debug, clap::Args)]
pub struct VersionArgs {
    /// Show only the version number
    #[arg(long)]
    pub short: bool,
    /// Output format: pretty or json
    #[arg(short, long, default_value = "pretty")]
    pub format: String,
}

fn version(args: VersionArgs) -> Result<i32, CliError> {
    let version = env!("CARGO_PKG_VERSION");
    match (args.short, args.format.as_str()) {
        (true, _) => println!("{version}"),
        (false, "json") => println!("{}", serde_json::json!({ "version": version })),
        (false, "pretty") => println!("berth version {version}"),
        (false, other) => {
            return Err(CliError::Usage(format!(
                "--format {other:?} is not supported: use pretty or json"
            )));
        }
    }
    Ok(0)
}

/// Runs berth with the given arguments and returns the process exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> i32 {
    let args: Vec<OsString> = args.into_iter().collect();
    if let Some(code) = completion::answer_request(&args) {
        return code;
    }
    let run_by_docker =
        std::env::var_os(env_vars::DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND).is_some();
    let (args, docker_globals) = match plugin::invocation(&args, run_by_docker) {
        plugin::Invocation::Direct => (args, None),
        plugin::Invocation::Metadata => {
            println!("{}", plugin::metadata());
            return 0;
        }
        plugin::Invocation::Plugin { args, globals } => {
            plugin::follow_cli(
                std::env::var(env_vars::DOCKER_CLI_PLUGIN_SOCKET)
                    .ok()
                    .as_deref(),
            );
            (args, Some(globals))
        }
    };
    let mut cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            match misplaced_global(&e) {
                Some(message) => eprintln!("{message}"),
                None => {
                    let _ = e.print();
                }
            }
            return if e.use_stderr() { exit::USAGE } else { 0 };
        }
    };
    if let Some(globals) = docker_globals {
        globals.apply_to(&mut cli.global);
    }
    let settings = match Settings::from_process(&cli.global) {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("error: {message}");
            return exit::USAGE;
        }
    };
    let result = match cli.command {
        Command::Config(args) => config::run(&settings, args),
        Command::Up(args) => up::up(&settings, args),
        Command::Create(args) => up::create(&settings, args),
        Command::Down(args) => down::run(&settings, args),
        Command::Plan(args) => up::plan(&settings, args),
        Command::Ps(args) => ps::run(&settings, args),
        Command::Logs(args) => logs::run(&settings, args),
        Command::Exec(args) => exec::run(&settings, args),
        Command::Ls(args) => ls::run(&settings, args),
        Command::Port(args) => port::run(&settings, args),
        Command::Run(args) => run::run(&settings, args),
        Command::Start(args) => lifecycle::start(&settings, args),
        Command::Stop(args) => lifecycle::stop(&settings, args),
        Command::Restart(args) => lifecycle::restart(&settings, args),
        Command::Kill(args) => lifecycle::kill(&settings, args),
        Command::Pause(args) => lifecycle::pause(&settings, args),
        Command::Unpause(args) => lifecycle::unpause(&settings, args),
        Command::Rm(args) => lifecycle::rm(&settings, args),
        Command::Scale(args) => up::scale(&settings, args),
        Command::Top(args) => top::run(&settings, args),
        Command::Build(args) => build::run(&settings, args),
        Command::Pull(args) => pull::run(&settings, args),
        Command::Push(args) => push::run(&settings, args),
        Command::Images(args) => images::run(&settings, args),
        Command::Cp(args) => cp::run(&settings, args),
        Command::Events(args) => events::run(&settings, args),
        Command::Wait(args) => wait::run(&settings, args),
        Command::Stats(args) => stats::run(&settings, args),
        Command::Attach(args) => attach::run(&settings, args),
        Command::Volumes(args) => volumes::run(&settings, args),
        Command::Alpha(args) => alpha::run(&settings, args),
        Command::Export(args) => export::run(&settings, args),
        Command::Commit(args) => commit::run(&settings, args),
        Command::Version(args) => version(args),
        Command::Watch(args) => watch::run(&settings, args),
        Command::Completion(args) => completion::completion(args),
        Command::Man(args) => completion::man(args),
        Command::Stack(args) => stack::run(&settings, args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprint!(
                "{}",
                err.render(settings.color_stderr, settings.show_secrets)
            );
            match settings.compat_exit {
                true => exit::compose_compatible(err.exit_code()),
                false => err.exit_code(),
            }
        }
    }
}

/// A clearer message than clap's ("to pass '-f' as a value, use '-- -f'")
/// for `-f` or `-p` given after the command: like `docker compose`, berth
/// takes them before it (after it, `logs -f` follows and `run -p` publishes).
fn misplaced_global(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::UnknownArgument {
        return None;
    }
    let Some(ContextValue::String(given)) = e.get(ContextKind::InvalidArg) else {
        return None;
    };
    let flag = given.split('=').next().unwrap_or(given);
    let what = match flag {
        "-f" | "--file" => "the Compose file",
        "-p" | "--project-name" => "the project name",
        _ => return None,
    };
    Some(format!(
        "error: unexpected argument '{given}' after the command\n\n  \
         {flag} ({what}) goes before the command, as with `docker compose`: \
         berth {flag} VALUE COMMAND ...\n\nFor more information, try '--help'."
    ))
}

/// Keeps `$PWD` (which may go through a symlink) when it is the current directory.
fn same_dir(p: &std::path::Path, cwd: Option<PathBuf>) -> bool {
    match (
        std::fs::canonicalize(p),
        cwd.and_then(|c| std::fs::canonicalize(c).ok()),
    ) {
        (Ok(a), Some(b)) => a == b,
        _ => false,
    }
}

/// A `--since`/`--until` flag, when given, as Unix seconds (see [`crate::time::parse_instant`]).
pub fn instant_flag(text: &Option<String>) -> Result<Option<i64>, CliError> {
    text.as_deref()
        .map(|t| crate::time::parse_instant(t, crate::time::now()))
        .transpose()
        .map_err(|e| CliError::Usage(e.to_string()))
}
