//! `berth watch`: `up -d` of the services, then their `develop.watch`
//! rules applied as files change, until Ctrl-C.

use crate::app::open;
use std::future::Future;
use std::io::Write;

use clap::{ArgAction, Args};
use futures_util::future::LocalBoxFuture;

use super::{CliError, Settings};
use crate::app::open::CliEngine;
use crate::app::up as app_up;
use crate::engine::Engine;
use crate::reconcile::desired::Desired;
use crate::watch::rules::Rule;
use crate::watch::{self, Rebuilder, Reporter};

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Services to watch (default: all that have a `develop` section)
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Don't bring the services up before watching
    #[arg(long)]
    pub no_up: bool,
    /// Don't print what each batch did (failures are still printed)
    #[arg(long)]
    pub quiet: bool,
    /// Prune dangling images on rebuild
    #[arg(long, default_value_t = true, action = ArgAction::Set, num_args = 0..=1,
          default_missing_value = "true", value_name = "BOOL")]
    pub prune: bool,
    /// Say whether PATH is synced, and why not (which rule, which ignore
    /// pattern), then exit; nothing is brought up or watched
    #[arg(long, value_name = "PATH")]
    pub explain: Option<std::path::PathBuf>,
}

pub fn run(settings: &Settings, args: WatchArgs) -> Result<i32, CliError> {
    let runtime = open::runtime()?;
    let prepared = open::prepare_from_files(&runtime, settings, &args.services, false)?;
    open::check_services(&prepared.desired, &args.services)?;
    let rules = rules(&prepared.desired, &args.services)?;
    if let Some(path) = &args.explain {
        print!("{}", explain(&rules, path));
        return Ok(0);
    }
    if !args.no_up {
        runtime.block_on(app_up::up_detached(settings, &args.services, false))?;
    }
    if settings.dry_run {
        let services: std::collections::BTreeSet<&str> =
            rules.iter().map(|r| r.service.as_str()).collect();
        eprintln!(
            "would watch {} rules of {}",
            rules.len(),
            services.into_iter().collect::<Vec<_>>().join(", ")
        );
        return Ok(0);
    }
    let options = watch::Options {
        prune: args.prune,
        ..watch::Options::default()
    };
    let reporter = Printer { quiet: args.quiet };
    let project = prepared.desired.project.clone();
    let rebuilder = Rebuild {
        settings,
        engine: &prepared.engine,
        project: &project,
    };
    let stop = {
        let _context = runtime.enter();
        interrupted()?
    };
    runtime
        .block_on(watch::run(
            &prepared.engine,
            &project,
            &rules,
            &options,
            &reporter,
            &rebuilder,
            stop,
        ))
        .map_err(|e| CliError::Other(e.to_string()))?;
    // Only Ctrl-C or a termination ends a watch: Docker Compose then
    // exits with 130, as `up --watch` does.
    Ok(super::exit::INTERRUPTED)
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM, both caught from now on (in
/// the runtime's context).
fn interrupted() -> Result<impl Future<Output = ()>, CliError> {
    use tokio::signal::unix::{SignalKind, signal};
    let listen =
        |kind| signal(kind).map_err(|e| CliError::Other(format!("cannot listen for Ctrl-C: {e}")));
    let mut interrupt = listen(SignalKind::interrupt())?;
    let mut terminate = listen(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// The `develop.watch` rules of `services` (all when empty); an error when
/// none of them has any.
pub(super) fn rules(desired: &Desired, services: &[String]) -> Result<Vec<Rule>, CliError> {
    let rules =
        watch::rules::compile(desired, services).map_err(|e| CliError::Other(e.to_string()))?;
    if rules.is_empty() {
        return Err(CliError::Other(
            "none of the selected services is configured for watch: add a `develop.watch` section to one (https://docs.docker.com/compose/how-tos/file-watch/)".into(),
        ));
    }
    Ok(rules)
}

/// What each rule does with `path` (relative to the current directory):
/// one line per rule that covers it, or one saying none does.
fn explain(rules: &[Rule], path: &std::path::Path) -> String {
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
                if rule.action == watch::rules::Action::SyncRestart {
                    line.push_str(", then the container restarts");
                } else if rule.action == watch::rules::Action::SyncExec {
                    line.push_str(", then the exec command runs");
                }
                line
            }
            None if rule.action == watch::rules::Action::Rebuild => {
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
fn normalize(path: &std::path::Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
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

/// `up --watch`: applies `rules` while `attached` (the attached session)
/// runs, until it ends or `interrupted` (the first Ctrl-C); its result. Status lines go to standard
/// output between the log lines, failures to standard error; a watch that
/// cannot go on says why and leaves the session running.
pub(super) async fn alongside<T>(
    settings: &Settings,
    engine: &CliEngine,
    project: &str,
    rules: &[Rule],
    interrupted: tokio_util::sync::CancellationToken,
    attached: impl Future<Output = T>,
) -> T {
    let ended = tokio::sync::Notify::new();
    let options = watch::Options::default();
    let reporter = Printer { quiet: false };
    let rebuilder = Rebuild {
        settings,
        engine,
        project,
    };
    let watching = async {
        let stop = async {
            tokio::select! {
                () = interrupted.cancelled() => {}
                () = ended.notified() => {}
            }
        };
        let watched = watch::run(
            engine, project, rules, &options, &reporter, &rebuilder, stop,
        );
        if let Err(e) = watched.await {
            reporter.failed(&format!("watch: {e}"));
        }
    };
    let attached = async {
        let result = attached.await;
        // Stored if the watch is not waiting yet: it ends all the same.
        ended.notify_one();
        result
    };
    tokio::join!(attached, watching).0
}

/// Status lines on standard output, failures on standard error.
struct Printer {
    quiet: bool,
}

impl Reporter for Printer {
    fn done(&self, line: &str) {
        if !self.quiet {
            println!("{line}");
        }
    }

    fn output(&self, container: &str, text: &str) {
        let mut out = std::io::stdout().lock();
        for line in text.lines() {
            let _ = writeln!(out, "{container}  | {line}");
        }
    }

    fn failed(&self, message: &str) {
        // Messages rendered for the command line carry their prefix already.
        let message = message.strip_prefix("error: ").unwrap_or(message);
        eprintln!("error: {message}");
    }

    fn warned(&self, message: &str) {
        eprintln!("warning: {message}");
    }
}

/// The `rebuild` action: builds the services' images, then recreates them.
struct Rebuild<'a> {
    settings: &'a Settings,
    engine: &'a CliEngine,
    project: &'a str,
}

impl Rebuilder for Rebuild<'_> {
    fn rebuild(
        &self,
        services: Vec<String>,
        prune: bool,
    ) -> LocalBoxFuture<'_, Result<(), String>> {
        // On the watch's runtime: the watch goes on syncing meanwhile, the
        // project's files loading on a thread of their own.
        Box::pin(async move {
            rebuild_services(self.settings, &services).await?;
            if prune {
                // The images the rebuild took the name from, now unused.
                self.engine
                    .prune_dangling_images(self.project)
                    .await
                    .map_err(|e| format!("rebuild: pruning the replaced images: {e}"))?;
            }
            Ok(())
        })
    }
}

/// Builds each distinct image of `services` once (`up --build`), then
/// recreates those services, not their dependencies, from the new images.
async fn rebuild_services(settings: &Settings, services: &[String]) -> Result<(), String> {
    app_up::up_detached(settings, services, true)
        .await
        .map_err(|e| {
            let text = e.render(false, settings.show_secrets);
            let text = text.trim_end();
            // The reporter says it is an error.
            format!(
                "rebuild of {}: {}",
                services.join(", "),
                text.strip_prefix("error: ").unwrap_or(text)
            )
        })
}
