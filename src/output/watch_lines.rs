//! What `watch` says: a status line per batch on standard output (between
//! the containers' log lines under `up --watch`), failures and warnings on
//! standard error.

use std::io::Write;

use crate::watch::Reporter;

/// The lines of a watch session.
pub struct WatchLines {
    /// `--quiet`: no status lines (failures are still said).
    quiet: bool,
}

impl WatchLines {
    pub fn new(quiet: bool) -> WatchLines {
        WatchLines { quiet }
    }
}

impl Reporter for WatchLines {
    fn done(&self, line: &str) {
        if !self.quiet {
            println!("{line}");
        }
    }

    fn output(&self, container: &str, text: &str) {
        let mut out = std::io::stdout().lock();
        for line in text.lines() {
            let _ = writeln!(out, "{container}  | {line}");
        }
    }

    fn failed(&self, message: &str) {
        // Messages rendered for the command line carry their prefix already.
        let message = message.strip_prefix("error: ").unwrap_or(message);
        eprintln!("error: {message}");
    }

    fn warned(&self, message: &str) {
        eprintln!("warning: {message}");
    }
}
