//! `develop.watch`: files saved on the host reach the service's containers.
//!
//! [`run`] is the whole session, usable by `berth watch` and `up --watch`:
//! it watches the rules' directories ([`fs`]), gathers changes into batches
//! (a short quiet period, capped so that a steady stream of writes cannot
//! hold a batch back), and applies each batch to every running replica
//! ([`sync`]): files and deletions through a [`receiver`] kept running in
//! each container, or the engine's archive API and an `rm -rf` where it
//! cannot run, then restarts, `exec` hooks and rebuilds. Each container has a
//! manifest of what it was given, compared with the host when the session
//! starts and whenever the container starts, so that nothing changed while
//! watch was down or the container stopped is missed.

pub mod explain;
pub mod fs;
pub mod receiver;
pub mod rules;
pub mod sync;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::future::{LocalBoxFuture, join_all};
use futures_util::stream::BoxStream;

use crate::engine::{self, ContainerEvent, Engine, ExecSpec, RunState};
use fs::{DirWatcher, FsEvent};
use receiver::{Failure, Frame, Owner, Receiver};
use rules::{Action, Rule};
use sync::{Changes, Manifest, Tree};

/// How a session batches changes.
#[derive(Clone, Debug)]
pub struct Options {
    /// A batch closes after this long without a new change...
    pub quiet: Duration,
    /// ...or this long when every change in it has settled (see
    /// [`FsEvent::Changed`]): a file closed after writing, renamed into place...
    pub settle: Duration,
    /// ...or this long after its first change, whichever comes first.
    pub max_wait: Duration,
    /// Remove dangling images after a rebuild.
    pub prune: bool,
    /// Sync through a receiver in each container where one can run (else
    /// through the engine's archive API only).
    pub receivers: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            // Editors' saves (write, or temp file and renames) end within a
            // few ms; the engine's archive upload then takes ~30 ms on its own.
            quiet: Duration::from_millis(10),
            // Long enough for what follows a settled change at once (an
            // atomic save's rename after the temporary file is closed).
            settle: Duration::from_millis(2),
            max_wait: Duration::from_millis(200),
            prune: true,
            receivers: true,
        }
    }
}

/// Where a session says what it did.
pub trait Reporter: Send + Sync {
    /// One line per batch or catch-up: `synced 3 files to web-1 in 12 ms`.
    fn done(&self, line: &str);
    /// The output of a `sync+exec` command.
    fn output(&self, container: &str, text: &str);
    /// Something failed; the session goes on.
    fn failed(&self, message: &str);
    /// Something was left out; the rest went on.
    fn warned(&self, message: &str);
}

/// Builds the images of services and recreates their containers: the
/// `rebuild` action, provided by the caller (it needs the build and `up`).
pub trait Rebuilder: Send + Sync {
    fn rebuild(
        &self,
        services: Vec<String>,
        prune: bool,
    ) -> LocalBoxFuture<'_, Result<(), RebuildError>>;
}

/// Why a rebuild failed; the watch says so and goes on.
#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    /// The build or the recreation, as the `up` that ran them says.
    #[error("rebuild of {services}: {message}")]
    Up { services: String, message: String },
    #[error("rebuild: pruning the replaced images: {0}")]
    Prune(#[source] engine::EngineError),
}

/// Why a session could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("{0}")]
    Watcher(#[from] fs::WatcherError),
    #[error(transparent)]
    Engine(#[from] engine::EngineError),
}

/// A container of a watched service.
#[derive(Clone, Debug)]
struct Replica {
    service: String,
    /// `web-1`: its name without the project.
    short_name: String,
    running: bool,
}

/// The most file content one archive carries (a large initial sync goes
/// in several), so that memory stays bounded.
const ARCHIVE_BYTES: u64 = 64 << 20;

/// How often a failed archive upload is tried again.
const PUT_RETRIES: usize = 2;

/// Whether the engine refused an upload for not finding the container's
/// user among the host's users.
fn user_unknown_on_host(e: &engine::EngineError) -> bool {
    let message = e.to_string();
    message.contains("unable to find") && (message.contains("passwd") || message.contains("group"))
}

/// Whether an engine error says the container is gone: trying again is useless.
fn gone(e: &engine::EngineError) -> bool {
    matches!(e, engine::EngineError::NotFound(_))
}

/// Everything one session keeps.
struct Session<'a, E: Engine> {
    engine: &'a E,
    project: &'a str,
    rules: &'a [Rule],
    reporter: &'a dyn Reporter,
    replicas: BTreeMap<String, Replica>,
    manifests: HashMap<String, Manifest>,
    manifest_dir: PathBuf,
    /// The services being rebuilt.
    rebuilding: BTreeSet<String>,
    /// Per service being rebuilt, the paths its sync rules saw change
    /// meanwhile: its new containers get them whatever their image has.
    changed_while_rebuilding: BTreeMap<String, BTreeSet<PathBuf>>,
    /// Per running container tried, its receiver.
    receivers: HashMap<String, Slot>,
    /// [`Options::receivers`].
    receivers_wanted: bool,
}

