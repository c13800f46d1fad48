//! `berth up`, `berth create` and `berth plan`: converge the engine on the file.

use crate::app::open;
use crate::app::up::{self as app_up, UpRequest};
use std::io::IsTerminal;
use std::time::Duration;

use clap::Args;

use super::exit;
use super::{CliError, Settings};
use crate::app::apply::RunSettings;
use crate::app::attached::{self as up_attached, Abort, Session};
use crate::app::images::ImageChoices;
use crate::app::interrupts::Interrupts;
use crate::engine::Engine;
use crate::env_vars;
use crate::output::log_mux::LogStyle;
use crate::reconcile::desired::Desired;
use crate::reconcile::desired::build::PullPolicy;
use crate::reconcile::execute::ExecError;
use crate::reconcile::plan::{Recreate, UpOptions};

/// The flags `up`, `create` and `plan` share.
#[derive(Debug, Default, Args)]
pub struct ConvergeArgs {
    /// Services to bring up (default: all), with their dependencies
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Recreate containers even if their configuration and image haven't changed
    #[arg(long, conflicts_with = "no_recreate")]
    pub force_recreate: bool,
    /// If containers already exist, don't recreate them
    #[arg(long)]
    pub no_recreate: bool,
    /// Recreate dependent containers
    #[arg(long)]
    pub always_recreate_deps: bool,
    /// Don't start linked services
    #[arg(long)]
    pub no_deps: bool,
    /// Remove containers for services not defined in the Compose file
    #[arg(long)]
    pub remove_orphans: bool,
    /// Scale SERVICE to NUM instances (overrides `scale` and `deploy.replicas`)
    #[arg(long, value_name = "SERVICE=NUM")]
    pub scale: Vec<String>,
    /// Recreate anonymous volumes instead of retrieving data from the previous containers
    #[arg(short = 'V', long)]
    pub renew_anon_volumes: bool,
    /// Start one-shot jobs again even when they completed and did not
    /// change (Docker Compose's behaviour; berth leaves them done)
    #[arg(long)]
    pub rerun_jobs: bool,
    /// Shutdown timeout in seconds for containers that are replaced
    #[arg(short = 't', long, value_name = "SECONDS")]
    pub timeout: Option<i64>,
    /// Assume "yes" to prompts
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Build images before starting containers
    #[arg(long, conflicts_with = "no_build")]
    pub build: bool,
    /// Don't build an image, even if it's missing
    #[arg(long)]
    pub no_build: bool,
    /// Pull images before running: always, missing, never or build (default:
    /// each service's pull_policy)
    #[arg(long, value_name = "POLICY", value_parser = parse_pull_policy)]
    pub pull: Option<PullPolicy>,
    /// Pull without printing progress information
    #[arg(long)]
    pub quiet_pull: bool,
    /// Suppress the build output
    #[arg(long)]
    pub quiet_build: bool,
}

/// `--pull`: the policies Docker Compose's `up --pull` takes.
pub fn parse_pull_policy(text: &str) -> Result<PullPolicy, String> {
    match text {
        "policy" => Err("give always, missing, never or build".into()),
        "always" | "missing" | "never" | "build" => {
            PullPolicy::parse(text).ok_or_else(|| format!("unknown pull policy {text:?}"))
        }
        other => Err(format!(
            "unknown pull policy {other:?}: use always, missing, never or build"
        )),
    }
}

#[derive(Debug, Args)]
pub struct UpArgs {
    #[command(flatten)]
    pub converge: ConvergeArgs,
    /// Detached mode: run containers in the background
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Wait for services to be running or healthy (implies detached mode)
    #[arg(long)]
    pub wait: bool,
    /// Maximum seconds to wait for the project to be running or healthy
    #[arg(long, value_name = "SECONDS")]
    pub wait_timeout: Option<u64>,
    /// Don't start the services after creating them
    #[arg(long)]
    pub no_start: bool,
    /// Watch the services' files and apply their `develop.watch` rules while attached
    #[arg(short = 'w', long, conflicts_with_all = ["detach", "wait", "no_start"])]
    pub watch: bool,
    /// Accepted for compatibility with Docker Compose; berth has no
    /// interactive shortcuts, so it has no effect
    #[arg(long)]
    pub menu: bool,
    #[command(flatten)]
    pub attached: AttachArgs,
}

