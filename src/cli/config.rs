//! `berth config`: the resolved project, or facts about it.

use std::io::Write;

use clap::{Args, ValueEnum};
use sha2::{Digest, Sha256};

use super::{CliError, Settings, print_warnings};
use crate::load::node::{Map, Node};
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
    opts.model_only = args.no_interpolate;
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
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(
            std::fs::File::create(path)
                .map_err(|e| CliError::Other(format!("cannot write {path}: {e}")))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = std::io::BufWriter::new(&mut out);
    let written = match listing(&loaded, &args)? {
        Some(text) => out.write_all(text.as_bytes()),
        // Without interpolation Compose prints the model as loaded, not the typed project.
        None if args.no_interpolate => {
            write_value(loaded.model.into_json(), args.format, false, &mut out)
        }
        None => write_project(loaded, args.format, &mut out)?,
    };
    written
        .and_then(|()| out.flush())
        .map_err(|e| CliError::Other(format!("cannot write the output: {e}")))?;
    Ok(0)
}

/// The whole project as Docker Compose prints it, streamed to `out`.
fn write_project(
    loaded: Loaded,
    format: Format,
    out: &mut impl Write,
) -> Result<std::io::Result<()>, CliError> {
    // YAML also shows the nested `x-*` keys, which the typed project does not print.
    let extensions = match format {
        Format::Yaml => super::yaml_out::collect_extensions(&loaded.model),
        Format::Json => Vec::new(),
    };
    // The model is consumed on the way so that only one copy of it is alive at a time.
    let project =
        Project::from_json(loaded.model.into_json()).map_err(|e| CliError::Other(e.to_string()))?;
    project
        .check_json()
        .map_err(|e| CliError::Other(e.to_string()))?;
    let mut json = project.to_json();
    Ok(match format {
        Format::Json => {
            // berth exits right after printing: leave the big trees to the
            // OS instead of freeing them node by node.
            std::mem::forget(project);
            write_value(json, format, true, out)
        }
        Format::Yaml => {
            let mut models = serde_json::to_value(&project.models).unwrap_or_default();
            std::mem::forget(project);
            escape_dollars(&mut json);
            escape_dollars(&mut models);
            out.write_all(super::yaml_out::project_to_yaml(json, extensions, models).as_bytes())
        }
    })
}

/// Writes `json`; with `escape`, every `$` doubled so the output loads again unchanged.
fn write_value(
    mut json: serde_json::Value,
    format: Format,
    escape: bool,
    out: &mut impl Write,
) -> std::io::Result<()> {
    if escape {
        escape_dollars(&mut json);
    }
    let json = std::mem::ManuallyDrop::new(json);
    match format {
        Format::Json => serde_json::to_writer_pretty(&mut *out, &*json)
            .map_err(std::io::Error::from)
            .and_then(|()| out.write_all(b"\n")),
        Format::Yaml => out.write_all(super::yaml_out::to_yaml(&json).as_bytes()),
    }
}

fn lines<I: IntoIterator<Item = String>>(items: I) -> String {
    items.into_iter().map(|l| l + "\n").collect()
}

/// The output of a listing flag (`--services`, `--hash`...), or `None` for the whole project.
fn listing(loaded: &Loaded, args: &ConfigArgs) -> Result<Option<String>, CliError> {
    let empty = Map::default();
    let section = |k: &str| loaded.model.get(k).and_then(Node::as_map).unwrap_or(&empty);
    let sorted_keys = |k: &str| -> Vec<String> {
        let mut keys: Vec<String> = section(k).keys().cloned().collect();
        keys.sort();
        keys
    };
    let services = section("services");
    let text = if args.list_services {
        lines(dependency_order(services))
    } else if args.volumes {
        lines(sorted_keys("volumes"))
    } else if args.networks {
        lines(sorted_keys("networks"))
    } else if args.list_profiles {
        lines(loaded.all_profiles.clone())
    } else if args.images {
        lines(dependency_order(services).into_iter().map(|n| {
            services[&n]
                .get("image")
                .and_then(Node::scalar_text)
                .unwrap_or_else(|| format!("{}-{n}", loaded.name))
        }))
    } else if let Some(which) = &args.hash {
        let names: Vec<String> = if which == "*" {
            sorted_keys("services")
        } else {
            which.split(',').map(|s| s.trim().to_string()).collect()
        };
        let mut out = Vec::new();
        for n in names {
            let Some(svc) = services.get(&n) else {
                return Err(CliError::Other(format!("no such service: {n}")));
            };
            let digest = Sha256::digest(serde_json::to_vec(&svc.to_json()).unwrap_or_default());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            out.push(format!("{n} {hex}"));
        }
        lines(out)
    } else if args.variables {
        variables_table(&loaded.model)
    } else if args.environment {
        let mut vars: Vec<String> = loaded
            .environment
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        vars.sort();
        lines(vars)
    } else {
        return Ok(None);
    };
    Ok(Some(text))
}

/// Service names with dependencies before their dependents (as Docker
/// Compose lists them), independent services by name.
fn dependency_order(services: &Map) -> Vec<String> {
    fn visit(
        name: &str,
        services: &Map,
        done: &mut Vec<String>,
        seen: &mut std::collections::HashSet<String>,
    ) {
        if !seen.insert(name.to_string()) {
            return;
        }
        let mut deps: Vec<&String> = services
            .get(name)
            .and_then(|s| s.get("depends_on"))
            .and_then(Node::as_map)
            .map(|d| d.keys().collect())
            .unwrap_or_default();
        deps.sort();
        for dep in deps {
            if services.contains_key(dep) {
                visit(dep, services, done, seen);
            }
        }
        done.push(name.to_string());
    }
    let mut names: Vec<&String> = services.keys().collect();
    names.sort();
    let (mut done, mut seen) = (Vec::new(), std::collections::HashSet::new());
    for name in names {
        visit(name, services, &mut done, &mut seen);
    }
    done
}

/// Writes every `$` of a value as `$$` (in place), so the output loads again unchanged.
fn escape_dollars(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) if s.contains('$') => *s = s.replace('$', "$$"),
        Value::Array(a) => a.iter_mut().for_each(escape_dollars),
        Value::Object(o) => o.values_mut().for_each(escape_dollars),
        _ => {}
    }
}

/// `NAME  REQUIRED  DEFAULT VALUE  ALTERNATE VALUE`, aligned like Docker Compose's table.
fn variables_table(model: &crate::load::node::Node) -> String {
    let vars = crate::load::variables::extract(model);
    let mut rows = vec![[
        "NAME".to_string(),
        "REQUIRED".into(),
        "DEFAULT VALUE".into(),
        "ALTERNATE VALUE".into(),
    ]];
    for v in vars.values() {
        rows.push([
            v.name.clone(),
            v.required.to_string(),
            v.default.clone(),
            v.alternate.clone(),
        ]);
    }
    // Docker Compose aligns with a tab writer: columns at least 20 wide, 3 spaces of padding.
    let widths: Vec<usize> = (0..4)
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count() + 3)
                .max()
                .unwrap_or(0)
                .max(20)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        for (c, cell) in row.iter().enumerate() {
            if c == 3 {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}", w = widths[c]));
            }
        }
        out.push('\n');
    }
    out
}
