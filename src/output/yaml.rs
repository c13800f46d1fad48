//! `config` output as YAML, laid out the way Docker Compose (go-yaml v3)
//! prints it: two-space indents with sequences indented under their key,
//! literal blocks for multi-line strings, quotes only where a plain scalar
//! would read back as something else.

use serde_json::Value;

use crate::load::node::Kind;
use crate::load::yaml::resolve_plain;

/// Top-level keys in the order of Compose's project struct; `x-*` keys follow.
const TOP_LEVEL_ORDER: [&str; 7] = [
    "name", "services", "networks", "volumes", "secrets", "configs", "models",
];

/// Renders a project (as `Project::to_json` prints it) as Compose's YAML.
/// `extensions` are the nested `x-*` keys of the model, which YAML shows
/// and JSON does not; `models` the top-level models (likewise).
pub fn project_to_yaml(mut project: Value, extensions: Vec<Extension>, models: Value) -> String {
    drop_json_only_fields(&mut project);
    for ext in extensions {
        insert_at(&mut project, &ext.path, ext.key, ext.value);
    }
    if let (Value::Object(top), Value::Object(m)) = (&mut project, models)
        && !m.is_empty()
    {
        top.insert("models".into(), Value::Object(m));
    }
    let mut ordered = serde_json::Map::new();
    if let Value::Object(mut top) = project {
        for key in TOP_LEVEL_ORDER {
            if let Some(v) = top.shift_remove(key) {
                ordered.insert(key.to_string(), v);
            }
        }
        ordered.extend(top);
    }
    to_yaml(&Value::Object(ordered))
}

/// An `x-*` key found below the top level of the model.
pub struct Extension {
    path: Vec<crate::load::node::PathSeg>,
    key: String,
    value: Value,
}

/// Every `x-*` key below the top level of `node`.
pub fn collect_extensions(node: &crate::load::node::Node) -> Vec<Extension> {
    fn walk(
        node: &crate::load::node::Node,
        path: &mut Vec<crate::load::node::PathSeg>,
        out: &mut Vec<Extension>,
    ) {
        use crate::load::node::PathSeg;
        match &node.kind {
            Kind::Map(m) => {
                for (k, v) in m {
                    if k.starts_with("x-") && !path.is_empty() {
                        out.push(Extension {
                            path: path.clone(),
                            key: k.to_string(),
                            value: v.to_json(),
                        });
                    } else if !k.starts_with("x-") {
                        path.push(PathSeg::Key(k.to_string()));
                        walk(v, path, out);
                        path.pop();
                    }
                }
            }
            Kind::Seq(items) => {
                for (i, v) in items.iter().enumerate() {
                    path.push(PathSeg::Index(i));
                    walk(v, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(node, &mut Vec::new(), &mut out);
    out
}

fn insert_at(root: &mut Value, path: &[crate::load::node::PathSeg], key: String, value: Value) {
    use crate::load::node::PathSeg;
    let mut at = root;
    for seg in path {
        let next = match (seg, at) {
            (PathSeg::Key(k), Value::Object(m)) => m.get_mut(k),
            (PathSeg::Index(i), Value::Array(a)) => a.get_mut(*i),
            _ => None,
        };
        match next {
            Some(n) => at = n,
            None => return,
        }
    }
    if let Value::Object(m) = at {
        m.insert(key, value);
    }
}

/// Fields Compose prints in JSON but leaves out of YAML (its YAML tags have
/// `omitempty` where the JSON ones do not).
fn drop_json_only_fields(project: &mut Value) {
    if let Some(services) = project.get_mut("services").and_then(Value::as_object_mut) {
        for service in services.values_mut() {
            let Some(s) = service.as_object_mut() else {
                continue;
            };
            for key in ["command", "entrypoint"] {
                if s.get(key).is_some_and(Value::is_null) {
                    s.shift_remove(key);
                }
            }
            if let Some(watch) = s
                .get_mut("develop")
                .and_then(|d| d.get_mut("watch"))
                .and_then(Value::as_array_mut)
            {
                for rule in watch.iter_mut().filter_map(Value::as_object_mut) {
                    if rule.get("exec").is_some_and(|e| {
                        e.as_object()
                            .is_some_and(|m| m.values().all(Value::is_null))
                    }) {
                        rule.shift_remove("exec");
                    }
                }
            }
            if let Some(deploy) = s.get_mut("deploy").and_then(Value::as_object_mut) {
                for key in ["resources", "placement"] {
                    if deploy.get(key).is_some_and(is_empty_object) {
                        deploy.shift_remove(key);
                    }
                }
            }
        }
    }
    if let Some(networks) = project.get_mut("networks").and_then(Value::as_object_mut) {
        for network in networks.values_mut() {
            if let Some(n) = network.as_object_mut()
                && n.get("ipam").is_some_and(is_empty_object)
            {
                n.shift_remove("ipam");
            }
        }
    }
}

fn is_empty_object(v: &Value) -> bool {
    v.as_object().is_some_and(serde_json::Map::is_empty)
}

/// Any JSON value as go-yaml-style YAML.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(m) if !m.is_empty() => write_map(&mut out, m, 0),
        Value::Array(a) if !a.is_empty() => write_seq(&mut out, a, 0),
        v => {
            out.push_str(&inline(v, 0));
            out.push('\n');
        }
    }
    out
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

fn write_map(out: &mut String, map: &serde_json::Map<String, Value>, indent: usize) {
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 {
            pad(out, indent);
        }
        out.push_str(&scalar_string(key, indent));
        out.push(':');
        write_value_after_key(out, value, indent);
    }
}

fn write_value_after_key(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            pad(out, indent + 2);
            write_map(out, m, indent + 2);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            pad(out, indent + 2);
            write_seq(out, a, indent + 2);
        }
        v => {
            out.push(' ');
            out.push_str(&inline(v, indent + 2));
            out.push('\n');
        }
    }
}

fn write_seq(out: &mut String, items: &[Value], indent: usize) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            pad(out, indent);
        }
        out.push_str("- ");
        match item {
            Value::Object(m) if !m.is_empty() => write_map(out, m, indent + 2),
            Value::Array(a) if !a.is_empty() => write_seq(out, a, indent + 2),
            v => {
                out.push_str(&inline(v, indent + 2));
                out.push('\n');
            }
        }
    }
}

