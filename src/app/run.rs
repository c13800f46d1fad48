//! `run`: a one-off container of a service. Its dependencies are brought
//! up first and their conditions waited for; then it runs attached (a TTY
//! when standard input is a terminal, input piped otherwise) and ends with
//! its exit code, or detached.

use super::apply::{self, RunSettings};
use super::error::Failure;
use super::images::{self, ImageChoices};
use super::{Error, Settings, open, pipe};
use crate::engine::spec::{MountKind, MountSpec, PortSpec};
use crate::engine::{AttachOptions, ContainerSpec, Engine, RunState, labels};
use crate::env_vars;
use crate::load::canonical::volume;
use crate::load::paths;
use crate::reconcile::desired::build::PullPolicy;
use crate::reconcile::desired::{Condition, Desired};
use crate::reconcile::observe::Observed;
use crate::reconcile::plan::{self, Op, Plan, UpOptions};
use crate::reconcile::{host_files, references};
use crate::transfer::ImageRef;

/// What `run` is asked: the command line's overrides of the service.
#[derive(Clone, Debug, Default)]
pub struct RunRequest {
    pub service: String,
    /// The command and its arguments (default: the service's).
    pub command: Vec<String>,
    /// Runs in the background and prints the container's name.
    pub detach: bool,
    /// Removes the container when it exits.
    pub rm: bool,
    /// The container's name (default: `<project>-<service>-run-<id>`).
    pub name: Option<String>,
    /// `KEY=VALUE`, or `KEY` to pass on berth's own value.
    pub env: Vec<String>,
    /// `KEY=VALUE` labels.
    pub label: Vec<String>,
    pub user: Option<String>,
    pub workdir: Option<String>,
    /// A new entrypoint, in shell words.
    pub entrypoint: Option<String>,
    /// `[[IP:]HOST:]CONTAINER[/PROTOCOL]` ports to publish.
    pub publish: Vec<String>,
    /// Publishes the service's own ports too.
    pub service_ports: bool,
    /// Gives the container the service's network aliases.
    pub use_aliases: bool,
    /// Leaves the dependencies alone.
    pub no_deps: bool,
    /// No TTY, even when standard input is a terminal.
    pub no_tty: bool,
    /// `--interactive`: whether input stays open (default: unless detached).
    pub interactive: Option<bool>,
    /// Whether berth's standard input is a terminal.
    pub stdin_is_terminal: bool,
    /// Mounts in the short syntax.
    pub volume: Vec<String>,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    /// Files in `.env` format (`env` wins, then the earlier file).
    pub env_from_file: Vec<String>,
    /// Builds the images first.
    pub build: bool,
    /// Overrides every service's `pull_policy`.
    pub pull: Option<PullPolicy>,
    pub quiet_pull: bool,
    pub quiet_build: bool,
    /// No progress at all (the command's output still shows).
    pub quiet: bool,
    /// Removes the containers of services the file no longer defines.
    pub remove_orphans: bool,
}

