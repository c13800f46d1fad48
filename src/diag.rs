//! Diagnostics: positions in the loaded files and errors that point at them.
//!
//! Every file the loader reads is registered in [`Sources`]; a [`Span`]
//! names one of them by index. An error is a [`Diagnostic`] with a message,
//! an optional position and a hint; [`Diagnostics`] carries several at once.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

/// A position in a loaded file. Every node of a loaded tree has two, so
/// the line and column are not stored: [`Span::line_col`] finds them in the
/// file's text when a message needs them. Eight bytes: a file index past
/// `u16::MAX - 1` counts as unknown, and a length past `u16::MAX` (spans
/// stay on one line) is cut there.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// Byte offset of the position in the file's text.
    pub offset: u32,
    /// Length in bytes of the spanned text (0 when unknown).
    pub len: u16,
    pub file: u16,
}

impl Span {
    /// A span for values berth made up (defaults, command-line input).
    pub const NONE: Span = Span {
        file: u16::MAX,
        offset: 0,
        len: 0,
    };

    /// The span of `len` bytes at `offset` in file number `file`.
    pub fn new(file: u32, offset: u32, len: usize) -> Span {
        match u16::try_from(file) {
            Ok(file) if file != u16::MAX => Span {
                file,
                offset,
                len: len.min(usize::from(u16::MAX)) as u16,
            },
            _ => Span::NONE,
        }
    }

    pub fn is_known(&self) -> bool {
        self.file != u16::MAX
    }

    /// The 1-based line and column (in characters) of the span's start in
    /// `text`, the text of its file. A byte order mark is not a column.
    /// Whether the span can point into `text` (not when the file was read
    /// again and found changed, or empty).
    pub fn points_into(&self, text: &str) -> bool {
        !text.is_empty() && self.offset as usize <= text.len()
    }

    pub fn line_col(&self, text: &str) -> (u32, u32) {
        let mut end = (self.offset as usize).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let before = &text[..end];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let mut line_text = &before[line_start..];
        if line_start == 0 {
            line_text = line_text.trim_start_matches('\u{feff}');
        }
        let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
        (line as u32, line_text.chars().count() as u32 + 1)
    }
}

/// A loaded file: its path and its text, which spans point into.
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    /// An env file (`KEY=value` lines, every value hidden in snippets)
    /// rather than YAML.
    pub env_file: bool,
    text: Mutex<Held>,
}

/// How a [`SourceFile`] holds its text.
#[derive(Debug)]
enum Held {
    Text(Arc<String>),
    /// Given up once parsed (a compose file of a thousand services is a
    /// megabyte, alive beside its tree until the command ends); read again
    /// by `reread` if a message needs it, and used only if it is the same.
    Released {
        reread: Reread,
        len: usize,
        hash: u64,
    },
}

/// Reads a file's text again (the loader's own reading of it).
pub type Reread = fn(&Path) -> Option<String>;

fn text_hash(text: &str) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

impl SourceFile {
    fn new(path: &Path, text: String, env_file: bool) -> SourceFile {
        SourceFile {
            path: path.to_path_buf(),
            env_file,
            text: Mutex::new(Held::Text(Arc::new(text))),
        }
    }

    /// The file's text; read again if it was released. Empty when the file
    /// has changed since, or cannot be read: spans into it are then unknown.
    pub fn text(&self) -> Arc<String> {
        let mut held = self.text.lock().expect("source text lock");
        let text = match &*held {
            Held::Text(text) => return text.clone(),
            Held::Released { reread, len, hash } => {
                reread(&self.path).filter(|t| t.len() == *len && text_hash(t) == *hash)
            }
        };
        let Some(text) = text else {
            return Arc::default();
        };
        let text = Arc::new(text);
        *held = Held::Text(text.clone());
        text
    }

    /// Whether `text` is this file's text.
    fn holds(&self, text: &str) -> bool {
        match &*self.text.lock().expect("source text lock") {
            Held::Text(held) => held.as_str() == text,
            Held::Released { len, hash, .. } => text.len() == *len && text_hash(text) == *hash,
        }
    }
}

/// All files read while loading a project, shared so errors can be rendered later.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    files: Arc<RwLock<Vec<Arc<SourceFile>>>>,
}

impl Sources {
    /// Registers a file's text, taking it rather than a copy (a compose file
    /// can be megabytes); the same text read again from the same path (an
    /// env file shared by many services) keeps its first entry. Gives the
    /// file's index and the registered file, whose text the caller reads.
    pub fn add(&self, path: &Path, text: String) -> (u32, Arc<SourceFile>) {
        self.add_file(path, text, false)
    }

