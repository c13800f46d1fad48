//! berth's specs as the bodies of the engine's create calls: containers
//! (ports, networking, mounts, host config), and endpoint settings.

use crate::engine::spec::{self, MountKind};
use std::collections::HashMap;

use bollard::models::{
    ContainerCreateBody, DeviceMapping, DeviceRequest, EndpointIpamConfig, EndpointSettings,
    HealthConfig, HostConfig, HostConfigCgroupnsModeEnum, HostConfigIsolationEnum,
    HostConfigLogConfig, Ipam, IpamConfig, MountBindOptions, MountBindOptionsPropagationEnum,
    MountTmpfsOptions, MountType, MountVolumeOptions, NetworkCreateRequest, NetworkingConfig,
    PortBinding, ResourcesBlkioWeightDevice, ResourcesUlimits, RestartPolicy,
    RestartPolicyNameEnum, ThrottleDevice, VolumeCreateRequest,
};

use crate::engine::ApiVersion;
use crate::engine::spec::{
    ContainerSpec, MountSpec, NetworkAttachment, NetworkSpec, ResourceSpec, ThrottleSpec,
    VolumeSpec,
};

/// The create call's body for `spec`, with only the primary network on
/// engines that take a single one at create.
/// `alias` is the container's own name, which Docker Compose makes an alias on
/// every network.
pub(super) fn create_body(
    alias: &str,
    spec: &ContainerSpec,
    api: ApiVersion,
) -> ContainerCreateBody {
    let mut labels: HashMap<String, String> = spec.labels.clone().into_iter().collect();
    labels.extend(spec.identity_labels.clone());
    let (exposed, port_bindings) = ports(spec);
    let networking = networking(alias, spec, api);
    let mut host_config = host_config(spec, port_bindings, networking.mode, networking.host_links);
    host_options(&mut host_config, spec, api);
    resource_options(&mut host_config, &spec.resources);

    ContainerCreateBody {
        image: Some(spec.image.clone()),
        entrypoint: spec.entrypoint.clone(),
        cmd: spec.command.clone(),
        env: non_empty(
            spec.environment
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .chain(spec.unset_environment.iter().cloned())
                .collect(),
        ),
        labels: Some(labels),
        exposed_ports: non_empty(exposed),
        hostname: (!spec.hostname.is_empty()).then(|| spec.hostname.clone()),
        domainname: (!spec.domainname.is_empty()).then(|| spec.domainname.clone()),
        user: (!spec.user.is_empty()).then(|| spec.user.clone()),
        working_dir: (!spec.working_dir.is_empty()).then(|| spec.working_dir.clone()),
        tty: Some(spec.tty),
        open_stdin: Some(spec.stdin_open),
        stdin_once: spec.stdin_once.then_some(true),
        attach_stdin: Some(false),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        stop_signal: (!spec.stop_signal.is_empty()).then(|| spec.stop_signal.clone()),
        stop_timeout: spec.stop_timeout,
        healthcheck: healthcheck(spec, api),
        host_config: Some(host_config),
        networking_config: networking.config,
        ..Default::default()
    }
}

/// The ports to expose (`expose`, then each published target not in it)
/// and their bindings on the host.
fn ports(spec: &ContainerSpec) -> (Vec<String>, HashMap<String, Option<Vec<PortBinding>>>) {
    let mut port_bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    let mut exposed: Vec<String> = spec.expose.clone();
    for port in &spec.ports {
        let key = format!("{}/{}", port.target, port.protocol);
        if !exposed.contains(&key) {
            exposed.push(key.clone());
        }
        port_bindings
            .entry(key)
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(PortBinding {
                host_ip: Some(port.host_ip.clone()),
                host_port: Some(port.published.clone()),
            });
    }
    (exposed, port_bindings)
}

/// Where a container's networks go in the create call.
struct Networking {
    /// The endpoints sent at create: only the primary one on engines that
    /// take a single one.
    config: Option<NetworkingConfig>,
    /// The service's network mode, else its primary network.
    mode: Option<String>,
    /// Links, when they cannot go on a primary endpoint.
    host_links: Option<Vec<String>>,
}

