//! JSON-schema validation of a Compose model.
//!
//! The schema is `schemas/compose.schema.json` (draft 2020-12), written for
//! berth from the Compose Specification and as permissive as Docker Compose
//! v2: values that interpolation may produce as strings are accepted as
//! strings, short and long syntaxes are both allowed, and `x-` keys are
//! allowed wherever Compose allows them.
//!
//! The schema avoids `oneOf` where the alternatives differ by JSON type (it
//! lists several types instead), so most failures are one precise error. For
//! the few alternatives left, the most specific branch error is reported, the
//! way Compose does. Every error becomes a [`Diagnostic`] that points at the
//! offending key (unknown keys) or value, with a hint drawn from the schema:
//! a did-you-mean for misspelt keys and enum values, an example for type
//! errors, the missing key for `required`.

use std::borrow::Cow;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::json::{self, NodeIdentity};
use jsonschema::{JsonType, ValidationError};
use serde_json::Value;

use crate::diag::{Diagnostic, Span};
use crate::load::node::{Key, Kind, Map, Node, PathSeg, path_to_string};

/// The schema text, also the file editors point at with
/// `# yaml-language-server: $schema=...`.
pub const SCHEMA_TEXT: &str = include_str!("../../schemas/compose.schema.json");

struct Compiled {
    schema: Value,
    validator: jsonschema::Validator<NodeJson>,
}

impl Compiled {
    /// Compiles the schema, in about a millisecond. The validator is not kept
    /// between files: it weighs over a megabyte, which the later stages of a
    /// load, the heaviest in memory, can use instead.
    fn new() -> Self {
        let schema: Value =
            serde_json::from_str(SCHEMA_TEXT).expect("compose schema is valid JSON");
        let validator = jsonschema::options_for::<NodeJson>()
            .with_draft(jsonschema::Draft::Draft202012)
            .with_format("duration", is_duration)
            .should_validate_formats(true)
            // RE2-style matching, as Compose's Go validator does; faster than the
            // backtracking engine for the schema's simple patterns.
            .with_pattern_options(jsonschema::PatternOptions::regex())
            .build(&schema)
            .expect("compose schema compiles");
        Compiled { schema, validator }
    }
}

/// Validates one file's model (after interpolation, before normalisation)
/// against `schemas/compose.schema.json`. Returns every independent problem,
/// each pointing at the offending key or value, with a did-you-mean hint for
/// unknown keys. `file_label` is the path shown in messages.
pub fn validate(root: &Node, file_label: &str) -> Vec<Diagnostic> {
    let compiled = &Compiled::new();
    // The validator reads the node tree in place (see `NodeJson`): no JSON copy.
    if compiled.validator.is_valid(root) {
        return Vec::new();
    }
    let reporter = Reporter {
        root,
        schema: &compiled.schema,
        file_label,
    };
    let mut out: Vec<Diagnostic> = Vec::new();
    for error in compiled.validator.iter_errors(root) {
        let choice = most_specific(&error);
        for d in reporter.report(&choice) {
            if !out.contains(&d) {
                out.push(d);
            }
        }
    }
    // Source order reads best; errors without a position go last.
    out.sort_by_key(|d| {
        d.span
            .map_or((1, u32::MAX, u32::MAX), |s| (0, s.file.into(), s.offset))
    });
    out
}

// ---------------------------------------------------------------------------
// Picking the error to report

/// The error chosen to stand for one failure, with the types of the other
/// alternatives when every alternative failed on its type alone.
struct Choice<'a, 'e> {
    error: &'a ValidationError<'e>,
    /// Types wanted by all alternatives, when they all failed on their type at
    /// the same place (so the message can say "must be a string or list").
    types: Vec<JsonType>,
}

/// Depth of an error's instance location: deeper errors are more specific. An
/// unknown key counts one deeper, since it names a child (this is how Compose
/// ranks errors too). Type errors lose ties: a branch that failed on the type
/// of the value was likely not the one meant.
fn specificity(error: &ValidationError<'_>) -> (usize, bool) {
    let depth = error
        .instance_path()
        .as_str()
        .split('/')
        .filter(|s| !s.is_empty())
        .count();
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { .. } => (depth + 1, true),
        ValidationErrorKind::Type { .. } => (depth, false),
        _ => (depth, true),
    }
}

/// For `anyOf`/`oneOf` failures, the most specific error of the best branch;
/// any other error stands for itself.
fn most_specific<'a, 'e>(error: &'a ValidationError<'e>) -> Choice<'a, 'e> {
    let (ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context }) =
        error.kind()
    else {
        return Choice {
            error,
            types: Vec::new(),
        };
    };
    let here = error.instance_path().as_str();
    let mut best: Option<Choice<'a, 'e>> = None;
    let mut type_only = Vec::new();
    let mut all_type_only = true;
    for branch in context {
        // A branch whose value has the wrong type failed only because of that,
        // whatever else it says about the value.
        let type_error = branch.iter().find(|e| {
            e.instance_path().as_str() == here
                && matches!(e.kind(), ValidationErrorKind::Type { .. })
        });
        let candidate = match type_error {
            Some(e) => {
                if let ValidationErrorKind::Type { kind } = e.kind() {
                    type_only.extend(type_list(kind));
                }
                Choice {
                    error: e,
                    types: Vec::new(),
                }
            }
            None => {
                all_type_only = false;
                let Some(c) = branch.iter().map(most_specific).reduce(|a, b| {
                    if specificity(b.error) > specificity(a.error) {
                        b
                    } else {
                        a
                    }
                }) else {
                    continue;
                };
                c
            }
        };
        best = match best {
            Some(b) if specificity(candidate.error) <= specificity(b.error) => Some(b),
            _ => Some(candidate),
        };
    }
    let Some(mut best) = best else {
        return Choice {
            error,
            types: Vec::new(),
        };
    };
    if all_type_only {
        type_only.sort();
        type_only.dedup();
        best.types = type_only;
    }
    best
}

fn type_list(kind: &TypeKind) -> Vec<JsonType> {
    match kind {
        TypeKind::Single(t) => vec![*t],
        TypeKind::Multiple(set) => set.iter().collect(),
    }
}

// ---------------------------------------------------------------------------
// Turning errors into diagnostics