    /// [`Sources::add`] for an env file, whose values are all hidden in snippets.
    pub fn add_env_file(&self, path: &Path, text: String) -> (u32, Arc<SourceFile>) {
        self.add_file(path, text, true)
    }

    fn add_file(&self, path: &Path, text: String, env_file: bool) -> (u32, Arc<SourceFile>) {
        let mut files = self.files.write().expect("sources lock");
        if let Some(i) = files.iter().position(|f| f.path == path && f.holds(&text)) {
            return (i as u32, files[i].clone());
        }
        let file = Arc::new(SourceFile::new(path, text, env_file));
        files.push(file.clone());
        ((files.len() - 1) as u32, file)
    }

    /// Gives up the text of `file` until a message needs it, when `reread`
    /// reads it again. Only for a regular file, which can be read twice.
    pub fn release(&self, file: u32, reread: Reread) {
        let Some(file) = self.get(file) else {
            return;
        };
        let mut held = file.text.lock().expect("source text lock");
        if let Held::Text(text) = &*held {
            *held = Held::Released {
                reread,
                len: text.len(),
                hash: text_hash(text),
            };
        }
    }

    pub fn get(&self, file: u32) -> Option<Arc<SourceFile>> {
        self.files
            .read()
            .expect("sources lock")
            .get(file as usize)
            .cloned()
    }

    /// `path:line:col` for a span, or `None` for made-up spans.
    pub fn locate(&self, span: Span) -> Option<String> {
        let file = self.get(span.file.into())?;
        let text = file.text();
        if !span.points_into(&text) {
            return Some(file.path.display().to_string());
        }
        let (line, col) = span.line_col(&text);
        Some(format!("{}:{line}:{col}", file.path.display()))
    }
}

/// One problem found in the user's input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub message: String,
    pub span: Option<Span>,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn new(message: impl Into<String>) -> Self {
        Diagnostic {
            message: message.into(),
            span: None,
            hint: None,
        }
    }

    pub fn at(mut self, span: Span) -> Self {
        if span.is_known() {
            self.span = Some(span);
        }
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

/// One or more problems, reported together.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    pub items: Vec<Diagnostic>,
    pub sources: Sources,
}

impl Diagnostics {
    /// Whether loading failed only because no compose file was found.
    pub fn is_missing_file(&self) -> bool {
        self.items.len() == 1
            && self.items[0]
                .message
                .starts_with("no configuration file provided")
    }

    /// Renders every problem with its file, line, column, the offending line
    /// and the hint. Values that look secret are hidden in the lines shown
    /// (and in the message when it quotes them) unless `show_secrets`.
    pub fn render(&self, color: bool, show_secrets: bool) -> String {
        let mut out = String::new();
        for d in &self.items {
            out.push_str(&render_one(d, &self.sources, color, show_secrets));
        }
        out
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let msgs: Vec<_> = self.items.iter().map(|d| d.message.as_str()).collect();
        f.write_str(&msgs.join("\n"))
    }
}

impl std::error::Error for Diagnostics {}

/// Lines shown before and after the line of an error.
const CONTEXT_LINES: usize = 1;
/// Characters shown of a long line, around the error's column: a minified
/// JSON file is one line, which miette cannot lay out past column 65,535.
const WINDOW: usize = 120;
const ELLIPSIS: &str = "…";

fn render_one(d: &Diagnostic, sources: &Sources, color: bool, show_secrets: bool) -> String {
    use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic};

    let (bold, reset) = if color {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("", "")
    };
    let file = d
        .span
        .and_then(|s| sources.get(s.file.into()).map(|f| (s, f.text(), f)))
        .filter(|(s, text, _)| s.points_into(text));
    let Some((span, text, file)) = file else {
        let mut out = format!("{bold}error{reset}: {}\n", d.message);
        if let Some(h) = &d.hint {
            out.push_str(&format!("  help: {h}\n"));
        }
        return out;
    };
    let masks = if show_secrets {
        Vec::new()
    } else {
        crate::redact::secret_ranges(&text, file.env_file)
    };
    let snippet = Snippet::new(&text, span, &masks);
    let hide = |s: &str| hide_values(s, &snippet.hidden);
    let mut diag = MietteDiagnostic::new(hide(&d.message))
        .with_label(LabeledSpan::at(snippet.label.clone(), "here"));
    if let Some(h) = &d.hint {
        diag = diag.with_help(hide(h));
    }
    let (line, col) = span.line_col(&text);
    let located = format!("{}:{line}:{col}", file.path.display());
    let source = SnippetSource {
        name: located.clone(),
        text: snippet.text,
        first_line: snippet.first_line,
    };
    let report = miette::Report::new(diag).with_source_code(source);
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let mut out = String::new();
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_context_lines(CONTEXT_LINES)
        .without_primary_span_start();
    if handler.render_report(&mut out, report.as_ref()).is_err() {
        out = format!("error: {}\n", hide(&d.message));
    }
    format!("{bold}error{reset} at {located}\n{out}")
}

