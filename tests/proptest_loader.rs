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

/// A valid Compose file, with secrets, to mutate.
const SEED: &str = "name: seed\nservices:\n  web:\n    image: nginx:${TAG:-1}\n    ports: [\"8080:80\"]\n    environment:\n      DB_PASSWORD: hunter2\n    deploy: {replicas: 2, resources: {limits: {cpus: '0.5', memory: 50M}}}\n    secrets: [s]\n  db:\n    image: postgres\n    environment: [\"X=1\", API_KEY=k]\n    depends_on: {web: {condition: service_started}}\nsecrets:\n  s:\n    environment: API_TOKEN\nvolumes: {data: {}}\n";

/// Loads `bytes` as the only Compose file of a project, as `berth config`
/// does, and renders the error (masked and not) if there is one.
fn load_and_render(bytes: &[u8]) {
    use berth::load::{self, LoadOptions};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("compose.yaml");
    std::fs::write(&path, bytes).unwrap();
    let opts = LoadOptions {
        files: vec![path.display().to_string()],
        project_name: Some("hostile-prop".into()),
        cwd: dir.path().to_path_buf(),
        ..Default::default()
    };
    if let Err(e) = load::load(&opts) {
        let masked = e.render(false, false);
        let shown = e.render(true, true);
        assert!(!masked.is_empty() && !shown.is_empty());
    }
}

/// Byte edits of the seed: replace, insert or delete at random positions.
fn mutated_seed() -> impl Strategy<Value = Vec<u8>> {
    let edit = (any::<prop::sample::Index>(), 0u8..3, any::<u8>());
    prop::collection::vec(edit, 1..8).prop_map(|edits| {
        let mut bytes = SEED.as_bytes().to_vec();
        for (at, op, byte) in edits {
            let i = at.index(bytes.len() + 1);
            match op {
                0 if i < bytes.len() => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ if i < bytes.len() => {
                    bytes.remove(i);
                }
                _ => {}
            }
        }
        bytes
    })
}

proptest! {
    // Each case loads a whole project (schema included): fewer cases.
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn loading_random_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        load_and_render(&bytes);
    }

    #[test]
    fn loading_mutated_compose_files_never_panics(bytes in mutated_seed()) {
        load_and_render(&bytes);
    }

    #[test]
    fn loading_utf16_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200), be in any::<bool>()) {
        let bom: &[u8] = if be { &[0xfe, 0xff] } else { &[0xff, 0xfe] };
        load_and_render(&[bom, &bytes].concat());
    }

    #[test]
    fn secret_ranges_are_in_bounds(input in any::<String>(), env_file in any::<bool>()) {
        for r in berth::redact::secret_ranges(&input, env_file) {
            prop_assert!(r.start <= r.end && r.end <= input.len());
            prop_assert!(input.is_char_boundary(r.start) && input.is_char_boundary(r.end));
        }
    }
}

/// Seconds each target of [`fuzz_each_target_for_a_while`] runs.
fn fuzz_seconds() -> u64 {
    std::env::var("BERTH_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60)
}

/// Runs `test` on inputs from `strategy` until the time is up; a panic (or a
/// failed check) fails with the smallest input proptest finds.
fn fuzz_for<S: Strategy>(name: &str, strategy: S, test: impl Fn(S::Value))
where
    S::Value: std::fmt::Debug,
{
    use proptest::test_runner::{Config, TestRunner};
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(fuzz_seconds());
    let mut rounds = 0u64;
    while std::time::Instant::now() < deadline {
        // A runner counts its cases: a fresh one (with a fresh random seed)
        // for each round.
        let mut runner = TestRunner::new(Config {
            cases: 256,
            failure_persistence: None,
            ..Config::default()
        });
        if let Err(e) = runner.run(&strategy, |input| {
            test(input);
            Ok(())
        }) {
            panic!("fuzzing {name}: {e}");
        }
        rounds += 1;
    }
    eprintln!("fuzz {name}: {} inputs, no failure", rounds * 256);
}

/// The fuzz targets of `fuzz/` as time-bounded property runs, for machines
/// without cargo-fuzz's nightly toolchain: CI runs them for a minute each
/// (`cargo test --test proptest_loader -- --ignored`).
#[test]
#[ignore = "runs for minutes: CI's fuzz step (BERTH_FUZZ_SECONDS per target)"]
fn fuzz_each_target_for_a_while() {
    fuzz_for("yaml", prop_oneof![any::<String>(), yaml_soup()], |input| {
        let _ = yaml::parse_documents(&input, 0);
    });
    fuzz_for(
        "interpolate",
        prop_oneof![any::<String>(), syntax_soup()],
        |input| {
            let _ = interpolate::substitute(&input, &lookup);
        },
    );
    fuzz_for(
        "dotenv",
        prop_oneof![any::<String>(), syntax_soup()],
        |input| {
            let _ = dotenv::parse(&input, &lookup);
            let _ = dotenv::try_parse_raw(&input, &lookup);
        },
    );
    fuzz_for(
        "loader",
        prop_oneof![prop::collection::vec(any::<u8>(), 0..400), mutated_seed()],
        |bytes| load_and_render(&bytes),
    );
}
