//! Building services' images through the engine's `POST /build`, with its
//! BuildKit (or its classic builder when `DOCKER_BUILDKIT=0`): the context
//! streamed from disk as a tar archive that honours `.dockerignore`, one
//! build per image however many services share it, builds in parallel under
//! one limit.
//!
//! [`build_services`] is the entry point for commands (`build`, `up`) and
//! for `watch`'s rebuilds.

pub mod base_images;
pub mod context;

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;

use futures_util::stream::{self, StreamExt};

use crate::engine::{BuildOutput, Engine, labels};
use crate::events::{Emitter, Kind, Status, Word};
use crate::reconcile::desired::Desired;
use crate::reconcile::desired::build::{self as service, ServiceBuild};
use context::ContextSource;

/// How many lines of a failed build's output its error shows.
const TAIL_LINES: usize = 15;

/// What the command line adds to every build.
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// `--no-cache`.
    pub no_cache: bool,
    /// `--pull`: pull newer base images.
    pub pull: bool,
    /// `--build-arg`, already resolved; they win over the file's `args`.
    pub args: BTreeMap<String, String>,
    /// Builds at once.
    pub parallel: usize,
    /// `--memory`: the build containers' memory limit in bytes (0: none).
    pub memory: i64,
    /// The engine's classic builder rather than BuildKit (`DOCKER_BUILDKIT=0`).
    pub classic: bool,
    /// The environment, where the docker CLI's `config.json` (and so the
    /// registry credentials) is found.
    pub env: crate::load::environment::Env,
}

/// Why images could not be built; each failure says which service and
/// Dockerfile, and shows the end of the builder's output.
#[derive(Debug, thiserror::Error)]
#[error("{}", .failures.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct BuildError {
    pub failures: Vec<BuildFailure>,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildFailure {
    /// The file asks for what the engine's build call cannot do.
    #[error("cannot build service {service:?}: {reason}")]
    Refused {
        service: String,
        reason: service::Refusal,
    },
    /// Two services build one image name from different `build:` sections.
    #[error(
        "services {first:?} and {second:?} both build the image {image} from different build \
         sections; give one of them another `image:`"
    )]
    Conflict {
        image: String,
        first: String,
        second: String,
    },
    /// The engine's build failed.
    #[error("service {service:?} failed to build ({dockerfile}): {message}{}", tail(.last_lines))]
    Failed {
        service: String,
        dockerfile: String,
        #[source]
        message: BuildProblem,
        last_lines: Vec<String>,
    },
}

/// Why the engine's build of one image failed, or could not start.
#[derive(Debug, thiserror::Error)]
pub enum BuildProblem {
    #[error(
        "the build context {} is not a directory; fix services.{service}.build.context",
        context.display()
    )]
    ContextNotADirectory { context: PathBuf, service: String },
    #[error(
        "there is no Dockerfile at {}; fix services.{service}.build.dockerfile (or context)",
        dockerfile.display()
    )]
    NoDockerfile {
        dockerfile: PathBuf,
        service: String,
    },
    #[error(transparent)]
    Context(#[from] ContextError),
    /// The build itself failed: the engine's or the builder's words.
    #[error(transparent)]
    Engine(crate::engine::EngineError),
    #[error("the engine ended the build without an image")]
    NoImage,
    #[error("cannot tag the image {tag}: {source}")]
    Tag {
        tag: String,
        #[source]
        source: crate::engine::EngineError,
    },
}

fn tail(lines: &[String]) -> String {
    if lines.is_empty() {
        return String::new();
    }
    let shown: Vec<String> = lines.iter().map(|l| format!("    {l}")).collect();
    format!(
        "\n  the last lines of its build output:\n{}",
        shown.join("\n")
    )
}

/// Why the archive of a build context cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    #[error(transparent)]
    Ignore(#[from] context::IgnoreFileError),
    #[error("cannot read the Dockerfile: {0}")]
    Dockerfile(#[source] std::io::Error),
}

/// One image to build, and the services that use it (the first names it).
struct ImageBuild<'a> {
    services: Vec<&'a str>,
    build: &'a ServiceBuild,
}

/// Builds the images of `services` (every service with a `build:` section
/// when empty), each image once, at most `options.parallel` at a time.
/// Progress and output lines go to `events`; returns image name → image ID.
pub async fn build_services<E: Engine>(
    engine: &E,
    desired: &Desired,
    services: &[String],
    options: &BuildOptions,
    events: &Emitter,
) -> Result<BTreeMap<String, String>, BuildError> {
    let groups = group_by_image(desired, services)?;
    let results: Vec<_> = stream::iter(groups)
        .map(|group| build_image(engine, group, options, events))
        .buffer_unordered(options.parallel.max(1))
        .collect()
        .await;
    let mut built = BTreeMap::new();
    let mut failures = Vec::new();
    for result in results {
        match result {
            Ok((image, id)) => {
                built.insert(image, id);
            }
            Err(failure) => failures.push(failure),
        }
    }
    if failures.is_empty() {
        Ok(built)
    } else {
        Err(BuildError { failures })
    }
}