fn networking(alias: &str, spec: &ContainerSpec, api: ApiVersion) -> Networking {
    let mut endpoints: Vec<(String, EndpointSettings)> = spec
        .networks
        .iter()
        .map(|n| (n.network.clone(), endpoint(n, alias, api)))
        .collect();
    // Services were resolved to containers by the executor. On a network of
    // the project, the engine takes links from the primary endpoint only (it
    // drops `HostConfig.Links` there); in a network mode, from the host config.
    let links = non_empty(
        spec.links
            .iter()
            .chain(&spec.external_links)
            .cloned()
            .collect(),
    );
    let mut host_links = None;
    match endpoints.first_mut() {
        Some((_, primary)) if spec.network_mode.is_empty() => primary.links = links,
        _ => host_links = links,
    }
    let mode = if !spec.network_mode.is_empty() {
        Some(spec.network_mode.clone())
    } else {
        spec.networks.first().map(|n| n.network.clone())
    };
    // The service's MAC address is its address on the primary network.
    if let Some((_, primary)) = endpoints.first_mut()
        && api >= ApiVersion::ENDPOINT_MAC_ADDRESS
        && !spec.mac_address.is_empty()
    {
        primary
            .mac_address
            .get_or_insert_with(|| spec.mac_address.clone());
    }
    let at_create = if api >= ApiVersion::MULTI_NETWORK_CREATE {
        endpoints.len()
    } else {
        endpoints.len().min(1)
    };
    Networking {
        config: (at_create > 0).then(|| NetworkingConfig {
            endpoints_config: Some(endpoints.into_iter().take(at_create).collect()),
        }),
        mode,
        host_links,
    }
}

/// The host config's ports, mounts, links, modes, restart policy, the
/// usual limits and logging.
fn host_config(
    spec: &ContainerSpec,
    port_bindings: HashMap<String, Option<Vec<PortBinding>>>,
    network_mode: Option<String>,
    links: Option<Vec<String>>,
) -> HostConfig {
    HostConfig {
        // Empty rather than unset, as Docker Compose sends them.
        port_bindings: Some(port_bindings),
        binds: non_empty(
            spec.mounts
                .iter()
                .filter(|m| in_binds_list(m))
                .map(bind)
                .collect(),
        ),
        mounts: non_empty(
            spec.mounts
                .iter()
                .filter(|m| !in_binds_list(m))
                .map(mount)
                .collect(),
        ),
        network_mode,
        volumes_from: non_empty(spec.volumes_from.clone()),
        links,
        ipc_mode: (!spec.ipc.is_empty()).then(|| spec.ipc.clone()),
        pid_mode: (!spec.pid.is_empty()).then(|| spec.pid.clone()),
        restart_policy: spec.restart.as_ref().map(|r| restart_policy(r.policy)),
        init: spec.init,
        privileged: Some(spec.privileged),
        readonly_rootfs: Some(spec.read_only),
        cap_add: capabilities(&spec.cap_add),
        cap_drop: capabilities(&spec.cap_drop),
        dns: non_empty(spec.dns.clone()),
        extra_hosts: Some(spec.extra_hosts.clone()),
        sysctls: (!spec.sysctls.is_empty()).then(|| spec.sysctls.clone().into_iter().collect()),
        tmpfs: (!spec.tmpfs.is_empty()).then(|| spec.tmpfs.clone().into_iter().collect()),
        ulimits: non_empty(
            spec.ulimits
                .iter()
                .map(|u| ResourcesUlimits {
                    name: Some(u.name.clone()),
                    soft: Some(u.soft),
                    hard: Some(u.hard),
                })
                .collect(),
        ),
        memory: (spec.resources.memory > 0).then_some(spec.resources.memory),
        memory_reservation: (spec.resources.memory_reservation > 0)
            .then_some(spec.resources.memory_reservation),
        // A negative count goes to the engine, which refuses it, as with Docker Compose.
        nano_cpus: (spec.resources.nano_cpus != 0).then_some(spec.resources.nano_cpus),
        shm_size: (spec.resources.shm_size > 0).then_some(spec.resources.shm_size),
        pids_limit: (spec.resources.pids_limit != 0).then_some(spec.resources.pids_limit),
        log_config: spec.logging.as_ref().map(|l| HostConfigLogConfig {
            typ: Some(l.driver.clone()),
            config: Some(l.options.clone().into_iter().collect()),
        }),
        ..Default::default()
    }
}

