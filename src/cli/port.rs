//! `berth port`: where the host publishes a container port of a service.

use crate::app::open;
use clap::Args;

use super::{CliError, Settings};

#[derive(Debug, Args)]
pub struct PortArgs {
    /// tcp or udp
    #[arg(long, default_value = "tcp")]
    pub protocol: String,
    /// The replica, when the service has several (default: the lowest)
    #[arg(long, value_name = "N")]
    pub index: Option<u32>,
    /// The service
    #[arg(value_name = "SERVICE")]
    pub service: String,
    /// The port inside the container
    #[arg(value_name = "PRIVATE_PORT")]
    pub port: u16,
}

pub fn run(settings: &Settings, args: PortArgs) -> Result<i32, CliError> {
    let (runtime, prepared) = open::open(settings, std::slice::from_ref(&args.service))?;
    // The listing `open` may already hold saves a second list call.
    let container = &runtime.block_on(open::replica(
        &prepared.engine,
        &prepared.desired.project,
        prepared.listing,
        &args.service,
        args.index,
        false,
    ))?;
    let published = container
        .display
        .ports
        .iter()
        .find(|p| p.private == args.port && p.protocol == args.protocol && p.public.is_some());
    match published {
        Some(p) => {
            println!("{}:{}", p.ip, p.public.unwrap_or_default());
            Ok(0)
        }
        None => Err(CliError::Other(format!(
            "port {}/{} of {} is not published",
            args.port, args.protocol, container.name
        ))),
    }
}
