//! The host settings of a service's containers: devices, namespaces,
//! security options, resources, restart policy, logging and ulimits.

use std::path::Path;

use indexmap::IndexMap;

use super::{Origin, sorted};
use crate::engine::spec::{
    BlkioSpec, ContainerSpec, DeviceRequestSpec, DeviceSpec, LoggingSpec, ResourceSpec, Restart,
    RestartPolicy, ThrottleSpec, UlimitSpec, WeightDeviceSpec,
};
use crate::env_vars;
use crate::model::{Service, UlimitsConfig};

/// `ulimits` entries for the engine; a single number sets both limits.
pub fn ulimit_specs(ulimits: &IndexMap<String, UlimitsConfig>) -> Vec<UlimitSpec> {
    ulimits
        .iter()
        .map(|(name, u)| {
            let (soft, hard) = if u.single != 0 {
                (u.single, u.single)
            } else {
                (u.soft, u.hard)
            };
            UlimitSpec {
                name: name.clone(),
                soft,
                hard,
            }
        })
        .collect()
}

/// A host setting berth cannot send to the engine.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error("isolation must be default, process or hyperv, not {0:?}")]
    Isolation(String),
    #[error("invalid security_opt {0:?}: use key=value")]
    SecurityOpt(String),
    #[error("security_opt: cannot read the seccomp profile {}: {source}", path.display())]
    SeccompUnreadable {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("security_opt: the seccomp profile {} is not JSON: {source}", path.display())]
    SeccompNotJson {
        path: std::path::PathBuf,
        source: serde_json::Error,
    },
}

/// Devices, namespaces, security options and the other host settings.
/// Fails when a seccomp profile cannot be read.
pub(super) fn host_options(
    spec: &mut ContainerSpec,
    service: &Service,
    origin: &Origin,
) -> Result<(), HostError> {
    let (cdi, paths): (Vec<_>, Vec<_>) = service
        .devices
        .iter()
        .partition(|d| is_cdi_device_name(&d.source));
    spec.devices = paths
        .into_iter()
        .map(|d| DeviceSpec {
            source: d.source.clone(),
            target: if d.target.is_empty() {
                d.source.clone()
            } else {
                d.target.clone()
            },
            permissions: if d.permissions.is_empty() {
                "rwm".into()
            } else {
                d.permissions.clone()
            },
        })
        .collect();
    spec.device_cgroup_rules = service.device_cgroup_rules.clone();
    // `gpus` entries ask for the `gpu` capability, as `docker run --gpus` does.
    let gpus = service.gpus.iter().map(|g| {
        let mut request = device_request(g);
        if !request.capabilities.iter().any(|c| c == "gpu") {
            request.capabilities.push("gpu".into());
        }
        request
    });
    let reserved = service
        .deploy
        .iter()
        .filter_map(|d| d.resources.reservations.as_ref())
        .flat_map(|r| r.devices.iter().map(device_request));
    // A CDI name (`vendor.com/class=name`) is resolved by the engine's CDI
    // driver into device nodes, mounts and environment.
    let cdi = (!cdi.is_empty()).then(|| DeviceRequestSpec {
        driver: "cdi".into(),
        device_ids: cdi.iter().map(|d| d.source.clone()).collect(),
        ..Default::default()
    });
    spec.device_requests = gpus.chain(reserved).chain(cdi).collect();
    spec.uts = service.uts.clone();
    spec.cgroupns = service.cgroup.clone();
    spec.cgroup_parent = service.cgroup_parent.clone();
    spec.userns_mode = service.userns_mode.clone();
    spec.group_add = service.group_add.clone();
    spec.platform = service.platform.clone();
    if spec.platform.is_empty() {
        spec.default_platform = origin
            .environment
            .get(env_vars::DOCKER_DEFAULT_PLATFORM)
            .cloned()
            .unwrap_or_default();
    }
    spec.mac_address = service.mac_address.clone();
    spec.dns_opt = service.dns_opt.clone();
    spec.dns_search = service.dns_search.clone();
    spec.oom_score_adj = service.oom_score_adj;
    spec.storage_opt = sorted(&service.storage_opt);
    // The engine's API knows these three; Linux engines take only `default`.
    if !matches!(
        service.isolation.as_str(),
        "" | "default" | "process" | "hyperv"
    ) {
        return Err(HostError::Isolation(service.isolation.clone()));
    }
    spec.isolation = service.isolation.clone();
    spec.runtime = service.runtime.clone();
    spec.annotations = sorted(&service.annotations);
    for option in &service.security_opt {
        if option == "systempaths=unconfined" {
            spec.unconfined_paths = true;
        } else {
            spec.security_opt
                .push(security_option(option, &origin.working_dir)?);
        }
    }
    Ok(())
}

/// A `security_opt` entry as Docker Compose sends it: as written, but a
/// seccomp profile's path becomes `seccomp=` and the profile's compacted JSON.
pub(super) fn security_option(option: &str, working_dir: &str) -> Result<String, HostError> {
    let split = match option.split_once('=') {
        Some(pair) => Some(pair),
        None if option == "no-new-privileges" => None,
        None => Some(
            option
                .split_once(':')
                .ok_or_else(|| HostError::SecurityOpt(option.to_string()))?,
        ),
    };
    let Some((key, value)) = split else {
        return Ok(option.to_string());
    };
    if key != "seccomp" || value == "unconfined" || value == "builtin" {
        return Ok(option.to_string());
    }
    let path = Path::new(working_dir).join(value);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(source) => return Err(HostError::SeccompUnreadable { path, source }),
    };
    let profile = match compact_json(&text) {
        Ok(profile) => profile,
        Err(source) => return Err(HostError::SeccompNotJson { path, source }),
    };
    Ok(format!("seccomp={profile}"))
}