/// A container's receiver, if it could have one.
struct Slot {
    /// Who the files it is given belong to (see [`Receiver::owner`]).
    owner: Option<Owner>,
    /// `None` when the container cannot have one or it broke.
    receiver: tokio::sync::Mutex<Option<Receiver>>,
}

/// Watches until `stop` resolves. The caller has brought the services up.
pub async fn run<E: Engine>(
    engine: &E,
    project: &str,
    rules: &[Rule],
    options: &Options,
    reporter: &dyn Reporter,
    rebuilder: &dyn Rebuilder,
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), WatchError> {
    let (mut watcher, mut fs_events) = DirWatcher::new()?;
    watcher.cover(rules)?;
    // Subscribed before listing: no start in between is missed.
    let mut engine_events = engine.events(project).await?;
    let mut session = Session {
        engine,
        project,
        rules,
        reporter,
        replicas: BTreeMap::new(),
        manifests: HashMap::new(),
        manifest_dir: sync::manifest_dir(project),
        rebuilding: BTreeSet::new(),
        changed_while_rebuilding: BTreeMap::new(),
        receivers: HashMap::new(),
        receivers_wanted: options.receivers,
    };
    session.rescan().await;
    // After the catch-up: from here on, every change is the user's.
    let services: BTreeSet<&str> = rules.iter().map(|r| r.service.as_str()).collect();
    reporter.done(&format!(
        "watching {} for {}",
        plural(watcher.count(), "directory"),
        services.into_iter().collect::<Vec<_>>().join(", ")
    ));

    tokio::pin!(stop);
    let mut batch = Batch::default();
    // One rebuild at a time, the others' syncs going on meanwhile; what asks
    // for a rebuild during one waits for it, then all of it is one more.
    let mut rebuilding: Option<Rebuilding> = None;
    let mut wanted_rebuilds: BTreeSet<String> = BTreeSet::new();
    loop {
        if rebuilding.is_none() && !wanted_rebuilds.is_empty() {
            let services: Vec<String> = std::mem::take(&mut wanted_rebuilds).into_iter().collect();
            session.rebuilding = services.iter().cloned().collect();
            rebuilding = Some(Rebuilding {
                started: Instant::now(),
                names: services.join(", "),
                build: rebuilder.rebuild(services, options.prune),
            });
        }
        let deadline = batch.deadline(options);
        tokio::select! {
            () = &mut stop => return Ok(()),
            Some(event) = fs_events.recv() => match event {
                FsEvent::Changed { path, content, gone, settled } => {
                    // Events of the directories above the rules' paths
                    // that concern none of them.
                    let relevant = rules
                        .iter()
                        .any(|r| path.starts_with(&r.path) || r.path.starts_with(&path));
                    if relevant {
                        on_path_event(&mut watcher, rules, &path, gone)?;
                        batch.add(path, content, settled);
                    }
                }
                FsEvent::Rescan => {
                    watcher.cover(rules)?;
                    session.rescan().await;
                }
                FsEvent::Failed(e) => reporter.failed(&e.to_string()),
            },
            event = engine_events.next() => match event {
                Some(Ok(event)) => session.on_container_event(event).await,
                // The stream subscribes anew itself while the engine
                // answers: an error means it went away.
                Some(Err(e)) => return Err(WatchError::Engine(e)),
                None => {
                    engine_events = resubscribe(engine, project).await?;
                    session.rescan().await;
                }
            },
            () = sleep_until(deadline) => {
                let changes = std::mem::take(&mut batch);
                wanted_rebuilds.extend(session.apply(changes).await);
            }
            result = rebuilt(&mut rebuilding) => {
                let done = rebuilding.take().expect("a rebuild was under way");
                match result {
                    Ok(()) => reporter.done(&format!(
                        "rebuilt {} in {}",
                        done.names,
                        elapsed(done.started)
                    )),
                    Err(e) => reporter.failed(&e.to_string()),
                }
                session.after_rebuild().await;
            }
        }
    }
}

/// A rebuild under way.
struct Rebuilding<'a> {
    started: Instant,
    /// `api, worker`, for the report.
    names: String,
    build: LocalBoxFuture<'a, Result<(), RebuildError>>,
}

/// Resolves when the rebuild under way ends (never when there is none).
async fn rebuilt(rebuilding: &mut Option<Rebuilding<'_>>) -> Result<(), RebuildError> {
    match rebuilding {
        Some(rebuilding) => (&mut rebuilding.build).await,
        None => std::future::pending().await,
    }
}

