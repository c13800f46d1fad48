//! `berth logs`: the output of the project's containers, each line prefixed
//! with its service and replica (`web-1  | ...`), as Docker Compose prints it.
//! With `-f` it follows them, and the containers that start later too.

use crate::app::open;
use std::io::IsTerminal;

use clap::Args;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use super::instant_flag;
use super::{CliError, Settings};
use crate::app::open::CliEngine;
use crate::engine::{Container, ContainerEvent, Engine, LogOptions};
use crate::env_vars;
use crate::output::log_mux::{LogMux, LogStyle, label};

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Services whose logs to show (default: all)
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Follow log output
    #[arg(short, long)]
    pub follow: bool,
    /// Number of lines to show from the end of the logs of each container, or "all"
    #[arg(short = 'n', long, default_value = "all", value_name = "LINES")]
    pub tail: String,
    /// Show logs since a timestamp (2024-01-02T03:04:05Z) or relative time (42m)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Show logs before a timestamp (2024-01-02T03:04:05Z) or relative time (42m)
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Show timestamps
    #[arg(short, long)]
    pub timestamps: bool,
    /// Produce monochrome output
    #[arg(long)]
    pub no_color: bool,
    /// Don't print the prefix in logs
    #[arg(long)]
    pub no_log_prefix: bool,
    /// The replica of the service to show, when it has several
    #[arg(long, value_name = "N")]
    pub index: Option<u32>,
}

pub fn run(settings: &Settings, args: LogsArgs) -> Result<i32, CliError> {
    if args.tail != "all" && args.tail.parse::<u64>().is_err() {
        return Err(CliError::Usage(format!(
            "--tail takes a number of lines or \"all\", not {:?}",
            args.tail
        )));
    }
    // As Docker Compose: a replica number means nothing across services.
    // `--index 0` is Docker Compose's default: every replica.
    let index = args.index.filter(|&n| n > 0);
    if index.is_some() && args.services.len() != 1 {
        return Err(CliError::Usage(
            "--index requires one service to be selected".into(),
        ));
    }
    let options = LogOptions {
        follow: args.follow,
        tail: Some(args.tail.clone()),
        since: instant_flag(&args.since)?,
        until: instant_flag(&args.until)?,
        timestamps: args.timestamps,
    };
    let color = !args.no_color
        && std::io::stdout().is_terminal()
        && !settings.load.os_env.contains_key(env_vars::NO_COLOR);
    let (runtime, prepared) = open::open(settings, &args.services)?;
    let project = prepared.desired.project.clone();
    let style = LogStyle {
        prefix: !args.no_log_prefix,
        color,
        split_streams: false,
    };
    let wanted = |c: &Container| {
        !c.is_oneoff()
            && (args.services.is_empty() || args.services.iter().any(|s| s == c.service()))
            && index.is_none_or(|n| c.number() == n)
    };
    // As Docker Compose, a replica that is not there is an error, not silence.
    let missing = index.map(|n| format!("service {:?} has no container #{n}", args.services[0]));
    let mux = LogMux::new(prepared.engine.clone(), style, options);
    runtime.block_on(follow(
        prepared.engine,
        &project,
        prepared.listing,
        mux,
        wanted,
        missing,
    ))
}

/// Prints every wanted container's output. When following, containers
/// that start later are read too, and the command ends when every container
/// it reads has stopped.
async fn follow(
    engine: CliEngine,
    project: &str,
    listing: Option<crate::reconcile::observe::Listing>,
    mut mux: LogMux<CliEngine>,
    wanted: impl Fn(&Container) -> bool,
    missing: Option<String>,
) -> Result<i32, CliError> {
    let following = mux.options().follow;
    // Subscribed before listing, so that no start in between is missed.
    let mut events = if following {
        Some(engine.events(project).await?)
    } else {
        None
    };
    // Following lists anew after subscribing, so no start falls in between.
    let listing = if following { None } else { listing };
    let mut containers = open::containers(&engine, project, listing).await?;
    containers.retain(|c| wanted(c));
    if let Some(message) = missing.filter(|_| containers.is_empty()) {
        return Err(CliError::Other(message));
    }
    containers.sort_by(|a, b| a.name.cmp(&b.name));
    mux.widen(containers.iter().map(label));
    for c in &containers {
        mux.follow(c);
    }
    while mux.has_readers() && !mux.is_closed() {
        tokio::select! {
            _ = mux.next_ended() => if let Some(lost) = mux.take_lost() {
                mux.flush();
                return Err(CliError::Engine(lost));
            },
            event = next_event(&mut events) => match event {
                Some(Ok(event)) if event.what == ContainerEvent::Started => {
                    mux.follow_started(project, &event.container_id, &wanted).await?;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(CliError::Engine(e)),
                None => events = None,
            },
        }
    }
    // What the last readers sent before they ended.
    mux.flush();
    match mux.take_lost() {
        Some(lost) => Err(CliError::Engine(lost)),
        None => Ok(0),
    }
}

/// The next event of a stream, or never when there is none.
pub async fn next_event(
    events: &mut Option<BoxStream<'static, crate::engine::Result<crate::engine::Event>>>,
) -> Option<crate::engine::Result<crate::engine::Event>> {
    match events {
        Some(stream) => stream.next().await,
        None => std::future::pending().await,
    }
}
