//! `berth ls`: the Compose projects on this engine, from one list call.

use crate::app::open;
use std::collections::BTreeMap;

use clap::Args;
use serde_json::json;

use super::{CliError, Settings};
use crate::engine::{Engine, RunState, labels};
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

/// One project: its containers by state, and its compose files.
#[derive(Default)]
struct Project {
    states: BTreeMap<String, usize>,
    config_files: String,
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
    let runtime = open::runtime()?;
    let containers = runtime.block_on(async {
        let engine = open::connect(settings).await?;
        engine.list_all_projects().await.map_err(CliError::Engine)
    })?;
    let mut projects: BTreeMap<String, Project> = BTreeMap::new();
    for c in &containers {
        let Some(name) = c.label(labels::PROJECT) else {
            continue;
        };
        if !names.is_empty() && !names.iter().any(|n| n == name) {
            continue;
        }
        let project = projects.entry(name.to_string()).or_default();
        if project.config_files.is_empty() {
            project.config_files = c.label(labels::CONFIG_FILES).unwrap_or_default().into();
        }
        if args.all || c.state == RunState::Running {
            let state = format!("{:?}", c.state).to_lowercase();
            *project.states.entry(state).or_default() += 1;
        }
    }
    projects.retain(|_, p| !p.states.is_empty());
    let status = |p: &Project| {
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
