//! The variables a model refers to, for `config --variables`.

use std::collections::BTreeMap;

use super::node::{Kind, Node};

/// One variable and how the file uses it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Variable {
    pub name: String,
    pub default: String,
    pub alternate: String,
    pub required: bool,
}

/// Every variable used in the string values of `node`, by name.
pub fn extract(node: &Node) -> BTreeMap<String, Variable> {
    let mut out = BTreeMap::new();
    walk(node, &mut out);
    out
}

fn walk(node: &Node, out: &mut BTreeMap<String, Variable>) {
    match &node.kind {
        Kind::Str(s) => {
            for v in in_text(s) {
                out.insert(v.name.clone(), v);
            }
        }
        Kind::Seq(items) => items.iter().for_each(|i| walk(i, out)),
        Kind::Map(m) => m.values().for_each(|v| walk(v, out)),
        _ => {}
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The variables of one string, nested defaults included.
pub fn in_text(text: &str) -> Vec<Variable> {
    let mut vars = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '$' {
            i += 1;
            continue;
        }
        match chars.get(i + 1) {
            Some('$') => i += 2,
            Some('{') => {
                let mut depth = 0;
                let mut end = None;
                for (j, &c) in chars.iter().enumerate().skip(i + 1) {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = Some(j);
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let Some(end) = end else { break };
                let body: String = chars[i + 2..end].iter().collect();
                let name_len = body.chars().take_while(|c| is_name_char(*c)).count();
                let name: String = body.chars().take(name_len).collect();
                let rest: String = body.chars().skip(name_len).collect();
                let mut v = Variable {
                    name,
                    ..Default::default()
                };
                if let Some(r) = rest.strip_prefix(":?").or_else(|| rest.strip_prefix('?')) {
                    let _ = r;
                    v.required = true;
                } else if let Some(d) = rest.strip_prefix(":-").or_else(|| rest.strip_prefix('-')) {
                    v.default = d.to_string();
                } else if let Some(a) = rest.strip_prefix(":+").or_else(|| rest.strip_prefix('+')) {
                    v.alternate = a.to_string();
                }
                let nested: Vec<Variable> = in_text(&v.default)
                    .into_iter()
                    .chain(in_text(&v.alternate))
                    .collect();
                if !v.name.is_empty() {
                    vars.push(v);
                }
                vars.extend(nested);
                i = end + 1;
            }
            Some(c) if c.is_ascii_alphabetic() || *c == '_' => {
                let name: String = chars[i + 1..]
                    .iter()
                    .take_while(|c| is_name_char(**c))
                    .collect();
                i += 1 + name.chars().count();
                vars.push(Variable {
                    name,
                    ..Default::default()
                });
            }
            _ => i += 1,
        }
    }
    vars
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_form() {
        let v = in_text("$A ${B} ${C:-x} ${D?err} ${E:+alt} $$F ${G:-${H:-y}}");
        let names: Vec<&str> = v.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["A", "B", "C", "D", "E", "G", "H"]);
        assert_eq!(v[2].default, "x");
        assert!(v[3].required);
        assert_eq!(v[4].alternate, "alt");
        assert_eq!(v[5].default, "${H:-y}");
    }
}
