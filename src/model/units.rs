//! Scalar value types with Compose's input and output forms: durations, byte
//! sizes, file modes, device counts, plus Go's number formatting.
//!
//! Each type accepts the raw forms the loader may hand over (as decoded by
//! compose-go's `DecodeMapstructure` hooks) and the forms that
//! `docker compose config --format json` prints, so printed output reads back.

use crate::gocompat::{DurationError, go_parse_float};
use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

// ---------------------------------------------------------------------------
// Duration
// ---------------------------------------------------------------------------

/// A signed duration in nanoseconds (Go's `time.Duration`, compose-go's
/// `types.Duration`).
///
/// Input: a duration string such as `1m30s`, `10s`, `1.5h`, `2d`, `1w`
/// (`str2duration` syntax: Go's units plus `d` and `w`); a number is printed
/// with Go's `fmt.Sprint` first, so only `0` is accepted (`10` has no unit).
/// Output: Go's `Duration.String()`, e.g. `1m0s`, `1h0m0s`, `500ms`, `1.5s`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub i64);

impl Duration {
    /// The duration in nanoseconds.
    pub fn as_nanos(self) -> i64 {
        self.0
    }

    /// The duration as a `std::time::Duration`, or `None` when negative.
    pub fn to_std(self) -> Option<std::time::Duration> {
        u64::try_from(self.0)
            .ok()
            .map(std::time::Duration::from_nanos)
    }
}

impl From<std::time::Duration> for Duration {
    fn from(d: std::time::Duration) -> Self {
        Duration(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
    }
}

/// Go's `fmtFrac`: the fraction of `v / 10^prec` without trailing zeros (and
/// without the dot when it is zero), plus the integer part.
fn go_frac(v: u64, prec: u32) -> (u64, String) {
    let p = 10u64.pow(prec);
    let (int, frac) = (v / p, v % p);
    if frac == 0 {
        return (int, String::new());
    }
    let digits = format!("{frac:0width$}", width = prec as usize);
    (int, format!(".{}", digits.trim_end_matches('0')))
}

impl fmt::Display for Duration {
    /// Go's `time.Duration.String()`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0s");
        }
        let sign = if self.0 < 0 { "-" } else { "" };
        let u = self.0.unsigned_abs();
        if u < 1_000_000_000 {
            let (prec, unit) = if u < 1_000 {
                (0, "ns")
            } else if u < 1_000_000 {
                (3, "µs")
            } else {
                (6, "ms")
            };
            let (int, frac) = go_frac(u, prec);
            return write!(f, "{sign}{int}{frac}{unit}");
        }
        let (secs, frac) = go_frac(u, 9);
        let mut out = format!("{}{frac}s", secs % 60);
        let mins = secs / 60;
        if mins > 0 {
            out = format!("{}m{out}", mins % 60);
            let hours = mins / 60;
            if hours > 0 {
                out = format!("{hours}h{out}");
            }
        }
        write!(f, "{sign}{out}")
    }
}

/// Parses a duration like `str2duration.ParseDuration` (Go's
/// `time.ParseDuration` plus the `d` and `w` units), with Go's error texts.
pub fn parse_duration(orig: &str) -> Result<Duration, DurationError> {
    crate::gocompat::parse_duration(orig, crate::gocompat::Units::WithDaysAndWeeks).map(Duration)
}

impl FromStr for Duration {
    type Err = DurationError;
    fn from_str(s: &str) -> Result<Self, DurationError> {
        parse_duration(s)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // compose-go: str2duration.ParseDuration(fmt.Sprint(value))
        let text = crate::model::de::GoScalar::deserialize(d)?.0;
        parse_duration(&text).map_err(de::Error::custom)
    }
}

// ---------------------------------------------------------------------------
// UnitBytes
// ---------------------------------------------------------------------------

/// A byte count (compose-go's `types.UnitBytes`).
///
/// Input: an integer, or a string parsed like docker's `units.RAMInBytes`
/// (`50M`, `1g`, `1.5GiB`, `1024`, `512 kb`: multiples of 1024, case
/// insensitive, optional `b`/`ib`); a plain negative integer string such as
/// `"-1"` is also accepted (that is how a negative value prints). A float is
/// ignored (read as 0), as compose-go's decoder does.
/// Output: the integer as a JSON string, e.g. `"52428800"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnitBytes(pub i64);

