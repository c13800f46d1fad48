//! `logs`: the output of the project's containers, through a [`LogMux`]
//! that prefixes each line with its container. Following, it reads the
//! containers that start later too.

use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use super::error::Failure;
use super::open::{self, CliEngine};
use super::select::in_services;
use super::{Error, Settings};
use crate::engine::{Container, ContainerEvent, Engine, Event, LogOptions};
use crate::output::log_mux::{LogMux, LogStyle, label};
use crate::reconcile::observe::Listing;

/// What `logs` is asked.
#[derive(Clone, Debug)]
pub struct LogsRequest {
    /// The services (all when empty).
    pub services: Vec<String>,
    /// One replica of the service named (the command line refuses it with
    /// more than one).
    pub index: Option<u32>,
    pub options: LogOptions,
    /// How lines are printed.
    pub style: LogStyle,
}

/// Prints the output of the containers asked for, until it ends (or,
/// following, until every container read has stopped).
pub fn logs(settings: &Settings, request: &LogsRequest) -> Result<(), Error> {
    let (runtime, prepared) = open::open(settings, &request.services)?;
    let project = prepared.desired.project;
    let wanted = |c: &Container| {
        !c.is_oneoff()
            && in_services(c, &request.services)
            && request.index.is_none_or(|n| c.number() == n)
    };
    // As Docker Compose, a replica that is not there is an error, not silence.
    let missing = request
        .index
        .zip(request.services.first())
        .map(|(index, service)| Failure::NoReplica {
            service: service.clone(),
            index,
        });
    let mux = LogMux::new(
        prepared.engine.clone(),
        request.style,
        request.options.clone(),
    );
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
    listing: Option<Listing>,
    mut mux: LogMux<CliEngine>,
    wanted: impl Fn(&Container) -> bool,
    missing: Option<Failure>,
) -> Result<(), Error> {
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
    if let Some(missing) = missing.filter(|_| containers.is_empty()) {
        return Err(missing.into());
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
                return Err(Error::Engine(lost));
            },
            event = next_event(&mut events) => match event {
                Some(Ok(event)) if event.what == ContainerEvent::Started => {
                    mux.follow_started(project, &event.container_id, &wanted).await?;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(Error::Engine(e)),
                None => events = None,
            },
        }
    }
    // What the last readers sent before they ended.
    mux.flush();
    match mux.take_lost() {
        Some(lost) => Err(Error::Engine(lost)),
        None => Ok(()),
    }
}

/// The next event of a stream, or never when there is none.
async fn next_event(
    events: &mut Option<BoxStream<'static, crate::engine::Result<Event>>>,
) -> Option<crate::engine::Result<Event>> {
    match events {
        Some(stream) => stream.next().await,
        None => std::future::pending().await,
    }
}