/// A restart policy as the engine takes it; only `on-failure` has a count.
fn restart_policy(policy: spec::RestartPolicy) -> RestartPolicy {
    use spec::RestartPolicy as Policy;
    let (name, maximum_retry_count) = match policy {
        Policy::No => (RestartPolicyNameEnum::NO, None),
        Policy::Always => (RestartPolicyNameEnum::ALWAYS, None),
        Policy::UnlessStopped => (RestartPolicyNameEnum::UNLESS_STOPPED, None),
        Policy::OnFailure { max_retries } => (RestartPolicyNameEnum::ON_FAILURE, max_retries),
    };
    RestartPolicy {
        name: Some(name),
        maximum_retry_count,
    }
}

/// The health check, without what the engine's API is too old for.
fn healthcheck(spec: &ContainerSpec, api: ApiVersion) -> Option<HealthConfig> {
    spec.healthcheck.as_ref().map(|h| HealthConfig {
        test: Some(h.test.clone()),
        interval: h.interval,
        timeout: h.timeout,
        retries: h.retries,
        start_period: h.start_period,
        start_interval: h
            .start_interval
            .filter(|_| api >= ApiVersion::START_INTERVAL),
    })
}

/// Devices, namespaces, security and runtime.
/// Empty values stay unset, leaving the engine's defaults.
fn host_options(host: &mut HostConfig, spec: &ContainerSpec, api: ApiVersion) {
    let text = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let number = |n: i64| (n != 0).then_some(n);
    host.devices = non_empty(
        spec.devices
            .iter()
            .map(|d| DeviceMapping {
                path_on_host: Some(d.source.clone()),
                path_in_container: Some(d.target.clone()),
                cgroup_permissions: Some(d.permissions.clone()),
            })
            .collect(),
    );
    host.device_cgroup_rules = non_empty(spec.device_cgroup_rules.clone());
    host.device_requests = non_empty(
        spec.device_requests
            .iter()
            .map(|r| DeviceRequest {
                driver: text(&r.driver),
                count: number(r.count),
                device_ids: non_empty(r.device_ids.clone()),
                capabilities: (!r.capabilities.is_empty()).then(|| vec![r.capabilities.clone()]),
                options: (!r.options.is_empty()).then(|| r.options.clone().into_iter().collect()),
            })
            .collect(),
    );
    host.uts_mode = text(&spec.uts);
    host.cgroupns_mode = match spec.cgroupns.as_str() {
        "host" => Some(HostConfigCgroupnsModeEnum::HOST),
        "private" => Some(HostConfigCgroupnsModeEnum::PRIVATE),
        _ => None,
    };
    host.cgroup_parent = text(&spec.cgroup_parent);
    host.userns_mode = text(&spec.userns_mode);
    host.group_add = non_empty(spec.group_add.clone());
    host.security_opt = non_empty(spec.security_opt.clone());
    if spec.unconfined_paths {
        host.masked_paths = Some(Vec::new());
        host.readonly_paths = Some(Vec::new());
    }
    host.dns_options = non_empty(spec.dns_opt.clone());
    host.dns_search = non_empty(spec.dns_search.clone());
    host.oom_score_adj = number(spec.oom_score_adj);
    host.storage_opt =
        (!spec.storage_opt.is_empty()).then(|| spec.storage_opt.clone().into_iter().collect());
    host.isolation = match spec.isolation.as_str() {
        "" => None,
        "process" => Some(HostConfigIsolationEnum::PROCESS),
        "hyperv" => Some(HostConfigIsolationEnum::HYPERV),
        _ => Some(HostConfigIsolationEnum::DEFAULT),
    };
    host.runtime = text(&spec.runtime);
    if api >= ApiVersion::ANNOTATIONS {
        host.annotations =
            (!spec.annotations.is_empty()).then(|| spec.annotations.clone().into_iter().collect());
    }
}

