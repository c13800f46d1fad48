//! `berth top`: the processes running in the project's containers, in one
//! table as Docker Compose prints it.

use clap::Args;

use super::{CliError, Settings};
use crate::app::top::{self, Processes};
use crate::output::table;

#[derive(Debug, Args)]
pub struct TopArgs {
    /// Services whose processes to show (default: all)
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

pub fn run(settings: &Settings, args: TopArgs) -> Result<i32, CliError> {
    let Some(Processes { titles, containers }) = top::top(settings, &args.services)? else {
        return Ok(0);
    };
    let mut header = vec!["SERVICE", "#"];
    header.extend(titles.iter().map(String::as_str));
    let rows: Vec<Vec<String>> = containers
        .iter()
        .flat_map(|c| {
            c.processes.iter().map(|process| {
                let mut row = vec![c.service.clone(), c.number.to_string()];
                row.extend(process.iter().cloned());
                row
            })
        })
        .collect();
    print!("{}", table::render_with(&header, &rows, 4, 2));
    Ok(0)
}
