//! `berth port`: where the host publishes a container port of a service.

use clap::Args;

use super::{CliError, Settings};
use crate::app::port::{self, PortRequest};

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
    let request = PortRequest {
        service: args.service,
        index: args.index,
        port: args.port,
        protocol: args.protocol,
    };
    let published = port::port(settings, &request)?;
    println!("{}:{}", published.ip, published.port);
    Ok(0)
}
