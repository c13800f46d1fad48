//! `develop.watch` rules, compiled: which host paths a rule covers, which
//! of them it ignores, and where they go in the container.

use std::path::{Path, PathBuf};

use crate::engine::ExecSpec;
use crate::ignore::Patterns;
use crate::reconcile::desired::{Desired, DesiredService};

/// What a rule does when files under its path change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Sync,
    Restart,
    SyncRestart,
    SyncExec,
    Rebuild,
}

impl Action {
    fn parse(text: &str) -> Option<Action> {
        Some(match text {
            "sync" => Action::Sync,
            "restart" => Action::Restart,
            "sync+restart" => Action::SyncRestart,
            "sync+exec" => Action::SyncExec,
            "rebuild" => Action::Rebuild,
            _ => return None,
        })
    }

    /// Whether files are copied into the containers.
    pub fn syncs(self) -> bool {
        matches!(self, Action::Sync | Action::SyncRestart | Action::SyncExec)
    }
}

/// One `develop.watch` entry of a service.
#[derive(Debug)]
pub struct Rule {
    pub service: String,
    pub action: Action,
    /// Host path, absolute: a directory or a single file.
    pub path: PathBuf,
    /// Container path the rule's `path` maps to (sync actions).
    pub target: String,
    pub initial_sync: bool,
    /// The `exec` of `sync+exec`.
    pub exec: Option<ExecSpec>,
    filter: Filter,
}

/// What a rule leaves out.
#[derive(Debug)]
struct Filter {
    /// The rule's `include`: when set, only what it matches (relative to `path`).
    include: Option<Patterns>,
    /// The rule's `ignore` (relative to `path`).
    ignore: Patterns,
    /// The build context's `.dockerignore`, relative to the context.
    dockerignore: Option<(PathBuf, Patterns)>,
    /// The compose files and the Dockerfile: never synced unless included.
    never: Vec<PathBuf>,
}

impl Rule {
    /// A key naming the rule in manifests: its host path and its target.
    pub fn key(&self) -> String {
        format!("{} -> {}", self.path.display(), self.target)
    }

    /// `path` relative to the rule's path, `/`-separated; `None` when the
    /// rule does not cover it (a component-wise prefix, so `/a` is not under `/ab`).
    pub fn relative(&self, path: &Path) -> Option<String> {
        let rel = path.strip_prefix(&self.path).ok()?;
        Some(rel.to_string_lossy().into_owned())
    }

    /// The host path of `rel` (relative to the rule's path): the rule's
    /// path itself when empty (a single file's path takes no `/`).
    pub fn host_path(&self, rel: &str) -> PathBuf {
        if rel.is_empty() {
            self.path.clone()
        } else {
            self.path.join(rel)
        }
    }

    /// The container path of `rel` (relative to the rule's path).
    pub fn container_path(&self, rel: &str) -> String {
        if rel.is_empty() {
            self.target.clone()
        } else {
            format!("{}/{rel}", self.target.trim_end_matches('/'))
        }
    }

    /// Whether the rule leaves `path` (covered by the rule) out.
    pub fn ignores(&self, path: &Path, is_dir: bool) -> bool {
        self.left_out(path, is_dir).is_some()
    }

