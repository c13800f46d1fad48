//! `config`: the resolved project, or facts about it (services, volumes,
//! hashes, variables...), written to the output the user chose; image tags
//! pinned to digests when asked, which asks the engine.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use super::error::Failure;
use super::{Error, Settings};
use crate::load::node::{Key, Kind, Map, Node};
use crate::load::{self, Loaded};
use crate::model::{ModelError, Project, Service, VolumeConfig};
use crate::output::print_warnings;
use crate::reconcile::config_hash;
use crate::reconcile::desired::Naming;

/// `--format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    #[default]
    Yaml,
    Json,
}

/// What `config` is asked: how the project is loaded, what is printed and
/// where. See the command's flags for each.
#[derive(Clone, Debug, Default)]
pub struct ConfigRequest {
    pub services: Vec<String>,
    pub format: Format,
    /// A file to write instead of standard output.
    pub output: Option<String>,
    pub quiet: bool,
    pub list_services: bool,
    pub volumes: bool,
    pub networks: bool,
    pub list_profiles: bool,
    pub images: bool,
    pub hash: Option<String>,
    pub variables: bool,
    pub environment: bool,
    pub no_interpolate: bool,
    pub no_normalize: bool,
    pub no_path_resolution: bool,
    pub no_consistency: bool,
    pub no_env_resolution: bool,
    pub models: bool,
    pub resolve_image_digests: bool,
    pub lock_image_digests: bool,
}

/// The project as the files say, its warnings printed (`alpha viz`).
pub fn load_project(settings: &Settings) -> Result<Loaded, Error> {
    let loaded = load::load(&settings.load)?;
    print_warnings(&loaded.warnings, &loaded.sources);
    Ok(loaded)
}

/// Loads the project as the request says and writes what it asks for.
pub fn config(settings: &Settings, args: &ConfigRequest) -> Result<(), Error> {
    let mut opts = settings.load.clone();
    opts.skip_interpolation = args.no_interpolate;
    opts.skip_normalization = args.no_normalize;
    opts.skip_path_resolution = args.no_path_resolution;
    opts.skip_consistency = args.no_consistency;
    // Docker Compose hashes services as written, before `env_file` is read
    // (`up` hashes them after: its labels differ where `env_file` is used).
    opts.skip_env_resolution = args.no_env_resolution || args.hash.is_some();
    opts.model_only = args.no_interpolate;
    if args.variables {
        // Variables are read from the model as written, before interpolation.
        opts.skip_interpolation = true;
        opts.skip_consistency = true;
    }
    if !opts.skip_interpolation {
        opts.services = args.services.clone();
    }
    let mut loaded = load::load(&opts)?;
    print_warnings(&loaded.warnings, &loaded.sources);
    // Only listings read the graph: the project is printed without it.
    if !lists(args) {
        drop(std::mem::take(&mut loaded.graph));
    }
    // The loader gave up the files' texts after parsing them; a value the
    // typed project cannot read is located by reading its file again.
    let locator = Locator {
        sources: loaded.sources.clone(),
    };
    // Only these flags need the engine; listings print the file as written.
    let lock = if (args.resolve_image_digests || args.lock_image_digests) && !lists(args) {
        let flag = if args.lock_image_digests {
            "--lock-image-digests"
        } else {
            "--resolve-image-digests"
        };
        let pins = resolve_digests(settings, &loaded.model, flag)?;
        if args.lock_image_digests {
            Some(lock_file(&loaded.model, &pins))
        } else {
            pin_images(&mut loaded.model, &pins);
            None
        }
    } else {
        None
    };
    if args.quiet {
        return Ok(());
    }
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => {
            Box::new(
                std::fs::File::create(path).map_err(|source| Failure::CannotWrite {
                    what: path.clone(),
                    source,
                })?,
            )
        }
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = std::io::BufWriter::new(&mut out);
    let written = match listing(&loaded, args)? {
        Some(text) => out.write_all(text.as_bytes()),
        None if let Some(lock) = lock => write_value(lock, args.format, true, &mut out),
        // Without interpolation Compose prints the model as loaded, not the typed project.
        None if args.no_interpolate => {
            write_value(loaded.model.into_json(), args.format, false, &mut out)
        }
        None => write_project(loaded, args.format, &mut out, &locator)?,
    };
    written
        .and_then(|()| out.flush())
        .map_err(|source| Failure::CannotWrite {
            what: "the output".into(),
            source,
        })?;
    Ok(())
}

