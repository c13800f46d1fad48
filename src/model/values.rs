//! Compound value types with several input forms: shell commands, extra
//! hosts, ulimits, SSH keys and env files.

use std::fmt;

use indexmap::IndexMap;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::de::GoScalar;
use super::units::FileMode;

// ---------------------------------------------------------------------------
// Shell words
// ---------------------------------------------------------------------------

/// A command string `go-shellwords` cannot split (in its words).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid command line string")]
pub struct ShellWordsError;

/// Splits a command string like `go-shellwords` v1.0.12 `Parse` (no
/// environment or backtick expansion), which compose-go uses for `command`,
/// `entrypoint` and hook commands given as a string.
///
/// Quirks kept: parsing stops silently at an unquoted `;`, `&`, `|`, `<` or
/// `>` (a digit-led word right before `>` is dropped); an unquoted `(` that
/// does not follow `$` is an error, as is an unbalanced quote or `)`.
pub fn parse_shell_words(line: &str) -> Result<Vec<String>, ShellWordsError> {
    #[derive(PartialEq)]
    enum Got {
        No,
        Yes,
    }
    let invalid = || ShellWordsError;
    let mut args = Vec::new();
    let mut buf = String::new();
    let (mut escaped, mut double_q, mut single_q, mut back_q, mut dollar_q) =
        (false, false, false, false, false);
    let mut got = Got::No;
    for r in line.chars() {
        if escaped {
            buf.push(r);
            escaped = false;
            got = Got::Yes;
            continue;
        }
        if r == '\\' {
            if single_q {
                buf.push(r);
            } else {
                escaped = true;
            }
            continue;
        }
        if matches!(r, ' ' | '\t' | '\r' | '\n') {
            if single_q || double_q || back_q || dollar_q {
                buf.push(r);
            } else if got != Got::No {
                args.push(std::mem::take(&mut buf));
                got = Got::No;
            }
            continue;
        }
        match r {
            '`' if !single_q && !double_q && !dollar_q => back_q = !back_q,
            ')' if !single_q && !double_q && !back_q => dollar_q = !dollar_q,
            '(' if !single_q && !double_q && !back_q => {
                if !dollar_q && buf.ends_with('$') {
                    dollar_q = true;
                    buf.push('(');
                    continue;
                }
                return Err(invalid());
            }
            '"' if !single_q && !dollar_q => {
                if double_q {
                    got = Got::Yes;
                }
                double_q = !double_q;
                continue;
            }
            '\'' if !double_q && !dollar_q => {
                if single_q {
                    got = Got::Yes;
                }
                single_q = !single_q;
                continue;
            }
            ';' | '&' | '|' | '<' | '>' if !(single_q || double_q || back_q || dollar_q) => {
                if r == '>' && buf.as_bytes().first().is_some_and(u8::is_ascii_digit) {
                    got = Got::No;
                }
                break;
            }
            _ => {}
        }
        got = Got::Yes;
        buf.push(r);
    }
    if got != Got::No {
        args.push(buf);
    }
    if escaped || single_q || double_q || back_q || dollar_q {
        return Err(invalid());
    }
    Ok(args)
}

// ---------------------------------------------------------------------------
// Extra hosts
// ---------------------------------------------------------------------------

