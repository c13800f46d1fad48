//! berth: a declarative multi-container orchestrator that runs Compose files.

pub mod cli;
pub mod diag;
pub mod env_vars;
pub mod load;
pub mod model;