/// Whether a flag asks for a listing (`--services`, `--hash`...) rather than the project.
fn lists(args: &ConfigRequest) -> bool {
    args.list_services
        || args.volumes
        || args.networks
        || args.models
        || args.list_profiles
        || args.images
        || args.hash.is_some()
        || args.variables
        || args.environment
}

/// The `image:` of each service that has one, by service name.
fn service_images(model: &Node) -> Vec<(String, String)> {
    let Some(services) = model.get("services").and_then(Node::as_map) else {
        return Vec::new();
    };
    let mut images: Vec<(String, String)> = services
        .iter()
        .filter_map(|(name, service)| {
            let image = service.get("image").and_then(Node::scalar_text)?;
            Some((name.to_string(), image))
        })
        .filter(|(_, image)| !image.is_empty())
        .collect();
    images.sort();
    images
}

/// Each image not yet pinned, pinned to its digest. Every image that
/// cannot be is reported, with its service and why, before failing.
fn resolve_digests(
    settings: &Settings,
    model: &Node,
    flag: &str,
) -> Result<BTreeMap<String, String>, Error> {
    use crate::registry::{self, DigestError};
    let images = service_images(model);
    let wanted: BTreeSet<&str> = images
        .iter()
        .map(|(_, image)| image.as_str())
        .filter(|image| !registry::is_pinned(image))
        .collect();
    if wanted.is_empty() {
        return Ok(BTreeMap::new());
    }
    let env = &settings.load.os_env;
    let runtime = crate::app::open::runtime()?;
    let resolved = runtime.block_on(async {
        let engine = crate::app::open::connect(settings).await?;
        let lookups = wanted.iter().map(|image| {
            let engine = &engine;
            async move { (*image, registry::resolve_digest(engine, image, env).await) }
        });
        Ok::<_, Error>(futures_util::future::join_all(lookups).await)
    })?;
    let resolved: BTreeMap<&str, Result<String, DigestError>> = resolved.into_iter().collect();
    let mut pins = BTreeMap::new();
    let mut failures = Vec::new();
    for (service, image) in &images {
        match resolved.get(image.as_str()) {
            Some(Ok(digest)) => {
                pins.insert(image.clone(), registry::pin(image, digest));
            }
            Some(Err(why)) => failures.push(digest_failure(service, image, why, flag)),
            None => {}
        }
    }
    if failures.is_empty() {
        Ok(pins)
    } else {
        Err(Failure::Digests(failures).into())
    }
}

fn digest_failure(
    service: &str,
    image: &str,
    why: &crate::registry::DigestError,
    flag: &str,
) -> String {
    use crate::registry::DigestError;
    let reason = match why {
        DigestError::NeverPushed { registry } => format!(
            "it was built locally and never pushed to {registry}: push it first or drop {flag}"
        ),
        other => other.to_string(),
    };
    format!("service {service:?}: cannot resolve the digest of image {image}: {reason}")
}

/// `--resolve-image-digests`: each service's `image:` replaced by its pin.
fn pin_images(model: &mut Node, pins: &BTreeMap<String, String>) {
    let Some(services) = model.get_mut("services").and_then(Node::as_map_mut) else {
        return;
    };
    for service in services.values_mut() {
        if let Some(image) = service.get_mut("image")
            && let Some(pinned) = image.scalar_text().and_then(|i| pins.get(&i))
        {
            image.kind = Kind::Str(pinned.as_str().into());
        }
    }
}

