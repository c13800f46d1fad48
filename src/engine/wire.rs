//! The engine's answers about containers, read leniently.
//!
//! bollard parses the container list and inspect into enums that fail on
//! any value they do not know, and Podman reports states Docker has not
//! (`stopped`, `configured`, `initialized`, `stopping`): one such word in an
//! answer failed the whole call ("unknown variant `stopped`"). berth reads
//! the few fields it needs as plain text instead, and maps the states.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::spec::MountKind;
use super::{Container, ContainerDisplay, ContainerStatus, Health, Mount, PortMapping, RunState};

/// One entry of `GET /containers/json`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Summary {
    pub id: String,
    pub names: Option<Vec<String>>,
    pub image: String,
    #[serde(rename = "ImageID")]
    pub image_id: String,
    pub command: String,
    pub created: i64,
    pub ports: Option<Vec<Port>>,
    pub labels: Option<HashMap<String, String>>,
    pub state: String,
    pub status: String,
    pub network_settings: Option<SummaryNetworks>,
    pub mounts: Option<Vec<SummaryMount>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Port {
    #[serde(rename = "IP")]
    pub ip: Option<String>,
    pub private_port: u16,
    pub public_port: Option<u16>,
    #[serde(rename = "Type")]
    pub kind: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SummaryNetworks {
    pub networks: Option<HashMap<String, SummaryEndpoint>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SummaryEndpoint {
    /// Docker gives the network's ID; Podman 4 its name.
    #[serde(rename = "NetworkID")]
    pub network_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SummaryMount {
    #[serde(rename = "Type")]
    pub kind: Option<String>,
    pub name: Option<String>,
    pub source: Option<String>,
    pub destination: Option<String>,
}

/// The part of `GET /containers/{id}/json` berth reads.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Inspect {
    pub state: Option<State>,
    pub config: Option<Config>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct State {
    pub status: String,
    pub exit_code: i64,
    pub started_at: String,
    pub finished_at: String,
    pub health: Option<HealthState>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HealthState {
    pub status: String,
    pub log: Option<Vec<Probe>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Probe {
    pub output: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Config {
    pub tty: bool,
    pub healthcheck: Option<Healthcheck>,
    /// Seconds; unset when the create did not say.
    pub stop_timeout: Option<i64>,
    pub user: String,
}

/// One entry of `GET /networks`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkSummary {
    pub id: String,
    pub name: String,
}

/// Whether a Go file mode (as the archive stat header gives it) is a
/// directory's, or a link's the engine follows.
pub fn is_directory(mode: u32) -> bool {
    const DIR: u32 = 1 << 31;
    const SYMLINK: u32 = 1 << 27;
    mode & (DIR | SYMLINK) != 0
}

/// A container's health check as the engine keeps it (durations in ns).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Healthcheck {
    pub test: Option<Vec<String>>,
    pub interval: i64,
}

impl Healthcheck {
    /// Whether it checks anything: `NONE` turns the image's check off.
    pub fn is_set(&self) -> bool {
        self.test
            .as_ref()
            .and_then(|t| t.first())
            .is_some_and(|first| first != "NONE")
    }
}

impl RunState {
    /// Reads a state word of Docker's or Podman's; a word neither uses
    /// reads as dead, which berth replaces rather than trusts.
    pub fn parse(text: &str) -> RunState {
        match text {
            // Podman's names for what Docker calls created.
            "created" | "configured" | "initialized" => RunState::Created,
            // Podman's stopping container still runs until it has stopped.
            "running" | "stopping" => RunState::Running,
            "paused" => RunState::Paused,
            "restarting" => RunState::Restarting,
            "removing" => RunState::Removing,
            // Podman's `stopped` is exited, before its clean-up ran.
            "exited" | "stopped" => RunState::Exited,
            _ => RunState::Dead,
        }
    }
}

impl Health {
    /// `healthy`, `unhealthy` or `starting`; `None` for no health check
    /// (Docker's `none`, Podman's empty status).
    pub fn parse(text: &str) -> Option<Health> {
        match text {
            "healthy" => Some(Health::Healthy),
            "unhealthy" => Some(Health::Unhealthy),
            "starting" => Some(Health::Starting),
            _ => None,
        }
    }
}

impl From<Inspect> for ContainerStatus {
    fn from(inspect: Inspect) -> Self {
        let state = inspect.state.unwrap_or_default();
        let health = state.health.as_ref().and_then(|h| Health::parse(&h.status));
        let last_probe = state
            .health
            .and_then(|h| h.log)
            .and_then(|mut log| log.pop())
            .and_then(|probe| probe.output);
        ContainerStatus {
            state: RunState::parse(&state.status),
            exit_code: state.exit_code,
            health,
            last_probe,
            tty: inspect.config.as_ref().is_some_and(|c| c.tty),
            finished_at: state.finished_at,
            user: inspect.config.map(|c| c.user).unwrap_or_default(),
        }
    }
}

/// The container's own name among those the engine lists: a container
/// that others link to on the default bridge is also listed under
/// `/linker/alias`.
pub fn canonical_name(names: Vec<String>) -> String {
    let own = names.iter().find(|n| n.rfind('/') == Some(0));
    own.or(names.first())
        .map(|n| n.trim_start_matches('/').to_string())
        .unwrap_or_default()
}

/// The code in a status text such as `Exited (3) 2 minutes ago`.
pub fn exit_code(status: &str) -> Option<i64> {
    let rest = status.strip_prefix("Exited (")?;
    rest[..rest.find(')')?].parse().ok()
}

impl From<Summary> for Container {
    fn from(c: Summary) -> Self {
        let labels: BTreeMap<String, String> = c.labels.unwrap_or_default().into_iter().collect();
        Container {
            id: c.id,
            name: canonical_name(c.names.unwrap_or_default()),
            state: RunState::parse(&c.state),
            exit_code: exit_code(&c.status),
            labels,
            image_id: c.image_id,
            networks: c
                .network_settings
                .and_then(|n| n.networks)
                .unwrap_or_default()
                .into_iter()
                .map(|(name, e)| (name, e.network_id.unwrap_or_default()))
                .collect(),
            mounts: c
                .mounts
                .unwrap_or_default()
                .into_iter()
                .map(|m| Mount {
                    kind: m.kind.as_deref().and_then(MountKind::parse),
                    name: m.name.unwrap_or_default(),
                    source: m.source.unwrap_or_default(),
                    destination: m.destination.unwrap_or_default(),
                })
                .collect(),
            created: c.created,
            display: ContainerDisplay {
                image: c.image,
                command: c.command,
                status: c.status,
                ports: c
                    .ports
                    .unwrap_or_default()
                    .into_iter()
                    .map(|p| PortMapping {
                        ip: p.ip.unwrap_or_default(),
                        public: p.public_port,
                        private: p.private_port,
                        protocol: p.kind.unwrap_or_default(),
                    })
                    .collect(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linked_container_goes_by_its_own_name() {
        let names = |list: &[&str]| list.iter().map(|n| n.to_string()).collect();
        assert_eq!(
            canonical_name(names(&["/p-app-1/db", "/p-db-1", "/p-app-1/p-db-1"])),
            "p-db-1"
        );
        assert_eq!(canonical_name(names(&["/p-db-1"])), "p-db-1");
        assert_eq!(canonical_name(names(&[])), "");
    }

    #[test]
    fn exit_code_comes_from_the_status_text() {
        assert_eq!(exit_code("Exited (0) 2 minutes ago"), Some(0));
        assert_eq!(exit_code("Exited (137) 1 second ago"), Some(137));
        assert_eq!(exit_code("Up 3 seconds (healthy)"), None);
        assert_eq!(exit_code("Exited (x"), None);
    }

    #[test]
    fn podman_states_are_mapped_not_refused() {
        // As Podman 4.3 lists a one-shot container before its clean-up ran.
        let list = r#"[{"Id":"abc","Names":["/p-job-1"],"Image":"busybox","ImageID":"sha256:1",
            "Command":"true","Created":1,"Ports":null,"Labels":{"a":"b"},"State":"stopped",
            "Status":"Exited (0) 1 second ago","NetworkSettings":{"Networks":{"p_default":
            {"NetworkID":"p_default","Aliases":null}}},"Mounts":[],"Name":"","Config":null}]"#;
        let list: Vec<Summary> = serde_json::from_str(list).unwrap();
        let container = Container::from(list.into_iter().next().unwrap());
        assert_eq!(container.state, RunState::Exited);
        assert_eq!(container.exit_code, Some(0));
        assert_eq!(container.networks["p_default"], "p_default");
        for (word, state) in [
            ("configured", RunState::Created),
            ("initialized", RunState::Created),
            ("stopping", RunState::Running),
            ("dead", RunState::Dead),
            ("something new", RunState::Dead),
        ] {
            assert_eq!(RunState::parse(word), state, "{word}");
        }
        let inspect = r#"{"State":{"Status":"stopped","ExitCode":3,"FinishedAt":"x",
            "Health":{"Status":"","FailingStreak":0,"Log":null}},"Config":{"Tty":false}}"#;
        let status = ContainerStatus::from(serde_json::from_str::<Inspect>(inspect).unwrap());
        assert_eq!(status.state, RunState::Exited);
        assert_eq!(status.exit_code, 3);
        assert_eq!(status.health, None);
    }
}
