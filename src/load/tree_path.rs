//! Tables of dotted path patterns (`services.*.ports`) that the tree walks
//! consult at every node, compiled once so a lookup is a few short compares.

/// Patterns in table order; the first match wins. `*` matches any one part
/// (a key, or `[]` for a sequence item).
pub struct PathTable<T: 'static> {
    entries: Vec<(Vec<&'static str>, &'static T)>,
}

impl<T: 'static> PathTable<T> {
    pub fn new(table: &'static [(&'static str, T)]) -> Self {
        PathTable {
            entries: table
                .iter()
                .map(|(p, v)| (p.split('.').collect(), v))
                .collect(),
        }
    }

    /// The value of the first pattern that matches `path` exactly.
    pub fn find<S: AsRef<str>>(&self, path: &[S]) -> Option<&'static T> {
        self.entries
            .iter()
            .find(|(parts, _)| parts.len() == path.len() && prefix_matches(parts, path))
            .map(|(_, v)| *v)
    }

    /// Whether a longer pattern starts with `path`, so a walk may find a match below it.
    pub fn may_match_below<S: AsRef<str>>(&self, path: &[S]) -> bool {
        self.entries
            .iter()
            .any(|(parts, _)| parts.len() > path.len() && prefix_matches(parts, path))
    }
}

fn prefix_matches<S: AsRef<str>>(parts: &[&str], path: &[S]) -> bool {
    path.iter()
        .zip(parts)
        .all(|(seg, want)| *want == "*" || *want == seg.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    static TABLE: &[(&str, u8)] = &[
        ("services.*", 1),
        ("services.*.ports", 2),
        ("volumes.*.labels", 3),
    ];

    #[test]
    fn first_exact_match_and_prefixes() {
        let t = PathTable::new(TABLE);
        assert_eq!(t.find(&["services", "web"]), Some(&1));
        assert_eq!(t.find(&["services", "web", "ports"]), Some(&2));
        assert_eq!(t.find(&["services", "web", "image"]), None);
        assert!(t.may_match_below(&["services", "web"]));
        assert!(!t.may_match_below(&["services", "web", "environment"]));
        assert!(t.may_match_below::<&str>(&[]));
        assert!(!t.may_match_below(&["networks"]));
    }
}
