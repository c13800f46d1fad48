//! Property tests for the loader's text front ends: interpolation, `.env`
//! files and YAML. None of them may panic, whatever the input.

use berth::load::{dotenv, interpolate, yaml};
use proptest::prelude::*;

fn lookup(name: &str) -> Option<String> {
    match name {
        "SET" => Some("value".into()),
        "EMPTY" => Some(String::new()),
        "DOLLAR" => Some("$x ${y}".into()),
        _ => None,
    }
}

/// Text made mostly of the characters that matter to the parsers.
fn syntax_soup() -> impl Strategy<Value = String> {
    let tokens: &'static [&'static str] = &[
        "$", "$$", "${", "}", "{", ":-", "-", ":?", "?", ":+", "+", "SET", "EMPTY", "UNSET", "\n",
        "\r\n", "=", ":", " ", "#", "'", "\"", "\\", "export ", "\u{feff}", "é",
    ];
    let piece = prop_oneof![
        4 => prop::sample::select(tokens).prop_map(str::to_string),
        1 => "[a-z0-9_]{1,3}",
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

/// Text made of YAML punctuation, indentation and scalars.
fn yaml_soup() -> impl Strategy<Value = String> {
    let tokens: &'static [&'static str] = &[
        "\n",
        "  ",
        "- ",
        ": ",
        "? ",
        "[",
        "]",
        "{",
        "}",
        ", ",
        "&a ",
        "*a",
        "<<: ",
        "!reset ",
        "!override ",
        "!!int ",
        "!!str ",
        "'",
        "\"",
        "|",
        ">-",
        "---\n",
        "...\n",
        "# c",
        "~",
        "0x1F",
        "0o17",
        "1_000",
        "-.inf",
        "é",
        "\t",
    ];
    let piece = prop_oneof![
        4 => prop::sample::select(tokens).prop_map(str::to_string),
        1 => "[a-z0-9]{1,4}",
    ];
    prop::collection::vec(piece, 0..60).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn substitute_never_panics(input in any::<String>()) {
        let _ = interpolate::substitute(&input, &lookup);
    }

    #[test]
    fn substitute_never_panics_on_syntax(input in syntax_soup()) {
        let _ = interpolate::substitute(&input, &lookup);
    }

    #[test]
    fn invalid_offsets_point_at_a_dollar(input in syntax_soup()) {
        if let Err(interpolate::InterpolationError::Invalid { offset }) = interpolate::substitute(&input, &lookup) {
            prop_assert_eq!(input.as_bytes().get(offset), Some(&b'$'));
        }
    }

    #[test]
    fn escaped_dollars_round_trip(input in any::<String>()) {
        let escaped = input.replace('$', "$$");
        prop_assert_eq!(interpolate::substitute(&escaped, &lookup), Ok((input, vec![])));
    }

    #[test]
    fn escaped_dollars_round_trip_on_syntax(input in syntax_soup()) {
        let escaped = input.replace('$', "$$");
        prop_assert_eq!(interpolate::substitute(&escaped, &lookup), Ok((input, vec![])));
    }

    #[test]
    fn text_without_dollars_is_unchanged(input in "[^$]*") {
        prop_assert_eq!(interpolate::substitute(&input, &lookup), Ok((input, vec![])));
    }

    #[test]
    fn dotenv_never_panics(input in any::<String>()) {
        let _ = dotenv::parse(&input, &lookup);
        let _ = dotenv::parse_raw(&input, &lookup);
    }

    #[test]
    fn dotenv_never_panics_on_syntax(input in syntax_soup()) {
        if let Err(e) = dotenv::parse(&input, &lookup) {
            prop_assert!(e.line >= 1 && e.col >= 1);
            prop_assert!(e.line <= input.split('\n').count());
        }
        let _ = dotenv::try_parse_raw(&input, &lookup);
    }

    #[test]
    fn single_quoted_values_are_literal(
        key in "[A-Za-z_][A-Za-z0-9_.-]{0,10}",
        value in "[^'\\\\]*",
    ) {
        let text = format!("{key}='{value}'\n");
        let parsed = dotenv::parse(&text, &lookup).unwrap();
        prop_assert_eq!(parsed.get(&key), Some(&value));
    }

    #[test]
    fn yaml_never_panics(input in any::<String>()) {
        let _ = yaml::parse_documents(&input, 0);
    }

    #[test]
    fn yaml_never_panics_on_syntax(input in yaml_soup()) {
        let _ = yaml::parse_documents(&input, 0);
    }
}
