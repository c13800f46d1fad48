//! What the engine's image calls take and give: a build's settings and
//! output, a pull's or push's progress, registry credentials, image details.

use std::collections::BTreeMap;

use super::spec::UlimitSpec;

/// The settings of one classic-builder build (`POST /build`); the context
/// archive travels beside it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BuildSpec {
    /// The Dockerfile's path inside the context archive.
    pub dockerfile: String,
    /// The image name the build produces (`<project>-<service>` or `image:`).
    pub tag: String,
    /// More names for the same image (`build.tags`).
    pub extra_tags: Vec<String>,
    pub args: BTreeMap<String, String>,
    pub target: String,
    pub labels: BTreeMap<String, String>,
    pub cache_from: Vec<String>,
    /// `host:ip` entries.
    pub extra_hosts: Vec<String>,
    pub network: String,
    /// Bytes; 0 for the engine's default.
    pub shm_size: i64,
    /// `build --memory`: the build containers' memory limit in bytes (0: none).
    pub memory: i64,
    pub ulimits: Vec<UlimitSpec>,
    pub no_cache: bool,
    pub pull: bool,
    pub isolation: String,
    pub platform: String,
    /// Build with the engine's BuildKit (`RUN --mount`, parallel stages,
    /// BuildKit's cache) rather than its classic builder (`DOCKER_BUILDKIT=0`).
    pub buildkit: bool,
    /// Credentials for the registries of the images the Dockerfile builds
    /// `FROM`, which the builder may pull.
    pub auths: Vec<RegistryAuth>,
}

/// What a build reports while it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BuildOutput {
    /// A line of the builder's output (`Step 2/4 : RUN make`, `#5 [2/4] RUN make`).
    Line(String),
    /// The ID of the image built, at the end.
    ImageId(String),
}

/// Byte counts of a pull or push so far, summed over its layers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Transfer {
    pub current: u64,
    /// 0 while no layer has told its size.
    pub total: u64,
    /// Layers done so far, and how many the engine told of.
    pub layers_done: usize,
    pub layers: usize,
}

/// Credentials for one registry, as the engine's `X-Registry-Auth` takes them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RegistryAuth {
    pub server: String,
    pub username: String,
    pub password: String,
    pub identity_token: String,
}

// Secrets are never printed, not even in debug output.
impl std::fmt::Debug for RegistryAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryAuth")
            .field("server", &self.server)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// A local image, as `images` lists it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageInfo {
    pub id: String,
    pub repo_tags: Vec<String>,
    /// `repository@sha256:...`, one per repository the image was pushed
    /// to or pulled from.
    pub repo_digests: Vec<String>,
    /// Bytes.
    pub size: i64,
    /// RFC 3339, as the engine tells it.
    pub created: String,
    /// When the image was last tagged locally (RFC 3339); empty when never.
    pub last_tag_time: String,
    /// `os/arch`.
    pub platform: String,
    pub labels: BTreeMap<String, String>,
}

/// Folds the per-layer progress messages of a pull or push into one
/// [`Transfer`].
#[derive(Debug, Default)]
pub struct LayerTally {
    /// Layer → (bytes so far, its size, done).
    layers: BTreeMap<String, (u64, u64, bool)>,
}

impl LayerTally {
    /// Takes one message about `layer`, in the engine's words (`Downloading`,
    /// `Pull complete`, `Pushed`...), and returns the sum so far.
    pub fn update(&mut self, layer: &str, status: &str, current: i64, total: i64) -> Transfer {
        // Messages about the whole image (`Pulling from ...`, `Digest: ...`) are no layer's.
        const LAYER_STATUSES: [&str; 13] = [
            "Pulling fs layer",
            "Waiting",
            "Downloading",
            "Verifying Checksum",
            "Download complete",
            "Extracting",
            "Pull complete",
            "Already exists",
            "Preparing",
            "Pushing",
            "Pushed",
            "Layer already exists",
            "Mounted from",
        ];
        if !LAYER_STATUSES.iter().any(|s| status.starts_with(s)) {
            return self.sum();
        }
        let entry = self.layers.entry(layer.to_string()).or_default();
        let (current, total) = (current.max(0) as u64, total.max(0) as u64);
        match status {
            "Downloading" | "Pushing" => {
                entry.0 = current;
                if total > 0 {
                    entry.1 = total;
                }
            }
            "Download complete" => entry.0 = entry.1,
            "Pull complete" | "Already exists" | "Pushed" | "Layer already exists" => {
                entry.0 = entry.1;
                entry.2 = true;
            }
            status if status.starts_with("Mounted from") => entry.2 = true,
            _ => {}
        }
        self.sum()
    }

    pub fn sum(&self) -> Transfer {
        self.layers
            .values()
            .fold(Transfer::default(), |mut sum, &(current, total, done)| {
                sum.current += current;
                sum.total += total;
                sum.layers += 1;
                sum.layers_done += usize::from(done);
                sum
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_progress_adds_up() {
        let mut tally = LayerTally::default();
        tally.update("1", "Pulling from library/busybox", 0, 0);
        tally.update("a", "Pulling fs layer", 0, 0);
        tally.update("b", "Already exists", 0, 0);
        tally.update("a", "Downloading", 100, 1000);
        let sum = tally.update("a", "Downloading", 400, 1000);
        assert_eq!(
            (sum.current, sum.total, sum.layers_done, sum.layers),
            (400, 1000, 1, 2)
        );
        tally.update("a", "Download complete", 0, 0);
        let sum = tally.update("a", "Pull complete", 0, 0);
        assert_eq!((sum.current, sum.total, sum.layers_done), (1000, 1000, 2));
    }
}
