//! What Podman's Docker-compatible API does differently, and berth's ways
//! around it (`podman system service`, Podman 4.3 as Debian 12 ships it).
//!
//! - Its container list names each network's `NetworkID` by the network's
//!   name, and its `Status` text never carries the health; berth reads
//!   both from a network list and Podman's own container list instead.
//! - It runs health checks from systemd timers: without systemd (CI
//!   machines, WSL, containers) no check ever runs and a container stays
//!   `starting`. berth then runs each check itself through Podman's API,
//!   which records the result and reports it as an event, as Podman's own
//!   timer would.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::Deserialize;

/// The prefix of Podman's own API: it answers only with a version there
/// (4.0.0 is the oldest its 4.x and 5.x accept).
pub const LIBPOD: &str = "/v4.0.0/libpod";

/// What berth learnt about a Podman engine, shared by the engine's clones.
#[derive(Default)]
pub struct PodmanState {
    /// Whether berth runs the health checks (known once asked).
    drive_health: tokio::sync::OnceCell<bool>,
    /// Containers whose checks berth runs now.
    driven: Mutex<HashSet<String>>,
    /// Whether the user was told.
    said: AtomicBool,
}

impl PodmanState {
    /// Whether health checks are berth's to run: asked once, with `ask`.
    pub async fn drives_health<F>(&self, ask: F) -> bool
    where
        F: std::future::Future<Output = bool>,
    {
        *self.drive_health.get_or_init(|| ask).await
    }

    /// Takes `id` on unless berth already runs its checks: true when the
    /// caller should start doing so.
    pub fn take_on(&self, id: &str) -> bool {
        let mut driven = self.driven.lock().expect("never poisoned");
        driven.insert(id.to_string())
    }

    /// Gives `id` up (it stopped or went).
    pub fn give_up(&self, id: &str) {
        self.driven.lock().expect("never poisoned").remove(id);
    }

    /// Says once, on standard error, that berth runs the checks.
    pub fn say_once(&self) {
        if !self.said.swap(true, Ordering::SeqCst) {
            eprintln!(
                "note: Podman runs no health checks without systemd; berth runs each \
                 service's check through Podman's API at its interval while it waits"
            );
        }
    }
}

/// Whether an engine's `/version` components name Podman.
pub fn is_podman(components: &[String]) -> bool {
    components.iter().any(|name| name.starts_with("Podman"))
}

/// The part of Podman's `/libpod/info` that tells whether systemd runs
/// its health-check timers.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Info {
    pub host: InfoHost,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct InfoHost {
    pub cgroup_manager: String,
}

impl Info {
    /// Podman manages cgroups through systemd when systemd runs, and
    /// starts its health-check timers through it too; `cgroupfs` is what
    /// it falls back to without systemd.
    pub fn has_systemd(&self) -> bool {
        self.host.cgroup_manager == "systemd"
    }
}

/// One entry of Podman's own `/libpod/containers/json`: its `Status` is the
/// health.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct LibpodSummary {
    pub id: String,
    pub status: String,
}

/// The health Podman's own list gives, keyed by container ID, for the
/// containers that have a health check.
pub fn health_by_id(list: Vec<LibpodSummary>) -> HashMap<String, String> {
    list.into_iter()
        .filter(|c| matches!(c.status.as_str(), "healthy" | "unhealthy" | "starting"))
        .map(|c| (c.id, c.status))
        .collect()
}

/// A status text with the health as Docker writes it: `Up 3 seconds
/// (healthy)`, `Up 1 second (health: starting)`.
pub fn with_health(status: &str, health: &str) -> String {
    match health {
        "starting" => format!("{status} (health: starting)"),
        other => format!("{status} ({other})"),
    }
}

/// Whether a container list's endpoint gives the network's name as its
/// `NetworkID`, as Podman 4 does. Docker gives the ID, or nothing for a
/// container that never started.
/// Whether a network create failed because an interface vanished while
/// Podman listed the host's interfaces and their addresses to choose a
/// free subnet (Go's "route ip+net: no such network interface"): a race
/// with containers starting and stopping, not a refusal; asking again works.
pub fn lost_interface_race(message: &str) -> bool {
    message.contains("route ip+net: no such network interface")
}

pub fn names_network_by_name(name: &str, network_id: &str) -> bool {
    !network_id.is_empty() && network_id == name
}

/// The interval of a health check as the engine keeps it (ns; 0 is the
/// default, 30 s).
pub fn interval(nanos: i64) -> Duration {
    const DEFAULT: Duration = Duration::from_secs(30);
    match u64::try_from(nanos) {
        Ok(0) | Err(_) => DEFAULT,
        Ok(n) => Duration::from_nanos(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn podmans_list_is_read_for_what_dockers_has() {
        assert!(is_podman(&["Podman Engine".into(), "Conmon".into()]));
        assert!(!is_podman(&["Engine".into(), "containerd".into()]));
        assert!(names_network_by_name("p_back", "p_back"));
        assert!(!names_network_by_name("p_back", &"ab12".repeat(16)));
        assert!(!names_network_by_name("p_back", ""));
        assert!(lost_interface_race(
            "Docker responded with status code 500: route ip+net: no such network interface"
        ));
        assert!(!lost_interface_race(
            "network with name p_back already exists"
        ));
        let list: Vec<LibpodSummary> = serde_json::from_str(
            r#"[{"Id":"a","Status":"healthy"},{"Id":"b","Status":""},
                {"Id":"c","Status":"starting"}]"#,
        )
        .unwrap();
        let health = health_by_id(list);
        assert_eq!(health.len(), 2);
        assert_eq!(
            with_health("Up 3 seconds", &health["a"]),
            "Up 3 seconds (healthy)"
        );
        assert_eq!(
            with_health("Up 1 second", &health["c"]),
            "Up 1 second (health: starting)"
        );
    }

    #[test]
    fn health_checks_are_berths_to_run_without_systemd() {
        let info: Info =
            serde_json::from_str(r#"{"host":{"cgroupManager":"cgroupfs","eventLogger":"file"}}"#)
                .unwrap();
        assert!(!info.has_systemd());
        let info: Info = serde_json::from_str(r#"{"host":{"cgroupManager":"systemd"}}"#).unwrap();
        assert!(info.has_systemd());
        assert_eq!(interval(0), Duration::from_secs(30));
        assert_eq!(interval(1_000_000_000), Duration::from_secs(1));
    }

    #[test]
    fn a_container_is_taken_on_once() {
        let state = PodmanState::default();
        assert!(state.take_on("a"));
        assert!(!state.take_on("a"));
        state.give_up("a");
        assert!(state.take_on("a"));
    }
}
