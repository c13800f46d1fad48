//! The log multiplexer behind `logs` and attached `up`: it reads the output
//! of several containers at once and prints it line by line, each line
//! prefixed with its container's service and replica (`web-1  | ...`),
//! padded to the widest name and coloured per service, as Docker Compose
//! prints it.
//!
//! A driver owns the multiplexer: it [`LogMux::follow`]s containers, awaits
//! [`LogMux::next_ended`] (which prints the lines as they come) next to its
//! own sources (the engine's events, signals...), and calls
//! [`LogMux::follow_started`] when the engine reports a container start.

use std::collections::{HashMap, HashSet};
use std::io::Write;

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use tokio::sync::mpsc;

use super::progress::Printer;
use crate::engine::{Container, Engine, EngineError, LogChunk, LogOptions, labels};

/// Colours of the prefixes, one per service in turn.
const COLORS: [&str; 6] = ["36", "33", "32", "35", "34", "31"];

/// How lines are printed.
#[derive(Clone, Copy, Debug)]
pub struct LogStyle {
    /// `web-1  | ` before each line.
    pub prefix: bool,
    pub color: bool,
    /// A container's standard error goes to berth's (attached `up`), rather
    /// than to standard output with the rest (`logs`, as in Docker Compose).
    pub split_streams: bool,
}

/// What a reader sends to the multiplexer.
enum Piece {
    Line {
        stderr: bool,
        text: String,
    },
    /// The container's output ended (it stopped, or the engine hung up),
    /// with the time of its last line, and the lost connection when that
    /// is why.
    Ended(String, Option<Stamp>, Option<EngineError>),
}

/// Reads the output of containers and prints it, prefixed.
pub struct LogMux<E: Engine> {
    engine: E,
    style: LogStyle,
    options: LogOptions,
    /// Width the names in prefixes are padded to.
    width: usize,
    /// Services in the order they got their colour.
    services: Vec<String>,
    /// Containers being read now.
    reading: HashSet<String>,
    /// When the last line read of each container was written: after a
    /// restart, reading goes on from there.
    last: HashMap<String, Stamp>,
    sender: mpsc::UnboundedSender<Piece>,
    pieces: mpsc::UnboundedReceiver<Piece>,
    /// Standard output was closed (the reader of a pipe went away).
    closed: bool,
    /// The connection to the engine broke under a reader.
    lost: Option<EngineError>,
    /// Progress that may be on screen meanwhile: lines go above it.
    progress: Option<Printer>,
}

/// The name Docker Compose prefixes lines with: `service-N` for a container
/// named `project-service-N`, else the container's own name (a
/// `container_name`, a one-off of `run`).
pub fn label(c: &Container) -> String {
    let short = format!("{}-{}", c.service(), c.number());
    let project = c.label(labels::PROJECT).unwrap_or_default();
    let default_name = c
        .name
        .strip_prefix(project)
        .and_then(|rest| rest.strip_prefix('-'))
        == Some(short.as_str());
    if default_name { short } else { c.name.clone() }
}

impl<E: Engine> LogMux<E> {
    pub fn new(engine: E, style: LogStyle, options: LogOptions) -> Self {
        let (sender, pieces) = mpsc::unbounded_channel();
        LogMux {
            engine,
            style,
            options,
            width: 0,
            services: Vec::new(),
            reading: HashSet::new(),
            last: HashMap::new(),
            sender,
            pieces,
            closed: false,
            lost: None,
            progress: None,
        }
    }

    /// Prints above the spinners of `printer` whenever they are shown (the
    /// stop after a Ctrl-C while containers still write).
    pub fn print_above(&mut self, printer: Printer) {
        self.progress = Some(printer);
    }

    /// Pads prefixes to at least the widest of these names.
    pub fn widen(&mut self, names: impl IntoIterator<Item = impl AsRef<str>>) {
        let widest = names
            .into_iter()
            .map(|n| n.as_ref().len())
            .max()
            .unwrap_or(0);
        self.width = self.width.max(widest);
    }

    /// What part of the output is read.
    pub fn options(&self) -> &LogOptions {
        &self.options
    }

    pub fn is_reading(&self, id: &str) -> bool {
        self.reading.contains(id)
    }

    /// The IDs of the containers being read.
    pub fn readers(&self) -> impl Iterator<Item = &String> {
        self.reading.iter()
    }