/// Runs the one-off; its exit code when attached, else 0.
pub fn run(settings: &Settings, args: &RunRequest) -> Result<i32, Error> {
    let settings = &run_settings(settings, args)?;
    let runtime = open::runtime()?;
    let prepared = open::prepare_from_files(
        &runtime,
        settings,
        std::slice::from_ref(&args.service),
        true,
    )?;
    let (engine, desired) = (prepared.engine, prepared.desired);
    let Some(service) = desired.services.get(&args.service) else {
        return Err(open::no_such_service(&desired, &args.service));
    };
    if let Some(problem) = service.problems.first() {
        return Err(Failure::Service(problem.clone()).into());
    }
    // Without input there is nothing to type into a TTY (and a raw
    // terminal would swallow Ctrl-C).
    let interactive = args.interactive != Some(false);
    let tty = interactive && !args.no_tty && !args.detach && args.stdin_is_terminal;
    let mut spec = one_off_spec(settings, &desired, args, tty, engine.dry_run())?;
    let name = args.name.clone().unwrap_or_else(|| {
        desired
            .naming
            .one_off(&desired.project, &args.service, &slug(&args.service)[..12])
    });
    runtime.block_on(async {
        let mut observed = open::observe(&engine, &desired, prepared.listing).await?;
        if !engine.dry_run() {
            let choices = ImageChoices {
                build: args.build,
                no_build: false,
                pull: args.pull,
                quiet_build: args.quiet_build,
                quiet_pull: args.quiet_pull,
            };
            images::prepare_images(&engine, settings, &desired, &mut observed, choices).await?;
        }
        if !args.no_deps {
            bring_up_dependencies(&engine, settings, &desired, args, &observed).await?;
        }
        drop(prepared.lock);
        join_references(&engine, &desired, args, &mut spec).await?;
        if !matches!(observed.images.get(&spec.image), Some(Some(_))) {
            let image = ImageRef {
                reference: spec.image.clone(),
                platform: spec.platform.clone(),
            };
            let quiet = args.quiet_pull;
            images::pull_images(&engine, settings, &[image], &mut observed, quiet).await?;
        }
        let created = engine.create_container(&name, &name, &spec).await?;
        for warning in &created.warnings {
            settings.progress.warn(&format!("{name}: {warning}"));
        }
        start_and_wait(&engine, &created.id, &name, &spec, args).await
    })
}

/// The settings of a run: quiet with `--quiet`; a volume of the file that
/// only `-v` uses is kept, to be made as the file says.
fn run_settings(settings: &Settings, args: &RunRequest) -> Result<Settings, Error> {
    let mut settings = settings.clone();
    if args.quiet {
        settings.progress = settings.progress.quiet_if(true);
    }
    for text in &args.volume {
        let parsed =
            volume::parse_volume(text).map_err(|e| Error::Usage(format!("--volume: {e}")))?;
        if parsed.kind == volume::VolumeKind::Volume && !parsed.source.is_empty() {
            settings.load.keep_volumes.push(parsed.source);
        }
    }
    Ok(settings)
}

/// Brings up what the service depends on and waits for their conditions;
/// a dry run shows the plans instead.
async fn bring_up_dependencies<E: Engine>(
    engine: &E,
    settings: &Settings,
    desired: &Desired,
    args: &RunRequest,
    observed: &Observed,
) -> Result<(), Error> {
    let (deps, waits) = dependencies(settings, desired, args, observed)?;
    if engine.dry_run() {
        // What the dependencies need, then the one-off against the
        // engine that only pretends (which refuses to attach to it).
        eprint!("{}{}", deps.render(), waits.render());
        return Ok(());
    }
    let run = RunSettings::new(settings, None);
    let mut observed = observed.clone();
    let quiet = args.quiet_pull;
    images::pull_missing(engine, settings, desired, &mut observed, &deps, quiet).await?;
    apply::run_plan(engine.clone(), desired.clone(), &observed, &deps, &run).await?;
    apply::run_plan(engine.clone(), desired.clone(), &observed, &waits, &run).await
}

/// Points the one-off's `network_mode`, `ipc` and `pid` of `service:`,
/// `volumes_from` and `links` at the containers of the services they name.
async fn join_references<E: Engine>(
    engine: &E,
    desired: &Desired,
    args: &RunRequest,
    spec: &mut ContainerSpec,
) -> Result<(), Error> {
    let namespaces = [&spec.network_mode, &spec.ipc, &spec.pid];
    if !namespaces.iter().any(|m| m.starts_with("service:"))
        && spec.volumes_from.is_empty()
        && spec.links.is_empty()
    {
        return Ok(());
    }
    let containers = engine.list_containers(&desired.project).await?;
    if let Some(parent) = spec.network_mode.strip_prefix("service:") {
        let running = containers
            .iter()
            .any(|c| c.service() == parent && c.state == RunState::Running);
        if !running {
            return Err(Failure::MustRun {
                parent: parent.to_string(),
                service: args.service.clone(),
            }
            .into());
        }
    }
    let listed = containers.iter().filter(|c| !c.is_oneoff());
    references::resolve(spec, desired, |target| {
        let named = listed.clone().map(|c| (c.name.as_str(), c.id.as_str()));
        references::replicas_of(desired, target, named)
    })
    .map_err(|e| Failure::References(e).into())
}

