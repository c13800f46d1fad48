//! The names a shell completes from the project in the current directory:
//! its services and profiles, read quietly (a file that does not load
//! completes nothing rather than printing an error at every keystroke).

use crate::load::environment::Env;
use crate::load::node::Node;
use crate::load::{self, LoadOptions, Loaded};

/// The project's services, every one whatever its profiles.
pub fn service_names() -> Vec<String> {
    let Some(loaded) = quiet_load() else {
        return Vec::new();
    };
    loaded
        .model
        .get("services")
        .and_then(Node::as_map)
        .map(|services| services.keys().map(ToString::to_string).collect())
        .unwrap_or_default()
}

/// The profiles the project's services declare.
pub fn profile_names() -> Vec<String> {
    quiet_load()
        .map(|loaded| loaded.all_profiles)
        .unwrap_or_default()
}

/// Loads the project in the current directory: `None` on any error.
fn quiet_load() -> Option<Loaded> {
    let os_env: Env = std::env::vars().collect();
    let opts = LoadOptions {
        cwd: std::env::current_dir().ok()?,
        os_env,
        // Every service, whatever its profiles: naming one enables them.
        profiles: vec!["*".to_string()],
        // Completion runs per keystroke on an unchanged file.
        remember_validation: true,
        ..Default::default()
    };
    load::load(&opts).ok()
}
