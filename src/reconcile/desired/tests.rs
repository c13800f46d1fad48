use super::host::{is_cdi_device_name, nano_cpus, security_option};
use super::*;
use crate::engine::ApiVersion;
use crate::engine::spec::DeviceRequestSpec;
use crate::load::{self, LoadOptions};

fn load_yaml(yaml: &str) -> (tempfile::TempDir, Desired) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("compose.yaml"), yaml).unwrap();
    let opts = LoadOptions {
        cwd: dir.path().to_path_buf(),
        project_name: Some("p".into()),
        ..Default::default()
    };
    let loaded = load::load(&opts).unwrap_or_else(|e| panic!("{}", e.render(false, false)));
    let desired = from_loaded(loaded).unwrap();
    (dir, desired)
}

fn spec<'a>(desired: &'a Desired, service: &str) -> &'a ContainerSpec {
    &desired.services[service].spec
}

#[test]
fn a_service_without_the_newer_keys_keeps_its_hash() {
    let (_dir, desired) = load_yaml("services:\n  web:\n    image: busybox\n");
    let (json, _) = crate::engine::spec::canonical_json(spec(&desired, "web"));
    assert_eq!(
        json,
        r#"{"version":1,"image":"busybox","networks":[{"network":"p_default","aliases":["web"]}]}"#
    );
}

#[test]
fn deploy_restart_policy_maps_as_docker_compose_does() {
    let (_dir, desired) = load_yaml(
        "services:
  none: {image: busybox, deploy: {restart_policy: {condition: none}}}
  failure: {image: busybox, deploy: {restart_policy: {condition: on-failure, max_attempts: 3}}}
  any: {image: busybox, deploy: {restart_policy: {condition: any}}}
  both: {image: busybox, restart: unless-stopped, deploy: {restart_policy: {condition: any}}}
",
    );
    let restart = |s: &str| spec(&desired, s).restart.clone().map(String::from);
    assert_eq!(restart("none").as_deref(), Some("no"));
    assert_eq!(restart("failure").as_deref(), Some("on-failure:3"));
    assert_eq!(restart("any").as_deref(), Some("always"));
    assert_eq!(restart("both").as_deref(), Some("unless-stopped"));
}

#[test]
fn deploy_labels_stay_off_containers() {
    // They label the Swarm service, not its tasks: Docker Compose ignores them.
    let (_dir, desired) = load_yaml(
        "services:\n  web:\n    image: busybox\n    labels: {a: '1'}\n    deploy: {labels: {b: '2'}}\n",
    );
    let web = spec(&desired, "web");
    assert_eq!(web.labels, BTreeMap::from([("a".into(), "1".into())]));
    assert!(!web.identity_labels.contains_key("b"));
}

#[test]
fn gpus_and_reserved_devices_become_device_requests() {
    let (_dir, desired) = load_yaml(
        "services:
  web:
    image: busybox
    gpus: all
    deploy:
      resources:
        reservations:
          devices:
            - {driver: nvidia, device_ids: ['0'], capabilities: [gpu, utility]}
",
    );
    assert_eq!(
        spec(&desired, "web").device_requests,
        vec![
            DeviceRequestSpec {
                count: -1,
                capabilities: vec!["gpu".into()],
                ..Default::default()
            },
            DeviceRequestSpec {
                driver: "nvidia".into(),
                device_ids: vec!["0".into()],
                capabilities: vec!["gpu".into(), "utility".into()],
                ..Default::default()
            },
        ]
    );
}

#[test]
fn mounts_keep_what_decides_binds_or_mounts() {
    let (_dir, desired) = load_yaml(
        "services:
  web:
    image: busybox
    volumes:
      - ./data:/data:z
      - data:/named:Z
      - type: bind
        source: ./plain
        target: /plain
      - type: bind
        source: ./labelled
        target: /labelled
        bind: {selinux: Z, recursive: disabled}
      - type: volume
        source: data
        target: /tagged
        volume: {labels: {a: b}}
volumes:
  data:
",
    );
    let mounts = &spec(&desired, "web").mounts;
    assert_eq!(
        (mounts[0].selinux.as_str(), mounts[0].create_host_path),
        ("z", true)
    );
    assert_eq!(mounts[1].selinux, "Z");
    // No `bind` options: Docker Compose's `Binds` entry makes the directory.
    assert!(mounts[2].create_host_path);
    assert_eq!(
        (mounts[3].create_host_path, mounts[3].recursive.as_str()),
        (false, "disabled")
    );
    assert_eq!(
        mounts[4].volume_labels,
        BTreeMap::from([("a".to_string(), "b".to_string())])
    );
}

