//! `watch` and `up --watch`: the services' `develop.watch` rules applied as
//! files change, a `rebuild` rule running the `up` use case on the same
//! runtime.

use std::future::Future;

use futures_util::future::LocalBoxFuture;

use super::error::Failure;
use super::interrupts::Interrupts;
use super::open::{self, CliEngine, Prepared};
use super::up::{self, UpRequest};
use super::{Error, Settings};
use crate::engine::Engine;
use crate::output::watch_lines::WatchLines;
use crate::reconcile::desired::Desired;
use crate::watch::rules::Rule;
use crate::watch::{self, RebuildError, Rebuilder, Reporter};

/// What `watch` is asked.
#[derive(Clone, Debug)]
pub struct WatchRequest {
    /// The services watched (all that have rules when empty).
    pub services: Vec<String>,
    /// Bring the services up (`up -d`) before watching.
    pub up: bool,
    /// No line per batch (failures are still said).
    pub quiet: bool,
    /// Remove the images a rebuild replaced.
    pub prune: bool,
}

/// The `develop.watch` rules of `services` (all when empty); an error when
/// none of them has any.
pub fn rules(desired: &Desired, services: &[String]) -> Result<Vec<Rule>, Error> {
    let rules = watch::rules::compile(desired, services).map_err(Failure::WatchRule)?;
    if rules.is_empty() {
        return Err(Failure::NothingToWatch.into());
    }
    Ok(rules)
}

/// What each rule of the services asked does with `path` (see
/// [`watch::explain::explain`]); nothing is brought up or watched.
pub fn explain(
    settings: &Settings,
    request: &WatchRequest,
    path: &std::path::Path,
) -> Result<String, Error> {
    let (_runtime, prepared) = open::open_from_files(settings, &request.services, false)?;
    let rules = rules(&prepared.desired, &request.services)?;
    Ok(watch::explain::explain(&rules, path))
}

/// Opens the project and watches it (see [`watch`]).
pub fn run(settings: &Settings, request: &WatchRequest) -> Result<(), Error> {
    // Locked for the `up` that comes first; a rebuild locks anew.
    let (runtime, prepared) = open::open_from_files(settings, &request.services, request.up)?;
    let rules = rules(&prepared.desired, &request.services)?;
    runtime.block_on(watch(settings, prepared, &rules, request))
}

/// Brings the opened project's services up unless asked not to, then
/// applies `rules` until interrupted (Ctrl-C, SIGTERM, SIGHUP: see
/// [`Interrupts`]); a Ctrl-C during the `up` stops berth there.
async fn watch(
    settings: &Settings,
    prepared: Prepared,
    rules: &[Rule],
    request: &WatchRequest,
) -> Result<(), Error> {
    let engine = prepared.engine.clone();
    let project = prepared.desired.project.clone();
    if request.up {
        let up = UpRequest::detached(settings, &request.services, false);
        up::up_prepared(settings, prepared, &up).await?;
    }
    if settings.dry_run {
        let services: std::collections::BTreeSet<&str> =
            rules.iter().map(|r| r.service.as_str()).collect();
        settings.progress.note(&format!(
            "would watch {} rules of {}",
            rules.len(),
            services.into_iter().collect::<Vec<_>>().join(", ")
        ));
        return Ok(());
    }
    let options = watch::Options {
        prune: request.prune,
        receivers: settings.watch_receivers,
        ..watch::Options::default()
    };
    let reporter = WatchLines::new(request.quiet);
    let rebuilder = Rebuild {
        settings,
        engine: &engine,
        project: &project,
    };
    let interrupts = Interrupts::listen()?;
    let stop = interrupts.token().cancelled_owned();
    watch::run(
        &engine, &project, rules, &options, &reporter, &rebuilder, stop,
    )
    .await
    .map_err(|e| Failure::Watch(e).into())
}

/// `up --watch`: applies `rules` while `attached` (the attached session)
/// runs, until it ends or `interrupted` (the first Ctrl-C); its result.
/// Status lines go to standard output between the log lines, failures to
/// standard error; a watch that cannot go on says why and leaves the
/// session running.
pub async fn alongside<T>(
    settings: &Settings,
    engine: &CliEngine,
    project: &str,
    rules: &[Rule],
    interrupted: tokio_util::sync::CancellationToken,
    attached: impl Future<Output = T>,
) -> T {
    let ended = tokio::sync::Notify::new();
    let options = watch::Options {
        receivers: settings.watch_receivers,
        ..watch::Options::default()
    };
    let reporter = WatchLines::new(false);
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
    ) -> LocalBoxFuture<'_, Result<(), RebuildError>> {
        // On the watch's runtime: the watch goes on syncing meanwhile, the
        // project's files loading on a thread of their own (they may have
        // changed since the watch began).
        Box::pin(async move {
            let request = UpRequest::detached(self.settings, &services, true);
            up::up_detached(self.settings, &request)
                .await
                .map_err(|e| {
                    let text = e.render(false, self.settings.show_secrets);
                    let text = text.trim_end();
                    RebuildError::Up {
                        services: services.join(", "),
                        // The reporter says it is an error.
                        message: text.strip_prefix("error: ").unwrap_or(text).to_string(),
                    }
                })?;
            if prune {
                // The images the rebuild took the name from, now unused.
                self.engine
                    .prune_dangling_images(self.project)
                    .await
                    .map_err(RebuildError::Prune)?;
            }
            Ok(())
        })
    }
}