struct Reporter<'r> {
    root: &'r Node,
    schema: &'r Value,
    file_label: &'r str,
}

impl Reporter<'_> {
    fn report(&self, choice: &Choice<'_, '_>) -> Vec<Diagnostic> {
        let error = choice.error;
        let path = self.node_path(error.instance_path().as_str());
        let node = self.root.at_path(&path);
        let shown = path_to_string(&path);
        let message = |detail: &str| {
            if shown.is_empty() {
                format!("validating {}: {detail}", self.file_label)
            } else {
                format!("validating {}: {shown} {detail}", self.file_label)
            }
        };
        let value_span = node.map(|n| n.span);
        let key = key_name(&path);

        let mut diag = match error.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                let object = self.schema_parent(error.schema_path().as_str());
                return unexpected
                    .iter()
                    .map(|name| {
                        let d = Diagnostic::new(message(&format!(
                            "additional properties '{name}' not allowed"
                        )));
                        let d = match node.and_then(|n| n.get(name)) {
                            Some(child) => d.at(child.key_span()),
                            None => at(d, value_span),
                        };
                        match object.and_then(|o| unknown_key_hint(name, o, self.schema, &path)) {
                            Some(h) => d.hint(h),
                            None => d,
                        }
                    })
                    .collect();
            }
            ValidationErrorKind::Type { kind } => {
                let wanted = if choice.types.is_empty() {
                    type_list(kind)
                } else {
                    choice.types.clone()
                };
                // An empty value has no text of its own: point at its key.
                let span = node.map(|n| if n.is_null() { n.key_span() } else { n.span });
                if path.is_empty() {
                    let what = node
                        .filter(|n| !n.is_null())
                        .map_or("nothing", Node::type_name);
                    return vec![
                        at(
                            Diagnostic::new(message("top-level object must be a mapping")),
                            span,
                        )
                        .hint(format!(
                            "the file holds {what}; a Compose file is a mapping of \
                             top-level keys such as `services:`"
                        )),
                    ];
                }
                let d = at(
                    Diagnostic::new(message(&format!("must be {}", type_phrase(&wanted)))),
                    span,
                );
                let example = self.example_for(error, &wanted);
                d.hint(type_hint(&key, node, &wanted, example.as_ref()))
            }
            ValidationErrorKind::Enum { options } => {
                let options: Vec<String> = match &**options {
                    Value::Array(items) => items.iter().map(render_scalar).collect(),
                    other => vec![render_scalar(other)],
                };
                let quoted: Vec<String> = options.iter().map(|o| format!("'{o}'")).collect();
                let d = at(
                    Diagnostic::new(message(&format!("must be one of {}", quoted.join(", ")))),
                    value_span,
                );
                let given = error.instance().as_str().map(str::to_string);
                let suggestion = given
                    .as_deref()
                    .and_then(|g| crate::suggest::closest(g, options.iter().map(String::as_str)));
                match suggestion {
                    Some(s) => d.hint(format!("did you mean `{s}`?")),
                    None => d.hint(format!("use one of: {}", options.join(", "))),
                }
            }
            ValidationErrorKind::Required { property } => {
                let name = property
                    .as_str()
                    .map_or_else(|| property.to_string(), str::to_string);
                let d = Diagnostic::new(message(&format!("missing property '{name}'")));
                let d = at(d, node.map(|n| n.key_span()));
                let object = self.schema_parent(error.schema_path().as_str());
                d.hint(required_hint(
                    &name,
                    object.and_then(|o| o.get("properties")?.get(&name)),
                ))
            }
            ValidationErrorKind::Format { format } if format == "duration" => {
                let shown_value = render_scalar(error.instance());
                let detail = format!("'{shown_value}' is not a valid duration");
                at(Diagnostic::new(message(&detail)), value_span).hint(
                    "write a duration such as `30s`, `1m30s`, `1.5h` or `250ms` \
                     (units: ns, us, ms, s, m, h, d, w)",
                )
            }
            ValidationErrorKind::Pattern { pattern } => {
                let shown_value = render_scalar(error.instance());
                let d = at(
                    Diagnostic::new(message(&format!(
                        "'{shown_value}' does not match pattern '{pattern}'"
                    ))),
                    value_span,
                );
                let description = self
                    .schema_parent(error.schema_path().as_str())
                    .and_then(|o| o.get("description"))
                    .and_then(Value::as_str);
                match description {
                    Some(text) => d.hint(format!("`{key}`: {text}")),
                    None => d,
                }
            }
            ValidationErrorKind::Minimum { limit } => at(
                Diagnostic::new(message(&format!(
                    "must be greater than or equal to {limit}"
                ))),
                value_span,
            )
            .hint(format!("use a value of at least {limit}")),
            ValidationErrorKind::Maximum { limit } => at(
                Diagnostic::new(message(&format!("must be less than or equal to {limit}"))),
                value_span,
            )
            .hint(format!("use a value of at most {limit}")),
            ValidationErrorKind::UniqueItems => {
                let (detail, span) = match node
                    .and_then(|n| n.as_seq())
                    .and_then(|items| first_duplicate(items))
                {
                    Some((i, j, dup)) => {
                        (format!("items at {i} and {j} are equal"), Some(dup.span))
                    }
                    None => ("must not contain duplicate items".to_string(), value_span),
                };
                at(Diagnostic::new(message(&detail)), span)
                    .hint(format!("remove the repeated entry from `{key}`"))
            }
            _ => at(Diagnostic::new(message(&error.to_string())), value_span),
        };
        if diag.span.is_none()
            && let Some(parent) = self.nearest_known_span(&path)
        {
            diag = diag.at(parent);
        }
        vec![diag]
    }

    /// The JSON pointer of an instance location, as a path into the node tree
    /// (a numeric segment is an index only where the node is a sequence).
    fn node_path(&self, pointer: &str) -> Vec<PathSeg> {
        let mut path = Vec::new();
        let mut node = Some(self.root);
        for raw in pointer.split('/').skip(1) {
            let seg = raw.replace("~1", "/").replace("~0", "~");
            let step = match (node.map(|n| &n.kind), seg.parse::<usize>()) {
                (Some(Kind::Seq(_)), Ok(i)) => PathSeg::Index(i),
                _ => PathSeg::Key(seg),
            };
            node = node.and_then(|n| n.at_path(std::slice::from_ref(&step)));
            path.push(step);
        }
        path
    }

    fn nearest_known_span(&self, path: &[PathSeg]) -> Option<Span> {
        (0..path.len())
            .rev()
            .find_map(|n| self.root.at_path(&path[..n]).map(|node| node.span))
    }

    /// The schema object holding the keyword a canonical schema location ends with.
    fn schema_parent(&self, schema_path: &str) -> Option<&Value> {
        let parent = schema_path.rsplit_once('/').map_or("", |(p, _)| p);
        self.schema.pointer(parent)
    }

    /// An example value for the place a type error is about, taken from the
    /// schema's `examples` (the first one of a wanted type).
    fn example_for(&self, error: &ValidationError<'_>, wanted: &[JsonType]) -> Option<Value> {
        let eval = error.evaluation_path();
        let segments: Vec<String> = eval
            .as_str()
            .split('/')
            .skip(1)
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect();
        // Walk the evaluation path through the schema, following `$ref`s, and
        // remember the schema objects that describe the failing value: those
        // reached since the last step into a child (properties, items...).
        // For a list item, also remember the list's schemas: their examples
        // are lists whose items are examples too.
        let mut node = self.schema;
        let mut here: Vec<&Value> = vec![node];
        let mut list: Vec<&Value> = Vec::new();
        let mut i = 0;
        while i < segments.len() {
            let seg = segments[i].as_str();
            match seg {
                "$ref" => {
                    let target = node.get("$ref")?.as_str()?.strip_prefix('#')?;
                    node = self.schema.pointer(target)?;
                    here.push(node);
                    i += 1;
                }
                "properties" | "patternProperties" | "$defs" => {
                    node = node.get(seg)?.get(segments.get(i + 1)?)?;
                    here = vec![node];
                    list.clear();
                    i += 2;
                }
                "items" | "additionalProperties" => {
                    node = node.get(seg)?;
                    list = if seg == "items" {
                        std::mem::take(&mut here)
                    } else {
                        Vec::new()
                    };
                    here = vec![node];
                    i += 1;
                }
                "anyOf" | "oneOf" | "allOf" => {
                    let index: usize = segments.get(i + 1)?.parse().ok()?;
                    node = node.get(seg)?.get(index)?;
                    here.push(node);
                    i += 2;
                }
                // The failing keyword itself.
                _ => break,
            }
        }
        let wanted_type = |ex: &&Value| wanted.iter().any(|t| is_of_type(ex, *t));
        let examples = |schema: &&Value| schema.get("examples")?.as_array().cloned();
        here.iter()
            .rev()
            .filter_map(examples)
            .flatten()
            .find(|ex| wanted_type(&ex))
            .or_else(|| {
                list.iter()
                    .rev()
                    .filter_map(examples)
                    .flatten()
                    .filter_map(|ex| ex.as_array()?.first().cloned())
                    .find(|ex| wanted_type(&ex))
            })
    }
}

