//! `${VAR}` interpolation in Compose's syntax.
//!
//! The forms, as Docker Compose reads them:
//!
//! | form | result |
//! |---|---|
//! | `$VAR`, `${VAR}` | the value; `""` and a "not set" warning when unset |
//! | `${VAR:-d}` / `${VAR-d}` | `d` when VAR is unset or empty / unset |
//! | `${VAR:?e}` / `${VAR?e}` | an error when VAR is unset or empty / unset |
//! | `${VAR:+r}` / `${VAR+r}` | `r` when VAR is set and non-empty / set, else VAR's value or `""` |
//! | `$$` | a literal `$` |
//!
//! Names are `[_a-zA-Z][_a-zA-Z0-9]*`. A `$` followed by anything else than
//! `$`, a name or `{` is kept as it is (`$1`, `$(cmd)`, `a $ b`), while `${`
//! that does not start a valid expression is an error.
//!
//! Two details follow Docker Compose's reading rather than a shell's:
//!
//! - The text after an operator (`:-`, `?`, ...) runs to the `}` that closes
//!   the expression, counting nested `{`/`}`; when the braces don't balance it
//!   runs to the last `}` on the line. An operator expression never spans lines.
//! - The default, replacement and message texts are themselves interpolated,
//!   but only when they are used (as compose-go does since v2.10.1).

use crate::diag::{Diagnostic, Span};
use crate::load::cast;
use crate::load::node::{Kind, Map, Node, Seq};

/// Why a string could not be interpolated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterpolationError {
    /// A malformed expression starting at this byte offset of the input.
    Invalid { offset: usize },
    /// `${VAR:?msg}` / `${VAR?msg}` with VAR missing.
    Required { var: String, message: String },
}

impl std::fmt::Display for InterpolationError {
    /// The texts Docker Compose prints for these errors.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InterpolationError::Invalid { .. } => f.write_str("invalid interpolation format"),
            InterpolationError::Required { var, message } => {
                write!(f, "{}", required_message(var, message))
            }
        }
    }
}

impl std::error::Error for InterpolationError {}

/// `required variable X is missing a value[: message]`, as Compose words it.
pub fn required_message(var: &str, message: &str) -> String {
    if message.is_empty() {
        format!("required variable {var} is missing a value")
    } else {
        format!("required variable {var} is missing a value: {message}")
    }
}

/// The warning Docker Compose prints for each use of an unset variable.
pub fn unset_warning(var: &str) -> String {
    format!("The \"{var}\" variable is not set. Defaulting to a blank string.")
}

/// Substitutes every expression in `input`. Returns the result and the names
/// of variables that were used while unset (for "not set" warnings).
pub fn substitute(
    input: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, Vec<String>), InterpolationError> {
    substitute_detailed(input, lookup).map_err(|e| e.kind)
}

/// An [`InterpolationError`] with the text Compose quotes for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailedError {
    pub kind: InterpolationError,
    /// For `Invalid`: the (possibly nested) text that holds the malformed
    /// expression, which Compose prints after its message.
    pub template: String,
}

/// [`substitute`], with the quoted template kept for error messages.
pub fn substitute_detailed(
    input: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, Vec<String>), DetailedError> {
    let mut scanner = Scanner {
        lookup,
        unset: Vec::new(),
    };
    let out = scanner.run(input, 0, 0)?;
    Ok((out, scanner.unset))
}

/// Nested defaults deeper than this are refused rather than risk the stack.
const MAX_DEPTH: usize = 200;

struct Scanner<'l> {
    lookup: &'l dyn Fn(&str) -> Option<String>,
    unset: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    /// `:-`
    DefaultIfEmpty,
    /// `-`
    DefaultIfUnset,
    /// `:+`
    AltIfNonEmpty,
    /// `+`
    AltIfSet,
    /// `:?`
    RequireNonEmpty,
    /// `?`
    RequireSet,
}

fn is_name_start(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphabetic()
}

fn is_name_char(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphanumeric()
}