    /// Whether some container is still being read.
    pub fn has_readers(&self) -> bool {
        !self.reading.is_empty()
    }

    /// Whether standard output was closed under berth.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Starts reading `c`'s output (unless it is being read already). A
    /// container read before, now restarted, shows what it wrote after the
    /// last line shown.
    pub fn follow(&mut self, c: &Container) {
        if !self.reading.insert(c.id.clone()) {
            return;
        }
        let mut options = self.options.clone();
        let after = self.last.get(&c.id).cloned();
        if let Some(after) = &after {
            // The engine counts in whole seconds: the lines of that second
            // already shown are skipped by their stamps.
            options.tail = Some("all".into());
            options.since = Some(after.seconds());
        }
        let show_stamps = options.timestamps;
        options.timestamps = true;
        let prefix = self.prefix(c);
        let stream = self.engine.logs(&c.id, &options);
        let (sender, id) = (self.sender.clone(), c.id.clone());
        tokio::spawn(async move {
            let reader = Reader {
                prefix,
                show_stamps,
                after,
            };
            let (last, lost) = reader.read(stream, &sender).await;
            let _ = sender.send(Piece::Ended(id, last, lost));
        });
    }

    /// After the engine reported that container `id` of `project` started:
    /// follows it when `wanted` says so and it is not read yet, and returns it.
    pub async fn follow_started(
        &mut self,
        project: &str,
        id: &str,
        wanted: impl Fn(&Container) -> bool,
    ) -> crate::engine::Result<Option<Container>> {
        if self.is_reading(id) {
            return Ok(None);
        }
        let containers = self.engine.list_containers(project).await?;
        let Some(c) = containers.into_iter().find(|c| c.id == id && wanted(c)) else {
            return Ok(None);
        };
        self.widen([label(&c)]);
        self.follow(&c);
        Ok(Some(c))
    }

    /// Prints lines as they come until a container's output ends, and
    /// returns that container's ID; `None` once nothing is read any more.
    pub async fn next_ended(&mut self) -> Option<String> {
        while !self.reading.is_empty() {
            match self.pieces.recv().await? {
                Piece::Line { stderr, text } => self.print(stderr, &text),
                Piece::Ended(id, last, lost) => {
                    self.ended(&id, last, lost);
                    return Some(id);
                }
            }
        }
        None
    }

    /// Prints what the readers sent and was not printed yet.
    pub fn flush(&mut self) {
        while let Ok(piece) = self.pieces.try_recv() {
            match piece {
                Piece::Line { stderr, text } => self.print(stderr, &text),
                Piece::Ended(id, last, lost) => self.ended(&id, last, lost),
            }
        }
    }

    /// The lost connection to the engine that ended a reader, once.
    pub fn take_lost(&mut self) -> Option<EngineError> {
        self.lost.take()
    }

    fn ended(&mut self, id: &str, last: Option<Stamp>, lost: Option<EngineError>) {
        if self.lost.is_none() {
            self.lost = lost;
        }
        self.reading.remove(id);
        if let Some(last) = last {
            self.last.insert(id.to_string(), last);
        }
    }

    /// A line about the container itself, such as `web-1 exited with code
    /// 0`, in its service's colour.
    pub fn status(&mut self, c: &Container, message: &str) {
        let line = format!("{} {message}", label(c));
        let text = match self.color_of(c) {
            Some(color) => format!("\x1b[{color}m{line}\x1b[0m\n"),
            None => format!("{line}\n"),
        };
        self.print(false, &text);
    }

    fn print(&mut self, stderr: bool, text: &str) {
        let to_stderr = stderr && self.style.split_streams;
        if self.closed && !to_stderr {
            return;
        }
        let write = || {
            if to_stderr {
                let mut err = std::io::stderr().lock();
                err.write_all(text.as_bytes()).and_then(|_| err.flush())
            } else {
                let mut out = std::io::stdout().lock();
                out.write_all(text.as_bytes()).and_then(|_| out.flush())
            }
        };
        let mut written = Ok(());
        match &self.progress {
            Some(printer) => printer.above_progress(|| written = write()),
            None => written = write(),
        }
        if written.is_err() && !(stderr && self.style.split_streams) {
            self.closed = true;
        }
    }

    /// `web-1  | `, padded and coloured; empty without prefixes.
    fn prefix(&mut self, c: &Container) -> String {
        if !self.style.prefix {
            return String::new();
        }
        let padded = format!("{:<width$}  | ", label(c), width = self.width);
        match self.color_of(c) {
            Some(color) => format!("\x1b[{color}m{padded}\x1b[0m"),
            None => padded,
        }
    }

