//! `events`: the engine's events about the project's containers as they
//! happen, handed one by one to whoever prints them.

use std::ops::ControlFlow;

use futures_util::StreamExt;

use super::open;
use super::{Error, Settings};
use crate::engine::{Activity, Engine, labels};

/// What `events` is asked.
#[derive(Clone, Debug, Default)]
pub struct EventsRequest {
    /// The services whose containers to report (all when empty).
    pub services: Vec<String>,
    /// Replay from this time (Unix seconds); from now when `None`.
    pub since: Option<i64>,
    /// Stop at this time; go on for ever when `None`.
    pub until: Option<i64>,
}

/// Hands `sink` each event with its container's service, until the stream
/// ends (`--until`) or `sink` breaks (its reader went away).
pub fn events(
    settings: &Settings,
    request: &EventsRequest,
    mut sink: impl FnMut(&Activity, &str) -> ControlFlow<()>,
) -> Result<(), Error> {
    let (runtime, prepared) = open::open(settings, &request.services)?;
    let mut activity =
        prepared
            .engine
            .activity(&prepared.desired.project, request.since, request.until);
    runtime.block_on(async {
        while let Some(event) = activity.next().await {
            let event = event?;
            let service = event
                .attributes
                .get(labels::SERVICE)
                .cloned()
                .unwrap_or_default();
            if !request.services.is_empty() && !request.services.contains(&service) {
                continue;
            }
            if sink(&event, &service).is_break() {
                break;
            }
        }
        Ok(())
    })
}
