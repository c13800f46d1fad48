//! Renderers of progress events: spinners on a terminal, one line per state
//! change otherwise, JSON lines for machines, or nothing. All on stderr, or
//! on stdout under `COMPOSE_STATUS_STDOUT`; a [`Printer`] says which, once
//! per command.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinHandle;

use crate::events::{Emitter, Event, Kind, Status};

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
    pub fn resolve(self, ansi_allowed: bool, to_stdout: bool) -> Progress {
        let terminal = if to_stdout {
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

/// How a command shows progress, settled once: the mode, the stream, and
/// the spinners on screen, which other output must be printed above.
#[derive(Clone, Debug)]
pub struct Printer {
    mode: Progress,
    to_stdout: bool,
    shown: Shown,
}

/// The spinners on screen, if any.
#[derive(Clone, Debug, Default)]
struct Shown(Arc<Mutex<Option<MultiProgress>>>);

impl Printer {
    /// `mode` resolved (never `auto`), on stdout when `to_stdout`.
    pub fn new(mode: Progress, to_stdout: bool) -> Printer {
        Printer {
            mode,
            to_stdout,
            shown: Shown::default(),
        }
    }

    pub fn mode(&self) -> Progress {
        self.mode
    }

    /// The same printer, showing nothing when `quiet`.
    pub fn quiet_if(&self, quiet: bool) -> Printer {
        let mut printer = self.clone();
        if quiet {
            printer.mode = Progress::Quiet;
        }
        printer
    }

    /// Renders events until the sending side is dropped; await the handle
    /// to flush. `title` heads the spinners: `[+] Running 2/3`.
    pub fn spawn(&self, title: &'static str, events: UnboundedReceiver<Event>) -> JoinHandle<()> {
        let to_stdout = self.to_stdout;
        match self.mode {
            Progress::Tty => tokio::spawn(tty(title, events, to_stdout, self.shown.clone())),
            Progress::Json => tokio::spawn(lines(events, json_line, to_stdout)),
            Progress::Quiet => tokio::spawn(async move {
                let mut events = events;
                while events.recv().await.is_some() {}
            }),
            Progress::Plain | Progress::Auto => tokio::spawn(lines(events, plain_line, to_stdout)),
        }
    }

    /// Runs `work` with an emitter whose events are rendered under `title`,
    /// and returns its result once the last of them is drawn.
    pub async fn show<T, F>(&self, title: &'static str, work: impl FnOnce(Emitter) -> F) -> T
    where
        F: Future<Output = T>,
    {
        let (events, receiver) = Emitter::channel();
        let renderer = self.spawn(title, receiver);
        // `work` owns the emitter: the renderer ends when it is done with it.
        let result = work(events).await;
        let _ = renderer.await;
        result
    }

    /// A line telling the user what berth is doing (`Gracefully stopping...`),
    /// on stderr above the spinners.
    pub fn note(&self, message: &str) {
        self.above_progress(|| eprintln!("{message}"));
    }

    /// A warning, in Docker Compose's form: `WARN[0000] ...` on stderr.
    pub fn warn(&self, message: &str) {
        self.above_progress(|| eprintln!("WARN[0000] {message}"));
    }

    /// Runs `print`, which writes other output (the containers' logs),
    /// with the spinners cleared, and draws them again below it.
    pub fn above_progress(&self, print: impl FnOnce()) {
        let shown = self.shown.0.lock().unwrap_or_else(|e| e.into_inner());
        match shown.as_ref() {
            Some(multi) => multi.suspend(print),
            None => print(),
        }
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
async fn lines(
    mut events: UnboundedReceiver<Event>,
    format: fn(&Event) -> String,
    to_stdout: bool,
) {
    let mut last: HashMap<(Kind, String), crate::events::Word> = HashMap::new();
    let mut out: Box<dyn Write + Send> = if to_stdout {
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

/// One object on the terminal: its spinner line and what it says.
struct Line {
    bar: ProgressBar,
    /// `Container web-1`.
    label: String,
    /// The status word, with its details.
    text: String,
    status: Status,
    started: Instant,
    /// How long it took, once it no longer works.
    took: Option<Duration>,
    /// A stopping container: its grace period, and when it began.
    countdown: Option<(u64, Instant)>,
}

impl Line {
    fn working(&self) -> bool {
        matches!(self.status, Status::Working | Status::Output)
    }

    /// The label padded to `width` (status words in one column), the text.
    fn message(&self, width: usize) -> String {
        let text = match self.countdown {
            Some((seconds, since)) => countdown(&self.text, seconds, since.elapsed()),
            None => self.text.clone(),
        };
        format!("{:<width$} {text}", self.label)
    }

    fn timer(&self) -> String {
        let took = self.took.unwrap_or_else(|| self.started.elapsed());
        format!("{:.1}s", took.as_secs_f64())
    }
}

fn style(template: &str, mark: &'static str) -> ProgressStyle {
    let style =
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_spinner());
    if mark.is_empty() {
        style
    } else {
        style.tick_strings(&[mark, mark])
    }
}

/// A spinner line per object under a `[+] Running 2/3` header, as Docker
/// Compose draws them, redrawn in place. Every line is cut to the
/// terminal's width: a line that wrapped would throw the redraw off and
/// leave copies of itself in the scrollback.
async fn tty(
    title: &'static str,
    mut events: UnboundedReceiver<Event>,
    to_stdout: bool,
    shown: Shown,
) {
    let multi = MultiProgress::with_draw_target(if to_stdout {
        ProgressDrawTarget::stdout()
    } else {
        ProgressDrawTarget::stderr()
    });
    *shown.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(multi.clone());
    let working = style(" {spinner:.cyan} {wide_msg} {prefix:>5.dim} ", "");
    let done = style(" {spinner:.green} {wide_msg} {prefix:>5.dim} ", "\u{2714}");
    let warned = style(" {spinner:.yellow} {wide_msg} {prefix:>5.dim} ", "!");
    let failed = style(" {spinner:.red} {wide_msg} {prefix:>5.dim} ", "\u{2718}");
    let header = ProgressBar::new_spinner().with_style(style("{wide_msg}", ""));
    let mut lines: Vec<Line> = Vec::new();
    let mut index: HashMap<(Kind, String), usize> = HashMap::new();
    let mut width = 0;
    // One ticker for all spinners (indicatif's steady tick is a thread per bar).
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else { break };
                if lines.is_empty() {
                    multi.add(header.clone());
                }
                let key = (event.kind, event.name.clone());
                let at = *index.entry(key).or_insert_with(|| {
                    lines.push(Line {
                        bar: multi.add(ProgressBar::new_spinner().with_style(working.clone())),
                        label: format!("{} {}", event.kind.title(), event.name),
                        text: String::new(),
                        status: Status::Working,
                        started: Instant::now(),
                        took: None,
                        countdown: None,
                    });
                    lines.len() - 1
                });
                let line = &mut lines[at];
                let text = if event.details.is_empty() {
                    event.text.to_string()
                } else {
                    format!("{}: {}", event.text, event.details)
                };
                // One line each: a newline would throw the redraw off too.
                line.text = text.replace(['\n', '\r'], " ");
                line.status = event.status;
                line.countdown = event.kill_in.map(|seconds| (seconds, Instant::now()));
                line.took = (!line.working()).then(|| line.started.elapsed());
                line.bar.set_style(match event.status {
                    Status::Working | Status::Output => working.clone(),
                    Status::Done => done.clone(),
                    Status::Warning => warned.clone(),
                    Status::Error => failed.clone(),
                });
                line.bar.set_prefix(line.timer());
                if line.label.len() > width {
                    width = line.label.len();
                    for line in &lines {
                        line.bar.set_message(line.message(width));
                    }
                } else {
                    line.bar.set_message(line.message(width));
                }
                let finished = lines.iter().filter(|l| !l.working()).count();
                header.set_message(format!("[+] {title} {finished}/{}", lines.len()));
            }
            _ = tick.tick() => {
                for line in lines.iter().filter(|l| l.working()) {
                    if line.countdown.is_some() {
                        line.bar.set_message(line.message(width));
                    }
                    line.bar.set_prefix(line.timer());
                    line.bar.tick();
                }
            }
        }
    }
    *shown.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
    if !lines.is_empty() {
        header.abandon();
    }
    for line in &lines {
        line.bar.abandon();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            text: crate::events::Word::Stopping,
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
