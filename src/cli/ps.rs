//! `berth ps`: the project's containers, as a table, JSON lines, IDs or
//! service names, from one list call.

use std::collections::BTreeSet;

use clap::{ArgAction, Args};
use serde_json::{Value, json};

use super::{CliError, Settings};
use crate::app::error::Failure;
use crate::app::ps::{self, ProjectContainers, PsRequest};
use crate::engine::spec::MountKind;
use crate::engine::{Container, PortMapping, RunState};
use crate::output::table::{self, ellipsize, human_duration, quote};
use crate::output::template::OutputFormat;
use crate::time::{local_datetime, now};

#[derive(Debug, Args)]
pub struct PsArgs {
    /// Services to list (default: all)
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Show all containers, stopped ones included
    #[arg(short, long)]
    pub all: bool,
    /// Only display container IDs
    #[arg(short, long)]
    pub quiet: bool,
    /// Display service names
    #[arg(long = "services")]
    pub list_services: bool,
    /// Filter by a property (supported: status=STATE)
    #[arg(long, value_name = "FILTER")]
    pub filter: Vec<String>,
    /// Only containers in this state (repeatable): paused, restarting,
    /// removing, running, dead, created or exited
    #[arg(long, value_name = "STATE")]
    pub status: Vec<String>,
    /// Output format: table, json, a Go template ('{{.Name}} {{.State}}'),
    /// or 'table' and a template
    #[arg(long, default_value = "table", value_parser = OutputFormat::parse)]
    pub format: OutputFormat,
    /// Don't truncate output
    #[arg(long)]
    pub no_trunc: bool,
    /// Include containers of services the file no longer declares
    #[arg(long, default_value_t = true, num_args = 0..=1, default_missing_value = "true", action = ArgAction::Set)]
    pub orphans: bool,
}

/// The column titles of a `table` template, as Docker Compose prints them.
const TITLES: &[(&str, &str)] = &[
    ("ID", "CONTAINER ID"),
    ("Name", "NAME"),
    ("Names", "NAMES"),
    ("Image", "IMAGE"),
    ("Command", "COMMAND"),
    ("CreatedAt", "CREATED AT"),
    ("RunningFor", "CREATED"),
    ("Ports", "PORTS"),
    ("State", "STATE"),
    ("Status", "STATUS"),
    ("Size", "SIZE"),
    ("Labels", "LABELS"),
    ("Project", "PROJECT"),
    ("Service", "SERVICE"),
];

const STATES: [&str; 7] = [
    "paused",
    "restarting",
    "removing",
    "running",
    "dead",
    "created",
    "exited",
];

pub fn run(settings: &Settings, args: PsArgs) -> Result<i32, CliError> {
    let request = PsRequest {
        states: wanted_states(&args)?,
        services: args.services,
        all: args.all,
        orphans: args.orphans,
    };
    let ProjectContainers {
        project,
        containers,
    } = ps::ps(settings, &request)?;

    let now = now();
    let mut out = String::new();
    if args.quiet {
        for c in &containers {
            out.push_str(&c.id);
            out.push('\n');
        }
    } else if args.list_services {
        let services: BTreeSet<&str> = containers.iter().map(Container::service).collect();
        for service in services {
            out.push_str(service);
            out.push('\n');
        }
    } else if args.format == OutputFormat::Json {
        for c in &containers {
            out.push_str(&json_line(c, &project, now, args.no_trunc).to_string());
            out.push('\n');
        }
    } else if let OutputFormat::Template(template) = &args.format {
        let rows = containers
            .iter()
            .map(|c| json_line(c, &project, now, args.no_trunc));
        out = template
            .render_all(rows, TITLES)
            .map_err(Failure::Template)?;
    } else {
        let rows: Vec<Vec<String>> = containers
            .iter()
            .map(|c| {
                vec![
                    c.name.clone(),
                    c.display.image.clone(),
                    command(c, args.no_trunc),
                    c.service().to_string(),
                    format!("{} ago", human_duration(now - c.created)),
                    c.display.status.clone(),
                    ports(&c.display.ports),
                ]
            })
            .collect();
        let header = [
            "NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS",
        ];
        out = table::render(&header, &rows);
    }
    print!("{out}");
    Ok(0)
}

