//! Renderers of progress events: spinners on a terminal, one line per state
//! change otherwise, JSON lines for machines, or nothing. All on stderr, or
//! on stdout under `COMPOSE_STATUS_STDOUT`.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinHandle;

use crate::events::{Event, Status};

/// Whether progress goes to stdout (`COMPOSE_STATUS_STDOUT`): a setting of
/// the whole process, made once at start-up before anything renders.
static STATUS_TO_STDOUT: AtomicBool = AtomicBool::new(false);

/// Sends progress to stdout rather than stderr, as Docker Compose does
/// under `COMPOSE_STATUS_STDOUT`.
pub fn status_to_stdout(on: bool) {
    STATUS_TO_STDOUT.store(on, Ordering::Relaxed);
}

fn to_stdout() -> bool {
    STATUS_TO_STDOUT.load(Ordering::Relaxed)
}

/// `--progress`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Progress {
    Auto,
    Tty,
    Plain,
    Json,
    Quiet,
}

impl Progress {
    /// Resolves `auto`: spinners when progress goes to a terminal and colour
    /// is allowed; `tty` falls back to plain lines when it does not.
    pub fn resolve(self, ansi_allowed: bool) -> Progress {
        let terminal = if to_stdout() {
            std::io::stdout().is_terminal()
        } else {
            std::io::stderr().is_terminal()
        };
        match self {
            Progress::Auto if ansi_allowed && terminal => Progress::Tty,
            Progress::Auto => Progress::Plain,
            // Spinners need a terminal to redraw in place; without one they
            // would show nothing: one line per change instead.
            Progress::Tty if !terminal => Progress::Plain,
            other => other,
        }
    }
}

/// Renders events until the sending side is dropped; await the handle to flush.
pub fn spawn(mode: Progress, events: UnboundedReceiver<Event>) -> JoinHandle<()> {
    match mode {
        Progress::Tty => tokio::spawn(tty(events)),
        Progress::Json => tokio::spawn(lines(events, json_line)),
        Progress::Quiet => tokio::spawn(async move {
            let mut events = events;
            while events.recv().await.is_some() {}
        }),
        Progress::Plain | Progress::Auto => tokio::spawn(lines(events, plain_line)),
    }
}

fn plain_line(event: &Event) -> String {
    if event.status == Status::Output {
        return format!("#{} {}", event.name, event.details);
    }
    let mut line = format!(" {} {}  {}", event.kind.title(), event.name, event.text);
    if !event.details.is_empty() {
        line.push_str(": ");
        line.push_str(&event.details);
    }
    if let Some(seconds) = event.kill_in {
        line.push_str(&format!(" (killed in {seconds}s if still running)"));
    }
    line
}

/// The message of a stopping container's spinner, counting down to the kill.
fn countdown(text: &str, kill_in: u64, elapsed: Duration) -> String {
    let left = kill_in.saturating_sub(elapsed.as_secs());
    if left == 0 {
        format!("{text} (killing)")
    } else {
        format!("{text} (killed in {left}s)")
    }
}

/// The version of the JSON progress lines (`schemas/progress.schema.json`).
pub const JSON_PROGRESS_VERSION: u32 = 2;

/// One JSON progress line. `id` and `status` are Docker Compose's (`"id":
/// "Container p-web-1", "status": "Started"`), so that its parsers keep
/// working; `state` is berth's typed phase of the operation.
fn json_line(event: &Event) -> String {
    let time = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let mut line = serde_json::json!({
        "version": JSON_PROGRESS_VERSION,
        "id": format!("{} {}", event.kind.title(), event.name),
        "status": event.text,
        "kind": event.kind,
        "name": event.name,
        "state": event.status,
        "text": event.text,
        "time_ms": time as u64,
    });
    if let Some(object) = line.as_object_mut() {
        if !event.details.is_empty() {
            object.insert("details".into(), event.details.clone().into());
        }
        if let Some(kill_in) = event.kill_in {
            object.insert("kill_in".into(), kill_in.into());
        }
    }
    line.to_string()
}