/// The plans that bring up what the service depends on (removing orphans
/// with `--remove-orphans`, warning about them otherwise, as `up`), and
/// wait for their conditions.
fn dependencies(
    settings: &Settings,
    desired: &Desired,
    args: &RunRequest,
    observed: &crate::reconcile::observe::Observed,
) -> Result<(Plan, Plan), Error> {
    let service = args.service.as_str();
    // The desired state holds the service and what it depends on; the
    // service itself gets no service container, yet its containers are
    // no orphans.
    let mut others = desired.clone();
    others.services.remove(service);
    others.disabled_services.push(service.to_string());
    let options = UpOptions {
        services: others.services.keys().cloned().collect(),
        remove_orphans: args.remove_orphans || settings.env_flag(env_vars::COMPOSE_REMOVE_ORPHANS),
        warn_orphans: !settings.env_flag(env_vars::COMPOSE_IGNORE_ORPHANS),
        ..Default::default()
    };
    let deps = plan::plan_up(&others, observed, &options).map_err(Error::Plan)?;
    let mut waits = Plan {
        project: desired.project.clone(),
        ..Default::default()
    };
    for (dep, dependency) in &desired.services[service].depends_on {
        if dependency.condition == Condition::ServiceStarted
            || desired.services.get(dep).is_none_or(|d| d.replicas == 0)
        {
            continue;
        }
        let wait = Op::Wait {
            service: dep.clone(),
            condition: dependency.condition,
            required: dependency.required,
        };
        waits.push(wait, vec![], format!("{service} depends on it"));
    }
    Ok((deps, waits))
}

/// The service's spec, as a one-off: the command line's overrides, no
/// restart policy, no published ports (unless asked), no network aliases
/// (unless asked), and the one-off labels.
fn one_off_spec(
    settings: &Settings,
    desired: &Desired,
    args: &RunRequest,
    tty: bool,
    dry_run: bool,
) -> Result<ContainerSpec, Error> {
    let service = &desired.services[&args.service];
    let mut spec = service.spec.clone();
    host_files::bind_from_host(&desired.project, &args.service, &mut spec, dry_run)
        .map_err(Failure::HostFiles)?;
    if !args.command.is_empty() {
        spec.command = Some(args.command.clone());
    }
    if let Some(entrypoint) = &args.entrypoint {
        let words = shell_words::split(entrypoint)
            .map_err(|e| Error::Usage(format!("--entrypoint {entrypoint:?}: {e}")))?;
        spec.entrypoint = Some(words);
        if args.command.is_empty() {
            // A new entrypoint does not inherit the service's command.
            spec.command = None;
        }
    }
    let mut from_flags = std::collections::BTreeMap::new();
    for entry in &args.env {
        match entry.split_once('=') {
            Some((key, value)) => {
                from_flags.insert(key.to_string(), value.to_string());
            }
            None => {
                if let Some(value) = settings.load.os_env.get(entry) {
                    from_flags.insert(entry.clone(), value.clone());
                }
            }
        }
    }
    let from_files = env_from_files(&args.env_from_file, &from_flags)?;
    spec.environment.extend(from_files);
    spec.environment.extend(from_flags);
    // A value given now wins over the file's bare, unset name.
    let environment = &spec.environment;
    spec.unset_environment
        .retain(|name| !environment.contains_key(name));
    for entry in &args.label {
        let (key, value) = entry.split_once('=').unwrap_or((entry, ""));
        spec.labels.insert(key.into(), value.into());
    }
    if let Some(user) = &args.user {
        spec.user = user.clone();
    }
    if let Some(workdir) = &args.workdir {
        spec.working_dir = workdir.clone();
    }
    for mount in &args.volume {
        let mount = volume_mount(settings, desired, mount)?;
        // A mount of the command line replaces the service's at the same path.
        spec.mounts.retain(|m| m.target != mount.target);
        spec.mounts.push(mount);
    }
    for (caps, asked) in [
        (&mut spec.cap_add, &args.cap_add),
        (&mut spec.cap_drop, &args.cap_drop),
    ] {
        for cap in asked {
            if !caps.contains(cap) {
                caps.push(cap.clone());
            }
        }
    }
    spec.tty = tty;
    // Detached, input stays open only when `-i` asks, as berth has none to give.
    let interactive = match args.interactive {
        Some(asked) => asked,
        None => !args.detach,
    };
    spec.stdin_open = interactive;
    // Its input ends when berth's does, so `echo x | berth run -T svc cat` ends.
    spec.stdin_once = interactive;
    spec.restart = None;
    if !args.service_ports {
        spec.ports.clear();
    }
    for publish in &args.publish {
        spec.ports.push(parse_publish(publish)?);
    }
    if !args.use_aliases {
        for network in &mut spec.networks {
            network.aliases.clear();
        }
    }
    spec.identity_labels
        .insert(labels::ONEOFF.into(), "True".into());
    spec.identity_labels.remove(labels::CONTAINER_NUMBER);
    spec.identity_labels
        .insert("com.docker.compose.slug".into(), slug(&args.service));
    Ok(spec)
}