/// A size docker's `units.RAMInBytes` refuses, in its words.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SizeError {
    #[error("invalid size: '{0}'")]
    Invalid(String),
    /// The number before the suffix is not one.
    #[error("strconv.ParseFloat: parsing \"{0}\": invalid syntax")]
    Number(String),
    /// Go would wrap it to a negative size.
    #[error(
        "invalid size: '{0}' is larger than the largest size, 8 EiB (9223372036854775807 bytes)"
    )]
    TooLarge(String),
    #[error("invalid suffix: '{0}'")]
    Suffix(String),
}

/// docker/go-units `RAMInBytes` (v0.5.0): a size with binary suffixes.
pub fn ram_in_bytes(size: &str) -> Result<i64, SizeError> {
    let bytes = size.as_bytes();
    let Some(sep) = bytes
        .iter()
        .rposition(|b| b.is_ascii_digit() || *b == b'.' || *b == b' ')
    else {
        return Err(SizeError::Invalid(size.to_string()));
    };
    let (num, sfx) = if bytes[sep] == b' ' {
        (&size[..sep], &size[sep + 1..])
    } else {
        (&size[..=sep], &size[sep + 1..])
    };
    let value = go_parse_float(num).ok_or_else(|| SizeError::Number(num.to_string()))?;
    if value < 0.0 {
        return Err(SizeError::Invalid(size.to_string()));
    }
    // Go wraps a size past the largest int64 to a negative one; berth refuses it.
    let in_range = |bytes: f64| {
        if bytes < 9_223_372_036_854_775_808.0 {
            Ok(bytes as i64)
        } else {
            Err(SizeError::TooLarge(size.to_string()))
        }
    };
    if sfx.is_empty() {
        return in_range(value);
    }
    let bad_suffix = || SizeError::Suffix(sfx.to_string());
    if sfx.len() > 3 {
        return Err(bad_suffix());
    }
    let lower = sfx.to_ascii_lowercase();
    let lb = lower.as_bytes();
    if lb[0] == b'b' {
        return if lb.len() > 1 {
            Err(bad_suffix())
        } else {
            in_range(value)
        };
    }
    let mul: f64 = match lb[0] {
        b'k' => 1024.0,
        b'm' => 1024f64.powi(2),
        b'g' => 1024f64.powi(3),
        b't' => 1024f64.powi(4),
        b'p' => 1024f64.powi(5),
        _ => return Err(bad_suffix()),
    };
    match lb.len() {
        2 if lb[1] != b'b' => return Err(bad_suffix()),
        3 if &lb[1..] != b"ib" => return Err(bad_suffix()),
        _ => {}
    }
    in_range(value * mul)
}

