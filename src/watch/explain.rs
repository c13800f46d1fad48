//! `watch --explain PATH`: what each rule does with a path, and why it
//! leaves it out when it does.

use std::path::{Component, Path, PathBuf};

use super::rules::{Action, Rule};

/// What each rule does with `path` (relative to the current directory):
/// one line per rule that covers it, or one saying none does.
pub fn explain(rules: &[Rule], path: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    let absolute = normalize(&cwd.join(path));
    let shown = path.display();
    let is_dir = absolute.is_dir();
    let mut out = String::new();
    for rule in rules {
        let Some(rel) = rule.relative(&absolute) else {
            continue;
        };
        let what = match rule.left_out(&absolute, is_dir) {
            Some(why) => why.to_string(),
            None if rule.action.syncs() => {
                let mut line = format!("synced to {}", rule.container_path(&rel));
                if rule.action == Action::SyncRestart {
                    line.push_str(", then the container restarts");
                } else if rule.action == Action::SyncExec {
                    line.push_str(", then the exec command runs");
                }
                line
            }
            None if rule.action == Action::Rebuild => {
                "a change rebuilds the image and recreates the service".into()
            }
            None => "a change restarts the service's containers".into(),
        };
        out.push_str(&format!(
            "{shown}: service {}, rule `{}`: {what}\n",
            rule.service,
            rule.describe(&cwd)
        ));
    }
    if out.is_empty() {
        out = format!("{shown}: not under the path of any watch rule\n");
    }
    out
}

/// `path` without `.` and `..` components (not resolving links, as the
/// rules' paths do not).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}
