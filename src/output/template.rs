//! The part of Go's templates that `--format` takes in scripts, over the
//! fields of a listing's JSON object: `{{.Name}}`, `{{json .}}`,
//! `{{json .Labels}}`, `{{.Label "key"}}`, with a `table ` prefix for a
//! table with headers, and `\t` for a tab, as the docker CLI reads them.
//! Anything else is refused with the docker CLI's words, never printed
//! wrong.

use serde_json::{Map, Value};

/// A `--format` template berth cannot take, or cannot apply to a row.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TemplateError {
    #[error("template parsing error: template: :1: unclosed action")]
    Unclosed,
    /// An action outside the part of Go's templates berth reads.
    #[error(
        "--format: berth takes {{{{.Field}}}}, {{{{json .}}}}, {{{{json .Field}}}} and \
         {{{{.Label \"key\"}}}} of Go's templates, not {{{{{action}}}}}; \
         `--format json` gives every field"
    )]
    Unsupported { action: String },
    #[error(
        "template parsing error: template: :1: executing \"\" at <.{field}>: \
         can't evaluate field {field}"
    )]
    UnknownField { field: String },
    #[error("a listing row is not an object: {0}")]
    NotAnObject(Value),
}

/// `--format` of a listing that takes templates: its table, JSON lines,
/// or a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Table,
    Json,
    Template(Template),
}

impl OutputFormat {
    pub fn parse(format: &str) -> Result<OutputFormat, TemplateError> {
        match format {
            "table" => Ok(OutputFormat::Table),
            "json" => Ok(OutputFormat::Json),
            template => Template::parse(template).map(OutputFormat::Template),
        }
    }
}

/// A parsed `--format` template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    /// `table TEMPLATE`: aligned columns under a header row.
    pub table: bool,
    pieces: Vec<Piece>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    /// `.Field`, or `.` for the whole object.
    Field(Option<String>),
    /// `json .Field` or `json .`
    Json(Option<String>),
    /// `.Label "key"`: one entry of the `Labels` text.
    Label(String),
}