#[test]
fn cpus_become_nano_cpus_as_docker_compose_computes_them() {
    // What Docker Compose v2.40.3 sent for each value (its create request).
    for (cpus, nano) in [
        (0.1, 100_000_000),
        (0.2, 200_000_000),
        (0.3, 300_000_000),
        (0.5, 500_000_000),
        (0.7, 700_000_000),
        (1.1, 1_100_000_000),
        (1.5, 1_500_000_000),
        (2.33, 2_329_999_872),
        (0.05, 50_000_000),
        (0.001, 1_000_000),
    ] {
        assert_eq!(nano_cpus(cpus), nano, "cpus {cpus}");
    }
}

#[test]
fn a_seccomp_profile_is_sent_as_its_json() {
    let (dir, _) = load_yaml("services: {}\n");
    std::fs::write(
        dir.path().join("profile.json"),
        "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\"\n}\n",
    )
    .unwrap();
    let dir_text = dir.path().display().to_string();
    assert_eq!(
        security_option("seccomp:profile.json", &dir_text).unwrap(),
        r#"seccomp={"defaultAction":"SCMP_ACT_ALLOW"}"#
    );
    // Key order and spelling are kept, as Go's json.Compact does.
    std::fs::write(
        dir.path().join("ordered.json"),
        "{ \"z\": [1.50, \"a b\\\" c\"],\n\t\"a\": {} }",
    )
    .unwrap();
    assert_eq!(
        security_option("seccomp=ordered.json", &dir_text).unwrap(),
        r#"seccomp={"z":[1.50,"a b\" c"],"a":{}}"#
    );
    // Everything else goes as written, `:` or `=`.
    for option in [
        "no-new-privileges:true",
        "no-new-privileges",
        "label=disable",
        "label:type:svirt_apache_t",
        "seccomp:unconfined",
    ] {
        assert_eq!(security_option(option, &dir_text).unwrap(), option);
    }
    assert!(security_option("nonsense", &dir_text).is_err());
    assert!(security_option("seccomp=missing.json", &dir_text).is_err());
}

#[test]
fn windows_only_keys_and_foreign_platforms_warn_where_they_are_set() {
    let (_dir, desired) = load_yaml(
        "services:
  web:
    image: busybox
    cpu_count: 2
    platform: linux/arm64/v8
  other:
    image: busybox
    platform: linux/amd64
",
    );
    assert!(desired.has_platform_dependent_keys());
    let windows = desired.windows_only("linux/amd64");
    assert_eq!(windows.len(), 1, "{windows:?}");
    assert!(
        windows[0].contains("cpu_count applies to Windows"),
        "{windows:?}"
    );
    assert!(windows[0].ends_with("compose.yaml:4:5)"), "{windows:?}");
    assert!(desired.windows_only("windows/amd64").is_empty());

    let foreign = desired.foreign_platforms("linux/amd64", |_| true);
    assert_eq!(foreign.len(), 1, "{foreign:?}");
    assert!(foreign[0].starts_with("service \"web\": platform linux/arm64/v8"));
    assert!(foreign[0].ends_with("compose.yaml:5:5)"), "{foreign:?}");
    // An image still to pull is pulled for the platform asked for.
    assert!(
        desired
            .foreign_platforms("linux/amd64", |_| false)
            .is_empty()
    );
    assert_eq!(desired.foreign_platforms("linux/arm64", |_| true).len(), 1);
}

