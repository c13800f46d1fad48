//! C's `pow`, defined in berth so that the dynamic loader does not load
//! libm.so.6 at all.
//!
//! The one call into libm left in berth's dependencies is indicatif's ETA
//! estimator (`f64::powf`, which Rust lowers to C's `pow`). Loading libm
//! for it put about 330 KiB of its pages into every command's memory: its
//! symbol tables, and the code around the `IFUNC` resolvers the loader runs
//! at start-up (bench/README.md, `footprint.sh`). The `libm` crate is
//! Rust's port of musl's libm, accurate to under one ULP.

/// `pow(x, y)`: `x` raised to the power `y`, as C's libm defines it.
#[unsafe(no_mangle)]
pub extern "C" fn pow(x: f64, y: f64) -> f64 {
    libm::pow(x, y)
}

#[cfg(test)]
mod tests {
    #[test]
    fn powers_are_libm_s() {
        assert_eq!(super::pow(2.0, 10.0), 1024.0);
        assert_eq!(super::pow(0.1, 0.0), 1.0);
        assert!((super::pow(10.0, -0.5) - 0.316_227_766_016_837_94).abs() < 1e-16);
    }
}