/// The finer resource limits: CPU, swap, OOM and block I/O.
fn resource_options(host: &mut HostConfig, r: &ResourceSpec) {
    let text = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let number = |n: i64| (n != 0).then_some(n);
    host.cpu_count = number(r.cpu_count);
    host.cpu_percent = number(r.cpu_percent);
    host.cpu_shares = number(r.cpu_shares);
    host.cpu_period = number(r.cpu_period);
    host.cpu_quota = number(r.cpu_quota);
    host.cpu_realtime_period = number(r.cpu_rt_period);
    host.cpu_realtime_runtime = number(r.cpu_rt_runtime);
    host.cpuset_cpus = text(&r.cpuset);
    host.memory_swap = number(r.memory_swap);
    host.memory_swappiness = number(r.memory_swappiness);
    host.oom_kill_disable = r.oom_kill_disable.then_some(true);
    if let Some(blkio) = &r.blkio {
        let throttle = |devices: &[ThrottleSpec]| {
            non_empty(
                devices
                    .iter()
                    .map(|d| ThrottleDevice {
                        path: Some(d.path.clone()),
                        rate: Some(d.rate),
                    })
                    .collect(),
            )
        };
        host.blkio_weight = (blkio.weight != 0).then_some(blkio.weight);
        host.blkio_weight_device = non_empty(
            blkio
                .weight_device
                .iter()
                .map(|d| ResourcesBlkioWeightDevice {
                    path: Some(d.path.clone()),
                    weight: Some(usize::from(d.weight)),
                })
                .collect(),
        );
        host.blkio_device_read_bps = throttle(&blkio.device_read_bps);
        host.blkio_device_write_bps = throttle(&blkio.device_write_bps);
        host.blkio_device_read_iops = throttle(&blkio.device_read_iops);
        host.blkio_device_write_iops = throttle(&blkio.device_write_iops);
    }
}

/// The create call's body for network `spec`.
pub(super) fn network_request(spec: &NetworkSpec, api: ApiVersion) -> NetworkCreateRequest {
    let mut labels: HashMap<String, String> = spec.labels.clone().into_iter().collect();
    labels.extend(spec.identity_labels.clone());
    NetworkCreateRequest {
        name: spec.name.clone(),
        driver: (!spec.driver.is_empty()).then(|| spec.driver.clone()),
        options: (!spec.driver_opts.is_empty())
            .then(|| spec.driver_opts.clone().into_iter().collect()),
        labels: Some(labels),
        internal: spec.internal.then_some(true),
        attachable: spec.attachable.then_some(true),
        enable_ipv6: spec.enable_ipv6,
        enable_ipv4: spec.enable_ipv4.filter(|_| api >= ApiVersion::DISABLE_IPV4),
        ipam: spec.ipam.as_ref().map(|i| Ipam {
            driver: (!i.driver.is_empty()).then(|| i.driver.clone()),
            config: Some(
                i.config
                    .iter()
                    .map(|p| IpamConfig {
                        subnet: (!p.subnet.is_empty()).then(|| p.subnet.clone()),
                        ip_range: (!p.ip_range.is_empty()).then(|| p.ip_range.clone()),
                        gateway: (!p.gateway.is_empty()).then(|| p.gateway.clone()),
                        auxiliary_addresses: (!p.aux_addresses.is_empty())
                            .then(|| p.aux_addresses.clone().into_iter().collect()),
                    })
                    .collect(),
            ),
            options: (!i.options.is_empty()).then(|| i.options.clone().into_iter().collect()),
        }),
        ..Default::default()
    }
}

/// The create call's body for volume `spec`.
pub(super) fn volume_request(spec: &VolumeSpec) -> VolumeCreateRequest {
    let mut labels: HashMap<String, String> = spec.labels.clone().into_iter().collect();
    labels.extend(spec.identity_labels.clone());
    VolumeCreateRequest {
        name: Some(spec.name.clone()),
        driver: Some(spec.driver.clone()),
        driver_opts: (!spec.driver_opts.is_empty())
            .then(|| spec.driver_opts.clone().into_iter().collect()),
        labels: Some(labels),
        ..Default::default()
    }
}

/// The driver option that names the container's interface (API 1.49).
const IFNAME_OPTION: &str = "com.docker.network.endpoint.ifname";

