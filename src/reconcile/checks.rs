//! Checks of the desired state against the engine once connected: keys its
//! API is too old for, Windows-only keys, a platform it cannot create. The
//! warnings name where the file sets each key, from the spans the loader kept.

use std::collections::BTreeMap;

use crate::engine::ApiVersion;
use crate::engine::spec::ContainerSpec;
use crate::load::Loaded;
use crate::reconcile::desired::{Desired, DesiredService};

/// A key that needs a newer engine API than berth's floor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatedKey {
    /// Its path under the service, e.g. `healthcheck.start_interval`.
    pub key: &'static str,
    pub since: ApiVersion,
}

/// The keys berth leaves out of the create call on engines older than their API.
const GATED: [(&str, ApiVersion); 3] = [
    ("annotations", ApiVersion::ANNOTATIONS),
    ("healthcheck.start_interval", ApiVersion::START_INTERVAL),
    // bollard's create body has no place for the container-level field older
    // engines read, so the address goes on the primary network's endpoint.
    ("mac_address", ApiVersion::ENDPOINT_MAC_ADDRESS),
];

/// Keys whose place in the file a warning after connecting may name.
const LOCATED: [&str; 7] = [
    GATED[0].0,
    GATED[1].0,
    GATED[2].0,
    "platform",
    "cpu_count",
    "cpu_percent",
    "isolation",
];

impl DesiredService {
    /// ` (file:line:col)` of `key`, or nothing.
    fn at(&self, key: &str) -> String {
        self.located
            .get(key)
            .map(|at| format!(" ({at})"))
            .unwrap_or_default()
    }
}

impl Desired {
    /// A warning for each key the engine at `api` is too old for.
    pub fn unsupported(&self, api: ApiVersion) -> Vec<String> {
        let mut warnings = Vec::new();
        for service in self.services.values() {
            for gated in service.gated.iter().filter(|g| api < g.since) {
                let at = service.at(gated.key);
                warnings.push(format!(
                    "service {:?}: {} needs Docker Engine API {} or newer, and this engine \
                     speaks {api}, so berth leaves it out{at}",
                    service.name, gated.key, gated.since
                ));
            }
        }
        warnings
    }

    /// Whether some service sets a key whose fate depends on the engine's
    /// version or platform.
    pub fn has_engine_dependent_keys(&self) -> bool {
        self.services.values().any(|s| {
            !s.gated.is_empty()
                || !s.spec.platform.is_empty()
                || s.spec.resources.cpu_count != 0
                || s.spec.resources.cpu_percent != 0
                || !s.spec.isolation.is_empty()
        })
    }

    /// A warning for each setting only Windows engines apply, when the
    /// engine's `os/arch` is another OS: Linux engines keep `cpu_count`
    /// without applying it and refuse `isolation` other than `default`.
    pub fn windows_only(&self, engine: &str) -> Vec<String> {
        if engine.starts_with("windows/") {
            return Vec::new();
        }
        let os = engine.split('/').next().unwrap_or(engine);
        let mut warnings = Vec::new();
        for s in self.services.values() {
            let set = [
                ("cpu_count", s.spec.resources.cpu_count != 0),
                ("cpu_percent", s.spec.resources.cpu_percent != 0),
                (
                    "isolation",
                    !matches!(s.spec.isolation.as_str(), "" | "default"),
                ),
            ];
            for (key, _) in set.iter().filter(|(_, set)| *set) {
                warnings.push(format!(
                    "service {:?}: {key} applies to Windows containers only, and this engine \
                     runs {os}{}",
                    s.name,
                    s.at(key)
                ));
            }
        }
        warnings
    }

    /// A warning for each service that asks for another platform than the
    /// engine's (`os/arch`) while its image is already local: the engine
    /// refuses to create it unless that image was pulled for the platform
    /// asked for. `local` tells whether an image reference is local.
    pub fn foreign_platforms(&self, engine: &str, local: impl Fn(&str) -> bool) -> Vec<String> {
        let os_arch = |p: &str| p.split('/').take(2).collect::<Vec<_>>().join("/");
        self.services
            .values()
            .filter(|s| !s.spec.platform.is_empty())
            .filter(|s| !os_arch(&s.spec.platform).eq_ignore_ascii_case(&os_arch(engine)))
            .filter(|s| local(&s.spec.image))
            .map(|s| {
                format!(
                    "service {:?}: platform {} is not the engine's {engine}, and the image {} \
                     is already local: the engine creates the container only if that image \
                     is for {}{}",
                    s.name,
                    s.spec.platform,
                    s.spec.image,
                    s.spec.platform,
                    s.at("platform")
                )
            })
            .collect()
    }
}

/// Where each service sets each key of [`LOCATED`], from the spans the loader kept.
pub fn key_locations(loaded: &Loaded) -> BTreeMap<(String, &'static str), String> {
    let mut found = BTreeMap::new();
    let Some(services) = loaded.model.get("services").and_then(|s| s.as_map()) else {
        return found;
    };
    for (name, service) in services {
        for key in LOCATED {
            let node = key
                .split('.')
                .try_fold(service, |node, part| node.get(part));
            if let Some(at) = node.and_then(|n| loaded.sources.locate(n.key_span())) {
                found.insert((name.to_string(), key), at);
            }
        }
    }
    found
}

/// The gated keys `spec` sets.
pub fn gated_keys(spec: &ContainerSpec) -> Vec<GatedKey> {
    GATED
        .iter()
        .filter(|(key, _)| sets_gated(spec, key))
        .map(|&(key, since)| GatedKey { key, since })
        .collect()
}

fn sets_gated(spec: &ContainerSpec, key: &str) -> bool {
    match key {
        "annotations" => !spec.annotations.is_empty(),
        "healthcheck.start_interval" => spec
            .healthcheck
            .as_ref()
            .is_some_and(|h| h.start_interval.is_some()),
        "mac_address" => !spec.mac_address.is_empty(),
        _ => false,
    }
}