impl Template {
    pub fn parse(format: &str) -> Result<Template, TemplateError> {
        let (table, text) = match format.strip_prefix("table") {
            Some(rest) if rest.is_empty() || rest.starts_with(char::is_whitespace) => {
                (true, rest.trim_start())
            }
            _ => (false, format),
        };
        let text = text.replace("\\t", "\t").replace("\\n", "\n");
        let mut pieces = Vec::new();
        let mut rest = text.as_str();
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                pieces.push(Piece::Text(rest[..start].to_string()));
            }
            let inner = &rest[start + 2..];
            let end = inner.find("}}").ok_or(TemplateError::Unclosed)?;
            pieces.push(action(inner[..end].trim())?);
            rest = &inner[end + 2..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_string()));
        }
        Ok(Template { table, pieces })
    }

    /// The template applied to `row`; an unknown field is an error naming it.
    pub fn render(&self, row: &Map<String, Value>) -> Result<String, TemplateError> {
        let field = |name: &Option<String>| -> Result<Value, TemplateError> {
            match name {
                None => Ok(Value::Object(row.clone())),
                Some(name) => row
                    .get(name)
                    .cloned()
                    .ok_or_else(|| TemplateError::UnknownField {
                        field: name.clone(),
                    }),
            }
        };
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Field(name) => out.push_str(&go_text(&field(name)?)),
                Piece::Json(name) => out.push_str(&field(name)?.to_string()),
                Piece::Label(key) => {
                    let labels = row.get("Labels").and_then(Value::as_str).unwrap_or("");
                    let value = labels
                        .split(',')
                        .filter_map(|pair| pair.split_once('='))
                        .find(|(k, _)| k == key)
                        .map_or("", |(_, v)| v);
                    out.push_str(value);
                }
            }
        }
        Ok(out)
    }

    /// The header row of a `table` template: each field's column title
    /// from `titles`, `<no value>` for a field without one, as the docker
    /// CLI prints it.
    pub fn header(&self, titles: &[(&str, &str)]) -> String {
        let title = |name: &str| {
            titles
                .iter()
                .find(|(field, _)| *field == name)
                .map_or("<no value>", |(_, title)| title)
                .to_string()
        };
        self.pieces
            .iter()
            .map(|piece| match piece {
                Piece::Text(text) => text.clone(),
                Piece::Field(Some(name)) | Piece::Json(Some(name)) => title(name),
                Piece::Label(key) => key.to_uppercase(),
                Piece::Field(None) | Piece::Json(None) => "<no value>".into(),
            })
            .collect()
    }

    /// Renders `rows` (a listing's JSON objects): one line each, or a table
    /// with `titles` for its header whose tab-separated columns are aligned
    /// as the docker CLI aligns them.
    pub fn render_all(
        &self,
        rows: impl IntoIterator<Item = Value>,
        titles: &[(&str, &str)],
    ) -> Result<String, TemplateError> {
        let lines = rows
            .into_iter()
            .map(|row| match row {
                Value::Object(row) => self.render(&row),
                other => Err(TemplateError::NotAnObject(other)),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if !self.table {
            return Ok(lines.iter().map(|l| format!("{l}\n")).collect());
        }
        let split = |line: &str| line.split('\t').map(str::to_string).collect::<Vec<_>>();
        let header = split(&self.header(titles));
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        let cells: Vec<Vec<String>> = lines.iter().map(|l| split(l)).collect();
        Ok(super::table::render_min(&header, &cells, 10))
    }
}

fn action(inner: &str) -> Result<Piece, TemplateError> {
    let field = |word: &str| -> Result<Option<String>, TemplateError> {
        match word {
            "." => Ok(None),
            w if w.starts_with('.') && w[1..].chars().all(|c| c.is_ascii_alphanumeric()) => {
                Ok(Some(w[1..].to_string()))
            }
            _ => Err(unsupported(inner)),
        }
    };
    let words: Vec<&str> = inner.split_whitespace().collect();
    match words.as_slice() {
        [one] => field(one).map(Piece::Field),
        ["json", one] => field(one).map(Piece::Json),
        [".Label", key] if key.len() >= 2 && key.starts_with('"') && key.ends_with('"') => {
            Ok(Piece::Label(key[1..key.len() - 1].to_string()))
        }
        _ => Err(unsupported(inner)),
    }
}

fn unsupported(inner: &str) -> TemplateError {
    TemplateError::Unsupported {
        action: inner.to_string(),
    }
}

/// A value as Go's `%v` prints it: text as it is, lists in brackets and
/// records in braces, their items separated by spaces.
fn go_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "<nil>".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(go_text).collect::<Vec<_>>().join(" ")
        ),
        Value::Object(fields) => format!(
            "{{{}}}",
            fields.values().map(go_text).collect::<Vec<_>>().join(" ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row() -> Map<String, Value> {
        json!({
            "Name": "p-web-1",
            "State": "running",
            "ExitCode": 0,
            "Labels": "a=1,com.docker.compose.service=web",
            "Publishers": [{"URL": "127.0.0.1", "TargetPort": 80, "PublishedPort": 8080, "Protocol": "tcp"}],
        })
        .as_object()
        .unwrap()
        .clone()
    }

    #[test]
    fn fields_json_and_labels() {
        let t = Template::parse(r#"{{.Name}}\t{{ .ExitCode }} {{.Label "com.docker.compose.service"}} {{.Publishers}} {{json .State}}"#).unwrap();
        assert_eq!(
            t.render(&row()).unwrap(),
            "p-web-1\t0 web [{127.0.0.1 80 8080 tcp}] \"running\""
        );
        let whole = Template::parse("{{json .}}")
            .unwrap()
            .render(&row())
            .unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&whole).unwrap(),
            Value::Object(row())
        );
    }

    #[test]
    fn tables_have_titled_columns() {
        let t = Template::parse(r"table {{.Name}}\t{{.State}}\t{{.ExitCode}}").unwrap();
        let out = t
            .render_all(
                [Value::Object(row())],
                &[("Name", "NAME"), ("State", "STATE")],
            )
            .unwrap();
        assert_eq!(
            out,
            "NAME      STATE     <no value>\np-web-1   running   0\n"
        );
    }

    #[test]
    fn unknown_fields_and_actions_are_errors() {
        let t = Template::parse("{{.Nope}}").unwrap();
        assert!(
            t.render(&row())
                .unwrap_err()
                .to_string()
                .contains("can't evaluate field Nope")
        );
        assert!(
            Template::parse("{{.Name")
                .unwrap_err()
                .to_string()
                .contains("unclosed action")
        );
        assert!(
            Template::parse("{{range .Labels}}")
                .unwrap_err()
                .to_string()
                .contains("not {{range .Labels}}")
        );
    }

    #[test]
    fn error_messages_are_the_docker_clis() {
        let text = |e: TemplateError| e.to_string();
        assert_eq!(
            text(Template::parse("{{.Name").unwrap_err()),
            "template parsing error: template: :1: unclosed action"
        );
        assert_eq!(
            text(Template::parse("{{range .Labels}}").unwrap_err()),
            "--format: berth takes {{.Field}}, {{json .}}, {{json .Field}} and {{.Label \"key\"}} \
             of Go's templates, not {{range .Labels}}; `--format json` gives every field"
        );
        let t = Template::parse("{{.Nope}}").unwrap();
        assert_eq!(
            text(t.render(&row()).unwrap_err()),
            "template parsing error: template: :1: executing \"\" at <.Nope>: can't evaluate field Nope"
        );
        assert_eq!(
            text(t.render_all([json!(1)], &[]).unwrap_err()),
            "a listing row is not an object: 1"
        );
    }
}
