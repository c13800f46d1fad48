//! Release builds for x86_64 Linux lay out the functions berth's common
//! commands run next to each other, listed in `link/hot-symbols.txt`.
//!
//! Why: the kernel maps a program's code in 64 KiB blocks around each page
//! it touches, so code scattered over the 11 MB `.text` costs memory
//! (resident size) for every block a command touches. With the functions
//! that `version`, `ps`, `config`, `up` and `down` run placed first, those
//! commands touch about 2 MB of code instead of 4 to 9 MB.
//! `bench/hot-symbols.sh` regenerates the list; a stale list (after a
//! dependency or toolchain update renames symbols) only costs memory again:
//! symbols not found are skipped.
//!
//! Only with rust-lld, Rust's default linker for this target since 1.90, as
//! the option is LLD's; `BERTH_NO_SYMBOL_ORDER=1` turns it off.

use std::env;
use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=link/hot-symbols.txt");
    println!("cargo:rerun-if-env-changed=BERTH_NO_SYMBOL_ORDER");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    let var = |name: &str| env::var(name).unwrap_or_default();
    if var("PROFILE") != "release"
        || var("TARGET") != "x86_64-unknown-linux-gnu"
        || !default_linker()
    {
        return;
    }
    // Relative relocations packed into a bitmap (DT_RELR): the loader reads
    // a few KB at start instead of 440 KB of `.rela.dyn`, which every
    // command paid in resident memory. glibc 2.36 reads the format; an
    // older one refuses the binary, so only a build for this machine (the
    // usual `cargo install`) on such a glibc uses it.
    if var("HOST") == var("TARGET") && glibc_reads_relr() {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    let order = Path::new(&var("CARGO_MANIFEST_DIR")).join("link/hot-symbols.txt");
    if !var("BERTH_NO_SYMBOL_ORDER").is_empty() || !order.is_file() {
        return;
    }
    println!(
        "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
        order.display()
    );
    println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    // The map lets bench/hot-symbols.sh name the functions of a stripped binary.
    println!(
        "cargo:rustc-link-arg-bins=-Wl,-Map={}/berth.map",
        var("OUT_DIR")
    );
}

/// Whether this machine's glibc is 2.36 or later (`getconf` prints
/// "glibc 2.36"); `false` when it cannot tell, as on musl.
fn glibc_reads_relr() -> bool {
    let Ok(out) = Command::new("getconf").arg("GNU_LIBC_VERSION").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(version) = text.trim().strip_prefix("glibc ") else {
        return false;
    };
    at_least(version, (2, 36))
}

/// Whether the dotted `version` ("2.36", "1.95.0") is at least `wanted`.
fn at_least(version: &str, wanted: (u32, u32)) -> bool {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let found = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    found >= wanted
}

/// Whether the link is rust-lld's: rustc 1.90 or later, and no linker or
/// linker flavour chosen by the caller.
fn default_linker() -> bool {
    if env::var_os("RUSTC_LINKER").is_some() {
        return false;
    }
    let flags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    if flags.contains("linker") || flags.contains("link-self-contained") {
        return false;
    }
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let Ok(out) = Command::new(rustc).arg("--version").output() else {
        return false;
    };
    // "rustc 1.95.0 (59807616e 2026-04-14)"
    let text = String::from_utf8_lossy(&out.stdout);
    at_least(text.split_whitespace().nth(1).unwrap_or(""), (1, 90))
}
