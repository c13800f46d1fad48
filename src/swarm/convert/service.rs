//! One Compose service as a swarm service spec (the API's JSON, then
//! bollard's type).

use serde_json::{Map, Value, json};

use super::{ConvertError, Stack, StackService, mounts, put};
use crate::engine::spec::RestartPolicy;
use crate::model::{Duration, Project, Service};
use crate::reconcile::desired::Condition;
use crate::swarm::{HEALTHCHECK_LABEL, IMAGE_LABEL, NAMESPACE, scoped};

/// The network keys a service joins: its own, or the project's `default`.
pub fn network_keys(service: &Service) -> Vec<String> {
    if service.networks.is_empty() && service.network_mode.is_empty() {
        vec!["default".to_string()]
    } else {
        service.networks.keys().cloned().collect()
    }
}

pub fn convert(
    project: &Project,
    stack: &Stack,
    key: &str,
    service: &Service,
    one_shot: bool,
) -> Result<StackService, ConvertError> {
    if service.image.is_empty() {
        return Err(ConvertError::new(
            format!(
                "service {key:?} has no image: a swarm's nodes pull every image, so give it \
                 `image:` naming a registry (with `build:`, `stack deploy --build` builds and \
                 pushes it)"
            ),
            &["services", key],
        ));
    }
    let (mode, job) = mode(key, service, one_shot)?;
    let mut labels: Map<String, Value> = deploy_labels(service);
    labels.insert(NAMESPACE.into(), stack.name.clone().into());
    labels.insert(IMAGE_LABEL.into(), service.image.clone().into());
    let check = healthcheck(service);
    if !check.is_null() {
        labels.insert(
            HEALTHCHECK_LABEL.into(),
            super::digest(check.to_string().as_bytes()).into(),
        );
    }
    let mut task = Map::new();
    put(
        &mut task,
        "ContainerSpec",
        container_spec(project, stack, key, service)?,
    );
    put(&mut task, "Resources", resources(service));
    put(&mut task, "RestartPolicy", restart_policy(service, job));
    put(&mut task, "Placement", placement(service));
    put(&mut task, "Networks", networks(stack, key, service));
    if let Some(logging) = &service.logging {
        put(
            &mut task,
            "LogDriver",
            json!({ "Name": logging.driver, "Options": logging.options }),
        );
    }
    let deploy = service.deploy.clone().unwrap_or_default();
    let mut spec = Map::new();
    spec.insert("Name".into(), scoped(&stack.name, key).into());
    spec.insert("Labels".into(), Value::Object(labels));
    spec.insert("TaskTemplate".into(), Value::Object(task));
    spec.insert("Mode".into(), mode);
    if let Some(update) = &deploy.update_config {
        put(&mut spec, "UpdateConfig", update_config(update));
    }
    if let Some(rollback) = &deploy.rollback_config {
        put(&mut spec, "RollbackConfig", update_config(rollback));
    }
    put(&mut spec, "EndpointSpec", endpoint(service));
    let value = crate::swarm::diff::tidy(Value::Object(spec));
    let spec = serde_json::from_value(value).map_err(|e| {
        ConvertError::new(
            format!("service {key:?} does not make a valid swarm service: {e}"),
            &["services", key],
        )
    })?;
    Ok(StackService {
        key: key.into(),
        name: scoped(&stack.name, key),
        spec,
        image: service.image.clone(),
        depends_on: service
            .depends_on
            .iter()
            .map(|(k, d)| (k.clone(), Condition::parse(&d.condition)))
            .collect(),
        job,
        healthcheck: service
            .healthcheck
            .as_ref()
            .is_some_and(|h| !h.disable && !h.test.is_empty() && h.test[0] != "NONE"),
    })
}

fn deploy_labels(service: &Service) -> Map<String, Value> {
    service
        .deploy
        .iter()
        .flat_map(|d| &d.labels)
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect()
}

/// `Mode`, and whether it is a job.
fn mode(key: &str, service: &Service, one_shot: bool) -> Result<(Value, bool), ConvertError> {
    let deploy = service.deploy.as_ref();
    let replicas = service
        .scale
        .or(deploy.and_then(|d| d.replicas))
        .unwrap_or(1);
    let mode = deploy.map_or("", |d| d.mode.as_str());
    Ok(match mode {
        "global" => (json!({ "Global": {} }), false),
        "global-job" => (json!({ "GlobalJob": {} }), true),
        "replicated-job" => (
            json!({ "ReplicatedJob": { "MaxConcurrent": replicas, "TotalCompletions": replicas } }),
            true,
        ),
        "" | "replicated" if one_shot => (
            json!({ "ReplicatedJob": { "MaxConcurrent": replicas, "TotalCompletions": replicas } }),
            true,
        ),
        "" | "replicated" => (json!({ "Replicated": { "Replicas": replicas } }), false),
        other => {
            return Err(ConvertError::new(
                format!(
                    "deploy.mode {other:?} of service {key:?}: use replicated, global, \
                     replicated-job or global-job"
                ),
                &["services", key, "deploy", "mode"],
            ));
        }
    })
}

