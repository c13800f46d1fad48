//! `berth stats`: what the project's containers use of the host, in the
//! docker CLI's table (or one JSON object per container), refreshed every
//! sample unless `--no-stream`.

use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;

use clap::Args;

use super::{CliError, Settings};
use crate::app::error::Failure;
use crate::app::stats::{self, Sample, StatsRequest};
use crate::engine::{Container, Usage};
use crate::output::table::render_min;
use crate::output::template::OutputFormat;

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Services to show (default: all)
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Show all containers (default shows just running)
    #[arg(short, long)]
    pub all: bool,
    /// Disable streaming stats and only pull the first result
    #[arg(long)]
    pub no_stream: bool,
    /// Don't truncate output
    #[arg(long)]
    pub no_trunc: bool,
    /// Output format: table, json, a Go template ('{{.Name}} {{.CPUPerc}}'),
    /// or 'table' and a template
    #[arg(long, default_value = "table", value_parser = OutputFormat::parse)]
    pub format: OutputFormat,
}

const HEADER: [&str; 8] = [
    "CONTAINER ID",
    "NAME",
    "CPU %",
    "MEM USAGE / LIMIT",
    "MEM %",
    "NET I/O",
    "BLOCK I/O",
    "PIDS",
];

pub fn run(settings: &Settings, args: StatsArgs) -> Result<i32, CliError> {
    let request = StatsRequest {
        services: args.services,
        all: args.all,
        once: args.no_stream,
    };
    // On a terminal each round replaces the last.
    let redraw = !args.no_stream && std::io::stdout().is_terminal();
    stats::stats(settings, &request, |samples| {
        let text = render(samples, &args.format, args.no_trunc)?;
        let mut out = std::io::stdout().lock();
        let clear = if redraw { "\x1b[2J\x1b[H" } else { "" };
        Ok(
            match write!(out, "{clear}{text}").and_then(|_| out.flush()) {
                Ok(()) => ControlFlow::Continue(()),
                // The reader went away (a closed pipe): nothing left to do.
                Err(_) => ControlFlow::Break(()),
            },
        )
    })?;
    Ok(0)
}

/// One round of samples in `format`.
fn render(samples: &[Sample], format: &OutputFormat, no_trunc: bool) -> Result<String, CliError> {
    Ok(match format {
        OutputFormat::Table => {
            let rows: Vec<Vec<String>> = samples
                .iter()
                .map(|s| row(&s.container, &s.usage, no_trunc))
                .collect();
            // Columns at least 10 wide, as the docker CLI's tables.
            render_min(&HEADER, &rows, 10)
        }
        OutputFormat::Json => samples
            .iter()
            .map(|s| json(&s.container, &s.usage, no_trunc).to_string() + "\n")
            .collect(),
        OutputFormat::Template(template) => {
            let rows = samples
                .iter()
                .map(|s| json(&s.container, &s.usage, no_trunc));
            template
                .render_all(rows, TITLES)
                .map_err(Failure::Template)?
        }
    })
}

/// The columns of one container, as `docker stats` renders them.
fn cells(c: &Container, u: &Usage, no_trunc: bool) -> [String; 8] {
    let id = if no_trunc {
        c.id.clone()
    } else {
        c.id.chars().take(12).collect()
    };
    let memory_percent = if u.memory_limit > 0 {
        u.memory as f64 / u.memory_limit as f64 * 100.0
    } else {
        0.0
    };
    [
        id,
        c.name.clone(),
        format!("{:.2}%", u.cpu_percent),
        format!(
            "{} / {}",
            binary_size(u.memory),
            binary_size(u.memory_limit)
        ),
        format!("{memory_percent:.2}%"),
        format!("{} / {}", decimal_size(u.net_rx), decimal_size(u.net_tx)),
        format!(
            "{} / {}",
            decimal_size(u.block_read),
            decimal_size(u.block_write)
        ),
        u.pids.to_string(),
    ]
}

fn row(c: &Container, u: &Usage, no_trunc: bool) -> Vec<String> {
    cells(c, u, no_trunc).to_vec()
}

/// The column titles of a `table` template, as `docker stats` prints them.
const TITLES: &[(&str, &str)] = &[
    ("Container", "CONTAINER"),
    ("ID", "CONTAINER ID"),
    ("Name", "NAME"),
    ("CPUPerc", "CPU %"),
    ("MemUsage", "MEM USAGE / LIMIT"),
    ("MemPerc", "MEM %"),
    ("NetIO", "NET I/O"),
    ("BlockIO", "BLOCK I/O"),
    ("PIDs", "PIDS"),
];

/// The docker CLI's JSON form of a row.
fn json(c: &Container, u: &Usage, no_trunc: bool) -> serde_json::Value {
    let [id, name, cpu, memory, memory_percent, net, block, pids] = cells(c, u, no_trunc);
    serde_json::json!({
        "BlockIO": block,
        "CPUPerc": cpu,
        // The full ID whatever --no-trunc says, as the docker CLI gives it.
        "Container": c.id,
        "ID": id,
        "MemPerc": memory_percent,
        "MemUsage": memory,
        "Name": name,
        "NetIO": net,
        "PIDs": pids,
    })
}

/// `7.66GiB`: powers of 1024, four significant digits (as `docker stats`).
fn binary_size(bytes: u64) -> String {
    scaled(bytes, 1024.0, &["B", "KiB", "MiB", "GiB", "TiB", "PiB"], 4)
}

/// `1.23kB`: powers of 1000, three significant digits (as `docker stats`).
fn decimal_size(bytes: u64) -> String {
    scaled(bytes, 1000.0, &["B", "kB", "MB", "GB", "TB", "PB"], 3)
}

fn scaled(bytes: u64, base: f64, units: &[&str], digits: i32) -> String {
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= base && unit + 1 < units.len() {
        value /= base;
        unit += 1;
    }
    format!("{}{}", significant(value, digits), units[unit])
}

/// `value` with `digits` significant digits, without trailing zeros (C's `%.Ng`).
fn significant(value: f64, digits: i32) -> String {
    if value == 0.0 {
        return "0".into();
    }
    let magnitude = crate::gocompat::decimal_exponent(value);
    let decimals = (digits - 1 - magnitude).max(0) as usize;
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_docker_stats() {
        assert_eq!(binary_size(0), "0B");
        assert_eq!(binary_size(1536 * 1024), "1.5MiB");
        assert_eq!(binary_size(8_225_000_000), "7.66GiB");
        assert_eq!(decimal_size(1234), "1.23kB");
        assert_eq!(decimal_size(999), "999B");
        assert_eq!(decimal_size(120_000_000), "120MB");
    }

    #[test]
    fn a_row_has_docker_stats_columns() {
        let c = Container {
            id: "0123456789abcdef".into(),
            name: "p-web-1".into(),
            ..Default::default()
        };
        let u = Usage {
            cpu_percent: 1.234,
            memory: 1024 * 1024,
            memory_limit: 4 * 1024 * 1024,
            net_rx: 1500,
            net_tx: 0,
            block_read: 0,
            block_write: 4096,
            pids: 3,
        };
        assert_eq!(
            row(&c, &u, false),
            [
                "0123456789ab",
                "p-web-1",
                "1.23%",
                "1MiB / 4MiB",
                "25.00%",
                "1.5kB / 0B",
                "0B / 4.1kB",
                "3"
            ]
        );
    }
}
