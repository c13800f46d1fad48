//! `stack`: the project deployed to Docker Swarm (see [`crate::swarm`]) —
//! loading the files as a stack, deploying it, listing and removing stacks.

use std::collections::BTreeMap;

use super::error::Failure;
use super::{Error, Settings, open};
use crate::engine::RegistryAuth;
use crate::engine::docker::DockerEngine;
use crate::engine::swarm::{Role, SwarmService, SwarmTask};
use crate::env_vars;
use crate::output::print_warnings;
use crate::swarm::convert::Stack;
use crate::swarm::execute::{self, Event};
use crate::swarm::images::Resolve;
use crate::swarm::load::Converted;
use crate::swarm::{observe, plan};

/// Which files make the stack, under which name.
#[derive(Clone, Debug, Default)]
pub struct StackSource {
    /// `--compose-file` (default: berth's `-f`, or the usual discovery).
    pub files: Vec<String>,
    /// The stack's name (default: the project's name).
    pub name: Option<String>,
    /// Refuse keys a swarm cannot honour instead of warning about them.
    pub strict: bool,
    /// Keep `build:` sections (`deploy --build`).
    pub building: bool,
}

/// What `stack deploy` is asked beyond the stack itself.
#[derive(Clone, Copy, Debug)]
pub struct DeployRequest {
    pub prune: bool,
    pub detach: bool,
    pub with_registry_auth: bool,
    pub resolve_image: Resolve,
}

/// The project loaded from the source's files as a stack; the loader's and
/// the conversion's warnings are printed.
pub fn load(settings: &Settings, source: &StackSource) -> Result<Converted, Error> {
    let mut options = settings.load.clone();
    if !source.files.is_empty() {
        options.files = source.files.clone();
    }
    if let Some(name) = &source.name {
        options.project_name = Some(name.clone());
    }
    let loaded = crate::load::load(&options)?;
    print_warnings(&loaded.warnings, &loaded.sources);
    let stack_name = loaded.name.clone();
    let converted =
        crate::swarm::load::stack(&loaded, &stack_name, source.strict, source.building)?;
    print_warnings(&converted.warnings, &converted.sources);
    Ok(converted)
}

/// The stack named on the command line, else `-p`, else the project's.
pub fn stack_name(settings: &Settings, name: Option<String>) -> Result<String, Error> {
    if let Some(name) = name.or_else(|| settings.load.project_name.clone()) {
        return Ok(name);
    }
    Ok(crate::load::load(&settings.load)?.name)
}

/// The engine, refused unless it manages a swarm.
async fn manager(settings: &Settings) -> Result<DockerEngine, Error> {
    let endpoint = settings.endpoint()?;
    let pinned = settings.load.os_env.get(env_vars::DOCKER_API_VERSION);
    let engine = DockerEngine::connect(&endpoint, pinned.map(String::as_str)).await?;
    match engine.swarm_role().await? {
        Role::Manager => Ok(engine),
        Role::NotManager(what) => Err(Failure::NotSwarmManager {
            host: engine.host().to_string(),
            what,
        }
        .into()),
    }
}

/// Deploys `stack`, telling `emit` what it does: pins images as asked,
/// plans against what the swarm runs, and applies the plan (in a dry run,
/// prints it on stdout).
pub fn deploy(
    settings: &Settings,
    mut stack: Stack,
    request: &DeployRequest,
    emit: &(dyn Fn(Event) + Sync),
) -> Result<(), Error> {
    let auth = if request.with_registry_auth {
        credentials(settings, &stack)?
    } else {
        BTreeMap::new()
    };
    let runtime = open::runtime()?;
    runtime.block_on(async {
        let engine = manager(settings).await?;
        let observed = observe::observe(&engine, &stack).await?;
        let warn = |m: String| settings.progress.warn(&m);
        let resolve = request.resolve_image;
        crate::swarm::images::resolve(&engine, &mut stack, &observed, resolve, &auth, &warn).await;
        let options = plan::Options {
            prune: request.prune,
        };
        let plan = plan::plan(&stack, &observed, options).map_err(|e| Failure::SwarmPlan {
            message: e.message,
            hint: e.hint,
        })?;
        if settings.dry_run {
            print!("{plan}");
            return Ok(());
        }
        let quiet = settings.progress.mode() == crate::output::progress::Progress::Quiet;
        if !quiet {
            eprint!("{plan}");
        }
        let options = execute::Options {
            detach: request.detach,
            auth: &auth,
            emit,
        };
        execute::execute(&engine, &stack, plan, observed.object_ids(), &options)
            .await
            .map_err(Error::Swarm)
    })
}

/// The credentials berth resolves for pulls, for each service's image.
fn credentials(
    settings: &Settings,
    stack: &Stack,
) -> Result<BTreeMap<String, RegistryAuth>, Error> {
    let mut auth = BTreeMap::new();
    for service in stack.services.values() {
        let found = crate::registry::credentials_for(&service.image, &settings.load.os_env)
            .map_err(Failure::Credentials)?;
        if let Some(found) = found {
            auth.insert(service.image.clone(), found);
        }
    }
    Ok(auth)
}

/// The swarm's stacks, with how many services each has.
pub fn list(settings: &Settings) -> Result<BTreeMap<String, usize>, Error> {
    let runtime = open::runtime()?;
    let services = runtime
        .block_on(async { Ok::<_, Error>(manager(settings).await?.swarm_services(None).await?) })?;
    let mut stacks: BTreeMap<String, usize> = BTreeMap::new();
    for service in &services {
        if let Some(ns) = service.label(crate::swarm::NAMESPACE) {
            *stacks.entry(ns.to_string()).or_default() += 1;
        }
    }
    Ok(stacks)
}

/// The services and tasks of the stack `name`; an error when it has none.
pub fn tasks(
    settings: &Settings,
    name: &str,
) -> Result<(Vec<SwarmService>, Vec<SwarmTask>), Error> {
    let runtime = open::runtime()?;
    let (services, tasks) = runtime.block_on(async {
        let engine = manager(settings).await?;
        Ok::<_, Error>(tokio::try_join!(
            engine.swarm_services(Some(name)),
            engine.swarm_tasks(name)
        )?)
    })?;
    if services.is_empty() && tasks.is_empty() {
        return Err(Failure::EmptyStack(name.to_string()).into());
    }
    Ok((services, tasks))
}

/// The services of the stack `name`; an error when it has none.
pub fn services(settings: &Settings, name: &str) -> Result<Vec<SwarmService>, Error> {
    let runtime = open::runtime()?;
    let services = runtime.block_on(async {
        Ok::<_, Error>(manager(settings).await?.swarm_services(Some(name)).await?)
    })?;
    if services.is_empty() {
        return Err(Failure::EmptyStack(name.to_string()).into());
    }
    Ok(services)
}

/// Removes the stacks `names`, telling `emit` what goes; the names of
/// those that had nothing to remove.
pub fn remove(
    settings: &Settings,
    names: &[String],
    emit: &dyn Fn(Event),
) -> Result<Vec<String>, Error> {
    let runtime = open::runtime()?;
    runtime.block_on(async {
        let engine = manager(settings).await?;
        let mut empty = Vec::new();
        for name in names {
            if !crate::swarm::remove::remove(&engine, name, settings.dry_run, emit).await? {
                empty.push(name.clone());
            }
        }
        Ok(empty)
    })
}