    /// Why the rule leaves `path` out, or `None` when it keeps it.
    pub fn left_out(&self, path: &Path, is_dir: bool) -> Option<Skip<'_>> {
        let Some(rel) = self.relative(path) else {
            return Some(Skip::NotCovered);
        };
        let f = &self.filter;
        let included = |rel: &str| f.include.as_ref().is_none_or(|p| p.matches(rel));
        if !rel.is_empty()
            && let Some(pattern) = builtin_ignored(&rel)
        {
            return Some(Skip::Builtin(pattern));
        }
        // The compose files and the Dockerfile are not copied into the
        // containers; they still trigger rebuilds and restarts.
        if self.action.syncs() && f.never.iter().any(|n| n == path) {
            return (!f.include.as_ref().is_some_and(|p| p.matches(&rel))).then_some(Skip::Never);
        }
        if !rel.is_empty()
            && let Some(pattern) = f.ignore.excluded_by(&rel)
        {
            return Some(Skip::Ignore(pattern));
        }
        if let Some((context, patterns)) = &f.dockerignore
            && let Ok(in_context) = path.strip_prefix(context)
        {
            let in_context = in_context.to_string_lossy();
            if !in_context.is_empty()
                && let Some(pattern) = patterns.excluded_by(&in_context)
            {
                return Some(Skip::DockerIgnore(pattern));
            }
        }
        // A directory is walked even when `include` does not name it: what
        // is under it may match.
        (!is_dir && !rel.is_empty() && !included(&rel)).then_some(Skip::NotIncluded)
    }

    /// The rule as written: `sync ./src -> /app`.
    pub fn describe(&self, base: &Path) -> String {
        let path = match self.path.strip_prefix(base) {
            Ok(rel) if rel.as_os_str().is_empty() => ".".to_string(),
            Ok(rel) => format!("./{}", rel.display()),
            Err(_) => self.path.display().to_string(),
        };
        let action = match self.action {
            Action::Sync => "sync",
            Action::Restart => "restart",
            Action::SyncRestart => "sync+restart",
            Action::SyncExec => "sync+exec",
            Action::Rebuild => "rebuild",
        };
        if self.action.syncs() {
            format!("{action} {path} -> {}", self.target)
        } else {
            format!("{action} {path}")
        }
    }

    /// Whether a walk skips the directory `dir` and everything under it:
    /// ignored, and no `!` pattern can bring anything under it back.
    pub fn prunes(&self, dir: &Path) -> bool {
        let Some(rel) = self.relative(dir) else {
            return true;
        };
        if rel.is_empty() {
            return false;
        }
        let f = &self.filter;
        if builtin_ignored(&rel).is_some() || rel.rsplit('/').next() == Some(".idea") {
            return true;
        }
        if f.ignore.matches(&rel) && !f.ignore.may_include_under(&rel) {
            return true;
        }
        if let Some((context, patterns)) = &f.dockerignore
            && let Ok(in_context) = dir.strip_prefix(context)
        {
            let in_context = in_context.to_string_lossy();
            if !in_context.is_empty()
                && patterns.matches(&in_context)
                && !patterns.may_include_under(&in_context)
            {
                return true;
            }
        }
        false
    }
}

/// Why a rule leaves a path out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip<'a> {
    /// Not under the rule's path.
    NotCovered,
    /// `.git`, or an editor's temporary file (the pattern).
    Builtin(&'static str),
    /// A compose file or the Dockerfile, which sync rules never copy.
    Never,
    /// The rule's `ignore` (the pattern).
    Ignore(&'a str),
    /// The build context's `.dockerignore` (the pattern).
    DockerIgnore(&'a str),
    /// Not matched by the rule's `include`.
    NotIncluded,
}

impl std::fmt::Display for Skip<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Skip::NotCovered => write!(f, "not under the rule's path"),
            Skip::Builtin(".git") => write!(f, "ignored: .git is never synced"),
            Skip::Builtin(pattern) => {
                write!(f, "ignored: an editor's temporary file ({pattern})")
            }
            Skip::Never => write!(
                f,
                "ignored: compose files and the Dockerfile are never synced (unless the rule's include names them)"
            ),
            Skip::Ignore(pattern) => write!(f, "ignored by the rule's ignore pattern {pattern:?}"),
            Skip::DockerIgnore(pattern) => write!(
                f,
                "ignored by the build context's .dockerignore pattern {pattern:?}"
            ),
            Skip::NotIncluded => write!(f, "ignored: not matched by the rule's include"),
        }
    }
}

