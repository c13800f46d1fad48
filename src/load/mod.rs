//! load: Compose files → the resolved project model (pure; no engine).
//!
//! The stages follow Docker Compose's loader so that berth sees exactly the
//! project Docker Compose would: per file parse → interpolate → `extends` →
//! `include` → merge → de-duplicate → validate → canonical form; then
//! defaults, paths, normalisation, profiles, consistency and the services'
//! environment.

pub mod canonical;
pub mod cast;
mod consistency;
pub mod discover;
pub mod dotenv;
pub mod environment;
pub mod extends;
pub mod graph;
pub mod include;
pub mod interpolate;
pub mod merge;
pub mod node;
pub mod normalize;
pub mod paths;
pub mod project;
pub mod schema;
pub mod schema_cache;
pub mod tree_path;
pub mod variables;
pub mod yaml;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, Diagnostics, Sources, Span};
use crate::env_vars;
use crate::graph::ProjectGraph;
use environment::Env;
use node::{Kind, Map, Node};

/// What to load and how; mirrors Docker Compose's global flags.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// `-f` values in order; `-` reads `stdin`.
    pub files: Vec<String>,
    pub project_name: Option<String>,
    pub project_directory: Option<String>,
    pub env_files: Vec<String>,
    pub profiles: Vec<String>,
    /// Services named on the command line (their profiles are enabled and
    /// the project is narrowed to them and their dependencies).
    pub services: Vec<String>,
    /// Volumes kept though no service uses them (`run -v KEY:PATH`).
    pub keep_volumes: Vec<String>,
    /// Keep every network, volume, secret and config the files declare,
    /// used or not (`--all-resources`).
    pub all_resources: bool,
    /// Name containers and built images as Docker Compose v1 did
    /// (`project_service_1`: `--compatibility`, `COMPOSE_COMPATIBILITY`).
    pub compatibility: bool,
    /// The directory berth runs in.
    pub cwd: PathBuf,
    /// The process environment.
    pub os_env: Env,
    /// Bytes of standard input, for `-f -`, read up to one byte past
    /// [`MAX_FILE_SIZE`] (see [`read_stdin`]).
    pub stdin: Option<Vec<u8>>,
    pub skip_interpolation: bool,
    pub skip_normalization: bool,
    pub skip_path_resolution: bool,
    pub skip_consistency: bool,
    /// Keep `env_file` and `label_file` as written instead of reading them
    /// into `environment` and `labels` (`config --no-env-resolution`).
    pub skip_env_resolution: bool,
    /// Stop at the merged, normalised model: no profiles, consistency
    /// checks, service env files or pruning (`config --no-interpolate`).
    pub model_only: bool,
    /// Skip schema validation of a model that passed it before, and
    /// remember those that pass (see [`schema_cache`]).
    pub remember_validation: bool,
}

/// A loaded project: the resolved model and what it took to get there.
#[derive(Debug)]
pub struct Loaded {
    pub name: String,
    pub model: Node,
    pub working_dir: PathBuf,
    pub config_files: Vec<PathBuf>,
    pub environment: Env,
    /// The env files named by `--env-file` or `COMPOSE_ENV_FILES`, absolute
    /// (not a default `.env`), as Docker Compose records them in a label.
    pub env_files: Vec<PathBuf>,
    /// Docker Compose v1 names (see [`LoadOptions::compatibility`]).
    pub compatibility: bool,
    /// Profiles that were active (after services named on the command line).
    pub profiles: Vec<String>,
    /// Every profile some service declares, sorted.
    pub all_profiles: Vec<String>,
    /// Every service the files define, enabled or not, in file order.
    pub all_services: Vec<String>,
    /// The graph of the services and resources of `model`.
    pub graph: ProjectGraph,
    pub warnings: Vec<Diagnostic>,
    pub sources: Sources,
}

/// Per-file switches, as Docker Compose sets them for extended and included files.
#[derive(Clone, Copy, Default)]
struct FileMode {
    skip_extends: bool,
    skip_include: bool,
    skip_validation: bool,
}

struct Loader<'o> {
    opts: &'o LoadOptions,
    sources: Sources,
    warnings: Vec<Diagnostic>,
    warned_version: Vec<PathBuf>,
    /// Files named by `extends.file`, parsed once however many services extend from them.
    extends_files: HashMap<PathBuf, Vec<Node>>,
}