/// How attached `up` shows the output and when it ends.
#[derive(Debug, Args)]
pub struct AttachArgs {
    /// Show the output of these services only (repeatable)
    #[arg(long, value_name = "SERVICE", conflicts_with_all = ["detach", "wait"])]
    pub attach: Vec<String>,
    /// Don't show the output of these services (repeatable)
    #[arg(long, value_name = "SERVICE", conflicts_with_all = ["detach", "wait"])]
    pub no_attach: Vec<String>,
    /// Show the output of the dependencies too
    #[arg(long, conflicts_with_all = ["detach", "wait"])]
    pub attach_dependencies: bool,
    /// Stop all containers when one stops
    #[arg(long, conflicts_with_all = ["detach", "wait", "abort_on_container_failure"])]
    pub abort_on_container_exit: bool,
    /// Stop all containers when one exits with a non-zero code
    #[arg(long, conflicts_with_all = ["detach", "wait"])]
    pub abort_on_container_failure: bool,
    /// Return the exit code of this service's container (implies --abort-on-container-exit)
    #[arg(long, value_name = "SERVICE", conflicts_with_all = ["detach", "wait", "abort_on_container_failure"])]
    pub exit_code_from: Option<String>,
    /// Show timestamps
    #[arg(long)]
    pub timestamps: bool,
    /// Don't print the prefix in logs
    #[arg(long)]
    pub no_log_prefix: bool,
    /// Produce monochrome output
    #[arg(long)]
    pub no_color: bool,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    pub converge: ConvergeArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub converge: ConvergeArgs,
    /// Plan for `up --wait`
    #[arg(long)]
    pub wait: bool,
    /// Plan for `create` / `up --no-start`
    #[arg(long)]
    pub no_start: bool,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    pub format: PlanFormat,
}

#[derive(Debug, Args)]
pub struct ScaleArgs {
    /// SERVICE=NUM pairs
    #[arg(value_name = "SERVICE=NUM", required = true)]
    pub scales: Vec<String>,
    /// Don't start the services they depend on
    #[arg(long)]
    pub no_deps: bool,
}

/// What the command wants beyond the converge flags; the default is `up -d`.
#[derive(Default)]
struct Intent<'a> {
    wait: bool,
    no_start: bool,
    wait_timeout: Option<Duration>,
    /// Attached `up`: the output to show and when to end.
    attached: Option<&'a AttachArgs>,
    /// `up --watch`: the `develop.watch` rules applied while attached.
    watch: bool,
    /// `up`: a project none of whose services is enabled is an error (not
    /// for `create`), as Docker Compose has it.
    needs_a_service: bool,
}

pub fn up(settings: &Settings, args: UpArgs) -> Result<i32, CliError> {
    let attached = !args.detach && !args.wait && !args.no_start;
    let intent = Intent {
        wait: args.wait,
        no_start: args.no_start,
        wait_timeout: args.wait_timeout.map(Duration::from_secs),
        attached: attached.then_some(&args.attached),
        watch: args.watch,
        needs_a_service: true,
    };
    converge(settings, &args.converge, &intent, None)
}

pub fn create(settings: &Settings, args: CreateArgs) -> Result<i32, CliError> {
    let intent = Intent {
        no_start: true,
        ..Intent::default()
    };
    converge(settings, &args.converge, &intent, None)
}

/// `scale web=3 db=1`: `up -d --scale` of the named services.
pub fn scale(settings: &Settings, args: ScaleArgs) -> Result<i32, CliError> {
    let services = args
        .scales
        .iter()
        .map(|s| {
            s.split_once('=')
                .map_or(s.as_str(), |(name, _)| name)
                .to_string()
        })
        .collect();
    let converge_args = ConvergeArgs {
        services,
        force_recreate: false,
        no_recreate: false,
        always_recreate_deps: false,
        no_deps: args.no_deps,
        remove_orphans: false,
        scale: args.scales,
        renew_anon_volumes: false,
        rerun_jobs: false,
        timeout: None,
        yes: false,
        build: false,
        no_build: false,
        pull: None,
        quiet_pull: false,
        quiet_build: false,
    };
    let intent = Intent::default();
    converge(settings, &converge_args, &intent, None)
}

