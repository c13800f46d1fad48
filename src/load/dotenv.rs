//! `.env` files in Compose's syntax.
//!
//! A statement is one of:
//!
//! - `KEY=value`, `KEY: value`, `export KEY=value` (spaces around `=` are fine);
//! - a bare `KEY` on its own line, which takes the value `lookup` gives it and
//!   is left out when there is none;
//! - a `#` comment line.
//!
//! Keys are letters, digits and `_ . - [ ]`. Values come in three kinds:
//!
//! - unquoted: the rest of the line, cut at ` #` (a `#` preceded by a
//!   space), trailing whitespace trimmed, then interpolated;
//! - `'single quoted'`: literal, may span lines, `\'` is a quote;
//! - `"double quoted"`: may span lines; the escapes `\a \b \f \n \r \t \v \\ \"`,
//!   `\$` (a literal `$`) and octal `\0nnn` are expanded, then the value is
//!   interpolated. Other backslashes stay as they are.
//!
//! Interpolation uses Compose's `${VAR:-default}` syntax (see
//! [`crate::load::interpolate`]); a variable is looked up through `lookup`
//! first, then among the keys parsed so far. A UTF-8 BOM is skipped and
//! CRLF line ends are accepted.
//!
//! One deliberate difference from compose-go: a bare `KEY` on the last line
//! of a file without a final newline is read like any other bare key
//! (compose-go stores it as the value of an empty key).

use std::fmt;

use indexmap::IndexMap;

use crate::load::interpolate::{self, InterpolationError};

/// A syntax error in an env file, 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotenvError {
    pub line: usize,
    pub col: usize,
    pub message: DotenvProblem,
}

/// What is wrong at a [`DotenvError`]'s place, in Compose's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DotenvProblem {
    /// A raw-format line that starts with `=`.
    #[error("no variable name on line '{0}'")]
    NoName(String),
    /// A raw-format key with blanks in it.
    #[error("variable '{0}' contains whitespaces")]
    KeyWhitespace(String),
    #[error(
        "unexpected character {} in variable name {}",
        crate::gocompat::quote(&.found.to_string()),
        crate::gocompat::quote(.line)
    )]
    UnexpectedCharacter { found: char, line: String },
    #[error("key cannot contain a space")]
    KeySpace,
    #[error("unterminated quoted value {0}")]
    Unterminated(String),
    #[error("Invalid template: {}", crate::gocompat::quote(.0))]
    InvalidTemplate(String),
    #[error("{}", interpolate::required_message(.var, .message))]
    Required { var: String, message: String },
}

impl fmt::Display for DotenvError {
    /// `line N: message`, as Compose words it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for DotenvError {}

/// A variable that a value used while it was unset (Compose warns about it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsetVar {
    pub name: String,
    /// Where the value that used it starts (1-based).
    pub line: usize,
    pub col: usize,
}

