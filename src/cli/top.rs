//! `berth top`: the processes running in the project's containers, in one
//! table as Docker Compose prints it.

use crate::app::open;
use clap::Args;

use super::{CliError, Settings};
use crate::engine::{Engine, RunState};
use crate::output::table;

#[derive(Debug, Args)]
pub struct TopArgs {
    /// Services whose processes to show (default: all)
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

pub fn run(settings: &Settings, args: TopArgs) -> Result<i32, CliError> {
    let (runtime, prepared) = open::open(settings, &args.services)?;
    let engine = prepared.engine;
    runtime.block_on(async {
        let mut containers =
            open::containers(&engine, &prepared.desired.project, prepared.listing).await?;
        containers.retain(|c| {
            !c.is_oneoff()
                && c.state == RunState::Running
                && (args.services.is_empty() || args.services.iter().any(|s| s == c.service()))
        });
        containers.sort_by_key(|c| (c.service().to_string(), c.number()));
        let tops = futures_util::future::try_join_all(containers.iter().map(|c| engine.top(&c.id)))
            .await?;
        let Some((titles, _)) = tops.first() else {
            return Ok(0);
        };
        let mut header = vec!["SERVICE", "#"];
        header.extend(titles.iter().map(String::as_str));
        let rows: Vec<Vec<String>> = containers
            .iter()
            .zip(&tops)
            .flat_map(|(c, (_, processes))| {
                processes.iter().map(|process| {
                    let mut row = vec![c.service().to_string(), c.number().to_string()];
                    row.extend(process.iter().cloned());
                    row
                })
            })
            .collect();
        print!("{}", table::render_with(&header, &rows, 4, 2));
        Ok(0)
    })
}
