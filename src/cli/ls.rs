//! `berth ls`: the Compose projects on this engine, from one list call.

use clap::Args;
use serde_json::json;

use super::{CliError, Settings};
use crate::app::ls::{self, LsRequest, ProjectSummary};
use crate::output::table::{self, ListFormat};

#[derive(Debug, Args)]
pub struct LsArgs {
    /// Show all projects, stopped ones too
    #[arg(short, long)]
    pub all: bool,
    /// Only display project names
    #[arg(short, long)]
    pub quiet: bool,
    /// Output format: table or json
    #[arg(long, value_enum, default_value = "table")]
    pub format: ListFormat,
    /// Filter by a property (supported: name=NAME)
    #[arg(long, value_name = "FILTER")]
    pub filter: Vec<String>,
}

pub fn run(settings: &Settings, args: LsArgs) -> Result<i32, CliError> {
    let json = args.format == ListFormat::Json;
    let mut names = Vec::new();
    for filter in &args.filter {
        match filter.split_once('=') {
            Some(("name", name)) => names.push(name.to_string()),
            _ => {
                return Err(CliError::Usage(format!(
                    "--filter {filter:?} is not supported: use name=NAME"
                )));
            }
        }
    }
    let request = LsRequest {
        all: args.all,
        names,
    };
    let projects = ls::ls(settings, &request)?;
    let status = |p: &ProjectSummary| {
        let parts: Vec<String> = p.states.iter().map(|(s, n)| format!("{s}({n})")).collect();
        parts.join(", ")
    };
    if args.quiet {
        for name in projects.keys() {
            println!("{name}");
        }
    } else if json {
        let list: Vec<_> = projects
            .iter()
            .map(|(name, p)| json!({"Name": name, "Status": status(p), "ConfigFiles": p.config_files}))
            .collect();
        println!("{}", serde_json::Value::Array(list));
    } else {
        let rows: Vec<Vec<String>> = projects
            .iter()
            .map(|(name, p)| vec![name.clone(), status(p), p.config_files.clone()])
            .collect();
        print!(
            "{}",
            table::render_min(&["NAME", "STATUS", "CONFIG FILES"], &rows, 20)
        );
    }
    Ok(0)
}
