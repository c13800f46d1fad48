//! What the engine reports over time: logs, events (a feed that survives
//! the engine ending it), stats and processes.

use std::collections::HashMap;
use std::time::Duration;

use bollard::errors::Error as BollardError;
use bollard::query_parameters::{EventsOptionsBuilder, LogsOptionsBuilder, StatsOptionsBuilder};
use futures_util::stream::{BoxStream, StreamExt};

use super::connect::{engine_error, transport_failure};
use super::{DockerEngine, project_filter, unix_now};
use crate::engine::{
    Activity, ContainerEvent, EngineError, Event, Health, LogChunk, LogOptions, Result, Usage,
};

/// How long the engine may take to answer a ping after its event stream
/// ended, before berth takes it for gone.
const PING_AFTER_END: Duration = Duration::from_secs(5);
/// How long an event stream may stay quiet before berth checks, with a
/// ping, that the engine is still there.
const QUIET_BEFORE_PING: Duration = Duration::from_secs(10);
/// Subscriptions to the events anew in a row, while the engine answers
/// pings; Podman ends the stream when it rotates its event log.
const RESUBSCRIPTIONS: u32 = 2;
/// A stream that lived this long (or brought an event) earns its
/// resubscriptions back.
const LONG_LIVED: Duration = Duration::from_secs(30);

/// A piece of a container's or an exec's output, as the engine's
/// multiplexed stream gives it (logs, attach, exec all read the same frames).
pub(super) fn log_chunk(
    host: &str,
    chunk: std::result::Result<bollard::container::LogOutput, BollardError>,
) -> Result<LogChunk> {
    let chunk = chunk.map_err(|e| engine_error(host, e))?;
    Ok(LogChunk {
        stderr: matches!(chunk, bollard::container::LogOutput::StdErr { .. }),
        bytes: chunk.into_bytes(),
    })
}

impl DockerEngine {
    pub(super) async fn processes(&self, id: &str) -> Result<(Vec<String>, Vec<Vec<String>>)> {
        let top = self
            .read(|c| async move {
                c.top_processes(id, None::<bollard::query_parameters::TopOptions>)
                    .await
            })
            .await
            .map_err(|e| self.fail(e))?;
        Ok((
            top.titles.unwrap_or_default(),
            top.processes.unwrap_or_default(),
        ))
    }

    pub(super) async fn sample_usage(&self, id: &str) -> Result<Usage> {
        let options = StatsOptionsBuilder::default().stream(false).build();
        let mut samples = self.client.stats(id, Some(options));
        match samples.next().await {
            Some(sample) => Ok(usage(sample.map_err(|e| self.fail(e))?)),
            None => Err(EngineError::NoStats { id: id.to_string() }),
        }
    }

    pub(super) async fn log_tail(&self, id: &str, lines: usize) -> Result<String> {
        let options = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .tail(&lines.to_string())
            .build();
        let mut stream = self.client.logs(id, Some(options));
        let mut text = String::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.fail(e))?;
            text.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
        }
        Ok(text)
    }

    pub(super) fn log_stream(
        &self,
        id: &str,
        options: &LogOptions,
    ) -> BoxStream<'static, Result<LogChunk>> {
        // The engine takes whole seconds as a 32-bit number.
        let seconds = |t: i64| i32::try_from(t).unwrap_or(i32::MAX);
        let mut query = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .follow(options.follow)
            .timestamps(options.timestamps)
            .tail(options.tail.as_deref().unwrap_or("all"));
        if let Some(since) = options.since {
            query = query.since(seconds(since));
        }
        if let Some(until) = options.until {
            query = query.until(seconds(until));
        }
        let (client, host) = (self.client.clone(), self.host.clone());
        client
            .logs(id, Some(query.build()))
            .map(move |chunk| log_chunk(&host, chunk))
            .boxed()
    }

    pub(super) async fn event_stream(
        &self,
        project: &str,
    ) -> Result<BoxStream<'static, Result<Event>>> {
        let stream = self
            .container_messages(project, None, None)
            .filter_map(|item| async move {
                match item {
                    Ok(message) => container_event(message).map(Ok),
                    Err(e) => Some(Err(e)),
                }
            });
        Ok(stream.boxed())
    }

    pub(super) fn activity_stream(
        &self,
        project: &str,
        since: Option<i64>,
        until: Option<i64>,
    ) -> BoxStream<'static, Result<Activity>> {
        self.container_messages(project, since, until)
            .map(|item| {
                item.map(|message| {
                    let actor = message.actor.unwrap_or_default();
                    let action = message.action.unwrap_or_default();
                    Activity {
                        time_nano: message.time_nano.unwrap_or_default(),
                        // Podman's `remove` is Docker's `destroy`, which
                        // `events` prints as Docker Compose does.
                        action: if action == "remove" {
                            "destroy".to_string()
                        } else {
                            action
                        },
                        container_id: actor.id.unwrap_or_default(),
                        attributes: actor.attributes.unwrap_or_default().into_iter().collect(),
                    }
                })
            })
            .boxed()
    }

    /// The engine's messages about the containers of `project`, from `since`
    /// (Unix seconds; now when `None`) until `until` (for ever when `None`).
    /// A stream the engine ends while it still answers is subscribed anew
    /// (up to [`RESUBSCRIPTIONS`] times in a row); one that ends because
    /// the engine went away ends with [`EngineError::Lost`].
    fn container_messages(
        &self,
        project: &str,
        since: Option<i64>,
        until: Option<i64>,
    ) -> BoxStream<'static, Result<bollard::models::EventMessage>> {
        let mut filters = project_filter(project);
        filters.insert("type", vec!["container".into()]);
        // The stream is lazy (bollard sends the request when first polled),
        // so "now" is asked for explicitly: events in between are replayed.
        let feed = EventFeed {
            engine: self.clone(),
            filters,
            since: since.unwrap_or_else(unix_now).to_string(),
            until: until.map(|u| u.to_string()),
            last_nano: None,
            stream: None,
            opened: std::time::Instant::now(),
            retries: RESUBSCRIPTIONS,
        };
        futures_util::stream::unfold(Some(feed), |feed| async move {
            let mut feed = feed?;
            match feed.next().await? {
                Ok(message) => Some((Ok(message), Some(feed))),
                // Nothing comes after an error.
                Err(e) => Some((Err(e), None)),
            }
        })
        .boxed()
    }
}