/// `text` with every value of `hidden` that it quotes replaced by the mask
/// (short values only where quoted, so that a value such as `1` does not
/// mangle the rest of a message).
fn hide_values(text: &str, hidden: &[String]) -> String {
    let mut out = text.to_string();
    for value in hidden {
        if value.is_empty() {
            continue;
        }
        if value.chars().count() >= 3 {
            out = out.replace(value.as_str(), crate::redact::MASK);
        } else {
            for q in ['"', '\'', '`'] {
                out = out.replace(
                    &format!("{q}{value}{q}"),
                    &format!("{q}{}{q}", crate::redact::MASK),
                );
            }
        }
    }
    out
}

/// The lines shown with an error: a few lines of the file, secret values
/// masked and long lines cut to a window around the error's column.
struct Snippet {
    text: String,
    /// 0-based number of the snippet's first line in the file.
    first_line: usize,
    /// The error's bytes in `text`.
    label: std::ops::Range<usize>,
    /// The masked values on the error's line, to hide in its message too.
    hidden: Vec<String>,
}

impl Snippet {
    fn new(text: &str, span: Span, masks: &[std::ops::Range<usize>]) -> Snippet {
        let start = floor_boundary(text, span.offset as usize);
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let end = floor_boundary(text, (start + usize::from(span.len)).min(line_end));
        let line_no = text.as_bytes()[..line_start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        let mut lines: Vec<std::ops::Range<usize>> = Vec::with_capacity(2 * CONTEXT_LINES + 1);
        lines.push(line_start..line_end);
        while lines.len() <= CONTEXT_LINES && lines[0].start > 0 {
            let end = lines[0].start - 1;
            let start = text[..end].rfind('\n').map_or(0, |i| i + 1);
            lines.insert(0, start..end);
        }
        let error_index = lines.len() - 1;
        for _ in 0..CONTEXT_LINES {
            let prev = lines.last().map_or(text.len(), |l| l.end);
            if prev >= text.len() {
                break;
            }
            let end = text[prev + 1..]
                .find('\n')
                .map_or(text.len(), |i| prev + 1 + i);
            lines.push(prev + 1..end);
        }
        let hidden = masks
            .iter()
            .filter(|m| m.start < line_end && m.end > line_start)
            .map(|m| {
                let v = &text[m.start.max(line_start)..m.end.min(line_end)];
                v.trim_matches(['"', '\'']).to_string()
            })
            .collect();
        // Mask, then find where the error is in its masked line.
        let mut shown: Vec<String> = Vec::with_capacity(lines.len());
        let mut label = (0, 0);
        for (i, range) in lines.iter().enumerate() {
            let (line, positions) = masked_line(text, range.clone(), masks, [start, end]);
            if i == error_index {
                label = (positions[0], positions[1]);
            }
            shown.push(line);
        }
        // Cut long lines to the same window of characters around the error.
        let error_line = &shown[error_index];
        let column = error_line[..label.0].chars().count();
        let longest = shown.iter().map(|l| l.chars().count()).max().unwrap_or(0);
        let window_start = if longest > WINDOW {
            column.saturating_sub(WINDOW / 2)
        } else {
            0
        };
        let mut out = String::new();
        let mut out_label = 0..0;
        for (i, line) in shown.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let chars = line.chars().count();
            if chars <= WINDOW && window_start == 0 {
                if i == error_index {
                    out_label = out.len() + label.0..out.len() + label.1;
                }
                out.push_str(line);
                continue;
            }
            let from = char_offset(line, window_start.min(chars));
            let to = char_offset(line, (window_start + WINDOW).min(chars));
            if from > 0 {
                out.push_str(ELLIPSIS);
            }
            if i == error_index {
                let at = |p: usize| out.len() + p.clamp(from, to) - from;
                out_label = at(label.0)..at(label.1);
            }
            out.push_str(&line[from..to]);
            if to < line.len() {
                out.push_str(ELLIPSIS);
            }
        }
        if out_label.is_empty() {
            // A span of nothing still needs a character to point at.
            out_label.end = out_label.start + 1;
        }
        if out_label.end > out.len() && error_index + 1 == shown.len() {
            // The end of the file: a blank to point at.
            out.push(' ');
        }
        Snippet {
            text: out,
            first_line: line_no + 1 - (error_index + 1),
            label: out_label,
            hidden,
        }
    }
}

