//! Typed progress events. The core emits them; renderers (`crate::render`)
//! turn them into spinners, plain lines or JSON. Nothing in the core prints.

use serde::Serialize;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

/// The kind of object an event is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Network,
    Volume,
    Container,
    Service,
    Image,
}

impl Kind {
    pub fn title(self) -> &'static str {
        match self {
            Kind::Network => "Network",
            Kind::Volume => "Volume",
            Kind::Container => "Container",
            Kind::Service => "Service",
            Kind::Image => "Image",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Working,
    /// A line of an operation's own output (a build step); `details` holds it.
    Output,
    Done,
    Warning,
    Error,
}

/// Something happened to one object.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    pub kind: Kind,
    pub name: String,
    pub status: Status,
    /// A status word: Creating, Created, Starting, Waiting, Healthy...
    pub text: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub details: String,
    /// Seconds from now until the engine kills a container that is stopping.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kill_in: Option<u64>,
}

/// Where the core sends events. Cloning is cheap; a closed renderer is ignored.
#[derive(Clone, Debug)]
pub struct Emitter(Option<UnboundedSender<Event>>);

impl Emitter {
    /// An emitter and the receiving end for a renderer.
    pub fn channel() -> (Emitter, UnboundedReceiver<Event>) {
        let (tx, rx) = unbounded_channel();
        (Emitter(Some(tx)), rx)
    }

    pub fn emit(&self, kind: Kind, name: &str, status: Status, text: &str, details: &str) {
        self.send(Event {
            kind,
            name: name.to_string(),
            status,
            text: text.to_string(),
            details: details.to_string(),
            kill_in: None,
        });
    }

    /// A container is stopping, and the engine kills it after `seconds`.
    pub fn stopping(&self, name: &str, seconds: u64) {
        self.send(Event {
            kind: Kind::Container,
            name: name.to_string(),
            status: Status::Working,
            text: "Stopping".to_string(),
            details: String::new(),
            kill_in: Some(seconds),
        });
    }

    fn send(&self, event: Event) {
        if let Some(tx) = &self.0 {
            let _ = tx.send(event);
        }
    }
}
