//! `berth volumes`: the project's volumes (those carrying its label), or
//! those the containers of some services mount, as Docker Compose lists them.

use clap::Args;

use super::{CliError, Settings};
use crate::app::error::Failure;
use crate::app::volumes;
use crate::engine::Volume;
use crate::output::table;
use crate::output::template::OutputFormat;

#[derive(Debug, Args)]
pub struct VolumesArgs {
    /// Only the volumes these services' containers mount (default: all)
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Only display volume names
    #[arg(short, long)]
    pub quiet: bool,
    /// Output format: table, json, a Go template ('{{.Name}}'), or 'table'
    /// and a template
    #[arg(long, default_value = "table", value_parser = OutputFormat::parse)]
    pub format: OutputFormat,
}

pub fn run(settings: &Settings, args: VolumesArgs) -> Result<i32, CliError> {
    let volumes = volumes::volumes(settings, &args.services)?;
    print!("{}", render(&volumes, args.quiet, &args.format)?);
    Ok(0)
}

/// The column titles of a `table` template, as the docker CLI prints them.
const TITLES: &[(&str, &str)] = &[
    ("Driver", "DRIVER"),
    ("Name", "VOLUME NAME"),
    ("Scope", "SCOPE"),
    ("Mountpoint", "MOUNTPOINT"),
    ("Labels", "LABELS"),
    ("Links", "LINKS"),
    ("Size", "SIZE"),
];

fn render(volumes: &[Volume], quiet: bool, format: &OutputFormat) -> Result<String, CliError> {
    if quiet {
        return Ok(volumes.iter().map(|v| format!("{}\n", v.name)).collect());
    }
    Ok(match format {
        OutputFormat::Table => {
            let rows: Vec<Vec<String>> = volumes
                .iter()
                .map(|v| vec![v.driver.clone(), v.name.clone()])
                .collect();
            // The docker CLI's tables: columns at least 10 wide, 3 apart.
            table::render_min(&["DRIVER", "VOLUME NAME"], &rows, 10)
        }
        OutputFormat::Json => volumes.iter().map(|v| format!("{}\n", json(v))).collect(),
        OutputFormat::Template(template) => template
            .render_all(volumes.iter().map(json), TITLES)
            .map_err(Failure::Template)?,
    })
}

/// A volume as `docker volume ls --format json` writes it. Sizes and link
/// counts come only from the disk-usage call, and the cluster fields only
/// with Swarm cluster volumes: neither applies to a listing.
fn json(v: &Volume) -> serde_json::Value {
    let labels: Vec<String> = v.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    serde_json::json!({
        "Availability": "N/A",
        "Driver": v.driver,
        "Group": "N/A",
        "Labels": labels.join(","),
        "Links": "N/A",
        "Mountpoint": v.mountpoint,
        "Name": v.name,
        "Scope": v.scope,
        "Size": "N/A",
        "Status": "N/A",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(volumes: &[Volume], quiet: bool, format: &OutputFormat) -> String {
        render(volumes, quiet, format).unwrap_or_else(|_| panic!("render failed"))
    }

    #[test]
    fn templates_take_the_json_fields() {
        let volumes = [volume("p_data")];
        let format =
            OutputFormat::parse(r#"table {{.Name}}\t{{.Driver}}\t{{.Label "a"}}"#).unwrap();
        assert_eq!(
            text(&volumes, false, &format),
            "VOLUME NAME   DRIVER    A\np_data        local     1\n"
        );
    }

    fn volume(name: &str) -> Volume {
        Volume {
            name: name.into(),
            driver: "local".into(),
            labels: [("a".into(), "1".into()), ("b".into(), "2".into())].into(),
            mountpoint: format!("/var/lib/docker/volumes/{name}/_data"),
            scope: "local".into(),
        }
    }

    #[test]
    fn the_table_has_the_docker_cli_columns() {
        let volumes = [volume("p_data"), volume("p_a_much_longer_name")];
        assert_eq!(
            text(&volumes, false, &OutputFormat::Table),
            "DRIVER    VOLUME NAME\nlocal     p_data\nlocal     p_a_much_longer_name\n"
        );
        assert_eq!(
            text(&[], false, &OutputFormat::Table),
            "DRIVER    VOLUME NAME\n"
        );
    }

    #[test]
    fn quiet_prints_names_whatever_the_format() {
        let volumes = [volume("p_data")];
        assert_eq!(text(&volumes, true, &OutputFormat::Json), "p_data\n");
        assert_eq!(text(&volumes, true, &OutputFormat::Table), "p_data\n");
    }

    #[test]
    fn json_is_one_object_a_line_with_sorted_keys() {
        assert_eq!(
            text(&[volume("p_data")], false, &OutputFormat::Json),
            "{\"Availability\":\"N/A\",\"Driver\":\"local\",\"Group\":\"N/A\",\
             \"Labels\":\"a=1,b=2\",\"Links\":\"N/A\",\
             \"Mountpoint\":\"/var/lib/docker/volumes/p_data/_data\",\"Name\":\"p_data\",\
             \"Scope\":\"local\",\"Size\":\"N/A\",\"Status\":\"N/A\"}\n"
        );
    }
}
