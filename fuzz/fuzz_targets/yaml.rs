//! YAML text → node trees: must return a tree or an error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = berth::load::yaml::parse_documents(text, 0);
    }
});
