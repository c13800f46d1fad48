//! Attached `up`: once the project has converged, berth shows the output of
//! the attached services (through [`LogMux`]) and follows the project's
//! containers through the engine's events, until the attached containers
//! have stopped (by themselves, or by a `stop` or `down` from elsewhere:
//! the session does not hold the project's lock), an abort flag ends the
//! run, or Ctrl-C (or SIGTERM, SIGHUP) stops the services.

use super::error::Failure;
use super::{apply, open};
use std::collections::{HashMap, HashSet};

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use tokio::task::JoinHandle;

use super::Error;
use super::apply::RunSettings;
use super::exit;
use super::interrupts::Interrupts;
use super::open::CliEngine;
use crate::engine::{Container, ContainerEvent, Engine, EngineError, Event, LogOptions, RunState};
use crate::output::log_mux::{LogMux, LogStyle, label};
use crate::reconcile::desired::{Condition, Desired};
use crate::reconcile::{execute, lifecycle};

/// Which container exits end the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Abort {
    #[default]
    Never,
    /// Any exit (`--abort-on-container-exit`, `--exit-code-from`).
    OnExit,
    /// Non-zero exits (`--abort-on-container-failure`).
    OnFailure,
}

/// What attached `up` is asked to show and when to end, as the command
/// line says it.
#[derive(Clone, Debug, Default)]
pub struct AttachRequest {
    /// `--attach`: exactly these services' output.
    pub attach: Vec<String>,
    /// `--no-attach`: never these services' output.
    pub no_attach: Vec<String>,
    /// `--attach-dependencies`: the dependencies' output too.
    pub attach_dependencies: bool,
    pub abort: Abort,
    pub exit_code_from: Option<String>,
    pub timestamps: bool,
    /// The `service-1  | ` prefix of each line.
    pub log_prefix: bool,
    /// Coloured prefixes (resolved: a terminal, no `NO_COLOR`).
    pub color: bool,
}

/// What the attached session does, resolved from the command line.
pub struct Session {
    /// Services whose output is shown.
    pub attach: Vec<String>,
    /// Services Ctrl-C stops (all when empty).
    pub stop_on_interrupt: Vec<String>,
    pub abort: Abort,
    pub exit_code_from: Option<String>,
    pub style: LogStyle,
    pub timestamps: bool,
    /// Unix seconds before the plan ran: output from then on is shown.
    pub since: i64,
    /// The same instant in Unix nanoseconds, to tell what ended before it.
    pub began: i128,
    /// `up --watch`: the session goes on when the containers stop (watch
    /// restarts and recreates them), until Ctrl-C or an abort.
    pub until_interrupted: bool,
}

impl Session {
    /// The session `request` asks for, for the `selected` services (all
    /// when empty): their output (every service's with
    /// `--attach-dependencies`) unless they say `attach: false`, or exactly
    /// those of `--attach`; never those of `--no-attach`.
    pub fn new(
        desired: &Desired,
        selected: &[String],
        request: &AttachRequest,
        watch: bool,
    ) -> Result<Session, Error> {
        let known = |names: &[String]| -> Result<(), Error> {
            match names.iter().find(|n| !desired.services.contains_key(*n)) {
                Some(unknown) => Err(open::no_such_service(desired, unknown)),
                None => Ok(()),
            }
        };
        known(&request.attach)?;
        known(&request.no_attach)?;
        known(request.exit_code_from.as_slice())?;
        let mut attach: Vec<String> = if !request.attach.is_empty() {
            request.attach.clone()
        } else {
            desired
                .services
                .values()
                .filter(|s| s.attach)
                .filter(|s| {
                    request.attach_dependencies || selected.is_empty() || selected.contains(&s.name)
                })
                .map(|s| s.name.clone())
                .collect()
        };
        attach.retain(|s| !request.no_attach.contains(s));
        Ok(Session {
            attach,
            stop_on_interrupt: selected.to_vec(),
            abort: request.abort,
            exit_code_from: request.exit_code_from.clone(),
            style: LogStyle {
                prefix: request.log_prefix,
                color: request.color,
                split_streams: true,
            },
            timestamps: request.timestamps,
            since: crate::time::now(),
            began: crate::time::now_nanos(),
            until_interrupted: watch,
        })
    }
}

