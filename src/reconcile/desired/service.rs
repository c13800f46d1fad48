//! One service's desired state: its container spec put together from its
//! parts, the keys that need a newer engine (gates), and what keeps its
//! containers from being created (problems).

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use super::host::{host_options, is_cdi_device_name, logging, resources, restart_policy};
use super::networking::ports;
use super::{
    Condition, Dependency, Desired, DesiredError, DesiredService, Gate, Origin, hook, path, sorted,
};
use crate::engine::spec::{ContainerSpec, HealthSpec};
use crate::engine::{ApiVersion, labels};
use crate::load::node::PathSeg;
use crate::model::{HealthCheckConfig, Project, Service};
use crate::reconcile::desired::build::PullPolicy;

/// The service being turned into its desired state: what it is read from,
/// and the gates and problems found on the way.
pub(super) struct ServiceContext<'a> {
    pub(super) project: &'a Project,
    pub(super) origin: &'a Origin,
    /// The desired state so far: the networks and volumes it refers to.
    pub(super) desired: &'a Desired,
    pub(super) name: &'a str,
    pub(super) service: &'a Service,
    pub(super) gates: Vec<Gate>,
    pub(super) problems: Vec<DesiredError>,
}

impl ServiceContext<'_> {
    /// An error about the service.
    pub(super) fn fail(&self, message: String) -> DesiredError {
        DesiredError {
            service: self.name.to_string(),
            message,
            path: Vec::new(),
        }
    }

    /// An error about the service's key at `path`, to point at its line.
    pub(super) fn fail_at(&self, path: Vec<PathSeg>, message: String) -> DesiredError {
        DesiredError {
            path,
            ..self.fail(message)
        }
    }

    /// A problem: an error that keeps only the creation of containers from
    /// going on (`down` must work without a secret's source).
    pub(super) fn problem(&mut self, message: String) {
        let problem = self.fail(message);
        self.problems.push(problem);
    }

    /// The path of the service's key `keys`: `services.<name>.<keys>`.
    pub(super) fn key(&self, keys: &[&str]) -> Vec<PathSeg> {
        let mut p = path(&["services", self.name]);
        p.extend(path(keys));
        p
    }
}

/// The desired state of service `name`, with the gates its keys need.
pub(super) fn service_state(
    project: &Project,
    origin: &Origin,
    desired: &Desired,
    name: &str,
    service: &Service,
) -> Result<(DesiredService, Vec<Gate>), DesiredError> {
    let mut cx = ServiceContext {
        project,
        origin,
        desired,
        name,
        service,
        gates: Vec::new(),
        problems: Vec::new(),
    };
    let replicas = cx.replicas()?;
    let mut spec = cx.base_spec();
    if let Err(e) = host_options(&mut spec, service, origin) {
        cx.problem(e.to_string());
    }
    cx.plugin_problems();
    cx.cdi_gates();
    spec.healthcheck = service.healthcheck.as_ref().map(health_spec);
    // Ports: a range of published ports maps onto the same range of targets.
    spec.ports = ports(service);
    // As written: Docker Compose makes each entry an `ExposedPorts` key
    // as is (`3000`, not `3000/tcp`), ranges included.
    spec.expose = service.expose.clone();
    let volumes = cx.mounts(&mut spec)?;
    cx.file_objects(&mut spec)?;
    let (networks, parents) = cx.networking(&mut spec)?;
    spec.identity_labels = identity_labels(project, origin, name, service);
    cx.service_level_gates(&spec);
    let build =
        crate::reconcile::desired::build::service_build(&project.name, name, service, &spec.image);
    let pull_policy = PullPolicy::parse(&service.pull_policy)
        .ok_or_else(|| cx.fail(format!("unknown pull_policy {:?}", service.pull_policy)))?;
    let service_state = DesiredService {
        name: name.to_string(),
        replicas,
        container_name: (!service.container_name.is_empty())
            .then(|| service.container_name.clone()),
        spec,
        depends_on: depends_on(service),
        networks,
        volumes,
        parents,
        problems: cx.problems,
        located: BTreeMap::new(),
        post_start: service.post_start.iter().map(hook).collect(),
        pre_stop: service.pre_stop.iter().map(hook).collect(),
        attach: service.attach.unwrap_or(true),
        build,
        pull_policy,
        image_named_by_berth: service.image.is_empty(),
        develop: service.develop.clone(),
        // Filled in by `desired`, which owns the service.
        source: Arc::default(),
        hashed: OnceLock::new(),
    };
    Ok((service_state, cx.gates))
}

