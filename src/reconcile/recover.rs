//! After a berth that was killed while it held the project's lock: the
//! requests it had sent and not seen answered may still be carried out,
//! and late (an engine under load can take seconds to deliver a signal or
//! make a network). A plan made now would keep a container that then stops
//! or goes, miss one that then appears, or make a second network of one
//! name. So the next berth deals with them first: what was stopping is
//! stopped (or killed), what was going is removed, what was being renamed
//! is renamed, as the killed berth was asked to (asking again is harmless
//! when the first request did land); a container or network being made is
//! waited for.

use std::time::Duration;

use futures_util::future::join_all;

use crate::engine::intent::Intent;
use crate::engine::{Container, Engine, EngineError, Result, RunState};

/// The signals after which a container is down for good; any other is left
/// alone rather than sent twice.
const FINAL_SIGNALS: [&str; 3] = ["SIGKILL", "KILL", "9"];

/// How long a container or network the killed berth asked for may take to
/// appear. Only a request that never left it (killed between noting and
/// sending) or that the engine refused waits this long.
const APPEAR_LIMIT: Duration = Duration::from_secs(5);

/// How often the engine is asked whether it is there yet.
const APPEAR_POLL: Duration = Duration::from_millis(50);

/// What [`finish`] did: what it finished (`stopping p-web-1`, `creating
/// network p_default`) and what it could not (with the engine's reason),
/// each sorted.
#[derive(Debug, Default, PartialEq)]
pub struct Finished {
    pub done: Vec<String>,
    pub failed: Vec<String>,
}

/// Deals with `interrupted` on the objects of `project`, all at once. One
/// that fails is reported, not fatal: the plan then sees what is there.
pub async fn finish<E: Engine>(
    engine: &E,
    project: &str,
    interrupted: &[Intent],
) -> Result<Finished> {
    let mut finished = Finished::default();
    if interrupted.is_empty() {
        return Ok(finished);
    }
    let containers = engine.list_containers(project).await?;
    let outcomes = join_all(
        interrupted
            .iter()
            .map(|intent| finish_one(engine, project, intent, &containers)),
    )
    .await;
    for (intent, outcome) in interrupted.iter().zip(outcomes) {
        match outcome {
            Ok(Some(done)) => finished.done.push(done),
            Ok(None) => {}
            Err(e) => finished.failed.push(format!("{intent}: {e}")),
        }
    }
    for list in [&mut finished.done, &mut finished.failed] {
        list.sort();
        list.dedup();
    }
    Ok(finished)
}

/// Deals with one intent; says what it finished, if anything.
async fn finish_one<E: Engine>(
    engine: &E,
    project: &str,
    intent: &Intent,
    containers: &[Container],
) -> Result<Option<String>> {
    match intent {
        Intent::CreateNetwork { name } => {
            let exists = || async { Ok(engine.find_network(name).await?.is_some()) };
            return Ok(appeared(exists)
                .await?
                .then(|| format!("creating network {name}")));
        }
        Intent::CreateContainer { name } => {
            let exists = || async {
                let listed = engine.list_containers(project).await?;
                Ok(listed.iter().any(|c| c.name == *name))
            };
            return Ok(appeared(exists).await?.then(|| format!("creating {name}")));
        }
        _ => {}
    }
    let Some(container) = containers
        .iter()
        .find(|c| c.id == intent.target() || c.name == intent.target())
    else {
        return Ok(None);
    };
    if !still_needed(intent, container) {
        return Ok(None);
    }
    let (id, name) = (&container.id, &container.name);
    Ok(Some(match intent {
        Intent::Stop { timeout, .. } => {
            engine.stop_container(id, Some(*timeout)).await?;
            format!("stopping {name}")
        }
        Intent::Kill { signal, .. } => {
            engine.kill_container(id, signal).await?;
            format!("killing {name}")
        }
        Intent::Remove { volumes, .. } => {
            engine.remove_container(id, *volumes).await?;
            format!("removing {name}")
        }
        Intent::Rename { name: new, .. } => {
            engine.rename_container(id, new).await?;
            format!("renaming {name} to {new}")
        }
        Intent::CreateNetwork { .. } | Intent::CreateContainer { .. } => {
            unreachable!("dealt with above")
        }
    }))
}

/// Whether `intent` has yet to happen to `container`.
fn still_needed(intent: &Intent, container: &Container) -> bool {
    let up = matches!(
        container.state,
        RunState::Running | RunState::Restarting | RunState::Paused
    );
    match intent {
        Intent::Stop { .. } => up,
        Intent::Kill { signal, .. } => {
            up && FINAL_SIGNALS.contains(&signal.to_ascii_uppercase().as_str())
        }
        Intent::Remove { .. } => true,
        Intent::Rename { name, .. } => container.name != *name,
        Intent::CreateNetwork { .. } | Intent::CreateContainer { .. } => false,
    }
}