/// `--lock-image-digests`: an override file that only sets each service's
/// pinned image (an empty service when it has none, as Compose prints it).
fn lock_file(model: &Node, pins: &BTreeMap<String, String>) -> serde_json::Value {
    let mut names: Vec<String> = model
        .get("services")
        .and_then(Node::as_map)
        .map(|s| s.keys().map(|k| k.to_string()).collect())
        .unwrap_or_default();
    names.sort();
    let images: BTreeMap<String, String> = service_images(model).into_iter().collect();
    let services: serde_json::Map<String, serde_json::Value> = names
        .into_iter()
        .map(|name| {
            let service = match images.get(&name) {
                Some(image) => {
                    let pinned = pins.get(image).unwrap_or(image);
                    serde_json::json!({ "image": pinned })
                }
                None => serde_json::json!({}),
            };
            (name, service)
        })
        .collect();
    serde_json::json!({ "services": services })
}

/// Turns an error of the typed project into a located one.
struct Locator {
    sources: crate::diag::Sources,
}

impl Locator {
    fn error(&self, e: ModelError, span: Option<crate::diag::Span>) -> Error {
        let Some(span) = span.filter(|s| s.is_known()) else {
            return Failure::Model(e).into();
        };
        // A file that cannot be read again (changed since) gives no position.
        let readable = self
            .sources
            .get(span.file.into())
            .is_some_and(|f| span.points_into(&f.text()));
        if !readable {
            return Failure::Model(e).into();
        }
        Error::Project(crate::diag::Diagnostics {
            items: vec![crate::diag::Diagnostic::new(e.to_string()).at(span)],
            sources: self.sources.clone(),
        })
    }
}

/// The whole project as Docker Compose prints it, streamed to `out`.
fn write_project(
    loaded: Loaded,
    format: Format,
    out: &mut impl Write,
    locator: &Locator,
) -> Result<std::io::Result<()>, Error> {
    if let Format::Json = format {
        return write_project_json(loaded.model, out, locator);
    }
    // YAML also shows the nested `x-*` keys, which the typed project does not print.
    let extensions = crate::output::yaml::collect_extensions(&loaded.model);
    // The model is consumed on the way so that only one copy of it is alive
    // at a time: each service is dropped once read.
    let (mut project, services, volumes, _) = read_rest(loaded.model, locator, false)?;
    project.volumes = read_volumes(volumes);
    for (name, node) in services {
        let service = Service::from_json(&name, node.to_json()).map_err(|e| {
            let span = service_span(&node, &name, &e);
            locator.error(e, span)
        })?;
        project.services.insert(name.to_string(), service);
    }
    project.check_json().map_err(Failure::Model)?;
    let mut json = project.to_json();
    let mut models = serde_json::to_value(&project.models).unwrap_or_default();
    // berth exits right after printing: leave the big trees to the OS
    // instead of freeing them node by node.
    std::mem::forget(project);
    escape_dollars(&mut json);
    escape_dollars(&mut models);
    Ok(out.write_all(crate::output::yaml::project_to_yaml(json, extensions, models).as_bytes()))
}

