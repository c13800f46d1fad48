//! `berth alpha`: Docker Compose's experimental commands. `viz` draws the
//! services and what each depends on as a Graphviz graph; `generate` and
//! `publish` are refused with the reason.

use clap::{Args, Subcommand};

use super::{CliError, Settings};
use crate::graph::ProjectGraph;
use crate::load::node::Node;
use crate::reconcile::desired::Naming;

#[derive(Debug, Args)]
pub struct AlphaArgs {
    #[command(subcommand)]
    pub command: AlphaCommand,
}

#[derive(Debug, Subcommand)]
pub enum AlphaCommand {
    /// Generate a Graphviz graph of the services and their dependencies
    Viz(VizArgs),
    /// Not in berth: generate a Compose file from existing containers
    Generate {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
        rest: Vec<String>,
    },
    /// Not in berth: publish a Compose application to a registry
    Publish {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
        rest: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct VizArgs {
    /// Include each service's image
    #[arg(long)]
    pub image: bool,
    /// Include each service's networks
    #[arg(long)]
    pub networks: bool,
    /// Include each service's published ports
    #[arg(long)]
    pub ports: bool,
    /// Indent with spaces instead of tabs
    #[arg(long)]
    pub spaces: bool,
    /// Tabs or spaces per level of indentation
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub indentation_size: usize,
}

pub fn run(settings: &Settings, args: AlphaArgs) -> Result<i32, CliError> {
    match args.command {
        AlphaCommand::Viz(viz) => {
            let loaded = crate::app::config::load_project(settings)?;
            let naming = Naming::of(&loaded);
            eprintln!("viz command is EXPERIMENTAL");
            print!(
                "{}",
                graph(&loaded.name, &loaded.model, &loaded.graph, naming, &viz)
            );
            Ok(0)
        }
        // Both need what berth does not have: generate reads containers
        // back into a file, publish pushes the files as an OCI artifact,
        // which the engine's API cannot do and berth has no registry client.
        AlphaCommand::Generate { .. } => Err(CliError::Usage(
            "`alpha generate` is not in berth: `berth config` prints the file \
             berth works from"
                .into(),
        )),
        AlphaCommand::Publish { .. } => Err(CliError::Usage(
            "`alpha publish` is not in berth: publishing needs a registry client, \
             and berth talks only to the engine"
                .into(),
        )),
    }
}

/// The graph as Docker Compose draws it: a node per service, in file order,
/// then an edge from each service to each service it depends on.
fn graph(
    project: &str,
    model: &Node,
    dependencies: &ProjectGraph,
    naming: Naming,
    args: &VizArgs,
) -> String {
    let unit = if args.spaces { " " } else { "\t" };
    let indent = unit.repeat(args.indentation_size);
    let services: Vec<(String, &Node)> = model
        .get("services")
        .and_then(Node::as_map)
        .into_iter()
        .flat_map(|m| m.iter())
        .map(|(name, service)| (name.to_string(), service))
        .collect();
    let mut out = format!("digraph {project:?} {{\n{indent}layout=dot;\n");
    for (name, service) in &services {
        let mut label = format!("<font point-size=\"15\">{name}</font>");
        let mut section = |title: &str, lines: Vec<String>| {
            if lines.is_empty() {
                return;
            }
            label.push_str(&format!(
                "<font point-size=\"10\"><br/><br/><b>{title}:</b><br/>{}</font>",
                lines.join("<br/>")
            ));
        };
        if args.networks {
            section("Networks", keys(service.get("networks")));
        }
        if args.ports {
            section("Ports", ports(service));
        }
        if args.image {
            let image = service
                .get("image")
                .and_then(Node::scalar_text)
                .unwrap_or_else(|| naming.image(project, name));
            section("Image", vec![image]);
        }
        out.push_str(&format!(
            "{indent}{name:?} [style=\"filled\" label=<{label}>];\n"
        ));
    }
    out.push('\n');
    for (name, _) in &services {
        for (dependency, _) in dependencies.dependencies(name) {
            out.push_str(&format!("{indent}{name:?} -> {dependency:?};\n"));
        }
    }
    out.push_str("}\n\n");
    out
}

fn keys(map: Option<&Node>) -> Vec<String> {
    map.and_then(Node::as_map)
        .into_iter()
        .flat_map(|m| m.keys())
        .map(|k| k.to_string())
        .collect()
}

/// `host_ip:published:target (protocol, mode)` per port.
fn ports(service: &Node) -> Vec<String> {
    let text = |port: &Node, key: &str| port.get(key).and_then(Node::scalar_text);
    service
        .get("ports")
        .and_then(Node::as_seq)
        .into_iter()
        .flatten()
        .map(|port| {
            let host = text(port, "host_ip").map_or(String::new(), |ip| format!("{ip}:"));
            format!(
                "{host}{}:{} ({}, {})",
                text(port, "published").unwrap_or_default(),
                text(port, "target").unwrap_or_default(),
                text(port, "protocol").unwrap_or_else(|| "tcp".into()),
                text(port, "mode").unwrap_or_else(|| "ingress".into()),
            )
        })
        .collect()
}
