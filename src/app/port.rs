//! `port`: where the host publishes a container port of a service.

use super::error::Failure;
use super::open;
use super::{Error, Settings};

/// What `port` is asked.
#[derive(Clone, Debug)]
pub struct PortRequest {
    pub service: String,
    /// The replica (the lowest when `None`).
    pub index: Option<u32>,
    /// The port inside the container.
    pub port: u16,
    /// `tcp` or `udp`.
    pub protocol: String,
}

/// A host address a container port is published on.
pub struct Published {
    pub ip: String,
    pub port: u16,
}

/// The host address of the port; an error when it is not published.
pub fn port(settings: &Settings, request: &PortRequest) -> Result<Published, Error> {
    let (runtime, prepared) = open::open(settings, std::slice::from_ref(&request.service))?;
    // The listing `open` may already hold saves a second list call.
    let container = runtime.block_on(open::replica(
        &prepared.engine,
        &prepared.desired.project,
        prepared.listing,
        &request.service,
        request.index,
        false,
    ))?;
    let published = container.display.ports.iter().find(|p| {
        p.private == request.port && p.protocol == request.protocol && p.public.is_some()
    });
    match published {
        Some(p) => Ok(Published {
            ip: p.ip.clone(),
            port: p.public.unwrap_or_default(),
        }),
        None => Err(Failure::PortNotPublished {
            port: request.port,
            protocol: request.protocol.clone(),
            container: container.name,
        }
        .into()),
    }
}