#[test]
fn cdi_device_names_become_a_cdi_device_request() {
    let (_dir, desired) = load_yaml(
        "services:\n  web:\n    image: busybox\n    devices:\n      - vendor.com/class=name\n      - /dev/null:/dev/n2:r\n      - nvidia.com/gpu=all\n",
    );
    let web = spec(&desired, "web");
    assert_eq!(web.devices.len(), 1);
    assert_eq!(web.devices[0].source, "/dev/null");
    assert_eq!(
        web.device_requests,
        [DeviceRequestSpec {
            driver: "cdi".into(),
            device_ids: vec!["vendor.com/class=name".into(), "nvidia.com/gpu=all".into()],
            ..Default::default()
        }]
    );
    let (warnings, refusals) = check_gates(&desired.gates, ApiVersion::FLOOR);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(refusals.len(), 2, "{refusals:?}");
    assert!(
        refusals[0].starts_with("services.web.devices.0 needs Docker Engine API 1.44"),
        "{refusals:?}"
    );
    assert!(refusals[0].ends_with("compose.yaml:5:9)"), "{refusals:?}");
    assert!(
        check_gates(&desired.gates, ApiVersion::new(1, 44))
            .1
            .is_empty()
    );
    for path in ["/dev/fuse", "/dev/a=b", "vendor.com/class", "a/b=", "=x"] {
        assert!(!is_cdi_device_name(path), "{path}");
    }
}

#[test]
fn docker_default_platform_is_a_fallback_outside_the_hash() {
    let yaml = "services:\n  web:\n    image: busybox\n  arm:\n    image: busybox\n    platform: linux/arm64\n";
    let (_dir, plain) = load_yaml(yaml);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("compose.yaml"), yaml).unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "DOCKER_DEFAULT_PLATFORM=linux/s390x\n",
    )
    .unwrap();
    let opts = LoadOptions {
        cwd: dir.path().to_path_buf(),
        project_name: Some("p".into()),
        ..Default::default()
    };
    let defaulted = from_loaded(load::load(&opts).unwrap()).unwrap();
    assert_eq!(spec(&defaulted, "web").platform_to_use(), "linux/s390x");
    assert_eq!(spec(&defaulted, "arm").platform_to_use(), "linux/arm64");
    assert_eq!(spec(&plain, "web").platform_to_use(), "");
    // Setting the variable recreates nothing.
    let hash = |d: &Desired| crate::engine::spec::canonical_json(spec(d, "web")).1;
    assert_eq!(hash(&plain), hash(&defaulted));
    let warned = defaulted.foreign_platforms("linux/amd64", |_| true);
    assert!(
        warned
            .iter()
            .any(|w| w.contains("(from DOCKER_DEFAULT_PLATFORM)")),
        "{warned:?}"
    );
}

#[test]
fn service_keys_for_newer_engines_are_gates_that_point_at_the_file() {
    let (_dir, desired) = load_yaml(
        "services:
  web:
    image: busybox
    healthcheck:
      test: [CMD, 'true']
      start_interval: 1s
    annotations: {a: '1'}
  plain:
    image: busybox
",
    );
    let (warnings, refusals) = check_gates(&desired.gates, ApiVersion::FLOOR);
    assert!(refusals.is_empty(), "{refusals:?}");
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].starts_with("services.web.annotations needs Docker Engine API 1.43"),
        "{warnings:?}"
    );
    assert!(warnings[0].ends_with("compose.yaml:7:5)"), "{warnings:?}");
    assert!(
        warnings[1].starts_with("services.web.healthcheck.start_interval needs"),
        "{warnings:?}"
    );
    assert!(warnings[1].ends_with("compose.yaml:6:7)"), "{warnings:?}");
    let (warnings, _) = check_gates(&desired.gates, ApiVersion::new(1, 44));
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn gates_warn_or_refuse_only_below_their_version() {
    let gates = [
        Gate::new(ApiVersion::GW_PRIORITY, path(&["a"]), "ignored", false),
        Gate::new(ApiVersion::VOLUME_SUBPATH, path(&["b"]), "unsafe", true),
    ];
    let (warned, refused) = check_gates(&gates, ApiVersion::new(1, 41));
    assert_eq!(
        warned,
        ["a needs Docker Engine API 1.48 or newer, this engine speaks 1.41: ignored"]
    );
    assert_eq!(refused.len(), 1);
    let (warned, refused) = check_gates(&gates, ApiVersion::new(1, 45));
    assert_eq!((warned.len(), refused.len()), (1, 0));
    let (warned, refused) = check_gates(&gates, ApiVersion::new(1, 48));
    assert!(warned.is_empty() && refused.is_empty());
}