async fn resubscribe<E: Engine>(
    engine: &E,
    project: &str,
) -> Result<BoxStream<'static, engine::Result<engine::Event>>, WatchError> {
    Ok(engine.events(project).await?)
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// Keeps the directory watches in step with the tree: a new directory is
/// watched (with what is already under it), a removed or moved one
/// forgotten, and watched again when it is back under the same name (a
/// bundler's `rm -rf dist; mkdir dist`). When a rule's path or a directory
/// above it goes or comes, the closest existing directory above each
/// rule's path is watched.
fn on_path_event(
    watcher: &mut DirWatcher,
    rules: &[Rule],
    path: &PathBuf,
    gone: bool,
) -> Result<(), WatchError> {
    if gone {
        watcher.forget(path);
    }
    let above_a_rule = rules.iter().any(|r| r.path.starts_with(path));
    if path.is_dir() {
        let covered = rules.iter().any(|r| path.starts_with(&r.path));
        if covered && !fs::pruned(rules, path) {
            watcher.add_tree(path, rules)?;
        }
        if above_a_rule {
            // A rule's path, or a directory above one, created.
            watcher.cover(rules)?;
        }
    } else if !gone {
        watcher.forget(path);
    } else if above_a_rule {
        // Removed: what is closest above the rule's path now.
        watcher.cover(rules)?;
    }
    Ok(())
}

/// Paths changed since the last batch.
#[derive(Default)]
struct Batch {
    /// Path → whether its content changed (not only its metadata).
    paths: BTreeMap<PathBuf, bool>,
    /// The paths whose last event did not end a change.
    unsettled: BTreeSet<PathBuf>,
    first: Option<Instant>,
    last: Option<Instant>,
}

impl Batch {
    fn add(&mut self, path: PathBuf, content: bool, settled: bool) {
        let now = Instant::now();
        self.first.get_or_insert(now);
        self.last = Some(now);
        if settled {
            self.unsettled.remove(&path);
        } else {
            self.unsettled.insert(path.clone());
        }
        *self.paths.entry(path).or_default() |= content;
    }

    /// When the batch closes: after the quiet period (the shorter one when
    /// every change in it has settled), at the latest `max_wait` after its
    /// first change.
    fn deadline(&self, options: &Options) -> Option<Instant> {
        let (first, last) = (self.first?, self.last?);
        let quiet = if self.unsettled.is_empty() {
            options.settle
        } else {
            options.quiet
        };
        Some((last + quiet).min(first + options.max_wait))
    }
}

/// What a batch sends to a service's replicas (see [`Session::outgoing`]).
#[derive(Default)]
struct Outgoing<'w> {
    entries: Vec<sync::Entry>,
    /// Per entry, its rule (by index) and its path relative to the rule's.
    origins: Vec<(usize, &'w str)>,
    /// Container paths, none under another.
    removals: Vec<String>,
}

/// What [`Session::send`] got across.
#[derive(Default)]
struct Delivery<'i> {
    /// What reached each replica (by entry index), as it was read.
    arrived: HashMap<&'i str, Vec<(usize, sync::Stamp)>>,
    /// Files sent (the most any replica was sent).
    files: usize,
    /// What could not be archived, with why.
    skipped: BTreeSet<(PathBuf, String)>,
}

/// What a batch does to one service.
#[derive(Default)]
struct ServiceWork {
    /// Per sync rule (by index): the changes.
    syncs: BTreeMap<usize, Changes>,
    restart: bool,
    rebuild: bool,
    /// `sync+exec` rules (by index) whose files changed.
    execs: BTreeSet<usize>,
}