/// A scalar or an empty collection on the current line.
fn inline(value: &Value, indent: usize) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if !n.is_i64() && !n.is_u64() => crate::load::node::format_go_float(f),
            _ => n.to_string(),
        },
        Value::String(s) => scalar_string(s, indent),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

/// A string as a plain, quoted or literal block scalar: double quotes for
/// text that would read back as another type, single quotes for text that
/// YAML syntax would misread, as go-yaml chooses.
fn scalar_string(s: &str, indent: usize) -> String {
    if s.contains('\n')
        && !s.contains(['\t', '\r'])
        && !s.starts_with(' ')
        && !s.trim_end_matches('\n').ends_with(' ')
    {
        return literal_block(s, indent);
    }
    if s.is_empty() || reads_as_other_type(s) || s.chars().any(|c| c.is_control()) {
        double_quoted(s)
    } else if needs_quotes(s) {
        format!("'{}'", s.replace('\'', "''"))
    } else {
        s.to_string()
    }
}

fn reads_as_other_type(s: &str) -> bool {
    !s.is_empty() && (!matches!(resolve_plain(s), Kind::Str(_)) || is_yaml11_bool(s))
}

fn literal_block(s: &str, indent: usize) -> String {
    let chomp = if s.ends_with("\n\n") {
        "+"
    } else if s.ends_with('\n') {
        ""
    } else {
        "-"
    };
    let mut out = format!("|{chomp}");
    let body = s.strip_suffix('\n').unwrap_or(s);
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.extend(std::iter::repeat_n(' ', indent));
            out.push_str(line);
        }
    }
    out
}

/// Whether a plain scalar would read back differently or not parse.
fn needs_quotes(s: &str) -> bool {
    if s.is_empty() || s != s.trim() {
        return true;
    }
    if !matches!(resolve_plain(s), Kind::Str(_)) || is_yaml11_bool(s) {
        return true;
    }
    let first = s.chars().next().unwrap_or(' ');
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        // `-`, `?` and `:` may start a plain scalar when followed by a non-space.
        let second = s.chars().nth(1);
        if !(matches!(first, '-' | '?' | ':') && second.is_some_and(|c| c != ' ')) {
            return true;
        }
    }
    s.contains(": ") || s.contains(" #") || s.ends_with(':') || s.chars().any(|c| c.is_control())
}

fn is_yaml11_bool(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
    )
}

fn double_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn layout_matches_compose() {
        let v = json!({
            "services": {"web": {
                "command": ["sh", "-c", "echo hi\nsleep 1\n"],
                "environment": {"PORT": "8080", "EMPTY": "", "YES": "yes"},
                "networks": {"default": null},
                "volumes": [{"type": "volume", "source": "data", "volume": {}}]
            }},
            "name": "demo"
        });
        let expected = "\
name: demo
services:
  web:
    command:
      - sh
      - -c
      - |
        echo hi
        sleep 1
    environment:
      PORT: \"8080\"
      EMPTY: \"\"
      \"YES\": \"yes\"
    networks:
      default: null
    volumes:
      - type: volume
        source: data
        volume: {}
";
        assert_eq!(project_to_yaml(v, Vec::new(), Value::Null), expected);
    }

    #[test]
    fn quoting() {
        for (s, quoted) in [
            ("8080", true),
            ("true", true),
            ("null", true),
            ("a: b", true),
            ("-x", false),
            ("- x", true),
            ("*", true),
            ("plain text", false),
            ("1.5", true),
            ("0755", true),
            ("v1.2.3", false),
        ] {
            assert_eq!(needs_quotes(s), quoted, "{s}");
        }
    }
}