/// Reads the project without its services, which it gives back as the
/// model has them; with the first error in the model's order (that of
/// reading the whole project at once), located. `check`: read every service
/// too (always done when the rest fails, to find which error comes first),
/// giving the error of the first service Compose could not print.
type Rest = (Project, Map, Map, Option<ModelError>);
fn read_rest(mut model: Node, locator: &Locator, check: bool) -> Result<Rest, Error> {
    let top_keys: Vec<String> = model
        .as_map()
        .map(|m| m.keys().map(|k| k.to_string()).collect())
        .unwrap_or_default();
    let services = match model.get_mut("services").map(|s| &mut s.kind) {
        Some(Kind::Map(services)) => std::mem::take(services),
        _ => Map::default(),
    };
    // The volumes are checked one at a time and given back as the model has
    // them, like the services: the printer reads them again when their turn
    // comes, so their typed form is not alive beside the services.
    let volumes = match model.get_mut("volumes").map(|v| &mut v.kind) {
        Some(Kind::Map(volumes)) => std::mem::take(volumes),
        _ => Map::default(),
    };
    // The rest of the project, with an empty `services` in its place.
    let rest = Project::from_json(model.to_json()).map_err(|e| (model.locate_dotted(&e.path), e));
    drop(model);
    let volume_error = volumes.iter().find_map(|(name, node)| {
        let e = Project::volume_from_json(name, node.to_json()).err()?;
        Some((span_in(node, &format!("volumes.{name}"), &e), e))
    });
    let checked = if check || rest.is_err() {
        check_services(&services)
    } else {
        Ok(None)
    };
    // Where an error's top-level key is in the model (unknown keys last).
    let position = |e: &ModelError| {
        let key = e.path.split(['.', '[']).next().unwrap_or_default();
        top_keys.iter().position(|k| k == key).unwrap_or(usize::MAX)
    };
    let rest = match (rest, volume_error) {
        (Err(first), Some(second)) if position(&second.1) < position(&first.1) => Err(second),
        (Ok(_), Some(error)) => Err(error),
        (rest, _) => rest,
    };
    match (rest, checked) {
        (Ok(rest), Ok(unprintable)) => Ok((rest, services, volumes, unprintable)),
        // Reading the project whole reports the first error in the model's order.
        (Err((span, e)), Err((s_span, s))) => Err(if position(&e) < position(&s) {
            locator.error(e, span)
        } else {
            locator.error(s, s_span)
        }),
        (_, Err((span, e))) | (Err((span, e)), Ok(_)) => Err(locator.error(e, span)),
    }
}

/// [`write_project`] as JSON, one service at a time: each service goes from
/// the model to its printed text and is dropped before the next one is
/// read, so that the model, the typed project and its JSON never all exist
/// at once. Every service is read once beforehand, so that nothing is
/// written unless the whole project prints.
fn write_project_json(
    model: Node,
    out: &mut impl Write,
    locator: &Locator,
) -> Result<std::io::Result<()>, Error> {
    let (rest, services, volumes, unprintable) = read_rest(model, locator, true)?;
    let to_cli = |e: ModelError| Error::from(Failure::Model(e));
    rest.check_json().map_err(to_cli)?;
    if let Some(e) = unprintable {
        return Err(to_cli(e));
    }
    // The volumes are read and made JSON when their turn comes, after the
    // services (keys are sorted), which are gone by then: the peak is the
    // larger of the two rather than their sum. A null holds their place
    // meanwhile.
    let mut json = rest.to_json();
    if !volumes.is_empty()
        && let Some(top) = json.as_object_mut()
    {
        top.insert("volumes".into(), serde_json::Value::Null);
        top.sort_keys();
    }
    if let Some(top) = json.as_object_mut() {
        top.iter_mut()
            .filter(|(k, _)| k.starts_with("x-"))
            .for_each(|(_, v)| empty_lists_to_null(v));
    }
    escape_dollars(&mut json);
    Ok(write_json_with_services(&json, services, volumes, out))
}

/// The typed volumes of the model's `volumes`, which [`read_rest`] checked.
fn read_volumes(volumes: Map) -> BTreeMap<String, VolumeConfig> {
    volumes
        .into_iter()
        .map(|(name, node)| {
            let volume = Project::volume_from_json(&name, node.into_json())
                .expect("every volume was read before printing");
            (name.to_string(), volume)
        })
        .collect()
}

/// Docker Compose prints an empty list anywhere in a top-level `x-*` value
/// as `null` in JSON (and as `[]` in YAML); empty maps stay `{}`.
fn empty_lists_to_null(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Array(items) if items.is_empty() => *value = serde_json::Value::Null,
        serde_json::Value::Array(items) => items.iter_mut().for_each(empty_lists_to_null),
        serde_json::Value::Object(map) => map.values_mut().for_each(empty_lists_to_null),
        _ => {}
    }
}

/// Reads every service of the model as reading the whole project would, in
/// the model's order so that the first error is the same (located); gives
/// the error of the first service (by name) that Compose could not print.
type Checked = Result<Option<ModelError>, (Option<crate::diag::Span>, ModelError)>;
fn check_services(services: &Map) -> Checked {
    let mut unprintable: Option<(&Key, ModelError)> = None;
    for (name, node) in services {
        let service = Service::from_json(name, node.to_json())
            .map_err(|e| (service_span(node, name, &e), e))?;
        if let Err(e) = service.check_json(name)
            && unprintable.as_ref().is_none_or(|(first, _)| name < *first)
        {
            unprintable = Some((name, e));
        }
    }
    Ok(unprintable.map(|(_, e)| e))
}

