//! The use cases below the command line: opening a project (load,
//! connect, lock, observe), getting its images, applying a plan with its
//! progress, and `up`. They take resolved [`Settings`] and typed options,
//! never clap's structs, and return typed results and [`Error`]s;
//! `crate::cli` parses, resolves the settings, calls them, and turns the
//! outcome into an exit code.

pub mod apply;
pub mod error;
pub mod images;
pub mod interrupts;
pub mod open;
pub mod settings;
pub mod up;

pub use error::Error;
pub use settings::Settings;
