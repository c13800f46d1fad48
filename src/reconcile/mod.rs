//! Bringing the engine to the state the project describes:
//! desired → observe → plan → execute.

pub mod checks;
pub mod config_hash;
pub mod desired;
pub mod execute;
pub mod fingerprint;
pub mod host_files;
pub mod lifecycle;
pub mod lock;
pub mod observe;
pub mod plan;
pub mod recover;
pub mod references;
pub mod schedule;
#[cfg(test)]
pub(crate) mod test_support;
