//! `berth images`: the images the project's containers use, in Docker
//! Compose's table (or JSON).

use clap::Args;

use super::{CliError, Settings};
use crate::app::project_images::{self, ProjectImages};
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

pub fn run(settings: &Settings, args: ImagesArgs) -> Result<i32, CliError> {
    let ProjectImages { ids, rows } = project_images::images(settings, &args.services)?;
    if args.quiet {
        for id in ids {
            println!("{id}");
        }
        return Ok(0);
    }
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
}
