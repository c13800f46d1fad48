//! A service's `build:` section and `pull_policy`, turned into what the
//! engine's build call takes, with the keys it cannot honour refused by name.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::ulimit_specs;
use crate::engine::{BuildSpec, labels};
use crate::load::node::PathSeg;
use crate::model::{BuildConfig, Service};

/// How a service's image is built.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceBuild {
    /// The context directory.
    pub context: PathBuf,
    /// The Dockerfile on disk; `None` for `dockerfile_inline`.
    pub dockerfile: Option<PathBuf>,
    /// A Dockerfile that is not beneath the context (inline, or outside):
    /// its name in the archive and its text.
    pub injected: Option<(String, String)>,
    /// What the engine's build call takes; `dockerfile` is the path in the archive.
    pub spec: BuildSpec,
    /// Keys the engine's build call cannot honour: building refuses with these.
    pub refusals: Vec<Refusal>,
}

/// A key of `build:` berth refuses to build with, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    /// Where the key is in the model.
    pub path: Vec<PathSeg>,
    pub reason: String,
    /// `file:line:col`, once located.
    pub at: Option<String>,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}",
            crate::load::node::path_to_string(&self.path),
            self.reason
        )?;
        if let Some(at) = &self.at {
            write!(f, " ({at})")?;
        }
        Ok(())
    }
}

const NEEDS_BUILDX: &str =
    "needs buildx; berth builds with the engine's own BuildKit, which cannot take it";

/// The `build:` keys only buildx honours.
fn buildx_keys(build: &BuildConfig) -> Vec<&'static str> {
    [
        ("secrets", !build.secrets.is_empty()),
        ("ssh", !build.ssh.is_empty()),
        ("additional_contexts", !build.additional_contexts.is_empty()),
        ("cache_to", !build.cache_to.is_empty()),
        ("privileged", build.privileged),
        ("entitlements", !build.entitlements.is_empty()),
        ("platforms", build.platforms.len() > 1),
        ("provenance", !build.provenance.is_empty()),
        ("sbom", !build.sbom.is_empty()),
    ]
    .into_iter()
    .filter_map(|(key, set)| set.then_some(key))
    .collect()
}

/// The build of service `name` of `project`, tagged `image`; `None`
/// without a `build:` section.
pub fn service_build(
    project: &str,
    name: &str,
    service: &Service,
    image: &str,
) -> Option<ServiceBuild> {
    let build = service.build.as_ref()?;
    let context_text = if build.context.is_empty() {
        "."
    } else {
        build.context.as_str()
    };
    let refusals = refusals(name, build, context_text);
    let context = PathBuf::from(context_text);
    let (dockerfile, injected, in_archive) = dockerfile_placement(build, &context);
    let platform = match build.platforms.as_slice() {
        [one] => one.clone(),
        _ => service.platform.clone(),
    };
    let spec = BuildSpec {
        dockerfile: in_archive,
        tag: image.to_string(),
        extra_tags: build.tags.iter().filter(|t| *t != image).cloned().collect(),
        args: build
            .args
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| (k.clone(), v.clone())))
            .collect(),
        target: build.target.clone(),
        labels: image_labels(build, project, name),
        cache_from: build.cache_from.clone(),
        extra_hosts: build
            .extra_hosts
            .iter()
            .flat_map(|(host, ips)| ips.iter().map(move |ip| format!("{host}:{ip}")))
            .collect(),
        network: build.network.clone(),
        shm_size: build.shm_size.0,
        memory: 0,
        ulimits: ulimit_specs(&build.ulimits),
        no_cache: build.no_cache,
        pull: build.pull,
        isolation: build.isolation.clone(),
        platform,
        buildkit: true,
        auths: Vec::new(),
    };
    Some(ServiceBuild {
        context,
        dockerfile,
        injected,
        spec,
        refusals,
    })
}

