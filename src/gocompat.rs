//! Go's readings and writings of text, where Docker Compose's behaviour (and
//! so berth's) depends on them: booleans, durations and `%q` quoting. One
//! implementation each, so that two corners of berth cannot drift apart.

/// A boolean as Go's `strconv.ParseBool` reads it (how the docker CLI reads
/// `DOCKER_BUILDKIT` and compose-go `COMPOSE_DISABLE_ENV_FILE`); `None` for
/// anything else.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// A boolean environment variable as Docker Compose reads its own
/// (`COMPOSE_REMOVE_ORPHANS`, `COMPOSE_COMPATIBILITY`, ...): trimmed and
/// lowercased, then `y` or what [`parse_bool`] takes as true; anything else
/// is false (`yes` included).
pub fn env_flag(text: &str) -> bool {
    let text = text.trim().to_ascii_lowercase();
    text == "y" || parse_bool(&text) == Some(true)
}

/// `text` as Go's `%q` (`strconv.Quote`) writes it: in double quotes, with
/// `"` and `\` escaped, the usual control characters as `\n`, `\t`, ...,
/// other ASCII controls as `\x..` and other non-printable characters as
/// `\u....`.
pub fn quote(text: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if c.is_ascii_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The units a duration may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Units {
    /// Go's `time.ParseDuration`: `ns`, `us` (`µs`), `ms`, `s`, `m`, `h`.
    Go,
    /// compose-go's (`str2duration`): Go's plus `d` and `w`.
    WithDaysAndWeeks,
}

/// A duration Go's `time.ParseDuration` refuses, in its words.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("time: invalid duration {}", quote(.0))]
    Invalid(String),
    #[error("time: missing unit in duration {}", quote(.0))]
    MissingUnit(String),
    #[error("time: unknown unit {} in duration {}", quote(.unit), quote(.text))]
    UnknownUnit { unit: String, text: String },
}

/// A duration in nanoseconds, read as Go's `time.ParseDuration` reads it
/// (a sign, then one or more decimal numbers each with a unit: `1h30m`,
/// `-1.5s`, `500ms`), with Go's error texts. Overflowing an `i64` of
/// nanoseconds is an error.
pub fn parse_duration(text: &str, units: Units) -> Result<i64, DurationError> {
    let invalid = || DurationError::Invalid(text.to_string());
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    // The magnitude may reach 2^63 only for a negative duration.
    let limit: u128 = if negative { 1 << 63 } else { (1 << 63) - 1 };
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let (value, after) = number(rest).ok_or_else(invalid)?;
        let unit_len = after
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        if unit.is_empty() {
            return Err(DurationError::MissingUnit(text.to_string()));
        }
        let scale = unit_nanos(unit, units).ok_or_else(|| DurationError::UnknownUnit {
            unit: unit.to_string(),
            text: text.to_string(),
        })?;
        let nanos = value.nanos(scale).ok_or_else(invalid)?;
        total = total
            .checked_add(nanos)
            .filter(|t| *t <= limit)
            .ok_or_else(invalid)?;
        rest = after;
    }
    let total = i128::try_from(total).map_err(|_| invalid())?;
    i64::try_from(if negative { -total } else { total }).map_err(|_| invalid())
}

/// A decimal number of a duration: its whole part and fraction digits.
struct Number<'a> {
    whole: u128,
    fraction: &'a str,
}

impl Number<'_> {
    /// The number times `scale` nanoseconds; `None` past 2^63.
    fn nanos(&self, scale: u128) -> Option<u128> {
        let whole = self.whole.checked_mul(scale).filter(|n| *n <= 1 << 63)?;
        let fraction = if self.fraction.is_empty() {
            0
        } else {
            // As Go: the fraction's digits scaled, rounded down.
            let digits = &self.fraction[..self.fraction.len().min(30)];
            let f: f64 = format!("0.{digits}").parse().unwrap_or(0.0);
            (f * scale as f64) as u128
        };
        whole.checked_add(fraction)
    }
}

/// Splits the leading `123.45` off `text`; `None` without a digit.
fn number(text: &str) -> Option<(Number<'_>, &str)> {
    let int_len = text.bytes().take_while(u8::is_ascii_digit).count();
    let (int, after) = text.split_at(int_len);
    let (fraction, after) = match after.strip_prefix('.') {
        Some(f) => f.split_at(f.bytes().take_while(u8::is_ascii_digit).count()),
        None => ("", after),
    };
    if int.is_empty() && fraction.is_empty() {
        return None;
    }
    // Leading zeros do not overflow; more than 20 significant digits do.
    let int = int.trim_start_matches('0');
    let whole = match int {
        "" => 0,
        digits if digits.len() > 20 => u128::MAX,
        digits => digits.parse().ok()?,
    };
    Some((Number { whole, fraction }, after))
}

/// Nanoseconds in one `unit`.
fn unit_nanos(unit: &str, units: Units) -> Option<u128> {
    const SECOND: u128 = 1_000_000_000;
    Some(match unit {
        "ns" => 1,
        "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
        "ms" => 1_000_000,
        "s" => SECOND,
        "m" => 60 * SECOND,
        "h" => 3_600 * SECOND,
        "d" if units == Units::WithDaysAndWeeks => 86_400 * SECOND,
        "w" if units == Units::WithDaysAndWeeks => 604_800 * SECOND,
        _ => return None,
    })
}