impl ServiceContext<'_> {
    /// `scale`, else `deploy.replicas`, else 1; never negative.
    fn replicas(&self) -> Result<u32, DesiredError> {
        let service = self.service;
        let replicas = service
            .scale
            .or(service.deploy.as_ref().and_then(|d| d.replicas))
            .unwrap_or(1);
        u32::try_from(replicas).map_err(|_| self.fail("scale cannot be negative".into()))
    }

    /// The spec's settings that are the service's keys as they are, or
    /// nearly: image, command, environment, user, restart, resources...
    fn base_spec(&self) -> ContainerSpec {
        let service = self.service;
        let image = if service.image.is_empty() {
            self.desired.naming.image(&self.project.name, self.name)
        } else {
            service.image.clone()
        };
        ContainerSpec {
            version: 1,
            image,
            entrypoint: service.entrypoint.clone(),
            command: service.command.clone(),
            environment: service
                .environment
                .iter()
                .filter_map(|(k, v)| v.as_ref().map(|v| (k.clone(), v.clone())))
                .collect(),
            unset_environment: unset_environment(service),
            labels: sorted(&service.labels),
            hostname: service.hostname.clone(),
            domainname: service.domainname.clone(),
            user: service.user.clone(),
            working_dir: service.working_dir.clone(),
            tty: service.tty,
            stdin_open: service.stdin_open,
            privileged: service.privileged,
            read_only: service.read_only,
            init: service.init,
            restart: restart_policy(service),
            stop_signal: service.stop_signal.clone(),
            stop_timeout: service
                .stop_grace_period
                .map(|d| d.as_nanos() / 1_000_000_000),
            cap_add: service.cap_add.clone(),
            cap_drop: service.cap_drop.clone(),
            dns: service.dns.clone(),
            extra_hosts: service
                .extra_hosts
                .iter()
                .flat_map(|(host, ips)| ips.iter().map(move |ip| format!("{host}:{ip}")))
                .collect(),
            sysctls: sorted(&service.sysctls),
            tmpfs: service
                .tmpfs
                .iter()
                .map(|t| match t.split_once(':') {
                    Some((path, options)) => (path.to_string(), options.to_string()),
                    None => (t.clone(), String::new()),
                })
                .collect(),
            ulimits: super::host::ulimit_specs(&service.ulimits),
            resources: resources(service),
            logging: logging(service),
            ..Default::default()
        }
    }

    /// Docker Compose hands these to plugins; ignoring them would pull an
    /// image that does not exist, or start a service without its model.
    fn plugin_problems(&mut self) {
        if let Some(provider) = &self.service.provider {
            let message = format!(
                "its provider {:?} is a Docker Compose plugin, which berth does not run",
                provider.kind
            );
            let problem = self.fail_at(self.key(&["provider"]), message);
            self.problems.push(problem);
        }
        if !self.service.models.is_empty() {
            let names: Vec<&str> = self.service.models.keys().map(String::as_str).collect();
            let message = format!(
                "uses models ({}), which need the Docker Model Runner plugin; berth does not support models",
                names.join(", ")
            );
            let problem = self.fail_at(self.key(&["models"]), message);
            self.problems.push(problem);
        }
    }

    /// CDI device names, which older engines cannot resolve.
    fn cdi_gates(&mut self) {
        for (index, device) in self.service.devices.iter().enumerate() {
            if is_cdi_device_name(&device.source) {
                let mut at = self.key(&["devices"]);
                at.push(PathSeg::Index(index));
                self.gates.push(Gate::new(
                    ApiVersion::CDI_DEVICES,
                    at,
                    "it cannot resolve a CDI device name",
                    true,
                ));
            }
        }
    }

    /// Keys of the whole service that older engines leave out.
    fn service_level_gates(&mut self, spec: &ContainerSpec) {
        let service_level = [
            (
                !spec.annotations.is_empty(),
                ApiVersion::ANNOTATIONS,
                &["annotations"][..],
            ),
            (
                spec.healthcheck
                    .as_ref()
                    .is_some_and(|h| h.start_interval.is_some()),
                ApiVersion::START_INTERVAL,
                &["healthcheck", "start_interval"][..],
            ),
            // bollard's create body has no place for the container-level field
            // older engines read, so the address goes on the primary endpoint.
            (
                !spec.mac_address.is_empty(),
                ApiVersion::ENDPOINT_MAC_ADDRESS,
                &["mac_address"][..],
            ),
        ];
        for (_, api, keys) in service_level.into_iter().filter(|g| g.0) {
            let gate = Gate::new(api, self.key(keys), "berth leaves it out", false);
            self.gates.push(gate);
        }
    }
}

/// The variables the service's `environment` lists without a value,
/// sorted: the container does not get them.
fn unset_environment(service: &Service) -> Vec<String> {
    let mut names: Vec<String> = service
        .environment
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(k, _)| k.clone())
        .collect();
    names.sort();
    names
}

/// The service's `healthcheck`; `disable: true` is the `NONE` test.
fn health_spec(health: &HealthCheckConfig) -> HealthSpec {
    if health.disable {
        return HealthSpec {
            test: vec!["NONE".into()],
            ..Default::default()
        };
    }
    HealthSpec {
        test: health.test.clone(),
        interval: health.interval.map(|d| d.as_nanos()),
        timeout: health.timeout.map(|d| d.as_nanos()),
        retries: health.retries.map(|r| r as i64),
        start_period: health.start_period.map(|d| d.as_nanos()),
        start_interval: health.start_interval.map(|d| d.as_nanos()),
    }
}

/// The service's `depends_on` entries.
fn depends_on(service: &Service) -> indexmap::IndexMap<String, Dependency> {
    service
        .depends_on
        .iter()
        .map(|(dep, d)| {
            let dependency = Dependency {
                condition: Condition::parse(&d.condition),
                required: d.required,
                restart: d.restart,
            };
            (dep.clone(), dependency)
        })
        .collect()
}

/// Docker Compose's labels that every replica of the service carries.
fn identity_labels(
    project: &Project,
    origin: &Origin,
    name: &str,
    service: &Service,
) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([
        (labels::PROJECT.to_string(), project.name.clone()),
        (labels::SERVICE.into(), name.to_string()),
        (labels::VERSION.into(), labels::COMPOSE_VERSION.into()),
        (labels::ONEOFF.into(), "False".into()),
        (labels::WORKING_DIR.into(), origin.working_dir.clone()),
        (labels::CONFIG_FILES.into(), origin.config_files.join(",")),
        (
            labels::DEPENDS_ON.into(),
            service
                .depends_on
                .iter()
                .map(|(dep, d)| format!("{dep}:{}:{}", d.condition, d.restart))
                .collect::<Vec<_>>()
                .join(","),
        ),
    ]);
    if !origin.env_files.is_empty() {
        labels.insert(labels::ENVIRONMENT_FILE.into(), origin.env_files.join(","));
    }
    labels
}
