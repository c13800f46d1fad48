//! `.dockerignore` patterns, matched the way the Docker Engine's builder
//! matches them (not gitignore): every pattern is anchored at the root, `*`
//! and `?` stay within one path component, `**` spans any number of them, a
//! pattern also matches everything under a matching directory, `!` re-includes,
//! and the last pattern that matches decides.
//!
//! Self-contained on purpose: `watch` uses it for rules' `ignore`/`include`
//! and build contexts' `.dockerignore`; a build context walk can use it too.

use std::path::Path;

use regex::Regex;

/// An ordered list of patterns, as read from a `.dockerignore` file or a
/// watch rule's `ignore` list.
#[derive(Clone, Debug, Default)]
pub struct Patterns {
    patterns: Vec<Pattern>,
}

#[derive(Clone, Debug)]
struct Pattern {
    /// The cleaned pattern text, without its `!`.
    text: String,
    /// A `!` pattern: re-includes what earlier patterns excluded.
    exclusion: bool,
    regex: Regex,
}

/// A pattern that cannot be used, with the reason.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid ignore pattern {pattern:?}: {reason}")]
pub struct PatternError {
    pub pattern: String,
    pub reason: String,
}

impl Patterns {
    /// The patterns of a `.dockerignore` file: one per line, `#` comments
    /// and blank lines skipped.
    pub fn parse_file(text: &str) -> Result<Patterns, PatternError> {
        Patterns::new(
            text.lines()
                .filter(|line| !line.starts_with('#'))
                .map(str::trim)
                .filter(|line| !line.is_empty()),
        )
    }

    /// The `.dockerignore` of `dir`, or no patterns when it has none.
    pub fn read_dir_file(dir: &Path) -> Result<Patterns, PatternError> {
        match std::fs::read_to_string(dir.join(".dockerignore")) {
            Ok(text) => Patterns::parse_file(&text),
            Err(_) => Ok(Patterns::default()),
        }
    }

    /// Patterns from a list, in order.
    pub fn new<S: AsRef<str>>(
        lines: impl IntoIterator<Item = S>,
    ) -> Result<Patterns, PatternError> {
        let mut patterns = Vec::new();
        for line in lines {
            let line = line.as_ref().trim();
            let (exclusion, body) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            if body.is_empty() {
                if exclusion {
                    return Err(PatternError {
                        pattern: line.to_string(),
                        reason: "`!` needs a pattern after it".into(),
                    });
                }
                continue;
            }
            let text = clean(body);
            let regex = Regex::new(&to_regex(&text)).map_err(|e| PatternError {
                pattern: line.to_string(),
                reason: e.to_string(),
            })?;
            patterns.push(Pattern {
                text,
                exclusion,
                regex,
            });
        }
        Ok(Patterns { patterns })
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether the patterns exclude `path` (relative, `/`-separated): the
    /// last pattern matching it or one of its parent directories decides.
    pub fn matches(&self, path: &str) -> bool {
        self.excluded_by(path).is_some()
    }

    /// The pattern that excludes `path`, as [`Self::matches`] decides; `None`
    /// when it is not excluded.
    pub fn excluded_by(&self, path: &str) -> Option<&str> {
        let parents: Vec<&str> = match path.rfind('/') {
            Some(end) => path[..end].split('/').collect(),
            None => Vec::new(),
        };
        let mut matched: Option<&str> = None;
        for pattern in &self.patterns {
            // Only a pattern that could change the answer is tried.
            if pattern.exclusion != matched.is_some() {
                continue;
            }
            let hit = pattern.regex.is_match(path)
                || (1..=parents.len()).any(|n| pattern.regex.is_match(&parents[..n].join("/")));
            if hit {
                matched = (!pattern.exclusion).then_some(pattern.text.as_str());
            }
        }
        matched
    }

    /// Whether an excluded directory must still be walked because a `!`
    /// pattern may re-include something beneath it.
    pub fn may_include_under(&self, dir: &str) -> bool {
        let dir: Vec<&str> = dir.split('/').collect();
        self.patterns.iter().filter(|p| p.exclusion).any(|p| {
            let parts: Vec<&str> = p.text.split('/').collect();
            for (i, name) in dir.iter().enumerate() {
                let Some(part) = parts.get(i) else {
                    // The pattern names an ancestor of the directory.
                    return true;
                };
                if part.contains("**") {
                    return true;
                }
                let component = Regex::new(&to_regex(part));
                if !component.is_ok_and(|re| re.is_match(name)) {
                    return false;
                }
            }
            true
        })
    }
}

/// Cleans a pattern as Docker does: no `.` or empty components, `..` folded,
/// no leading `/` (every pattern is anchored at the root anyway).
fn clean(pattern: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in pattern.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
                    parts.pop();
                } else if !pattern.starts_with('/') {
                    parts.push("..");
                }
            }
            _ => parts.push(part),
        }
    }
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

