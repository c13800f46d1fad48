//! The conversion of a project into a stack, and the plans made from it,
//! as snapshots of what is sent and printed.

use crate::engine::swarm::{SwarmObject, SwarmService};
use crate::load::{self, LoadOptions};
use crate::swarm::load::{Converted, stack};
use crate::swarm::observe::Observed;
use crate::swarm::plan::{self, Options};

const FULL: &str = r#"
name: shop
services:
  web:
    image: registry.example/web:${TAG}
    command: ["serve", "--port", "80"]
    entrypoint: ["/bin/app"]
    environment:
      MODE: production
    labels:
      tier: front
    ports:
      - "8080:80"
      - target: 9000
        published: 9000
        mode: host
    configs:
      - source: page
        target: /srv/page.html
    secrets:
      - source: token
        mode: 0400
        uid: "100"
    volumes:
      - data:/data
      - ./static:/static:ro
      - type: tmpfs
        target: /cache
        tmpfs:
          size: 1m
    healthcheck:
      test: ["CMD", "true"]
      interval: 2s
    depends_on:
      db:
        condition: service_healthy
      migrate:
        condition: service_completed_successfully
    deploy:
      replicas: 3
      labels:
        team: shop
      resources:
        limits: {cpus: "0.5", memory: 64M, pids: 100}
        reservations: {memory: 32M}
      restart_policy: {condition: on-failure, delay: 5s, max_attempts: 3}
      placement:
        constraints: [node.role==manager]
        preferences: [{spread: node.labels.zone}]
        max_replicas_per_node: 2
      update_config: {parallelism: 2, delay: 1s, order: start-first, failure_action: rollback}
    privileged: true
    cgroup_parent: web
    networks:
      front:
        aliases: [www]
  db:
    image: postgres:16
    networks: [back]
    extra_hosts: ["gateway=10.0.0.1"]
  migrate:
    image: registry.example/web:${TAG}
    command: ["migrate"]
    networks: [back]
  debug:
    image: busybox
    profiles: [debug]
configs:
  page:
    file: ./page.html
secrets:
  token:
    environment: TOKEN
networks:
  front: {attachable: true}
  back:
    driver_opts: {encrypted: "true"}
volumes:
  data: {}
"#;

fn convert(yaml: &str, files: &[(&str, &str)]) -> (tempfile::TempDir, Converted) {
    let dir = tempfile::tempdir().unwrap();
    let converted = convert_in(&dir, yaml, files);
    (dir, converted)
}

fn convert_in(dir: &tempfile::TempDir, yaml: &str, files: &[(&str, &str)]) -> Converted {
    std::fs::write(dir.path().join("compose.yaml"), yaml).unwrap();
    std::fs::write(dir.path().join(".env"), "TAG=1.2\nTOKEN=t0k3n\n").unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let opts = LoadOptions {
        cwd: dir.path().to_path_buf(),
        ..Default::default()
    };
    let loaded = load::load(&opts).unwrap_or_else(|e| panic!("{}", e.render(false, false)));
    stack(&loaded, "shop", false, false).unwrap_or_else(|e| panic!("{}", e.render(false, false)))
}

/// What `stack config` shows, with the temp directory made stable.
fn shown(converted: &Converted, dir: &std::path::Path) -> String {
    let stack = &converted.stack;
    let value = serde_json::json!({
        "Services": stack.services.values().map(|s| &s.spec).collect::<Vec<_>>(),
        "Networks": stack.networks.iter().map(|n| &n.create).collect::<Vec<_>>(),
        "Configs": stack.configs.iter().map(|o| &o.name).collect::<Vec<_>>(),
        "Secrets": stack.secrets.iter().map(|o| &o.name).collect::<Vec<_>>(),
        "Warnings": converted.warnings.iter().map(|w| &w.message).collect::<Vec<_>>(),
    });
    let text = serde_json::to_string_pretty(&crate::swarm::diff::sorted(value)).unwrap();
    text.replace(&dir.display().to_string(), "<dir>")
}

#[test]
fn a_full_project_as_a_stack() {
    let (dir, converted) = convert(FULL, &[("page.html", "<h1>hi</h1>")]);
    insta::assert_snapshot!(shown(&converted, dir.path()));
}

