//! `berth watch`: `up -d` of the services, then their `develop.watch`
//! rules applied as files change, until Ctrl-C.

use std::future::Future;
use std::io::Write;

use clap::{ArgAction, Args};
use futures_util::future::BoxFuture;

use super::engine_cmd::CliEngine;
use super::{CliError, Settings, engine_cmd, up};
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
}

pub fn run(settings: &Settings, args: WatchArgs) -> Result<i32, CliError> {
    let runtime = engine_cmd::runtime()?;
    let prepared = engine_cmd::prepare_from_files(&runtime, settings, &args.services, false)?;
    engine_cmd::check_services(&prepared.desired, &args.services)?;
    let rules = rules(&prepared.desired, &args.services)?;
    if !args.no_up {
        up::up_detached(settings, &args.services, false)?;
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
    runtime
        .block_on(watch::run(
            &prepared.engine,
            &project,
            &rules,
            &options,
            &reporter,
            &rebuilder,
            async {
                let _ = tokio::signal::ctrl_c().await;
            },
        ))
        .map_err(|e| CliError::Other(e.to_string()))?;
    Ok(0)
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
        eprintln!("error: {message}");
    }
}

/// The `rebuild` action: builds the services' images, then recreates them.
struct Rebuild<'a> {
    settings: &'a Settings,
    engine: &'a CliEngine,
    project: &'a str,
}

impl Rebuilder for Rebuild<'_> {
    fn rebuild(&self, services: Vec<String>, prune: bool) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            // `up` runs its own runtime, so on a thread of its own: the watch
            // goes on syncing meanwhile.
            let settings = self.settings.clone();
            tokio::task::spawn_blocking(move || rebuild_services(&settings, &services))
                .await
                .map_err(|_| {
                    "rebuild: recreating the services stopped unexpectedly".to_string()
                })??;
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
fn rebuild_services(settings: &Settings, services: &[String]) -> Result<(), String> {
    up::up_detached(settings, services, true)
        .map(|_| ())
        .map_err(|e| {
            e.render(false, settings.show_secrets)
                .trim_end()
                .to_string()
        })
}
