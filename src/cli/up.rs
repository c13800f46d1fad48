//! `berth up`, `berth create` and `berth plan`: converge the engine on the file.

use std::io::IsTerminal;
use std::time::Duration;

use clap::Args;

use super::{CliError, Settings};
use crate::app::attached::{Abort, AttachRequest};
use crate::app::images::ImageChoices;
use crate::app::up::{self as app_up, Converge, Mode, Outcome, UpRequest};
use crate::env_vars;
use crate::reconcile::desired::build::PullPolicy;
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

/// Resolves the flags into the `up` use case's request, runs it, and
/// prints the plan when only that was asked.
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
            remove_orphans: args.remove_orphans || settings.remove_orphans,
            renew_anonymous_volumes: args.renew_anon_volumes,
            wait: intent.wait,
            timeout: args.timeout,
            warn_orphans: settings.warn_orphans,
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
    let mode = match print {
        Some(_) => Mode::Plan,
        None if settings.dry_run => Mode::DryRun,
        None => Mode::Apply,
    };
    let converge = Converge {
        request,
        mode,
        wait_timeout: intent.wait_timeout,
        attach: intent.attached.map(|flags| attach_request(settings, flags)),
        watch: intent.watch,
    };
    let plan = match app_up::converge(settings, &converge)? {
        Outcome::Exit(code) => return Ok(code),
        Outcome::Planned(plan) => plan,
    };
    match print {
        Some(PlanFormat::Json) => println!(
            "{}",
            serde_json::to_string_pretty(&plan).unwrap_or_default()
        ),
        _ => print!("{}", plan.render()),
    }
    Ok(0)
}

/// What attached `up` shows and when it ends, from its flags.
fn attach_request(settings: &Settings, flags: &AttachArgs) -> AttachRequest {
    let abort = if flags.abort_on_container_exit || flags.exit_code_from.is_some() {
        Abort::OnExit
    } else if flags.abort_on_container_failure {
        Abort::OnFailure
    } else {
        Abort::Never
    };
    AttachRequest {
        attach: flags.attach.clone(),
        no_attach: flags.no_attach.clone(),
        attach_dependencies: flags.attach_dependencies,
        abort,
        exit_code_from: flags.exit_code_from.clone(),
        timestamps: flags.timestamps,
        log_prefix: !flags.no_log_prefix,
        color: !flags.no_color
            && std::io::stdout().is_terminal()
            && !settings.load.os_env.contains_key(env_vars::NO_COLOR),
    }
}