/// The keys of service `name`'s build that the engine's builder cannot
/// honour, each with why.
fn refusals(name: &str, build: &BuildConfig, context: &str) -> Vec<Refusal> {
    let key = |k: &str| {
        ["services", name, "build", k]
            .iter()
            .map(|s| PathSeg::Key(s.to_string()))
            .collect::<Vec<_>>()
    };
    let mut refusals: Vec<Refusal> = buildx_keys(build)
        .into_iter()
        .map(|k| Refusal {
            path: key(k),
            reason: NEEDS_BUILDX.into(),
            at: None,
        })
        .collect();
    if is_remote(context) {
        refusals.push(Refusal {
            path: key("context"),
            reason: format!(
                "is {context:?}: berth builds from local directories only; clone it and \
                 point context at the directory"
            ),
            at: None,
        });
    }
    refusals
}

/// Where the Dockerfile comes from and under which name the build finds
/// it in the context's archive: the host file (if any), the file injected
/// into the archive (name and text; an empty text for a host file outside
/// the context), and the name in the archive.
fn dockerfile_placement(
    build: &BuildConfig,
    context: &std::path::Path,
) -> (Option<PathBuf>, Option<(String, String)>, String) {
    if !build.dockerfile_inline.is_empty() {
        let name = injected_name(build.dockerfile_inline.as_bytes());
        return (
            None,
            Some((name.clone(), build.dockerfile_inline.clone())),
            name,
        );
    }
    let file = if build.dockerfile.is_empty() {
        "Dockerfile"
    } else {
        &build.dockerfile
    };
    let path = context.join(file);
    match path.strip_prefix(context) {
        Ok(relative) if !relative.starts_with("..") && !file.contains("..") => {
            let relative = relative.to_string_lossy().into_owned();
            (Some(path), None, relative)
        }
        // Outside the context: sent under a name of its own, as the docker CLI does.
        _ => {
            let name = injected_name(path.to_string_lossy().as_bytes());
            (Some(path), Some((name.clone(), String::new())), name)
        }
    }
}

/// The build's labels, and Docker Compose's three, so that both tools
/// build the same image (the same ID) from the same file: switching tools
/// recreates nothing that is rebuilt on every `up` (`pull_policy: build`).
fn image_labels(build: &BuildConfig, project: &str, service: &str) -> BTreeMap<String, String> {
    let mut all: BTreeMap<String, String> = build
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    all.insert(labels::PROJECT.to_string(), project.to_string());
    all.insert(labels::SERVICE.to_string(), service.to_string());
    all.insert(
        labels::VERSION.to_string(),
        labels::COMPOSE_VERSION.to_string(),
    );
    all
}

/// A context that is not a local directory: a URL or a git remote.
fn is_remote(context: &str) -> bool {
    context.contains("://") || context.starts_with("git@") || context.starts_with("github.com/")
}

/// A name for a Dockerfile sent beside the context's files, unlikely to
/// collide with one of them.
fn injected_name(seed: &[u8]) -> String {
    let hex = crate::digest::hex(&Sha256::digest(seed)[..6]);
    format!(".dockerfile.{hex}")
}

impl ServiceBuild {
    /// The Dockerfile's text when it is sent beside the context: inline, or
    /// read from outside the context now.
    pub fn injected_file(&self) -> std::io::Result<Option<(String, Vec<u8>)>> {
        match (&self.injected, &self.dockerfile) {
            (Some((name, text)), None) => Ok(Some((name.clone(), text.clone().into_bytes()))),
            (Some((name, _)), Some(path)) => Ok(Some((name.clone(), std::fs::read(path)?))),
            _ => Ok(None),
        }
    }

    /// The path of the Dockerfile relative to the context, when it is in it.
    pub fn dockerfile_in_context(&self) -> Option<&Path> {
        self.dockerfile
            .as_deref()
            .filter(|_| self.injected.is_none())
    }
}

/// `pull_policy`: when `up` pulls (or builds) a service's image.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PullPolicy {
    /// Pull when the image is not local (`missing`, `if_not_present`, the default).
    #[default]
    Missing,
    Always,
    Never,
    /// Build, even when the image is local.
    Build,
    /// Pull when the last pull is older than this (`daily`, `weekly`, `every_<duration>`).
    Refresh(Duration),
}

