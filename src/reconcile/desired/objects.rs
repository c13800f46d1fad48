//! The project's networks and volumes as the engine gets them, with the
//! labels that say whose they are and what definition made them.

use std::collections::BTreeMap;

use super::{DesiredNetwork, DesiredVolume, Gate, path, sorted};
use crate::engine::spec::{IpamPoolSpec, IpamSpec, NetworkSpec, VolumeSpec};
use crate::engine::{ApiVersion, labels};
use crate::model::{NetworkConfig, VolumeConfig};
use crate::reconcile::config_hash;
use crate::reconcile::fingerprint::Fingerprint;

/// The network `key` of `project`, with its identity labels.
pub(super) fn network_state(project: &str, key: &str, network: &NetworkConfig) -> DesiredNetwork {
    let mut spec = NetworkSpec {
        name: network.name.clone(),
        driver: network.driver.clone(),
        driver_opts: sorted(&network.driver_opts),
        labels: sorted(&network.labels),
        internal: network.internal,
        attachable: network.attachable,
        enable_ipv6: network.enable_ipv6,
        enable_ipv4: network.enable_ipv4,
        ipam: ipam(network),
        identity_labels: BTreeMap::new(),
    };
    let hash = config_hash::network_hash(network);
    spec.identity_labels = BTreeMap::from([
        (labels::PROJECT.into(), project.to_string()),
        (labels::NETWORK.into(), key.to_string()),
        (labels::VERSION.into(), labels::COMPOSE_VERSION.into()),
        (labels::CONFIG_HASH.into(), hash.clone()),
        (labels::DIGESTS.into(), Fingerprint::of(&spec).to_label()),
    ]);
    DesiredNetwork {
        key: key.to_string(),
        external: network.external,
        spec,
        hash,
    }
}

/// The network's IPAM settings, when it has some.
fn ipam(network: &NetworkConfig) -> Option<IpamSpec> {
    let ipam = &network.ipam;
    let set = !ipam.driver.is_empty() || !ipam.config.is_empty() || !ipam.options.is_empty();
    set.then(|| IpamSpec {
        driver: ipam.driver.clone(),
        config: ipam
            .config
            .iter()
            .map(|p| IpamPoolSpec {
                subnet: p.subnet.clone(),
                ip_range: p.ip_range.clone(),
                gateway: p.gateway.clone(),
                aux_addresses: sorted(&p.aux_addresses),
            })
            .collect(),
        options: sorted(&ipam.options),
    })
}

/// `enable_ipv4: false` on a network berth creates: older engines give
/// it IPv4 addresses anyway.
pub(super) fn ipv4_gate(key: &str, network: &NetworkConfig) -> Option<Gate> {
    (network.enable_ipv4 == Some(false) && !network.external).then(|| {
        Gate::new(
            ApiVersion::DISABLE_IPV4,
            path(&["networks", key, "enable_ipv4"]),
            "the network gets IPv4 addresses anyway",
            false,
        )
    })
}

/// The volume `key` of `project`, with its identity labels.
pub(super) fn volume_state(project: &str, key: &str, volume: &VolumeConfig) -> DesiredVolume {
    let mut spec = VolumeSpec {
        name: volume.name.clone(),
        driver: if volume.driver.is_empty() {
            "local".into()
        } else {
            volume.driver.clone()
        },
        driver_opts: sorted(&volume.driver_opts),
        labels: sorted(&volume.labels),
        identity_labels: BTreeMap::new(),
    };
    let hash = config_hash::volume_hash(volume);
    spec.identity_labels = BTreeMap::from([
        (labels::PROJECT.into(), project.to_string()),
        (labels::VOLUME.into(), key.to_string()),
        (labels::VERSION.into(), labels::COMPOSE_VERSION.into()),
        (labels::CONFIG_HASH.into(), hash.clone()),
        (labels::DIGESTS.into(), Fingerprint::of(&spec).to_label()),
    ]);
    DesiredVolume {
        key: key.to_string(),
        external: volume.external,
        spec,
        hash,
    }
}