/// `extra_hosts` that compose-go refuses, in its words.
#[derive(Debug, thiserror::Error)]
pub(crate) enum HostsError {
    #[error(transparent)]
    Scalar(#[from] serde_json::Error),
    #[error("unexpected value type {0} for extra_hosts entry")]
    EntryType(&'static str),
    #[error("unexpected value type {0} for extra_hosts")]
    Type(&'static str),
    #[error("invalid additional host, missing IP: {0}")]
    MissingIp(String),
    #[error("bad host name '{0}'")]
    BadHost(String),
}

/// Decodes `extra_hosts` like `types.HostsList.DecodeMapstructure`.
pub(crate) fn hosts_list_from_value(v: Value) -> Result<IndexMap<String, Vec<String>>, HostsError> {
    let scalar = |v: Value| -> Result<String, HostsError> { Ok(GoScalar::deserialize(v)?.0) };
    let mut list: IndexMap<String, Vec<String>> = IndexMap::new();
    match v {
        Value::Null => {}
        Value::Object(map) => {
            for (host, e) in map {
                let ips = match e {
                    Value::Null => vec![String::new()],
                    Value::String(s) => vec![s],
                    Value::Array(items) => {
                        items.into_iter().map(scalar).collect::<Result<_, _>>()?
                    }
                    other => {
                        return Err(HostsError::EntryType(go_type_name(&other)));
                    }
                };
                list.insert(host, ips);
            }
        }
        Value::Array(items) => {
            for item in items {
                let s = scalar(item)?;
                let Some((host, ip)) = s.split_once('=').or_else(|| s.split_once(':')) else {
                    return Err(HostsError::MissingIp(s));
                };
                list.entry(host.to_owned())
                    .or_default()
                    .extend(ip.split(',').map(str::to_owned));
            }
        }
        other => {
            return Err(HostsError::Type(go_type_name(&other)));
        }
    }
    for (host, ips) in &mut list {
        if host.is_empty() || host.contains([':', '=']) {
            return Err(HostsError::BadHost(host.clone()));
        }
        for ip in ips.iter_mut() {
            if ip.len() > 2 && ip.starts_with('[') && ip.ends_with(']') {
                *ip = ip[1..ip.len() - 1].to_owned();
            }
        }
    }
    Ok(list)
}

/// Prints `extra_hosts` like `HostsList.MarshalJSON`: a sorted list of
/// `host=ip` strings.
pub(crate) fn ser_hosts_list<S: Serializer>(
    hosts: &IndexMap<String, Vec<String>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    hosts_as_list(hosts, "=").serialize(s)
}

/// `HostsList.AsList(sep)`, sorted.
pub fn hosts_as_list(hosts: &IndexMap<String, Vec<String>>, sep: &str) -> Vec<String> {
    let mut list: Vec<String> = hosts
        .iter()
        .flat_map(|(host, ips)| ips.iter().map(move |ip| format!("{host}{sep}{ip}")))
        .collect();
    list.sort();
    list
}

/// The name Go's `%T` would print for a YAML-decoded value.
fn go_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

// ---------------------------------------------------------------------------
// Ulimits
// ---------------------------------------------------------------------------

/// One ulimit (`types.UlimitsConfig`): either a single value for both soft and
/// hard limits, or a `soft`/`hard` pair.
///
/// Input: an integer (or numeric string), or a mapping `{soft, hard}`.
/// Output: the bare integer when `single` is set, else `{"soft": .., "hard":
/// ..}` with zero members omitted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UlimitsConfig {
    pub single: i64,
    pub soft: i64,
    pub hard: i64,
    pub extensions: IndexMap<String, Value>,
}

impl Serialize for UlimitsConfig {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.single != 0 {
            return s.serialize_i64(self.single);
        }
        let n = usize::from(self.soft != 0) + usize::from(self.hard != 0);
        let mut st = s.serialize_struct("UlimitsConfig", n)?;
        if self.soft != 0 {
            st.serialize_field("soft", &self.soft)?;
        }
        if self.hard != 0 {
            st.serialize_field("hard", &self.hard)?;
        }
        st.end()
    }
}

impl<'de> Deserialize<'de> for UlimitsConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = UlimitsConfig;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an integer or a mapping with soft and hard")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<UlimitsConfig, E> {
                Ok(UlimitsConfig {
                    single: v,
                    ..Default::default()
                })
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<UlimitsConfig, E> {
                let v = i64::try_from(v).map_err(|_| E::custom("ulimit out of range"))?;
                self.visit_i64(v)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<UlimitsConfig, E> {
                let n = v.parse::<i64>().map_err(|_| {
                    E::custom(format!("strconv.Atoi: parsing \"{v}\": invalid syntax"))
                })?;
                self.visit_i64(n)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UlimitsConfig, A::Error> {
                let mut out = UlimitsConfig::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "soft" => out.soft = map.next_value::<Int>()?.0,
                        "hard" => out.hard = map.next_value::<Int>()?.0,
                        "single" => out.single = map.next_value::<Int>()?.0,
                        k if k.starts_with("x-") => {
                            let v = map.next_value::<Value>()?;
                            out.extensions.insert(key, v);
                        }
                        _ => return Err(de::Error::custom(format!("unknown field `{key}`"))),
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_any(V)
    }
}

/// A lenient integer, for hand-written visitors.
struct Int(i64);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::de::int(d).map(Int)
    }
}

// ---------------------------------------------------------------------------
// SSH keys
// ---------------------------------------------------------------------------

/// One build SSH key (`types.SSHKey`): an id, optionally with a path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SshKey {
    pub id: String,
    pub path: String,
}

