//! Lenient deserialisers reproducing how compose-go decodes its canonical
//! model: mapstructure plus the loader's `cast` hook (strings become
//! booleans and numbers, integers become strings) and the
//! `DecodeMapstructure` methods of the compose types (string-or-list,
//! list-or-mapping, `fmt.Sprint` of scalar values).
//!
//! These are used through `#[serde(deserialize_with = "...")]`.

use std::fmt;

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::gocompat::{go_parse_float, go_sprint_float};

/// A scalar printed the way Go's `fmt.Sprint` prints it (`null` is empty).
pub(crate) struct GoScalar(pub String);

impl<'de> Deserialize<'de> for GoScalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = GoScalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<GoScalar, E> {
                Ok(GoScalar(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<GoScalar, E> {
                Ok(GoScalar(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<GoScalar, E> {
                Ok(GoScalar(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<GoScalar, E> {
                Ok(GoScalar(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<GoScalar, E> {
                Ok(GoScalar(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<GoScalar, E> {
                Ok(GoScalar(go_sprint_float(v)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<GoScalar, E> {
                Ok(GoScalar(String::new()))
            }
            fn visit_none<E: de::Error>(self) -> Result<GoScalar, E> {
                Ok(GoScalar(String::new()))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<GoScalar, D::Error> {
                GoScalar::deserialize(d)
            }
        }
        d.deserialize_any(V)
    }
}

/// A boolean: `true`/`false`, or a string cast like compose-go's
/// `toBoolean` (`true`, `yes`, `on`, `y`, ... case-insensitive); null is false.
struct GoBool(bool);

/// compose-go's `toBoolean`.
pub(crate) fn parse_go_bool(value: &str) -> Result<bool, BoolError> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "y" | "yes" | "on" => Ok(true),
        "false" | "n" | "no" | "off" => Ok(false),
        _ => Err(BoolError(value.to_string())),
    }
}

/// A string compose-go's `toBoolean` does not read as a boolean.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid boolean: {0}")]
pub(crate) struct BoolError(String);

impl<'de> Deserialize<'de> for GoBool {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = GoBool;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a boolean")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<GoBool, E> {
                Ok(GoBool(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<GoBool, E> {
                parse_go_bool(v).map(GoBool).map_err(E::custom)
            }
            fn visit_unit<E: de::Error>(self) -> Result<GoBool, E> {
                Ok(GoBool(false))
            }
            fn visit_none<E: de::Error>(self) -> Result<GoBool, E> {
                Ok(GoBool(false))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<GoBool, D::Error> {
                GoBool::deserialize(d)
            }
        }
        d.deserialize_any(V)
    }
}

/// An integer: a JSON integer, a float (truncated, as mapstructure does) or a
/// decimal string (compose-go's `toInt` cast); null is 0.
struct GoInt(i128);

impl<'de> Deserialize<'de> for GoInt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = GoInt;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an integer")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<GoInt, E> {
                Ok(GoInt(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<GoInt, E> {
                Ok(GoInt(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<GoInt, E> {
                Ok(GoInt(v.trunc() as i128))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<GoInt, E> {
                v.parse::<i64>().map(|n| GoInt(n.into())).map_err(|_| {
                    E::custom(format!("strconv.Atoi: parsing \"{v}\": invalid syntax"))
                })
            }
            fn visit_unit<E: de::Error>(self) -> Result<GoInt, E> {
                Ok(GoInt(0))
            }
            fn visit_none<E: de::Error>(self) -> Result<GoInt, E> {
                Ok(GoInt(0))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<GoInt, D::Error> {
                GoInt::deserialize(d)
            }
        }
        d.deserialize_any(V)
    }
}

impl GoInt {
    fn into_target<T: TryFrom<i128>, E: de::Error>(self) -> Result<T, E> {
        T::try_from(self.0).map_err(|_| E::custom(format!("integer {} out of range", self.0)))
    }
}

/// A float: a JSON number or a decimal string; null is 0.
struct GoFloat(f64);

impl<'de> Deserialize<'de> for GoFloat {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = GoFloat;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<GoFloat, E> {
                Ok(GoFloat(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<GoFloat, E> {
                Ok(GoFloat(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<GoFloat, E> {
                Ok(GoFloat(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<GoFloat, E> {
                go_parse_float(v).map(GoFloat).ok_or_else(|| {
                    E::custom(format!(
                        "strconv.ParseFloat: parsing \"{v}\": invalid syntax"
                    ))
                })
            }
            fn visit_unit<E: de::Error>(self) -> Result<GoFloat, E> {
                Ok(GoFloat(0.0))
            }
            fn visit_none<E: de::Error>(self) -> Result<GoFloat, E> {
                Ok(GoFloat(0.0))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<GoFloat, D::Error> {
                GoFloat::deserialize(d)
            }
        }
        d.deserialize_any(V)
    }
}

// ---------------------------------------------------------------------------
// Field helpers
// ---------------------------------------------------------------------------

/// A string field; numbers and booleans are printed like `fmt.Sprint`.
pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    GoScalar::deserialize(d).map(|s| s.0)
}

/// A boolean field.
pub(crate) fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    GoBool::deserialize(d).map(|b| b.0)
}

/// An optional boolean field (`*bool`): null is `None`.
pub(crate) fn opt_boolean<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Option::<GoBool>::deserialize(d).map(|o| o.map(|b| b.0))
}

/// An integer field of any width.
pub(crate) fn int<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i128>,
{
    GoInt::deserialize(d)?.into_target()
}

/// An optional integer field (`*int`): null is `None`.
pub(crate) fn opt_int<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i128>,
{
    match Option::<GoInt>::deserialize(d)? {
        Some(v) => v.into_target().map(Some),
        None => Ok(None),
    }
}

/// A `float32` field.
pub(crate) fn float32<'de, D: Deserializer<'de>>(d: D) -> Result<f32, D::Error> {
    GoFloat::deserialize(d).map(|f| f.0 as f32)
}

/// A device count (`types.DeviceCount`): an integer, a numeric string, or
/// `all` (case-insensitive) meaning -1.
pub(crate) fn device_count<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = i64;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a device count (integer or \"all\")")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(|_| E::custom(format!("count {v} out of range")))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
            if v.eq_ignore_ascii_case("all") {
                return Ok(-1);
            }
            v.parse::<i64>().map_err(|_| {
                E::custom(format!(
                    "invalid value {v:?}, the only value allowed is 'all' or a number"
                ))
            })
        }
    }
    d.deserialize_any(V)
}

/// Any value whose `null` means its default (an absent struct, empty list or
/// empty map), as mapstructure leaves a field at its zero value for nil.
pub(crate) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Option::<T>::deserialize(d).map(Option::unwrap_or_default)
}

/// A map whose null values mean the value type's default.
pub(crate) fn map_null_default<'de, D, M, T>(d: D) -> Result<M, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
    M: FromIterator<(String, T)>,
{
    let raw: Option<IndexMap<String, Option<T>>> = Deserialize::deserialize(d)?;
    Ok(raw
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or_default()))
        .collect())
}

/// A list of strings (`[]string`, `StringList`, `StringOrNumberList`): a
/// single string is a one-element list, scalars are printed like
/// `fmt.Sprint`, null is empty.
pub(crate) fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string or a list of strings")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<String>, E> {
            Ok(vec![v.to_owned()])
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Vec<String>, E> {
            Ok(vec![v.to_string()])
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Vec<String>, E> {
            Ok(vec![v.to_string()])
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Vec<String>, E> {
            Ok(vec![go_sprint_float(v)])
        }
        fn visit_unit<E: de::Error>(self) -> Result<Vec<String>, E> {
            Ok(Vec::new())
        }
        fn visit_none<E: de::Error>(self) -> Result<Vec<String>, E> {
            Ok(Vec::new())
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Vec<String>, D::Error> {
            string_list(d)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
            let mut out = Vec::new();
            while let Some(GoScalar(s)) = seq.next_element()? {
                out.push(s);
            }
            Ok(out)
        }
    }
    d.deserialize_any(V)
}

/// A healthcheck test (`types.HealthCheckTest`): a string `s` is
/// `["CMD-SHELL", s]`, a list is taken as is.
pub(crate) fn healthcheck_test<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec!["CMD-SHELL".to_owned(), s]),
        Some(v) => string_list(v).map_err(de::Error::custom),
    }
}

/// A list-or-mapping of strings (`types.Mapping`, `types.Labels`,
/// `types.Options`, plain `map[string]string`): a map's null values are
/// empty, a list's `key=value` items split at the first `=` (a bare `key`
/// is empty).
pub(crate) fn mapping<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<IndexMap<String, String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = IndexMap<String, String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a mapping or a list of key=value strings")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(IndexMap::new())
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(IndexMap::new())
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            mapping(d)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = IndexMap::new();
            while let Some((k, GoScalar(v))) = map.next_entry::<String, GoScalar>()? {
                out.insert(k, v);
            }
            Ok(out)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = IndexMap::new();
            while let Some(GoScalar(item)) = seq.next_element()? {
                match item.split_once('=') {
                    Some((k, v)) => out.insert(k.to_owned(), v.to_owned()),
                    None => out.insert(item, String::new()),
                };
            }
            Ok(out)
        }
    }
    d.deserialize_any(V)
}

/// A list-or-mapping with optional values (`types.MappingWithEquals`, used by
/// `environment` and build `args`): a map's null values stay null, a list's
/// `key=value` items split at the first `=`, a bare `key` is null.
pub(crate) fn mapping_with_equals<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<IndexMap<String, Option<String>>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = IndexMap<String, Option<String>>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a mapping or a list of KEY[=VALUE] strings")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(IndexMap::new())
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(IndexMap::new())
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            mapping_with_equals(d)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = IndexMap::new();
            while let Some((k, v)) = map.next_entry::<String, Option<GoScalar>>()? {
                out.insert(k, v.map(|s| s.0));
            }
            Ok(out)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = IndexMap::new();
            while let Some(GoScalar(item)) = seq.next_element()? {
                let (k, v) = match item.split_once('=') {
                    Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
                    None => (item, None),
                };
                if k.ends_with(|c: char| c.is_whitespace()) {
                    return Err(de::Error::custom(format!(
                        "environment variable {k} is declared with a trailing space"
                    )));
                }
                out.insert(k, v);
            }
            Ok(out)
        }
    }
    d.deserialize_any(V)
}

/// A mapping of repeatable options (`types.MultiOptions`): each value is a
/// list, a scalar is a one-element list.
pub(crate) fn multi_options<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<IndexMap<String, Vec<String>>, D::Error> {
    let raw: Option<IndexMap<String, Value>> = Deserialize::deserialize(d)?;
    let mut out = IndexMap::new();
    for (k, v) in raw.unwrap_or_default() {
        let list = string_list(v).map_err(de::Error::custom)?;
        out.insert(k, list);
    }
    Ok(out)
}

/// Extension fields (`x-*`), collected from the keys a struct does not know.
/// Any other unknown key is an error.
pub(crate) fn extensions<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<IndexMap<String, Value>, D::Error> {
    let raw: IndexMap<String, Value> = Deserialize::deserialize(d)?;
    if let Some(bad) = raw.keys().find(|k| !k.starts_with("x-")) {
        return Err(de::Error::custom(format!("unknown field `{bad}`")));
    }
    Ok(raw)
}

/// A map of optional values that may also be given as a list of names, each
/// then mapping to null (compose-go's `transformStringSliceToMap`, used for a
/// service's `networks` and `models`).
pub(crate) fn names_or_map<'de, D, T>(d: D) -> Result<IndexMap<String, Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct V<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
        type Value = IndexMap<String, Option<T>>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a mapping or a list of names")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(IndexMap::new())
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(IndexMap::new())
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = IndexMap::new();
            while let Some(GoScalar(name)) = seq.next_element()? {
                out.insert(name, None);
            }
            Ok(out)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = IndexMap::new();
            while let Some(name) = map.next_key::<String>()? {
                let value = map.next_value::<Option<T>>()?;
                out.insert(name, value);
            }
            Ok(out)
        }
    }
    d.deserialize_any(V(std::marker::PhantomData))
}