/// The states asked for with `--status` and `--filter status=`, if any.
fn wanted_states(args: &PsArgs) -> Result<Option<Vec<RunState>>, CliError> {
    let mut wanted = Vec::new();
    for filter in &args.filter {
        match filter.split_once('=') {
            Some(("status", state)) => wanted.push(state.to_string()),
            _ => {
                return Err(CliError::Usage(format!(
                    "--filter {filter:?} is not supported: use status=STATE"
                )));
            }
        }
    }
    wanted.extend(args.status.iter().cloned());
    if wanted.is_empty() {
        return Ok(None);
    }
    wanted
        .iter()
        .map(|state| {
            if STATES.contains(&state.as_str()) {
                Ok(RunState::parse(state))
            } else {
                Err(CliError::Usage(format!(
                    "invalid status {state:?}: use one of {}",
                    STATES.join(", ")
                )))
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The command, quoted, and cut to 20 characters unless `--no-trunc`.
fn command(c: &Container, no_trunc: bool) -> String {
    if no_trunc {
        quote(&c.display.command)
    } else {
        quote(&ellipsize(&c.display.command, 20))
    }
}

/// The health in a status text such as `Up 2 minutes (healthy)`.
fn health(status: &str) -> &'static str {
    if status.contains("(healthy)") {
        "healthy"
    } else if status.contains("(unhealthy)") {
        "unhealthy"
    } else if status.contains("(health: starting)") {
        "starting"
    } else {
        ""
    }
}

/// Ports as the docker CLI lists them: `127.0.0.1:8080->80/tcp`, runs of
/// consecutive ports as ranges (`0.0.0.0:8000-8001->8000-8001/tcp`), only
/// exposed ones as `80/tcp`.
pub fn ports(mappings: &[PortMapping]) -> String {
    let mut sorted: Vec<&PortMapping> = mappings.iter().collect();
    sorted.sort_by(|a, b| {
        (&a.protocol, &a.ip, a.public.is_some(), a.private, a.public).cmp(&(
            &b.protocol,
            &b.ip,
            b.public.is_some(),
            b.private,
            b.public,
        ))
    });
    // Runs: (first, last) mappings of consecutive ports.
    let mut runs: Vec<(&PortMapping, &PortMapping)> = Vec::new();
    for m in sorted {
        if let Some((_, last)) = runs.last_mut() {
            let follows = m.ip == last.ip
                && m.protocol == last.protocol
                && m.private == last.private + 1
                && match (m.public, last.public) {
                    (Some(p), Some(q)) => p == q + 1,
                    (None, None) => true,
                    _ => false,
                };
            if follows {
                *last = m;
                continue;
            }
        }
        runs.push((m, m));
    }
    let family = |ip: &str| u8::from(ip.contains(':'));
    runs.sort_by_key(|(first, _)| (first.private, family(&first.ip), first.protocol.clone()));
    let range = |a: u16, b: u16| {
        if a == b {
            a.to_string()
        } else {
            format!("{a}-{b}")
        }
    };
    runs.iter()
        .map(|(first, last)| {
            let private = range(first.private, last.private);
            match (first.public, last.public) {
                (Some(p), Some(q)) => {
                    let ip = if first.ip.contains(':') {
                        format!("[{}]", first.ip)
                    } else {
                        first.ip.clone()
                    };
                    format!("{ip}:{}->{private}/{}", range(p, q), first.protocol)
                }
                _ => format!("{private}/{}", first.protocol),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One container as a JSON line, with Docker Compose's fields.
fn json_line(c: &Container, project: &str, now: i64, no_trunc: bool) -> Value {
    let labels: Vec<String> = c.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mounts: Vec<&str> = c
        .mounts
        .iter()
        .map(|m| {
            if m.kind == Some(MountKind::Volume) {
                m.name.as_str()
            } else {
                m.source.as_str()
            }
        })
        .collect();
    let local_volumes = c
        .mounts
        .iter()
        .filter(|m| m.kind == Some(MountKind::Volume))
        .count();
    let networks: Vec<&str> = c.networks.keys().map(String::as_str).collect();
    let publishers: Vec<Value> = c
        .display
        .ports
        .iter()
        .map(|p| {
            json!({
                "URL": p.ip,
                "TargetPort": p.private,
                "PublishedPort": p.public.unwrap_or(0),
                "Protocol": p.protocol,
            })
        })
        .collect();
    let id = if no_trunc {
        c.id.clone()
    } else {
        c.id.chars().take(12).collect()
    };
    json!({
        "Command": command(c, no_trunc),
        "CreatedAt": local_datetime(c.created),
        "ExitCode": c.exit_code.unwrap_or(0),
        "Health": health(&c.display.status),
        "ID": id,
        "Image": c.display.image,
        "Labels": labels.join(","),
        "LocalVolumes": local_volumes.to_string(),
        "Mounts": mounts.join(","),
        "Name": c.name,
        "Names": c.name,
        "Networks": networks.join(","),
        "Ports": ports(&c.display.ports),
        "Project": project,
        "Publishers": publishers,
        "RunningFor": format!("{} ago", human_duration(now - c.created)),
        "Service": c.service(),
        "Size": "0B",
        "State": format!("{:?}", c.state).to_lowercase(),
        "Status": c.display.status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(ip: &str, public: Option<u16>, private: u16) -> PortMapping {
        PortMapping {
            ip: ip.into(),
            public,
            private,
            protocol: "tcp".into(),
        }
    }

    #[test]
    fn ports_read_like_the_docker_cli() {
        let mappings = [
            port("127.0.0.1", Some(32768), 81),
            port("127.0.0.1", Some(18080), 80),
            port("", None, 9000),
            port("0.0.0.0", Some(8001), 8001),
            port("0.0.0.0", Some(8000), 8000),
            port("::", Some(8000), 8000),
        ];
        assert_eq!(
            ports(&mappings),
            "127.0.0.1:18080->80/tcp, 127.0.0.1:32768->81/tcp, 0.0.0.0:8000-8001->8000-8001/tcp, [::]:8000->8000/tcp, 9000/tcp"
        );
    }
}