/// The anchored regular expression of a cleaned pattern.
fn to_regex(pattern: &str) -> String {
    let mut regex = String::from("^");
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                // `**/` is `**`: any number of components, none included.
                if chars.peek() == Some(&'/') {
                    chars.next();
                }
                regex.push_str(if chars.peek().is_none() {
                    ".*"
                } else {
                    "(.*/)?"
                });
            }
            '*' => regex.push_str("[^/]*"),
            '?' => regex.push_str("[^/]"),
            '\\' => match chars.next() {
                Some(next) => regex.push_str(&regex::escape(&next.to_string())),
                None => regex.push_str(r"\\"),
            },
            // Character classes pass through (`[^a]` negates, as in Go).
            '[' | ']' | '^' | '-' => regex.push(c),
            _ => regex.push_str(&regex::escape(&c.to_string())),
        }
    }
    regex.push('$');
    regex
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excluded(patterns: &[&str], path: &str) -> bool {
        Patterns::new(patterns).unwrap().matches(path)
    }

    #[test]
    fn patterns_are_anchored_at_the_root() {
        assert!(excluded(&["foo"], "foo"));
        assert!(!excluded(&["foo"], "a/foo"));
        assert!(excluded(&["/foo"], "foo"));
        assert!(excluded(&["./foo/"], "foo"));
        assert!(excluded(&["a/../foo"], "foo"));
    }

    #[test]
    fn a_matching_directory_excludes_everything_under_it() {
        assert!(excluded(&["node_modules"], "node_modules/x/y.js"));
        assert!(excluded(&["a/b"], "a/b/c"));
        assert!(!excluded(&["a/b"], "a/bc"));
    }

    #[test]
    fn star_and_question_mark_stay_within_a_component() {
        assert!(excluded(&["*.md"], "README.md"));
        assert!(!excluded(&["*.md"], "docs/README.md"));
        assert!(excluded(&["*/*.md"], "docs/README.md"));
        assert!(excluded(&["fo?"], "foo"));
        assert!(!excluded(&["fo?"], "fo/"));
        assert!(!excluded(&["a?b"], "a/b"));
    }

    #[test]
    fn double_star_spans_any_number_of_components() {
        assert!(excluded(&["**/*.md"], "README.md"));
        assert!(excluded(&["**/*.md"], "a/b/c.md"));
        assert!(excluded(&["a/**/z"], "a/z"));
        assert!(excluded(&["a/**/z"], "a/b/c/z"));
        assert!(excluded(&["a/**"], "a/b/c"));
        assert!(excluded(&["**"], "anything/at/all"));
    }

    #[test]
    fn the_last_matching_pattern_wins() {
        let allow_list = ["*", "!src"];
        assert!(excluded(&allow_list, "README.md"));
        assert!(!excluded(&allow_list, "src"));
        assert!(!excluded(&allow_list, "src/main.rs"));
        assert!(excluded(&["*.log", "!keep.log"], "other.log"));
        assert!(!excluded(&["*.log", "!keep.log"], "keep.log"));
        assert!(excluded(&["*.log", "!keep.log", "keep*"], "keep.log"));
    }

    #[test]
    fn character_classes_and_escapes_follow_go() {
        assert!(excluded(&["[a-c].txt"], "b.txt"));
        assert!(!excluded(&["[^a-c].txt"], "b.txt"));
        assert!(excluded(&["[^a-c].txt"], "d.txt"));
        assert!(excluded(&[r"\*.txt"], "*.txt"));
        assert!(!excluded(&[r"\*.txt"], "a.txt"));
        assert!(excluded(&["a+b(c).txt"], "a+b(c).txt"));
    }

    #[test]
    fn a_dockerignore_file_skips_comments_and_blank_lines() {
        let p = Patterns::parse_file("# comment\n\n  build  \n!build/keep\n").unwrap();
        assert!(p.matches("build/x"));
        assert!(!p.matches("build/keep"));
        assert!(!p.matches("# comment"));
    }

    #[test]
    fn a_lone_bang_is_refused() {
        assert!(Patterns::new(["!"]).is_err());
    }

    #[test]
    fn excluded_directories_are_walked_only_when_something_may_come_back() {
        let p = Patterns::new([
            "node_modules",
            "build",
            "!build/keep",
            "cache",
            "!**/*.keep",
        ])
        .unwrap();
        let q = Patterns::new(["node_modules", "build", "!build/keep"]).unwrap();
        assert!(!q.may_include_under("node_modules"));
        assert!(q.may_include_under("build"));
        assert!(!q.may_include_under("build/other"));
        assert!(p.may_include_under("cache"), "`**` may reach anywhere");
    }

    #[test]
    fn a_dockerignore_file_is_read_as_the_builder_reads_it() {
        let excluded = |text: &str, path: &str| Patterns::parse_file(text).unwrap().matches(path);
        let text = "# a comment\n\n   \n  tmp  \nx/../y\n[^a]b\n";
        assert!(excluded(text, "tmp/a"));
        assert!(excluded(text, "y"));
        assert!(!excluded(text, "x"));
        assert!(!excluded(text, "# a comment"));
        assert!(excluded(text, "xb"));
        assert!(!excluded(text, "ab"));
        // Everything but one directory, a common allow-list.
        let text = "*\n!src\n";
        assert!(excluded(text, "target/debug/x"));
        assert!(!excluded(text, "src/main.rs"));
    }
}
