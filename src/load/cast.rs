//! Casting interpolated strings at Compose's typed paths.
//!
//! After interpolation Docker Compose turns the string values found at a
//! fixed list of paths into integers, floats or booleans, so that
//! `replicas: ${N}` or `privileged: "yes"` reach the schema with the right
//! type. Only values that were strings are cast; everything else is left
//! alone. The list and the parsing rules follow compose-go's loader (Go's
//! `strconv` for numbers, YAML 1.1 words for booleans, with a warning).

use crate::load::node::Kind;

/// The path segment that stands for any item of a sequence.
pub const LIST_ITEM: &str = "[]";
/// A pattern segment matching any key (or list item).
const ANY: &str = "*";

/// The type a value is cast to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Go's `strconv.Atoi`.
    Int,
    /// Go's `strconv.ParseInt(s, 10, 64)`.
    Int64,
    /// Go's `strconv.ParseFloat(s, 64)`.
    Float,
    /// Go's `strconv.ParseFloat(s, 32)`.
    Float32,
    /// `true`/`false`, and with a warning `y`, `yes`, `on`, `n`, `no`, `off`.
    Bool,
}

/// Compose's typed paths. `*` matches any key or list item, `[]` any list item.
pub const TYPED_PATHS: &[(&[&str], Target)] = &[
    (&["services", ANY, "cpu_count"], Target::Int64),
    (&["services", ANY, "cpu_percent"], Target::Float),
    (&["services", ANY, "cpu_period"], Target::Int64),
    (&["services", ANY, "cpu_quota"], Target::Int64),
    (&["services", ANY, "cpu_rt_period"], Target::Int64),
    (&["services", ANY, "cpu_rt_runtime"], Target::Int64),
    (&["services", ANY, "cpus"], Target::Float32),
    (&["services", ANY, "cpu_shares"], Target::Int64),
    (&["services", ANY, "init"], Target::Bool),
    // These two arrived in compose-go v2.10.0.
    (
        &["services", ANY, "depends_on", ANY, "required"],
        Target::Bool,
    ),
    (
        &["services", ANY, "depends_on", ANY, "restart"],
        Target::Bool,
    ),
    (&["services", ANY, "deploy", "replicas"], Target::Int),
    (
        &["services", ANY, "deploy", "update_config", "parallelism"],
        Target::Int,
    ),
    (
        &[
            "services",
            ANY,
            "deploy",
            "update_config",
            "max_failure_ratio",
        ],
        Target::Float,
    ),
    (
        &["services", ANY, "deploy", "rollback_config", "parallelism"],
        Target::Int,
    ),
    (
        &[
            "services",
            ANY,
            "deploy",
            "rollback_config",
            "max_failure_ratio",
        ],
        Target::Float,
    ),
    (
        &["services", ANY, "deploy", "restart_policy", "max_attempts"],
        Target::Int,
    ),
    (
        &[
            "services",
            ANY,
            "deploy",
            "placement",
            "max_replicas_per_node",
        ],
        Target::Int,
    ),
    (&["services", ANY, "healthcheck", "retries"], Target::Int),
    (&["services", ANY, "healthcheck", "disable"], Target::Bool),
    (&["services", ANY, "oom_kill_disable"], Target::Bool),
    (&["services", ANY, "oom_score_adj"], Target::Int64),
    (&["services", ANY, "pids_limit"], Target::Int64),
    (
        &["services", ANY, "ports", LIST_ITEM, "target"],
        Target::Int,
    ),
    (&["services", ANY, "privileged"], Target::Bool),
    (&["services", ANY, "read_only"], Target::Bool),
    (&["services", ANY, "scale"], Target::Int),
    (&["services", ANY, "stdin_open"], Target::Bool),
    (&["services", ANY, "tty"], Target::Bool),
    (&["services", ANY, "ulimits", ANY], Target::Int),
    (&["services", ANY, "ulimits", ANY, "hard"], Target::Int),
    (&["services", ANY, "ulimits", ANY, "soft"], Target::Int),
    (
        &["services", ANY, "volumes", LIST_ITEM, "read_only"],
        Target::Bool,
    ),
    (
        &["services", ANY, "volumes", LIST_ITEM, "volume", "nocopy"],
        Target::Bool,
    ),
    (&["networks", ANY, "external"], Target::Bool),
    (&["networks", ANY, "internal"], Target::Bool),
    (&["networks", ANY, "attachable"], Target::Bool),
    (&["networks", ANY, "enable_ipv4"], Target::Bool),
    (&["networks", ANY, "enable_ipv6"], Target::Bool),
    (&["volumes", ANY, "external"], Target::Bool),
    (&["secrets", ANY, "external"], Target::Bool),
    (&["configs", ANY, "external"], Target::Bool),
];

/// Why a value could not be cast.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CastError {
    /// Compose's text, e.g. `invalid boolean: maybe`.
    pub message: String,
    /// What to write instead.
    pub hint: String,
}