pub fn plan(settings: &Settings, args: PlanArgs) -> Result<i32, CliError> {
    let intent = Intent {
        wait: args.wait,
        no_start: args.no_start,
        ..Intent::default()
    };
    converge(settings, &args.converge, &intent, Some(args.format))
}

/// Loads, observes, plans, and (unless only printing the plan) executes.
fn converge(
    settings: &Settings,
    args: &ConvergeArgs,
    intent: &Intent,
    print: Option<PlanFormat>,
) -> Result<i32, CliError> {
    let scales = args
        .scale
        .iter()
        .map(|scale| {
            scale
                .split_once('=')
                .and_then(|(s, n)| Some((s.to_string(), n.parse::<u32>().ok()?)))
                .ok_or_else(|| CliError::Usage(format!("--scale takes SERVICE=NUM, not {scale:?}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let dry_run = settings.dry_run || print.is_some();
    let request = UpRequest {
        scales,
        no_deps: args.no_deps,
        needs_a_service: intent.needs_a_service,
        options: UpOptions {
            services: args.services.clone(),
            recreate: if args.no_recreate {
                Recreate::Never
            } else if args.force_recreate || args.renew_anon_volumes {
                Recreate::Force
            } else {
                Recreate::Diverged
            },
            dependencies_recreate: if args.no_recreate {
                Recreate::Never
            } else if args.always_recreate_deps {
                Recreate::Force
            } else {
                Recreate::Diverged
            },
            no_start: intent.no_start,
            remove_orphans: args.remove_orphans
                || settings.env_flag(env_vars::COMPOSE_REMOVE_ORPHANS),
            renew_anonymous_volumes: args.renew_anon_volumes,
            wait: intent.wait,
            timeout: args.timeout,
            warn_orphans: !settings.env_flag(env_vars::COMPOSE_IGNORE_ORPHANS),
            yes: args.yes,
            rerun_jobs: args.rerun_jobs,
        },
        images: ImageChoices {
            build: args.build,
            no_build: args.no_build,
            pull: args.pull,
            quiet_build: args.quiet_build,
            quiet_pull: args.quiet_pull,
        },
    };
    let runtime = open::runtime()?;
    // A dry run changes nothing, so it need not wait for other invocations.
    let prepared = open::prepare_from_files(&runtime, settings, &args.services, !dry_run)?;
    let (engine, mut desired, lock) = (prepared.engine, prepared.desired, prepared.lock);
    app_up::shape(&mut desired, &request, settings)?;
    // Before anything is brought up: no rules is an error, as for `watch`.
    let rules = if intent.watch {
        Some(super::watch::rules(&desired, &args.services)?)
    } else {
        None
    };
    let session = intent
        .attached
        .map(|flags| session(settings, &desired, &args.services, flags, intent.watch))
        .transpose()?;
    let run = RunSettings::new(settings, intent.wait_timeout);

    runtime.block_on(async {
        // Attached `up` handles every interrupt itself, from before the
        // first change on: the first stops what it started, in any phase.
        let mut interrupts = match &session {
            Some(_) if !dry_run => Some(Interrupts::listen()?),
            _ => None,
        };
        let listing = prepared.listing;
        let opening = app_up::plan(&engine, &desired, listing, settings, &request, dry_run);
        // Interrupted while building or pulling, before anything of this
        // `up` runs: nothing to stop.
        let (mut observed, plan) = match &interrupts {
            Some(interrupts) => {
                let token = interrupts.token();
                tokio::select! {
                    opened = opening => opened?,
                    () = token.cancelled() => return Ok(exit::INTERRUPTED),
                }
            }
            None => opening.await?,
        };
        match print {
            Some(PlanFormat::Json) => {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&plan).unwrap_or_default()
                );
                return Ok(0);
            }
            Some(PlanFormat::Text) => {
                print!("{}", plan.render());
                return Ok(0);
            }
            None if dry_run => {
                eprint!("{}", plan.render());
                return Ok(0);
            }
            None => {}
        }
        let quiet = args.quiet_pull;
        let (Some(session), Some(interrupts)) = (session, interrupts.take()) else {
            app_up::apply(engine, desired, observed, &plan, settings, &run, &request).await?;
            return Ok(0);
        };
        let token = interrupts.token();
        tokio::select! {
            pulled = crate::app::images::pull_missing(&engine, settings, &desired, &mut observed, &plan, quiet) => pulled?,
            () = token.cancelled() => return Ok(exit::INTERRUPTED),
        }
        // Subscribed before the plan runs, so that no exit is missed.
        let events = engine.events(&desired.project).await?;
        let ran = crate::app::apply::run_plan_until(
            engine.clone(),
            desired.clone(),
            &observed,
            &plan,
            &run,
            token.clone(),
        )
        .await;
        // The engine is converged: others (`down`, `stop`, `up -d` from a
        // second terminal) may change the project while this session shows
        // it; the final stop takes the lock again.
        drop(lock);
        match ran {
            Err(CliError::Exec(ExecError::Cancelled)) if token.is_cancelled() => {
                let services = session.stop_on_interrupt.clone();
                return up_attached::stop_interrupted(engine, desired, services, run, interrupts)
                    .await;
            }
            ran => ran?,
        }
        app_up::report_running(&app_up::left_running(&desired, &observed, &plan), &run.progress).await;
        let Some(rules) = rules else {
            return up_attached::run(engine, desired, events, session, run, interrupts).await;
        };
        let project = desired.project.clone();
        let attached = up_attached::run(engine.clone(), desired, events, session, run, interrupts);
        super::watch::alongside(settings, &engine, &project, &rules, token, attached).await
    })
}

/// What attached `up` shows and when it ends, from its flags: the selected
/// services' output (all services' with `--attach-dependencies`) unless
/// they say `attach: false`, or exactly those of `--attach`; never those of
/// `--no-attach`.
fn session(
    settings: &Settings,
    desired: &Desired,
    selected: &[String],
    flags: &AttachArgs,
    watch: bool,
) -> Result<Session, CliError> {
    let known = |names: &[String]| -> Result<(), CliError> {
        match names.iter().find(|n| !desired.services.contains_key(*n)) {
            Some(unknown) => Err(open::no_such_service(desired, unknown)),
            None => Ok(()),
        }
    };
    known(&flags.attach)?;
    known(&flags.no_attach)?;
    known(flags.exit_code_from.as_slice())?;
    let mut attach: Vec<String> = if !flags.attach.is_empty() {
        flags.attach.clone()
    } else {
        desired
            .services
            .values()
            .filter(|s| s.attach)
            .filter(|s| {
                flags.attach_dependencies || selected.is_empty() || selected.contains(&s.name)
            })
            .map(|s| s.name.clone())
            .collect()
    };
    attach.retain(|s| !flags.no_attach.contains(s));
    let abort = if flags.abort_on_container_exit || flags.exit_code_from.is_some() {
        Abort::OnExit
    } else if flags.abort_on_container_failure {
        Abort::OnFailure
    } else {
        Abort::Never
    };
    let color = !flags.no_color
        && std::io::stdout().is_terminal()
        && !settings.load.os_env.contains_key(env_vars::NO_COLOR);
    Ok(Session {
        attach,
        stop_on_interrupt: selected.to_vec(),
        abort,
        exit_code_from: flags.exit_code_from.clone(),
        style: LogStyle {
            prefix: !flags.no_log_prefix,
            color,
            split_streams: true,
        },
        timestamps: flags.timestamps,
        since: crate::time::now(),
        began: crate::time::now_nanos(),
        until_interrupted: watch,
    })
}