/// `.git` anywhere, and the temporary files editors write next to the
/// files they save: Docker Compose's list (JetBrains, emacs, vim, kate, and
/// the Go toolchain's umask probe). The pattern that matches, if any.
fn builtin_ignored(rel: &str) -> Option<&'static str> {
    let mut dirs = rel.split('/').rev().skip(1);
    if rel.split('/').any(|c| c == ".git") {
        return Some(".git");
    }
    if dirs.any(|c| c == ".idea") {
        return Some(".idea/**");
    }
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let dotted =
        |ext: &str| name.starts_with('.') && name.len() > ext.len() + 1 && name.ends_with(ext);
    Some(if name.ends_with("___jb_old___") {
        "*___jb_old___"
    } else if name.ends_with("___jb_tmp___") {
        "*___jb_tmp___"
    } else if name.starts_with(".#") {
        ".#*"
    } else if name.len() > 1 && name.starts_with('#') && name.ends_with('#') {
        "#*#"
    } else if name == "4913" {
        "4913"
    } else if name.ends_with('~') {
        "*~"
    } else if let Some(ext) = [".swp", ".swx", ".swo", ".swn"]
        .into_iter()
        .find(|ext| dotted(ext))
    {
        match ext {
            ".swp" => ".*.swp",
            ".swx" => ".*.swx",
            ".swo" => ".*.swo",
            _ => ".*.swn",
        }
    } else if dotted(".kate-swp") {
        ".*.kate-swp"
    } else if name.ends_with("-go-tmp-umask") {
        "*-go-tmp-umask"
    } else {
        return None;
    })
}

/// A problem with a service's `develop.watch` section.
#[derive(Debug, thiserror::Error)]
#[error("service {service:?}: develop.watch: {problem}")]
pub struct RuleError {
    pub service: String,
    #[source]
    pub problem: RuleProblem,
}

