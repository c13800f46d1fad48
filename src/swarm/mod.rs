//! The second target: a Compose project deployed to Docker Swarm as a stack.
//!
//! The same pipeline as a single engine's, over other objects: [`convert`]
//! turns the loaded project into the services, networks, configs and
//! secrets a swarm takes; [`observe`] lists what the stack has (one call
//! per kind); [`plan`] compares the two, field by field, and says why each
//! change exists; [`execute`] applies the plan in `depends_on` order and
//! [`wait`]s for the services to converge.
//!
//! Names and labels are `docker stack`'s (`<stack>_<service>`,
//! `com.docker.stack.namespace`, `com.docker.stack.image`), so either tool
//! can list, update or remove what the other deployed.

pub mod convert;
pub mod diff;
pub mod execute;
pub mod images;
pub mod load;
pub mod observe;
pub mod plan;
pub mod remove;
pub mod wait;

pub use crate::engine::swarm::NAMESPACE;

/// The image a service's file names, before a digest is pinned to it.
pub const IMAGE_LABEL: &str = "com.docker.stack.image";
/// A digest of the health check berth sent: the engine's answer spells
/// the key differently than bollard reads it, so the check itself cannot be
/// compared (see [`diff`]).
pub const HEALTHCHECK_LABEL: &str = "dev.berth.stack.healthcheck";
/// The logical name (the key in the file) of a config or secret version.
pub const OBJECT_LABEL: &str = "dev.berth.stack.object";
/// The digest of a config's or secret's content, on the versions berth
/// makes: tells a changed object kept under an explicit `name:`.
pub const CONTENT_LABEL: &str = "dev.berth.stack.content";

/// `<stack>_<key>`: how `docker stack` names a stack's services, networks,
/// configs and secrets.
pub fn scoped(stack: &str, key: &str) -> String {
    format!("{stack}_{key}")
}