/// A cast value, with a warning to show when it used a deprecated spelling.
pub type Cast = (Kind, Option<String>);

/// The type of the value at `path` (keys, `[]` for list items), if typed.
pub fn target_for(path: &[String]) -> Option<Target> {
    TYPED_PATHS
        .iter()
        .find(|(pattern, _)| matches(pattern, path))
        .map(|&(_, t)| t)
}

fn matches(pattern: &[&str], path: &[String]) -> bool {
    pattern.len() == path.len() && pattern.iter().zip(path).all(|(p, s)| *p == ANY || p == s)
}

/// Casts `value` when `path` is a typed path; `None` when it is not.
pub fn cast_at(path: &[String], value: &str) -> Option<Result<Cast, CastError>> {
    target_for(path).map(|t| cast(t, value))
}

/// Casts `value` to `target` the way compose-go does.
pub fn cast(target: Target, value: &str) -> Result<Cast, CastError> {
    match target {
        Target::Int => parse_go_int(value, "strconv.Atoi").map(|i| (Kind::Int(i), None)),
        Target::Int64 => parse_go_int(value, "strconv.ParseInt").map(|i| (Kind::Int(i), None)),
        Target::Float => parse_go_float(value, false).map(|f| (Kind::Float(f), None)),
        Target::Float32 => parse_go_float(value, true).map(|f| (Kind::Float(f), None)),
        Target::Bool => to_bool(value),
    }
}

/// YAML 1.1 booleans, as compose-go's `toBoolean` reads them.
fn to_bool(value: &str) -> Result<Cast, CastError> {
    let deprecated = |b: bool| {
        format!(
            "{} for boolean is not supported by YAML 1.2, please use `{b}`",
            crate::gocompat::quote(value)
        )
    };
    match value.to_lowercase().as_str() {
        "true" => Ok((Kind::Bool(true), None)),
        "false" => Ok((Kind::Bool(false), None)),
        "y" | "yes" | "on" => Ok((Kind::Bool(true), Some(deprecated(true)))),
        "n" | "no" | "off" => Ok((Kind::Bool(false), Some(deprecated(false)))),
        _ => Err(CastError {
            message: format!("invalid boolean: {value}"),
            hint: "use true or false".into(),
        }),
    }
}

/// Go's base-10 integer syntax: an optional sign, then ASCII digits.
fn parse_go_int(value: &str, func: &str) -> Result<i64, CastError> {
    let digits = value.strip_prefix(['+', '-']).unwrap_or(value);
    let problem = if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        "invalid syntax"
    } else {
        // Only the range can fail now.
        match value.strip_prefix('+').unwrap_or(value).parse::<i64>() {
            Ok(i) => return Ok(i),
            Err(_) => "value out of range",
        }
    };
    Err(CastError {
        message: format!(
            "{func}: parsing {}: {problem}",
            crate::gocompat::quote(value)
        ),
        hint: if problem == "invalid syntax" {
            "use a whole number".into()
        } else {
            "use a number between -9223372036854775808 and 9223372036854775807".into()
        },
    })
}

