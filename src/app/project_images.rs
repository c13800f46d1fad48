//! `images`: the images the project's containers use, one row a container.

use std::collections::BTreeMap;

use super::open;
use super::select::{by_name, in_services};
use super::{Error, Settings};
use crate::engine::{Engine, ImageInfo};

/// A container and its image; `--format json` writes these fields.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageRow {
    #[serde(rename = "ID")]
    pub id: String,
    pub container_name: String,
    pub repository: String,
    pub tag: String,
    pub platform: String,
    pub size: i64,
    /// What the CREATED column shows, as Docker Compose does: the last
    /// local tagging, else the image's creation.
    pub last_tag_time: String,
}

/// The images of the containers of some services.
pub struct ProjectImages {
    /// The IDs of the images found, sorted, each once.
    pub ids: Vec<String>,
    /// By container name; a container whose image is gone has none.
    pub rows: Vec<ImageRow>,
}

/// The images the containers of `services` (all when empty) use.
pub fn images(settings: &Settings, services: &[String]) -> Result<ProjectImages, Error> {
    let (runtime, prepared) = open::open(settings, services)?;
    let engine = prepared.engine;
    runtime.block_on(async {
        let mut containers =
            open::containers(&engine, &prepared.desired.project, prepared.listing).await?;
        containers.retain(|c| in_services(c, services));
        by_name(&mut containers);
        let mut ids: Vec<&str> = containers.iter().map(|c| c.image_id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        let found =
            futures_util::future::try_join_all(ids.iter().map(|id| engine.inspect_image(id)))
                .await?;
        let images: BTreeMap<&str, ImageInfo> = ids
            .into_iter()
            .zip(found)
            .filter_map(|(id, image)| Some((id, image?)))
            .collect();
        let rows = containers
            .iter()
            .filter_map(|c| {
                let image = images.get(c.image_id.as_str())?;
                let (repository, tag) = repository_and_tag(&c.display.image, &image.repo_tags);
                Some(ImageRow {
                    id: image.id.clone(),
                    container_name: c.name.clone(),
                    repository,
                    tag,
                    platform: image.platform.clone(),
                    size: image.size,
                    last_tag_time: last_tag_time(image),
                })
            })
            .collect();
        Ok(ProjectImages {
            ids: images.keys().map(|id| id.to_string()).collect(),
            rows,
        })
    })
}

/// The last local tagging, else (never tagged here: empty or Go's zero
/// time) the image's creation.
fn last_tag_time(image: &ImageInfo) -> String {
    if image.last_tag_time.is_empty() || image.last_tag_time.starts_with("0001-") {
        image.created.clone()
    } else {
        image.last_tag_time.clone()
    }
}

/// The repository and tag the container names, when the image has that
/// name; else the image's first name; `<none>` for an untagged image.
fn repository_and_tag(wanted: &str, tags: &[String]) -> (String, String) {
    let with_tag = if wanted.rsplit('/').next().is_some_and(|l| l.contains(':')) {
        wanted.to_string()
    } else {
        format!("{wanted}:latest")
    };
    let chosen = tags.iter().find(|t| **t == with_tag).or(tags.first());
    match chosen.and_then(|t| t.rsplit_once(':')) {
        Some((repository, tag)) => (repository.to_string(), tag.to_string()),
        None => ("<none>".into(), "<none>".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_container_s_own_name_for_the_image_is_shown() {
        let tags = vec!["a:1".to_string(), "busybox:latest".to_string()];
        assert_eq!(
            repository_and_tag("busybox", &tags),
            ("busybox".to_string(), "latest".to_string())
        );
        assert_eq!(repository_and_tag("x", &tags), ("a".into(), "1".into()));
        assert_eq!(
            repository_and_tag("x", &[]),
            ("<none>".into(), "<none>".into())
        );
    }
}