fn nanos(d: Option<Duration>) -> Value {
    d.map_or(Value::Null, |d| d.as_nanos().into())
}

fn container_spec(
    project: &Project,
    stack: &Stack,
    key: &str,
    service: &Service,
) -> Result<Value, ConvertError> {
    let mut env: Vec<String> = service
        .environment
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
        .collect();
    env.sort();
    let mut labels: Map<String, Value> = service
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    labels.insert(NAMESPACE.into(), stack.name.clone().into());
    let hosts: Vec<String> = service
        .extra_hosts
        .iter()
        .flat_map(|(host, ips)| ips.iter().map(move |ip| format!("{ip} {host}")))
        .collect();
    let ulimits: Vec<Value> = crate::reconcile::desired::ulimit_specs(&service.ulimits)
        .into_iter()
        .map(|u| json!({ "Name": u.name, "Soft": u.soft, "Hard": u.hard }))
        .collect();
    let mut spec = Map::new();
    put(&mut spec, "Image", service.image.clone().into());
    put(&mut spec, "Labels", Value::Object(labels));
    put(&mut spec, "Command", json!(service.entrypoint));
    put(&mut spec, "Args", json!(service.command));
    put(&mut spec, "Hostname", service.hostname.clone().into());
    put(&mut spec, "Env", json!(env));
    put(&mut spec, "Dir", service.working_dir.clone().into());
    put(&mut spec, "User", service.user.clone().into());
    put(&mut spec, "Groups", json!(service.group_add));
    put(&mut spec, "TTY", json!(service.tty));
    put(&mut spec, "OpenStdin", json!(service.stdin_open));
    put(&mut spec, "ReadOnly", json!(service.read_only));
    put(
        &mut spec,
        "Mounts",
        mounts::mounts(project, stack, key, service)?,
    );
    put(&mut spec, "StopSignal", service.stop_signal.clone().into());
    put(
        &mut spec,
        "StopGracePeriod",
        nanos(service.stop_grace_period),
    );
    put(&mut spec, "HealthCheck", healthcheck(service));
    put(&mut spec, "Hosts", json!(hosts));
    put(
        &mut spec,
        "DNSConfig",
        json!({ "Nameservers": service.dns, "Search": service.dns_search, "Options": service.dns_opt }),
    );
    put(&mut spec, "Secrets", mounts::secrets(stack, service));
    put(&mut spec, "Configs", mounts::configs(stack, service));
    put(&mut spec, "Isolation", service.isolation.clone().into());
    put(&mut spec, "Init", json!(service.init));
    put(&mut spec, "Sysctls", json!(service.sysctls));
    put(&mut spec, "CapabilityAdd", json!(service.cap_add));
    put(&mut spec, "CapabilityDrop", json!(service.cap_drop));
    put(&mut spec, "Ulimits", json!(ulimits));
    Ok(Value::Object(spec))
}

fn healthcheck(service: &Service) -> Value {
    let Some(check) = &service.healthcheck else {
        return Value::Null;
    };
    if check.disable {
        return json!({ "Test": ["NONE"] });
    }
    json!({
        "Test": check.test,
        "Interval": nanos(check.interval),
        "Timeout": nanos(check.timeout),
        "Retries": check.retries,
        "StartPeriod": nanos(check.start_period),
    })
}

fn resources(service: &Service) -> Value {
    let Some(deploy) = &service.deploy else {
        return Value::Null;
    };
    let cpus = |c: f32| (f64::from(c) * 1e9).round() as i64;
    let limits =
        deploy.resources.limits.as_ref().map(
            |l| json!({ "NanoCPUs": cpus(l.cpus), "MemoryBytes": l.memory.0, "Pids": l.pids }),
        );
    let reservations = deploy.resources.reservations.as_ref().map(|r| {
        let generic: Vec<Value> = r
            .generic_resources
            .iter()
            .filter_map(|g| g.discrete_resource_spec.as_ref())
            .map(|d| json!({ "DiscreteResourceSpec": { "Kind": d.kind, "Value": d.value } }))
            .collect();
        json!({ "NanoCPUs": cpus(r.cpus), "MemoryBytes": r.memory.0, "GenericResources": generic })
    });
    json!({ "Limits": limits, "Reservations": reservations })
}