/// Go's decimal float syntax (hexadecimal floats are not supported).
fn parse_go_float(value: &str, single: bool) -> Result<f64, CastError> {
    let err = |problem: &str| CastError {
        message: format!(
            "strconv.ParseFloat: parsing {}: {problem}",
            crate::gocompat::quote(value)
        ),
        hint: "use a number such as 1.5".into(),
    };
    let unsigned = value.strip_prefix(['+', '-']).unwrap_or(value);
    let lower = unsigned.to_ascii_lowercase();
    let special = matches!(lower.as_str(), "inf" | "infinity" | "nan");
    // Rust accepts the same decimal syntax as Go apart from a few spellings
    // (`in`, `infin`, ...) that neither takes; check the characters first.
    let decimal = !unsigned.is_empty()
        && unsigned
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if !special && !decimal {
        return Err(err("invalid syntax"));
    }
    let f: f64 = value.parse().map_err(|_| err("invalid syntax"))?;
    let overflow = if single {
        (f as f32).is_infinite()
    } else {
        f.is_infinite()
    };
    if overflow && !special {
        return Err(err("value out of range"));
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(s: &str) -> Vec<String> {
        s.split('.').map(str::to_string).collect()
    }

    #[test]
    fn typed_paths() {
        let cases: &[(&str, Option<Target>)] = &[
            ("services.web.privileged", Some(Target::Bool)),
            ("services.web.deploy.replicas", Some(Target::Int)),
            ("services.web.ports.[].target", Some(Target::Int)),
            ("services.web.ports.[].published", None),
            ("services.web.ulimits.nofile", Some(Target::Int)),
            ("services.web.ulimits.nofile.soft", Some(Target::Int)),
            ("services.web.volumes.[].volume.nocopy", Some(Target::Bool)),
            ("services.web.cpus", Some(Target::Float32)),
            ("services.web.depends_on.db.required", Some(Target::Bool)),
            ("services.web.environment.privileged", None),
            ("services.privileged", None),
            ("configs.c.external", Some(Target::Bool)),
            ("networks.n.enable_ipv6", Some(Target::Bool)),
            ("x-services.web.privileged", None),
        ];
        for (p, want) in cases {
            assert_eq!(target_for(&path(p)), *want, "{p}");
        }
    }

    #[test]
    fn booleans() {
        let cases: &[(&str, bool, bool)] = &[
            ("true", true, false),
            ("TRUE", true, false),
            ("True", true, false),
            ("false", false, false),
            ("FaLsE", false, false),
            ("y", true, true),
            ("Yes", true, true),
            ("on", true, true),
            ("n", false, true),
            ("NO", false, true),
            ("off", false, true),
        ];
        for (v, want, warns) in cases {
            let (kind, warning) = cast(Target::Bool, v).unwrap();
            assert_eq!(kind, Kind::Bool(*want), "{v}");
            assert_eq!(warning.is_some(), *warns, "{v}");
        }
        assert_eq!(
            cast(Target::Bool, "on").unwrap().1.unwrap(),
            "\"on\" for boolean is not supported by YAML 1.2, please use `true`"
        );
        for bad in ["", "1", "0", "maybe", "truee", " true"] {
            assert_eq!(
                cast(Target::Bool, bad).unwrap_err().message,
                format!("invalid boolean: {bad}")
            );
        }
    }

    #[test]
    fn integers() {
        let ok: &[(&str, i64)] = &[
            ("0", 0),
            ("42", 42),
            ("+7", 7),
            ("-3", -3),
            ("08", 8),
            ("9223372036854775807", i64::MAX),
        ];
        for (v, want) in ok {
            assert_eq!(cast(Target::Int, v).unwrap().0, Kind::Int(*want), "{v}");
            assert_eq!(cast(Target::Int64, v).unwrap().0, Kind::Int(*want), "{v}");
        }
        let bad: &[(&str, &str)] = &[
            ("", "strconv.Atoi: parsing \"\": invalid syntax"),
            ("abc", "strconv.Atoi: parsing \"abc\": invalid syntax"),
            ("1_000", "strconv.Atoi: parsing \"1_000\": invalid syntax"),
            ("0x10", "strconv.Atoi: parsing \"0x10\": invalid syntax"),
            ("1.5", "strconv.Atoi: parsing \"1.5\": invalid syntax"),
            ("+", "strconv.Atoi: parsing \"+\": invalid syntax"),
            ("--1", "strconv.Atoi: parsing \"--1\": invalid syntax"),
            (" 1", "strconv.Atoi: parsing \" 1\": invalid syntax"),
            (
                "99999999999999999999",
                "strconv.Atoi: parsing \"99999999999999999999\": value out of range",
            ),
        ];
        for (v, want) in bad {
            assert_eq!(cast(Target::Int, v).unwrap_err().message, *want, "{v}");
        }
        assert_eq!(
            cast(Target::Int64, "x").unwrap_err().message,
            "strconv.ParseInt: parsing \"x\": invalid syntax"
        );
    }

    #[test]
    fn floats() {
        let ok: &[(&str, f64)] = &[
            ("0.5", 0.5),
            ("1", 1.0),
            ("-2.5e3", -2500.0),
            (".5", 0.5),
            ("5.", 5.0),
            ("+1E2", 100.0),
            ("Inf", f64::INFINITY),
            ("-infinity", f64::NEG_INFINITY),
        ];
        for (v, want) in ok {
            assert_eq!(cast(Target::Float, v).unwrap().0, Kind::Float(*want), "{v}");
        }
        assert!(matches!(cast(Target::Float, "NaN").unwrap().0, Kind::Float(f) if f.is_nan()));
        for bad in ["", "abc", "1,5", "1e", "e5", "1_0", "in", "."] {
            assert_eq!(
                cast(Target::Float, bad).unwrap_err().message,
                format!(
                    "strconv.ParseFloat: parsing {}: invalid syntax",
                    crate::gocompat::quote(bad)
                ),
                "{bad}"
            );
        }
        assert!(
            cast(Target::Float, "1e400")
                .unwrap_err()
                .message
                .ends_with("value out of range")
        );
        assert!(
            cast(Target::Float32, "1e39")
                .unwrap_err()
                .message
                .ends_with("value out of range")
        );
        assert_eq!(cast(Target::Float32, "1e38").unwrap().0, Kind::Float(1e38));
    }

    #[test]
    fn quoting() {
        assert_eq!(
            crate::gocompat::quote("a\"b\\c\n\u{1}é"),
            "\"a\\\"b\\\\c\\n\\x01é\""
        );
    }
}
