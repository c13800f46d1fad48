//! `berth stack`: the project deployed to Docker Swarm (see [`crate::swarm`]).

use std::collections::BTreeMap;

use clap::{Args, Subcommand};

use super::{CliError, Settings};
use crate::app::stack::{self, DeployRequest, StackSource};
use crate::swarm::execute::Event;
use crate::swarm::images::Resolve;

#[derive(Debug, Args)]
pub struct StackArgs {
    #[command(subcommand)]
    pub command: StackCommand,
}

#[derive(Debug, Subcommand)]
pub enum StackCommand {
    /// Deploy the project to the swarm, or update the stack to match it
    Deploy(DeployArgs),
    /// List the stacks of the swarm
    Ls,
    /// List the tasks of a stack
    Ps(NameArgs),
    /// List the services of a stack
    Services(NameArgs),
    /// Remove stacks: their services, networks, configs and secrets
    Rm(RmArgs),
    /// Print the service specs a deploy would send
    Config(ConfigArgs),
}

#[derive(Debug, Args)]
pub struct DeployArgs {
    /// Compose files (repeatable; default: berth's -f, or the usual discovery)
    #[arg(short = 'c', long = "compose-file", value_name = "FILE")]
    pub files: Vec<String>,
    /// The stack's name (default: the project's name)
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    /// Remove the stack's services that the file no longer has
    #[arg(long)]
    pub prune: bool,
    /// Return once the changes are sent, without waiting for convergence
    #[arg(short, long)]
    pub detach: bool,
    /// Send registry credentials to the swarm's nodes
    #[arg(long)]
    pub with_registry_auth: bool,
    /// When to pin images to their registry digest
    #[arg(long, value_enum, default_value = "always", value_name = "WHEN")]
    pub resolve_image: Resolve,
    /// Build the images of services with `build:` and push them first
    #[arg(long)]
    pub build: bool,
    /// Refuse keys a swarm cannot honour instead of warning about them
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args)]
pub struct NameArgs {
    /// The stack (default: the project's name)
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// The stacks (default: the project's name)
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Compose files (repeatable; default: berth's -f, or the usual discovery)
    #[arg(short = 'c', long = "compose-file", value_name = "FILE")]
    pub files: Vec<String>,
    /// The stack's name (default: the project's name)
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
}

pub fn run(settings: &Settings, args: StackArgs) -> Result<i32, CliError> {
    match args.command {
        StackCommand::Deploy(args) => deploy(settings, args),
        StackCommand::Ls => list(settings),
        StackCommand::Ps(args) => ps(settings, args),
        StackCommand::Services(args) => services(settings, args),
        StackCommand::Rm(args) => rm(settings, args),
        StackCommand::Config(args) => config(settings, args),
    }
}

fn deploy(settings: &Settings, args: DeployArgs) -> Result<i32, CliError> {
    let source = StackSource {
        files: args.files.clone(),
        name: args.name.clone(),
        strict: args.strict,
        building: args.build,
    };
    let converted = stack::load(settings, &source)?;
    if args.build && !settings.dry_run {
        let code = build_and_push(settings, &args)?;
        if code != 0 {
            return Ok(code);
        }
    }
    let request = DeployRequest {
        prune: args.prune,
        detach: args.detach,
        with_registry_auth: args.with_registry_auth,
        resolve_image: args.resolve_image,
    };
    // Quiet keeps warnings only.
    let quiet = settings.progress.mode() == crate::output::progress::Progress::Quiet;
    let emit = |event: Event| {
        if !quiet || matches!(event, Event::Warning(_)) {
            render(&event);
        }
    };
    stack::deploy(settings, converted.stack, &request, &emit)?;
    Ok(0)
}

/// `berth build --push` of the same files: a swarm's nodes pull every image,
/// so each one built must reach the registry its `image:` names.
fn build_and_push(settings: &Settings, args: &DeployArgs) -> Result<i32, CliError> {
    #[derive(clap::Parser)]
    struct Build {
        #[command(flatten)]
        args: super::build::BuildArgs,
    }
    let build = <Build as clap::Parser>::try_parse_from(["build", "--push"])
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let mut settings = settings.clone();
    if !args.files.is_empty() {
        settings.load.files = args.files.clone();
    }
    if let Some(name) = &args.name {
        settings.load.project_name = Some(name.clone());
    }
    super::build::run(&settings, build.args)
}

/// One line per event, as Docker Compose words its progress.
fn render(event: &Event) {
    match event {
        Event::Created { kind, name } => eprintln!(" {kind} {name}  Created"),
        Event::Updated { name } => eprintln!(" service {name}  Updated"),
        Event::Unchanged { name } => eprintln!(" service {name}  Unchanged"),
        Event::Removed { kind, name } => eprintln!(" {kind} {name}  Removed"),
        Event::KeptInUse { kind, name } => {
            eprintln!(" {kind} {name}  Kept (still in use by a service not in the file)");
        }
        Event::Waiting { name, on } => eprintln!(" service {name}  Waiting for {on}"),
        Event::Progress { name, done, wanted } => {
            eprintln!(" service {name}  {done}/{wanted}");
        }
        Event::Converged { name } => eprintln!(" service {name}  Converged"),
        Event::Warning(message) => eprintln!("WARN[0000] {message}"),
        Event::Would(what) => eprintln!("{}would {what}", crate::engine::dryrun::PREFIX),
    }
}

fn list(settings: &Settings) -> Result<i32, CliError> {
    let stacks = stack::list(settings)?;
    println!("{:<24} SERVICES", "NAME");
    for (name, count) in stacks {
        println!("{name:<24} {count}");
    }
    Ok(0)
}

fn ps(settings: &Settings, args: NameArgs) -> Result<i32, CliError> {
    let name = stack::stack_name(settings, args.name)?;
    let (services, mut tasks) = stack::tasks(settings, &name)?;
    let names: BTreeMap<&str, &str> = services
        .iter()
        .map(|s| (s.id.as_str(), s.name.as_str()))
        .collect();
    tasks.sort_by(|a, b| {
        (&a.service_id, a.slot, &b.created_at).cmp(&(&b.service_id, b.slot, &a.created_at))
    });
    println!(
        "{:<26} {:<28} {:<24} {:<14} {:<14} ERROR",
        "ID", "NAME", "IMAGE", "DESIRED STATE", "CURRENT STATE"
    );
    for task in &tasks {
        let service = names.get(task.service_id.as_str()).copied().unwrap_or("?");
        println!(
            "{:<26} {:<28} {:<24} {:<14} {:<14} {}",
            task.id,
            format!("{service}.{}", task.slot),
            task.image.split('@').next().unwrap_or_default(),
            task.desired_state,
            task.state,
            task.err
        );
    }
    Ok(0)
}

fn services(settings: &Settings, args: NameArgs) -> Result<i32, CliError> {
    let name = stack::stack_name(settings, args.name)?;
    let mut services = stack::services(settings, &name)?;
    services.sort_by(|a, b| a.name.cmp(&b.name));
    println!(
        "{:<26} {:<28} {:<16} {:<9} IMAGE",
        "ID", "NAME", "MODE", "REPLICAS"
    );
    for service in &services {
        let mode = service.spec.mode.as_ref();
        let mode = match mode {
            Some(m) if m.global.is_some() => "global",
            Some(m) if m.replicated_job.is_some() => "replicated job",
            Some(m) if m.global_job.is_some() => "global job",
            _ => "replicated",
        };
        let image = service
            .label(crate::swarm::IMAGE_LABEL)
            .unwrap_or_default()
            .to_string();
        println!(
            "{:<26} {:<28} {:<16} {:<9} {image}",
            service.id,
            service.name,
            mode,
            format!("{}/{}", service.running, service.desired)
        );
    }
    Ok(0)
}

fn rm(settings: &Settings, args: RmArgs) -> Result<i32, CliError> {
    let names = if args.names.is_empty() {
        vec![stack::stack_name(settings, None)?]
    } else {
        args.names
    };
    for name in stack::remove(settings, &names, &|event| render(&event))? {
        eprintln!("Nothing found in stack: {name}");
    }
    Ok(0)
}

fn config(settings: &Settings, args: ConfigArgs) -> Result<i32, CliError> {
    let source = StackSource {
        files: args.files,
        name: args.name,
        ..StackSource::default()
    };
    let converted = stack::load(settings, &source)?;
    let stack = &converted.stack;
    let objects = |objects: &[crate::swarm::convert::FileObject]| -> Vec<serde_json::Value> {
        objects
            .iter()
            .map(|o| serde_json::json!({ "Name": o.name, "External": o.external, "Labels": o.labels }))
            .collect()
    };
    let value = serde_json::json!({
        "Services": stack.services.values().map(|s| &s.spec).collect::<Vec<_>>(),
        "Networks": stack.networks.iter().map(|n| &n.create).collect::<Vec<_>>(),
        "Configs": objects(&stack.configs),
        "Secrets": objects(&stack.secrets),
    });
    let value = crate::swarm::diff::sorted(value);
    println!(
        "{}",
        serde_json::to_string_pretty(&value).unwrap_or_default()
    );
    Ok(0)
}