/// One line per event; a repeated state of the same object is printed once.
async fn lines(mut events: UnboundedReceiver<Event>, format: fn(&Event) -> String) {
    let mut last: HashMap<(crate::events::Kind, String), String> = HashMap::new();
    let mut out: Box<dyn Write + Send> = if to_stdout() {
        Box::new(std::io::stdout())
    } else {
        Box::new(std::io::stderr())
    };
    while let Some(event) = events.recv().await {
        let key = (event.kind, event.name.clone());
        if event.status != Status::Output {
            if last.get(&key) == Some(&event.text) {
                continue;
            }
            last.insert(key, event.text.clone());
        }
        let _ = writeln!(out, "{}", format(&event));
    }
}

/// A spinner per object, with its elapsed time, redrawn in place.
async fn tty(mut events: UnboundedReceiver<Event>) {
    let multi = MultiProgress::with_draw_target(if to_stdout() {
        ProgressDrawTarget::stdout()
    } else {
        ProgressDrawTarget::stderr()
    });
    let working = ProgressStyle::with_template(" {spinner:.cyan} {prefix} {msg:.dim} {elapsed:>4}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    let bars_style = |mark: &str| {
        ProgressStyle::with_template(&format!(" {mark} {{prefix}} {{msg}}"))
            .unwrap_or_else(|_| ProgressStyle::default_spinner())
    };
    let mut bars: HashMap<(crate::events::Kind, String), (ProgressBar, Instant)> = HashMap::new();
    // Stopping containers: their text, grace period and when it began.
    let mut countdowns: HashMap<(crate::events::Kind, String), (String, u64, Instant)> =
        HashMap::new();
    // One ticker for all spinners (indicatif's steady tick is a thread per bar).
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else { break };
                let key = (event.kind, event.name.clone());
                countdowns.remove(&key);
                if let Some(seconds) = event.kill_in {
                    countdowns.insert(key.clone(), (event.text.clone(), seconds, Instant::now()));
                }
                let (bar, started) = bars.entry(key).or_insert_with(|| {
                    let bar = multi.add(ProgressBar::new_spinner());
                    bar.set_style(working.clone());
                    bar.set_prefix(format!("{} {}", event.kind.title(), event.name));
                    (bar, Instant::now())
                });
                let text = if event.details.is_empty() {
                    event.text.clone()
                } else {
                    format!("{}: {}", event.text, event.details)
                };
                match event.status {
                    Status::Working | Status::Output => {
                        bar.set_style(working.clone());
                        match event.kill_in {
                            Some(seconds) => bar.set_message(countdown(&text, seconds, Duration::ZERO)),
                            None => bar.set_message(text),
                        }
                    }
                    status => {
                        let mark = match status {
                            Status::Done => "\u{2714}",
                            Status::Warning => "!",
                            _ => "\u{2718}",
                        };
                        bar.set_style(bars_style(mark));
                        bar.set_message(format!("{text} {:.1}s", started.elapsed().as_secs_f64()));
                        bar.tick();
                    }
                }
            }
            _ = tick.tick() => {
                for (key, (text, seconds, since)) in &countdowns {
                    if let Some((bar, _)) = bars.get(key) {
                        bar.set_message(countdown(text, *seconds, since.elapsed()));
                    }
                }
                for (bar, _) in bars.values() {
                    bar.tick();
                }
            }
        }
    }
    for (bar, _) in bars.values() {
        bar.abandon();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Kind;

    #[test]
    fn a_stopping_container_counts_down_to_its_kill() {
        assert_eq!(
            countdown("Stopping", 10, Duration::from_millis(2500)),
            "Stopping (killed in 8s)"
        );
        assert_eq!(
            countdown("Stopping", 10, Duration::from_secs(11)),
            "Stopping (killing)"
        );
        let event = Event {
            kind: Kind::Container,
            name: "web-1".into(),
            status: Status::Working,
            text: "Stopping".into(),
            details: String::new(),
            kill_in: Some(10),
        };
        assert_eq!(
            plain_line(&event),
            " Container web-1  Stopping (killed in 10s if still running)"
        );
        assert!(json_line(&event).contains(r#""kill_in":10"#));
    }
}