/// The engine's event stream for one project, subscribed anew when it ends
/// while the engine still answers.
struct EventFeed {
    engine: DockerEngine,
    filters: HashMap<&'static str, Vec<String>>,
    /// The first subscription's `since`.
    since: String,
    until: Option<String>,
    /// When the last event delivered happened (nanoseconds).
    last_nano: Option<i64>,
    stream: Option<
        BoxStream<'static, std::result::Result<bollard::models::EventMessage, BollardError>>,
    >,
    opened: std::time::Instant,
    /// Resubscriptions left.
    retries: u32,
}

impl EventFeed {
    /// Subscribes, from just after the last event delivered (or from the
    /// first `since` when none was): what happened in between is replayed.
    fn subscribe(&mut self) {
        let since = match self.last_nano {
            Some(nano) => {
                let next = nano.saturating_add(1);
                format!(
                    "{}.{:09}",
                    next.div_euclid(1_000_000_000),
                    next.rem_euclid(1_000_000_000)
                )
            }
            None => self.since.clone(),
        };
        let mut options = EventsOptionsBuilder::default()
            .since(&since)
            .filters(&self.filters);
        if let Some(until) = &self.until {
            options = options.until(until);
        }
        self.stream = Some(self.engine.client.events(Some(options.build())).boxed());
        self.opened = std::time::Instant::now();
    }

    /// The next event; an error ends the feed.
    async fn next(&mut self) -> Option<Result<bollard::models::EventMessage>> {
        loop {
            if self.stream.is_none() {
                self.subscribe();
            }
            let stream = self.stream.as_mut()?;
            let Ok(next) = tokio::time::timeout(QUIET_BEFORE_PING, stream.next()).await else {
                // A quiet stream is normal; an engine that does not answer
                // a ping either is gone, though the connection looks open
                // (a host that dropped off the network).
                if let Err(e) = self.engine.check_alive().await {
                    return Some(Err(e));
                }
                continue;
            };
            let why = match next {
                Some(Ok(message)) => {
                    if let Some(nano) = message.time_nano {
                        self.last_nano = Some(nano);
                    }
                    self.retries = RESUBSCRIPTIONS;
                    return Some(Ok(message));
                }
                Some(Err(e)) => match transport_failure(&e) {
                    Some(reason) => reason,
                    None => return Some(Err(self.engine.fail(e))),
                },
                // With `until`, the engine ends the stream there.
                None if self.until.is_some() => return None,
                None => "the engine ended its event stream".to_string(),
            };
            self.stream = None;
            if self.opened.elapsed() >= LONG_LIVED {
                self.retries = RESUBSCRIPTIONS;
            }
            let lost = |reason: String| EngineError::Lost {
                host: self.engine.host.to_string(),
                reason,
            };
            // An engine that still answers ended the stream on purpose.
            match tokio::time::timeout(PING_AFTER_END, self.engine.client.ping()).await {
                Ok(Ok(_)) if self.retries > 0 => self.retries -= 1,
                Ok(Ok(_)) => {
                    return Some(Err(EngineError::EventsEnded {
                        why,
                        times: RESUBSCRIPTIONS + 1,
                    }));
                }
                Ok(Err(e)) => {
                    return Some(Err(match self.engine.fail(e) {
                        e @ EngineError::Lost { .. } => e,
                        other => lost(format!("{why}, and a ping failed: {other}")),
                    }));
                }
                Err(_) => {
                    return Some(Err(lost(format!(
                        "{why}, and a ping got no answer within {} s",
                        PING_AFTER_END.as_secs()
                    ))));
                }
            }
        }
    }
}