/// The variables of the `--env-from-file` files, an earlier file winning
/// over a later one. Their values refer to the `-e` variables only, as with
/// Docker Compose.
fn env_from_files(
    files: &[String],
    from_flags: &std::collections::BTreeMap<String, String>,
) -> Result<std::collections::BTreeMap<String, String>, Error> {
    let mut found = std::collections::BTreeMap::new();
    let lookup = |key: &str| from_flags.get(key).cloned();
    for file in files {
        let text = std::fs::read_to_string(file).map_err(|source| Failure::EnvFileUnreadable {
            file: file.clone(),
            source,
        })?;
        let vars = crate::load::dotenv::parse(&text, &lookup).map_err(|source| {
            Failure::EnvFileInvalid {
                file: file.clone(),
                source,
            }
        })?;
        for (key, value) in vars {
            found.entry(key).or_insert(value);
        }
    }
    Ok(found)
}

/// A `--volume` in the short syntax, as a mount: a bind's relative host
/// path is from the current directory (`~` is the home directory), and a
/// volume the file declares is the engine volume of its definition.
fn volume_mount(settings: &Settings, desired: &Desired, text: &str) -> Result<MountSpec, Error> {
    let parsed = volume::parse_volume(text).map_err(|e| Error::Usage(format!("--volume: {e}")))?;
    let mut mount = MountSpec {
        kind: match parsed.kind {
            volume::VolumeKind::Bind => MountKind::Bind,
            volume::VolumeKind::Volume => MountKind::Volume,
        },
        target: paths::clean(&parsed.target),
        read_only: parsed.read_only,
        ..Default::default()
    };
    if parsed.kind == volume::VolumeKind::Bind {
        let home = settings.load.os_env.get(env_vars::HOME);
        let cwd = settings.load.cwd.to_string_lossy();
        mount.source = match (parsed.source.strip_prefix('~'), home) {
            (Some(rest), Some(home)) => paths::join(&[home, rest]),
            _ if parsed.source.starts_with('/') => paths::clean(&parsed.source),
            _ => paths::join(&[&cwd, &parsed.source]),
        };
        if let Some(bind) = parsed.bind {
            mount.propagation = bind.propagation;
            mount.create_host_path = bind.create_host_path;
            mount.selinux = bind.selinux;
        }
    } else {
        mount.source = match desired.volumes.get(&parsed.source) {
            Some(declared) => declared.spec.name.clone(),
            None => parsed.source,
        };
        if let Some(bind) = parsed.bind {
            mount.propagation = bind.propagation;
            mount.selinux = bind.selinux;
        }
    }
    mount.nocopy = parsed.volume.is_some_and(|v| v.nocopy);
    Ok(mount)
}