/// `text` without the white space between JSON tokens, nothing else
/// changed (keys keep their order, numbers and escapes their spelling).
fn compact_json(text: &str) -> Result<String, serde_json::Error> {
    serde_json::from_str::<serde::de::IgnoredAny>(text)?;
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            in_string = c == '"';
            out.push(c);
        }
    }
    Ok(out)
}

/// Whether a `devices` entry is a fully qualified CDI device name,
/// `vendor/class=name`, rather than a host path.
pub(super) fn is_cdi_device_name(entry: &str) -> bool {
    let Some((kind, name)) = entry.split_once('=') else {
        return false;
    };
    let Some((vendor, class)) = kind.split_once('/') else {
        return false;
    };
    let word = |s: &str, extra: &str| {
        !s.is_empty()
            && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
    };
    word(vendor, "-_.") && word(class, "-_") && word(name, "-_.:")
}

/// A `gpus` entry or reserved device as an engine device request.
fn device_request(d: &crate::model::DeviceRequest) -> DeviceRequestSpec {
    DeviceRequestSpec {
        driver: d.driver.clone(),
        // No count and no IDs asks for every device that matches.
        count: if d.count == 0 && d.ids.is_empty() {
            -1
        } else {
            d.count
        },
        device_ids: d.ids.clone(),
        capabilities: d.capabilities.clone(),
        options: sorted(&d.options),
    }
}

/// `restart`, else `deploy.restart_policy` as the engine's policy.
pub(super) fn restart_policy(service: &Service) -> Option<Restart> {
    if !service.restart.is_empty() {
        return Some(Restart::from(service.restart.clone()));
    }
    let policy = service.deploy.as_ref()?.restart_policy.as_ref()?;
    Some(Restart::from(match policy.condition.as_str() {
        "any" | "always" => RestartPolicy::Always,
        "unless-stopped" => RestartPolicy::UnlessStopped,
        "on-failure" => RestartPolicy::OnFailure {
            max_retries: policy.max_attempts.and_then(|n| i64::try_from(n).ok()),
        },
        _ => RestartPolicy::No,
    }))
}

/// The resource limits of the service's keys and of `deploy.resources`.
pub(super) fn resources(service: &Service) -> ResourceSpec {
    let resources = service.deploy.as_ref().map(|d| &d.resources);
    let limits = resources.and_then(|r| r.limits.as_ref());
    let reservations = resources.and_then(|r| r.reservations.as_ref());
    let first_set = |values: [i64; 2]| values.into_iter().find(|v| *v != 0).unwrap_or(0);
    // As Docker Compose: the limit wins (the loader refuses two values).
    let cpus = match limits.map_or(0.0, |l| l.cpus) {
        0.0 => service.cpus,
        limit => limit,
    };
    ResourceSpec {
        memory: first_set([service.mem_limit.0, limits.map_or(0, |l| l.memory.0)]),
        memory_reservation: first_set([
            service.mem_reservation.0,
            reservations.map_or(0, |r| r.memory.0),
        ]),
        nano_cpus: nano_cpus(cpus),
        shm_size: service.shm_size.0,
        // Docker Compose takes only a positive `limits.pids`.
        pids_limit: first_set([limits.map_or(0, |l| l.pids.max(0)), service.pids_limit]),
        cpu_count: service.cpu_count,
        cpu_percent: service.cpu_percent.round() as i64,
        cpu_shares: service.cpu_shares,
        cpu_period: service.cpu_period,
        cpu_quota: service.cpu_quota,
        cpu_rt_period: service.cpu_rt_period,
        cpu_rt_runtime: service.cpu_rt_runtime,
        cpuset: service.cpuset.clone(),
        memory_swap: service.memswap_limit.0,
        memory_swappiness: service.mem_swappiness.0,
        oom_kill_disable: service.oom_kill_disable,
        blkio: service.blkio_config.as_ref().map(blkio),
    }
}

/// `cpus` in billionths of a CPU, computed as Docker Compose does: the
/// product in single precision (the model's `cpus` is a float32), then
/// truncated, so that `0.7` is 700000000 and `2.33` is 2329999872.
pub(super) fn nano_cpus(cpus: f32) -> i64 {
    (cpus * 1e9_f32) as i64
}

/// `blkio_config` for the engine.
fn blkio(config: &crate::model::BlkioConfig) -> BlkioSpec {
    let throttle = |devices: &[crate::model::ThrottleDevice]| {
        devices
            .iter()
            .map(|d| ThrottleSpec {
                path: d.path.clone(),
                rate: d.rate.0,
            })
            .collect()
    };
    BlkioSpec {
        weight: config.weight,
        weight_device: config
            .weight_device
            .iter()
            .map(|d| WeightDeviceSpec {
                path: d.path.clone(),
                weight: d.weight,
            })
            .collect(),
        device_read_bps: throttle(&config.device_read_bps),
        device_write_bps: throttle(&config.device_write_bps),
        device_read_iops: throttle(&config.device_read_iops),
        device_write_iops: throttle(&config.device_write_iops),
    }
}

/// `logging`, else the older `log_driver` and `log_opt`; `None` for the engine's default.
pub(super) fn logging(service: &Service) -> Option<LoggingSpec> {
    match &service.logging {
        Some(l) if !l.driver.is_empty() || !l.options.is_empty() => Some(LoggingSpec {
            driver: l.driver.clone(),
            options: sorted(&l.options),
        }),
        _ if !service.log_driver.is_empty() => Some(LoggingSpec {
            driver: service.log_driver.clone(),
            options: sorted(&service.log_opt),
        }),
        _ => None,
    }
}