fn at(d: Diagnostic, span: Option<Span>) -> Diagnostic {
    match span {
        Some(s) => d.at(s),
        None => d,
    }
}

/// The key a path ends at, for hints: `ports`, or `ports[0]` for an item.
fn key_name(path: &[PathSeg]) -> String {
    let mut index = None;
    for seg in path.iter().rev() {
        match seg {
            PathSeg::Index(i) if index.is_none() => index = Some(*i),
            PathSeg::Index(_) => {}
            PathSeg::Key(k) => {
                return match index {
                    Some(i) => format!("{k}[{i}]"),
                    None => k.clone(),
                };
            }
        }
    }
    "the file".to_string()
}

fn type_name(t: JsonType) -> &'static str {
    match t {
        JsonType::Object => "mapping",
        JsonType::Array => "list",
        JsonType::Boolean => "boolean",
        JsonType::Integer => "integer",
        JsonType::Number => "number",
        JsonType::String => "string",
        JsonType::Null => "null",
    }
}

/// "a mapping", "a boolean or string", "an integer, string or mapping".
fn type_phrase(types: &[JsonType]) -> String {
    let mut names: Vec<&str> = types.iter().map(|t| type_name(*t)).collect();
    names.sort_unstable();
    names.dedup();
    let list = match names.split_last() {
        None => return "a valid value".to_string(),
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    };
    let article = if list.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {list}")
}

fn type_hint(
    key: &str,
    node: Option<&Node>,
    wanted: &[JsonType],
    example: Option<&Value>,
) -> String {
    let mut hint = match node {
        Some(n) if n.is_null() => {
            format!("`{key}` is empty, but it must be {}", type_phrase(wanted))
        }
        Some(n) => format!(
            "`{key}` is {} here, but it must be {}",
            n.type_name(),
            type_phrase(wanted)
        ),
        None => format!("`{key}` must be {}", type_phrase(wanted)),
    };
    if let Some(ex) = example {
        let bare = key.split('[').next().unwrap_or(key);
        if key.contains('[') {
            hint.push_str(&format!(", e.g. `- {}` under `{bare}`", render_flow(ex)));
        } else {
            hint.push_str(&format!(", e.g. `{bare}: {}`", render_flow(ex)));
        }
    }
    hint
}

fn required_hint(name: &str, property: Option<&Value>) -> String {
    let Some(property) = property else {
        return format!("add `{name}:`");
    };
    if let Some(Value::Array(options)) = property.get("enum") {
        let options: Vec<String> = options.iter().map(render_scalar).collect();
        return format!("add `{name}:` with one of: {}", options.join(", "));
    }
    if let Some(ex) = property.get("examples").and_then(|e| e.get(0)) {
        return format!("add `{name}`, e.g. `{name}: {}`", render_flow(ex));
    }
    match property.get("description").and_then(Value::as_str) {
        Some(text) => format!("add `{name}:` ({})", text.trim_end_matches('.')),
        None => format!("add `{name}:`"),
    }
}