/// A stats sample in the numbers `docker stats` shows: CPU against the
/// previous sample, memory without the inactive page cache (`inactive_file`
/// on cgroup v2, `total_inactive_file` on v1), I/O summed over devices.
fn usage(sample: bollard::models::ContainerStatsResponse) -> Usage {
    let cpu = sample.cpu_stats.unwrap_or_default();
    let before = sample.precpu_stats.unwrap_or_default();
    let total = |c: &bollard::models::ContainerCpuStats| {
        c.cpu_usage
            .as_ref()
            .and_then(|u| u.total_usage)
            .unwrap_or(0)
    };
    let cpu_delta = total(&cpu).saturating_sub(total(&before)) as f64;
    let system_delta = cpu
        .system_cpu_usage
        .unwrap_or(0)
        .saturating_sub(before.system_cpu_usage.unwrap_or(0)) as f64;
    let cpus = cpu.online_cpus.map(f64::from).unwrap_or_else(|| {
        cpu.cpu_usage
            .as_ref()
            .and_then(|u| u.percpu_usage.as_ref())
            .map_or(0.0, |p| p.len() as f64)
    });
    let cpu_percent = if system_delta > 0.0 && cpu_delta > 0.0 {
        cpu_delta / system_delta * cpus * 100.0
    } else {
        0.0
    };
    let memory = sample.memory_stats.unwrap_or_default();
    let used = memory.usage.unwrap_or(0);
    let stats = memory.stats.unwrap_or_default();
    let cache = stats
        .get("inactive_file")
        .or_else(|| stats.get("total_inactive_file"))
        .copied()
        .filter(|&c| c < used)
        .unwrap_or(0);
    let networks = sample.networks.unwrap_or_default();
    let (mut block_read, mut block_write) = (0, 0);
    let entries = sample
        .blkio_stats
        .and_then(|b| b.io_service_bytes_recursive)
        .unwrap_or_default();
    for entry in entries {
        match entry.op.as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("read") => block_read += entry.value.unwrap_or(0),
            Some("write") => block_write += entry.value.unwrap_or(0),
            _ => {}
        }
    }
    Usage {
        cpu_percent,
        memory: used - cache,
        memory_limit: memory.limit.unwrap_or(0),
        net_rx: networks.values().filter_map(|n| n.rx_bytes).sum(),
        net_tx: networks.values().filter_map(|n| n.tx_bytes).sum(),
        block_read,
        block_write,
        pids: sample.pids_stats.and_then(|p| p.current).unwrap_or(0),
    }
}

fn container_event(message: bollard::models::EventMessage) -> Option<Event> {
    let action = message.action?;
    let actor = message.actor?;
    let attributes = actor.attributes.unwrap_or_default();
    let what = match action.as_str() {
        "start" => ContainerEvent::Started,
        "die" => ContainerEvent::Died {
            exit_code: attributes
                .get("exitCode")
                .and_then(|c| c.parse().ok())
                .unwrap_or(-1),
        },
        // Podman's name for Docker's `destroy`.
        "destroy" | "remove" => ContainerEvent::Destroyed,
        // Docker writes `health_status: healthy`; Podman 4 a bare
        // `health_status` (later ones with the status as an attribute).
        // A wait inspects again on any event, so the bare one only wakes it.
        a if a.starts_with("health_status") => {
            let status = match a.split_once(':') {
                Some((_, status)) => Some(status.trim()),
                None => attributes.get("health_status").map(String::as_str),
            };
            ContainerEvent::Health(status.and_then(Health::parse).unwrap_or(Health::Starting))
        }
        _ => return None,
    };
    Some(Event {
        container_id: actor.id.unwrap_or_default(),
        what,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn podmans_event_words_read_as_dockers() {
        let event = |action: &str, attributes: &[(&str, &str)]| {
            container_event(bollard::models::EventMessage {
                action: Some(action.into()),
                actor: Some(bollard::models::EventActor {
                    id: Some("c1".into()),
                    attributes: Some(
                        attributes
                            .iter()
                            .map(|(k, v)| (k.to_string(), v.to_string()))
                            .collect(),
                    ),
                }),
                ..Default::default()
            })
            .map(|e| e.what)
        };
        assert_eq!(event("remove", &[]), Some(ContainerEvent::Destroyed));
        assert_eq!(event("destroy", &[]), Some(ContainerEvent::Destroyed));
        assert_eq!(
            event("health_status: unhealthy", &[]),
            Some(ContainerEvent::Health(Health::Unhealthy))
        );
        assert_eq!(
            event("health_status", &[("health_status", "healthy")]),
            Some(ContainerEvent::Health(Health::Healthy))
        );
        // Podman 4's bare word only wakes a wait, which inspects again.
        assert_eq!(
            event("health_status", &[]),
            Some(ContainerEvent::Health(Health::Starting))
        );
    }
}