/// Parses an operator at the start of `b`: returns it and its length.
fn parse_op(b: &[u8]) -> Option<(Op, usize)> {
    match b {
        [b':', b'-', ..] => Some((Op::DefaultIfEmpty, 2)),
        [b':', b'+', ..] => Some((Op::AltIfNonEmpty, 2)),
        [b':', b'?', ..] => Some((Op::RequireNonEmpty, 2)),
        [b'-', ..] => Some((Op::DefaultIfUnset, 1)),
        [b'+', ..] => Some((Op::AltIfSet, 1)),
        [b'?', ..] => Some((Op::RequireSet, 1)),
        _ => None,
    }
}

/// Where the braced expression starting at `expr[0..2] == "${"` closes,
/// counting braces the way Compose does: every `{` opens a level and hides
/// the byte right after it, every `}` closes one.
fn closing_brace(expr: &[u8]) -> Option<usize> {
    let mut open = 0usize;
    let mut i = 0;
    while i < expr.len() {
        match expr[i] {
            b'}' => {
                open = open.saturating_sub(1);
                if open == 0 {
                    return Some(i);
                }
            }
            b'{' => {
                open += 1;
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

impl Scanner<'_> {
    /// Substitutes `s`, which starts at byte `base` of the outermost input.
    fn run(&mut self, s: &str, base: usize, depth: usize) -> Result<String, DetailedError> {
        let b = s.as_bytes();
        let invalid = |at: usize| DetailedError {
            kind: InterpolationError::Invalid { offset: base + at },
            template: s.to_string(),
        };
        if depth > MAX_DEPTH {
            return Err(invalid(0));
        }
        let mut out = String::with_capacity(s.len());
        let mut lit = 0;
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'$' {
                i += 1;
                continue;
            }
            out.push_str(&s[lit..i]);
            match b.get(i + 1) {
                Some(b'$') => {
                    out.push('$');
                    i += 2;
                }
                Some(&c) if is_name_start(c) => {
                    let end = name_end(b, i + 1);
                    out.push_str(&self.plain(&s[i + 1..end]));
                    i = end;
                }
                Some(b'{') => {
                    let name_at = i + 2;
                    if !b.get(name_at).is_some_and(|&c| is_name_start(c)) {
                        return Err(invalid(i));
                    }
                    let end = name_end(b, name_at);
                    let name = &s[name_at..end];
                    if b.get(end) == Some(&b'}') {
                        out.push_str(&self.plain(name));
                        i = end + 1;
                    } else {
                        let Some((op, op_len)) = parse_op(&b[end..]) else {
                            return Err(invalid(i));
                        };
                        let arg_at = end + op_len;
                        let line_end = s[arg_at..].find('\n').map_or(b.len(), |n| arg_at + n);
                        let Some(last) = s[arg_at..line_end].rfind('}').map(|n| arg_at + n) else {
                            return Err(invalid(i));
                        };
                        let close = closing_brace(&b[i..=last]).map_or(last, |c| i + c);
                        let arg = &s[arg_at..close];
                        out.push_str(&self.apply(name, op, arg, base + arg_at, depth)?);
                        i = close + 1;
                    }
                }
                _ => {
                    out.push('$');
                    i += 1;
                }
            }
            lit = i;
        }
        out.push_str(&s[lit..]);
        Ok(out)
    }

    /// `$NAME` / `${NAME}`: the value, or `""` and a note that it was unset.
    fn plain(&mut self, name: &str) -> String {
        match (self.lookup)(name) {
            Some(v) => v,
            None => {
                self.unset.push(name.to_string());
                String::new()
            }
        }
    }

    fn apply(
        &mut self,
        name: &str,
        op: Op,
        arg: &str,
        arg_base: usize,
        depth: usize,
    ) -> Result<String, DetailedError> {
        let value = (self.lookup)(name);
        let set_non_empty = value.as_deref().is_some_and(|v| !v.is_empty());
        let use_arg = match op {
            Op::DefaultIfEmpty => !set_non_empty,
            Op::DefaultIfUnset => value.is_none(),
            Op::AltIfNonEmpty => set_non_empty,
            Op::AltIfSet => value.is_some(),
            Op::RequireNonEmpty => !set_non_empty,
            Op::RequireSet => value.is_none(),
        };
        if !use_arg {
            return Ok(value.unwrap_or_default());
        }
        let text = self.run(arg, arg_base, depth + 1)?;
        match op {
            Op::RequireNonEmpty | Op::RequireSet => Err(DetailedError {
                kind: InterpolationError::Required {
                    var: name.to_string(),
                    message: text,
                },
                template: String::new(),
            }),
            _ => Ok(text),
        }
    }
}

fn name_end(b: &[u8], start: usize) -> usize {
    let mut end = start;
    while end < b.len() && is_name_char(b[end]) {
        end += 1;
    }
    end
}

/// One step of the path Compose prints in interpolation errors.
fn push_key(path: &mut Vec<String>, key: &str) {
    path.push(key.to_string());
}

/// Interpolates every string value of `node` (never mapping keys), then casts
/// the values at Compose's typed paths (ports, booleans, ...) to their types.
/// Unset variables add a warning; errors name the dotted path of the value.
pub fn interpolate_tree(
    node: &mut Node,
    lookup: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<Diagnostic>,
) -> Result<(), Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut path = Vec::new();
    walk(node, &mut path, lookup, warnings, &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Interpolates `node` in place where it is its own, and through
/// [`changed`] where it shares its lists or mappings with other nodes.
fn walk(
    node: &mut Node,
    path: &mut Vec<String>,
    lookup: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<Diagnostic>,
    errors: &mut Vec<Diagnostic>,
) {
    let own = match &mut node.kind {
        Kind::Map(map) => map.is_unique(),
        Kind::Seq(items) => items.is_unique(),
        _ => false,
    };
    match &mut node.kind {
        Kind::Map(map) if own => {
            for (key, child) in map.iter_mut() {
                push_key(path, key);
                walk(child, path, lookup, warnings, errors);
                path.pop();
            }
        }
        Kind::Seq(items) if own => {
            for child in items.make_mut() {
                path.push(cast::LIST_ITEM.to_string());
                walk(child, path, lookup, warnings, errors);
                path.pop();
            }
        }
        _ => {
            if let Some(kind) = changed(node, path, lookup, warnings, errors) {
                node.kind = kind;
            }
        }
    }
}

/// The new value of `node` when interpolation or a cast changes it. Only
/// the lists and mappings on the way to a changed value are copied, so a
/// subtree shared by aliases (`<<: *common`) stays shared where nothing in
/// it changes.
fn changed(
    node: &Node,
    path: &mut Vec<String>,
    lookup: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<Diagnostic>,
    errors: &mut Vec<Diagnostic>,
) -> Option<Kind> {
    match &node.kind {
        Kind::Map(map) => {
            let mut copy: Option<Map> = None;
            for (i, (key, child)) in map.iter().enumerate() {
                push_key(path, key);
                let new = changed(child, path, lookup, warnings, errors);
                path.pop();
                if let Some(kind) = new {
                    copy.get_or_insert_with(|| map.clone()).value_at_mut(i).kind = kind;
                }
            }
            copy.map(Kind::Map)
        }
        Kind::Seq(items) => {
            let mut copy: Option<Seq> = None;
            for (i, child) in items.iter().enumerate() {
                path.push(cast::LIST_ITEM.to_string());
                let new = changed(child, path, lookup, warnings, errors);
                path.pop();
                if let Some(kind) = new {
                    copy.get_or_insert_with(|| items.clone()).make_mut()[i].kind = kind;
                }
            }
            copy.map(Kind::Seq)
        }
        Kind::Str(text) => match substitute_detailed(text, lookup) {
            Ok((value, unset)) => {
                for var in unset {
                    warnings.push(
                            Diagnostic::new(unset_warning(&var))
                                .at(node.span)
                                .hint(format!("set {var} in the environment or in .env, or write ${{{var}:-default}}")),
                        );
                }
                match cast::cast_at(path, &value) {
                    None if value == text.as_str() => None,
                    None => Some(Kind::Str(value.into())),
                    Some(Ok((kind, warning))) => {
                        if let Some(w) = warning {
                            warnings
                                .push(Diagnostic::new(w).at(node.span).hint("use true or false"));
                        }
                        Some(kind)
                    }
                    Some(Err(e)) => {
                        errors.push(
                            Diagnostic::new(format!(
                                "error while interpolating {}: failed to cast to expected type: {}",
                                path.join("."),
                                e.message
                            ))
                            .at(node.span)
                            .hint(e.hint),
                        );
                        None
                    }
                }
            }
            Err(err) => {
                errors.push(diagnose(&path.join("."), text, node.span, err));
                None
            }
        },
        Kind::Null | Kind::Bool(_) | Kind::Int(_) | Kind::Float(_) => None,
    }
}

/// The error for a failed substitution of `text` at `path`, worded like Compose.
fn diagnose(path: &str, text: &str, span: Span, err: DetailedError) -> Diagnostic {
    match err.kind {
        InterpolationError::Invalid { offset } => Diagnostic::new(format!(
            "invalid interpolation format for {path}.\nYou may need to escape any $ with another $.\n{}",
            err.template
        ))
        .at(span_within(span, text, offset))
        .hint("write a literal $ as $$; an expression looks like ${NAME}, ${NAME:-default} or ${NAME:?error}"),
        InterpolationError::Required { var, message } => {
            Diagnostic::new(format!("error while interpolating {path}: {}", required_message(&var, &message)))
                .at(span)
                .hint(format!("set {var} in the environment or in .env, or give a default with ${{{var}:-value}}"))
        }
    }
}

/// Narrows a scalar's span to byte `offset` of its value when the source
/// text is known to be the value itself (a plain scalar) or the value in
/// quotes without escapes.
fn span_within(span: Span, value: &str, offset: usize) -> Span {
    let shift = if span.len as usize == value.len() {
        0
    } else if span.len as usize == value.len() + 2 {
        1
    } else {
        return span;
    };
    let Some(before) = value.get(..offset) else {
        return span;
    };
    if before.contains('\n') {
        return span;
    }
    Span {
        offset: span.offset + (shift + offset) as u32,
        len: 1,
        ..span
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::yaml::parse_documents;

    fn env(name: &str) -> Option<String> {
        match name {
            "FOO" => Some("first".into()),
            "BAR" => Some(String::new()),
            "JSON" => Some(r#"{"json":2}"#.into()),
            "N" => Some("3".into()),
            "YES" => Some("yes".into()),
            _ => None,
        }
    }

    fn sub(s: &str) -> Result<String, InterpolationError> {
        substitute(s, &env).map(|(v, _)| v)
    }

    #[test]
    fn forms() {
        let cases: &[(&str, &str)] = &[
            ("plain", "plain"),
            ("", ""),
            ("$FOO", "first"),
            ("${FOO}", "first"),
            ("a${FOO}b", "afirstb"),
            ("$FOO-bar", "first-bar"),
            ("$FOO.bar", "first.bar"),
            ("${missing}", ""),
            ("This ${BAR} var", "This  var"),
            ("$$", "$"),
            ("$${FOO}", "${FOO}"),
            ("$$FOO", "$FOO"),
            ("$$$FOO", "$first"),
            ("$$$$", "$$"),
            // `$` not followed by `$`, a name or `{` stays.
            ("a $ string", "a $ string"),
            ("^REGEX$", "^REGEX$"),
            ("$}", "$}"),
            ("$", "$"),
            ("$1", "$1"),
            ("$(seq 10)", "$(seq 10)"),
            ("$-", "$-"),
            ("€$€", "€$€"),
            // Defaults.
            ("${missing:-def}", "def"),
            ("${missing-def}", "def"),
            ("${BAR:-def}", "def"),
            ("${BAR-def}", ""),
            ("${FOO:-def}", "first"),
            ("${FOO-def}", "first"),
            ("${missing:-}", ""),
            ("${BAR:-/non:-alphanumeric}", "/non:-alphanumeric"),
            // Replacements.
            ("${missing:+alt}", ""),
            ("${missing+alt}", ""),
            ("${BAR:+alt}", ""),
            ("${BAR+alt}", "alt"),
            ("${FOO:+alt}", "alt"),
            ("${FOO+alt}", "alt"),
            // Required, satisfied.
            ("${FOO:?err}", "first"),
            ("${FOO?err}", "first"),
            ("${BAR?err}", ""),
            // Nesting.
            ("${missing:-${FOO}}", "first"),
            ("${missing:-${missing2:-x}}", "x"),
            ("${missing-$FOO}", "first"),
            ("${missing-${FOO} ${FOO}}", "first first"),
            ("${BAR+$FOO ${FOO:+second}}", "first second"),
            ("${missing:-${BAR-defaultValue}}", ""),
            ("${missing-myerror?msg}", "myerror?msg"),
            ("${FOO?bar-baz}", "first"),
            // Operators in the surrounding text don't matter.
            (":?ok ${BAR:-d}", ":?ok d"),
            ("-ok ${FOO:-d}", "-ok first"),
            ("${missing:-a}-${FOO:-b}", "a-first"),
            ("${missing-a}:${missing:-b}}", "a:b}"),
            // Braces inside defaults.
            (r#"ok ${missing:-{"json":1}}"#, r#"ok {"json":1}"#),
            (r#"ok ${JSON:-{"json":1}}"#, r#"ok {"json":2}"#),
            ("${missing:-a}}", "a}"),
            // Case-insensitive names, digits after the first character.
            ("${foo_1:-x}", "x"),
            ("$_", ""),
            // Multiple lines: a simple expression per line.
            ("${FOO}\n${missing:-d}\n$$", "first\nd\n$"),
        ];
        for (input, want) in cases {
            assert_eq!(sub(input).as_deref(), Ok(*want), "input {input:?}");
        }
    }

    #[test]
    fn invalid_forms() {
        let cases: &[(&str, usize)] = &[
            ("${", 0),
            ("${}", 0),
            ("${ }", 0),
            ("${ foo}", 0),
            ("${foo }", 0),
            ("${foo!}", 0),
            ("${foo", 0),
            ("${1}", 0),
            ("${foo:x}", 0),
            ("${foo:-x", 0),
            ("ab ${foo:-x\n}", 3),
            ("x$${y}${", 6),
            ("${missing:-${}}", 11),
            ("${a.b}", 0),
        ];
        for (input, offset) in cases {
            assert_eq!(
                sub(input),
                Err(InterpolationError::Invalid { offset: *offset }),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn required() {
        let cases: &[(&str, &str, &str)] = &[
            ("not ok ${UNSET:?Mandatory}", "UNSET", "Mandatory"),
            ("${BAR:?empty}", "BAR", "empty"),
            ("${UNSET:?}", "UNSET", ""),
            ("${UNSET?}", "UNSET", ""),
            ("${UNSET?bar-baz}", "UNSET", "bar-baz"),
            ("${UNSET:?Mandatory ${FOO}}", "UNSET", "Mandatory first"),
            ("${UNSET:-${UNSET2?inner}}", "UNSET2", "inner"),
        ];
        for (input, var, message) in cases {
            assert_eq!(
                sub(input),
                Err(InterpolationError::Required {
                    var: var.to_string(),
                    message: message.to_string()
                }),
                "input {input:?}"
            );
        }
        assert_eq!(
            required_message("ID", "ID variable must be set"),
            "required variable ID is missing a value: ID variable must be set"
        );
        assert_eq!(
            required_message("ID", ""),
            "required variable ID is missing a value"
        );
    }

    #[test]
    fn unused_texts_are_not_evaluated() {
        // Neither warnings nor errors from a default that is not used.
        assert_eq!(
            substitute("${FOO:-${nope}}", &env),
            Ok(("first".into(), vec![]))
        );
        assert_eq!(
            substitute("${FOO?${nope:?x}}", &env),
            Ok(("first".into(), vec![]))
        );
        assert_eq!(
            substitute("${missing:+${nope}}B", &env),
            Ok(("B".into(), vec![]))
        );
        // Only a used default warns.
        assert_eq!(
            substitute("${missing:-${nope}}", &env),
            Ok(("".into(), vec!["nope".into()]))
        );
    }

    #[test]
    fn unset_names_are_reported_per_occurrence() {
        let (out, unset) = substitute("$A ${A} ${B:-x} $FOO ${C-}", &env).unwrap();
        assert_eq!(out, "  x first ");
        assert_eq!(unset, vec!["A", "A"]);
    }

    #[test]
    fn invalid_template_is_the_innermost_text() {
        let err = substitute_detailed("a ${missing:-${}} b", &env).unwrap_err();
        assert_eq!(err.template, "${}");
        assert_eq!(err.kind, InterpolationError::Invalid { offset: 13 });
        let err = substitute_detailed("a ${ b", &env).unwrap_err();
        assert_eq!(err.template, "a ${ b");
    }

    #[test]
    fn deep_nesting_is_refused_not_a_crash() {
        let deep = format!("{}x{}", "${A:-".repeat(5000), "}".repeat(5000));
        assert!(matches!(
            sub(&deep),
            Err(InterpolationError::Invalid { .. })
        ));
        let ok = format!("{}x{}", "${A:-".repeat(50), "}".repeat(50));
        assert_eq!(sub(&ok).as_deref(), Ok("x"));
    }

    fn tree(yaml: &str) -> Node {
        parse_documents(yaml, 0).unwrap().remove(0)
    }

    fn run(yaml: &str) -> (Result<Node, Vec<Diagnostic>>, Vec<Diagnostic>) {
        let mut node = tree(yaml);
        let mut warnings = Vec::new();
        let res = interpolate_tree(&mut node, &env, &mut warnings).map(|_| node);
        (res, warnings)
    }

    #[test]
    fn tree_interpolates_values_not_keys() {
        let yaml =
            "services:\n  ${FOO}:\n    image: ${FOO}:$N\n    environment:\n      - A=${nope}\n";
        let (res, warnings) = run(yaml);
        let node = res.unwrap();
        let svc = node.get("services").unwrap().get("${FOO}").unwrap();
        assert_eq!(svc.get("image").unwrap().as_str(), Some("first:3"));
        let envs = svc.get("environment").unwrap().as_seq().unwrap();
        assert_eq!(envs[0].as_str(), Some("A="));
        assert_eq!(warnings.len(), 1);
        assert_eq!(
            warnings[0].message,
            "The \"nope\" variable is not set. Defaulting to a blank string."
        );
        assert_eq!(warnings[0].span.unwrap().line_col(yaml).0, 5);
    }

    #[test]
    fn tree_casts_typed_paths() {
        let yaml = "services:\n  web:\n    privileged: ${YES}\n    read_only: 'TRUE'\n    tty: \"false\"\n    \
                    deploy:\n      replicas: ${N}\n    ports:\n      - target: \"80\"\n        published: \"8080\"\n    \
                    cpus: '0.5'\n    ulimits:\n      nproc: '65535'\n      nofile:\n        soft: $N\n    \
                    environment:\n      X: $N\n    healthcheck:\n      retries: \"3\"\n\
                    volumes:\n  data:\n    external: 'true'\n";
        let (res, warnings) = run(yaml);
        let node = res.unwrap();
        let web = node.get("services").unwrap().get("web").unwrap();
        assert_eq!(web.get("privileged").unwrap().kind, Kind::Bool(true));
        assert_eq!(web.get("read_only").unwrap().kind, Kind::Bool(true));
        assert_eq!(web.get("tty").unwrap().kind, Kind::Bool(false));
        assert_eq!(
            web.get("deploy").unwrap().get("replicas").unwrap().kind,
            Kind::Int(3)
        );
        let port = &web.get("ports").unwrap().as_seq().unwrap()[0];
        assert_eq!(port.get("target").unwrap().kind, Kind::Int(80));
        // `published` is not a typed path: it stays a string.
        assert_eq!(
            port.get("published").unwrap().kind,
            Kind::Str("8080".into())
        );
        assert_eq!(web.get("cpus").unwrap().kind, Kind::Float(0.5));
        let ulimits = web.get("ulimits").unwrap();
        assert_eq!(ulimits.get("nproc").unwrap().kind, Kind::Int(65535));
        assert_eq!(
            ulimits.get("nofile").unwrap().get("soft").unwrap().kind,
            Kind::Int(3)
        );
        assert_eq!(
            web.get("environment").unwrap().get("X").unwrap().kind,
            Kind::Str("3".into())
        );
        assert_eq!(
            web.get("healthcheck").unwrap().get("retries").unwrap().kind,
            Kind::Int(3)
        );
        let data = node.get("volumes").unwrap().get("data").unwrap();
        assert_eq!(data.get("external").unwrap().kind, Kind::Bool(true));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(
            warnings[0].message,
            "\"yes\" for boolean is not supported by YAML 1.2, please use `true`"
        );
        assert_eq!(warnings[0].span.unwrap().line_col(yaml).0, 3);
    }

    #[test]
    fn tree_only_casts_strings() {
        let (res, _) =
            run("services:\n  web:\n    deploy:\n      replicas: 2\n    privileged: true\n");
        let node = res.unwrap();
        let web = node.get("services").unwrap().get("web").unwrap();
        assert_eq!(
            web.get("deploy").unwrap().get("replicas").unwrap().kind,
            Kind::Int(2)
        );
        assert_eq!(web.get("privileged").unwrap().kind, Kind::Bool(true));
    }

    #[test]
    fn tree_errors_are_worded_like_compose() {
        let cases: &[(&str, &str)] = &[
            (
                "services:\n  test:\n    image: ${ID:?ID variable must be set}\n",
                "error while interpolating services.test.image: required variable ID is missing a value: ID variable must be set",
            ),
            (
                "services:\n  test:\n    image: ${ID:?}\n",
                "error while interpolating services.test.image: required variable ID is missing a value",
            ),
            (
                "configs:\n  config1:\n    external: $nope\n",
                "error while interpolating configs.config1.external: failed to cast to expected type: invalid boolean: ",
            ),
            (
                "services:\n  web:\n    ports:\n      - target: ${FOO}\n",
                "error while interpolating services.web.ports.[].target: failed to cast to expected type: \
                 strconv.Atoi: parsing \"first\": invalid syntax",
            ),
            (
                "services:\n  web:\n    image: \"a ${ b\"\n",
                "invalid interpolation format for services.web.image.\nYou may need to escape any $ with another $.\na ${ b",
            ),
            (
                "x-a:\n  - [\"${\"]\n",
                "invalid interpolation format for x-a.[].[].\nYou may need to escape any $ with another $.\n${",
            ),
        ];
        for (yaml, want) in cases {
            let (res, _) = run(yaml);
            let errs = res.unwrap_err();
            assert_eq!(errs.len(), 1);
            assert_eq!(errs[0].message, *want);
            assert!(errs[0].span.is_some() && errs[0].hint.is_some());
        }
    }

    #[test]
    fn tree_reports_every_error() {
        let yaml = "a: ${X:?one}\nb: ok\nc: ${Y:?two}\n";
        let (res, _) = run(yaml);
        let errs = res.unwrap_err();
        assert_eq!(errs.len(), 2);
        assert_eq!(errs[0].span.unwrap().line_col(yaml).0, 1);
        assert_eq!(errs[1].span.unwrap().line_col(yaml).0, 3);
    }

    #[test]
    fn invalid_expressions_point_at_the_dollar() {
        let yaml = "image: abc${\n";
        let (res, _) = run(yaml);
        let err = &res.unwrap_err()[0];
        let span = err.span.unwrap();
        assert_eq!((span.line_col(yaml), span.offset), ((1, 11), 10));
        let yaml = "image: 'é ${'\n";
        let (res, _) = run(yaml);
        let span = res.unwrap_err()[0].span.unwrap();
        assert_eq!((span.line_col(yaml), span.offset), ((1, 11), 11));
    }

    #[test]
    fn keys_with_dots_print_as_is() {
        let (res, _) = run("services:\n  web:\n    labels:\n      com.example.x: ${U:?}\n");
        assert_eq!(
            res.unwrap_err()[0].message,
            "error while interpolating services.web.labels.com.example.x: required variable U is missing a value"
        );
    }
}