/// Where in the service `node` (named `name`) the value of an error is.
fn service_span(node: &Node, name: &str, e: &ModelError) -> Option<crate::diag::Span> {
    span_in(node, &format!("services.{name}"), e)
}

/// Where in `node`, found at the dotted path `at`, the value of an error is.
fn span_in(node: &Node, at: &str, e: &ModelError) -> Option<crate::diag::Span> {
    node.locate_dotted(e.path.strip_prefix(at).unwrap_or_default())
}

/// Prints the project object `json`, with the value of its `services` key
/// read from `services` (sorted by name, as Compose prints them) and that
/// of `volumes` read from `volumes` when there are some, exactly as serde_json
/// would print the whole document.
fn write_json_with_services(
    json: &serde_json::Value,
    services: Map,
    mut volumes: Map,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let Some(top) = json.as_object() else {
        return serde_json::to_writer_pretty(&mut *out, json).map_err(std::io::Error::from);
    };
    let mut services: Vec<(Key, Node)> = services.into_iter().collect();
    services.sort_by_key(|entry| entry.0);
    let mut separator = "{\n  ";
    for (key, value) in top {
        write!(
            out,
            "{separator}{}: ",
            serde_json::Value::from(key.as_str())
        )?;
        if key == "services" && !services.is_empty() {
            let mut separator = "{\n    ";
            for (name, node) in std::mem::take(&mut services) {
                let service = Service::from_json(&name, node.into_json())
                    .expect("every service was read before printing");
                let mut json = service.to_json();
                escape_dollars(&mut json);
                write!(
                    out,
                    "{separator}{}: ",
                    serde_json::Value::from(name.as_str())
                )?;
                write_pretty_at_depth(out, &json, 2)?;
                separator = ",\n    ";
            }
            out.write_all(b"\n  }")?;
        } else if key == "volumes" && !volumes.is_empty() {
            let mut json = Project::volumes_to_json(&read_volumes(std::mem::take(&mut volumes)));
            escape_dollars(&mut json);
            write_pretty_at_depth(out, &json, 1)?;
        } else {
            write_pretty_at_depth(out, value, 1)?;
        }
        separator = ",\n  ";
    }
    out.write_all(if top.is_empty() { b"{}\n" } else { b"\n}\n" })
}

/// Writes `value` pretty-printed as serde_json prints it `depth` levels deep
/// in a document. Printed JSON has no raw newline inside strings, so every
/// newline starts a line to indent.
fn write_pretty_at_depth(
    out: &mut impl Write,
    value: &serde_json::Value,
    depth: usize,
) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(std::io::Error::from)?;
    let indent = "  ".repeat(depth);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.write_all(b"\n")?;
            out.write_all(indent.as_bytes())?;
        }
        out.write_all(line.as_bytes())?;
    }
    Ok(())
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
        Format::Yaml => out.write_all(crate::output::yaml::to_yaml(&json).as_bytes()),
    }
}

fn lines<I: IntoIterator<Item = String>>(items: I) -> String {
    items.into_iter().map(|l| l + "\n").collect()
}

/// The output of a listing flag (`--services`, `--hash`...), or `None` for the whole project.
/// `--models`: the `model` of each model some service uses, by model key.
fn used_models(models: &Map, services: &Map) -> Vec<String> {
    let used = |key: &str| {
        services
            .values()
            .any(|service| match service.get("models") {
                Some(Node {
                    kind: Kind::Seq(names),
                    ..
                }) => names
                    .iter()
                    .any(|n| n.scalar_text().as_deref() == Some(key)),
                Some(Node {
                    kind: Kind::Map(names),
                    ..
                }) => names.keys().any(|n| *n == key),
                _ => false,
            })
    };
    let mut keys: Vec<String> = models.keys().map(|k| k.to_string()).collect();
    keys.sort();
    keys.into_iter()
        .filter(|key| used(key))
        .filter_map(|key| {
            models[key.as_str()]
                .get("model")
                .and_then(Node::scalar_text)
        })
        .collect()
}