/// The hint for a key the schema doesn't allow at this place.
fn unknown_key_hint(
    name: &str,
    object: &Value,
    schema: &Value,
    path: &[PathSeg],
) -> Option<String> {
    let known: Vec<&str> = object
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default();
    if let Some(s) = crate::suggest::closest(name, known.iter().copied()) {
        return Some(format!("did you mean `{s}`?"));
    }
    let homes = nested_homes(name, object, schema);
    if !homes.is_empty() && homes.len() <= 3 {
        let list: Vec<String> = homes
            .iter()
            .map(|h| match h.strip_suffix("[]") {
                Some(list) => format!("the entries of `{list}`"),
                None => format!("`{h}`"),
            })
            .collect();
        return Some(format!(
            "`{name}` is not allowed here; it belongs under {}",
            list.join(" or ")
        ));
    }
    let patterns: Vec<&str> = object
        .get("patternProperties")
        .and_then(Value::as_object)
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default();
    if patterns.iter().any(|p| *p != "^x-") {
        // A mapping of names (services, volumes...): the name is the problem.
        let what = match path.last() {
            Some(PathSeg::Key(k)) => format!("`{k}` names"),
            _ => "names".to_string(),
        };
        return Some(format!(
            "{what} may only contain letters, digits, `.`, `_` and `-`"
        ));
    }
    let extension = if patterns.contains(&"^x-") {
        let bare = match name.as_bytes() {
            [b'x' | b'X', b'-' | b'_', ..] => &name[2..],
            _ => name,
        };
        format!("; to keep it as an extension field, name it `x-{bare}`")
    } else {
        String::new()
    };
    if !known.is_empty() && known.len() <= 12 {
        let list: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
        return Some(format!(
            "remove it; the keys allowed here are {}{extension}",
            list.join(", ")
        ));
    }
    Some(format!("remove it, it is not a Compose key{extension}"))
}

/// Where below `object` a key called `name` is allowed, as relative paths
/// (`deploy.resources.limits`, `develop.watch[]`), searching the shallowest
/// level that has it, at most three levels down.
fn nested_homes<'s>(name: &str, object: &'s Value, schema: &'s Value) -> Vec<String> {
    let mut level: Vec<(String, &Value)> = children(object, "", schema);
    for _ in 0..3 {
        let mut homes: Vec<String> = level
            .iter()
            .filter(|(_, node)| node.get("properties").and_then(|p| p.get(name)).is_some())
            .map(|(path, _)| path.clone())
            .collect();
        if !homes.is_empty() {
            homes.dedup();
            return homes;
        }
        level = level
            .iter()
            .flat_map(|(path, node)| children(node, path, schema))
            .collect();
    }
    Vec::new()
}

/// Follows `$ref`s (local ones; the schema has no others).
fn resolve<'s>(mut node: &'s Value, schema: &'s Value) -> &'s Value {
    while let Some(target) = node.get("$ref").and_then(Value::as_str) {
        match target.strip_prefix('#').and_then(|t| schema.pointer(t)) {
            Some(next) => node = next,
            None => break,
        }
    }
    node
}

/// The schemas one level below an object or list schema, with their paths.
fn children<'s>(node: &'s Value, path: &str, schema: &'s Value) -> Vec<(String, &'s Value)> {
    let join = |seg: &str| {
        if path.is_empty() {
            seg.to_string()
        } else {
            format!("{path}.{seg}")
        }
    };
    let mut out = Vec::new();
    let mut add = |p: String, child: &'s Value| {
        let child = resolve(child, schema);
        // Alternatives describe the same place.
        match child.get("anyOf").and_then(Value::as_array) {
            Some(branches) => out.extend(branches.iter().map(|b| (p.clone(), resolve(b, schema)))),
            None => out.push((p, child)),
        }
    };
    if let Some(props) = node.get("properties").and_then(Value::as_object) {
        for (key, child) in props.iter().filter(|(k, _)| !k.starts_with("x-")) {
            add(join(key), child);
        }
    }
    if let Some(patterns) = node.get("patternProperties").and_then(Value::as_object) {
        for (_, child) in patterns.iter().filter(|(k, _)| k.as_str() != "^x-") {
            add(join("<name>"), child);
        }
    }
    if let Some(items) = node.get("items") {
        add(format!("{path}[]"), items);
    }
    out
}

/// The first two equal items of a list, and the second of them.
fn first_duplicate(items: &[Node]) -> Option<(usize, usize, &Node)> {
    for (j, b) in items.iter().enumerate() {
        if let Some(i) = items[..j].iter().position(|a| json_equal(a, b)) {
            return Some((i, j, b));
        }
    }
    None
}

fn is_of_type(v: &Value, t: JsonType) -> bool {
    match t {
        JsonType::Null => v.is_null(),
        JsonType::Boolean => v.is_boolean(),
        JsonType::Integer => v.is_i64() || v.is_u64(),
        JsonType::Number => v.is_number(),
        JsonType::String => v.is_string(),
        JsonType::Array => v.is_array(),
        JsonType::Object => v.is_object(),
    }
}