/// `[[IP:]HOST:]CONTAINER[/PROTOCOL]`.
fn parse_publish(text: &str) -> Result<PortSpec, Error> {
    let bad = || {
        Error::Usage(format!(
            "--publish {text:?}: use [[IP:]HOST:]CONTAINER[/PROTOCOL]"
        ))
    };
    let (ports, protocol) = text.split_once('/').unwrap_or((text, "tcp"));
    let parts: Vec<&str> = ports.rsplitn(3, ':').collect();
    let (target, published, host_ip) = match parts.as_slice() {
        [target] => (*target, "", ""),
        [target, published] => (*target, *published, ""),
        [target, published, ip] => (*target, *published, *ip),
        _ => return Err(bad()),
    };
    Ok(PortSpec {
        target: target.parse().map_err(|_| bad())?,
        protocol: protocol.to_string(),
        host_ip: host_ip.trim_matches(['[', ']']).to_string(),
        published: published.to_string(),
    })
}

/// 64 hex digits unique to this run, as Docker Compose's slug label.
fn slug(service: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    crate::digest::sha256_hex(format!("{service}:{}:{nanos}", std::process::id()).as_bytes())
}

/// Starts the one-off; detached, prints its name; attached, joins it to the
/// terminal, waits for it and returns its exit code (removing it with `--rm`).
async fn start_and_wait<E: Engine>(
    engine: &E,
    id: &str,
    name: &str,
    spec: &ContainerSpec,
    args: &RunRequest,
) -> Result<i32, Error> {
    let files: Vec<crate::engine::FileCopy> = spec.files.iter().map(Into::into).collect();
    if !files.is_empty() {
        engine.copy_files(id, &files).await?;
    }
    if args.detach {
        engine.start_container(id).await?;
        println!("{name}");
        return Ok(0);
    }
    // Attached before the start, so that no output is missed.
    let options = AttachOptions {
        stdin: spec.stdin_open,
        ..AttachOptions::default()
    };
    let session = engine.attach_container(id, &options).await?;
    engine.start_container(id).await?;
    // Ctrl-C goes to the container (a TTY passes it as a key instead).
    let interrupts = pipe::forward_interrupts(engine, id);
    if let (Some(output), Some(input)) = (session.output, session.input) {
        // `--interactive=false`: berth's input goes nowhere.
        let input = if spec.stdin_open {
            input
        } else {
            Box::pin(tokio::io::sink())
        };
        let piped = pipe::pipe(output, input, spec.tty, |rows, cols| {
            engine.resize_container(id, rows, cols)
        });
        tokio::select! {
            _ = piped => {}
            _ = interrupts => {}
        }
    }
    let code = engine.wait_container(id).await?;
    if args.rm {
        engine.remove_container(id, true).await?;
    }
    Ok(i32::try_from(code).unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_takes_the_docker_forms() {
        let port = |text: &str| {
            let p = parse_publish(text).unwrap_or_else(|_| panic!("{text}"));
            (p.host_ip, p.published, p.target, p.protocol)
        };
        assert_eq!(port("80"), ("".into(), "".into(), 80, "tcp".into()));
        assert_eq!(
            port("8080:80"),
            ("".into(), "8080".into(), 80, "tcp".into())
        );
        assert_eq!(
            port("127.0.0.1:8080:80/udp"),
            ("127.0.0.1".into(), "8080".into(), 80, "udp".into())
        );
        assert_eq!(
            port("127.0.0.1::80"),
            ("127.0.0.1".into(), "".into(), 80, "tcp".into())
        );
        assert!(parse_publish("x:y").is_err());
    }
}
