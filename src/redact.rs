//! Where the secrets are in a file's text, so that error snippets can hide them.
//!
//! An error shows the lines around its position, and those lines may hold a
//! password. [`secret_ranges`] finds the byte ranges of values that look
//! secret: values of keys such as `DB_PASSWORD` or `api-key`, every value
//! under an `environment:` key (map or `KEY=value` list form), the `content`
//! and `environment` of a top-level secret, and every value of an env file.
//! [`crate::diag`] prints them as [`MASK`] unless `--show-secrets` is given.

use std::ops::Range;

use saphyr_parser::{Event, Parser};

/// What a hidden value is printed as.
pub const MASK: &str = "*****";

/// Words that make a key secret, as the whole key or one of its words
/// (`DB_PASSWORD`, `api-key`, `githubToken`).
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "pass",
    "pw",
    "pwd",
    "secret",
    "token",
    "key",
    "apikey",
    "credential",
    "credentials",
    "auth",
    "private",
];

/// Endings that make a key secret though it has no separator (`dbpassword`).
const SECRET_ENDINGS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "credential",
    "credentials",
    "privatekey",
];

/// Whether a key looks like it names a secret (case-insensitive).
pub fn is_secret_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    if SECRET_ENDINGS.iter().any(|e| lower.ends_with(e)) {
        return true;
    }
    // Words: split at separators and where a lower-case letter meets an upper-case one.
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if !c.is_alphanumeric() {
            words.push(std::mem::take(&mut current));
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower {
            words.push(std::mem::take(&mut current));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    words.push(current);
    words.iter().any(|w| SECRET_WORDS.contains(&w.as_str()))
}

/// The byte ranges of `text` that hold secret-looking values, sorted and
/// not overlapping. `env_file`: the text is an env file (`KEY=value`
/// lines), all of whose values are hidden.
pub fn secret_ranges(text: &str, env_file: bool) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    if !env_file {
        from_events(text, &mut ranges);
    }
    from_lines(text, env_file, &mut ranges);
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// Where a parsed collection sits and what it is reading.
struct Frame {
    /// The key the collection is the value of (inherited by sequences).
    key: String,
    is_map: bool,
    /// In a mapping: the key whose value comes next, if a key was read.
    pending: Option<String>,
}

/// Values found by parsing the text (up to its first syntax error).
fn from_events(text: &str, out: &mut Vec<Range<usize>>) {
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let body = &text[bom..];
    let mut offsets = CharOffsets::new(body);
    let mut stack: Vec<Frame> = Vec::new();
    for ev in Parser::new_from_str(body) {
        let Ok((event, span)) = ev else { break };
        // The key the next value is under, and whether a key is expected instead.
        let (expects_key, under) = match stack.last() {
            Some(f) if f.is_map => (f.pending.is_none(), f.pending.clone().unwrap_or_default()),
            Some(f) => (false, f.key.clone()),
            None => (false, String::new()),
        };
        match event {
            Event::Scalar(value, ..) => {
                if expects_key {
                    if let Some(f) = stack.last_mut() {
                        f.pending = Some(value.into_owned());
                    }
                    continue;
                }
                let in_map = stack.last().is_some_and(|f| f.is_map);
                let start = bom + offsets.byte(span.start.index());
                let end = bom + offsets.byte(span.end.index());
                if end > start {
                    let keys: Vec<&str> = stack
                        .iter()
                        .skip(1)
                        .map(|f| f.key.as_str())
                        .chain(in_map.then_some(under.as_str()))
                        .collect();
                    if let Some(r) = secret_value(&keys, in_map, &value, start..end, text) {
                        out.push(r);
                    }
                }
                value_done(&mut stack);
            }
            Event::Alias(_) => {
                if expects_key {
                    if let Some(f) = stack.last_mut() {
                        f.pending = Some(String::new());
                    }
                } else {
                    value_done(&mut stack);
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_map = matches!(event, Event::MappingStart(..));
                if expects_key && let Some(f) = stack.last_mut() {
                    // A collection as a key: its text is not a secret value.
                    f.pending = Some(String::new());
                }
                stack.push(Frame {
                    key: under,
                    is_map,
                    pending: None,
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
                value_done(&mut stack);
            }
            Event::DocumentStart(_) => stack.clear(),
            _ => {}
        }
    }
}

/// After a value: a mapping expects its next key.
fn value_done(stack: &mut [Frame]) {
    if let Some(f) = stack.last_mut()
        && f.is_map
    {
        f.pending = None;
    }
}

/// The range to hide of a scalar value at `range`, found under `keys` (the
/// keys from the top of the document; the last is the value's own key when
/// `in_map`).
fn secret_value(
    keys: &[&str],
    in_map: bool,
    value: &str,
    range: Range<usize>,
    text: &str,
) -> Option<Range<usize>> {
    let own_key = if in_map { keys.last().copied() } else { None };
    let under_environment = keys.contains(&"environment");
    let secret_definition = keys.first() == Some(&"secrets")
        && keys.len() == 3
        && matches!(keys[2], "content" | "environment");
    if own_key.is_some_and(is_secret_key) || secret_definition || (in_map && under_environment) {
        return Some(range);
    }
    // A `KEY=value` list item: hide what follows `=`.
    if !in_map
        && let Some((key, _)) = value.split_once('=')
        && (under_environment || is_secret_key(key.trim()))
    {
        let raw = &text[range.clone()];
        let eq = raw.find('=')?;
        return Some(range.start + eq + 1..range.end);
    }
    None
}

/// Values found line by line: `KEY: value` and `KEY=value` (as a list item
/// too) with a secret-looking key, and every `KEY=value` of an env file.
/// This covers the lines a syntax error keeps the parser from reading.
fn from_lines(text: &str, env_file: bool, out: &mut Vec<Range<usize>>) {
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        if let Some(r) = line_value(line, env_file) {
            out.push(start + r.start..start + r.end);
        }
        start += line.len();
    }
}

fn line_value(line: &str, env_file: bool) -> Option<Range<usize>> {
    let content = line.trim_end_matches(['\n', '\r']);
    let indent = content.len() - content.trim_start().len();
    let mut rest_start = indent;
    let mut rest = &content[indent..];
    if let Some(after) = rest.strip_prefix("- ") {
        rest_start += 2;
        rest = after.trim_start();
        rest_start += after.len() - rest.len();
    } else if env_file && let Some(after) = rest.strip_prefix("export ") {
        rest_start += 7;
        rest = after;
    }
    if rest.starts_with('#') {
        return None;
    }
    let sep = rest.find([':', '='])?;
    let key = rest[..sep].trim().trim_matches(['"', '\'']);
    if key.is_empty() || key.contains(char::is_whitespace) {
        return None;
    }
    let is_equals = rest.as_bytes()[sep] == b'=';
    if !(is_secret_key(key) || (env_file && is_equals)) {
        return None;
    }
    let value = &rest[sep + 1..];
    let trimmed = value.trim_start();
    let value_start = rest_start + sep + 1 + (value.len() - trimmed.len());
    let value_end = rest_start + sep + 1 + value.trim_end().len();
    (value_end > value_start).then_some(value_start..value_end)
}

/// saphyr's character indexes as byte offsets, for indexes that mostly come in order.
struct CharOffsets<'t> {
    text: &'t str,
    chars: usize,
    bytes: usize,
}

impl<'t> CharOffsets<'t> {
    fn new(text: &'t str) -> Self {
        CharOffsets {
            text,
            chars: 0,
            bytes: 0,
        }
    }

    fn byte(&mut self, index: usize) -> usize {
        if index < self.chars {
            self.chars = 0;
            self.bytes = 0;
        }
        for c in self.text[self.bytes..].chars() {
            if self.chars >= index {
                break;
            }
            self.chars += 1;
            self.bytes += c.len_utf8();
        }
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(text: &str, env_file: bool) -> String {
        let mut out = String::new();
        let mut at = 0;
        for r in secret_ranges(text, env_file) {
            out.push_str(&text[at..r.start]);
            out.push_str(MASK);
            at = r.end;
        }
        out.push_str(&text[at..]);
        out
    }

    #[test]
    fn secret_keys() {
        for k in [
            "DB_PASSWORD",
            "password",
            "api-key",
            "apiKey",
            "GITHUB_TOKEN",
            "aws_secret_access_key",
            "dbpassword",
            "X_AUTH",
            "PRIVATE_KEY",
            "credentials",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in [
            "image",
            "PASSAGE",
            "keyboard",
            "environment",
            "tokens_per_s",
        ] {
            assert!(!is_secret_key(k), "{k}");
        }
    }

    #[test]
    fn hides_environment_and_secret_values() {
        let text = "services:\n  db:\n    image: postgres\n    environment:\n      DB_PASSWORD: hunter2\n      PLAIN: visible\n    build:\n      args:\n        - API_TOKEN=abc\n        - OTHER=shown\n  web:\n    environment:\n      - A=b\n      - B\n    labels:\n      api-key: \"k\"\nsecrets:\n  s:\n    content: sesame\n    file: ./x\n";
        let want = "services:\n  db:\n    image: postgres\n    environment:\n      DB_PASSWORD: *****\n      PLAIN: *****\n    build:\n      args:\n        - API_TOKEN=*****\n        - OTHER=shown\n  web:\n    environment:\n      - A=*****\n      - B\n    labels:\n      api-key: *****\nsecrets:\n  s:\n    content: *****\n    file: ./x\n";
        assert_eq!(masked(text, false), want);
    }

    #[test]
    fn flow_and_json() {
        let text = r#"{"services":{"a":{"image":"x","environment":{"A":"1"},"x-token":"t0k"}}}"#;
        assert_eq!(
            masked(text, false),
            r#"{"services":{"a":{"image":"x","environment":{"A":*****},"x-token":*****}}}"#
        );
    }

    #[test]
    fn lines_after_a_syntax_error() {
        let text = "services:\n  a: [\n    DB_PASSWORD: hunter2\n";
        assert!(!masked(text, false).contains("hunter2"));
    }

    #[test]
    fn env_files() {
        let text = "# c\nA=1\nexport B = two\nC\n";
        assert_eq!(masked(text, true), "# c\nA=*****\nexport B = *****\nC\n");
    }
}