/// Waits, at most [`APPEAR_LIMIT`], until `exists`; whether it had to wait.
/// A container or network made a moment after the plan looked would be
/// missed by it, or, for a network, made twice (the engine does not keep
/// network names unique under concurrent creates).
async fn appeared<F, Fut>(exists: F) -> Result<bool>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<bool>>,
{
    if exists().await? {
        return Ok(false);
    }
    let waited = tokio::time::timeout(APPEAR_LIMIT, async {
        loop {
            tokio::time::sleep(APPEAR_POLL).await;
            if exists().await? {
                return Ok::<_, EngineError>(());
            }
        }
    })
    .await;
    match waited {
        Ok(found) => found.map(|()| true),
        Err(_elapsed) => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::fake::FakeEngine;
    use crate::engine::{ContainerSpec, labels};

    /// A container of project `p`, started when `running`; its ID.
    async fn container(engine: &FakeEngine, name: &str, running: bool) -> String {
        let spec = ContainerSpec {
            labels: [(labels::PROJECT.to_string(), "p".to_string())].into(),
            ..ContainerSpec::default()
        };
        let id = engine.create_container(name, "", &spec).await.unwrap().id;
        if running {
            engine.start_container(&id).await.unwrap();
        }
        id
    }

    fn ops(engine: &FakeEngine) -> Vec<(&'static str, String)> {
        let calls = engine
            .calls()
            .into_iter()
            .skip_while(|c| c.op != "stop" && c.op != "remove");
        calls.map(|c| (c.op, c.target)).collect()
    }

    #[tokio::test]
    async fn what_was_under_way_is_done_unless_it_already_happened() {
        let engine = FakeEngine::default();
        let web = container(&engine, "p-web-1", true).await;
        let db = container(&engine, "p-db-1", false).await;
        let job = container(&engine, "p-job-1", false).await;
        let cache = container(&engine, "p-cache-1", true).await;
        let interrupted = [
            // Still running: stopped now.
            Intent::Stop {
                id: web,
                timeout: 1,
            },
            // Already stopped: left alone.
            Intent::Stop { id: db, timeout: 1 },
            // Still there: removed, by name as well as by ID.
            Intent::Remove {
                id: "p-job-1".into(),
                volumes: false,
            },
            // A signal that does not end it: not sent twice.
            Intent::Kill {
                id: cache,
                signal: "SIGHUP".into(),
            },
            // Gone already.
            Intent::Remove {
                id: job.clone(),
                volumes: false,
            },
            Intent::Stop {
                id: "gone".into(),
                timeout: 1,
            },
        ];
        let finished = finish(&engine, "p", &interrupted).await.unwrap();
        assert_eq!(finished.done, ["removing p-job-1", "stopping p-web-1"]);
        assert_eq!(finished.failed, Vec::<String>::new());
        let mut done = ops(&engine);
        done.sort();
        assert_eq!(
            done,
            [
                ("remove", "p-job-1".to_string()),
                ("remove", "p-job-1".to_string()),
                ("stop", "p-web-1".to_string())
            ]
        );
        assert_eq!(engine.container_names(), ["p-cache-1", "p-db-1", "p-web-1"]);
    }

    #[tokio::test]
    async fn a_final_kill_is_sent_again_and_nothing_is_asked_when_nothing_was_under_way() {
        let engine = FakeEngine::default();
        let web = container(&engine, "p-web-1", true).await;
        assert_eq!(
            finish(&engine, "p", &[]).await.unwrap(),
            Finished::default()
        );
        let kill = Intent::Kill {
            id: web,
            signal: "kill".into(),
        };
        assert_eq!(
            finish(&engine, "p", &[kill]).await.unwrap().done,
            ["killing p-web-1"]
        );
        assert_eq!(ops(&engine), [("stop", "p-web-1".to_string())]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_network_under_way_is_waited_for_and_one_that_never_comes_is_not_for_ever() {
        let engine = FakeEngine::default();
        engine.add_network("p_there");
        let intents = [
            Intent::CreateNetwork {
                name: "p_there".into(),
            },
            Intent::CreateNetwork {
                name: "p_never".into(),
            },
        ];
        // Already there: no wait; never there: given up after the limit.
        assert_eq!(
            finish(&engine, "p", &intents).await.unwrap(),
            Finished::default()
        );
        let late = engine.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            late.add_network("p_late");
        });
        let intent = Intent::CreateNetwork {
            name: "p_late".into(),
        };
        assert_eq!(
            finish(&engine, "p", &[intent]).await.unwrap().done,
            ["creating network p_late"]
        );
    }

    #[tokio::test]
    async fn one_that_fails_is_reported_and_the_others_are_still_done() {
        let engine = FakeEngine::default();
        let web = container(&engine, "p-web-1", true).await;
        let db = container(&engine, "p-db-1", true).await;
        engine.fail("stop", "p-web-1", EngineError::Conflict("refused".into()));
        let intents = [
            Intent::Stop {
                id: web.clone(),
                timeout: 1,
            },
            Intent::Stop { id: db, timeout: 1 },
        ];
        let finished = finish(&engine, "p", &intents).await.unwrap();
        assert_eq!(finished.done, ["stopping p-db-1"]);
        assert_eq!(finished.failed.len(), 1);
        assert!(
            finished.failed[0].starts_with(&format!("stop {web} 1: ")),
            "{:?}",
            finished.failed
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_container_under_way_is_waited_for_and_a_rename_is_finished() {
        let engine = FakeEngine::default();
        let old = container(&engine, "p-web-1", false).await;
        let done = container(&engine, "p-db-1", false).await;
        let late = engine.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            container(&late, "abc_p-web-1", false).await;
        });
        let intents = [
            Intent::CreateContainer {
                name: "abc_p-web-1".into(),
            },
            Intent::Rename {
                id: old,
                name: "p-web-2".into(),
            },
            // Already renamed: left alone.
            Intent::Rename {
                id: done,
                name: "p-db-1".into(),
            },
        ];
        let finished = finish(&engine, "p", &intents).await.unwrap();
        assert_eq!(
            finished.done,
            ["creating abc_p-web-1", "renaming p-web-1 to p-web-2"]
        );
        assert_eq!(
            engine.container_names(),
            ["abc_p-web-1", "p-db-1", "p-web-2"]
        );
    }
}