fn listing(loaded: &Loaded, args: &ConfigRequest) -> Result<Option<String>, Error> {
    let empty = Map::default();
    let section = |k: &str| loaded.model.get(k).and_then(Node::as_map).unwrap_or(&empty);
    let sorted_keys = |k: &str| -> Vec<String> {
        let mut keys: Vec<String> = section(k).keys().map(|k| k.to_string()).collect();
        keys.sort();
        keys
    };
    let services = section("services");
    // Dependencies before their dependents, as Docker Compose lists them.
    let order = || {
        loaded
            .graph
            .dependency_order()
            .into_iter()
            .map(String::from)
    };
    let text = if args.list_services {
        lines(order())
    } else if args.volumes {
        lines(sorted_keys("volumes"))
    } else if args.networks {
        lines(sorted_keys("networks"))
    } else if args.models {
        lines(used_models(section("models"), services))
    } else if args.list_profiles {
        lines(loaded.all_profiles.clone())
    } else if args.images {
        lines(order().map(|n| {
            services[&n]
                .get("image")
                .and_then(Node::scalar_text)
                .unwrap_or_else(|| Naming::of(loaded).image(&loaded.name, &n))
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
                return Err(Failure::NoSuchService(n).into());
            };
            let service = Service::from_json(&n, svc.to_json()).map_err(Failure::Model)?;
            let hash = config_hash::service_hash(&config_hash::hashed_service(&service), |_| None);
            out.push(format!("{n} {hash}"));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> Node {
        let json = serde_json::json!({"services": {
            "web": {"image": "127.0.0.1:5000/app:1", "build": {"context": "."}},
            "local": {"build": {"context": "."}},
            "pinned": {"image": "busybox@sha256:abc"},
        }});
        Node::from_json(&json, Default::default())
    }

    fn pins() -> BTreeMap<String, String> {
        BTreeMap::from([(
            "127.0.0.1:5000/app:1".to_string(),
            "127.0.0.1:5000/app:1@sha256:d1".to_string(),
        )])
    }

    #[test]
    fn the_images_to_resolve_are_those_of_services_with_one() {
        assert_eq!(
            service_images(&model()),
            vec![
                ("pinned".to_string(), "busybox@sha256:abc".to_string()),
                ("web".to_string(), "127.0.0.1:5000/app:1".to_string()),
            ]
        );
    }

    #[test]
    fn resolving_changes_only_the_images_pinned() {
        let mut model = model();
        pin_images(&mut model, &pins());
        let json = model.to_json();
        assert_eq!(
            json["services"]["web"]["image"],
            "127.0.0.1:5000/app:1@sha256:d1"
        );
        assert_eq!(json["services"]["web"]["build"]["context"], ".");
        assert_eq!(json["services"]["pinned"]["image"], "busybox@sha256:abc");
        assert!(json["services"]["local"].get("image").is_none());
    }

    #[test]
    fn the_lock_file_holds_only_the_pinned_images() {
        let lock = lock_file(&model(), &pins());
        assert_eq!(
            crate::output::yaml::to_yaml(&lock),
            "services:\n  local: {}\n  pinned:\n    image: busybox@sha256:abc\n  web:\n    image: 127.0.0.1:5000/app:1@sha256:d1\n"
        );
    }

    #[test]
    fn a_failure_names_the_service_the_image_and_the_way_out() {
        let why = crate::registry::DigestError::NeverPushed {
            registry: "127.0.0.1:5000".into(),
        };
        assert_eq!(
            digest_failure(
                "web",
                "127.0.0.1:5000/app:1",
                &why,
                "--resolve-image-digests"
            ),
            "service \"web\": cannot resolve the digest of image 127.0.0.1:5000/app:1: it was \
             built locally and never pushed to 127.0.0.1:5000: push it first or drop \
             --resolve-image-digests"
        );
    }
}
