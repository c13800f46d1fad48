//! Pulls and pushes of images, in parallel under one limit, with the user's
//! registry credentials and one progress line per image with its byte
//! counts. A failure names the image, its registry and the engine's reason;
//! the other transfers go on.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::stream::{self, StreamExt};

use crate::engine::{Engine, Transfer};
use crate::env_vars;
use crate::events::{Emitter, Kind, Status, Word};
use crate::load::environment::Env;
use crate::registry;

/// Which way images go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Pull,
    Push,
}

impl Direction {
    /// What heads the progress: `[+] Pulling 1/2`, the word of a transfer
    /// under way.
    pub fn title(self) -> &'static str {
        let (working, ..) = self.words();
        working
            .fixed_text()
            .expect("the words of a transfer carry no value")
    }

    /// The words of a transfer under way and done, and its verb in errors.
    fn words(self) -> (Word, Word, &'static str) {
        match self {
            Direction::Pull => (Word::Pulling, Word::Pulled, "pull"),
            Direction::Push => (Word::Pushing, Word::Pushed, "push"),
        }
    }
}

/// One image to transfer; `platform` (`os/arch`) only matters to pulls.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ImageRef {
    pub reference: String,
    pub platform: String,
}

/// Why one image could not be pulled or pushed: naming it, its registry
/// and the reason.
#[derive(Debug, thiserror::Error)]
#[error("cannot {verb} {image} (registry {registry}): {reason}")]
pub struct TransferError {
    /// `pull` or `push`.
    pub verb: &'static str,
    pub image: String,
    pub registry: String,
    #[source]
    pub reason: TransferFailure,
}

#[derive(Debug, thiserror::Error)]
pub enum TransferFailure {
    #[error(transparent)]
    Credentials(#[from] registry::CredentialsError),
    #[error(transparent)]
    Engine(#[from] crate::engine::EngineError),
}

/// Transfers `images` at most `parallel` at a time; for each, the image ID
/// after a pull (empty after a push), or why it failed.
pub async fn transfer_all<E: Engine>(
    engine: &E,
    direction: Direction,
    images: &[ImageRef],
    env: &Env,
    parallel: usize,
    events: &Emitter,
) -> Vec<(String, Result<String, TransferError>)> {
    stream::iter(images)
        .map(|image| async move {
            let result = transfer_one(engine, direction, image, env, events).await;
            // A dry run pulled nothing, and writes nothing on the host.
            if direction == Direction::Pull && result.is_ok() && !engine.dry_run() {
                PullRecord::open(env).note(&image.reference);
            }
            (image.reference.clone(), result)
        })
        .buffer_unordered(parallel.max(1))
        .collect()
        .await
}

async fn transfer_one<E: Engine>(
    engine: &E,
    direction: Direction,
    image: &ImageRef,
    env: &Env,
    events: &Emitter,
) -> Result<String, TransferError> {
    let (working, done, verb) = direction.words();
    let name = image.reference.as_str();
    let host = registry::registry_host(name);
    let fail = |reason: TransferFailure| {
        events.emit(
            Kind::Image,
            name,
            Status::Error,
            Word::Error,
            &reason.to_string(),
        );
        TransferError {
            verb,
            image: name.to_string(),
            registry: host.to_string(),
            reason,
        }
    };
    let auth = registry::credentials_for(name, env).map_err(|e| fail(e.into()))?;
    events.emit(Kind::Image, name, Status::Working, working.clone(), "");
    let last = std::sync::Mutex::new(Transfer::default());
    let progress = |sum: Transfer| {
        if let Ok(mut last) = last.lock() {
            *last = sum;
        }
        events.emit(
            Kind::Image,
            name,
            Status::Working,
            working.clone(),
            &bytes(sum),
        );
    };
    let result = match direction {
        Direction::Pull => {
            engine
                .pull_image(name, &image.platform, auth.as_ref(), &progress)
                .await
        }
        Direction::Push => engine
            .push_image(name, auth.as_ref(), &progress)
            .await
            .map(|()| String::new()),
    };
    let id = result.map_err(|e| fail(e.into()))?;
    let sum = last.lock().map(|l| *l).unwrap_or_default();
    events.emit(Kind::Image, name, Status::Done, done, &bytes(sum));
    Ok(id)
}

/// `12.5MB/40.1MB`, or the layer count when no layer told its size.
fn bytes(sum: Transfer) -> String {
    let mb = |b: u64| format!("{:.1}MB", b as f64 / 1_000_000.0);
    if sum.total > 0 {
        format!(
            "{}/{} ({}/{} layers)",
            mb(sum.current),
            mb(sum.total),
            sum.layers_done,
            sum.layers
        )
    } else if sum.layers > 0 {
        format!("{}/{} layers", sum.layers_done, sum.layers)
    } else {
        String::new()
    }
}

/// When berth last pulled each image, for `pull_policy: daily`, `weekly`
/// and `every_<duration>`: the engine keeps no pull time, and a label
/// cannot be put on an image pulled as it is. A small JSON file in
/// `$XDG_STATE_HOME/berth` (else `~/.local/state/berth`).
pub struct PullRecord {
    path: Option<PathBuf>,
    pulled: BTreeMap<String, u64>,
}

impl PullRecord {
    pub fn open(env: &Env) -> PullRecord {
        let dir = env
            .get("XDG_STATE_HOME")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                env.get(env_vars::HOME)
                    .map(|h| PathBuf::from(h).join(".local").join("state"))
            });
        let path = dir.map(|d| d.join("berth").join("pulls.json"));
        let pulled = path
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        PullRecord { path, pulled }
    }

    /// Whether `reference` was pulled less than `every` ago.
    pub fn is_fresh(&self, reference: &str, every: Duration) -> bool {
        self.pulled
            .get(reference)
            .is_some_and(|&at| now().saturating_sub(at) < every.as_secs())
    }

    /// Records a pull of `reference` now (best effort: a read-only home
    /// only means pulling again next time).
    fn note(mut self, reference: &str) {
        let Some(path) = self.path.take() else {
            return;
        };
        self.pulled.insert(reference.to_string(), now());
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Ok(text) = serde_json::to_string(&self.pulled) {
            let _ = std::fs::write(path, text);
        }
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pulls_are_remembered_for_refresh_policies() {
        let dir = tempfile::tempdir().unwrap();
        let mut env = Env::default();
        env.insert("XDG_STATE_HOME".into(), dir.path().display().to_string());
        let day = Duration::from_secs(86400);
        assert!(!PullRecord::open(&env).is_fresh("busybox", day));
        PullRecord::open(&env).note("busybox");
        let record = PullRecord::open(&env);
        assert!(record.is_fresh("busybox", day));
        assert!(!record.is_fresh("busybox", Duration::ZERO));
        assert!(!record.is_fresh("alpine", day));
    }

    #[test]
    fn byte_counts_read_in_megabytes() {
        let sum = Transfer {
            current: 1_500_000,
            total: 3_000_000,
            layers_done: 1,
            layers: 2,
        };
        assert_eq!(bytes(sum), "1.5MB/3.0MB (1/2 layers)");
        assert_eq!(bytes(Transfer::default()), "");
    }
}
