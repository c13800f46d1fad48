use super::*;
use crate::reconcile::test_support::loaded;

/// The graph of `yaml` as the loader builds it (cycles let through).
fn graph(yaml: &str) -> ProjectGraph {
    loaded(yaml, |opts| opts.skip_consistency = true).graph
}

fn names(set: BTreeSet<&str>) -> Vec<&str> {
    set.into_iter().collect()
}

#[test]
fn dependencies_come_first_and_ties_go_by_name() {
    let g = graph(
        "name: p\nservices:\n  web: {image: x, depends_on: [db, cache]}\n  db: {image: x}\n  cache: {image: x, depends_on: [db]}\n  alone: {image: x}\n",
    );
    assert_eq!(g.dependency_order(), ["alone", "db", "cache", "web"]);
    assert_eq!(g.dependents_first(), ["web", "cache", "db", "alone"]);
    let without_cache = g.dependency_order_of(|s| s != "cache");
    assert_eq!(without_cache, ["alone", "db", "web"]);
}

#[test]
fn sub_graphs_for_up_and_stop() {
    let g = graph(
        "name: p\nservices:\n  web: {image: x, depends_on: [api]}\n  api: {image: x, links: [db]}\n  db: {image: x}\n  other: {image: x}\n",
    );
    assert_eq!(
        names(g.with_dependencies(&["web".into()])),
        ["api", "db", "web"]
    );
    assert_eq!(
        names(g.with_dependents(&["db".into()])),
        ["api", "db", "web"]
    );
    assert_eq!(
        names(g.with_dependents(&["nope".into()])),
        Vec::<&str>::new()
    );
}

#[test]
fn edges_keep_their_kind() {
    let g = graph(
        "name: p\nservices:\n  a:\n    image: x\n    depends_on: {b: {condition: service_healthy, restart: true}}\n    links: ['c:alias']\n    ipc: 'service:d'\n    volumes_from: ['e:ro', 'container:other']\n  b: {image: x}\n  c: {image: x}\n  d: {image: x}\n  e: {image: x}\n",
    );
    let kinds: Vec<(&str, EdgeKind)> = g
        .dependencies("a")
        .into_iter()
        .map(|(name, e)| (name, e.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            (
                "b",
                EdgeKind::DependsOn {
                    condition: Condition::Healthy,
                    required: true,
                    restart: true
                }
            ),
            ("c", EdgeKind::Link),
            ("d", EdgeKind::Namespace(Namespace::Ipc)),
            ("e", EdgeKind::VolumesFrom),
        ]
    );
    let dependents: Vec<&str> = g.dependents("b").into_iter().map(|(n, _)| n).collect();
    assert_eq!(dependents, ["a"]);
}

#[test]
fn resources_used_are_edges_too_but_do_not_order_services() {
    let g = graph(
        "name: p\nservices:\n  a:\n    image: x\n    networks: [front]\n    volumes: ['data:/d']\n    secrets: [s]\n    configs: [c]\nnetworks: {front: {}}\nvolumes: {data: {}}\nsecrets: {s: {file: ./s}}\nconfigs: {c: {file: ./c}}\n",
    );
    let a = g.find(ObjectKind::Service, "a").unwrap();
    let mut used: Vec<(ObjectKind, &str)> = g
        .graph
        .neighbors(a)
        .map(|n| (g.graph[n].kind, g.graph[n].name.as_str()))
        .collect();
    used.sort();
    assert!(used.contains(&(ObjectKind::Network, "front")), "{used:?}");
    assert!(used.contains(&(ObjectKind::Secret, "s")), "{used:?}");
    assert!(used.contains(&(ObjectKind::Config, "c")), "{used:?}");
    assert!(g.dependencies("a").is_empty());
    assert_eq!(g.dependency_order(), ["a"]);
}

#[test]
fn a_cycle_is_reported_whole_with_every_edge() {
    let g = graph(
        "name: p\nservices:\n  c: {image: x, depends_on: [a]}\n  a: {image: x, depends_on: [b]}\n  b: {image: x, links: [c]}\n  z: {image: x, depends_on: [a]}\n",
    );
    let cycle = g.cycle().unwrap();
    assert_eq!(cycle.to_string(), "a -> b -> c -> a");
    let kinds: Vec<&str> = cycle.hops.iter().map(|h| h.kind.describe()).collect();
    assert_eq!(kinds, ["depends_on", "links", "depends_on"]);
    assert!(cycle.hops.iter().all(|h| h.at.is_known()));
}

#[test]
fn a_service_that_needs_itself_is_a_cycle() {
    let g = graph("name: p\nservices:\n  s: {image: x, depends_on: [s]}\n");
    assert_eq!(g.cycle().unwrap().to_string(), "s -> s");
}

#[test]
fn the_shortest_way_round_is_reported() {
    let g = graph(
        "name: p\nservices:\n  a: {image: x, depends_on: [b, c]}\n  b: {image: x, depends_on: [c]}\n  c: {image: x, depends_on: [a]}\n",
    );
    assert_eq!(g.cycle().unwrap().to_string(), "a -> c -> a");
    assert!(
        graph("name: p\nservices:\n  a: {image: x}\n")
            .cycle()
            .is_none()
    );
}