impl PullPolicy {
    /// Parses the file's value; `None` for an unknown one.
    pub fn parse(text: &str) -> Option<PullPolicy> {
        const DAY: u64 = 24 * 60 * 60;
        Some(match text {
            "" | "missing" | "if_not_present" => PullPolicy::Missing,
            "always" => PullPolicy::Always,
            "never" => PullPolicy::Never,
            "build" => PullPolicy::Build,
            "daily" => PullPolicy::Refresh(Duration::from_secs(DAY)),
            "weekly" => PullPolicy::Refresh(Duration::from_secs(7 * DAY)),
            other => {
                let every = other.strip_prefix("every_")?;
                let duration = crate::model::parse_duration(every).ok()?.to_std()?;
                PullPolicy::Refresh(duration)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(yaml: &str) -> Service {
        let value: serde_json::Value = serde_json::from_str(yaml).unwrap();
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn buildx_only_keys_and_remote_contexts_are_refused_by_name() {
        let s = service(
            r#"{"build": {"context": "https://github.com/a/b.git", "ssh": ["default"],
                "platforms": ["linux/amd64", "linux/arm64"]}}"#,
        );
        let build = service_build("p", "web", &s, "p-web").unwrap();
        let refused: Vec<String> = build.refusals.iter().map(|r| r.to_string()).collect();
        assert_eq!(refused.len(), 3, "{refused:?}");
        assert!(
            refused[0].starts_with("services.web.build.ssh needs buildx"),
            "{refused:?}"
        );
        assert!(refused[1].starts_with("services.web.build.platforms needs buildx"));
        assert!(refused[2].contains("local directories only"), "{refused:?}");
    }

    #[test]
    fn the_build_is_labelled_and_tagged_like_compose_does() {
        let s = service(
            r#"{"build": {"context": "/src", "dockerfile": "docker/Dockerfile.dev",
                "args": {"A": "1", "UNSET": null}, "tags": ["reg/app:1"],
                "labels": {"team": "x"}, "platforms": ["linux/arm64"]}}"#,
        );
        let build = service_build("p", "web", &s, "p-web").unwrap();
        assert!(build.refusals.is_empty());
        assert_eq!(build.spec.dockerfile, "docker/Dockerfile.dev");
        assert_eq!(build.spec.tag, "p-web");
        assert_eq!(build.spec.extra_tags, ["reg/app:1"]);
        assert_eq!(build.spec.args, BTreeMap::from([("A".into(), "1".into())]));
        assert_eq!(build.spec.platform, "linux/arm64");
        assert_eq!(build.spec.labels[labels::PROJECT], "p");
        assert_eq!(build.spec.labels["team"], "x");
        assert_eq!(build.injected, None);
    }

    #[test]
    fn inline_and_outside_dockerfiles_are_sent_beside_the_context() {
        let inline =
            service(r#"{"build": {"context": "/src", "dockerfile_inline": "FROM scratch"}}"#);
        let build = service_build("p", "web", &inline, "p-web").unwrap();
        let (name, text) = build.injected_file().unwrap().unwrap();
        assert!(name.starts_with(".dockerfile."), "{name}");
        assert_eq!(build.spec.dockerfile, name);
        assert_eq!(text, b"FROM scratch");
        let outside = service(r#"{"build": {"context": "/src", "dockerfile": "../Dockerfile"}}"#);
        let build = service_build("p", "web", &outside, "p-web").unwrap();
        assert!(build.injected.is_some());
        assert!(build.dockerfile_in_context().is_none());
    }

    #[test]
    fn pull_policies_parse_with_their_durations() {
        assert_eq!(PullPolicy::parse(""), Some(PullPolicy::Missing));
        assert_eq!(
            PullPolicy::parse("if_not_present"),
            Some(PullPolicy::Missing)
        );
        assert_eq!(PullPolicy::parse("build"), Some(PullPolicy::Build));
        assert_eq!(
            PullPolicy::parse("daily"),
            Some(PullPolicy::Refresh(Duration::from_secs(86400)))
        );
        assert_eq!(
            PullPolicy::parse("every_12h"),
            Some(PullPolicy::Refresh(Duration::from_secs(43200)))
        );
        assert_eq!(PullPolicy::parse("every_often"), None);
        assert_eq!(PullPolicy::parse("sometimes"), None);
    }
}
