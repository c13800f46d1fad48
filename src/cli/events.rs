//! `berth events`: the engine's events about the project's containers as
//! they happen, one line each in Docker Compose's form (or JSON with
//! `--json`), until berth is interrupted.

use std::io::Write;
use std::ops::ControlFlow;

use clap::Args;

use super::instant_flag;
use super::{CliError, Settings};
use crate::app::events::{self, EventsRequest};
use crate::engine::Activity;
use crate::time::{local_micros, rfc3339_nanos};

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Services whose containers to report (default: all)
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Output events as a stream of JSON objects
    #[arg(long)]
    pub json: bool,
    /// Replay the events since this time (a Unix timestamp, a duration such
    /// as 10m, or an RFC 3339 date and time), then go on
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Stop at this time (same forms as --since)
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
}

pub fn run(settings: &Settings, args: EventsArgs) -> Result<i32, CliError> {
    let request = EventsRequest {
        since: instant_flag(&args.since)?,
        until: instant_flag(&args.until)?,
        services: args.services,
    };
    events::events(settings, &request, |event, service| {
        let line = if args.json {
            json_line(event, service)
        } else {
            text_line(event)
        };
        let mut out = std::io::stdout().lock();
        match writeln!(out, "{line}").and_then(|_| out.flush()) {
            Ok(()) => ControlFlow::Continue(()),
            // The reader went away (a closed pipe): nothing left to do.
            Err(_) => ControlFlow::Break(()),
        }
    })?;
    Ok(0)
}

/// The attributes worth showing: not the labels of Compose (and berth)
/// that every container has.
fn shown_attributes(event: &Activity) -> impl Iterator<Item = (&String, &String)> {
    event.attributes.iter().filter(|(key, _)| {
        !key.starts_with("com.docker.compose.") && !key.starts_with("dev.berth.")
    })
}

/// `2024-01-02 03:04:05.123456 container start 0123abcd... (image=busybox, name=p-web-1)`.
fn text_line(event: &Activity) -> String {
    let attributes: Vec<String> = shown_attributes(event)
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    format!(
        "{} container {} {} ({})",
        local_micros(event.time_nano),
        event.action,
        event.container_id,
        attributes.join(", ")
    )
}

fn json_line(event: &Activity, service: &str) -> String {
    let attributes: serde_json::Map<String, serde_json::Value> = shown_attributes(event)
        .map(|(key, value)| (key.clone(), value.clone().into()))
        .collect();
    serde_json::json!({
        "time": rfc3339_nanos(event.time_nano),
        "type": "container",
        "service": service,
        "id": event.container_id,
        "action": event.action,
        "attributes": attributes,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> Activity {
        Activity {
            time_nano: 1_704_164_645_123_456_789,
            action: "die".into(),
            container_id: "0123abcd".into(),
            attributes: [
                ("com.docker.compose.service", "web"),
                ("dev.berth.spec", "{}"),
                ("exitCode", "3"),
                ("image", "busybox"),
                ("name", "p-web-1"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        }
    }

    #[test]
    fn events_print_as_docker_compose_prints_them() {
        assert_eq!(
            text_line(&event()),
            "2024-01-02 03:04:05.123456 container die 0123abcd (exitCode=3, image=busybox, name=p-web-1)"
        );
        assert_eq!(
            json_line(&event(), "web"),
            r#"{"time":"2024-01-02T03:04:05.123456789Z","type":"container","service":"web","id":"0123abcd","action":"die","attributes":{"exitCode":"3","image":"busybox","name":"p-web-1"}}"#
        );
    }
}
