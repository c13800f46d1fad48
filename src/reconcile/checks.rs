//! Checks of the desired state against the engine's platform once connected:
//! Windows-only keys, a platform it cannot create. (Keys its API is too old
//! for are [`crate::reconcile::desired::Gate`]s.) The
//! warnings name where the file sets each key, from the spans the loader kept.

use crate::reconcile::desired::{Desired, DesiredService};

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
    /// Whether some service sets a key whose fate depends on the engine's
    /// platform.
    pub fn has_platform_dependent_keys(&self) -> bool {
        self.services.values().any(|s| {
            !s.spec.platform_to_use().is_empty()
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
            .filter(|s| !s.spec.platform_to_use().is_empty())
            .filter(|s| !os_arch(s.spec.platform_to_use()).eq_ignore_ascii_case(&os_arch(engine)))
            .filter(|s| local(&s.spec.image))
            .map(|s| {
                let platform = s.spec.platform_to_use();
                let source = if s.spec.platform.is_empty() {
                    format!(" (from {})", crate::env_vars::DOCKER_DEFAULT_PLATFORM)
                } else {
                    s.at("platform")
                };
                format!(
                    "service {:?}: platform {platform} is not the engine's {engine}, and the \
                     image {} is already local: the engine creates the container only if that \
                     image is for {platform}{source}",
                    s.name, s.spec.image,
                )
            })
            .collect()
    }
}
