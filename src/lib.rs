//! berth: a declarative multi-container orchestrator that runs Compose files.

pub mod app;
pub mod build;
pub mod cli;
pub mod diag;
pub mod digest;
pub mod engine;
pub mod env_vars;
pub mod events;
pub mod gocompat;
pub mod graph;
pub mod ignore;
pub mod load;
pub mod model;
pub mod output;
pub mod pow;
pub mod reconcile;
pub mod redact;
pub mod reference;
pub mod registry;
pub mod suggest;
pub mod swarm;
pub mod time;
pub mod transfer;
pub mod watch;