fn render_scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A value as YAML flow syntax, for examples in hints.
fn render_flow(v: &Value) -> String {
    match v {
        Value::String(s) => {
            let plain = s
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '.' || c == '/')
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._/-".contains(c))
                && !matches!(
                    s.to_ascii_lowercase().as_str(),
                    "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
                );
            if plain {
                s.clone()
            } else {
                Value::String(s.clone()).to_string()
            }
        }
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(render_flow).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{k}: {}", render_flow(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------------------
// The node tree as a JSON representation for the validator

/// Lets the validator walk [`Node`] trees directly, so a big file is not
/// copied into a `serde_json::Value` first. Tags and positions are invisible
/// to it; numbers compare mathematically (`1 == 1.0`), as in JSON.
struct NodeJson;

impl json::Json for NodeJson {
    type Node<'a> = &'a Node;
    type PreparedKey = String;
    type StringBuffer = Option<Node>;

    fn prepare_key(key: &str) -> String {
        key.to_owned()
    }

    fn with_string_node<T>(
        buffer: &mut Option<Node>,
        string: &str,
        f: impl FnOnce(&Node) -> T,
    ) -> T {
        match buffer {
            Some(Node {
                kind: Kind::Str(s), ..
            }) => {
                s.clear();
                s.push_str(string);
            }
            _ => *buffer = Some(Node::str(string, Span::NONE)),
        }
        f(buffer.as_ref().expect("just set"))
    }
}

#[derive(Clone, Copy)]
enum Number {
    Int(i64),
    Float(f64),
}

impl json::JsonNumber for Number {
    fn as_u64(&self) -> Option<u64> {
        match *self {
            Number::Int(i) => u64::try_from(i).ok(),
            Number::Float(f) => (f.fract() == 0.0
                && (0.0..18_446_744_073_709_551_616.0).contains(&f))
            .then_some(f as u64),
        }
    }

    fn as_i64(&self) -> Option<i64> {
        match *self {
            Number::Int(i) => Some(i),
            Number::Float(f) => (f.fract() == 0.0
                && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f))
            .then_some(f as i64),
        }
    }

    fn as_f64(&self) -> Option<f64> {
        match *self {
            Number::Int(i) => Some(i as f64),
            Number::Float(f) => Some(f),
        }
    }

    fn as_str(&self) -> Cow<'_, str> {
        match *self {
            Number::Int(i) => Cow::Owned(i.to_string()),
            Number::Float(f) => Cow::Owned(f.to_string()),
        }
    }

    fn to_number(&self) -> Cow<'_, serde_json::Number> {
        Cow::Owned(match *self {
            Number::Int(i) => serde_json::Number::from(i),
            Number::Float(f) => {
                serde_json::Number::from_f64(f).unwrap_or_else(|| serde_json::Number::from(0))
            }
        })
    }

    fn is_integer(&self) -> bool {
        match *self {
            Number::Int(_) => true,
            Number::Float(f) => f.is_finite() && f.fract() == 0.0,
        }
    }

    fn is_written_as_integer(&self) -> bool {
        matches!(self, Number::Int(_))
    }
}

impl<'a> json::Node<'a, NodeJson> for &'a Node {
    type Object = &'a Map;
    type Array = &'a [Node];
    type Number = Number;

    fn as_object(&self) -> Option<&'a Map> {
        self.as_map()
    }

    fn as_array(&self) -> Option<&'a [Node]> {
        self.as_seq().map(|items| items.as_slice())
    }

    fn as_string(&self) -> Option<Cow<'a, str>> {
        self.as_str().map(Cow::Borrowed)
    }

    fn as_number(&self) -> Option<Number> {
        match self.kind {
            Kind::Int(i) => Some(Number::Int(i)),
            Kind::Float(f) => Some(Number::Float(f)),
            _ => None,
        }
    }

    fn as_boolean(&self) -> Option<bool> {
        Node::as_bool(self)
    }

    fn is_null(&self) -> bool {
        Node::is_null(self)
    }

    fn json_type(&self) -> JsonType {
        match self.kind {
            Kind::Null => JsonType::Null,
            Kind::Bool(_) => JsonType::Boolean,
            Kind::Int(_) | Kind::Float(_) => JsonType::Number,
            Kind::Str(_) => JsonType::String,
            Kind::Seq(_) => JsonType::Array,
            Kind::Map(_) => JsonType::Object,
        }
    }

    fn equals_value(&self, expected: &Value) -> bool {
        match (&self.kind, expected) {
            (Kind::Str(a), Value::String(b)) => a == b,
            (Kind::Bool(a), Value::Bool(b)) => a == b,
            (Kind::Null, Value::Null) => true,
            (Kind::Str(_) | Kind::Bool(_) | Kind::Null, _) => false,
            _ => json::cmp::equal(&self.to_json(), expected),
        }
    }

    fn to_value(&self) -> Cow<'a, Value> {
        Cow::Owned(self.to_json())
    }

    fn identity(&self) -> Option<NodeIdentity> {
        Some(NodeIdentity::new(std::ptr::from_ref::<Node>(*self) as usize))
    }
}

impl<'a> json::Object<'a, NodeJson> for &'a Map {
    type Node = &'a Node;
    type MemberName = &'a str;
    type MembersIter = std::iter::Map<
        crate::load::node::map::Iter<'a>,
        fn((&'a Key, &'a Node)) -> (&'a str, &'a Node),
    >;

    fn len(&self) -> usize {
        Map::len(self)
    }

    fn get(&self, key: &String) -> Option<&'a Node> {
        Map::get(self, key.as_str())
    }

    fn members(&self) -> Self::MembersIter {
        self.iter().map(|(k, v)| (k.as_str(), v))
    }
}

impl<'a> json::Array<'a, NodeJson> for &'a [Node] {
    type Node = &'a Node;
    type ElementsIter = std::slice::Iter<'a, Node>;

    fn len(&self) -> usize {
        <[Node]>::len(self)
    }

    fn elements(&self) -> std::slice::Iter<'a, Node> {
        self.iter()
    }

    fn is_unique(&self) -> bool {
        // Lists in Compose files are short; a long one goes through JSON values
        // and the validator's hashing check instead of comparing every pair.
        if self.len() > 64 {
            let values: Vec<Cow<'_, Value>> =
                self.iter().map(|n| Cow::Owned(n.to_json())).collect();
            return json::unique::is_unique(&values);
        }
        self.iter()
            .enumerate()
            .all(|(j, b)| !self[..j].iter().any(|a| json_equal(a, b)))
    }
}

/// JSON equality of two nodes: numbers compare by value, mappings ignore key order.
fn json_equal(a: &Node, b: &Node) -> bool {
    match (&a.kind, &b.kind) {
        (Kind::Int(x), Kind::Float(y)) | (Kind::Float(y), Kind::Int(x)) => *x as f64 == *y,
        (Kind::Seq(x), Kind::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_equal(p, q))
        }
        (Kind::Map(x), Kind::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        (x, y) => x == y,
    }
}

// ---------------------------------------------------------------------------
// The `duration` format

