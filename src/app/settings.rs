//! The settings every use case reads, resolved once from the command
//! line and the environment (by `crate::cli`).

use super::Error;
use crate::env_vars;
use crate::load::LoadOptions;

/// Everything resolved once from flags and the environment.
#[derive(Clone)]
pub struct Settings {
    pub load: LoadOptions,
    pub color_stderr: bool,
    /// `--show-secrets`: error snippets print secret-looking values.
    pub show_secrets: bool,
    pub dry_run: bool,
    /// `COMPOSE_COMPAT_EXIT`: failures exit 1 (see [`super::exit::compose_compatible`]).
    pub compat_exit: bool,
    /// Resolved: never `auto`.
    pub progress: crate::output::progress::Printer,
    /// Engine operations at once: `--parallel`, else `COMPOSE_PARALLEL_LIMIT`.
    pub parallel: usize,
    /// `--context`, `--host` and the TLS flags: which engine.
    pub engine: crate::engine::endpoint::EngineFlags,
    /// `COMPOSE_REMOVE_ORPHANS`: `up` and `run` remove orphans unasked.
    pub remove_orphans: bool,
    /// Not `COMPOSE_IGNORE_ORPHANS`: say when a project has orphans.
    pub warn_orphans: bool,
    /// Watch syncs through a receiver in each container (not with
    /// `BERTH_WATCH_RECEIVER=0`: the archive API only).
    pub watch_receivers: bool,
}

impl Settings {
    /// The engine to talk to (see [`crate::engine::endpoint`]).
    pub fn endpoint(&self) -> Result<crate::engine::endpoint::Endpoint, Error> {
        crate::engine::endpoint::resolve(&self.load.os_env, &self.engine)
            .map_err(|e| Error::Engine(e.into()))
    }

    /// A boolean environment variable such as `COMPOSE_REMOVE_ORPHANS`, as
    /// Docker Compose reads it ([`crate::gocompat::env_flag`]).
    pub fn env_flag(&self, name: &str) -> bool {
        self.load
            .os_env
            .get(name)
            .is_some_and(|v| crate::gocompat::env_flag(v))
    }

    /// Whether to build with BuildKit (the default) or with the engine's
    /// classic builder (`DOCKER_BUILDKIT` false), as Docker Compose does.
    /// Asked only when building, so a bad value fails only builds.
    pub fn buildkit(&self) -> Result<bool, Error> {
        match self.load.os_env.get(env_vars::DOCKER_BUILDKIT) {
            None => Ok(true),
            Some(value) => crate::gocompat::parse_bool(value).ok_or_else(|| {
                Error::Usage(format!(
                    "DOCKER_BUILDKIT is {value:?}: set it to 1 (BuildKit, the default) or 0 \
                     (the engine's classic builder)"
                ))
            }),
        }
    }
}
