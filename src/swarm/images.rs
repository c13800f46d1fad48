//! `--resolve-image`: which image reference each service's tasks run,
//! pinned to the registry's digest so that every node runs the same image.

use std::collections::BTreeMap;

use super::IMAGE_LABEL;
use super::convert::Stack;
use super::observe::Observed;
use crate::engine::docker::DockerEngine;
use crate::engine::{Engine, RegistryAuth};

/// When to ask the registry for an image's digest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Resolve {
    /// Every deploy: a tag that moved updates the service.
    #[default]
    Always,
    /// Only for an image the file names differently than the last deploy.
    Changed,
    /// Never: the tasks run the image as the file names it.
    Never,
}

/// Sets the image of each service of `stack` as `mode` says; a registry
/// that cannot be asked leaves the image unpinned, with a warning (or the
/// one already pinned, when the file names the same image as before).
pub async fn resolve(
    engine: &DockerEngine,
    stack: &mut Stack,
    observed: &Observed,
    mode: Resolve,
    auth: &BTreeMap<String, RegistryAuth>,
    warn: &dyn Fn(String),
) {
    for service in stack.services.values_mut() {
        let held = observed.services.get(&service.name);
        let held_image = held
            .and_then(|h| h.spec.task_template.as_ref())
            .and_then(|t| t.container_spec.as_ref())
            .and_then(|c| c.image.clone());
        let same = held.and_then(|h| h.label(IMAGE_LABEL)) == Some(service.image.as_str());
        let kept = || {
            if same { held_image.clone() } else { None }
        };
        let image = match mode {
            Resolve::Never => None,
            Resolve::Changed if same => held_image.clone(),
            Resolve::Changed | Resolve::Always => {
                match engine
                    .registry_digest(&service.image, auth.get(&service.image))
                    .await
                {
                    Ok(digest) => Some(pinned(&service.image, &digest)),
                    Err(e) => {
                        warn(format!(
                            "image {} could not be accessed on a registry to record its \
                             digest ({e}); each node will resolve it on its own",
                            service.image
                        ));
                        kept()
                    }
                }
            }
        };
        if let Some(image) = image
            && let Some(container) = service
                .spec
                .task_template
                .as_mut()
                .and_then(|t| t.container_spec.as_mut())
        {
            container.image = Some(image);
        }
    }
}

/// `name:tag@digest`, replacing a digest the reference already had.
fn pinned(image: &str, digest: &str) -> String {
    let name = image.split_once('@').map_or(image, |(n, _)| n);
    format!("{name}@{digest}")
}
