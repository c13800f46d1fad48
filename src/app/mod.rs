//! The use cases below the command line: opening a project (load,
//! connect, lock, observe), getting its images, applying a plan with its
//! progress, and `up`. They take resolved [`Settings`] and typed options,
//! never clap's structs, and return typed results and [`Error`]s;
//! `crate::cli` parses, resolves the settings, calls them, and turns the
//! outcome into an exit code.

pub mod apply;
pub mod attach;
pub mod attached;
pub mod build;
pub mod commit;
pub mod complete;
pub mod config;
pub mod cp;
pub mod down;
pub mod error;
pub mod events;
pub mod exec;
pub mod export;
pub mod images;
pub mod interrupts;
pub mod lifecycle;
pub mod logs;
pub mod ls;
pub mod open;
pub mod pipe;
pub mod port;
pub mod project_images;
pub mod ps;
pub mod pull;
pub mod push;
pub mod run;
pub mod select;
pub mod settings;
pub mod stack;
pub mod stats;
pub mod terminal;
pub mod top;
pub mod up;
pub mod volumes;
pub mod wait;
pub mod watch;

/// Exit codes berth returns (documented in README.md).
pub mod exit {
    /// Any failure without a more specific code.
    pub const FAILURE: i32 = 1;
    /// Wrong command-line usage.
    pub const USAGE: i32 = 2;
    /// The project files are invalid (syntax, schema, references, interpolation).
    pub const INVALID_PROJECT: i32 = 15;
    /// The Docker Engine cannot be reached (or is too old), or the
    /// connection to it was lost.
    pub const ENGINE_UNREACHABLE: i32 = 16;
    /// A container exited when it should run, or a one-shot service failed.
    pub const CONTAINER_FAILED: i32 = 17;
    /// A service is unhealthy (or has no health check to wait for).
    pub const UNHEALTHY: i32 = 18;
    /// A wait ran past `--wait-timeout`.
    pub const TIMEOUT: i32 = 19;
    /// Interrupted by Ctrl-C.
    pub const INTERRUPTED: i32 = 130;

    /// The code a script written for Docker Compose expects for a failure
    /// berth gives `code`: 1 for each of berth's own codes (`COMPOSE_COMPAT_EXIT`).
    /// Usage errors, interruptions and a container's own code stay.
    pub fn compose_compatible(code: i32) -> i32 {
        match code {
            INVALID_PROJECT | ENGINE_UNREACHABLE | CONTAINER_FAILED | UNHEALTHY | TIMEOUT => {
                FAILURE
            }
            other => other,
        }
    }
}

pub use error::Error;
pub use settings::Settings;