impl fmt::Display for UnitBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for UnitBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for UnitBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = UnitBytes;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a byte size (integer or string like \"50M\")")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<UnitBytes, E> {
                Ok(UnitBytes(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<UnitBytes, E> {
                i64::try_from(v)
                    .map(UnitBytes)
                    .map_err(|_| E::custom(format!("byte size {v} out of range")))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<UnitBytes, E> {
                // compose-go's DecodeMapstructure ignores floats.
                Ok(UnitBytes(0))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<UnitBytes, E> {
                if let Some(rest) = v.strip_prefix('-')
                    && !rest.is_empty()
                    && rest.bytes().all(|b| b.is_ascii_digit())
                    && let Ok(n) = v.parse::<i64>()
                {
                    return Ok(UnitBytes(n));
                }
                ram_in_bytes(v).map(UnitBytes).map_err(E::custom)
            }
            fn visit_unit<E: de::Error>(self) -> Result<UnitBytes, E> {
                Ok(UnitBytes(0))
            }
            fn visit_none<E: de::Error>(self) -> Result<UnitBytes, E> {
                Ok(UnitBytes(0))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<UnitBytes, D::Error> {
                UnitBytes::deserialize(d)
            }
        }
        d.deserialize_any(V)
    }
}

// ---------------------------------------------------------------------------
// FileMode
// ---------------------------------------------------------------------------

/// A file mode for secret/config mounts (compose-go's `types.FileMode`).
///
/// Input: an integer (YAML `0440` is the integer 288) or an octal string
/// (`"0440"`, `"440"`). Output: an octal string with a leading `0`, `"0440"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileMode(pub i64);

impl fmt::Display for FileMode {
    /// Go's `fmt.Sprintf("0%o", mode)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < 0 {
            write!(f, "0-{:o}", self.0.unsigned_abs())
        } else {
            write!(f, "0{:o}", self.0)
        }
    }
}

impl Serialize for FileMode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FileMode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = FileMode;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a file mode (integer or octal string)")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<FileMode, E> {
                Ok(FileMode(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<FileMode, E> {
                i64::try_from(v)
                    .map(FileMode)
                    .map_err(|_| E::custom(format!("mode {v} out of range")))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<FileMode, E> {
                Err(E::custom("unexpected value type float64 for mode"))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<FileMode, E> {
                Err(E::custom("unexpected value type bool for mode"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FileMode, E> {
                i64::from_str_radix(v, 8).map(FileMode).map_err(|_| {
                    E::custom(format!("strconv.ParseInt: parsing \"{v}\": invalid syntax"))
                })
            }
        }
        d.deserialize_any(V)
    }
}

// ---------------------------------------------------------------------------
// Go number formatting
// ---------------------------------------------------------------------------

/// The JSON number Go's `encoding/json` prints for a `float32`: its shortest
/// 32-bit decimal form, as an integer when it has no fraction.
pub(crate) fn go_json_f32(v: f32) -> serde_json::Number {
    let text = format!("{v}");
    let as_f64: f64 = text.parse().unwrap_or(f64::from(v));
    go_json_f64(as_f64)
}

/// The JSON number Go's `encoding/json` prints for a `float64`: an integer
/// when it has no fraction and is below 1e21.
pub(crate) fn go_json_f64(v: f64) -> serde_json::Number {
    if v.fract() == 0.0 && v.abs() < 1e21 {
        if v >= 0.0 && v <= u64::MAX as f64 {
            return serde_json::Number::from(v as u64);
        }
        if v < 0.0 && v >= i64::MIN as f64 {
            return serde_json::Number::from(v as i64);
        }
    }
    serde_json::Number::from_f64(v).unwrap_or_else(|| serde_json::Number::from(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dur(s: &str) -> String {
        parse_duration(s).unwrap().to_string()
    }

    #[test]
    fn durations_print_like_go() {
        assert_eq!(dur("1m30s"), "1m30s");
        assert_eq!(dur("10s"), "10s");
        assert_eq!(dur("1m"), "1m0s");
        assert_eq!(dur("2m"), "2m0s");
        assert_eq!(dur("1h"), "1h0m0s");
        assert_eq!(dur("500ms"), "500ms");
        assert_eq!(dur("1.5s"), "1.5s");
        assert_eq!(dur("1500ms"), "1.5s");
        assert_eq!(dur("0"), "0s");
        assert_eq!(dur("0s"), "0s");
        assert_eq!(dur("1us"), "1µs");
        assert_eq!(dur("1µs"), "1µs");
        assert_eq!(dur("1500ns"), "1.5µs");
        assert_eq!(dur("999ns"), "999ns");
        assert_eq!(dur("1d"), "24h0m0s");
        assert_eq!(dur("1w2d"), "216h0m0s");
        assert_eq!(dur("-1.5h"), "-1h30m0s");
        assert_eq!(dur("1h0m4.000000001s"), "1h0m4.000000001s");
        assert_eq!(dur("90m"), "1h30m0s");
    }

    #[test]
    fn duration_errors_match_go() {
        assert_eq!(
            parse_duration("10").unwrap_err().to_string(),
            "time: missing unit in duration \"10\""
        );
        assert_eq!(
            parse_duration("10x").unwrap_err().to_string(),
            "time: unknown unit \"x\" in duration \"10x\""
        );
        assert_eq!(
            parse_duration("").unwrap_err().to_string(),
            "time: invalid duration \"\""
        );
        assert!(parse_duration(".s").is_err());
    }

    #[test]
    fn duration_serde() {
        let d: Duration = serde_json::from_value(json!("1m30s")).unwrap();
        assert_eq!(d, Duration(90_000_000_000));
        assert_eq!(serde_json::to_value(d).unwrap(), json!("1m30s"));
        let z: Duration = serde_json::from_value(json!(0)).unwrap();
        assert_eq!(z, Duration(0));
        assert!(serde_json::from_value::<Duration>(json!(10)).is_err());
    }

    #[test]
    fn bytes_parse_like_ram_in_bytes() {
        assert_eq!(ram_in_bytes("50M"), Ok(52_428_800));
        assert_eq!(ram_in_bytes("50m"), Ok(52_428_800));
        assert_eq!(ram_in_bytes("1g"), Ok(1 << 30));
        assert_eq!(ram_in_bytes("1GiB"), Ok(1 << 30));
        assert_eq!(ram_in_bytes("1gb"), Ok(1 << 30));
        assert_eq!(ram_in_bytes("1024"), Ok(1024));
        assert_eq!(ram_in_bytes("1024b"), Ok(1024));
        assert_eq!(ram_in_bytes("512 kb"), Ok(512 * 1024));
        assert_eq!(ram_in_bytes("1.5k"), Ok(1536));
        assert_eq!(ram_in_bytes("0.3"), Ok(0));
        assert!(ram_in_bytes("1x").is_err());
        assert!(ram_in_bytes("1kbb").is_err());
        assert!(ram_in_bytes("1bb").is_err());
        assert!(ram_in_bytes("m").is_err());
        assert!(ram_in_bytes("-1").is_err());
    }

    #[test]
    fn bytes_serde() {
        let b: UnitBytes = serde_json::from_value(json!("50M")).unwrap();
        assert_eq!(serde_json::to_value(b).unwrap(), json!("52428800"));
        let b: UnitBytes = serde_json::from_value(json!("52428800")).unwrap();
        assert_eq!(b, UnitBytes(52_428_800));
        let b: UnitBytes = serde_json::from_value(json!(1024)).unwrap();
        assert_eq!(b, UnitBytes(1024));
        let b: UnitBytes = serde_json::from_value(json!(-1)).unwrap();
        assert_eq!(serde_json::to_value(b).unwrap(), json!("-1"));
        let b: UnitBytes = serde_json::from_value(json!("-1")).unwrap();
        assert_eq!(b, UnitBytes(-1));
        let b: UnitBytes = serde_json::from_value(json!(1.5)).unwrap();
        assert_eq!(b, UnitBytes(0));
    }

    #[test]
    fn file_modes() {
        let m: FileMode = serde_json::from_value(json!(288)).unwrap();
        assert_eq!(serde_json::to_value(m).unwrap(), json!("0440"));
        let m: FileMode = serde_json::from_value(json!("0440")).unwrap();
        assert_eq!(m, FileMode(288));
        let m: FileMode = serde_json::from_value(json!("440")).unwrap();
        assert_eq!(m, FileMode(288));
        let m: FileMode = serde_json::from_value(json!(0)).unwrap();
        assert_eq!(m.to_string(), "00");
        assert!(serde_json::from_value::<FileMode>(json!("0980")).is_err());
        assert!(serde_json::from_value::<FileMode>(json!(1.5)).is_err());
    }

    #[test]
    fn go_float_formats() {
        assert_eq!(
            go_json_f32(0.001),
            serde_json::Number::from_f64(0.001).unwrap()
        );
        assert_eq!(go_json_f32(1.0), serde_json::Number::from(1u64));
        assert_eq!(go_json_f32(0.3), serde_json::Number::from_f64(0.3).unwrap());
    }

    #[test]
    fn size_errors_are_go_units_words() {
        let text = |s: &str| ram_in_bytes(s).unwrap_err().to_string();
        assert_eq!(text("m"), "invalid size: 'm'");
        assert_eq!(text("-1"), "invalid size: '-1'");
        assert_eq!(text("1x"), "invalid suffix: 'x'");
        assert_eq!(
            text("a1"),
            "strconv.ParseFloat: parsing \"a1\": invalid syntax"
        );
        assert_eq!(
            text("9000000p"),
            "invalid size: '9000000p' is larger than the largest size, 8 EiB (9223372036854775807 bytes)"
        );
    }
}
