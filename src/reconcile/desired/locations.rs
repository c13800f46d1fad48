//! Where the file sets the keys whose fate depends on the engine's
//! platform: the checks of `crate::reconcile::checks` name these places.

use std::collections::BTreeMap;

use crate::load::Loaded;

/// Keys whose place in the file a warning about the engine's platform names.
pub const LOCATED: [&str; 4] = ["platform", "cpu_count", "cpu_percent", "isolation"];

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
