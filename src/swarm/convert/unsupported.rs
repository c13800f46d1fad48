//! Keys of a service that a swarm cannot honour, each with why.

use crate::load::node::PathSeg;
use crate::model::Service;

/// A key the stack leaves out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsupported {
    pub service: String,
    /// Where the key is in the model, to point at its line.
    pub path: Vec<PathSeg>,
    pub message: String,
}

/// Keys of `services.<name>` a swarm service has no place for, and why.
const KEYS: &[(&str, &str)] = &[
    ("privileged", "swarm tasks cannot run privileged"),
    ("network_mode", "swarm tasks join overlay networks only"),
    (
        "links",
        "swarm services find each other by name on their networks",
    ),
    (
        "external_links",
        "swarm services find each other by name on their networks",
    ),
    ("devices", "swarm tasks get no host devices"),
    ("device_cgroup_rules", "swarm tasks get no host devices"),
    (
        "gpus",
        "swarm tasks get no host devices; use deploy.resources.reservations.generic_resources",
    ),
    ("container_name", "a swarm names its tasks itself"),
    (
        "volumes_from",
        "swarm tasks cannot share another container's volumes",
    ),
    ("ipc", "swarm tasks have their own IPC namespace"),
    ("pid", "swarm tasks have their own PID namespace"),
    ("uts", "swarm tasks have their own UTS namespace"),
    (
        "userns_mode",
        "swarm tasks use the node's user namespace setting",
    ),
    (
        "cgroup_parent",
        "swarm tasks are placed in the node's cgroups",
    ),
    ("cgroup", "swarm tasks are placed in the node's cgroups"),
    ("cpu_count", "use deploy.resources.limits.cpus"),
    ("cpu_percent", "use deploy.resources.limits.cpus"),
    ("cpu_period", "use deploy.resources.limits.cpus"),
    ("cpu_quota", "use deploy.resources.limits.cpus"),
    (
        "cpu_rt_period",
        "swarm services have no real-time CPU settings",
    ),
    (
        "cpu_rt_runtime",
        "swarm services have no real-time CPU settings",
    ),
    ("cpus", "use deploy.resources.limits.cpus"),
    ("cpuset", "swarm services cannot pin CPUs"),
    ("cpu_shares", "use deploy.resources.reservations.cpus"),
    ("mem_limit", "use deploy.resources.limits.memory"),
    (
        "mem_reservation",
        "use deploy.resources.reservations.memory",
    ),
    ("memswap_limit", "swarm services have no swap limit"),
    (
        "mem_swappiness",
        "swarm services have no swappiness setting",
    ),
    (
        "oom_kill_disable",
        "swarm services cannot disable the OOM killer",
    ),
    (
        "oom_score_adj",
        "Docker Engine 20.10's swarm has no OOM score",
    ),
    ("pids_limit", "use deploy.resources.limits.pids"),
    ("blkio_config", "swarm services have no block I/O settings"),
    ("security_opt", "swarm services take no security options"),
    ("shm_size", "swarm services have no shm size"),
    (
        "mac_address",
        "swarm tasks get their addresses from the overlay network",
    ),
    ("domainname", "swarm containers have no domain name setting"),
    ("runtime", "swarm tasks run with the node's default runtime"),
    (
        "platform",
        "use deploy.placement.constraints (node.platform.arch==...)",
    ),
    ("storage_opt", "swarm services have no storage options"),
    (
        "credential_spec",
        "credential specs apply to Windows nodes, which berth does not target",
    ),
    ("post_start", "a swarm runs no lifecycle hooks"),
    ("pre_stop", "a swarm runs no lifecycle hooks"),
    ("annotations", "swarm containers carry no OCI annotations"),
    ("use_api_socket", "a swarm task gets no engine socket"),
    ("provider", "providers are Docker Compose plugins"),
    ("models", "models need the Docker Model Runner"),
    (
        "volume_driver",
        "set the driver on the named volume instead",
    ),
    (
        "build",
        "the nodes pull `image:`; `stack deploy --build` builds and pushes it first",
    ),
];

/// The keys of `service` (named `name`) that the stack leaves out.
pub fn check(name: &str, service: &Service) -> Vec<Unsupported> {
    let json = service.to_json();
    let Some(object) = json.as_object() else {
        return Vec::new();
    };
    let at = |keys: &[&str]| -> Vec<PathSeg> {
        ["services", name]
            .iter()
            .chain(keys)
            .map(|k| PathSeg::Key(k.to_string()))
            .collect()
    };
    let mut found: Vec<Unsupported> = KEYS
        .iter()
        .filter(|(key, _)| {
            object
                .get(*key)
                .is_some_and(|v| !crate::swarm::diff::is_empty(v))
        })
        .map(|(key, why)| Unsupported {
            service: name.into(),
            path: at(&[key]),
            message: format!("services.{name}.{key} is not applied to a swarm service: {why}"),
        })
        .collect();
    for (index, port) in service.ports.iter().enumerate() {
        if !port.host_ip.is_empty() && port.host_ip != "0.0.0.0" {
            let mut path = at(&["ports"]);
            path.push(PathSeg::Index(index));
            found.push(Unsupported {
                service: name.into(),
                path,
                message: format!(
                    "services.{name}.ports[{index}] binds {}: a swarm publishes on every \
                     address of its nodes",
                    port.host_ip
                ),
            });
        }
    }
    for (dependency, config) in &service.depends_on {
        if config.restart {
            found.push(Unsupported {
                service: name.into(),
                path: at(&["depends_on", dependency, "restart"]),
                message: format!(
                    "services.{name}.depends_on.{dependency}.restart: a swarm does not \
                     restart dependents"
                ),
            });
        }
    }
    found
}
