//! `ls`: the Compose projects on this engine, from one list call.

use std::collections::BTreeMap;

use super::open;
use super::{Error, Settings};
use crate::engine::{Container, Engine, RunState, labels};

/// What `ls` is asked.
#[derive(Clone, Debug, Default)]
pub struct LsRequest {
    /// Stopped projects too, and every container's state, not only the
    /// running ones.
    pub all: bool,
    /// Only these projects (all when empty).
    pub names: Vec<String>,
}

/// One project: how many of its containers are in each state, and its
/// compose files.
#[derive(Debug, Default)]
pub struct ProjectSummary {
    /// By state (`exited`, `running`...), alphabetically.
    pub states: BTreeMap<String, usize>,
    /// The label of the project's first container (comma-separated paths).
    pub config_files: String,
}

/// The projects the engine's containers name, by name; a project with no
/// container counted (none running, without `all`) is left out.
pub fn ls(
    settings: &Settings,
    request: &LsRequest,
) -> Result<BTreeMap<String, ProjectSummary>, Error> {
    let runtime = open::runtime()?;
    let containers = runtime.block_on(async {
        let engine = open::connect(settings).await?;
        engine.list_all_projects().await.map_err(Error::Engine)
    })?;
    Ok(summarize(&containers, request))
}

/// The projects `containers` name, as [`ls`] returns them.
fn summarize(containers: &[Container], request: &LsRequest) -> BTreeMap<String, ProjectSummary> {
    let mut projects: BTreeMap<String, ProjectSummary> = BTreeMap::new();
    for c in containers {
        let Some(name) = c.label(labels::PROJECT) else {
            continue;
        };
        if !request.names.is_empty() && !request.names.iter().any(|n| n == name) {
            continue;
        }
        let project = projects.entry(name.to_string()).or_default();
        if project.config_files.is_empty() {
            project.config_files = c.label(labels::CONFIG_FILES).unwrap_or_default().into();
        }
        if request.all || c.state == RunState::Running {
            let state = format!("{:?}", c.state).to_lowercase();
            *project.states.entry(state).or_default() += 1;
        }
    }
    projects.retain(|_, p| !p.states.is_empty());
    projects
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(project: &str, state: RunState, files: &str) -> Container {
        Container {
            state,
            labels: [(labels::PROJECT, project), (labels::CONFIG_FILES, files)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn projects_count_their_containers_by_state() {
        let containers = [
            container("a", RunState::Running, "/a/compose.yaml"),
            container("a", RunState::Exited, ""),
            container("a", RunState::Running, ""),
            container("b", RunState::Exited, "/b/compose.yaml"),
        ];
        let running = summarize(&containers, &LsRequest::default());
        assert_eq!(running.keys().collect::<Vec<_>>(), ["a"]);
        assert_eq!(running["a"].states, [("running".to_string(), 2)].into());
        assert_eq!(running["a"].config_files, "/a/compose.yaml");
        let all = LsRequest {
            all: true,
            names: vec!["b".into()],
        };
        let b = summarize(&containers, &all);
        assert_eq!(b.keys().collect::<Vec<_>>(), ["b"]);
        assert_eq!(b["b"].states, [("exited".to_string(), 1)].into());
    }
}