/// The swarm holding exactly what `converted` sends, as a redeploy finds it.
fn held(converted: &Converted) -> Observed {
    let mut observed = Observed::default();
    let stack = &converted.stack;
    for network in &stack.networks {
        observed.networks.insert(
            network.name.clone(),
            SwarmObject {
                id: format!("id-{}", network.name),
                name: network.name.clone(),
                labels: Default::default(),
            },
        );
    }
    for object in stack.configs.iter().chain(&stack.secrets) {
        let list = if stack.configs.contains(object) {
            &mut observed.configs
        } else {
            &mut observed.secrets
        };
        list.push(SwarmObject {
            id: format!("id-{}", object.name),
            name: object.name.clone(),
            labels: object.labels.clone(),
        });
    }
    let ids = observed.object_ids();
    for service in stack.services.values() {
        let mut spec = service.spec.clone();
        crate::swarm::convert::fill_ids(&mut spec, &ids);
        observed.services.insert(
            service.name.clone(),
            SwarmService {
                id: format!("id-{}", service.name),
                name: service.name.clone(),
                version: 7,
                spec,
                update_state: String::new(),
                update_message: String::new(),
                running: 0,
                desired: 0,
                completed: 0,
            },
        );
    }
    observed
}

#[test]
fn a_first_deploy_creates_objects_then_services_in_dependency_order() {
    let (_dir, converted) = convert(FULL, &[("page.html", "<h1>hi</h1>")]);
    let plan = plan::plan(&converted.stack, &Observed::default(), Options::default()).unwrap();
    insta::assert_snapshot!(plan.to_string());
}

#[test]
fn an_unchanged_redeploy_plans_nothing() {
    let (_dir, converted) = convert(FULL, &[("page.html", "<h1>hi</h1>")]);
    let observed = held(&converted);
    let plan = plan::plan(&converted.stack, &observed, Options::default()).unwrap();
    assert!(plan.is_empty(), "{plan}");
}

#[test]
fn a_changed_file_updates_only_what_differs_and_says_why() {
    let (dir, before) = convert(FULL, &[("page.html", "<h1>hi</h1>")]);
    let mut observed = held(&before);
    observed.services.insert(
        "shop_old".into(),
        SwarmService {
            id: "id-shop_old".into(),
            name: "shop_old".into(),
            ..observed.services["shop_db"].clone()
        },
    );
    let changed = FULL
        .replace("replicas: 3", "replicas: 4")
        .replace("MODE: production", "MODE: staging")
        .replace("interval: 2s", "interval: 3s");
    let after = convert_in(&dir, &changed, &[("page.html", "<h1>hello</h1>")]);
    let plan = plan::plan(&after.stack, &observed, Options { prune: true }).unwrap();
    insta::assert_snapshot!(plan.to_string());
}

#[test]
fn strict_refuses_what_a_swarm_cannot_honour_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  web:\n    image: busybox\n    privileged: true\n",
    )
    .unwrap();
    let opts = LoadOptions {
        cwd: dir.path().to_path_buf(),
        project_name: Some("p".into()),
        ..Default::default()
    };
    let loaded = load::load(&opts).unwrap();
    let Err(errors) = stack(&loaded, "p", true, false) else {
        panic!("--strict accepted privileged");
    };
    let text = errors.render(false, false);
    assert!(text.contains("privileged is not applied"), "{text}");
    assert!(text.contains("compose.yaml:4:5"), "{text}");
}

#[test]
fn a_changed_config_under_an_explicit_name_is_refused_with_the_fix() {
    let file = "services:\n  web:\n    image: busybox\n    configs: [page]\nconfigs:\n  page:\n    name: fixed_page\n    file: ./page.html\n";
    let (dir, before) = convert(file, &[("page.html", "one")]);
    let observed = held(&before);
    let same = convert_in(&dir, file, &[("page.html", "one")]);
    assert!(plan::plan(&same.stack, &observed, Options::default()).is_ok());
    let changed = convert_in(&dir, file, &[("page.html", "two")]);
    let Err(error) = plan::plan(&changed.stack, &observed, Options::default()) else {
        panic!("a changed config kept under its explicit name was accepted");
    };
    assert!(
        error.message.contains("\"page\" changed"),
        "{}",
        error.message
    );
    assert!(error.message.contains("fixed_page"), "{}", error.message);
    assert!(error.hint.contains("new `name:`"), "{}", error.hint);
}