/// When a swarm restarts a task: `deploy.restart_policy.condition`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum TaskRestart {
    None,
    OnFailure,
    Any,
    /// A condition swarm does not know: sent as written, for the engine to
    /// refuse in its own words.
    Unknown(String),
}

impl TaskRestart {
    /// The file's condition; none written is `any`, swarm's default.
    fn parse(condition: &str) -> TaskRestart {
        match condition {
            "" | "any" => TaskRestart::Any,
            "none" => TaskRestart::None,
            "on-failure" => TaskRestart::OnFailure,
            other => TaskRestart::Unknown(other.to_string()),
        }
    }

    /// The condition in the engine's words.
    fn as_str(&self) -> &str {
        match self {
            TaskRestart::None => "none",
            TaskRestart::OnFailure => "on-failure",
            TaskRestart::Any => "any",
            TaskRestart::Unknown(condition) => condition,
        }
    }
}

/// `deploy.restart_policy`, else the service's `restart:`; a job that fails
/// stays failed unless the file says otherwise.
fn restart_policy(service: &Service, job: bool) -> Value {
    if let Some(policy) = service
        .deploy
        .as_ref()
        .and_then(|d| d.restart_policy.as_ref())
    {
        return json!({
            "Condition": TaskRestart::parse(&policy.condition).as_str(),
            "Delay": nanos(policy.delay),
            "MaxAttempts": policy.max_attempts,
            "Window": nanos(policy.window),
        });
    }
    let condition = |c: TaskRestart| json!({ "Condition": c.as_str() });
    match RestartPolicy::parse(&service.restart) {
        Some(RestartPolicy::No) => condition(TaskRestart::None),
        Some(RestartPolicy::Always | RestartPolicy::UnlessStopped) => condition(TaskRestart::Any),
        Some(RestartPolicy::OnFailure { max_retries }) => json!({
            "Condition": TaskRestart::OnFailure.as_str(),
            "MaxAttempts": max_retries.and_then(|n| u64::try_from(n).ok()),
        }),
        None if job => condition(TaskRestart::None),
        None => Value::Null,
    }
}

fn placement(service: &Service) -> Value {
    let Some(deploy) = &service.deploy else {
        return Value::Null;
    };
    let placement = &deploy.placement;
    let preferences: Vec<Value> = placement
        .preferences
        .iter()
        .map(|p| json!({ "Spread": { "SpreadDescriptor": p.spread } }))
        .collect();
    json!({
        "Constraints": placement.constraints,
        "Preferences": preferences,
        "MaxReplicas": placement.max_replicas,
    })
}

fn networks(stack: &Stack, key: &str, service: &Service) -> Value {
    let mut attachments = Vec::new();
    for network in network_keys(service) {
        let Some(target) = stack.networks.iter().find(|n| n.key == network) else {
            continue;
        };
        let config = service.networks.get(&network).cloned().flatten();
        let mut aliases = vec![key.to_string()];
        if let Some(config) = &config {
            aliases.extend(config.aliases.iter().cloned());
        }
        attachments.push(json!({
            "Target": target.name,
            "Aliases": aliases,
            "DriverOpts": config.map(|c| c.driver_opts),
        }));
    }
    Value::Array(attachments)
}

fn update_config(update: &crate::model::UpdateConfig) -> Value {
    json!({
        "Parallelism": update.parallelism.unwrap_or(1),
        "Delay": update.delay.as_nanos(),
        // The engine writes its default in when none is sent.
        "FailureAction": if update.failure_action.is_empty() { "pause" } else { &update.failure_action },
        "Monitor": update.monitor.as_nanos(),
        "MaxFailureRatio": update.max_failure_ratio,
        "Order": update.order,
    })
}

fn endpoint(service: &Service) -> Value {
    let ports: Vec<Value> = service
        .ports
        .iter()
        .map(|p| {
            let published = p
                .published
                .split('-')
                .next()
                .and_then(|n| n.parse::<u16>().ok());
            json!({
                "Name": p.name,
                "Protocol": if p.protocol.is_empty() { "tcp" } else { &p.protocol },
                "TargetPort": p.target,
                "PublishedPort": published,
                "PublishMode": if p.mode == "host" { "host" } else { "ingress" },
            })
        })
        .collect();
    let mode = service
        .deploy
        .as_ref()
        .map_or("", |d| d.endpoint_mode.as_str());
    json!({ "Mode": mode, "Ports": ports })
}