impl Serialize for SshKey {
    /// `SSHKey.MarshalJSON`: `"id"` without a path. With a path Compose
    /// v2.40.3 writes invalid JSON and fails (see
    /// [`crate::model::Project::check_json`]); this prints `"id=path"`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.path.is_empty() {
            s.serialize_str(&self.id)
        } else {
            s.collect_str(&format_args!("{}={}", self.id, self.path))
        }
    }
}

/// Build `ssh` (`types.SSHConfig`): a mapping `id: path` (null path for none)
/// or a list of `id` / `id=path` strings.
pub(crate) fn ssh_config<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<SshKey>, D::Error> {
    let raw = Option::<Value>::deserialize(d)?;
    let mut out = Vec::new();
    match raw {
        None => {}
        Some(Value::Object(map)) => {
            for (id, path) in map {
                let path = match path {
                    Value::Null => String::new(),
                    v => GoScalar::deserialize(v).map_err(de::Error::custom)?.0,
                };
                out.push(SshKey { id, path });
            }
        }
        Some(Value::Array(items)) => {
            for item in items {
                let s = GoScalar::deserialize(item).map_err(de::Error::custom)?.0;
                let (id, path) = match s.split_once('=') {
                    Some((id, path)) => (id.to_owned(), path.to_owned()),
                    None => (s, String::new()),
                };
                out.push(SshKey { id, path });
            }
        }
        Some(Value::String(s)) => out.push(SshKey {
            id: s,
            path: String::new(),
        }),
        Some(other) => {
            return Err(de::Error::custom(format!(
                "invalid ssh config type {}",
                go_type_name(&other)
            )));
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Env files
// ---------------------------------------------------------------------------

/// One `env_file` entry (`types.EnvFile`).
///
/// Input: a path string (required), or a mapping `{path, required, format}`
/// (a missing `required` is false, as compose-go's decoder leaves it; its
/// canonical transform has set it to true before).
/// Output: the bare path when required, else `{"path", "required": false,
/// "format"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct EnvFile {
    #[serde(default, deserialize_with = "super::de::string")]
    pub path: String,
    #[serde(default, deserialize_with = "super::de::boolean")]
    pub required: bool,
    #[serde(default, deserialize_with = "super::de::string")]
    pub format: String,
}

impl Serialize for EnvFile {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.required {
            return s.serialize_str(&self.path);
        }
        let n = 1 + usize::from(!self.path.is_empty()) + usize::from(!self.format.is_empty());
        let mut st = s.serialize_struct("EnvFile", n)?;
        if !self.path.is_empty() {
            st.serialize_field("path", &self.path)?;
        }
        st.serialize_field("required", &self.required)?;
        if !self.format.is_empty() {
            st.serialize_field("format", &self.format)?;
        }
        st.end()
    }
}

/// `env_file`: a string or a list of strings/mappings.
pub(crate) fn env_files<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<EnvFile>, D::Error> {
    let raw = Option::<Value>::deserialize(d)?;
    let items = match raw {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(v) => vec![v],
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::String(path) => Ok(EnvFile {
                path,
                required: true,
                format: String::new(),
            }),
            v => EnvFile::deserialize(v).map_err(de::Error::custom),
        })
        .collect()
}

/// A shell command (`types.ShellCommand`): null is `None`, a string is split
/// like `go-shellwords` (`""` is an empty command), a list is taken as is.
pub(crate) fn shell_command<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<String>>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None => Ok(None),
        Some(Value::String(s)) => parse_shell_words(&s).map(Some).map_err(de::Error::custom),
        Some(v) => super::de::string_list(v)
            .map(Some)
            .map_err(de::Error::custom),
    }
}

/// `extra_hosts` (`types.HostsList`): a mapping `host: ip` (or `host: [ip,
/// ...]`), or a list of `host=ip` / `host:ip` strings whose ip part may hold
/// several comma-separated addresses. Brackets around IPv6 addresses are
/// removed; an empty host name or one holding `:` or `=` is an error.
pub(crate) fn hosts_list<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<IndexMap<String, Vec<String>>, D::Error> {
    let raw = Option::<Value>::deserialize(d)?;
    hosts_list_from_value(raw.unwrap_or(Value::Null)).map_err(de::Error::custom)
}

