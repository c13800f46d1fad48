//! `berth images`: the images the project's containers use, in Docker
//! Compose's table (or JSON).

use crate::app::open;
use std::collections::BTreeMap;

use clap::Args;

use super::{CliError, Settings};
use crate::engine::{Engine, ImageInfo};
use crate::output::table::{self, ListFormat, human_duration};

#[derive(Debug, Args)]
pub struct ImagesArgs {
    /// Services whose images to list (default: all)
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Format the output
    #[arg(long, value_enum, default_value = "table")]
    pub format: ListFormat,
    /// Only display IDs
    #[arg(short, long)]
    pub quiet: bool,
}

/// One row: a container and its image.
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct Row {
    #[serde(rename = "ID")]
    id: String,
    container_name: String,
    repository: String,
    tag: String,
    platform: String,
    size: i64,
    /// What the CREATED column shows, as Docker Compose does: the last
    /// local tagging, else the image's creation.
    last_tag_time: String,
}

pub fn run(settings: &Settings, args: ImagesArgs) -> Result<i32, CliError> {
    let (runtime, prepared) = open::open(settings, &args.services)?;
    let engine = prepared.engine;
    runtime.block_on(async {
        let mut containers =
            open::containers(&engine, &prepared.desired.project, prepared.listing).await?;
        containers
            .retain(|c| args.services.is_empty() || args.services.iter().any(|s| s == c.service()));
        containers.sort_by(|a, b| a.name.cmp(&b.name));
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
        if args.quiet {
            for id in images.keys() {
                println!("{id}");
            }
            return Ok(0);
        }
        let rows: Vec<Row> = containers
            .iter()
            .filter_map(|c| {
                let image = images.get(c.image_id.as_str())?;
                let (repository, tag) = repository_and_tag(&c.display.image, &image.repo_tags);
                Some(Row {
                    id: image.id.clone(),
                    container_name: c.name.clone(),
                    repository,
                    tag,
                    platform: image.platform.clone(),
                    size: image.size,
                    last_tag_time: if image.last_tag_time.is_empty()
                        || image.last_tag_time.starts_with("0001-")
                    {
                        image.created.clone()
                    } else {
                        image.last_tag_time.clone()
                    },
                })
            })
            .collect();
        match args.format {
            ListFormat::Json => {
                println!("{}", serde_json::to_string(&rows).unwrap_or_default());
            }
            ListFormat::Table => {
                let now = crate::time::now();
                let cells: Vec<Vec<String>> = rows
                    .iter()
                    .map(|r| {
                        vec![
                            r.container_name.clone(),
                            r.repository.clone(),
                            r.tag.clone(),
                            r.platform.clone(),
                            short_id(&r.id).to_string(),
                            human_size(r.size),
                            created_ago(&r.last_tag_time, now),
                        ]
                    })
                    .collect();
                let header = [
                    "CONTAINER",
                    "REPOSITORY",
                    "TAG",
                    "PLATFORM",
                    "IMAGE ID",
                    "SIZE",
                    "CREATED",
                ];
                // Docker Compose's tabwriter: columns at least 20 wide.
                print!("{}", table::render_min(&header, &cells, 20));
            }
        }
        Ok(0)
    })
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

fn short_id(id: &str) -> &str {
    let id = id.strip_prefix("sha256:").unwrap_or(id);
    &id[..id.len().min(12)]
}

/// A size as the docker CLI prints it: decimal units, three significant digits.
fn human_size(bytes: i64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut value = bytes.max(0) as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < units.len() {
        value /= 1000.0;
        unit += 1;
    }
    let decimals = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    let text = format!("{value:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    format!("{text}{}", units[unit])
}

/// `3 minutes ago`, from the engine's RFC 3339 time (or Unix seconds).
fn created_ago(created: &str, now: i64) -> String {
    let seconds = created
        .parse::<i64>()
        .ok()
        .or_else(|| crate::time::parse_instant(created, now).ok());
    match seconds {
        Some(at) => format!("{} ago", human_duration(now - at)),
        None => created.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_the_docker_cli() {
        assert_eq!(human_size(0), "0B");
        assert_eq!(human_size(1_234_567), "1.23MB");
        assert_eq!(human_size(4_400_000), "4.4MB");
        assert_eq!(human_size(123_456_789), "123MB");
    }

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
