//! Command-line interface: clap definitions and settings resolved once.

mod config;
mod yaml_out;

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::diag::Diagnostics;
use crate::env_vars;
use crate::load::LoadOptions;
use crate::load::environment::Env;

/// Exit codes berth returns (documented in README.md).
pub mod exit {
    /// Any failure without a more specific code.
    pub const FAILURE: i32 = 1;
    /// Wrong command-line usage.
    pub const USAGE: i32 = 2;
    /// The project files are invalid (syntax, schema, references, interpolation).
    pub const INVALID_PROJECT: i32 = 15;
}

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
pub struct GlobalArgs {
    /// Compose configuration files (repeatable; `-` reads standard input)
    #[arg(short = 'f', long = "file", global = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// Project name
    #[arg(short = 'p', long = "project-name", global = true, value_name = "NAME")]
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
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse, resolve and render the Compose file in canonical format
    Config(config::ConfigArgs),
}

/// Runs berth with the given arguments and returns the process exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { exit::USAGE } else { 0 };
        }
    };
    let settings = Settings::from_process(&cli.global);
    let result = match cli.command {
        Command::Config(args) => config::run(&settings, args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprint!("{}", err.render(settings.color_stderr));
            err.exit_code()
        }
    }
}

/// Everything resolved once from flags and the environment.
pub struct Settings {
    pub load: LoadOptions,
    pub color_stderr: bool,
}

impl Settings {
    fn from_process(global: &GlobalArgs) -> Self {
        let os_env: Env = std::env::vars().collect();
        let cwd = os_env
            .get(env_vars::PWD)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute() && same_dir(p, std::env::current_dir().ok()))
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_else(|| PathBuf::from("/"));
        let color_stderr =
            std::io::stderr().is_terminal() && !os_env.contains_key(env_vars::NO_COLOR);
        let needs_stdin = global.files.iter().any(|f| f == "-");
        let stdin =
            needs_stdin.then(|| std::io::read_to_string(std::io::stdin()).unwrap_or_default());
        let load = LoadOptions {
            files: global.files.clone(),
            project_name: global.project_name.clone(),
            project_directory: global.project_directory.clone(),
            env_files: global.env_files.clone(),
            profiles: global
                .profiles
                .iter()
                .flat_map(|p| p.split(','))
                .map(str::to_string)
                .collect(),
            services: Vec::new(),
            cwd,
            os_env,
            stdin,
            ..Default::default()
        };
        Settings { load, color_stderr }
    }
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

/// An error a command ends with.
pub enum CliError {
    Project(Diagnostics),
    Other(String),
}

impl CliError {
    fn render(&self, color: bool) -> String {
        match self {
            CliError::Project(d) => d.render(color),
            CliError::Other(m) => format!("error: {m}\n"),
        }
    }

    fn exit_code(&self) -> i32 {
        match self {
            CliError::Project(_) => exit::INVALID_PROJECT,
            CliError::Other(_) => exit::FAILURE,
        }
    }
}

impl From<Diagnostics> for CliError {
    fn from(d: Diagnostics) -> Self {
        CliError::Project(d)
    }
}

/// Prints loader warnings the way Docker Compose users expect to see them.
pub fn print_warnings(warnings: &[crate::diag::Diagnostic], sources: &crate::diag::Sources) {
    for w in warnings {
        match w.span.and_then(|s| sources.locate(s)) {
            Some(at) => eprintln!("WARN[0000] {} ({at})", w.message),
            None => eprintln!("WARN[0000] {}", w.message),
        }
    }
}
