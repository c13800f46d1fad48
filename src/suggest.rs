//! Did-you-mean: the known name closest to a misspelt one.

/// The candidate closest to `given`, if it is close enough to be a typo:
/// within 1 edit (a transposition counts as one) for names of up to 3
/// characters, 2 up to 8, 3 beyond; case, `-` and `_` do not count.
/// Extension keys (`x-...`) are never suggested.
pub fn closest<'c>(given: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    let norm = |s: &str| s.to_ascii_lowercase().replace('-', "_");
    let given_n = norm(given);
    let limit = match given_n.chars().count() {
        0..=3 => 1,
        4..=8 => 2,
        _ => 3,
    };
    candidates
        .filter(|c| !c.starts_with("x-"))
        .map(|c| (strsim::damerau_levenshtein(&given_n, &norm(c)), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn suggests_only_what_is_close() {
        let names = ["web", "db", "worker", "x-common"];
        assert_eq!(closest("wbe", names.into_iter()), Some("web"));
        assert_eq!(closest("Worker", names.into_iter()), Some("worker"));
        assert_eq!(closest("x-comon", names.into_iter()), None);
        assert_eq!(closest("cache", names.into_iter()), None);
    }
}
