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

/// What an event says of its object: the status word Docker Compose shows
/// (`Created`, `Started`...), serialised as that word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Word {
    Creating,
    Created,
    /// A container being replaced by a new one (Compose's word).
    Recreate,
    Recreated,
    Starting,
    Started,
    Running,
    Waiting,
    Healthy,
    Exited,
    Stopping,
    Stopped,
    Removing,
    Removed,
    Killing,
    Killed,
    Pausing,
    Paused,
    Unpausing,
    Unpaused,
    Connecting,
    Connected,
    Disconnecting,
    Disconnected,
    Building,
    Built,
    Pulling,
    Pulled,
    Pushing,
    Pushed,
    Committing,
    /// Committed as this image ID.
    CommittedAs(String),
    Exporting,
    Exported,
    Copying,
    Copied,
    /// An image `down --rmi` could not remove.
    Kept,
    /// An optional dependency that could not be brought up.
    Skipped,
    /// A volume a container outside the project still mounts.
    InUse,
    /// A lifecycle hook (`post_start`, `pre_stop`) running, done, failed.
    HookRunning(&'static str),
    HookDone(&'static str),
    HookFailed,
    Warning,
    Error,
}

impl Word {
    /// The word as shown and as JSON carries it.
    pub fn text(&self) -> std::borrow::Cow<'static, str> {
        use std::borrow::Cow;
        if let Some(word) = self.fixed_text() {
            return Cow::Borrowed(word);
        }
        Cow::Owned(match self {
            Word::CommittedAs(id) => format!("Committed as {id}"),
            Word::HookRunning(kind) => format!("Running {kind} hook"),
            Word::HookDone(kind) => format!("{kind} hook done"),
            _ => unreachable!("every other word is fixed text"),
        })
    }

    /// The word when it carries no value (all but `Committed as ID` and the
    /// hook words): text that lives as long as the program.
    pub fn fixed_text(&self) -> Option<&'static str> {
        Some(match self {
            Word::Creating => "Creating",
            Word::Created => "Created",
            Word::Recreate => "Recreate",
            Word::Recreated => "Recreated",
            Word::Starting => "Starting",
            Word::Started => "Started",
            Word::Running => "Running",
            Word::Waiting => "Waiting",
            Word::Healthy => "Healthy",
            Word::Exited => "Exited",
            Word::Stopping => "Stopping",
            Word::Stopped => "Stopped",
            Word::Removing => "Removing",
            Word::Removed => "Removed",
            Word::Killing => "Killing",
            Word::Killed => "Killed",
            Word::Pausing => "Pausing",
            Word::Paused => "Paused",
            Word::Unpausing => "Unpausing",
            Word::Unpaused => "Unpaused",
            Word::Connecting => "Connecting",
            Word::Connected => "Connected",
            Word::Disconnecting => "Disconnecting",
            Word::Disconnected => "Disconnected",
            Word::Building => "Building",
            Word::Built => "Built",
            Word::Pulling => "Pulling",
            Word::Pulled => "Pulled",
            Word::Pushing => "Pushing",
            Word::Pushed => "Pushed",
            Word::Committing => "Committing",
            Word::CommittedAs(_) | Word::HookRunning(_) | Word::HookDone(_) => return None,
            Word::Exporting => "Exporting",
            Word::Exported => "Exported",
            Word::Copying => "Copying",
            Word::Copied => "Copied",
            Word::Kept => "Kept",
            Word::Skipped => "Skipped",
            Word::InUse => "Resource is still in use",
            Word::HookFailed => "Hook failed",
            Word::Warning => "Warning",
            Word::Error => "Error",
        })
    }
}

impl std::fmt::Display for Word {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

impl Serialize for Word {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text())
    }
}

/// Something happened to one object.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    pub kind: Kind,
    pub name: String,
    pub status: Status,
    /// What it says of the object: Creating, Created, Starting, Waiting...
    pub text: Word,
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

    pub fn emit(&self, kind: Kind, name: &str, status: Status, text: Word, details: &str) {
        self.send(Event {
            kind,
            name: name.to_string(),
            status,
            text,
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
            text: Word::Stopping,
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