/// The services' builds by image name, refusing one name built two ways.
fn group_by_image<'a>(
    desired: &'a Desired,
    services: &[String],
) -> Result<Vec<ImageBuild<'a>>, BuildError> {
    let mut groups: BTreeMap<&str, ImageBuild<'a>> = BTreeMap::new();
    let mut failures = Vec::new();
    let selected = desired
        .services
        .values()
        .filter(|s| services.is_empty() || services.contains(&s.name));
    for service in selected {
        let Some(build) = &service.build else {
            continue;
        };
        match groups.get_mut(build.spec.tag.as_str()) {
            Some(group) if same_build(group.build, build) => group.services.push(&service.name),
            Some(group) => failures.push(BuildFailure::Conflict {
                image: build.spec.tag.clone(),
                first: group.services[0].to_string(),
                second: service.name.clone(),
            }),
            None => {
                groups.insert(
                    &build.spec.tag,
                    ImageBuild {
                        services: vec![&service.name],
                        build,
                    },
                );
            }
        }
    }
    if failures.is_empty() {
        Ok(groups.into_values().collect())
    } else {
        Err(BuildError { failures })
    }
}

/// Whether two services' builds make the same image (their refusals name
/// their own services).
fn same_build(a: &ServiceBuild, b: &ServiceBuild) -> bool {
    // The service label names the service that builds; one build of a
    // shared image serves the others.
    let comparable = |build: &ServiceBuild| {
        let mut build = build.clone();
        build.refusals.clear();
        build.spec.labels.remove(labels::SERVICE);
        build
    };
    comparable(a) == comparable(b)
}

/// Builds one image; its name and ID.
async fn build_image<E: Engine>(
    engine: &E,
    group: ImageBuild<'_>,
    options: &BuildOptions,
    events: &Emitter,
) -> Result<(String, String), BuildFailure> {
    let service = group.services[0].to_string();
    let build = group.build;
    let dockerfile = build.dockerfile.as_ref().map_or_else(
        || "dockerfile_inline".to_string(),
        |d| d.display().to_string(),
    );
    let failed = |message: BuildProblem, last_lines: Vec<String>| BuildFailure::Failed {
        service: service.clone(),
        dockerfile: dockerfile.clone(),
        message,
        last_lines,
    };
    if let Some(refusal) = build.refusals.first() {
        return Err(BuildFailure::Refused {
            service,
            reason: refusal.clone(),
        });
    }
    if !build.context.is_dir() {
        return Err(failed(
            BuildProblem::ContextNotADirectory {
                context: build.context.clone(),
                service: service.clone(),
            },
            Vec::new(),
        ));
    }
    if let Some(dockerfile) = &build.dockerfile
        && !dockerfile.is_file()
    {
        return Err(failed(
            BuildProblem::NoDockerfile {
                dockerfile: dockerfile.clone(),
                service: service.clone(),
            },
            Vec::new(),
        ));
    }
    let source = context_source(build).map_err(|e| failed(e.into(), Vec::new()))?;
    let mut spec = build.spec.clone();
    spec.no_cache |= options.no_cache;
    spec.pull |= options.pull;
    if options.memory > 0 {
        spec.memory = options.memory;
    }
    let classic_only = classic_only_settings(&spec);
    spec.buildkit &= !options.classic && classic_only.is_empty();
    spec.args.extend(options.args.clone());
    let (auths, problems) = base_image_credentials(build, &spec.args, &options.env);
    spec.auths = auths;

    let shared = if group.services.len() > 1 {
        format!("for {}", group.services.join(", "))
    } else {
        String::new()
    };
    events.emit(
        Kind::Service,
        &service,
        Status::Working,
        Word::Building,
        &shared,
    );
    // A base image is often local or public: a credential store that
    // fails is no reason not to try.
    for problem in &problems {
        events.emit(
            Kind::Service,
            &service,
            Status::Warning,
            Word::Warning,
            &format!("{problem}; building without those credentials"),
        );
    }
    if !options.classic && !classic_only.is_empty() {
        events.emit(
            Kind::Service,
            &service,
            Status::Output,
            Word::Building,
            &format!(
                "building with the engine's classic builder: only it applies {}",
                classic_only.join(" and ")
            ),
        );
    }
    let mut output = engine.build_image(&spec, context::stream(source));
    let mut last_lines: VecDeque<String> = VecDeque::with_capacity(TAIL_LINES);
    let mut image_id = None;
    while let Some(item) = output.next().await {
        match item {
            Ok(BuildOutput::Line(line)) => {
                events.emit(
                    Kind::Service,
                    &service,
                    Status::Output,
                    Word::Building,
                    &line,
                );
                if last_lines.len() == TAIL_LINES {
                    last_lines.pop_front();
                }
                last_lines.push_back(line);
            }
            Ok(BuildOutput::ImageId(id)) => image_id = Some(id),
            Err(e) => {
                events.emit(
                    Kind::Service,
                    &service,
                    Status::Error,
                    Word::Error,
                    &e.to_string(),
                );
                return Err(failed(BuildProblem::Engine(e), last_lines.into()));
            }
        }
    }
    // The classic builder names the image in its output when it has no aux ID.
    let id = match image_id {
        Some(id) => id,
        None => engine
            .image_id(&spec.tag)
            .await
            .ok()
            .flatten()
            .ok_or_else(|| failed(BuildProblem::NoImage, last_lines.clone().into()))?,
    };
    for tag in &spec.extra_tags {
        engine.tag_image(&id, tag).await.map_err(|source| {
            failed(
                BuildProblem::Tag {
                    tag: tag.clone(),
                    source,
                },
                Vec::new(),
            )
        })?;
    }
    events.emit(Kind::Service, &service, Status::Done, Word::Built, &shared);
    Ok((spec.tag, id))
}

