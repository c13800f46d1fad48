//! `berth stack`: the project deployed to Docker Swarm (see [`crate::swarm`]).

use crate::app::open;
use std::collections::BTreeMap;

use clap::{Args, Subcommand};

use super::{CliError, Settings, print_warnings};
use crate::engine::RegistryAuth;
use crate::engine::docker::DockerEngine;
use crate::engine::swarm::Role;
use crate::env_vars;
use crate::swarm::execute::{self, Event};
use crate::swarm::images::Resolve;
use crate::swarm::{observe, plan};

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

/// The project loaded from `files` (else berth's own) as the stack `name`.
fn load(
    settings: &Settings,
    files: &[String],
    name: Option<&str>,
    strict: bool,
    building: bool,
) -> Result<crate::swarm::load::Converted, CliError> {
    let mut options = settings.load.clone();
    if !files.is_empty() {
        options.files = files.to_vec();
    }
    if let Some(name) = name {
        options.project_name = Some(name.to_string());
    }
    let loaded = crate::load::load(&options)?;
    print_warnings(&loaded.warnings, &loaded.sources);
    let stack_name = loaded.name.clone();
    let converted = crate::swarm::load::stack(&loaded, &stack_name, strict, building)?;
    print_warnings(&converted.warnings, &converted.sources);
    Ok(converted)
}

/// The engine, refused unless it manages a swarm.
async fn manager(settings: &Settings) -> Result<DockerEngine, CliError> {
    let endpoint = settings.endpoint()?;
    let pinned = settings.load.os_env.get(env_vars::DOCKER_API_VERSION);
    let engine = DockerEngine::connect(&endpoint, pinned.map(String::as_str)).await?;
    match engine.swarm_role().await? {
        Role::Manager => Ok(engine),
        Role::NotManager(what) => Err(CliError::Other(format!(
            "the Docker Engine at {} is not a swarm manager (it is {what})\n  hint: make it \
             one with `docker swarm init`, or point --context or DOCKER_HOST at a manager \
             of your swarm",
            engine.host()
        ))),
    }
}

fn deploy(settings: &Settings, args: DeployArgs) -> Result<i32, CliError> {
    let converted = load(
        settings,
        &args.files,
        args.name.as_deref(),
        args.strict,
        args.build,
    )?;
    let mut stack = converted.stack;
    if args.build && !settings.dry_run {
        let code = build_and_push(settings, &args)?;
        if code != 0 {
            return Ok(code);
        }
    }
    let auth = if args.with_registry_auth {
        credentials(settings, &stack)?
    } else {
        BTreeMap::new()
    };
    let runtime = open::runtime()?;
    runtime.block_on(async {
        let engine = manager(settings).await?;
        let observed = observe::observe(&engine, &stack).await?;
        let warn = |m: String| eprintln!("WARN[0000] {m}");
        crate::swarm::images::resolve(
            &engine,
            &mut stack,
            &observed,
            args.resolve_image,
            &auth,
            &warn,
        )
        .await;
        let options = plan::Options { prune: args.prune };
        let plan = plan::plan(&stack, &observed, options)
            .map_err(|e| CliError::Other(format!("{}\n  hint: {}", e.message, e.hint)))?;
        if settings.dry_run {
            print!("{plan}");
            return Ok(0);
        }
        let quiet = settings.progress.mode() == crate::output::progress::Progress::Quiet;
        if !quiet {
            eprint!("{plan}");
        }
        // Quiet keeps warnings only.
        let emit = |event: Event| {
            if !quiet || matches!(event, Event::Warning(_)) {
                render(&event);
            }
        };
        let options = execute::Options {
            detach: args.detach,
            auth: &auth,
            emit: &emit,
        };
        execute::execute(&engine, &stack, plan, observed.object_ids(), &options)
            .await
            .map_err(CliError::Swarm)?;
        Ok(0)
    })
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
        .map_err(|e| CliError::Other(e.to_string()))?;
    let mut settings = settings.clone();
    if !args.files.is_empty() {
        settings.load.files = args.files.clone();
    }
    if let Some(name) = &args.name {
        settings.load.project_name = Some(name.clone());
    }
    super::build::run(&settings, build.args)
}

/// The credentials berth resolves for pulls, for each service's image.
fn credentials(
    settings: &Settings,
    stack: &crate::swarm::convert::Stack,
) -> Result<BTreeMap<String, RegistryAuth>, CliError> {
    let mut auth = BTreeMap::new();
    for service in stack.services.values() {
        if let Some(found) = crate::registry::credentials_for(&service.image, &settings.load.os_env)
            .map_err(|e| CliError::Other(e.to_string()))?
        {
            auth.insert(service.image.clone(), found);
        }
    }
    Ok(auth)
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

/// The stack named on the command line, else `-p`, else the project's.
fn stack_name(settings: &Settings, name: Option<String>) -> Result<String, CliError> {
    if let Some(name) = name.or_else(|| settings.load.project_name.clone()) {
        return Ok(name);
    }
    Ok(crate::load::load(&settings.load)?.name)
}

fn list(settings: &Settings) -> Result<i32, CliError> {
    let runtime = open::runtime()?;
    let services = runtime.block_on(async {
        Ok::<_, CliError>(manager(settings).await?.swarm_services(None).await?)
    })?;
    let mut stacks: BTreeMap<String, usize> = BTreeMap::new();
    for service in &services {
        if let Some(ns) = service.label(crate::swarm::NAMESPACE) {
            *stacks.entry(ns.to_string()).or_default() += 1;
        }
    }
    println!("{:<24} SERVICES", "NAME");
    for (name, count) in stacks {
        println!("{name:<24} {count}");
    }
    Ok(0)
}

fn ps(settings: &Settings, args: NameArgs) -> Result<i32, CliError> {
    let name = stack_name(settings, args.name)?;
    let runtime = open::runtime()?;
    let (services, mut tasks) = runtime.block_on(async {
        let engine = manager(settings).await?;
        Ok::<_, CliError>(tokio::try_join!(
            engine.swarm_services(Some(&name)),
            engine.swarm_tasks(&name)
        )?)
    })?;
    if services.is_empty() && tasks.is_empty() {
        return Err(CliError::Other(format!("nothing found in stack: {name}")));
    }
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
    let name = stack_name(settings, args.name)?;
    let runtime = open::runtime()?;
    let mut services = runtime.block_on(async {
        Ok::<_, CliError>(manager(settings).await?.swarm_services(Some(&name)).await?)
    })?;
    if services.is_empty() {
        return Err(CliError::Other(format!("nothing found in stack: {name}")));
    }
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
        vec![stack_name(settings, None)?]
    } else {
        args.names
    };
    let runtime = open::runtime()?;
    runtime.block_on(async {
        let engine = manager(settings).await?;
        for name in &names {
            let emit = |event: Event| render(&event);
            let found =
                crate::swarm::remove::remove(&engine, name, settings.dry_run, &emit).await?;
            if !found {
                eprintln!("Nothing found in stack: {name}");
            }
        }
        Ok(0)
    })
}

fn config(settings: &Settings, args: ConfigArgs) -> Result<i32, CliError> {
    let converted = load(settings, &args.files, args.name.as_deref(), false, false)?;
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