/// The endpoint settings of one network attachment; fields the engine
/// would not understand are left out (the plan warned about them).
pub(super) fn endpoint(
    n: &NetworkAttachment,
    container_name: &str,
    api: ApiVersion,
) -> EndpointSettings {
    // The container's own name is always an alias, as Docker Compose does.
    let mut aliases = vec![container_name.to_string()];
    aliases.extend(n.aliases.iter().cloned());
    // Docker Compose sends an IPAM config, empty or not, whenever the
    // service configures the network (`front: {aliases: [...]}`); berth
    // sees that configuration through what it set. The service's name is
    // the first alias, the file's come after it.
    let configured = n.aliases.len() > 1
        || !n.ipv4_address.is_empty()
        || !n.ipv6_address.is_empty()
        || !n.link_local_ips.is_empty()
        || !n.mac_address.is_empty()
        || !n.driver_opts.is_empty()
        || n.gw_priority != 0
        || !n.interface_name.is_empty();
    let ipam = configured.then(|| EndpointIpamConfig {
        ipv4_address: (!n.ipv4_address.is_empty()).then(|| n.ipv4_address.clone()),
        ipv6_address: (!n.ipv6_address.is_empty()).then(|| n.ipv6_address.clone()),
        link_local_ips: non_empty(n.link_local_ips.clone()),
    });
    let mut driver_opts: HashMap<String, String> = n.driver_opts.clone().into_iter().collect();
    if !n.interface_name.is_empty() && api >= ApiVersion::INTERFACE_NAME {
        driver_opts.insert(IFNAME_OPTION.into(), n.interface_name.clone());
    }
    EndpointSettings {
        aliases: Some(aliases),
        ipam_config: ipam,
        // Docker Compose fills these in from the fixed addresses too (the
        // engine replaces them when the container connects).
        ip_address: (!n.ipv4_address.is_empty()).then(|| n.ipv4_address.clone()),
        ipv6_gateway: (!n.ipv6_address.is_empty()).then(|| n.ipv6_address.clone()),
        mac_address: (!n.mac_address.is_empty() && api >= ApiVersion::ENDPOINT_MAC_ADDRESS)
            .then(|| n.mac_address.clone()),
        driver_opts: (!driver_opts.is_empty()).then_some(driver_opts),
        gw_priority: (n.gw_priority != 0 && api >= ApiVersion::GW_PRIORITY)
            .then_some(n.gw_priority),
        ..Default::default()
    }
}

/// Capabilities as Docker's Go client sends them, and so Docker Compose:
/// upper case, `CAP_`-prefixed (but `ALL`), without duplicates, sorted.
fn capabilities(names: &[String]) -> Option<Vec<String>> {
    let mut normalised: Vec<String> = names
        .iter()
        .map(|name| {
            let name = name.to_uppercase();
            if name == "ALL" || name.starts_with("CAP_") {
                name
            } else {
                format!("CAP_{name}")
            }
        })
        .collect();
    normalised.sort();
    normalised.dedup();
    non_empty(normalised)
}

/// Whether the mount goes in the `Binds` list rather than through the mount
/// API, as Docker Compose chooses: a bind that needs none of the mount
/// API's options (the list makes a missing host directory), and a named
/// volume without `nocopy`, `subpath` or labels.
fn in_binds_list(m: &MountSpec) -> bool {
    match m.kind {
        MountKind::Bind => m.create_host_path && m.propagation.is_empty() && m.recursive.is_empty(),
        MountKind::Volume => {
            !m.source.is_empty() && !m.nocopy && m.subpath.is_empty() && m.volume_labels.is_empty()
        }
        MountKind::Tmpfs => false,
    }
}

/// `source:target:access[,selinux][,propagation][,nocopy]`, as Docker
/// Compose writes a `Binds` entry.
fn bind(m: &MountSpec) -> String {
    let mut options = vec![if m.read_only { "ro" } else { "rw" }];
    for option in [&m.selinux, &m.propagation] {
        if !option.is_empty() {
            options.push(option);
        }
    }
    if m.nocopy {
        options.push("nocopy");
    }
    format!("{}:{}:{}", m.source, m.target, options.join(","))
}

/// A mount through the mount API, which has no SELinux relabelling.
/// Binds and volumes carry their options, empty or not, as Docker Compose
/// sends them for the short syntax.
fn mount(m: &MountSpec) -> bollard::models::Mount {
    let kind = match m.kind {
        MountKind::Bind => MountType::BIND,
        MountKind::Tmpfs => MountType::TMPFS,
        MountKind::Volume => MountType::VOLUME,
    };
    let recursive = |level: &str| (m.recursive == level).then_some(true);
    bollard::models::Mount {
        typ: Some(kind),
        source: (!m.source.is_empty()).then(|| m.source.clone()),
        target: Some(m.target.clone()),
        read_only: Some(m.read_only),
        bind_options: (kind == MountType::BIND).then(|| MountBindOptions {
            propagation: m
                .propagation
                .parse::<MountBindOptionsPropagationEnum>()
                .ok()
                .filter(|_| !m.propagation.is_empty()),
            // Honoured from API 1.42; older engines ignore it.
            create_mountpoint: m.create_host_path.then_some(true),
            non_recursive: recursive("disabled"),
            read_only_non_recursive: recursive("writable"),
            read_only_force_recursive: recursive("readonly"),
        }),
        volume_options: (kind == MountType::VOLUME).then(|| MountVolumeOptions {
            no_copy: m.nocopy.then_some(true),
            subpath: (!m.subpath.is_empty()).then(|| m.subpath.clone()),
            labels: (!m.volume_labels.is_empty())
                .then(|| m.volume_labels.clone().into_iter().collect()),
            ..Default::default()
        }),
        tmpfs_options: (kind == MountType::TMPFS
            && (m.tmpfs_size.is_some() || m.tmpfs_mode.is_some()))
        .then(|| MountTmpfsOptions {
            size_bytes: m.tmpfs_size,
            mode: m.tmpfs_mode.map(i64::from),
            options: None,
        }),
        ..Default::default()
    }
}

