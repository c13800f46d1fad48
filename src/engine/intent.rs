//! The changes to a project's objects that would surprise the next berth
//! if the engine carried them out after it had looked (stopping, killing,
//! removing and renaming containers; making containers and networks),
//! noted before each request is sent and again when it is answered.
//!
//! A berth killed with such a request under way leaves it to the engine,
//! which may carry it out late (an engine under load can take seconds to
//! deliver a signal). The notes let the next berth find what was under way
//! and finish it before it looks at the containers (see
//! `reconcile::recover`); `reconcile::lock` keeps them in the lock file.

use std::fmt;

/// One change to a container that the engine is asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Intent {
    /// Stop it, killing it after `timeout` seconds.
    Stop { id: String, timeout: i64 },
    /// Send it `signal`.
    Kill { id: String, signal: String },
    /// Remove it (forced), with its anonymous volumes when `volumes`.
    Remove { id: String, volumes: bool },
    /// Make the network `name`.
    CreateNetwork { name: String },
    /// Make the container `name`.
    CreateContainer { name: String },
    /// Give it the name `name`.
    Rename { id: String, name: String },
}

impl Intent {
    /// The container (by the ID or name the request named it with) or the
    /// network it is about.
    pub fn target(&self) -> &str {
        match self {
            Intent::Stop { id, .. }
            | Intent::Kill { id, .. }
            | Intent::Remove { id, .. }
            | Intent::Rename { id, .. } => id,
            Intent::CreateNetwork { name } | Intent::CreateContainer { name } => name,
        }
    }

    /// Reads what [`Intent`]'s `Display` wrote; `None` for anything else.
    pub fn parse(text: &str) -> Option<Intent> {
        let mut words = text.split(' ');
        let (kind, target) = (words.next()?, words.next()?.to_string());
        let arg = words.next();
        if target.is_empty() || words.next().is_some() {
            return None;
        }
        match (kind, arg) {
            ("stop", Some(timeout)) => Some(Intent::Stop {
                id: target,
                timeout: timeout.parse().ok()?,
            }),
            ("kill", Some(signal)) if !signal.is_empty() => Some(Intent::Kill {
                id: target,
                signal: signal.to_string(),
            }),
            ("rm", Some(volumes @ ("v" | "-"))) => Some(Intent::Remove {
                id: target,
                volumes: volumes == "v",
            }),
            ("network", None) => Some(Intent::CreateNetwork { name: target }),
            ("container", None) => Some(Intent::CreateContainer { name: target }),
            ("rename", Some(name)) if !name.is_empty() => Some(Intent::Rename {
                id: target,
                name: name.to_string(),
            }),
            _ => None,
        }
    }
}

/// One line's worth, without spaces inside its words (engine IDs, names
/// and signal names have none).
impl fmt::Display for Intent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Intent::Stop { id, timeout } => write!(f, "stop {id} {timeout}"),
            Intent::Kill { id, signal } => write!(f, "kill {id} {signal}"),
            Intent::Remove { id, volumes } => {
                write!(f, "rm {id} {}", if *volumes { "v" } else { "-" })
            }
            Intent::CreateNetwork { name } => write!(f, "network {name}"),
            Intent::CreateContainer { name } => write!(f, "container {name}"),
            Intent::Rename { id, name } => write!(f, "rename {id} {name}"),
        }
    }
}

/// Where an engine notes its irreversible requests.
pub trait IntentLog: Send + Sync {
    /// Notes `intent` before its request is sent; the ticket is for
    /// [`IntentLog::end`].
    fn begin(&self, intent: &Intent) -> u64;
    /// Notes that the request of `ticket` was answered. A request whose
    /// future was dropped before its answer is never ended: it may still
    /// be on its way.
    fn end(&self, ticket: u64);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_intent_reads_back_as_written_and_nothing_else_reads() {
        let intents = [
            Intent::Stop {
                id: "abc".into(),
                timeout: 10,
            },
            Intent::Kill {
                id: "p-web-1".into(),
                signal: "SIGKILL".into(),
            },
            Intent::Remove {
                id: "abc".into(),
                volumes: true,
            },
            Intent::Remove {
                id: "abc".into(),
                volumes: false,
            },
            Intent::CreateNetwork {
                name: "p_default".into(),
            },
            Intent::CreateContainer {
                name: "p-web-1".into(),
            },
            Intent::Rename {
                id: "abc".into(),
                name: "p-web-1".into(),
            },
        ];
        for intent in intents {
            assert_eq!(Intent::parse(&intent.to_string()), Some(intent));
        }
        for text in [
            "",
            "1700000001",
            "stop abc",
            "stop abc ten",
            "stop  10",
            "rm abc yes",
            "kill abc ",
            "stop abc 10 extra",
            "start abc 1",
            "network p_default x",
            "network",
            "rename abc",
            "container p-web-1 x",
        ] {
            assert_eq!(Intent::parse(text), None, "{text:?}");
        }
    }
}