impl<E: Engine> Session<'_, E> {
    /// Lists the project's containers of watched services.
    async fn refresh(&mut self) -> Result<(), WatchError> {
        let services: BTreeSet<&str> = self.rules.iter().map(|r| r.service.as_str()).collect();
        let prefix = format!("{}-", self.project);
        self.replicas = self
            .engine
            .list_containers(self.project)
            .await?
            .into_iter()
            .filter(|c| !c.is_oneoff() && services.contains(c.service()))
            .map(|c| {
                let short_name = c.name.strip_prefix(&prefix).unwrap_or(&c.name).to_string();
                let replica = Replica {
                    service: c.service().to_string(),
                    short_name,
                    running: c.state == RunState::Running,
                };
                (c.id, replica)
            })
            .collect();
        Ok(())
    }

    async fn on_container_event(&mut self, event: engine::Event) {
        let id = event.container_id;
        match event.what {
            ContainerEvent::Started => {
                // A start replayed from the second the subscription began
                // finds the replica running with its receiver: nothing has
                // ended them. Otherwise a receiver ended with the
                // container's processes.
                let replayed = self.replicas.get(&id).is_some_and(|r| r.running)
                    && self.receivers.contains_key(&id);
                if !replayed {
                    self.receivers.remove(&id);
                }
                if !self.replicas.contains_key(&id)
                    && let Err(e) = self.refresh().await
                {
                    self.reporter.failed(&e.to_string());
                }
                if let Some(replica) = self.replicas.get_mut(&id) {
                    replica.running = true;
                    self.catch_up(&id).await;
                }
            }
            ContainerEvent::Died { .. } => {
                self.receivers.remove(&id);
                if let Some(replica) = self.replicas.get_mut(&id) {
                    replica.running = false;
                }
            }
            ContainerEvent::Destroyed => {
                self.receivers.remove(&id);
                self.replicas.remove(&id);
                self.manifests.remove(&id);
                let _ = std::fs::remove_file(self.manifest_dir.join(format!("{id}.json")));
            }
            ContainerEvent::Health(_) => {}
        }
    }

    /// Events were lost: compares every running container with the host.
    async fn rescan(&mut self) {
        if let Err(e) = self.refresh().await {
            self.reporter.failed(&e.to_string());
            return;
        }
        let ids: Vec<String> = self.replicas.keys().cloned().collect();
        self.connect(&ids).await;
        for id in ids {
            self.catch_up(&id).await;
        }
    }

    /// Starts receivers, all at once, in those of the containers `ids`
    /// that run and have none yet.
    async fn connect(&mut self, ids: &[String]) {
        if !self.receivers_wanted {
            return;
        }
        let wanted: Vec<&String> = ids
            .iter()
            .filter(|id| self.replicas.get(*id).is_some_and(|r| r.running))
            .filter(|id| !self.receivers.contains_key(*id))
            .collect();
        let started = join_all(wanted.iter().map(|id| Receiver::start(self.engine, id))).await;
        for (id, receiver) in wanted.into_iter().zip(started) {
            let slot = Slot {
                owner: receiver.as_ref().and_then(|r| r.owner),
                receiver: tokio::sync::Mutex::new(receiver),
            };
            self.receivers.insert(id.clone(), slot);
        }
    }

    /// The manifest of container `id`: in memory, else from the host, else
    /// none (a container this session has never given anything).
    fn manifest(&mut self, id: &str) -> Option<&mut Manifest> {
        if !self.manifests.contains_key(id) {
            let kept = Manifest::load(&self.manifest_dir, id)?;
            self.manifests.insert(id.to_string(), kept);
        }
        self.manifests.get_mut(id)
    }

    /// Gives a running container what changed on the host since its
    /// manifest; without a manifest, everything when the rule says
    /// `initial_sync`, else nothing (the image is taken to have it).
    async fn catch_up(&mut self, id: &str) {
        let Some(replica) = self.replicas.get(id).cloned() else {
            return;
        };
        if !replica.running {
            return;
        }
        self.connect(&[id.to_string()]).await;
        let started = Instant::now();
        let mut work = ServiceWork::default();
        let mut baseline = Manifest::default();
        let known = self.manifest(id).cloned();
        let rules = self.rules;
        for (index, rule) in rules.iter().enumerate() {
            if rule.service != replica.service || !rule.action.syncs() {
                continue;
            }
            let now = sync::snapshot(rule, "");
            let given = match known.as_ref().and_then(|m| m.rules.get(&rule.key())) {
                Some(given) => given.clone(),
                None if rule.initial_sync => Tree::new(),
                None => {
                    // The image has the host's files, except those changed
                    // during its rebuild (after its context was sent).
                    let given = self.without_changed_while_rebuilding(rule, &now);
                    baseline.rules.insert(rule.key(), given.clone());
                    given
                }
            };
            let changes = Changes::between(&given, &now, "");
            if !changes.is_empty() {
                if rule.action == Action::SyncRestart {
                    work.restart = true;
                }
                if rule.action == Action::SyncExec {
                    work.execs.insert(index);
                }
                work.syncs.insert(index, changes);
            }
        }
        if known.is_none() || !baseline.rules.is_empty() {
            let manifest = self.manifests.entry(id.to_string()).or_default();
            manifest.rules.extend(baseline.rules);
            self.save(id);
        }
        if !work.syncs.is_empty() {
            self.perform(&replica.service, work, &[id.to_string()], started)
                .await;
        }
    }

    /// `tree` (of `rule`) without what changed during a rebuild of the
    /// rule's service.
    fn without_changed_while_rebuilding(&self, rule: &Rule, tree: &Tree) -> Tree {
        let mut tree = tree.clone();
        let Some(paths) = self.changed_while_rebuilding.get(&rule.service) else {
            return tree;
        };
        for rel in paths.iter().filter_map(|p| rule.relative(p)) {
            let stale: Vec<String> = sync::under(&tree, &rel).map(|(p, _)| p.clone()).collect();
            for path in stale {
                tree.remove(&path);
            }
        }
        tree
    }

    /// A rebuild ended: the services' containers, new or kept, catch up,
    /// the new ones with what changed during the rebuild.
    async fn after_rebuild(&mut self) {
        let services = std::mem::take(&mut self.rebuilding);
        if let Err(e) = self.refresh().await {
            self.reporter.failed(&e.to_string());
        } else {
            let ids: Vec<String> = self
                .replicas
                .iter()
                .filter(|(_, r)| services.contains(&r.service))
                .map(|(id, _)| id.clone())
                .collect();
            self.connect(&ids).await;
            for id in ids {
                self.catch_up(&id).await;
            }
        }
        for service in &services {
            self.changed_while_rebuilding.remove(service);
        }
    }

    fn save(&self, id: &str) {
        if let Some(manifest) = self.manifests.get(id)
            && let Err(e) = manifest.save(&self.manifest_dir, id)
        {
            self.reporter.failed(&format!(
                "cannot keep what was synced in {}: {e}",
                self.manifest_dir.display()
            ));
        }
    }

    /// Applies a batch of host changes to every service it concerns, and
    /// returns the services to rebuild (which it leaves to the caller).
    async fn apply(&mut self, batch: Batch) -> Vec<String> {
        let started = batch.first.unwrap_or_else(Instant::now);
        let mut work: BTreeMap<String, ServiceWork> = BTreeMap::new();
        let rules = self.rules;
        for (index, rule) in rules.iter().enumerate() {
            // What the changes are computed against, looked up once per rule.
            let mut references: Option<Vec<Tree>> = None;
            for (path, content) in &batch.paths {
                let Some(rel) = rule.relative(path) else {
                    continue;
                };
                if rule.ignores(path, path.is_dir()) {
                    continue;
                }
                if rule.action.syncs() && self.rebuilding.contains(&rule.service) {
                    self.changed_while_rebuilding
                        .entry(rule.service.clone())
                        .or_default()
                        .insert(path.clone());
                }
                let service = work.entry(rule.service.clone()).or_default();
                match rule.action {
                    Action::Restart => service.restart = true,
                    Action::Rebuild => service.rebuild = true,
                    _ => {
                        let givens = match &references {
                            Some(givens) => givens,
                            None => {
                                references.insert(self.reference_trees(&rule.service, &rule.key()))
                            }
                        };
                        // What any replica lacks goes to all: a catch-up
                        // may have given one of them more than the others.
                        let entry = service.syncs.entry(index).or_default();
                        let now = sync::snapshot(rule, &rel);
                        for given in givens {
                            let changes = changes_at(rule, &rel, *content, &now, given);
                            entry.copy.extend(changes.copy);
                            for path in changes.remove {
                                if !entry.remove.contains(&path) {
                                    entry.remove.push(path);
                                }
                            }
                        }
                    }
                }
            }
        }
        let rebuilds: Vec<String> = work
            .iter()
            .filter(|(_, w)| w.rebuild)
            .map(|(s, _)| s.clone())
            .collect();
        for (service, mut work) in work {
            if work.rebuild {
                continue;
            }
            work.syncs.retain(|_, c| !c.is_empty());
            for index in work.syncs.keys() {
                match self.rules[*index].action {
                    Action::SyncRestart => work.restart = true,
                    Action::SyncExec => {
                        work.execs.insert(*index);
                    }
                    _ => {}
                }
            }
            if work.syncs.is_empty() && !work.restart {
                continue;
            }
            let ids: Vec<String> = self
                .replicas
                .iter()
                .filter(|(_, r)| r.service == service && r.running)
                .map(|(id, _)| id.clone())
                .collect();
            self.perform(&service, work, &ids, started).await;
        }
        rebuilds
    }

    /// What each running replica of `service` was given by the rule (at
    /// least one tree, empty when none was given anything): the references
    /// a batch's changes are computed against.
    fn reference_trees(&mut self, service: &str, key: &str) -> Vec<Tree> {
        let running: Vec<String> = self
            .replicas
            .iter()
            .filter(|(_, r)| r.service == service && r.running)
            .map(|(id, _)| id.clone())
            .collect();
        let mut trees: Vec<Tree> = Vec::new();
        for id in running {
            let tree = self
                .manifest(&id)
                .and_then(|m| m.rules.get(key).cloned())
                .unwrap_or_default();
            if !trees.contains(&tree) {
                trees.push(tree);
            }
        }
        if trees.is_empty() {
            trees.push(Tree::new());
        }
        trees
    }

    /// Copies, removes, restarts and runs hooks in the containers `ids` of
    /// `service`, then says so in one line.
    async fn perform(
        &mut self,
        service: &str,
        work: ServiceWork,
        ids: &[String],
        started: Instant,
    ) {
        if ids.is_empty() {
            // Stopped: each container catches up when it starts.
            return;
        }
        let outgoing = self.outgoing(&work);
        let mut failures = self.remove_everywhere(ids, &outgoing.removals).await;
        // A replica whose removals failed is given nothing more.
        let not_removed: BTreeSet<String> = failures.keys().cloned().collect();
        let delivery = self.send(ids, &outgoing.entries, &mut failures).await;
        for (path, why) in &delivery.skipped {
            self.reporter.warned(&format!(
                "service {service}: {} not synced: {why}",
                path.display()
            ));
        }
        let mut reached = Vec::new();
        let mut arrived = delivery.arrived;
        for id in ids {
            // Only what arrived goes into the manifest: the rest is sent
            // again with the next change or catch-up.
            let delivered = arrived.remove(id.as_str()).unwrap_or_default();
            let removed = !not_removed.contains(id);
            self.record(id, &work, &outgoing.origins, delivered, removed);
            match failures.remove(id) {
                Some(e) => self.report_failure(id, &e.to_string()).await,
                None => reached.push(id.clone()),
            }
        }
        if reached.is_empty() {
            return;
        }
        let mut what = Vec::new();
        let (files, removals) = (delivery.files, outgoing.removals.len());
        if !work.syncs.is_empty() {
            if files > 0 || removals == 0 {
                what.push(format!("synced {}", plural(files, "file")));
            }
            if removals > 0 {
                what.push(format!("removed {}", plural(removals, "path")));
            }
        }
        if work.restart {
            // At once: a replica's stop grace period does not add up.
            let restarts = join_all(reached.iter().map(|id| self.restart(id))).await;
            for (id, result) in reached.iter().zip(restarts) {
                if let Err(e) = result {
                    self.report_failure(id, &format!("restart: {e}")).await;
                }
            }
        }
        let names = self.names(&reached);
        let line = match (what.is_empty(), work.restart) {
            (true, _) => format!("restarted {names}"),
            (false, false) => format!("{} to {names}", what.join(", ")),
            (false, true) => format!("{} to {names} and restarted", what.join(", ")),
        };
        self.reporter
            .done(&format!("{line} in {}", elapsed(started)));
        for index in &work.execs {
            let Some(spec) = &self.rules[*index].exec else {
                continue;
            };
            for id in &reached {
                self.run_hook(id, spec).await;
            }
        }
    }

    /// What a batch sends: the entries to copy with the rule and relative
    /// path each is of, and the container paths to remove.
    fn outgoing<'w>(&self, work: &'w ServiceWork) -> Outgoing<'w> {
        let mut outgoing = Outgoing::default();
        let mut removals = Vec::new();
        for (index, changes) in &work.syncs {
            let rule = &self.rules[*index];
            for (rel, stamp) in &changes.copy {
                outgoing.entries.push(sync::Entry {
                    host: rule.host_path(rel),
                    container: rule.container_path(rel),
                    size: stamp.size,
                });
                outgoing.origins.push((*index, rel.as_str()));
            }
            removals.extend(changes.remove.iter().map(|rel| rule.container_path(rel)));
        }
        outgoing.removals = outermost(removals);
        outgoing
    }

    /// Removes `removals` in every replica at once (latency does not grow
    /// with their number): the replicas where it failed, with why.
    async fn remove_everywhere(
        &self,
        ids: &[String],
        removals: &[String],
    ) -> BTreeMap<String, engine::EngineError> {
        let mut failures = BTreeMap::new();
        if removals.is_empty() {
            return failures;
        }
        let results = join_all(ids.iter().map(|id| self.remove_in(id, removals))).await;
        for (id, result) in ids.iter().zip(results) {
            if let Err(e) = result {
                failures.insert(id.clone(), e);
            }
        }
        failures
    }

    /// Sends `entries` to the replicas `ids` that have not failed yet, in
    /// archives of bounded size, each to every replica at once: one per
    /// owner their files must have (one, unless replicas differ). Failures
    /// join `failures`.
    async fn send<'i>(
        &self,
        ids: &'i [String],
        entries: &[sync::Entry],
        failures: &mut BTreeMap<String, engine::EngineError>,
    ) -> Delivery<'i> {
        let mut delivery = Delivery::default();
        let mut offset = 0;
        for chunk in sync::chunks(entries, ARCHIVE_BYTES) {
            let mut by_owner: BTreeMap<Option<Owner>, Vec<&String>> = BTreeMap::new();
            for id in ids.iter().filter(|id| !failures.contains_key(*id)) {
                let owner = self.receivers.get(id).and_then(|slot| slot.owner);
                by_owner.entry(owner).or_default().push(id);
            }
            let mut most = 0;
            for (owner, pending) in by_owner {
                let archive = sync::archive(chunk, owner);
                delivery.skipped.extend(archive.skipped.iter().cloned());
                let files = archive.included.iter();
                most = most.max(
                    files
                        .filter(|(_, s)| s.kind != sync::EntryKind::Dir)
                        .count(),
                );
                if archive.included.is_empty() {
                    continue;
                }
                let uploads = pending.iter().map(|id| self.put(id, &archive.bytes));
                for (id, result) in pending.iter().zip(join_all(uploads).await) {
                    match result {
                        Ok(()) => {
                            let sent = archive.included.iter().map(|(i, s)| (offset + i, *s));
                            delivery
                                .arrived
                                .entry(id.as_str())
                                .or_default()
                                .extend(sent);
                        }
                        Err(e) => {
                            failures.insert((*id).clone(), e);
                        }
                    }
                }
            }
            delivery.files += most;
            offset += chunk.len();
        }
        delivery
    }

    /// Keeps in the manifest of `id` what reached it: the files `delivered`
    /// (by entry index, see `origins`) and, when they went, the removals.
    fn record(
        &mut self,
        id: &str,
        work: &ServiceWork,
        origins: &[(usize, &str)],
        delivered: Vec<(usize, sync::Stamp)>,
        removed: bool,
    ) {
        let mut per_rule: BTreeMap<usize, sync::Changes> = BTreeMap::new();
        if removed {
            for (index, changes) in &work.syncs {
                per_rule.entry(*index).or_default().remove = changes.remove.clone();
            }
        }
        for (entry, stamp) in delivered {
            let (index, rel) = origins[entry];
            per_rule
                .entry(index)
                .or_default()
                .copy
                .insert(rel.to_string(), stamp);
        }
        if per_rule.values().all(Changes::is_empty) {
            return;
        }
        let manifest = self.manifests.entry(id.to_string()).or_default();
        for (index, changes) in per_rule {
            let key = self.rules[index].key();
            changes.apply_to(manifest.rules.entry(key).or_default());
        }
        self.save(id);
    }

    /// Removes `paths` in the container `id` with one `rm -rf`: through
    /// its receiver, else an `exec`.
    async fn remove_in(&self, id: &str, paths: &[String]) -> engine::Result<()> {
        if self.through_receiver(id, Frame::Remove(paths)).await {
            return Ok(());
        }
        let mut command = vec!["rm".to_string(), "-rf".into(), "--".into()];
        command.extend(paths.iter().cloned());
        let spec = ExecSpec {
            command,
            // As root, as files are put: the container's user may not own
            // the directories the archive API made.
            user: "0".into(),
            ..Default::default()
        };
        let (code, output) = engine::exec_to_end(self.engine, id, &spec).await?;
        if code != 0 {
            return Err(engine::EngineError::CommandFailed {
                command: "rm".into(),
                code,
                output: String::from_utf8_lossy(&output).trim().to_string(),
            });
        }
        Ok(())
    }

    /// Puts an archive into the container `id` at `/`: through its
    /// receiver, else the archive API, again (twice at most) when the
    /// engine fails to take it (`unexpected EOF`, a connection that fails
    /// on first use).
    async fn put(&self, id: &str, archive: &bytes::Bytes) -> engine::Result<()> {
        if self.through_receiver(id, Frame::Extract(archive)).await {
            return Ok(());
        }
        let mut attempt = 0;
        let mut owned = true;
        loop {
            match self.engine.upload(id, "/", archive.clone(), owned).await {
                Ok(()) => return Ok(()),
                // Docker before 25 looks the container's user up on the
                // host, and refuses when it is not there (`user: 1000:1000`):
                // the archive's owners stand.
                Err(e) if owned && user_unknown_on_host(&e) => owned = false,
                Err(e) if attempt < PUT_RETRIES && !gone(&e) => attempt += 1,
                Err(e) => return Err(e),
            }
        }
    }

    /// Sends a frame through the receiver of `id`: whether it arrived. A
    /// receiver that broke is not used again; what the container refused
    /// goes the other way, which says why if it fails too.
    async fn through_receiver(&self, id: &str, frame: Frame<'_>) -> bool {
        let Some(slot) = self.receivers.get(id) else {
            return false;
        };
        let mut guard = slot.receiver.lock().await;
        let Some(receiver) = guard.as_mut() else {
            return false;
        };
        match receiver.deliver(frame).await {
            Ok(()) => true,
            Err(Failure::Refused(_)) => false,
            Err(Failure::Broken(_)) => {
                *guard = None;
                false
            }
        }
    }

    async fn restart(&self, id: &str) -> engine::Result<()> {
        self.engine.stop_container(id, None).await?;
        self.engine.start_container(id).await
    }

    async fn run_hook(&self, id: &str, spec: &ExecSpec) {
        let name = self.names(&[id.to_string()]);
        match engine::exec_to_end(self.engine, id, spec).await {
            Ok((code, output)) => {
                let text = String::from_utf8_lossy(&output);
                if !text.is_empty() {
                    self.reporter.output(&name, &text);
                }
                if code != 0 {
                    self.reporter.failed(&format!(
                        "{name}: exec {:?} exited with {code}",
                        spec.command.join(" ")
                    ));
                }
            }
            Err(e) => self.report_failure(id, &format!("exec: {e}")).await,
        }
    }

    /// Reports a failure unless the container simply stopped meanwhile
    /// (it catches up when it starts again).
    async fn report_failure(&self, id: &str, message: &str) {
        let running = self
            .engine
            .inspect_status(id)
            .await
            .is_ok_and(|s| s.state == RunState::Running);
        if running {
            let name = self.names(&[id.to_string()]);
            self.reporter.failed(&format!("{name}: {message}"));
        }
    }

    fn names(&self, ids: &[String]) -> String {
        ids.iter()
            .filter_map(|id| self.replicas.get(id))
            .map(|r| r.short_name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The changes a host event at `rel` brings (the host's tree there is
/// `now`), against what the container was given (`given`). A written file is copied even when it looks the
/// same, unless it certainly is (two writes within one clock tick look
/// alike); a metadata-only event copies only what differs; a directory is
/// compared entry by entry.
/// A path gone from the host is removed from the container even when this
/// session never gave it (the image had it), except the rule's own target.
fn changes_at(rule: &Rule, rel: &str, content: bool, now: &Tree, given: &Tree) -> Changes {
    let mut changes = Changes::between(given, now, rel);
    match now.get(rel) {
        Some(stamp)
            if content
                && stamp.kind != sync::EntryKind::Dir
                && !given.get(rel).is_some_and(|old| stamp.unchanged_since(old)) =>
        {
            changes.copy.insert(rel.to_string(), *stamp);
        }
        None if changes.remove.is_empty() && !rel.is_empty() && !rule.host_path(rel).exists() => {
            changes.remove.push(rel.to_string());
        }
        _ => {}
    }
    changes
}

/// The paths, each once, without those under another one (`rm -rf` of
/// the directory takes them).
fn outermost(mut paths: Vec<String>) -> Vec<String> {
    paths.sort();
    let mut kept: Vec<String> = Vec::new();
    for path in paths {
        let covered = kept.last().is_some_and(|dir| {
            path == *dir
                || path
                    .strip_prefix(dir.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
        });
        if !covered {
            kept.push(path);
        }
    }
    kept
}

fn plural(n: usize, what: &str) -> String {
    match (n, what.strip_suffix('y')) {
        (1, _) => format!("1 {what}"),
        (_, Some(stem)) => format!("{n} {stem}ies"),
        (_, None) => format!("{n} {what}s"),
    }
}

fn elapsed(since: Instant) -> String {
    format!("{} ms", since.elapsed().as_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removals_keep_only_the_outermost_paths() {
        let paths = ["/app/a/x", "/app/a", "/app/ab", "/app/a", "/app/b/y"];
        assert_eq!(
            outermost(paths.iter().map(|p| p.to_string()).collect()),
            ["/app/a", "/app/ab", "/app/b/y"]
        );
    }

    /// Says nothing: what a session did is read from the fake's calls.
    struct Silent;

    impl Reporter for Silent {
        fn done(&self, _: &str) {}
        fn output(&self, _: &str, _: &str) {}
        fn failed(&self, _: &str) {}
        fn warned(&self, _: &str) {}
    }

    #[tokio::test]
    async fn a_change_reaches_the_replica_that_lacks_it_when_another_has_it() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        std::fs::create_dir(&src).unwrap();
        let rules = [Rule::plain_sync("web", &src, "/app")];
        let before = sync::snapshot(&rules[0], "");
        std::fs::write(src.join("shared.txt"), "both").unwrap();
        // Written well before it was looked at: certainly unchanged since.
        let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        std::fs::File::options()
            .write(true)
            .open(src.join("shared.txt"))
            .and_then(|f| f.set_modified(an_hour_ago))
            .unwrap();
        let after = sync::snapshot(&rules[0], "");
        let engine = crate::engine::fake::FakeEngine::default();
        let replica = |name: &str| Replica {
            service: "web".into(),
            short_name: name.into(),
            running: true,
        };
        let manifest = |tree: &Tree| Manifest {
            rules: BTreeMap::from([(rules[0].key(), tree.clone())]),
        };
        let mut session = Session {
            engine: &engine,
            project: "p",
            rules: &rules,
            reporter: &Silent,
            replicas: BTreeMap::from([
                ("a".into(), replica("web-1")),
                ("b".into(), replica("web-2")),
            ]),
            // A catch-up gave the first replica the file before the batch.
            manifests: HashMap::from([
                ("a".into(), manifest(&after)),
                ("b".into(), manifest(&before)),
            ]),
            manifest_dir: dir.path().join("manifests"),
            rebuilding: BTreeSet::new(),
            changed_while_rebuilding: BTreeMap::new(),
            receivers: HashMap::new(),
            receivers_wanted: false,
        };
        let mut batch = Batch::default();
        batch.add(src.join("shared.txt"), true, true);
        session.apply(batch).await;
        let uploads: Vec<String> = engine
            .calls()
            .into_iter()
            .filter(|c| c.op == "upload")
            .map(|c| c.target)
            .collect();
        assert!(uploads.contains(&"b".to_string()), "{uploads:?}");
        let given = &session.manifests["b"].rules[&rules[0].key()];
        assert!(given.contains_key("shared.txt"));
    }

    #[test]
    fn a_batch_closes_after_the_quiet_period_or_at_the_cap() {
        let options = Options::default();
        let mut batch = Batch::default();
        assert_eq!(batch.deadline(&options), None);
        batch.add(PathBuf::from("/a"), true, false);
        let first = batch.first.unwrap();
        assert_eq!(batch.deadline(&options), Some(first + options.quiet));
        // Closed after writing: only the short wait for what follows at once.
        batch.add(PathBuf::from("/a"), true, true);
        let last = batch.last.unwrap();
        assert_eq!(batch.deadline(&options), Some(last + options.settle));
        batch.add(PathBuf::from("/b"), true, false);
        let last = batch.last.unwrap();
        assert_eq!(batch.deadline(&options), Some(last + options.quiet));
        // A steady stream: the last change keeps moving, the cap does not.
        batch.last = Some(first + options.max_wait);
        assert_eq!(batch.deadline(&options), Some(first + options.max_wait));
    }
}
