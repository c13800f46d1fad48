//! `berth config`: the resolved project, or facts about it.

use std::io::Write;

use clap::{Args, ValueEnum};
use sha2::{Digest, Sha256};

use super::{CliError, Settings, print_warnings};
use crate::load::{self, Loaded};
use crate::model::Project;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Yaml,
    Json,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Services to render (default: all enabled services)
    pub services: Vec<String>,
    /// Output format
    #[arg(long, value_enum, default_value = "yaml")]
    pub format: Format,
    /// Write the output to this file instead of standard output
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<String>,
    /// Only validate the configuration, print nothing
    #[arg(short, long)]
    pub quiet: bool,
    /// Print the service names, one per line
    #[arg(long = "services")]
    pub list_services: bool,
    /// Print the volume names, one per line
    #[arg(long)]
    pub volumes: bool,
    /// Print the network names, one per line
    #[arg(long)]
    pub networks: bool,
    /// Print the profile names, one per line
    #[arg(long = "profiles", id = "list_profiles")]
    pub list_profiles: bool,
    /// Print the image names, one per line
    #[arg(long)]
    pub images: bool,
    /// Print the config hash of services (`svc1,svc2` or `*`)
    #[arg(long, value_name = "SERVICES")]
    pub hash: Option<String>,
    /// Print the variables the model uses, with their defaults
    #[arg(long)]
    pub variables: bool,
    /// Print the environment used for interpolation
    #[arg(long)]
    pub environment: bool,
    /// Don't interpolate environment variables
    #[arg(long)]
    pub no_interpolate: bool,
    /// Don't normalize the model
    #[arg(long)]
    pub no_normalize: bool,
    /// Don't resolve file paths
    #[arg(long)]
    pub no_path_resolution: bool,
    /// Don't check model consistency
    #[arg(long)]
    pub no_consistency: bool,
}

pub fn run(settings: &Settings, args: ConfigArgs) -> Result<i32, CliError> {
    let mut opts = settings.load.clone();
    opts.skip_interpolation = args.no_interpolate;
    opts.skip_normalization = args.no_normalize;
    opts.skip_path_resolution = args.no_path_resolution;
    opts.skip_consistency = args.no_consistency;
    if args.variables {
        // Variables are read from the model as written, before interpolation.
        opts.skip_interpolation = true;
        opts.skip_consistency = true;
    }
    if !opts.skip_interpolation {
        opts.services = args.services.clone();
    }
    let loaded = load::load(&opts)?;
    print_warnings(&loaded.warnings, &loaded.sources);
    if args.quiet {
        return Ok(0);
    }
    let text = render(&loaded, &args)?;
    match &args.output {
        Some(path) => std::fs::write(path, text).map_err(|e| CliError::Other(format!("cannot write {path}: {e}")))?,
        None => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
        }
    }
    Ok(0)
}

fn lines<I: IntoIterator<Item = String>>(items: I) -> String {
    items.into_iter().map(|l| l + "\n").collect()
}

fn render(loaded: &Loaded, args: &ConfigArgs) -> Result<String, CliError> {
    let model = loaded.model.to_json();
    let section_keys = |k: &str| -> Vec<String> {
        let mut keys: Vec<String> = model.get(k).and_then(|v| v.as_object()).map(|m| m.keys().cloned().collect()).unwrap_or_default();
        keys.sort();
        keys
    };
    if args.list_services {
        return Ok(lines(section_keys("services")));
    }
    if args.volumes {
        return Ok(lines(section_keys("volumes")));
    }
    if args.networks {
        return Ok(lines(section_keys("networks")));
    }
    if args.list_profiles {
        return Ok(lines(loaded.all_profiles.clone()));
    }
    if args.images {
        let services = model.get("services").and_then(|s| s.as_object()).cloned().unwrap_or_default();
        let mut names: Vec<&String> = services.keys().collect();
        names.sort();
        return Ok(lines(names.into_iter().map(|n| {
            services[n]
                .get("image")
                .and_then(|i| i.as_str())
                .map(str::to_string)
                .unwrap_or_else(|| format!("{}-{n}", loaded.name))
        })));
    }
    if let Some(which) = &args.hash {
        let services = model.get("services").and_then(|s| s.as_object()).cloned().unwrap_or_default();
        let mut names: Vec<String> = if which == "*" {
            services.keys().cloned().collect()
        } else {
            which.split(',').map(|s| s.trim().to_string()).collect()
        };
        names.sort();
        let mut out = Vec::new();
        for n in names {
            let Some(svc) = services.get(&n) else {
                return Err(CliError::Other(format!("no such service: {n}")));
            };
            let digest = Sha256::digest(serde_json::to_vec(svc).unwrap_or_default());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            out.push(format!("{n} {hex}"));
        }
        return Ok(lines(out));
    }
    if args.variables {
        return Ok(variables_table(&loaded.model));
    }
    if args.environment {
        let mut vars: Vec<String> = loaded.environment.iter().map(|(k, v)| format!("{k}={v}")).collect();
        vars.sort();
        return Ok(lines(vars));
    }
    let project = Project::from_json(model).map_err(|e| CliError::Other(e.to_string()))?;
    project.check_json().map_err(|e| CliError::Other(e.to_string()))?;
    let escaped = escape_dollars(project.to_json());
    Ok(match args.format {
        Format::Json => serde_json::to_string_pretty(&escaped).unwrap_or_default() + "\n",
        Format::Yaml => yaml_serde::to_string(&escaped).unwrap_or_default(),
    })
}

/// Writes every `$` of a value as `$$`, so the output loads again unchanged.
fn escape_dollars(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(s.replace('$', "$$")),
        Value::Array(a) => Value::Array(a.into_iter().map(escape_dollars).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, escape_dollars(v))).collect()),
        v => v,
    }
}

/// `NAME  REQUIRED  DEFAULT VALUE  ALTERNATE VALUE`, aligned like Docker Compose's table.
fn variables_table(model: &crate::load::node::Node) -> String {
    let vars = crate::load::variables::extract(model);
    let mut rows = vec![["NAME".to_string(), "REQUIRED".into(), "DEFAULT VALUE".into(), "ALTERNATE VALUE".into()]];
    for v in vars.values() {
        rows.push([v.name.clone(), v.required.to_string(), v.default.clone(), v.alternate.clone()]);
    }
    let widths: Vec<usize> = (0..4).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in rows {
        let line: Vec<String> = row.iter().enumerate().map(|(c, cell)| format!("{cell:<w$}", w = widths[c] + 3)).collect();
        out.push_str(line.concat().trim_end());
        out.push('\n');
    }
    out
}