/// Why the session is ending.
#[derive(Clone, Debug)]
enum Reason {
    Interrupted,
    Aborted {
        container: Box<Container>,
        code: i64,
    },
}

/// The services being stopped, and the stop in progress.
struct Ending {
    reason: Reason,
    /// Services stopped (all when empty).
    services: Vec<String>,
    stop: Option<JoinHandle<Result<(), Error>>>,
}

impl Ending {
    fn covers(&self, c: &Container) -> bool {
        self.services.is_empty() || self.services.iter().any(|s| s == c.service())
    }
}

/// Shows the attached services' output until the session ends; the exit
/// code of the command.
pub async fn run(
    engine: CliEngine,
    desired: Desired,
    mut events: BoxStream<'static, crate::engine::Result<Event>>,
    session: Session,
    settings: RunSettings,
    mut interrupts: Interrupts,
) -> Result<i32, Error> {
    let project = desired.project.clone();
    let monitored = |c: &Container| !c.is_oneoff() && desired.services.contains_key(c.service());
    let attached = |c: &Container| monitored(c) && session.attach.iter().any(|s| s == c.service());
    let options = LogOptions {
        follow: true,
        tail: Some("all".into()),
        since: Some(session.since),
        until: None,
        timestamps: session.timestamps,
    };
    let mut mux = LogMux::new(engine.clone(), session.style, options);
    mux.print_above(settings.progress.clone());
    mux.widen(session.attach.iter().flat_map(|s| {
        let replicas = desired.services.get(s).map_or(1, |d| d.replicas.max(1));
        (1..=replicas).map(move |n| format!("{s}-{n}"))
    }));
    let mut containers = engine.list_containers(&project).await?;
    containers.retain(|c| monitored(c));
    containers.sort_by(|a, b| a.name.cmp(&b.name));
    let shown: Vec<String> = containers
        .iter()
        .filter(|c| attached(c))
        .map(label)
        .collect();
    mux.widen(&shown);
    println!("Attaching to {}", shown.join(", "));

    let mut watch = Watch {
        mux,
        one_shots: one_shot_services(&desired),
        abort: session.abort,
        alive: HashMap::new(),
        exits: HashMap::new(),
        exit_lines: HashMap::new(),
        refollow: HashSet::new(),
        ending: None,
    };
    for c in &containers {
        if attached(c) {
            watch.mux.follow(c);
        }
        if matches!(c.state, RunState::Exited | RunState::Dead) {
            let code = c.exit_code.unwrap_or_default();
            if finished_before(&engine, c, session.began).await {
                // A one-shot job done in an earlier run, which this one left
                // alone: nothing of it happens now.
                watch.exits.insert(c.service().to_string(), code);
            } else {
                watch.exited(c, code, attached(c));
            }
        } else if c.state != RunState::Created {
            watch.alive.insert(c.id.clone(), c.clone());
        }
    }

    loop {
        if let Some(ending) = &watch.ending {
            let stopped = ending.stop.as_ref().is_none_or(JoinHandle::is_finished)
                && !watch.alive.values().any(|c| ending.covers(c));
            if stopped {
                break;
            }
        } else {
            // Without attached services, the session lasts as long as the project.
            let done = if session.attach.is_empty() {
                watch.alive.is_empty()
            } else {
                !watch.alive.values().any(&attached)
            };
            if done && !session.until_interrupted {
                break;
            }
        }
        if let Some(reason) = watch.take_abort() {
            settings.progress.note("Aborting on container exit...");
            watch.end(reason, Vec::new(), &engine, &desired, &settings);
            continue;
        }
        tokio::select! {
            Some(id) = watch.mux.next_ended() => {
                if let Some(lost) = watch.mux.take_lost() {
                    watch.mux.flush();
                    return Err(Error::Engine(lost));
                }
                watch.reader_ended(&id);
            }
            () = interrupts.recv() => match &mut watch.ending {
                None => {
                    settings.progress.note("Gracefully stopping... (press Ctrl+C again to force)");
                    let services = session.stop_on_interrupt.clone();
                    watch.end(Reason::Interrupted, services, &engine, &desired, &settings);
                }
                Some(ending) => {
                    settings.progress.note("Killing...");
                    if let Some(stop) = ending.stop.take() {
                        stop.abort();
                    }
                    ending.reason = Reason::Interrupted;
                    let doomed: Vec<&Container> =
                        watch.alive.values().filter(|c| ending.covers(c)).collect();
                    kill(&engine, doomed).await?;
                }
            },
            result = finished(&mut watch.ending) => {
                result?;
                // Whatever the events have not reported yet is looked up.
                let covered: Vec<Container> = watch
                    .alive
                    .values()
                    .filter(|c| watch.ending.as_ref().is_some_and(|e| e.covers(c)))
                    .cloned()
                    .collect();
                for c in covered {
                    let fallback = c.exit_code.unwrap_or_default();
                    if let Some(code) = exit_code(&engine, &c.id, fallback).await? {
                        watch.alive.remove(&c.id);
                        watch.exited(&c, code, attached(&c));
                    }
                }
            }
            event = events.next() => match event {
                Some(Ok(event)) => watch.on_event(&engine, &project, event, &monitored, &attached).await?,
                Some(Err(e)) => return Err(Error::Engine(e)),
                None => return Err(Failure::EventsEnded.into()),
            },
        }
    }
    // The stopped containers' last lines (running ones are not waited for).
    while watch.mux.has_readers() && !watch.mux.is_closed() {
        if watch.mux.readers().all(|id| watch.alive.contains_key(id)) {
            break;
        }
        if let Some(id) = watch.mux.next_ended().await {
            watch.reader_ended(&id);
        }
    }
    watch.mux.flush();
    for (c, message) in std::mem::take(&mut watch.exit_lines).into_values() {
        watch.mux.status(&c, &message);
    }
    watch.exit_code(&engine, &session, &attached).await
}