    /// The colour of `c`'s service, its own from its first line on.
    fn color_of(&mut self, c: &Container) -> Option<&'static str> {
        if !self.style.color {
            return None;
        }
        let index = match self.services.iter().position(|s| s == c.service()) {
            Some(index) => index,
            None => {
                self.services.push(c.service().to_string());
                self.services.len() - 1
            }
        };
        Some(COLORS[index % COLORS.len()])
    }
}

/// When the engine says a line was written: its RFC 3339 stamp with the
/// fraction padded to nanoseconds, so that stamps compare as text.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Stamp(String);

impl Stamp {
    /// `2024-01-02T03:04:05.12Z` → `2024-01-02T03:04:05.120000000Z`.
    fn parse(text: &str) -> Option<Stamp> {
        let body = text.strip_suffix('Z')?;
        let (whole, fraction) = body.split_once('.').unwrap_or((body, ""));
        if whole.len() != 19 || fraction.len() > 9 {
            return None;
        }
        Some(Stamp(format!("{whole}.{fraction:0<9}Z")))
    }

    /// Unix seconds.
    fn seconds(&self) -> i64 {
        crate::time::parse_instant(&self.0[..19], 0).unwrap_or_default()
    }
}

/// Reads one container's output.
struct Reader {
    prefix: String,
    /// Whether the user asked for the engine's stamps on each line.
    show_stamps: bool,
    /// Lines written up to this time were shown already.
    after: Option<Stamp>,
}

impl Reader {
    /// Splits the output into lines, each sent with the prefix; returns the
    /// stamp of the last, and the lost connection to the engine if that
    /// ended the output (other errors end it as its end does). Standard
    /// output and error are kept apart, so that their halves of lines do
    /// not mix.
    async fn read(
        mut self,
        mut stream: BoxStream<'static, crate::engine::Result<LogChunk>>,
        pieces: &mpsc::UnboundedSender<Piece>,
    ) -> (Option<Stamp>, Option<EngineError>) {
        let mut pending: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
        let mut last = self.after.clone();
        let mut lost = None;
        while let Some(item) = stream.next().await {
            let chunk = match item {
                Ok(chunk) => chunk,
                Err(e @ EngineError::Lost { .. }) => {
                    lost = Some(e);
                    break;
                }
                Err(_) => break,
            };
            let buffer = &mut pending[usize::from(chunk.stderr)];
            buffer.extend_from_slice(&chunk.bytes);
            while let Some(end) = buffer.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = buffer.drain(..=end).collect();
                self.send(chunk.stderr, &line[..end], &mut last, pieces);
            }
        }
        for (stream, rest) in pending.iter().enumerate() {
            if !rest.is_empty() {
                self.send(stream == 1, rest, &mut last, pieces);
            }
        }
        self.after = None;
        (last, lost)
    }

    fn send(
        &self,
        stderr: bool,
        line: &[u8],
        last: &mut Option<Stamp>,
        pieces: &mpsc::UnboundedSender<Piece>,
    ) {
        let line = String::from_utf8_lossy(line);
        let line = line.trim_end_matches('\r');
        let (stamp, text) = match line.split_once(' ') {
            Some((stamp, text)) => (Stamp::parse(stamp), text),
            None => (Stamp::parse(line), ""),
        };
        // Without a stamp (never from the engine), the line as it came.
        let text = if stamp.is_some() { text } else { line };
        if let (Some(stamp), Some(after)) = (&stamp, &self.after)
            && stamp <= after
        {
            return;
        }
        if stamp.is_some() {
            *last = stamp;
        }
        let shown = if self.show_stamps { line } else { text };
        let text = format!("{}{shown}\n", self.prefix);
        let _ = pieces.send(Piece::Line { stderr, text });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_compare_in_time_order_whatever_their_precision() {
        let a = Stamp::parse("2024-01-02T03:04:05.12Z").unwrap();
        let b = Stamp::parse("2024-01-02T03:04:05.1199Z").unwrap();
        let c = Stamp::parse("2024-01-02T03:04:05Z").unwrap();
        assert!(c < b && b < a);
        assert_eq!(a.seconds(), 1_704_164_645);
        assert_eq!(Stamp::parse("garbage"), None);
    }
}