/// The text of `line` (a line of `text` without its newline) with the
/// `masks` that cross it replaced, and where the two byte offsets `at` of
/// the file are in the result.
fn masked_line(
    text: &str,
    line: std::ops::Range<usize>,
    masks: &[std::ops::Range<usize>],
    at: [usize; 2],
) -> (String, [usize; 2]) {
    let mut out = String::new();
    let mut positions = [0, 0];
    let mut found = [false, false];
    let mut pos = line.start;
    let mut note = |from: usize, to: usize, out_from: usize, out_to: usize, masked: bool| {
        for (k, &p) in at.iter().enumerate() {
            if !found[k] && p >= from && p <= to {
                found[k] = true;
                positions[k] = if masked {
                    if k == 0 { out_from } else { out_to }
                } else {
                    out_from + (p - from)
                };
            }
        }
    };
    for m in masks
        .iter()
        .filter(|m| m.start < line.end && m.end > line.start)
    {
        let m_start = m.start.max(line.start);
        let m_end = m.end.min(line.end);
        if m_start > pos {
            let before = out.len();
            out.push_str(&text[pos..m_start]);
            note(pos, m_start, before, out.len(), false);
        }
        let before = out.len();
        out.push_str(crate::redact::MASK);
        note(m_start, m_end, before, out.len(), true);
        pos = m_end;
    }
    let before = out.len();
    out.push_str(&text[pos..line.end]);
    note(pos, line.end, before, out.len(), false);
    for (k, p) in positions.iter_mut().enumerate() {
        if !found[k] {
            *p = out.len();
        }
    }
    // A carriage return before the newline is not shown.
    if out.ends_with('\r') {
        out.pop();
        for p in &mut positions {
            *p = (*p).min(out.len());
        }
    }
    (out, positions)
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The byte offset of character number `n` of `s`.
fn char_offset(s: &str, n: usize) -> usize {
    s.char_indices().nth(n).map_or(s.len(), |(i, _)| i)
}

/// The snippet's text as miette reads it, with the file's line numbers.
struct SnippetSource {
    name: String,
    text: String,
    first_line: usize,
}

impl miette::SourceCode for SnippetSource {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let inner = self.text.read_span(span, before, after)?;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.first_line,
            inner.column(),
            inner.line_count(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::{Sources, Span};

    #[test]
    fn a_released_text_is_read_again_for_a_message_and_only_if_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("compose.yaml");
        std::fs::write(&path, "services:\n  web: {}\n").unwrap();
        let sources = Sources::default();
        let (file, _) = sources.add(&path, std::fs::read_to_string(&path).unwrap());
        sources.release(file, |p| std::fs::read_to_string(p).ok());
        let web = Span::new(file, 12, 3);
        let shown = path.display().to_string();
        assert_eq!(sources.locate(web), Some(format!("{shown}:2:3")));

        // Changed after it was parsed: the position would point elsewhere.
        let again = Sources::default();
        let (file, _) = again.add(&path, std::fs::read_to_string(&path).unwrap());
        again.release(file, |p| std::fs::read_to_string(p).ok());
        std::fs::write(&path, "services:\n  api: {}\n").unwrap();
        assert_eq!(again.locate(web), Some(shown));
        // The same text registered again is the same file, released or not.
        assert_eq!(again.add(&path, "services:\n  web: {}\n".into()).0, file);
    }

    #[test]
    fn line_col_counts_characters_after_a_byte_order_mark() {
        let text = "\u{feff}a: 1\nbé: x\n";
        let at = |offset| Span::new(0, offset, 0).line_col(text);
        assert_eq!(at(3), (1, 1));
        assert_eq!(at(8), (2, 1));
        assert_eq!(at(13), (2, 5));
    }
}
