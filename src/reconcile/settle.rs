//! After a berth that was killed while it held the project's lock: the
//! stops and kills it had asked the engine for may still be under way (a
//! stop lasts up to the container's grace period). A plan made now would
//! see those containers running and keep them, and they would exit right
//! after. So the next berth waits for them to end before it looks.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use futures_util::StreamExt;

use crate::engine::{ContainerEvent, Engine, Result, RunState};

/// How long berth waits for an interrupted run's stops at most.
const LIMIT: Duration = Duration::from_secs(120);

/// How long a stop or kill the killed berth sent in its last moments may
/// take to reach the engine's log: the engine goes on with a request whose
/// client is gone, and says so a little later.
const IN_FLIGHT: Duration = Duration::from_secs(1);

/// Waits until every container of `project` that the engine was asked to
/// stop or kill since `since` (Unix seconds), and that has not died yet,
/// has died. Returns the names of those it waited for.
pub async fn settle<E: Engine>(engine: &E, project: &str, since: i64) -> Result<Vec<String>> {
    // Subscribed first, so that no death between the look back and the
    // wait is missed.
    let mut events = engine.events(project).await?;
    let mut pending = stopping(engine, project, since).await?;
    // Looked at again once the requests still on their way have landed.
    tokio::time::sleep(IN_FLIGHT).await;
    pending.extend(stopping(engine, project, since).await?);
    let waited: Vec<String> = pending.values().cloned().collect();
    if pending.is_empty() {
        return Ok(waited);
    }
    let mut open: BTreeSet<String> = pending.into_keys().collect();
    let _ = tokio::time::timeout(LIMIT, async {
        while !open.is_empty() {
            match events.next().await {
                Some(Ok(event))
                    if matches!(
                        event.what,
                        ContainerEvent::Died { .. } | ContainerEvent::Destroyed
                    ) =>
                {
                    open.remove(&event.container_id);
                }
                Some(Ok(_)) => {}
                // The plan will see whatever state they are in.
                Some(Err(_)) | None => break,
            }
        }
    })
    .await;
    Ok(waited)
}

/// The containers of `project` the engine was asked to stop or kill since
/// `since` that still run, by ID, with their names.
async fn stopping<E: Engine>(
    engine: &E,
    project: &str,
    since: i64,
) -> Result<BTreeMap<String, String>> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let mut history = engine.activity(project, Some(since.saturating_sub(1)), Some(now + 1));
    // The last of these actions says where each container stands: a `kill`
    // (a stop's signal too) not followed by its `die` is under way.
    let mut last: BTreeMap<String, (String, String)> = BTreeMap::new();
    while let Some(item) = history.next().await {
        let item = item?;
        if matches!(item.action.as_str(), "kill" | "die" | "start" | "destroy") {
            let name = item.attributes.get("name").cloned().unwrap_or_default();
            last.insert(item.container_id, (item.action, name));
        }
    }
    let mut pending = BTreeMap::new();
    for (id, (action, name)) in last {
        if action != "kill" {
            continue;
        }
        // Already down (its `die` may simply not be reported yet).
        let running = engine
            .inspect_status(&id)
            .await
            .is_ok_and(|s| matches!(s.state, RunState::Running | RunState::Restarting));
        if running {
            pending.insert(id, name);
        }
    }
    Ok(pending)
}
