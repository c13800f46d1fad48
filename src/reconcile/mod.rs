//! Bringing the engine to the state the project describes:
//! desired → observe → plan → execute.

pub mod checks;
pub mod desired;
pub mod execute;
pub mod host_files;
pub mod lifecycle;
pub mod lock;
pub mod observe;
pub mod plan;
pub mod references;