/// Loads the project the options describe.
pub fn load(opts: &LoadOptions) -> Result<Loaded, Diagnostics> {
    let mut loader = Loader {
        opts,
        sources: Sources::default(),
        warnings: Vec::new(),
        warned_version: Vec::new(),
        extends_files: HashMap::new(),
    };
    match loader.load_project() {
        Ok(mut loaded) => {
            loaded.warnings = std::mem::take(&mut loader.warnings);
            loaded.sources = loader.sources.clone();
            Ok(loaded)
        }
        Err(items) => Err(Diagnostics {
            items,
            sources: loader.sources,
        }),
    }
}

type Result<T, E = Vec<Diagnostic>> = std::result::Result<T, E>;

fn one<T>(r: std::result::Result<T, Diagnostic>) -> Result<T> {
    r.map_err(|d| vec![d])
}

/// A source file parsed into its YAML documents.
struct ParsedFile {
    path: PathBuf,
    documents: Vec<Node>,
}

impl Loader<'_> {
    fn load_project(&mut self) -> Result<Loaded> {
        let opts = self.opts;
        let cwd = opts.cwd.clone();
        let project_dir_flag = opts
            .project_directory
            .as_deref()
            .map(|d| discover::absolute(&cwd, d));

        // `.env` of the working directory may set COMPOSE_FILE and friends.
        let mut os_env = opts.os_env.clone();
        let early_dir = project_dir_flag.clone().unwrap_or_else(|| cwd.clone());
        let early_env = one(self.project_env(&os_env, &early_dir))?;
        for (k, v) in &early_env {
            if k.starts_with("COMPOSE_") {
                os_env.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }

        let files = one(self.config_files(&os_env, project_dir_flag.as_deref()))?;
        let working_dir = match &project_dir_flag {
            Some(d) => d.clone(),
            None => files
                .first()
                .and_then(|f| {
                    if f.as_os_str() == "-" {
                        None
                    } else {
                        f.parent().map(Path::to_path_buf)
                    }
                })
                .unwrap_or_else(|| cwd.clone()),
        };
        // Like Compose, `.env` is read again from the project directory when
        // that is another directory; values read first win.
        let mut env = if working_dir == early_dir {
            early_env
        } else {
            let mut env = one(self.project_env(&os_env, &working_dir))?;
            for (k, v) in early_env {
                env.entry(k).or_insert(v);
            }
            env
        };

        let parsed = self.parse_files(&files)?;
        let name = one(self.project_name(&parsed, &env, &working_dir))?;
        env.insert(env_vars::COMPOSE_PROJECT_NAME.into(), name.clone());

        let mut model = self.load_model(parsed, &working_dir, &env, &[], FileMode::default())?;
        if model.as_map().is_none_or(Map::is_empty) {
            return Err(vec![
                Diagnostic::new("empty compose file").hint("add a `services:` section to the file"),
            ]);
        }
        if !opts.skip_normalization {
            let map = model.as_map_mut().expect("checked above");
            map.insert("name", Node::str(name.clone(), Span::NONE));
            normalize::normalize(&mut model, &env);
        }
        let mut profiles = self.active_profiles(&env);
        let all_profiles = project::all_profiles(&model);
        let all_services: Vec<String> = model
            .get("services")
            .and_then(Node::as_map)
            .map(|s| s.keys().map(|k| k.to_string()).collect())
            .unwrap_or_default();
        let graph = if opts.model_only {
            graph::project_graph(&model)
        } else {
            if let Some(map) = model.as_map_mut() {
                map.entry("name")
                    .or_insert_with(|| Node::str(name.clone(), Span::NONE));
            }
            let graph;
            (profiles, graph) = project::finish(
                &mut model,
                &ProjectContext {
                    opts,
                    env: &env,
                    profiles,
                    sources: &self.sources,
                },
            )?;
            graph
        };
        Ok(Loaded {
            name,
            model,
            working_dir,
            config_files: files,
            environment: env,
            env_files: self.named_env_files(&os_env).unwrap_or_default(),
            compatibility: self.opts.compatibility,
            profiles,
            all_profiles,
            all_services,
            graph,
            warnings: Vec::new(),
            sources: self.sources.clone(),
        })
    }

    fn active_profiles(&self, env: &Env) -> Vec<String> {
        if !self.opts.profiles.is_empty() {
            return self.opts.profiles.clone();
        }
        env.get(env_vars::COMPOSE_PROFILES)
            .map(|p| {
                p.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The env files `--env-file` or else `COMPOSE_ENV_FILES` names, if any.
    fn named_env_files(&self, os_env: &Env) -> Option<Vec<PathBuf>> {
        let opts = self.opts;
        if !opts.env_files.is_empty() {
            return Some(
                opts.env_files
                    .iter()
                    .map(|f| discover::absolute(&opts.cwd, f))
                    .collect(),
            );
        }
        let list = os_env
            .get(env_vars::COMPOSE_ENV_FILES)
            .filter(|s| !s.is_empty())?;
        Some(
            list.split(',')
                .map(|f| discover::absolute(&opts.cwd, f.trim()))
                .collect(),
        )
    }

    /// The OS environment plus `--env-file`s, `COMPOSE_ENV_FILES` or `dir/.env`.
    fn project_env(&self, os_env: &Env, dir: &Path) -> Result<Env, Diagnostic> {
        let files: Vec<PathBuf> = if let Some(named) = self.named_env_files(os_env) {
            named
        } else {
            let disabled = os_env
                .get(env_vars::COMPOSE_DISABLE_ENV_FILE)
                .is_some_and(|v| is_truthy(v));
            let dotenv = dir.join(".env");
            if !disabled && dotenv.is_file() {
                vec![dotenv]
            } else {
                Vec::new()
            }
        };
        for f in &files {
            if f.is_dir() {
                return Err(Diagnostic::new(format!(
                    "{} is a directory, not an env file",
                    f.display()
                )));
            }
            if !f.exists() {
                return Err(
                    Diagnostic::new(format!("couldn't find env file: {}", f.display()))
                        .hint("fix the --env-file path"),
                );
            }
        }
        environment::with_env_files(os_env, &files, &self.sources)
    }

    /// `-f` files, else `COMPOSE_FILE`, else discovery from the project directory or cwd.
    fn config_files(
        &mut self,
        env: &Env,
        project_dir: Option<&Path>,
    ) -> Result<Vec<PathBuf>, Diagnostic> {
        let opts = self.opts;
        let given: Vec<String> = if !opts.files.is_empty() {
            opts.files.clone()
        } else if let Some(list) = env.get(env_vars::COMPOSE_FILE).filter(|s| !s.is_empty()) {
            let sep = env
                .get(env_vars::COMPOSE_PATH_SEPARATOR)
                .cloned()
                .unwrap_or_else(|| ":".into());
            list.split(sep.as_str())
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        } else {
            let start = project_dir
                .map(Path::to_path_buf)
                .unwrap_or_else(|| opts.cwd.clone());
            return discover::find_default_files(&start, &mut self.warnings)
                .ok_or_else(|| discover::no_files_error(&start));
        };
        given
            .iter()
            .map(|f| {
                if f == "-" {
                    return Ok(PathBuf::from("-"));
                }
                let path = discover::absolute(&opts.cwd, f);
                if !path.exists() {
                    return Err(Diagnostic::new(format!(
                        "open {}: no such file or directory",
                        path.display()
                    ))
                    .hint("check the -f / COMPOSE_FILE path"));
                }
                Ok(path)
            })
            .collect()
    }

    fn parse_files(&self, files: &[PathBuf]) -> Result<Vec<ParsedFile>> {
        files.iter().map(|f| self.parse_file(f)).collect()
    }

    fn parse_file(&self, path: &Path) -> Result<ParsedFile> {
        let shown = if path.as_os_str() == "-" {
            self.opts.cwd.join("-")
        } else {
            path.to_path_buf()
        };
        let bytes = if path.as_os_str() == "-" {
            self.opts.stdin.clone().unwrap_or_default()
        } else {
            read_capped(path).map_err(|e| {
                vec![Diagnostic::new(format!(
                    "open {}: {}",
                    path.display(),
                    io_reason(&e)
                ))]
            })?
        };
        if bytes.len() > MAX_FILE_SIZE {
            return Err(vec![too_big(&shown)]);
        }
        let text = match decode_text(bytes) {
            Ok(text) => text,
            Err((text, offset)) => {
                let (file, _) = self.sources.add(&shown, text);
                return Err(vec![
                    Diagnostic::new("invalid YAML: invalid leading UTF-8 octet")
                        .at(Span::new(file, offset as u32, 1))
                        .hint("save the file as UTF-8 (or UTF-16 with a byte order mark)"),
                ]);
            }
        };
        let (file, source) = self.sources.add(&shown, text);
        let documents = one(yaml::parse_documents(&source.text(), file))?;
        let documents = documents.into_iter().filter(|d| !d.is_null()).collect();
        // Only messages read the text from here on: a regular file gives it
        // up, to be read again for one (a pipe or stdin cannot be).
        if std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
            self.sources.release(file, read_again);
        }
        Ok(ParsedFile {
            path: shown,
            documents,
        })
    }

    /// [`Loader::parse_file`] for `extends` files, parsed once per load.
    fn parse_extends_file(&mut self, path: &Path) -> Result<ParsedFile> {
        if let Some(documents) = self.extends_files.get(path) {
            return Ok(ParsedFile {
                path: path.to_path_buf(),
                documents: documents.clone(),
            });
        }
        let parsed = self.parse_file(path)?;
        self.extends_files
            .insert(path.to_path_buf(), parsed.documents.clone());
        Ok(parsed)
    }

    /// `-p`, `COMPOSE_PROJECT_NAME`, the files' `name:`, or the directory name.
    fn project_name(
        &self,
        files: &[ParsedFile],
        env: &Env,
        working_dir: &Path,
    ) -> Result<String, Diagnostic> {
        if let Some(name) = &self.opts.project_name {
            discover::check_project_name(name)?;
            return Ok(name.clone());
        }
        if let Some(name) = env
            .get(env_vars::COMPOSE_PROJECT_NAME)
            .filter(|n| !n.is_empty())
        {
            discover::check_project_name(name)?;
            return Ok(name.clone());
        }
        // The last file (and document) that declares a name wins.
        let declared = files
            .iter()
            .rev()
            .flat_map(|f| f.documents.iter().rev())
            .filter_map(|d| d.get("name"))
            .filter_map(|n| n.scalar_text().map(|t| (t, n.span)))
            .find(|(t, _)| !t.is_empty());
        let mut name = String::new();
        if let Some((text, span)) = declared {
            name = if self.opts.skip_interpolation {
                text
            } else {
                let lookup = |k: &str| env.get(k).cloned();
                match interpolate::substitute(&text, &lookup) {
                    Ok((v, _)) => v,
                    Err(_) => {
                        return Err(Diagnostic::new("invalid interpolation format for name")
                            .at(span)
                            .hint("You may need to escape any $ with another $."));
                    }
                }
            };
            if !self.opts.skip_normalization {
                name = discover::normalize_project_name(&name);
            }
        }
        if name.is_empty() {
            let base = working_dir
                .file_name()
                .map(|b| b.to_string_lossy().to_string())
                .unwrap_or_default();
            name = discover::normalize_project_name(&base);
        }
        if name.is_empty() {
            return Err(Diagnostic::new("project name must not be empty")
                .hint("set `name:` in the compose file or pass -p <name>"));
        }
        Ok(name)
    }

    /// Loads several files into one model (Compose's `loadYamlModel`).
    fn load_model(
        &mut self,
        files: Vec<ParsedFile>,
        working_dir: &Path,
        env: &Env,
        included: &[PathBuf],
        mode: FileMode,
    ) -> Result<Node> {
        let mut model = Node::map(Map::default(), Span::NONE);
        for file in files {
            model = self.load_file(file, model, working_dir, env, included, mode)?;
        }
        one(canonical::set_defaults(&mut model))?;
        if !mode.skip_validation {
            project::validate_structure(&model)?;
        }
        if !self.opts.skip_path_resolution {
            let home = env.get(env_vars::HOME).map(PathBuf::from);
            one(paths::resolve_paths(
                &mut model,
                working_dir,
                home.as_deref(),
            ))?;
        }
        normalize::resolve_environment(&mut model, env);
        Ok(model)
    }

    /// Processes one file's documents onto `model` (Compose's `loadYamlFile`).
    fn load_file(
        &mut self,
        file: ParsedFile,
        mut model: Node,
        working_dir: &Path,
        env: &Env,
        included: &[PathBuf],
        mode: FileMode,
    ) -> Result<Node> {
        let label = file.path.display().to_string();
        for mut doc in file.documents {
            if !matches!(doc.kind, Kind::Map(_)) {
                return Err(vec![
                    Diagnostic::new("top-level object must be a mapping")
                        .at(doc.span)
                        .hint("a Compose file is a mapping with keys such as `services:`"),
                ]);
            }
            if !self.opts.skip_interpolation {
                let lookup = |k: &str| env.get(k).cloned();
                interpolate::interpolate_tree(&mut doc, &lookup, &mut self.warnings)?;
            }
            if !mode.skip_extends {
                extends::apply(self, &mut doc, &file.path, env)?;
            }
            if !mode.skip_include {
                let mut chain = included.to_vec();
                chain.push(file.path.clone());
                include::apply(self, &mut doc, working_dir, env, &chain)?;
            }
            model = one(merge::merge(model, doc))?;
            one(merge::enforce_unicity(&mut model))?;
            if !mode.skip_validation {
                self.validate(&model, &label)?;
                if let Some(map) = model.as_map_mut()
                    && let Some(version) = map.shift_remove("version")
                {
                    self.warn_version(&file.path, version.key_span());
                }
            }
            one(canonical::canonical(
                &mut model,
                self.opts.skip_interpolation,
                &mut self.warnings,
            ))?;
            omit_empty_dns(&mut model);
            one(merge::enforce_unicity(&mut model))?;
        }
        Ok(model)
    }

    /// Checks `model` against the schema, unless the same model passed
    /// before (see [`schema_cache`]).
    fn validate(&self, model: &Node, label: &str) -> Result<()> {
        let verdicts = self
            .opts
            .remember_validation
            .then(|| schema_cache::Verdicts::locate(&self.opts.os_env))
            .flatten();
        let key = verdicts
            .as_ref()
            .map(|_| schema_cache::key(schema::SCHEMA_TEXT, model));
        if let (Some(verdicts), Some(key)) = (&verdicts, &key)
            && verdicts.passed(key)
        {
            return Ok(());
        }
        let errors = schema::validate(model, label);
        if !errors.is_empty() {
            return Err(errors);
        }
        if let (Some(verdicts), Some(key)) = (&verdicts, &key) {
            verdicts.remember(key);
        }
        Ok(())
    }

    fn warn_version(&mut self, path: &Path, span: Span) {
        if self.warned_version.iter().any(|p| p == path) {
            return;
        }
        self.warned_version.push(path.to_path_buf());
        self.warnings.push(
            Diagnostic::new(format!(
                "{}: the attribute `version` is obsolete, it will be ignored, please remove it to avoid potential confusion",
                path.display()
            ))
            .at(span),
        );
    }
}

/// Context for the project-wide steps after loading.
pub struct ProjectContext<'a> {
    pub opts: &'a LoadOptions,
    pub env: &'a Env,
    pub profiles: Vec<String>,
    pub sources: &'a Sources,
}

/// Empty `dns` entries are dropped, as Compose does.
fn omit_empty_dns(model: &mut Node) {
    let Some(services) = model.get_mut("services").and_then(Node::as_map_mut) else {
        return;
    };
    for service in services.values_mut() {
        let Some(map) = service.as_map_mut() else {
            continue;
        };
        let empty = |n: &Node| n.is_null() || n.as_str() == Some("");
        if map.get("dns").is_some_and(empty) {
            map.shift_remove("dns");
        } else if let Some(items) = map.get_mut("dns").and_then(Node::as_seq_mut) {
            items.retain(|n| !empty(n));
        }
    }
}

/// Go's `strconv.ParseBool` truthiness.
pub fn is_truthy(v: &str) -> bool {
    crate::gocompat::parse_bool(v) == Some(true)
}

/// Stack for a thread that loads a project: the loader's walks recurse once
/// per level of a tree that may nest [`yaml::MAX_DEPTH`] deep. Only what is
/// used is committed.
pub const LOAD_STACK: usize = 512 << 20;

/// The most berth reads of one file (or standard input): a Compose file is
/// kilobytes, and `-f /dev/zero` must not fill the memory.
pub const MAX_FILE_SIZE: usize = 64 << 20;

/// Reads a file, stopping one byte past [`MAX_FILE_SIZE`]: regular files,
/// named pipes (`-f <(...)`) and devices alike are read as streams, so that
/// an endless one (`/dev/zero`) stops at the cap instead of filling the memory.
pub fn read_capped(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    // Room for the whole file at once: read in doubling steps, a big file's
    // text would hold up to twice its size for as long as it is kept.
    let size = file
        .metadata()
        .map_or(0, |m| m.len())
        .min(MAX_FILE_SIZE as u64 + 1);
    let mut bytes = Vec::with_capacity(size as usize + 1);
    file.take(MAX_FILE_SIZE as u64 + 1)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Standard input for `-f -`, read as [`read_capped`] reads a file.
/// A file's text read again, as it was read to load it; `None` if it cannot be.
pub fn read_again(path: &Path) -> Option<String> {
    decode_text(read_capped(path).ok()?).ok()
}

pub fn read_stdin() -> Vec<u8> {
    use std::io::Read;
    let mut bytes = Vec::new();
    let _ = std::io::stdin()
        .lock()
        .take(MAX_FILE_SIZE as u64 + 1)
        .read_to_end(&mut bytes);
    bytes
}

/// The error for a file past [`MAX_FILE_SIZE`].
pub fn too_big(path: &Path) -> Diagnostic {
    Diagnostic::new(format!(
        "{} is larger than {} MiB, the most berth reads of a file",
        path.display(),
        MAX_FILE_SIZE >> 20
    ))
    .hint("check the -f path: it should name a Compose file (an endless device such as /dev/zero never ends)")
}

/// A file's bytes as text, the way go-yaml reads them: UTF-8, or UTF-16
/// (little or big endian) after its byte order mark. A UTF-8 byte order mark
/// is kept (positions count it). Invalid UTF-8 gives the text with
/// replacement characters and the byte offset of the first bad byte.
pub fn decode_text(bytes: Vec<u8>) -> std::result::Result<String, (String, usize)> {
    let utf16 = |rest: &[u8], unit: fn([u8; 2]) -> u16| {
        let units = rest
            .chunks(2)
            .map(|c| unit([c[0], *c.get(1).unwrap_or(&0)]));
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect::<String>()
    };
    match bytes.as_slice() {
        [0xff, 0xfe, rest @ ..] => Ok(utf16(rest, u16::from_le_bytes)),
        [0xfe, 0xff, rest @ ..] => Ok(utf16(rest, u16::from_be_bytes)),
        _ => String::from_utf8(bytes).map_err(|e| {
            let offset = e.utf8_error().valid_up_to();
            (String::from_utf8_lossy(e.as_bytes()).into_owned(), offset)
        }),
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The services of `yaml`, loaded as `config` loads them.
    fn services(yaml: &str) -> Map {
        let opts = LoadOptions {
            files: vec!["-".into()],
            project_name: Some("p".into()),
            stdin: Some(yaml.as_bytes().to_vec()),
            cwd: std::env::temp_dir(),
            ..LoadOptions::default()
        };
        let loaded = load(&opts).unwrap_or_else(|e| panic!("{}", e.render(false, false)));
        loaded
            .model
            .get("services")
            .and_then(Node::as_map)
            .cloned()
            .expect("services")
    }

    #[test]
    fn what_aliases_copy_stays_shared_through_loading() {
        // Each `<<: *common` would otherwise copy the whole subtree, and a
        // thousand services would carry a thousand copies.
        let services = services(
            "x-common: &common\n  logging:\n    driver: json-file\n    options: {max-size: 10m}\n  healthcheck:\n    test: [CMD, \"true\"]\n    interval: 10s\nservices:\n  a:\n    <<: *common\n    image: \"x:${TAG:-1}\"\n  b:\n    <<: *common\n    image: y\n    logging:\n      driver: json-file\n      options: {max-size: 10m}\n",
        );
        let part = |service: &str, key: &str| {
            services[service]
                .get(key)
                .and_then(Node::as_map)
                .expect(key)
        };
        assert!(part("a", "healthcheck").shares_entries_with(part("b", "healthcheck")));
        // What is written twice is two copies, however equal.
        assert_eq!(part("a", "logging"), part("b", "logging"));
        assert!(!part("a", "logging").shares_entries_with(part("b", "logging")));
    }

    #[test]
    fn what_aliases_share_stays_shared_where_walks_change_nothing() {
        // The walks that make the long syntax, fill defaults, resolve paths
        // and drop duplicate list entries, and the normaliser, look into
        // `deploy`, `ulimits` and `build` without changing them here: the
        // subtrees stay shared.
        let services = services(
            "x-common: &common
  deploy:
    resources:
      limits: {cpus: \"0.5\", memory: 256M}
  ulimits:
    nofile: {soft: 1, hard: 2}
  build:
    context: /src
    dockerfile: Dockerfile
  volumes:
    - type: volume
      source: data
      target: /data
services:
  a:
    <<: *common
  b:
    <<: *common
volumes:
  data: {}
",
        );
        let shared = |key: &str| {
            let get = |service: &str| services[service].get(key).expect(key);
            match (&get("a").kind, &get("b").kind) {
                (Kind::Map(a), Kind::Map(b)) => a.shares_entries_with(b),
                (Kind::Seq(a), Kind::Seq(b)) => a.as_ptr() == b.as_ptr(),
                _ => false,
            }
        };
        for key in ["deploy", "ulimits", "build"] {
            assert!(shared(key), "{key} was copied");
        }
    }
}