/// Follows the containers' lives and decides when the session ends.
struct Watch {
    mux: LogMux<CliEngine>,
    /// Services others wait on with `service_completed_successfully`:
    /// their exit 0 is expected.
    one_shots: HashSet<String>,
    abort: Abort,
    /// Containers running (or restarting), by ID.
    alive: HashMap<String, Container>,
    /// The last exit code of each service's containers.
    exits: HashMap<String, i64>,
    /// `web-1 exited with code 0` lines, printed after the container's last
    /// output line, by container ID.
    exit_lines: HashMap<String, (Container, String)>,
    /// Restarted containers whose last run's output is still being read.
    refollow: HashSet<String>,
    ending: Option<Ending>,
}

impl Watch {
    async fn on_event(
        &mut self,
        engine: &CliEngine,
        project: &str,
        event: Event,
        monitored: &impl Fn(&Container) -> bool,
        attached: &impl Fn(&Container) -> bool,
    ) -> Result<(), Error> {
        match event.what {
            // Restarted by its policy: its output is read anew once the
            // last run's has ended.
            ContainerEvent::Started if self.alive.contains_key(&event.container_id) => {
                let c = self.alive[&event.container_id].clone();
                if attached(&c) {
                    if self.mux.is_reading(&c.id) {
                        self.refollow.insert(c.id);
                    } else {
                        self.mux.follow(&c);
                    }
                }
            }
            ContainerEvent::Started => {
                // Replayed events may be old news: the engine says what is true now.
                let containers = engine.list_containers(project).await?;
                let Some(c) = containers
                    .into_iter()
                    .find(|c| c.id == event.container_id && monitored(c))
                else {
                    return Ok(());
                };
                if matches!(c.state, RunState::Running | RunState::Restarting) {
                    if attached(&c) {
                        self.mux.widen([label(&c)]);
                        // Restarted after its exit: its last run's output may
                        // still be being read.
                        if self.mux.is_reading(&c.id) {
                            self.refollow.insert(c.id.clone());
                        } else {
                            self.mux.follow(&c);
                        }
                    }
                    self.alive.insert(c.id.clone(), c);
                }
            }
            ContainerEvent::Died { exit_code: died } => {
                let Some(c) = self.alive.get(&event.container_id).cloned() else {
                    return Ok(());
                };
                // A container the engine restarts by its policy lives on.
                if let Some(code) = exit_code(engine, &c.id, died).await? {
                    self.alive.remove(&c.id);
                    self.exited(&c, code, attached(&c));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Prints the exit line of a container whose output ended, or reads
    /// the output of its new run.
    fn reader_ended(&mut self, id: &str) {
        if let Some((c, message)) = self.exit_lines.remove(id) {
            self.mux.status(&c, &message);
        }
        if self.refollow.remove(id)
            && let Some(c) = self.alive.get(id).cloned()
        {
            self.mux.follow(&c);
        }
    }

    /// Records an exit; it may make the session abort.
    fn exited(&mut self, c: &Container, code: i64, attached: bool) {
        let message = format!("exited with code {code}");
        if self.mux.is_reading(&c.id) {
            self.exit_lines.insert(c.id.clone(), (c.clone(), message));
        } else if attached {
            self.mux.status(c, &message);
        }
        self.exits.insert(c.service().to_string(), code);
        let expected = code == 0 && self.one_shots.contains(c.service());
        let aborts = match self.abort {
            Abort::Never => false,
            Abort::OnExit => !expected,
            Abort::OnFailure => code != 0,
        };
        if aborts && self.ending.is_none() {
            self.ending = Some(Ending {
                reason: Reason::Aborted {
                    container: Box::new(c.clone()),
                    code,
                },
                services: Vec::new(),
                stop: None,
            });
        }
    }

    /// An abort decided but not acted on yet.
    fn take_abort(&mut self) -> Option<Reason> {
        match &self.ending {
            Some(ending)
                if ending.stop.is_none() && matches!(ending.reason, Reason::Aborted { .. }) =>
            {
                let reason = ending.reason.clone();
                self.ending = None;
                Some(reason)
            }
            _ => None,
        }
    }

    /// Starts stopping `services` (all when empty), for `reason`.
    fn end(
        &mut self,
        reason: Reason,
        services: Vec<String>,
        engine: &CliEngine,
        desired: &Desired,
        settings: &RunSettings,
    ) {
        let stop = tokio::spawn(stop_services(
            engine.clone(),
            desired.clone(),
            services.clone(),
            settings.clone(),
        ));
        self.ending = Some(Ending {
            reason,
            services,
            stop: Some(stop),
        });
    }

    async fn exit_code(
        &self,
        engine: &CliEngine,
        session: &Session,
        attached: &impl Fn(&Container) -> bool,
    ) -> Result<i32, Error> {
        let reason = self.ending.as_ref().map(|e| e.reason.clone());
        if let Some(Reason::Aborted { container, .. }) = &reason
            && !attached(container)
        {
            // Its output was not shown: the end of it says why it stopped.
            let logs = engine
                .tail_logs(&container.id, 20)
                .await
                .unwrap_or_default();
            eprint!(
                "{}",
                execute::indented(&format!("last log lines of {}:", label(container)), &logs)
            );
        }
        let code = match (&reason, &session.exit_code_from) {
            (Some(Reason::Interrupted), _) => return Ok(exit::INTERRUPTED),
            (_, Some(service)) => self.exits.get(service).copied().unwrap_or_default(),
            (Some(Reason::Aborted { code, .. }), None) => *code,
            (None, None) => 0,
        };
        Ok(i32::try_from(code).unwrap_or(exit::FAILURE))
    }
}

/// Whether the exited container `c` stopped before `began` (Unix nanoseconds).
async fn finished_before(engine: &CliEngine, c: &Container, began: i128) -> bool {
    let Ok(status) = engine.inspect_status(&c.id).await else {
        return false;
    };
    crate::time::rfc3339_to_nanos(&status.finished_at).is_some_and(|at| at < began)
}

/// The exit code of the container `id` when it is no longer running; none
/// while it runs (or the engine restarts it). A container removed already
/// (a `down` from elsewhere) ended with `fallback`.
async fn exit_code(engine: &CliEngine, id: &str, fallback: i64) -> Result<Option<i64>, Error> {
    match engine.inspect_status(id).await {
        Ok(status) if matches!(status.state, RunState::Running | RunState::Restarting) => Ok(None),
        Ok(status) => Ok(Some(status.exit_code)),
        Err(EngineError::NotFound(_)) => Ok(Some(fallback)),
        Err(e) => Err(e.into()),
    }
}

/// Kills `containers` at once (a second Ctrl-C); those that stopped or went
/// away meanwhile are no error.
async fn kill<'a>(
    engine: &CliEngine,
    containers: impl IntoIterator<Item = &'a Container>,
) -> Result<(), Error> {
    for c in containers {
        match engine.kill_container(&c.id, "SIGKILL").await {
            Ok(()) | Err(EngineError::NotFound(_) | EngineError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// After an interrupt while the plan ran (creating, starting, waiting on
/// a dependency), before any output was shown: stops `services` (all when
/// empty) as the first Ctrl-C of the session does, and kills them on the
/// next interrupt; the exit code of the command.
pub async fn stop_interrupted(
    engine: CliEngine,
    desired: Desired,
    services: Vec<String>,
    settings: RunSettings,
    mut interrupts: Interrupts,
) -> Result<i32, Error> {
    // The interrupt that cancelled the plan.
    interrupts.recv().await;
    let printer = settings.progress.clone();
    printer.note("Gracefully stopping... (press Ctrl+C again to force)");
    let mut stop = tokio::spawn(stop_services(
        engine.clone(),
        desired.clone(),
        services.clone(),
        settings,
    ));
    tokio::select! {
        stopped = &mut stop => match stopped {
            Ok(stopped) => stopped?,
            Err(e) => return Err(Failure::StopFailed(e).into()),
        },
        () = interrupts.recv() => {
            printer.note("Killing...");
            stop.abort();
            let containers = engine.list_containers(&desired.project).await?;
            let doomed = containers.iter().filter(|c| {
                !c.is_oneoff()
                    && desired.services.contains_key(c.service())
                    && (services.is_empty() || services.iter().any(|s| s == c.service()))
                    && matches!(c.state, RunState::Running | RunState::Restarting)
            });
            kill(&engine, doomed).await?;
        }
    }
    Ok(exit::INTERRUPTED)
}

/// Resolves when the stop in progress is done (never when there is none).
async fn finished(ending: &mut Option<Ending>) -> Result<(), Error> {
    let Some(stop) = ending.as_mut().and_then(|e| e.stop.as_mut()) else {
        return std::future::pending().await;
    };
    let result = stop.await;
    if let Some(ending) = ending.as_mut() {
        ending.stop = None;
    }
    match result {
        Ok(result) => result,
        // Aborted by a second Ctrl-C: the kill takes over.
        Err(_) => Ok(()),
    }
}

/// Stops the running containers of `services` (all when empty), as `stop`
/// does, under the project's lock (which the session does not hold).
async fn stop_services(
    engine: CliEngine,
    desired: Desired,
    services: Vec<String>,
    settings: RunSettings,
) -> Result<(), Error> {
    let _lock = open::lock_project(&engine, &desired.project, &settings.progress).await?;
    let observed = open::observe(&engine, &desired, None).await?;
    let plan = lifecycle::plan_stop(&desired, &observed, &services, None);
    apply::run_plan(engine, desired, &observed, &plan, &settings).await
}

/// Services that others wait on with `service_completed_successfully`.
fn one_shot_services(desired: &Desired) -> HashSet<String> {
    desired
        .services
        .values()
        .flat_map(|s| &s.depends_on)
        .filter(|(_, d)| d.condition == Condition::ServiceCompletedSuccessfully)
        .map(|(name, _)| name.clone())
        .collect()
}