fn non_empty<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn restart_keeps_its_words_in_the_spec_and_its_meaning_for_the_engine() {
        use crate::engine::spec::Restart;
        let sent = |written: &str| {
            let spec = ContainerSpec {
                restart: Some(Restart::from(written.to_string())),
                ..Default::default()
            };
            let (json, _) = crate::engine::spec::canonical_json(&spec);
            assert!(
                json.contains(&format!("\"restart\":\"{written}\"")),
                "{json}"
            );
            let policy = create_body("p-web-1", &spec, ApiVersion::new(1, 41))
                .host_config
                .and_then(|h| h.restart_policy)
                .unwrap();
            (policy.name.unwrap(), policy.maximum_retry_count)
        };
        assert_eq!(sent("always"), (RestartPolicyNameEnum::ALWAYS, None));
        assert_eq!(
            sent("unless-stopped"),
            (RestartPolicyNameEnum::UNLESS_STOPPED, None)
        );
        assert_eq!(
            sent("on-failure"),
            (RestartPolicyNameEnum::ON_FAILURE, None)
        );
        assert_eq!(
            sent("on-failure:03"),
            (RestartPolicyNameEnum::ON_FAILURE, Some(3))
        );
        assert_eq!(sent("sometimes"), (RestartPolicyNameEnum::NO, None));
        let none = create_body("p-web-1", &ContainerSpec::default(), ApiVersion::new(1, 41));
        assert!(none.host_config.unwrap().restart_policy.is_none());
    }

    #[test]
    fn endpoint_fields_newer_than_the_engine_are_left_out() {
        let attachment = crate::engine::spec::NetworkAttachment {
            network: "p_front".into(),
            link_local_ips: vec!["169.254.1.1".into()],
            mac_address: "02:42:ac:11:00:02".into(),
            driver_opts: BTreeMap::from([("k".into(), "v".into())]),
            gw_priority: 3,
            interface_name: "eth7".into(),
            ..Default::default()
        };
        let old = endpoint(&attachment, "p-web-1", ApiVersion::new(1, 41));
        assert_eq!(old.mac_address, None);
        assert_eq!(old.gw_priority, None);
        assert_eq!(
            old.driver_opts,
            Some(HashMap::from([("k".into(), "v".into())]))
        );
        assert_eq!(
            old.ipam_config.and_then(|i| i.link_local_ips),
            Some(vec!["169.254.1.1".to_string()])
        );
        let new = endpoint(&attachment, "p-web-1", ApiVersion::new(1, 49));
        assert_eq!(new.mac_address.as_deref(), Some("02:42:ac:11:00:02"));
        assert_eq!(new.gw_priority, Some(3));
        assert_eq!(
            new.driver_opts.unwrap_or_default().get(IFNAME_OPTION),
            Some(&"eth7".to_string())
        );
    }

    #[test]
    fn links_go_on_the_primary_endpoint_or_else_the_host_config() {
        let mut spec = ContainerSpec {
            image: "busybox".into(),
            links: vec!["p-db-1:db".into()],
            external_links: vec!["other:o".into()],
            networks: vec![crate::engine::spec::NetworkAttachment {
                network: "p_default".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let body = create_body("p-web-1", &spec, ApiVersion::new(1, 41));
        let endpoints = body.networking_config.unwrap().endpoints_config.unwrap();
        assert_eq!(
            endpoints["p_default"].links,
            Some(vec!["p-db-1:db".to_string(), "other:o".to_string()])
        );
        assert_eq!(body.host_config.unwrap().links, None);

        spec.networks.clear();
        spec.network_mode = "bridge".into();
        let body = create_body("p-web-1", &spec, ApiVersion::new(1, 41));
        assert_eq!(body.host_config.unwrap().links.map(|l| l.len()), Some(2));
    }

    #[test]
    fn only_the_primary_network_goes_into_create_on_api_1_41() {
        let spec = ContainerSpec {
            image: "busybox".into(),
            networks: vec![
                crate::engine::spec::NetworkAttachment {
                    network: "p_front".into(),
                    ..Default::default()
                },
                crate::engine::spec::NetworkAttachment {
                    network: "p_back".into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let old = create_body("p-web-1", &spec, ApiVersion::new(1, 41));
        let new = create_body("p-web-1", &spec, ApiVersion::new(1, 44));
        let endpoints = |b: &ContainerCreateBody| {
            b.networking_config
                .as_ref()
                .and_then(|n| n.endpoints_config.as_ref())
                .map_or(0, HashMap::len)
        };
        assert_eq!(endpoints(&old), 1);
        assert_eq!(endpoints(&new), 2);
        assert_eq!(
            old.host_config.and_then(|h| h.network_mode).as_deref(),
            Some("p_front")
        );
    }

    /// Keys this machine's engine cannot apply (no NVIDIA runtime, no
    /// real-time scheduler, no xfs quotas, Linux only): their create body.
    #[test]
    fn mounts_take_the_api_docker_compose_chooses() {
        let m = |kind: &str, source: &str, target: &str| MountSpec {
            kind: crate::engine::spec::MountKind::parse(kind).expect("a mount kind"),
            source: source.into(),
            target: target.into(),
            ..Default::default()
        };
        let spec = ContainerSpec {
            image: "busybox".into(),
            mounts: vec![
                MountSpec {
                    selinux: "z".into(),
                    create_host_path: true,
                    ..m("bind", "/h/data", "/data")
                },
                MountSpec {
                    read_only: true,
                    selinux: "Z".into(),
                    create_host_path: true,
                    ..m("bind", "/h/conf", "/conf")
                },
                // `bind: {selinux: z}` alone: the mount API, without `z`.
                MountSpec {
                    selinux: "z".into(),
                    ..m("bind", "/h/data", "/mount-api")
                },
                MountSpec {
                    create_host_path: true,
                    propagation: "rslave".into(),
                    ..m("bind", "/h/data", "/rslave")
                },
                MountSpec {
                    create_host_path: true,
                    recursive: "disabled".into(),
                    ..m("bind", "/h/data", "/flat")
                },
                MountSpec {
                    selinux: "Z".into(),
                    ..m("volume", "p_data", "/named")
                },
                MountSpec {
                    nocopy: true,
                    ..m("volume", "p_data", "/nocopy")
                },
                MountSpec {
                    volume_labels: BTreeMap::from([("a".into(), "b".into())]),
                    ..m("volume", "p_data", "/labelled")
                },
                m("volume", "", "/anonymous"),
                m("tmpfs", "", "/scratch"),
            ],
            ..Default::default()
        };
        let host = create_body("p-web-1", &spec, ApiVersion::FLOOR)
            .host_config
            .unwrap();
        assert_eq!(
            host.binds.unwrap(),
            [
                "/h/data:/data:rw,z",
                "/h/conf:/conf:ro,Z",
                "p_data:/named:rw,Z"
            ]
        );
        let mounts = host.mounts.unwrap();
        let targets: Vec<&str> = mounts
            .iter()
            .map(|m| m.target.as_deref().unwrap())
            .collect();
        assert_eq!(
            targets,
            [
                "/mount-api",
                "/rslave",
                "/flat",
                "/nocopy",
                "/labelled",
                "/anonymous",
                "/scratch"
            ]
        );
        let options = |i: usize| mounts[i].bind_options.clone().unwrap();
        assert_eq!(options(0), MountBindOptions::default());
        assert_eq!(
            options(1).propagation,
            Some(MountBindOptionsPropagationEnum::RSLAVE)
        );
        assert_eq!(options(1).create_mountpoint, Some(true));
        assert_eq!(options(2).non_recursive, Some(true));
        let volume = |i: usize| mounts[i].volume_options.clone().unwrap();
        assert_eq!(volume(3).no_copy, Some(true));
        assert_eq!(
            volume(4).labels,
            Some(HashMap::from([("a".into(), "b".into())]))
        );
        assert_eq!(volume(5), MountVolumeOptions::default());
    }

    #[test]
    fn lists_are_sent_as_docker_compose_sends_them() {
        let spec = ContainerSpec {
            image: "busybox".into(),
            cap_add: vec![
                "net_admin".into(),
                "CAP_SYS_TIME".into(),
                "NET_ADMIN".into(),
            ],
            cap_drop: vec!["ALL".into()],
            expose: vec!["3000".into(), "4000/udp".into()],
            ..Default::default()
        };
        let body = create_body("p-web-1", &spec, ApiVersion::FLOOR);
        let host = body.host_config.unwrap();
        assert_eq!(host.cap_add.unwrap(), ["CAP_NET_ADMIN", "CAP_SYS_TIME"]);
        assert_eq!(host.cap_drop.unwrap(), ["ALL"]);
        assert_eq!(host.extra_hosts, Some(Vec::new()));
        assert_eq!(host.port_bindings, Some(HashMap::new()));
        assert_eq!(body.exposed_ports.unwrap(), ["3000", "4000/udp"]);
    }

    #[test]
    fn host_only_keys_reach_the_create_body() {
        use crate::engine::spec::{DeviceRequestSpec, ResourceSpec};
        let spec = ContainerSpec {
            image: "busybox".into(),
            device_requests: vec![DeviceRequestSpec {
                driver: "nvidia".into(),
                count: -1,
                capabilities: vec!["gpu".into()],
                ..Default::default()
            }],
            storage_opt: BTreeMap::from([("size".into(), "1G".into())]),
            isolation: "hyperv".into(),
            resources: ResourceSpec {
                cpu_count: 2,
                cpu_percent: 50,
                cpu_rt_period: 1_000_000,
                cpu_rt_runtime: 950_000,
                ..Default::default()
            },
            ..Default::default()
        };
        let host = create_body("p-web-1", &spec, ApiVersion::FLOOR)
            .host_config
            .unwrap();
        let request = &host.device_requests.as_ref().unwrap()[0];
        assert_eq!(request.driver.as_deref(), Some("nvidia"));
        assert_eq!(request.count, Some(-1));
        assert_eq!(request.capabilities, Some(vec![vec!["gpu".to_string()]]));
        assert_eq!(
            host.storage_opt,
            Some(HashMap::from([("size".into(), "1G".into())]))
        );
        assert_eq!(host.isolation, Some(HostConfigIsolationEnum::HYPERV));
        assert_eq!(host.cpu_count, Some(2));
        assert_eq!(host.cpu_percent, Some(50));
        assert_eq!(host.cpu_realtime_period, Some(1_000_000));
        assert_eq!(host.cpu_realtime_runtime, Some(950_000));
    }

    #[test]
    fn newer_keys_are_left_out_on_older_engines() {
        let spec = ContainerSpec {
            image: "busybox".into(),
            annotations: BTreeMap::from([("com.example.a".into(), "1".into())]),
            healthcheck: Some(crate::engine::spec::HealthSpec {
                test: vec!["CMD".into(), "true".into()],
                start_period: Some(5_000_000_000),
                start_interval: Some(1_000_000_000),
                ..Default::default()
            }),
            mac_address: "02:42:ac:11:00:99".into(),
            networks: vec![crate::engine::spec::NetworkAttachment {
                network: "p_default".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let mac = |b: &ContainerCreateBody| {
            b.networking_config.as_ref().and_then(|n| {
                n.endpoints_config.as_ref()?["p_default"]
                    .mac_address
                    .clone()
            })
        };

        let old = create_body("p-web-1", &spec, ApiVersion::new(1, 41));
        let health = old.healthcheck.as_ref().unwrap();
        assert_eq!(health.start_period, Some(5_000_000_000));
        assert_eq!(health.start_interval, None);
        assert_eq!(old.host_config.as_ref().unwrap().annotations, None);
        assert_eq!(mac(&old), None);

        let new = create_body("p-web-1", &spec, ApiVersion::new(1, 44));
        assert_eq!(
            new.healthcheck.as_ref().unwrap().start_interval,
            Some(1_000_000_000)
        );
        assert_eq!(
            new.host_config.as_ref().unwrap().annotations,
            Some(HashMap::from([("com.example.a".into(), "1".into())]))
        );
        assert_eq!(mac(&new).as_deref(), Some("02:42:ac:11:00:99"));
    }
}
