//! `${VAR}` substitution: never panics, invalid offsets point at a `$`, and
//! escaping every `$` as `$$` gives the input back.
#![no_main]

use libfuzzer_sys::fuzz_target;

fn lookup(name: &str) -> Option<String> {
    match name {
        "A" => Some("a".into()),
        "E" => Some(String::new()),
        "D" => Some("${A}$".into()),
        _ => None,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    use berth::load::interpolate::{InterpolationError, substitute};
    if let Err(InterpolationError::Invalid { offset }) = substitute(text, &lookup) {
        assert_eq!(
            text.as_bytes().get(offset),
            Some(&b'$'),
            "offset {offset} of {text:?}"
        );
    }
    let escaped = text.replace('$', "$$");
    assert_eq!(
        substitute(&escaped, &lookup),
        Ok((text.to_string(), vec![]))
    );
});
