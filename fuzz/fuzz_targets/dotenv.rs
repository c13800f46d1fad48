//! `.env` parsing (Compose syntax and the raw format): never panics, and
//! errors point inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fn lookup(name: &str) -> Option<String> {
    (name == "HOME").then(|| "/home/fuzz".to_string())
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = berth::load::dotenv::parse(text, &lookup) {
        assert!(e.line >= 1 && e.col >= 1);
        assert!(e.line <= text.split('\n').count());
    }
    let _ = berth::load::dotenv::try_parse_raw(text, &lookup);
});