/// The decimal exponent of `f` (finite, not zero) as its shortest
/// round-trip digits write it: 2 for 123.0, -4 for 0.00012. Unlike
/// `log10().floor()`, it cannot land one off next to a power of ten.
pub fn decimal_exponent(f: f64) -> i32 {
    let sci = format!("{f:e}");
    let (_, exp) = sci.split_once('e').expect("`{:e}` writes an exponent");
    exp.parse().expect("exponent digits")
}

/// Go's `fmt.Sprint(float64)` (`%v`, i.e. `strconv.FormatFloat(f, 'g', -1,
/// 64)`): shortest round-trip digits, in `e` notation (`1e+06`) when the
/// decimal exponent is below -4 or at least 6.
pub fn go_sprint_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "1.2345e6".
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').expect("exponent");
    let exp: i32 = exp.parse().expect("exponent digits");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let sign = if f < 0.0 { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        let mut m = digits[..1].to_string();
        if digits.len() > 1 {
            m.push('.');
            m.push_str(&digits[1..]);
        }
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{m}e{esign}{:02}", exp.abs());
    }
    let dp = exp + 1; // position of the decimal point within the digits
    let nd = digits.len() as i32;
    let body = if dp <= 0 {
        format!("0.{}{}", "0".repeat((-dp) as usize), digits)
    } else if dp >= nd {
        format!("{}{}", digits, "0".repeat((dp - nd) as usize))
    } else {
        format!("{}.{}", &digits[..dp as usize], &digits[dp as usize..])
    };
    format!("{sign}{body}")
}

/// `strconv.ParseFloat(s, 64)` for the decimal forms (digits, dot, exponent,
/// sign, `inf`/`nan`).
pub fn go_parse_float(s: &str) -> Option<f64> {
    if s.is_empty() || s.contains('_') || s.to_ascii_lowercase().contains("0x") {
        return None;
    }
    s.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_decimal_exponent_is_that_of_the_shortest_digits() {
        assert_eq!(decimal_exponent(123.0), 2);
        assert_eq!(decimal_exponent(-0.00012), -4);
        assert_eq!(decimal_exponent(1e21), 21);
        // log10 rounds this one up to 21.0.
        assert_eq!(decimal_exponent(9.999_999_999_999_999e20), 20);
    }

    #[test]
    fn floats_as_go_prints_them() {
        assert_eq!(go_sprint_float(1.5), "1.5");
        assert_eq!(go_sprint_float(100000.0), "100000");
        assert_eq!(go_sprint_float(1e6), "1e+06");
        assert_eq!(go_sprint_float(0.0001), "0.0001");
        assert_eq!(go_sprint_float(0.00001), "1e-05");
        assert_eq!(go_sprint_float(-2.25), "-2.25");
        assert_eq!(go_parse_float("1e3"), Some(1000.0));
        assert_eq!(go_parse_float("0x10"), None);
    }

    #[test]
    fn booleans_as_go_and_as_docker_compose_read_them() {
        assert_eq!(parse_bool("True"), Some(true));
        assert_eq!(parse_bool("tRue"), None);
        assert_eq!(parse_bool("yes"), None);
        assert_eq!(parse_bool("0"), Some(false));
        assert!(env_flag(" TRUE "));
        assert!(env_flag("y"));
        assert!(env_flag("1"));
        assert!(!env_flag("yes"), "Docker Compose reads yes as false");
        assert!(!env_flag(""));
    }

    #[test]
    fn quotes_as_go_percent_q() {
        assert_eq!(quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(quote("\n\t\u{7}\u{1b}"), r#""\n\t\a\x1b""#);
        assert_eq!(quote("é\u{85}"), "\"é\\u0085\"");
    }

    #[test]
    fn durations_as_go_reads_them() {
        let go = |t| parse_duration(t, Units::Go).map_err(|e| e.to_string());
        let compose = |t| parse_duration(t, Units::WithDaysAndWeeks).map_err(|e| e.to_string());
        assert_eq!(go("1h30m"), Ok(5_400_000_000_000));
        assert_eq!(go("-1.5s"), Ok(-1_500_000_000));
        assert_eq!(go(".5ms"), Ok(500_000));
        assert_eq!(go("0"), Ok(0));
        assert_eq!(go("1µs"), Ok(1_000));
        assert_eq!(compose("1d"), Ok(86_400_000_000_000));
        assert_eq!(
            go("1d"),
            Err(r#"time: unknown unit "d" in duration "1d""#.into())
        );
        assert_eq!(
            go("10"),
            Err(r#"time: missing unit in duration "10""#.into())
        );
        assert_eq!(go(""), Err(r#"time: invalid duration """#.into()));
        assert_eq!(go("."), Err(r#"time: invalid duration ".""#.into()));
        // i64 nanoseconds: 2^63 only below zero.
        assert_eq!(go("-9223372036854775808ns"), Ok(i64::MIN));
        assert!(go("9223372036854775808ns").is_err());
        assert_eq!(go("9223372036854775807ns"), Ok(i64::MAX));
        assert!(go("3000000h").is_err());
    }
}
