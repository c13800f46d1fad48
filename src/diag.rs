//! Diagnostics: positions in the loaded files and errors that point at them.
//!
//! Every file the loader reads is registered in [`Sources`]; a [`Span`]
//! names one of them by index. An error is a [`Diagnostic`] with a message,
//! an optional position and a hint; [`Diagnostics`] carries several at once.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

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

#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
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
        let mut files = self.files.write().expect("sources lock");
        if let Some(i) = files.iter().position(|f| f.path == path && f.text == text) {
            return (i as u32, files[i].clone());
        }
        let file = Arc::new(SourceFile {
            path: path.to_path_buf(),
            text,
        });
        files.push(file.clone());
        ((files.len() - 1) as u32, file)
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
        let (line, col) = span.line_col(&file.text);
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

    /// Renders every problem with its file, line, column, the offending line and the hint.
    pub fn render(&self, color: bool) -> String {
        let mut out = String::new();
        for d in &self.items {
            out.push_str(&render_one(d, &self.sources, color));
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

fn render_one(d: &Diagnostic, sources: &Sources, color: bool) -> String {
    use miette::{
        GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource,
    };

    let (bold, reset) = if color {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("", "")
    };
    let file = d
        .span
        .and_then(|s| sources.get(s.file.into()).map(|f| (s, f)));
    let Some((span, file)) = file else {
        let mut out = format!("{bold}error{reset}: {}\n", d.message);
        if let Some(h) = &d.hint {
            out.push_str(&format!("  help: {h}\n"));
        }
        return out;
    };
    let mut diag = MietteDiagnostic::new(d.message.clone()).with_label(LabeledSpan::at(
        span.offset as usize..span.offset as usize + usize::from(span.len.max(1)),
        "here",
    ));
    if let Some(h) = &d.hint {
        diag = diag.with_help(h.clone());
    }
    let source = NamedSource::new(file.path.display().to_string(), file.text.to_string());
    let report = miette::Report::new(diag).with_source_code(source);
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let mut out = String::new();
    let handler = GraphicalReportHandler::new_themed(theme).with_context_lines(1);
    if handler.render_report(&mut out, report.as_ref()).is_err() {
        out = format!("error: {}\n", d.message);
    }
    let (line, col) = span.line_col(&file.text);
    format!(
        "{bold}error{reset} at {}:{line}:{col}\n{out}",
        file.path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::Span;

    #[test]
    fn line_col_counts_characters_after_a_byte_order_mark() {
        let text = "\u{feff}a: 1\nbé: x\n";
        let at = |offset| Span::new(0, offset, 0).line_col(text);
        assert_eq!(at(3), (1, 1));
        assert_eq!(at(8), (2, 1));
        assert_eq!(at(13), (2, 5));
    }
}
