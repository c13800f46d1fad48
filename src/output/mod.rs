//! What berth shows, in one place: the progress of operations
//! (`progress`: spinners, plain lines, JSON, nothing), tables and
//! `--format` templates, YAML, and the containers' interleaved output
//! (`log_mux`). The core sends typed events (`crate::events`) and returns
//! typed results; this module turns them into text.

pub mod log_mux;
pub mod progress;
pub mod table;
pub mod template;
pub mod watch_lines;
pub mod yaml;

/// Prints loader warnings the way Docker Compose users expect to see them.
pub fn print_warnings(warnings: &[crate::diag::Diagnostic], sources: &crate::diag::Sources) {
    for w in warnings {
        match w.span.and_then(|s| sources.locate(s)) {
            Some(at) => eprintln!("WARN[0000] {} ({at})", w.message),
            None => eprintln!("WARN[0000] {}", w.message),
        }
    }
}
