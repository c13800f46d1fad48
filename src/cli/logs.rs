//! `berth logs`: the output of the project's containers, each line prefixed
//! with its service and replica (`web-1  | ...`), as Docker Compose prints it.
//! With `-f` it follows them, and the containers that start later too.

use std::collections::HashSet;
use std::io::{IsTerminal, Write};

use clap::Args;
use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::engine_cmd;
use super::time::{now, parse_instant};
use super::{CliError, Settings};
use crate::engine::docker::DockerEngine;
use crate::engine::{Container, ContainerEvent, Engine, LogOptions};
use crate::env_vars;

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

/// Colours of the prefixes, one per service in turn.
const COLORS: [&str; 6] = ["36", "33", "32", "35", "34", "31"];

pub fn run(settings: &Settings, args: LogsArgs) -> Result<i32, CliError> {
    if args.tail != "all" && args.tail.parse::<u64>().is_err() {
        return Err(CliError::Usage(format!(
            "--tail takes a number of lines or \"all\", not {:?}",
            args.tail
        )));
    }
    let at = |text: &Option<String>| {
        text.as_deref()
            .map(|t| parse_instant(t, now()))
            .transpose()
            .map_err(CliError::Usage)
    };
    let options = LogOptions {
        follow: args.follow,
        tail: Some(args.tail.clone()),
        since: at(&args.since)?,
        until: at(&args.until)?,
        timestamps: args.timestamps,
    };
    let color = !args.no_color
        && std::io::stdout().is_terminal()
        && !settings.load.os_env.contains_key(env_vars::NO_COLOR);
    let runtime = engine_cmd::runtime()?;
    let prepared = engine_cmd::prepare(&runtime, settings, &[], false)?;
    engine_cmd::check_services(&prepared.desired, &args.services)?;
    let project = prepared.desired.project.clone();
    let printer = Printer {
        args: &args,
        color,
        width: 0,
        services: Vec::new(),
    };
    runtime.block_on(follow(
        prepared.engine,
        &project,
        prepared.listing,
        printer,
        options,
    ))
}

/// How lines are prefixed.
struct Printer<'a> {
    args: &'a LogsArgs,
    color: bool,
    /// Width the prefixes are padded to.
    width: usize,
    /// Services in the order they got their colour.
    services: Vec<String>,
}

impl Printer<'_> {
    fn wants(&self, c: &Container) -> bool {
        !c.is_oneoff()
            && (self.args.services.is_empty()
                || self.args.services.iter().any(|s| s == c.service()))
            && self.args.index.is_none_or(|n| c.number() == n)
    }

    /// `web-1  | `, padded and coloured; empty with `--no-log-prefix`.
    fn prefix(&mut self, c: &Container) -> String {
        if self.args.no_log_prefix {
            return String::new();
        }
        let name = label(c);
        let padded = format!("{name:<width$}  | ", width = self.width);
        if !self.color {
            return padded;
        }
        let index = match self.services.iter().position(|s| s == c.service()) {
            Some(index) => index,
            None => {
                self.services.push(c.service().to_string());
                self.services.len() - 1
            }
        };
        format!("\x1b[{}m{padded}\x1b[0m", COLORS[index % COLORS.len()])
    }
}

/// `service-N`, the name Docker Compose prefixes lines with.
fn label(c: &Container) -> String {
    format!("{}-{}", c.service(), c.number())
}

/// Reads every selected container's output and prints it line by line.
/// With `follow`, containers that start later are read too, and the command
/// ends when every container it reads has stopped.
async fn follow(
    engine: DockerEngine,
    project: &str,
    listing: Option<crate::reconcile::observe::Listing>,
    mut printer: Printer<'_>,
    options: LogOptions,
) -> Result<i32, CliError> {
    // Subscribed before listing, so that no start in between is missed.
    let mut events = if options.follow {
        Some(engine.events(project).await?)
    } else {
        None
    };
    // Following lists anew after subscribing, so no start falls in between.
    let listing = if options.follow { None } else { listing };
    let mut containers = engine_cmd::containers(&engine, project, listing).await?;
    containers.retain(|c| printer.wants(c));
    containers.sort_by(|a, b| a.name.cmp(&b.name));
    printer.width = containers.iter().map(|c| label(c).len()).max().unwrap_or(0);

    let (lines, mut printed) = mpsc::unbounded_channel::<String>();
    let mut reading: HashSet<String> = HashSet::new();
    let (ended, mut done) = mpsc::unbounded_channel::<String>();
    let read = |c: &Container, prefix: String, options: LogOptions| {
        let stream = engine.logs(&c.id, &options);
        let (lines, ended, id) = (lines.clone(), ended.clone(), c.id.clone());
        tokio::spawn(async move {
            read_lines(stream, &prefix, &lines).await;
            let _ = ended.send(id);
        });
    };
    for c in &containers {
        reading.insert(c.id.clone());
        read(c, printer.prefix(c), options.clone());
    }
    let mut out = std::io::stdout().lock();
    let mut failed = None;
    while !reading.is_empty() {
        tokio::select! {
            Some(line) = printed.recv() => {
                if out.write_all(line.as_bytes()).and_then(|_| out.flush()).is_err() {
                    // The reader went away (a closed pipe): nothing left to do.
                    return Ok(0);
                }
            }
            Some(id) = done.recv() => {
                reading.remove(&id);
            }
            event = next_event(&mut events) => match event {
                Some(Ok(event)) if event.what == ContainerEvent::Started
                    && !reading.contains(&event.container_id) =>
                {
                    let started = engine.list_containers(project).await?;
                    if let Some(c) = started.iter().find(|c| c.id == event.container_id && printer.wants(c)) {
                        // A restarted container: only what it writes from now on.
                        let mut from_now = options.clone();
                        if containers.iter().any(|known| known.id == c.id) {
                            from_now.tail = Some("0".into());
                        }
                        reading.insert(c.id.clone());
                        read(c, printer.prefix(c), from_now);
                        containers.push(c.clone());
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => failed = Some(e),
                None => events = None,
            },
        }
        if let Some(e) = failed.take() {
            return Err(CliError::Engine(e));
        }
    }
    // What the last readers sent before they ended.
    while let Ok(line) = printed.try_recv() {
        let _ = out.write_all(line.as_bytes());
    }
    let _ = out.flush();
    Ok(0)
}

async fn next_event(
    events: &mut Option<
        futures_util::stream::BoxStream<'static, crate::engine::Result<crate::engine::Event>>,
    >,
) -> Option<crate::engine::Result<crate::engine::Event>> {
    match events {
        Some(stream) => stream.next().await,
        None => std::future::pending().await,
    }
}

/// Splits a container's output into lines, each sent with `prefix`. Its
/// standard output and error are kept apart, so their halves of lines do
/// not mix.
async fn read_lines(
    mut stream: futures_util::stream::BoxStream<
        'static,
        crate::engine::Result<crate::engine::LogChunk>,
    >,
    prefix: &str,
    lines: &mpsc::UnboundedSender<String>,
) {
    let mut pending: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    let send = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes);
        let _ = lines.send(format!("{prefix}{}\n", text.trim_end_matches('\r')));
    };
    while let Some(Ok(chunk)) = stream.next().await {
        let buffer = &mut pending[usize::from(chunk.stderr)];
        buffer.extend_from_slice(&chunk.bytes);
        while let Some(end) = buffer.iter().position(|&b| b == b'\n') {
            send(&buffer[..end]);
            buffer.drain(..=end);
        }
    }
    for rest in pending.iter().filter(|p| !p.is_empty()) {
        send(rest);
    }
}
