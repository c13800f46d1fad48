//! A service's networking: published ports, the networks it joins (the
//! primary one first), the namespaces and volumes it shares with other
//! services, and its links.

use super::service::ServiceContext;
use super::{DesiredError, DesiredNetwork, Gate, sorted};
use crate::engine::ApiVersion;
use crate::engine::spec::{ContainerSpec, NetworkAttachment, PortSpec};
use crate::model::{Service, ServiceNetworkConfig};

/// The service's ports; a range of published ports maps onto the same range of targets.
pub(super) fn ports(service: &Service) -> Vec<PortSpec> {
    service
        .ports
        .iter()
        .map(|port| PortSpec {
            target: port.target,
            protocol: if port.protocol.is_empty() {
                "tcp".into()
            } else {
                port.protocol.clone()
            },
            host_ip: port.host_ip.clone(),
            published: port.published.clone(),
        })
        .collect()
}

impl ServiceContext<'_> {
    /// Sets the spec's networks, namespaces and links. Returns the keys of
    /// the networks the containers join, and the services whose containers
    /// they share a namespace or volumes with (recreating those recreates these).
    pub(super) fn networking(
        &mut self,
        spec: &mut ContainerSpec,
    ) -> Result<(Vec<String>, Vec<String>), DesiredError> {
        let service = self.service;
        let mut parents = Vec::new();
        let network_keys = if service.network_mode.is_empty() {
            self.attachments(spec)?
        } else {
            spec.network_mode = service.network_mode.clone();
            if let Some(parent) = service.network_mode.strip_prefix("service:") {
                parents.push(parent.to_string());
            }
            Vec::new()
        };
        for from in &service.volumes_from {
            if !from.starts_with("container:") {
                parents.push(from.split(':').next().unwrap_or_default().to_string());
            }
        }
        spec.volumes_from = service.volumes_from.clone();
        parents.extend(self.namespace_parents()?);
        spec.ipc = service.ipc.clone();
        spec.pid = service.pid.clone();
        spec.links = links(service);
        spec.external_links = service.external_links.clone();
        Ok((network_keys, parents))
    }

    /// Joins the networks the service lists, the primary one first:
    /// highest priority, then by name. Returns their keys.
    fn attachments(&mut self, spec: &mut ContainerSpec) -> Result<Vec<String>, DesiredError> {
        let mut joined: Vec<(i64, &String, Option<&ServiceNetworkConfig>)> = self
            .service
            .networks
            .iter()
            .map(|(key, config)| {
                (
                    config.as_ref().map_or(0, |c| c.priority),
                    key,
                    config.as_ref(),
                )
            })
            .collect();
        joined.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        let mut network_keys = Vec::new();
        for (_, net_key, config) in joined {
            let Some(network) = self.desired.networks.get(net_key) else {
                return Err(self.fail(format!(
                    "joins network {net_key:?}, which the top-level networks do not declare"
                )));
            };
            spec.networks
                .push(self.attachment(net_key, network, config));
            network_keys.push(net_key.clone());
        }
        Ok(network_keys)
    }

    /// The container's endpoint on `network`: the service's name and
    /// aliases, its addresses and options, gated where engines ignore them.
    fn attachment(
        &mut self,
        net_key: &str,
        network: &DesiredNetwork,
        config: Option<&ServiceNetworkConfig>,
    ) -> NetworkAttachment {
        let mut attachment = NetworkAttachment {
            network: network.spec.name.clone(),
            aliases: vec![self.name.to_string()],
            ..Default::default()
        };
        let Some(config) = config else {
            return attachment;
        };
        attachment.aliases.extend(config.aliases.iter().cloned());
        attachment.ipv4_address = config.ipv4_address.clone();
        attachment.ipv6_address = config.ipv6_address.clone();
        attachment.link_local_ips = config.link_local_ips.clone();
        attachment.mac_address = config.mac_address.clone();
        attachment.driver_opts = sorted(&config.driver_opts);
        attachment.gw_priority = config.gw_priority;
        attachment.interface_name = config.interface_name.clone();
        let gated = [
            (
                !config.mac_address.is_empty(),
                ApiVersion::ENDPOINT_MAC_ADDRESS,
                "mac_address",
            ),
            (
                config.gw_priority != 0,
                ApiVersion::GW_PRIORITY,
                "gw_priority",
            ),
            (
                !config.interface_name.is_empty(),
                ApiVersion::INTERFACE_NAME,
                "interface_name",
            ),
        ];
        for (_, api, field) in gated.into_iter().filter(|g| g.0) {
            let path = self.key(&["networks", net_key, field]);
            self.gates
                .push(Gate::new(api, path, "the engine ignores it", false));
        }
        attachment
    }

    /// The services whose IPC or PID namespace the service shares
    /// (`ipc: service:x`); each must be in the project.
    fn namespace_parents(&self) -> Result<Vec<String>, DesiredError> {
        let mut parents = Vec::new();
        for (field, mode) in [("ipc", &self.service.ipc), ("pid", &self.service.pid)] {
            if let Some(parent) = mode.strip_prefix("service:") {
                if !self.project.services.contains_key(parent) {
                    return Err(self.fail_at(
                        self.key(&[field]),
                        format!(
                            "{field} shares the namespace of service {parent:?}, which is not in the project"
                        ),
                    ));
                }
                parents.push(parent.to_string());
            }
        }
        Ok(parents)
    }
}

/// `service[:alias]`, the alias defaulting to the service's name.
fn links(service: &Service) -> Vec<String> {
    service
        .links
        .iter()
        .map(|link| match link.split_once(':') {
            Some((target, alias)) => format!("{target}:{alias}"),
            None => format!("{link}:{link}"),
        })
        .collect()
}
