//! `.dockerignore` rules with Docker's semantics, which are not gitignore's:
//! every pattern is anchored at the context root (a leading `/` changes
//! nothing), `*` and `?` stop at `/`, `**` spans any number of directories,
//! a pattern that matches a directory also matches everything beneath it,
//! and the last matching line wins (`!` lines re-include).

use globset::{GlobBuilder, GlobMatcher};

/// One line of a `.dockerignore` file, compiled.
#[derive(Clone, Debug)]
struct Rule {
    matcher: GlobMatcher,
    /// A `!` line: what it matches is sent after all.
    exception: bool,
}

/// The rules of one `.dockerignore` file, in file order.
#[derive(Clone, Debug, Default)]
pub struct IgnoreRules {
    rules: Vec<Rule>,
}

/// A pattern that cannot be compiled, with its line.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: invalid pattern {pattern:?}: {reason}")]
pub struct PatternError {
    pub line: usize,
    pub pattern: String,
    pub reason: String,
}

impl IgnoreRules {
    /// Parses the text of a `.dockerignore` file.
    pub fn parse(text: &str) -> Result<Self, PatternError> {
        let mut rules = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (exception, pattern) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            let pattern = clean(pattern);
            if pattern.is_empty() {
                continue;
            }
            let error = |reason: String| PatternError {
                line: index + 1,
                pattern: raw.to_string(),
                reason,
            };
            let glob = GlobBuilder::new(&go_to_glob(&pattern))
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| error(e.kind().to_string()))?;
            rules.push(Rule {
                matcher: glob.compile_matcher(),
                exception,
            });
        }
        Ok(IgnoreRules { rules })
    }

    /// Whether some rule re-includes paths: then an excluded directory must
    /// still be walked, since something beneath it may be sent.
    pub fn has_exceptions(&self) -> bool {
        self.rules.iter().any(|r| r.exception)
    }

    /// Whether `path` (relative to the context root, `/`-separated) is left
    /// out: the last rule that matches it or one of its parent directories decides.
    pub fn is_excluded(&self, path: &str) -> bool {
        let parents: Vec<&str> = path.match_indices('/').map(|(at, _)| &path[..at]).collect();
        let mut excluded = false;
        for rule in &self.rules {
            // Only a rule that could change the verdict is worth trying.
            if rule.exception != excluded {
                continue;
            }
            let matches = rule.matcher.is_match(path)
                || parents.iter().any(|parent| rule.matcher.is_match(parent));
            if matches {
                excluded = !rule.exception;
            }
        }
        excluded
    }
}

/// Go's `filepath.Clean` of a pattern, without its leading `/`: `./a//b/`
/// becomes `a/b`, `a/../b` becomes `b`.
fn clean(pattern: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in pattern.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

/// Go's `filepath.Match` syntax in globset's: a negated class is `[^...]`
/// in Go and `[!...]` in globset.
fn go_to_glob(pattern: &str) -> String {
    pattern.replace("[^", "[!")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excluded(rules: &str, path: &str) -> bool {
        IgnoreRules::parse(rules).unwrap().is_excluded(path)
    }

    #[test]
    fn patterns_are_anchored_at_the_root() {
        assert!(excluded("foo", "foo"));
        assert!(
            !excluded("foo", "sub/foo"),
            "not gitignore: no match at depth"
        );
        assert!(excluded("/foo", "foo"), "a leading slash changes nothing");
        assert!(excluded("./foo/", "foo"));
    }

    #[test]
    fn a_directory_pattern_covers_its_contents() {
        assert!(excluded("node_modules", "node_modules/a/b.js"));
        assert!(excluded("a/b", "a/b/c/d"));
        assert!(!excluded("a/b", "a/bc"));
    }

    #[test]
    fn stars_stop_at_slashes_and_double_stars_do_not() {
        assert!(excluded("*.log", "x.log"));
        assert!(!excluded("*.log", "dir/x.log"));
        assert!(excluded("*/*.log", "dir/x.log"));
        assert!(excluded("**/*.log", "x.log"));
        assert!(excluded("**/*.log", "a/b/c/x.log"));
        assert!(excluded("a/**/z", "a/z"));
        assert!(excluded("a/**/z", "a/b/c/z"));
        assert!(excluded("?.txt", "a.txt"));
        assert!(!excluded("?.txt", "ab.txt"));
        assert!(excluded("[^a]b", "xb"));
        assert!(!excluded("[^a]b", "ab"));
    }

    #[test]
    fn the_last_matching_line_wins() {
        let rules = "*.md\n!README.md\n";
        assert!(excluded(rules, "CHANGES.md"));
        assert!(!excluded(rules, "README.md"));
        let rules = "!README.md\n*.md\n";
        assert!(excluded(rules, "README.md"));
        // Everything but one directory (a common whitelist).
        let rules = "*\n!src\n";
        assert!(excluded(rules, "target/debug/x"));
        assert!(!excluded(rules, "src/main.rs"));
        assert!(
            IgnoreRules::parse(rules).unwrap().has_exceptions(),
            "an excluded directory may hold re-included files"
        );
    }

    #[test]
    fn comments_blank_lines_and_dot_dot_are_handled() {
        let rules = "# a comment\n\n   \n  tmp  \nx/../y\n";
        assert!(excluded(rules, "tmp/a"));
        assert!(excluded(rules, "y"));
        assert!(!excluded(rules, "x"));
        assert!(!excluded(rules, "# a comment"));
    }

    #[test]
    fn a_bad_pattern_names_its_line() {
        let err = IgnoreRules::parse("ok\n[unclosed\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.to_string().contains("[unclosed"), "{err}");
    }
}