/// What `spec` sets that the engine's BuildKit leaves out (Engine 20.10
/// builds with the default shared memory and limits) and only the classic
/// builder applies.
fn classic_only_settings(spec: &crate::engine::BuildSpec) -> Vec<&'static str> {
    [
        ("--memory", spec.memory > 0),
        ("shm_size", spec.shm_size > 0),
        ("ulimits", !spec.ulimits.is_empty()),
    ]
    .into_iter()
    .filter_map(|(name, set)| set.then_some(name))
    .collect()
}

/// The user's credentials for the registries of the images `build`'s
/// Dockerfile starts `FROM`, and why some could not be had.
fn base_image_credentials(
    build: &ServiceBuild,
    args: &BTreeMap<String, String>,
    env: &crate::load::environment::Env,
) -> (Vec<crate::engine::RegistryAuth>, Vec<String>) {
    let text = match (&build.injected, &build.dockerfile) {
        (Some((_, inline)), None) => inline.clone(),
        (_, Some(path)) => match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                return (
                    Vec::new(),
                    vec![format!("cannot read {}: {e}", path.display())],
                );
            }
        },
        (None, None) => return (Vec::new(), Vec::new()),
    };
    let mut auths: Vec<crate::engine::RegistryAuth> = Vec::new();
    let mut problems = Vec::new();
    for image in base_images::base_images(&text, args) {
        match crate::registry::credentials_for(&image, env) {
            Ok(Some(auth)) if !auths.iter().any(|a| a.server == auth.server) => auths.push(auth),
            Ok(_) => {}
            Err(problem) => {
                let problem = problem.to_string();
                if !problems.contains(&problem) {
                    problems.push(problem);
                }
            }
        }
    }
    (auths, problems)
}

/// What the archive of `build`'s context holds.
fn context_source(build: &ServiceBuild) -> Result<ContextSource, ContextError> {
    let (ignore_file, rules) =
        context::ignore_rules(&build.context, build.dockerfile_in_context())?;
    let mut always = Vec::new();
    if let Some(dockerfile) = build.dockerfile_in_context()
        && let Ok(relative) = dockerfile.strip_prefix(&build.context)
    {
        always.push(relative.to_string_lossy().into_owned());
    }
    if let Some(relative) = ignore_file
        .as_deref()
        .and_then(|f| f.strip_prefix(&build.context).ok())
    {
        always.push(relative.to_string_lossy().into_owned());
    }
    let extra = build
        .injected_file()
        .map_err(ContextError::Dockerfile)?
        .into_iter()
        .collect();
    Ok(ContextSource {
        root: build.context.clone(),
        rules,
        always,
        extra,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_failures_name_the_service_file_and_fix() {
        let failure = BuildFailure::Failed {
            service: "web".into(),
            dockerfile: "/p/Dockerfile".into(),
            message: BuildProblem::ContextNotADirectory {
                context: PathBuf::from("/p/nope"),
                service: "web".into(),
            },
            last_lines: vec!["step 1".into()],
        };
        assert_eq!(
            failure.to_string(),
            "service \"web\" failed to build (/p/Dockerfile): the build context /p/nope is not a \
             directory; fix services.web.build.context\n  the last lines of its build output:\n    \
             step 1"
        );
        assert_eq!(
            BuildProblem::NoDockerfile {
                dockerfile: PathBuf::from("/p/Dockerfile"),
                service: "web".into(),
            }
            .to_string(),
            "there is no Dockerfile at /p/Dockerfile; fix services.web.build.dockerfile (or context)"
        );
        assert_eq!(
            BuildProblem::Tag {
                tag: "app:2".into(),
                source: crate::engine::EngineError::Refused("refused".into()),
            }
            .to_string(),
            "cannot tag the image app:2: refused"
        );
    }
}