/// A service's (or build's) reference to a secret or config
/// (`types.FileReferenceConfig`). `uid`/`gid` are strings (numbers are read
/// as their decimal text); `mode` prints as an octal string.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FileReferenceConfig {
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub source: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub target: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub uid: String,
    #[serde(
        default,
        deserialize_with = "super::de::string",
        skip_serializing_if = "String::is_empty"
    )]
    pub gid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<FileMode>,
    #[serde(
        flatten,
        deserialize_with = "super::de::extensions",
        serialize_with = "super::ser::nothing"
    )]
    pub extensions: IndexMap<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn words(s: &str) -> Vec<String> {
        parse_shell_words(s).unwrap()
    }

    #[test]
    fn shell_words_like_go_shellwords() {
        assert_eq!(
            words("bundle exec thin -p 3000"),
            ["bundle", "exec", "thin", "-p", "3000"]
        );
        assert_eq!(
            words(r#"sh -c "echo hello world""#),
            ["sh", "-c", "echo hello world"]
        );
        assert_eq!(words("echo 'a b' \"\" c"), ["echo", "a b", "", "c"]);
        assert_eq!(words(r"echo a\ b"), ["echo", "a b"]);
        assert_eq!(words(""), Vec::<String>::new());
        assert_eq!(words("echo a && echo b"), ["echo", "a"]);
        assert_eq!(words("echo a 2>/dev/null"), ["echo", "a"]);
        assert_eq!(words("echo $(date)"), ["echo", "$(date)"]);
        assert!(parse_shell_words("echo 'a").is_err());
        assert!(parse_shell_words("echo (a)").is_err());
    }

    #[test]
    fn hosts_lists() {
        let h = hosts_list_from_value(json!([
            "somehost:162.242.195.82",
            "otherhost=50.31.209.229",
            "v6=[::1]",
            "multi=1.1.1.1,2.2.2.2"
        ]))
        .unwrap();
        assert_eq!(
            hosts_as_list(&h, "="),
            [
                "multi=1.1.1.1",
                "multi=2.2.2.2",
                "otherhost=50.31.209.229",
                "somehost=162.242.195.82",
                "v6=::1"
            ]
        );
        let h = hosts_list_from_value(json!({"b": "::1", "a": ["1.1.1.1", "2.2.2.2"], "c": null}))
            .unwrap();
        assert_eq!(
            hosts_as_list(&h, "="),
            ["a=1.1.1.1", "a=2.2.2.2", "b=::1", "c="]
        );
        assert!(hosts_list_from_value(json!(["nohost"])).is_err());
        assert!(hosts_list_from_value(json!({"a:b": "1.1.1.1"})).is_err());
    }

    #[test]
    fn ulimits() {
        let u: UlimitsConfig = serde_json::from_value(json!(65535)).unwrap();
        assert_eq!(serde_json::to_value(&u).unwrap(), json!(65535));
        let u: UlimitsConfig =
            serde_json::from_value(json!({"soft": 20000, "hard": "40000"})).unwrap();
        assert_eq!((u.soft, u.hard), (20000, 40000));
        assert_eq!(
            serde_json::to_value(&u).unwrap(),
            json!({"soft": 20000, "hard": 40000})
        );
        let u: UlimitsConfig = serde_json::from_value(json!({"hard": 5})).unwrap();
        assert_eq!(serde_json::to_value(&u).unwrap(), json!({"hard": 5}));
        assert!(serde_json::from_value::<UlimitsConfig>(json!({"bogus": 5})).is_err());
    }

    #[test]
    fn env_file_forms() {
        #[derive(Deserialize)]
        struct T {
            #[serde(deserialize_with = "env_files")]
            f: Vec<EnvFile>,
        }
        let t: T =
            serde_json::from_value(json!({"f": ["a.env", {"path": "b.env", "required": false}]}))
                .unwrap();
        assert_eq!(
            serde_json::to_value(&t.f).unwrap(),
            json!(["a.env", {"path": "b.env", "required": false}])
        );
    }

    #[test]
    fn error_messages_are_compose_gos() {
        assert_eq!(
            parse_shell_words("echo 'a").unwrap_err().to_string(),
            "invalid command line string"
        );
        let text = |v: Value| hosts_list_from_value(v).unwrap_err().to_string();
        assert_eq!(
            text(json!(["nohost"])),
            "invalid additional host, missing IP: nohost"
        );
        assert_eq!(text(json!({"a:b": "1.1.1.1"})), "bad host name 'a:b'");
        assert_eq!(
            text(json!(true)),
            "unexpected value type bool for extra_hosts"
        );
        assert_eq!(
            text(json!({"a": true})),
            "unexpected value type bool for extra_hosts entry"
        );
    }
}