/// Parses `text` in Compose's `.env` syntax. Variables referenced in values
/// are resolved first through `lookup`, then from the keys parsed so far
/// (the order compose-go uses, so the process environment wins).
/// A bare `KEY` takes `lookup(KEY)` and is left out when that is `None`.
pub fn parse(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<IndexMap<String, String>, DotenvError> {
    parse_with_unset(text, lookup).map(|(vars, _)| vars)
}

/// [`parse`], also returning every use of an unset variable, in order.
pub fn parse_with_unset(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(IndexMap<String, String>, Vec<UnsetVar>), DotenvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut parser = Parser {
        text,
        pos: 0,
        lookup,
        vars: IndexMap::new(),
        unset: Vec::new(),
    };
    parser.run()?;
    Ok((parser.vars, parser.unset))
}

/// Parses the docker CLI's raw env-file format (`env_file: {format: raw}`):
/// `KEY=VALUE` lines taken literally, `#` comment lines, bare `KEY` from `lookup`.
/// Lines the docker CLI would reject (no key, a key with spaces) are skipped;
/// [`try_parse_raw`] reports them instead.
pub fn parse_raw(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> IndexMap<String, String> {
    raw(text, lookup, false).unwrap_or_default()
}

/// [`parse_raw`], failing on the lines the docker CLI rejects.
pub fn try_parse_raw(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<IndexMap<String, String>, DotenvError> {
    raw(text, lookup, true)
}

fn raw(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    strict: bool,
) -> Result<IndexMap<String, String>, DotenvError> {
    let mut vars = IndexMap::new();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines: Vec<&str> = text.split('\n').collect();
    if lines.last() == Some(&"") {
        lines.pop();
    }
    for (i, line) in lines.into_iter().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let col = line.chars().count() - trimmed.chars().count() + 1;
        let (key, value) = match trimmed.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (trimmed, None),
        };
        let problem = if key.is_empty() {
            Some(DotenvProblem::NoName(trimmed.to_string()))
        } else if key.contains([' ', '\t']) {
            Some(DotenvProblem::KeyWhitespace(key.to_string()))
        } else {
            None
        };
        if let Some(message) = problem {
            if strict {
                return Err(DotenvError {
                    line: i + 1,
                    col,
                    message,
                });
            }
            continue;
        }
        match value {
            Some(v) => {
                vars.insert(key.to_string(), v.to_string());
            }
            None => {
                if let Some(v) = lookup(key) {
                    vars.insert(key.to_string(), v);
                }
            }
        }
    }
    Ok(vars)
}

struct Parser<'t, 'l> {
    text: &'t str,
    pos: usize,
    lookup: &'l dyn Fn(&str) -> Option<String>,
    vars: IndexMap<String, String>,
    unset: Vec<UnsetVar>,
}

/// Blanks that separate tokens on a line (not line breaks).
fn is_blank(c: char) -> bool {
    matches!(
        c,
        '\t' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    )
}

fn is_key_char(c: char) -> bool {
    matches!(c, '_' | '.' | '-' | '[' | ']') || c.is_alphabetic() || c.is_numeric()
}

impl Parser<'_, '_> {
    fn run(&mut self) -> Result<(), DotenvError> {
        while self.statement_start() {
            self.statement()?;
        }
        Ok(())
    }

    /// Skips blank space and comment lines; false at the end of the text.
    fn statement_start(&mut self) -> bool {
        loop {
            let rest = &self.text[self.pos..];
            let Some(skip) = rest.find(|c: char| !c.is_whitespace()) else {
                self.pos = self.text.len();
                return false;
            };
            self.pos += skip;
            if !self.text[self.pos..].starts_with('#') {
                return true;
            }
            match self.text[self.pos..].find('\n') {
                Some(n) => self.pos += n,
                None => {
                    self.pos = self.text.len();
                    return false;
                }
            }
        }
    }

    fn statement(&mut self) -> Result<(), DotenvError> {
        let text = self.text;
        let mut start = self.pos;
        let rest = &text[start..];
        if let Some(after) = rest.strip_prefix("export")
            && after.starts_with(['\t', '\n', '\u{c}', '\r', ' '])
        {
            start += "export".len();
            start += text[start..]
                .find(|c: char| !is_blank(c))
                .unwrap_or(text.len() - start);
        }
        let mut sep = None;
        for (i, c) in text[start..].char_indices() {
            if is_blank(c) || is_key_char(c) {
                continue;
            }
            if matches!(c, '=' | ':' | '\n') {
                sep = Some((start + i, c));
                break;
            }
            let line = text[start..].split('\n').next().unwrap_or_default();
            return Err(self.error(
                start + i,
                DotenvProblem::UnexpectedCharacter {
                    found: c,
                    line: line.to_string(),
                },
            ));
        }
        // A bare key on the last line, without a final newline.
        let (key_end, sep) = sep.unwrap_or((text.len(), '\n'));
        let key = text[start..key_end].trim_end();
        if key.contains(' ') {
            return Err(self.error(start, DotenvProblem::KeySpace));
        }
        let mut value_at = (key_end + 1).min(text.len());
        value_at += text[value_at..]
            .find(|c: char| !is_blank(c))
            .unwrap_or(text.len() - value_at);
        if sep == '\n' {
            if let Some(v) = (self.lookup)(key) {
                self.vars.insert(key.to_string(), v);
            }
            self.pos = value_at;
            return Ok(());
        }
        let value = self.value(value_at)?;
        self.vars.insert(key.to_string(), value);
        Ok(())
    }

    /// Reads the value starting at byte `at` and moves past it.
    fn value(&mut self, at: usize) -> Result<String, DotenvError> {
        let text = self.text;
        let bytes = text.as_bytes();
        let Some(&quote_char @ (b'"' | b'\'')) = bytes.get(at) else {
            let line_end = text[at..].find('\n').map_or(text.len(), |n| at + n);
            self.pos = (line_end + 1).min(text.len());
            let mut value = &text[at..line_end];
            if let Some(n) = value.find(" #") {
                value = &value[..n];
            }
            return self.interpolate(value.trim_end(), at, true);
        };
        let mut buf = Vec::new();
        let mut escaped = false;
        for (i, &c) in bytes.iter().enumerate().skip(at + 1) {
            if c != quote_char {
                if !escaped && c == b'\\' {
                    escaped = true;
                    continue;
                }
                if escaped {
                    escaped = false;
                    buf.push(b'\\');
                }
                buf.push(c);
                continue;
            }
            if escaped {
                escaped = false;
                buf.push(c);
                continue;
            }
            self.pos = i + 1;
            // Only ASCII backslashes were left out, so this stays UTF-8.
            let value = String::from_utf8(buf).unwrap_or_default();
            if quote_char == b'\'' {
                return Ok(value);
            }
            return self.interpolate(&expand_escapes(&value), at, false);
        }
        let shown = text[at..].split('\n').next().unwrap_or_default();
        Err(self.error(at, DotenvProblem::Unterminated(shown.to_string())))
    }

    /// Interpolates a value that starts at byte `at`. `exact` says whether
    /// offsets in `value` are offsets in the text (unquoted values).
    fn interpolate(&mut self, value: &str, at: usize, exact: bool) -> Result<String, DotenvError> {
        let vars = &self.vars;
        let lookup = self.lookup;
        let resolve = |k: &str| lookup(k).or_else(|| vars.get(k).cloned());
        match interpolate::substitute_detailed(value, &resolve) {
            Ok((out, unset)) => {
                let (line, col) = self.line_col(at);
                self.unset
                    .extend(unset.into_iter().map(|name| UnsetVar { name, line, col }));
                Ok(out)
            }
            Err(e) => Err(match e.kind {
                InterpolationError::Invalid { offset } => {
                    let pos = if exact { at + offset } else { at };
                    self.error(pos, DotenvProblem::InvalidTemplate(e.template))
                }
                InterpolationError::Required { var, message } => {
                    self.error(at, DotenvProblem::Required { var, message })
                }
            }),
        }
    }

    fn line_col(&self, at: usize) -> (usize, usize) {
        let before = &self.text[..at];
        let line_start = before.rfind('\n').map_or(0, |n| n + 1);
        (
            before.matches('\n').count() + 1,
            before[line_start..].chars().count() + 1,
        )
    }

    fn error(&self, at: usize, message: DotenvProblem) -> DotenvError {
        let (line, col) = self.line_col(at);
        DotenvError { line, col, message }
    }
}

/// Expands the escapes of a double-quoted value. `\$` becomes `$$`, which
/// interpolation then turns into a literal `$`.
fn expand_escapes(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut lit = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' || i + 1 >= b.len() {
            i += 1;
            continue;
        }
        let simple = match b[i + 1] {
            b'a' => Some("\u{7}"),
            b'b' => Some("\u{8}"),
            b'f' => Some("\u{c}"),
            b'n' => Some("\n"),
            b'r' => Some("\r"),
            b't' => Some("\t"),
            b'v' => Some("\u{b}"),
            b'$' => Some("$$"),
            b'"' => Some("\""),
            b'\\' => Some("\\"),
            _ => None,
        };
        if let Some(rep) = simple {
            out.push_str(&s[lit..i]);
            out.push_str(rep);
            i += 2;
            lit = i;
        } else if b[i + 1] == b'0' {
            // `\0` and up to three digits; exactly three octal digits up to
            // 0377 make a character, anything else stays as written.
            let digits = b[i + 2..]
                .iter()
                .take(3)
                .take_while(|d| d.is_ascii_digit())
                .count();
            let end = i + 2 + digits;
            let octal = &s[i + 2..end];
            let ch = (digits == 3)
                .then(|| u32::from_str_radix(octal, 8).ok())
                .flatten()
                .filter(|&v| v <= 0o377)
                .and_then(char::from_u32);
            if let Some(ch) = ch {
                out.push_str(&s[lit..i]);
                out.push(ch);
                lit = end;
            }
            i = end;
        } else {
            i += 1;
        }
    }
    out.push_str(&s[lit..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = "/work/shared/corpus/compose-go/dotenv/fixtures";

    fn none(_: &str) -> Option<String> {
        None
    }

    fn map(pairs: &[(&str, &str)]) -> IndexMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn one(text: &str) -> IndexMap<String, String> {
        parse(text, &none).unwrap_or_else(|e| panic!("{text:?}: {e:?}"))
    }

    fn os_env(name: &str) -> Option<String> {
        match name {
            "VAR_TO_BE_LOADED_FROM_OS_ENV" => Some("SOME_RANDOM_VALUE".into()),
            _ => None,
        }
    }

    fn option_a_5(name: &str) -> Option<String> {
        (name == "OPTION_A").then(|| "5".into())
    }

    /// The fixtures of compose-go's dotenv package, as inline text (so that
    /// the tests do not depend on the shared corpus) with the values that
    /// follow from the syntax rules.
    #[test]
    fn fixtures() {
        type Lookup = fn(&str) -> Option<String>;
        type Case<'a> = (&'a str, &'a str, Lookup, &'a [(&'a str, &'a str)]);
        let cases: &[Case] = &[
            (
                "plain.env",
                "OPTION_A=1\nOPTION_B=2\nOPTION_C= 3\nOPTION_D =4\nOPTION_E = 5\n456 = ABC\nOPTION_F = \nOPTION_G=\n\
                 OPTION_H = my string # Inline comment\n",
                none,
                &[
                    ("OPTION_A", "1"),
                    ("OPTION_B", "2"),
                    ("OPTION_C", "3"),
                    ("OPTION_D", "4"),
                    ("OPTION_E", "5"),
                    ("456", "ABC"),
                    ("OPTION_F", ""),
                    ("OPTION_G", ""),
                    ("OPTION_H", "my string"),
                ],
            ),
            (
                "utf8-bom.env",
                "\u{feff}OPTION_A=1\nOPTION_B=2\nOPTION_C= 3\nOPTION_D =4\nOPTION_E = 5\n456 = ABC\nOPTION_F =\nOPTION_G=\n\
                 OPTION_H = my string # Inline comment\n",
                none,
                &[
                    ("OPTION_A", "1"),
                    ("OPTION_B", "2"),
                    ("OPTION_C", "3"),
                    ("OPTION_D", "4"),
                    ("OPTION_E", "5"),
                    ("456", "ABC"),
                    ("OPTION_F", ""),
                    ("OPTION_G", ""),
                    ("OPTION_H", "my string"),
                ],
            ),
            (
                "quoted.env",
                "OPTION_A='1'\nOPTION_B='2'\nOPTION_C=''\nOPTION_D='\\n'\nOPTION_E=\"1\"\nOPTION_F=\"2\"\nOPTION_G=\"\"\n\
                 OPTION_H=\"\\n\"\nOPTION_I = \"echo 'asd'\" # Inline comment\nOPTION_J = 'first line\nsecond line\n\
                 third line\nand so on'\nOPTION_K='Let\\'s go!'\nOPTION_Z = \"last value\"\n",
                none,
                &[
                    ("OPTION_A", "1"),
                    ("OPTION_B", "2"),
                    ("OPTION_C", ""),
                    ("OPTION_D", "\\n"),
                    ("OPTION_E", "1"),
                    ("OPTION_F", "2"),
                    ("OPTION_G", ""),
                    ("OPTION_H", "\n"),
                    ("OPTION_I", "echo 'asd'"),
                    ("OPTION_J", "first line\nsecond line\nthird line\nand so on"),
                    ("OPTION_K", "Let's go!"),
                    ("OPTION_Z", "last value"),
                ],
            ),
            (
                "unquoted.env",
                "OPTION_A = \"some quoted phrase\"\nOPTION_B=first one with an unquoted phrase\n\
                 OPTION_C = then another one with an unquoted phrase\n\
                 OPTION_D = then another one with an unquoted phrase special è char\n\
                 OPTION_E = \"then another one quoted phrase\"\n",
                none,
                &[
                    ("OPTION_A", "some quoted phrase"),
                    ("OPTION_B", "first one with an unquoted phrase"),
                    ("OPTION_C", "then another one with an unquoted phrase"),
                    (
                        "OPTION_D",
                        "then another one with an unquoted phrase special è char",
                    ),
                    ("OPTION_E", "then another one quoted phrase"),
                ],
            ),
            (
                "equals.env",
                "export OPTION_A='postgres://localhost:5432/database?sslmode=disable'\n\n",
                none,
                &[(
                    "OPTION_A",
                    "postgres://localhost:5432/database?sslmode=disable",
                )],
            ),
            (
                "exported.env",
                "export OPTION_A=2\nexport OPTION_B='\\n'\n",
                none,
                &[("OPTION_A", "2"), ("OPTION_B", "\\n")],
            ),
            (
                "special.env",
                "VAR.WITH.DOTS=dots\nVAR_WITH_UNDERSCORES=underscores\nVAR-WITH-DASHES=dashes\n",
                none,
                &[
                    ("VAR.WITH.DOTS", "dots"),
                    ("VAR_WITH_UNDERSCORES", "underscores"),
                    ("VAR-WITH-DASHES", "dashes"),
                ],
            ),
            (
                "inherited-multi-var.env",
                "foo=bar\nVAR_TO_BE_LOADED_FROM_OS_ENV\nbar=baz\n",
                os_env,
                &[
                    ("foo", "bar"),
                    ("VAR_TO_BE_LOADED_FROM_OS_ENV", "SOME_RANDOM_VALUE"),
                    ("bar", "baz"),
                ],
            ),
            (
                "inherited-single-var.env",
                "VAR_TO_BE_LOADED_FROM_OS_ENV\n",
                os_env,
                &[("VAR_TO_BE_LOADED_FROM_OS_ENV", "SOME_RANDOM_VALUE")],
            ),
            (
                "inherited-not-found.env",
                "VARIABLE_NOT_FOUND\n",
                os_env,
                &[],
            ),
            (
                "substitutions.env",
                "OPTION_A=1\nOPTION_B=${OPTION_A}\nOPTION_C=$OPTION_B\nOPTION_D=${OPTION_A}_${OPTION_B}\n\
                 OPTION_E=${OPTION_NOT_DEFINED}\n",
                none,
                &[
                    ("OPTION_A", "1"),
                    ("OPTION_B", "1"),
                    ("OPTION_C", "1"),
                    ("OPTION_D", "1_1"),
                    ("OPTION_E", ""),
                ],
            ),
            (
                "substitutions-default.env",
                "OPTION_A=${OPTION_A:-1}\nOPTION_B=${OPTION_A}\nOPTION_C=$OPTION_B\nOPTION_D=${OPTION_A}_${OPTION_B}\n\
                 OPTION_E=${OPTION_NOT_DEFINED}\n",
                none,
                &[
                    ("OPTION_A", "1"),
                    ("OPTION_B", "1"),
                    ("OPTION_C", "1"),
                    ("OPTION_D", "1_1"),
                    ("OPTION_E", ""),
                ],
            ),
        ];
        for (name, text, lookup, want) in cases {
            let got = parse(text, lookup).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert_eq!(got, map(want), "{name}");
            // The inline copy matches the shared fixture when it is there.
            if let Ok(on_disk) = std::fs::read_to_string(format!("{FIXTURES}/{name}")) {
                assert_eq!(&on_disk, text, "{name} differs from the fixture");
            }
        }
    }

    #[test]
    fn the_environment_wins_over_earlier_keys() {
        // OPTION_A is set in the environment: references see it, while the
        // file's own key keeps the file's value.
        let text = "OPTION_A=1\nOPTION_B=${OPTION_A}\nOPTION_C=$OPTION_B\nOPTION_D=${OPTION_A}_${OPTION_B}\n\
                    OPTION_E=${OPTION_NOT_DEFINED}\n";
        let got = parse(text, &option_a_5).unwrap();
        assert_eq!(
            got,
            map(&[
                ("OPTION_A", "1"),
                ("OPTION_B", "5"),
                ("OPTION_C", "5"),
                ("OPTION_D", "5_5"),
                ("OPTION_E", "")
            ])
        );
        let text = "OPTION_A=${OPTION_A:-1}\nOPTION_B=${OPTION_A}\n";
        assert_eq!(
            parse(text, &option_a_5).unwrap(),
            map(&[("OPTION_A", "5"), ("OPTION_B", "5")])
        );
    }

    #[test]
    fn invalid_fixture_reports_the_line() {
        let text = "# some comments\nfoo=\"\n  a\n  multine\n  value\n\"\nINVALID LINE\nzot=qix";
        let err = parse(text, &none).unwrap_err();
        assert_eq!(
            err,
            DotenvError {
                line: 7,
                col: 1,
                message: DotenvProblem::KeySpace
            }
        );
        assert_eq!(err.to_string(), "line 7: key cannot contain a space");
    }

    #[test]
    fn single_lines() {
        let cases: &[(&str, &str, &str)] = &[
            ("FOO=bar", "FOO", "bar"),
            ("FOO =bar", "FOO", "bar"),
            ("FOO= bar", "FOO", "bar"),
            ("FOO=\"bar\"", "FOO", "bar"),
            ("FOO='bar'", "FOO", "bar"),
            (r#"FOO="escaped\"bar""#, "FOO", r#"escaped"bar"#),
            (r#"FOO="\"quoted\"""#, "FOO", r#""quoted""#),
            (r#"FOO="'d'""#, "FOO", "'d'"),
            ("OPTION_A: 1", "OPTION_A", "1"),
            ("OPTION_A: Foo=bar", "OPTION_A", "Foo=bar"),
            ("OPTION_A=1:B", "OPTION_A", "1:B"),
            ("export OPTION_A=2", "OPTION_A", "2"),
            (r"export OPTION_B='\n'", "OPTION_B", r"\n"),
            ("export exportFoo=2", "exportFoo", "2"),
            ("exportFOO=2", "exportFOO", "2"),
            ("export_FOO =2", "export_FOO", "2"),
            ("export.FOO= 2", "export.FOO", "2"),
            ("export\tOPTION_A=2", "OPTION_A", "2"),
            ("  export OPTION_A=2", "OPTION_A", "2"),
            ("\texport OPTION_A=2", "OPTION_A", "2"),
            ("export OPTION_A=\"export A\"", "OPTION_A", "export A"),
            ("export=1", "export", "1"),
            (r#"FOO="bar\nbaz""#, "FOO", "bar\nbaz"),
            (r"FOO=a\tb", "FOO", r"a\tb"),
            (r#"FOO="a\tb""#, "FOO", "a\tb"),
            (
                r#"KEY="Z\aZ\bZ\fZ\nZ\rZ\tZ\vZ\\Z\0123Z""#,
                "KEY",
                "Z\u{7}Z\u{8}Z\u{c}Z\nZ\rZ\tZ\u{b}Z\\ZSZ",
            ),
            ("FOO.BAR=foobar", "FOO.BAR", "foobar"),
            ("FOO=foobar=", "FOO", "foobar="),
            ("FOO=bar ", "FOO", "bar"),
            ("FOO=bar # this is foo", "FOO", "bar"),
            ("FOO=bar #this is foo", "FOO", "bar"),
            ("FOO=bar #", "FOO", "bar"),
            (
                "FOO=123#not-an-inline-comment",
                "FOO",
                "123#not-an-inline-comment",
            ),
            ("FOO=a\t#b", "FOO", "a\t#b"),
            ("FOO= #c", "FOO", "#c"),
            (r#"FOO="bar#baz""#, "FOO", "bar#baz"),
            (r##"FOO="bar#baz"#"##, "FOO", "bar#baz"),
            (r#"FOO="bar#baz" # comment"#, "FOO", "bar#baz"),
            ("FOO='bar#baz' # comment", "FOO", "bar#baz"),
            (r#"FOO="ba#r""#, "FOO", "ba#r"),
            (r#"FOO="bar\n\ b\az""#, "FOO", "bar\n\\ b\u{7}z"),
            (r#"FOO="bar\\\n\ b\az""#, "FOO", "bar\\\n\\ b\u{7}z"),
            (r#"FOO="bar\\r\ b\az""#, "FOO", "bar\\r\\ b\u{7}z"),
            (r#"FOO="bar\nbaz\\""#, "FOO", "bar\nbaz\\"),
            (r#"="value""#, "", "value"),
            (" KEY =value", "KEY", "value"),
            ("   KEY=value", "KEY", "value"),
            ("\tKEY=value", "KEY", "value"),
            (r#"KEY="\0123""#, "KEY", "S"),
            (r#"KEY="\01234""#, "KEY", "S4"),
            (r#"KEY="\0377""#, "KEY", "\u{ff}"),
            (r#"KEY="\0400""#, "KEY", r"\0400"),
            (r#"KEY="\012""#, "KEY", r"\012"),
            (r#"KEY="\0""#, "KEY", r"\0"),
            (r#"KEY="\08""#, "KEY", r"\08"),
            (r#"KEY="\c""#, "KEY", r"\c"),
            (r#"KEY="\x07""#, "KEY", r"\x07"),
            (r#"KEY="\u12e4""#, "KEY", r"\u12e4"),
            (r#"KEY="\U00101234""#, "KEY", r"\U00101234"),
            ("a[1]=c", "a[1]", "c"),
            ("a.propertyKey=d", "a.propertyKey", "d"),
            (
                "árvíztűrő-TÜKÖRFÚRÓGÉP=ÁRVÍZTŰRŐ-tükörfúrógép",
                "árvíztűrő-TÜKÖRFÚRÓGÉP",
                "ÁRVÍZTŰRŐ-tükörfúrógép",
            ),
            ("KEY=value\r\n", "KEY", "value"),
            ("KEY=\"a\r\nb\"\r\n", "KEY", "a\r\nb"),
            ("KEY='${NOPE}'", "KEY", "${NOPE}"),
            ("KEY=$$NOPE", "KEY", "$NOPE"),
            ("KEY='$$'", "KEY", "$$"),
            ("KEY=\"$$\"", "KEY", "$"),
            (r#"FOO="foo\$BAR""#, "FOO", "foo$BAR"),
            (r#"FOO="foo\${BAR}""#, "FOO", "foo${BAR}"),
            ("KEY=${NOPE:-a b} # c", "KEY", "a b"),
            ("KEY=\"${NOPE:-x}\"", "KEY", "x"),
            ("KEY=price: 5$", "KEY", "price: 5$"),
        ];
        for (text, key, want) in cases {
            let got = one(text);
            assert_eq!(
                got.get(*key).map(String::as_str),
                Some(*want),
                "{text:?} → {got:?}"
            );
        }
    }

    #[test]
    fn expansion_uses_earlier_keys() {
        let got = one(
            "FOO=test\nBAR=$FOO\nBAZ=${FOO}bar\nQ=\"quote $FOO\"\nS='quote $FOO'\nE=\"foo\\${FOO} ${FOO}\"",
        );
        assert_eq!(
            got,
            map(&[
                ("FOO", "test"),
                ("BAR", "test"),
                ("BAZ", "testbar"),
                ("Q", "quote test"),
                ("S", "quote $FOO"),
                ("E", "foo${FOO} test"),
            ])
        );
        // Later definitions override earlier ones, in place.
        assert_eq!(one("A=1\nB=2\nA=3\n"), map(&[("A", "3"), ("B", "2")]));
    }

    #[test]
    fn multiline_values() {
        let text = "TEST_URLS=\"stratum+tcp://a:3333\nstratum+tcp://b:443\"\nNEXT=1";
        assert_eq!(
            one(text),
            map(&[
                ("TEST_URLS", "stratum+tcp://a:3333\nstratum+tcp://b:443"),
                ("NEXT", "1")
            ])
        );
        let text = "A='x\ny'\nB=\"${A}\"\n";
        assert_eq!(one(text), map(&[("A", "x\ny"), ("B", "x\ny")]));
    }

    #[test]
    fn ignored_lines() {
        for text in [
            "\n",
            "\r\n",
            "\t\t ",
            "# Comment",
            "\t # comment",
            "\n\n# a\n  # b\n\n",
            "",
        ] {
            assert!(one(text).is_empty(), "{text:?}");
        }
    }

    #[test]
    fn bare_keys() {
        let lookup = |k: &str| (k == "HOME").then(|| "/home/me".to_string());
        assert_eq!(
            parse("HOME\nNOPE\n", &lookup).unwrap(),
            map(&[("HOME", "/home/me")])
        );
        assert_eq!(
            parse("HOME", &lookup).unwrap(),
            map(&[("HOME", "/home/me")])
        );
        assert_eq!(
            parse("HOME  \r\nX=1", &lookup).unwrap(),
            map(&[("HOME", "/home/me"), ("X", "1")])
        );
        assert_eq!(
            parse("export HOME\n", &lookup).unwrap(),
            map(&[("HOME", "/home/me")])
        );
    }

    #[test]
    fn errors_have_positions() {
        let cases: &[(&str, usize, usize, &str)] = &[
            (
                "lol$wut",
                1,
                4,
                r#"unexpected character "$" in variable name "lol$wut""#,
            ),
            (
                "%!(EXTRA string)=foo",
                1,
                1,
                r#"unexpected character "%" in variable name "%!(EXTRA string)=foo""#,
            ),
            ("A=1\n  B C=2\n", 2, 3, "key cannot contain a space"),
            (
                "export  A!=1",
                1,
                10,
                r#"unexpected character "!" in variable name "A!=1""#,
            ),
            (
                "A=1\nKEY=\"value\n",
                2,
                5,
                "unterminated quoted value \"value",
            ),
            ("KEY=\"", 1, 5, "unterminated quoted value \""),
            (
                "KEY=\"value\\\"",
                1,
                5,
                "unterminated quoted value \"value\\\"",
            ),
            ("KEY=\"value'", 1, 5, "unterminated quoted value \"value'"),
            ("KEY='", 1, 5, "unterminated quoted value '"),
            ("KEY='value\\'", 1, 5, "unterminated quoted value 'value\\'"),
            ("KEY='value\"", 1, 5, "unterminated quoted value 'value\""),
            ("A=ok\nKEY=ab${", 2, 7, r#"Invalid template: "ab${""#),
            ("KEY=\"ab${\"", 1, 5, r#"Invalid template: "ab${""#),
            (
                "KEY=${NOPE:?must be set}",
                1,
                5,
                "required variable NOPE is missing a value: must be set",
            ),
            (
                "é=1\nKÉY\"=1",
                2,
                4,
                r#"unexpected character "\"" in variable name "KÉY\"=1""#,
            ),
        ];
        for (text, line, col, message) in cases {
            let err = parse(text, &none).unwrap_err();
            assert_eq!(
                (err.line, err.col, err.message.to_string().as_str()),
                (*line, *col, *message),
                "{text:?}"
            );
        }
    }

    #[test]
    fn unset_variables_are_reported() {
        let (vars, unset) =
            parse_with_unset("A=$X\nB=\"${Y} $X\"\nC=${Z:-d}\nD=$A", &none).unwrap();
        assert_eq!(vars, map(&[("A", ""), ("B", " "), ("C", "d"), ("D", "")]));
        let names: Vec<_> = unset
            .iter()
            .map(|u| (u.name.as_str(), u.line, u.col))
            .collect();
        assert_eq!(names, vec![("X", 1, 3), ("Y", 2, 3), ("X", 2, 3)]);
    }

    #[test]
    fn raw_format() {
        let lookup = |k: &str| (k == "HOME").then(|| "/home/me".to_string());
        let text = "\u{feff}TEST_VAR='{\"key\": \"value\"}'\n  # c\n\nA=x # not a comment \r\nHOME\nNOPE\nB=${X}\nC==\n";
        let got = parse_raw(text, &lookup);
        assert_eq!(
            got,
            map(&[
                ("TEST_VAR", "'{\"key\": \"value\"}'"),
                ("A", "x # not a comment "),
                ("HOME", "/home/me"),
                ("B", "${X}"),
                ("C", "="),
            ])
        );
        assert_eq!(parse_raw("A B=1\n=2\nC=3", &none), map(&[("C", "3")]));
        let err = try_parse_raw("OK=1\n A B=1\n", &none).unwrap_err();
        assert_eq!(
            (err.line, err.col, err.message.to_string().as_str()),
            (2, 2, "variable 'A B' contains whitespaces")
        );
        let err = try_parse_raw("=2\n", &none).unwrap_err();
        assert_eq!(err.message.to_string(), "no variable name on line '=2'");
    }
}