/// Whether `s` is a duration as Compose reads it: Go's `time.ParseDuration`
/// syntax (`1m30s`, `10ms`, `1.5h`, `-2s`, `0`), plus the `d` (24h) and `w`
/// units Compose's decoder also accepts. Like Go, a value that overflows an
/// int64 count of nanoseconds is rejected.
pub fn is_duration(s: &str) -> bool {
    crate::gocompat::parse_duration(s, crate::gocompat::Units::WithDaysAndWeeks).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::yaml::parse_documents;

    fn check(text: &str) -> Vec<Diagnostic> {
        let docs = parse_documents(text, 0).expect("test YAML parses");
        validate(&docs[0], "compose.yaml")
    }

    fn messages(diags: &[Diagnostic]) -> Vec<String> {
        diags.iter().map(|d| d.message.clone()).collect()
    }

    #[test]
    fn schema_compiles() {
        assert!(Compiled::new().schema.is_object());
    }

    #[test]
    fn minimal_file_is_valid() {
        assert!(check("services:\n  web:\n    image: nginx\n").is_empty());
    }

    #[test]
    fn unknown_key_points_at_key_with_did_you_mean() {
        let text = "services:\n  web:\n    image: nginx\n    depend_on: [db]\n  db:\n    image: postgres\n";
        let diags = check(text);
        assert_eq!(
            messages(&diags),
            ["validating compose.yaml: services.web additional properties 'depend_on' not allowed"]
        );
        let d = &diags[0];
        let span = d.span.expect("span");
        assert_eq!(span.line_col(text), (4, 5));
        assert_eq!(d.hint.as_deref(), Some("did you mean `depends_on`?"));
    }

    #[test]
    fn compose_message_for_unknown_field() {
        let text = "services:\n  simple:\n    image: alpine\n    wrongField: true\n";
        assert_eq!(
            messages(&check(text)),
            [
                "validating compose.yaml: services.simple additional properties 'wrongField' not allowed"
            ]
        );
    }

    #[test]
    fn unknown_top_level_key_suggests_extension_prefix() {
        let diags = check("services: {}\nfoo: 1\n");
        assert_eq!(
            messages(&diags),
            ["validating compose.yaml: additional properties 'foo' not allowed"]
        );
        let hint = diags[0].hint.as_deref().unwrap();
        assert!(hint.contains("`x-foo`"), "{hint}");
    }

    #[test]
    fn invalid_service_name_explains_naming_rule() {
        let diags = check("services:\n  my web:\n    image: nginx\n");
        assert_eq!(
            messages(&diags),
            ["validating compose.yaml: services additional properties 'my web' not allowed"]
        );
        assert!(
            diags[0]
                .hint
                .as_deref()
                .unwrap()
                .contains("letters, digits")
        );
    }

    #[test]
    fn wrong_type_says_what_is_expected() {
        let text = "services:\n  web:\n    image: nginx\n    ports: 8080\n";
        let diags = check(text);
        assert_eq!(
            messages(&diags),
            ["validating compose.yaml: services.web.ports must be a list"]
        );
        let d = &diags[0];
        assert_eq!(d.span.map(|s| s.line_col(text)), Some((4, 12)));
        assert_eq!(
            d.hint.as_deref(),
            Some("`ports` is an integer here, but it must be a list, e.g. `ports: [\"8080:80\"]`")
        );
    }

    #[test]
    fn misplaced_key_says_where_it_belongs() {
        let diags = check("services:\n  web:\n    context: .\n    action: sync\n");
        let hints: Vec<_> = diags.iter().map(|d| d.hint.as_deref().unwrap()).collect();
        assert_eq!(
            hints,
            [
                "`context` is not allowed here; it belongs under `build`",
                "`action` is not allowed here; it belongs under the entries of `develop.watch`",
            ]
        );
    }

    #[test]
    fn wrong_item_type_gets_an_item_example() {
        let diags = check("services:\n  web:\n    image: x\n    volumes:\n      - 5\n");
        assert_eq!(
            messages(&diags),
            ["validating compose.yaml: services.web.volumes.0 must be a mapping or string"]
        );
        assert_eq!(
            diags[0].hint.as_deref(),
            Some(
                "`volumes[0]` is an integer here, but it must be a mapping or string, \
                 e.g. `- \"./data:/data\"` under `volumes`"
            )
        );
    }

    #[test]
    fn top_level_must_be_a_mapping() {
        let diags = check("- a\n- b\n");
        assert_eq!(
            messages(&diags),
            ["validating compose.yaml: top-level object must be a mapping"]
        );
    }

    #[test]
    fn null_service_must_be_a_mapping() {
        let diags = check("services:\n  nil:\n");
        assert_eq!(
            messages(&diags),
            ["validating compose.yaml: services.nil must be a mapping"]
        );
        assert!(
            diags[0]
                .hint
                .as_deref()
                .unwrap()
                .starts_with("`nil` is empty")
        );
    }

    #[test]
    fn several_types_are_listed() {
        let diags = check("services:\n  web:\n    build: 3\n");
        assert_eq!(
            messages(&diags),
            ["validating compose.yaml: services.web.build must be a mapping or string"]
        );
        assert!(
            diags[0]
                .hint
                .as_deref()
                .unwrap()
                .ends_with("e.g. `build: .`"),
            "{:?}",
            diags[0].hint
        );
    }

    #[test]
    fn several_errors_at_once() {
        let text = "\
services:
  web:
    image: nginx
    imagee: nginx
    ports: 80
    depends_on:
      db:
        condition: service_healty
  db:
    image: postgres
    restart: [always]
volumes:
  data:
    driver: local
    labelz: {}
";
        let diags = check(text);
        assert_eq!(
            messages(&diags),
            [
                "validating compose.yaml: services.web additional properties 'imagee' not allowed",
                "validating compose.yaml: services.web.ports must be a list",
                "validating compose.yaml: services.web.depends_on.db.condition must be one of \
                 'service_started', 'service_healthy', 'service_completed_successfully'",
                "validating compose.yaml: services.db.restart must be a string",
                "validating compose.yaml: volumes.data additional properties 'labelz' not allowed",
            ]
        );
        assert_eq!(diags[0].hint.as_deref(), Some("did you mean `image`?"));
        assert_eq!(
            diags[2].hint.as_deref(),
            Some("did you mean `service_healthy`?")
        );
        assert_eq!(diags[4].hint.as_deref(), Some("did you mean `labels`?"));
    }

    #[test]
    fn errors_are_not_repeated() {
        let diags = check("services:\n  a:\n    image: x\n    foo: 1\n    bar: 2\n");
        assert_eq!(diags.len(), 2);
        assert_ne!(diags[0].message, diags[1].message);
    }

    #[test]
    fn missing_required_key() {
        let text =
            "services:\n  web:\n    image: x\n    depends_on:\n      db:\n        required: true\n";
        let diags = check(text);
        assert_eq!(
            messages(&diags),
            ["validating compose.yaml: services.web.depends_on.db missing property 'condition'"]
        );
        assert_eq!(diags[0].span.map(|s| s.line_col(text).0), Some(5));
        assert!(
            diags[0]
                .hint
                .as_deref()
                .unwrap()
                .contains("service_healthy")
        );
    }

    #[test]
    fn duplicate_items_are_reported() {
        let diags = check("services:\n  web:\n    image: x\n    environment: [A=1, B=2, A=1]\n");
        assert_eq!(
            messages(&diags),
            ["validating compose.yaml: services.web.environment items at 0 and 2 are equal"]
        );
    }

    #[test]
    fn gpus_alternatives() {
        assert!(check("services:\n  web:\n    image: x\n    gpus: all\n").is_empty());
        assert!(
            check("services:\n  web:\n    image: x\n    gpus: [{driver: nvidia, count: 1}]\n")
                .is_empty()
        );
        let diags = check("services:\n  web:\n    image: x\n    gpus: al\n");
        assert_eq!(
            messages(&diags),
            ["validating compose.yaml: services.web.gpus must be one of 'all'"]
        );
        let diags = check("services:\n  web:\n    image: x\n    gpus: 3\n");
        assert_eq!(
            messages(&diags),
            ["validating compose.yaml: services.web.gpus must be a list or string"]
        );
    }

    #[test]
    fn short_and_long_syntax_are_valid() {
        let text = r#"
services:
  web:
    image: nginx
    build: .
    command: npm start
    entrypoint: ["/bin/sh", "-c"]
    ports:
      - 80
      - "8080:80"
      - "127.0.0.1:9000-9001:9000-9001/udp"
      - target: 443
        published: "8443"
        protocol: tcp
        host_ip: 0.0.0.0
        x-note: long form
    volumes:
      - ./data:/data:ro
      - type: bind
        source: ./src
        target: /src
        bind: {create_host_path: true}
      - type: tmpfs
        target: /tmp
        tmpfs: {size: 1000}
    environment:
      A: 1
      B: "two"
      C: true
      D:
    labels: ["a=b"]
    depends_on: [db]
    networks: [front]
    secrets: [token, {source: other, target: /run/other, mode: 0440}]
    configs: [cfg]
    env_file: [.env, {path: local.env, required: false}]
    extends: base
    healthcheck:
      test: ["CMD", "true"]
      interval: 1m30s
      timeout: 10ms
      start_period: 1.5h
      retries: 3
    ulimits:
      nproc: 65535
      nofile: {soft: 20000, hard: 40000}
    extra_hosts: {somehost: 162.242.195.82}
    dns: 8.8.8.8
    tmpfs: /run
    cpus: 0.5
    mem_limit: 512m
    stop_grace_period: 2d
    gpus: all
    develop:
      watch:
        - path: ./src
          action: sync
          target: /app
          ignore: node_modules
    post_start:
      - command: echo started
    pre_stop:
      - command: ["echo", "stopping"]
        user: root
    provider:
      type: model
      options: {model: ai/smollm2, flags: [a, b]}
    models: [llm]
    label_file: ./labels
    use_api_socket: true
  api:
    image: api
    cpus: "1.5"
    scale: "2"
    init: "true"
    build:
      context: ./api
      dockerfile_inline: FROM alpine
      args: [A=1]
      ssh: [default]
      secrets: [token]
      platforms: [linux/amd64]
      tags: [api:dev]
      ulimits: {nofile: 1024}
      x-extra: 1
    depends_on:
      web:
        condition: service_healthy
        restart: true
        required: false
    networks:
      front:
        aliases: [api]
        ipv4_address: 172.16.0.10
      back:
    models:
      llm:
        endpoint_var: LLM_URL
    deploy:
      replicas: 2
      resources:
        limits: {cpus: "0.5", memory: 512M}
        reservations:
          devices: [{capabilities: [gpu], count: all}]
      restart_policy: {condition: on-failure, delay: 5s, max_attempts: 3}
      update_config: {parallelism: 2, order: start-first}
networks:
  front:
  back:
    driver: bridge
    external: false
    ipam:
      config: [{subnet: 172.16.0.0/24}]
volumes:
  data:
  cache:
    external: true
secrets:
  token: {file: ./token.txt}
  other: {environment: OTHER}
configs:
  cfg: {content: hello}
models:
  llm: {model: ai/smollm2, context_size: 4096}
include:
  - other.yaml
  - path: [a.yaml, b.yaml]
    env_file: a.env
"#;
        let diags = check(text);
        assert!(diags.is_empty(), "{diags:#?}");
    }

    #[test]
    fn extensions_are_allowed_where_compose_allows_them() {
        let text = r#"
x-common: &common
  restart: always
x-berth: {}
services:
  web:
    <<: *common
    image: nginx
    x-berth: {}
    x-anything: [1, 2]
    logging: {driver: local, x-note: 1}
    deploy: {x-note: 1, resources: {x-note: 1}}
networks:
  front: {x-note: 1}
volumes:
  data: {x-note: 1}
"#;
        assert!(check(text).is_empty());
        // No extension keys in a place Compose doesn't allow them.
        let diags =
            check("services:\n  web:\n    image: x\n    extends: {service: a, x-note: 1}\n");
        assert_eq!(
            messages(&diags),
            [
                "validating compose.yaml: services.web.extends additional properties 'x-note' not allowed"
            ]
        );
    }

    #[test]
    fn x_berth_must_be_a_mapping() {
        let diags = check("x-berth: 1\nservices:\n  web:\n    image: x\n    x-berth: []\n");
        assert_eq!(
            messages(&diags),
            [
                "validating compose.yaml: x-berth must be a mapping",
                "validating compose.yaml: services.web.x-berth must be a mapping"
            ]
        );
    }

    #[test]
    fn invalid_durations_are_rejected() {
        let diags = check(
            "services:\n  web:\n    image: x\n    healthcheck:\n      interval: 10 seconds\n",
        );
        assert_eq!(
            messages(&diags),
            [
                "validating compose.yaml: services.web.healthcheck.interval '10 seconds' is not a valid duration"
            ]
        );
    }

    #[test]
    fn go_duration_syntax() {
        for ok in [
            "0",
            "1s",
            "1m30s",
            "10ms",
            "1.5h",
            "-2s",
            "+3m",
            ".5s",
            "1.s",
            "1h2m3s4ms5us6ns",
            "2d",
            "1w",
            "3µs",
            "3μs",
            "2562047h47m16.854775807s",
        ] {
            assert!(is_duration(ok), "{ok} should be a duration");
        }
        for bad in [
            "",
            "1",
            "s",
            ".",
            ".s",
            "1x",
            "1 s",
            "1s ",
            "--1s",
            "1.5.5s",
            "2562047h47m16.854775808s",
            "9999999999999999999999h",
        ] {
            assert!(!is_duration(bad), "{bad} should not be a duration");
        }
    }

    #[test]
    fn long_lists_are_checked_for_duplicates() {
        let mut text = String::from("services:\n  web:\n    image: x\n    environment:\n");
        for i in 0..100 {
            text.push_str(&format!("      - A{i}=1\n"));
        }
        assert!(check(&text).is_empty());
        text.push_str("      - A7=1\n");
        assert_eq!(
            messages(&check(&text)),
            ["validating compose.yaml: services.web.environment items at 7 and 100 are equal"]
        );
    }

    #[test]
    fn numbers_compare_as_json_numbers() {
        // 1 and 1.0 are the same JSON value, so they are duplicates.
        let diags = check("services:\n  web:\n    image: x\n    expose: [1, 1.0]\n");
        assert_eq!(
            messages(&diags),
            ["validating compose.yaml: services.web.expose items at 0 and 1 are equal"]
        );
        // An integral float is an integer.
        assert!(check("services:\n  web:\n    image: x\n    scale: 2.0\n").is_empty());
    }

    /// The validator reads `Node` trees in place; it must judge them exactly
    /// as it judges their JSON form.
    #[test]
    fn node_representation_agrees_with_serde_json() {
        let schema: Value = serde_json::from_str(SCHEMA_TEXT).unwrap();
        let serde = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .with_format("duration", is_duration)
            .should_validate_formats(true)
            .build(&schema)
            .unwrap();
        let texts = [
            "services:\n  web:\n    image: x\n    ports: [80, \"80\", {target: 1}]\n",
            "services:\n  web:\n    image: x\n    ports: [80, 80.0]\n",
            "services:\n  web:\n    cpu_count: 1.5\n    oom_score_adj: -1000\n",
            "services:\n  web:\n    depends_on: {db: {condition: nope}}\n",
            "services:\n  web:\n    gpus: all\n    cgroup: host\n",
            "services:\n  web:\n    gpus: [{count: 1}, {count: 1}]\n    volumes: [{type: x}]\n",
            "x-a: 1\nservices: {a: {image: b, environment: {A: 1, B: null}}}\nvolumes: {v: }\n",
            "services:\n  w:\n    healthcheck: {interval: 1x}\n    stop_grace_period: 1s\n",
        ];
        let compiled = Compiled::new();
        for text in texts {
            let node = &parse_documents(text, 0).unwrap()[0];
            let json = node.to_json();
            assert_eq!(
                compiled.validator.is_valid(node),
                serde.is_valid(&json),
                "{text}"
            );
            let ours: Vec<String> = compiled
                .validator
                .iter_errors(node)
                .map(|e| e.instance_path().to_string())
                .collect();
            let theirs: Vec<String> = serde
                .iter_errors(&json)
                .map(|e| e.instance_path().to_string())
                .collect();
            assert_eq!(ours, theirs, "{text}");
        }
    }

    /// Every Compose file of the shared corpus that Docker Compose loads must
    /// validate; those Compose rejects with a `validating` error must fail
    /// with the same message. (Skipped when the corpus is not around.)
    #[test]
    fn corpus() {
        let root = std::path::Path::new("/work/shared/corpus");
        if !root.is_dir() {
            return;
        }
        let mut files = Vec::new();
        let mut dirs = vec![root.to_path_buf()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if matches!(
                    path.extension().and_then(|e| e.to_str()),
                    Some("yaml" | "yml")
                ) {
                    files.push(path);
                }
            }
        }
        files.sort();
        let (mut accepted, mut rejected) = (0, 0);
        let mut failures = Vec::new();
        for file in &files {
            let with = |ext: &str| std::path::PathBuf::from(format!("{}{ext}", file.display()));
            let expected_err = std::fs::read_to_string(with(".expected.err")).ok();
            let must_pass = with(".expected.json").exists();
            let compose_error = expected_err
                .as_deref()
                .and_then(|e| e.lines().find(|l| l.starts_with("validating ")))
                .map(|l| {
                    l.split_once(": ")
                        .map_or(l, |(_, detail)| detail)
                        .to_string()
                });
            if !must_pass && compose_error.is_none() {
                continue;
            }
            let text = std::fs::read_to_string(file).unwrap();
            let docs = match parse_documents(&text, 0) {
                Ok(docs) => docs,
                Err(e) => {
                    failures.push(format!("{}: YAML: {}", file.display(), e.message));
                    continue;
                }
            };
            let diags: Vec<Diagnostic> = docs
                .iter()
                .flat_map(|d| validate(d, "compose.yaml"))
                .collect();
            match &compose_error {
                None if diags.is_empty() => accepted += 1,
                None => failures.push(format!("{}: {:?}", file.display(), messages(&diags))),
                Some(want) => {
                    let want = format!("validating compose.yaml: {want}");
                    if messages(&diags) == [want.clone()] {
                        rejected += 1;
                    } else {
                        failures.push(format!(
                            "{}: want {want:?}, got {:?}",
                            file.display(),
                            messages(&diags)
                        ));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
        eprintln!("corpus: {accepted} valid files accepted, {rejected} invalid files rejected");
        assert!(
            accepted > 150 && rejected == 2,
            "{accepted} accepted, {rejected} rejected"
        );
    }
}