/// What is wrong with a `develop.watch` rule.
#[derive(Debug, thiserror::Error)]
pub enum RuleProblem {
    #[error(transparent)]
    Pattern(#[from] crate::ignore::PatternError),
    #[error("{0} (in the build context's .dockerignore)")]
    Dockerignore(#[source] crate::build::context::IgnoreFileError),
    #[error("unknown action {0:?}: use sync, rebuild, restart, sync+restart or sync+exec")]
    UnknownAction(String),
    #[error("a rebuild rule needs a build section to rebuild the image from")]
    RebuildWithoutBuild,
    #[error("a sync+exec rule needs exec.command")]
    ExecWithoutCommand,
}

/// The rules of `services` (all of the project's when empty) that have a
/// `develop.watch` section.
pub fn compile(desired: &Desired, services: &[String]) -> Result<Vec<Rule>, RuleError> {
    let mut rules = Vec::new();
    for service in desired.services.values() {
        if !services.is_empty() && !services.contains(&service.name) {
            continue;
        }
        rules.extend(service_rules(desired, service)?);
    }
    Ok(rules)
}

fn service_rules(desired: &Desired, service: &DesiredService) -> Result<Vec<Rule>, RuleError> {
    let Some(develop) = &service.develop else {
        return Ok(Vec::new());
    };
    let fail = |problem: RuleProblem| RuleError {
        service: service.name.clone(),
        problem,
    };
    let patterns = |list: &[String]| Patterns::new(list).map_err(|e| fail(e.into()));
    let context = service
        .build
        .as_ref()
        .map(|b| (b.context.clone(), b.dockerfile.clone()));
    let dockerignore = match &context {
        Some((context, dockerfile)) => {
            let (_, patterns) = crate::build::context::ignore_rules(context, dockerfile.as_deref())
                .map_err(|e| fail(RuleProblem::Dockerignore(e)))?;
            Some((context.clone(), patterns))
        }
        None => None,
    };
    let mut never = desired.config_files.clone();
    never.extend(
        context
            .iter()
            .filter_map(|(_, dockerfile)| dockerfile.clone()),
    );
    let mut rules = Vec::new();
    for trigger in &develop.watch {
        let action = Action::parse(&trigger.action)
            .ok_or_else(|| fail(RuleProblem::UnknownAction(trigger.action.clone())))?;
        if action == Action::Rebuild && service.build.is_none() {
            return Err(fail(RuleProblem::RebuildWithoutBuild));
        }
        if action == Action::SyncExec && trigger.exec.command.is_none() {
            return Err(fail(RuleProblem::ExecWithoutCommand));
        }
        let exec =
            (action == Action::SyncExec).then(|| crate::reconcile::desired::hook(&trigger.exec));
        rules.push(Rule {
            service: service.name.clone(),
            action,
            path: PathBuf::from(&trigger.path),
            target: trigger.target.clone(),
            initial_sync: trigger.initial_sync,
            exec,
            filter: Filter {
                include: if trigger.include.is_empty() {
                    None
                } else {
                    Some(patterns(&trigger.include)?)
                },
                ignore: patterns(&trigger.ignore)?,
                dockerignore: dockerignore.clone(),
                never: never.clone(),
            },
        });
    }
    Ok(rules)
}

impl Rule {
    /// A `sync` rule of `service` from `path` to `target` that leaves
    /// nothing out.
    #[cfg(test)]
    pub fn plain_sync(service: &str, path: &Path, target: &str) -> Rule {
        Rule {
            service: service.into(),
            action: Action::Sync,
            path: path.to_path_buf(),
            target: target.into(),
            initial_sync: false,
            exec: None,
            filter: Filter {
                include: None,
                ignore: Patterns::default(),
                dockerignore: None,
                never: Vec::new(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(ignore: &[&str], include: &[&str]) -> Rule {
        Rule {
            service: "web".into(),
            action: Action::Sync,
            path: PathBuf::from("/p/src"),
            target: "/app".into(),
            initial_sync: false,
            exec: None,
            filter: Filter {
                include: (!include.is_empty()).then(|| Patterns::new(include).unwrap()),
                ignore: Patterns::new(ignore).unwrap(),
                dockerignore: Some((PathBuf::from("/p"), Patterns::new(["src/secret"]).unwrap())),
                never: vec![PathBuf::from("/p/src/compose.yaml")],
            },
        }
    }

    #[test]
    fn paths_map_under_the_target_component_wise() {
        let r = rule(&[], &[]);
        assert_eq!(
            r.relative(Path::new("/p/src/a/b.js")).as_deref(),
            Some("a/b.js")
        );
        assert_eq!(r.relative(Path::new("/p/srcx/a")), None);
        assert_eq!(r.container_path("a/b.js"), "/app/a/b.js");
        assert_eq!(r.container_path(""), "/app");
    }

    #[test]
    fn ignores_come_from_the_rule_the_dockerignore_and_editors() {
        let r = rule(&["node_modules", "*.log"], &[]);
        let ignored = |p: &str| r.ignores(Path::new(p), false);
        assert!(ignored("/p/src/node_modules/x/index.js"));
        assert!(ignored("/p/src/debug.log"));
        assert!(
            ignored("/p/src/secret"),
            "the build context's .dockerignore"
        );
        assert!(ignored("/p/src/.git/HEAD"));
        assert!(ignored("/p/src/a/.main.rs.swp"));
        assert!(ignored("/p/src/a/main.rs~"));
        assert!(ignored("/p/src/4913"));
        assert!(ignored("/p/src/.#main.rs"));
        assert!(
            ignored("/p/src/compose.yaml"),
            "compose files are never synced"
        );
        assert!(!ignored("/p/src/a/debug.log"));
        assert!(!ignored("/p/src/index.js"));
    }

    #[test]
    fn include_keeps_only_what_it_matches_and_can_bring_back_the_compose_file() {
        let r = rule(&[], &["*.js", "compose.yaml"]);
        assert!(!r.ignores(Path::new("/p/src/index.js"), false));
        assert!(r.ignores(Path::new("/p/src/index.css"), false));
        assert!(!r.ignores(Path::new("/p/src/assets"), true));
        assert!(!r.ignores(Path::new("/p/src/compose.yaml"), false));
    }

    #[test]
    fn ignored_directories_are_pruned_from_walks() {
        let r = rule(&["node_modules"], &[]);
        assert!(r.prunes(Path::new("/p/src/node_modules")));
        assert!(r.prunes(Path::new("/p/src/.git")));
        assert!(!r.prunes(Path::new("/p/src/lib")));
        assert!(!r.prunes(Path::new("/p/src")));
    }

    #[test]
    fn only_editors_temporary_files_are_left_out_as_docker_compose_does() {
        let r = rule(&[], &[]);
        let why = |p: &str| r.left_out(Path::new(p), false);
        for kept in [
            "/p/src/data.tmp",
            "/p/src/a#b",
            "/p/src/.swp",
            "/p/src/x.swp",
        ] {
            assert_eq!(why(kept), None, "{kept}");
        }
        assert_eq!(
            why("/p/src/a.js___jb_tmp___"),
            Some(Skip::Builtin("*___jb_tmp___"))
        );
        assert_eq!(
            why("/p/src/a.js___jb_old___"),
            Some(Skip::Builtin("*___jb_old___"))
        );
        assert_eq!(why("/p/src/#a.js#"), Some(Skip::Builtin("#*#")));
        assert_eq!(why("/p/src/.a.js.swx"), Some(Skip::Builtin(".*.swx")));
        assert_eq!(
            why("/p/src/.a.kate-swp"),
            Some(Skip::Builtin(".*.kate-swp"))
        );
        assert_eq!(
            why("/p/src/x-go-tmp-umask"),
            Some(Skip::Builtin("*-go-tmp-umask"))
        );
        assert_eq!(
            why("/p/src/.idea/workspace.xml"),
            Some(Skip::Builtin(".idea/**"))
        );
        assert!(r.prunes(Path::new("/p/src/.idea")));
    }

    #[test]
    fn the_reason_names_the_pattern() {
        let r = rule(&["*.log", "!keep.log"], &[]);
        let why = |p: &str| r.left_out(Path::new(p), false);
        assert_eq!(why("/p/src/debug.log"), Some(Skip::Ignore("*.log")));
        assert_eq!(why("/p/src/keep.log"), None);
        assert_eq!(why("/p/src/secret"), Some(Skip::DockerIgnore("src/secret")));
        assert_eq!(why("/p/src/compose.yaml"), Some(Skip::Never));
        assert_eq!(why("/p/other"), Some(Skip::NotCovered));
    }

    #[test]
    fn rebuild_and_restart_rules_fire_on_the_dockerfile_and_compose_files() {
        let mut r = rule(&[], &[]);
        r.action = Action::Rebuild;
        assert!(!r.ignores(Path::new("/p/src/compose.yaml"), false));
        r.action = Action::Restart;
        assert!(!r.ignores(Path::new("/p/src/compose.yaml"), false));
    }

    #[test]
    fn a_single_file_rule_maps_to_its_target() {
        let mut r = rule(&[], &[]);
        r.path = PathBuf::from("/p/nginx.conf");
        r.target = "/etc/nginx/nginx.conf".into();
        assert_eq!(r.relative(Path::new("/p/nginx.conf")).as_deref(), Some(""));
        assert_eq!(r.host_path(""), PathBuf::from("/p/nginx.conf"));
        assert_eq!(r.container_path(""), "/etc/nginx/nginx.conf");
    }

    #[test]
    fn rule_errors_name_the_service() {
        let text = |problem| {
            RuleError {
                service: "web".into(),
                problem,
            }
            .to_string()
        };
        assert_eq!(
            text(RuleProblem::UnknownAction("copy".into())),
            "service \"web\": develop.watch: unknown action \"copy\": use sync, rebuild, \
             restart, sync+restart or sync+exec"
        );
        assert_eq!(
            text(RuleProblem::ExecWithoutCommand),
            "service \"web\": develop.watch: a sync+exec rule needs exec.command"
        );
    }
}
