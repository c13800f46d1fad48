//! The project graph of the loaded model: its services and resources, and
//! the edges its keys make (`crate::graph` holds the graph itself and
//! knows nothing of the loader's tree).

use petgraph::graph::NodeIndex;

use crate::diag::Span;
use crate::graph::{Condition, Edge, EdgeKind, Namespace, ObjectKind, ProjectGraph};
use crate::load::node::{Map, Node};

/// The namespaces a service can share with another, by key.
const NAMESPACES: [Namespace; 5] = [
    Namespace::Network,
    Namespace::Ipc,
    Namespace::Pid,
    Namespace::Uts,
    Namespace::Cgroup,
];

/// An edge before insertion: (source, target, edge).
type Pending = (NodeIndex, NodeIndex, Edge);

/// The graph of the services and resources of `model` (the loader's
/// tree). Edges to what the model does not define are left out: the
/// consistency checks report them.
///
/// The normaliser folds `links`, `service:` namespaces and `volumes_from`
/// into `depends_on`; an entry it made carries the span of the reference it
/// came from, which gives the edge its kind back.
pub fn project_graph(model: &Node) -> ProjectGraph {
    let empty = Map::default();
    let section = |k: &str| model.get(k).and_then(Node::as_map).unwrap_or(&empty);
    let sections = ["services", "networks", "volumes", "secrets", "configs"].map(section);
    let mut graph =
        ProjectGraph::with_objects(sections.map(|s| s.keys().map(|&k| k.into()).collect()));
    // Counted first, then added one service at a time: the graph gets room
    // for exactly its edges, and no list of all of them is kept beside it.
    let mut edges: Vec<Pending> = Vec::new();
    let count: usize = sections[0]
        .iter()
        .map(|(name, service)| {
            edges_of(&graph, name, service, &mut edges);
            edges.len()
        })
        .sum();
    graph.reserve_edges(count);
    for (name, service) in sections[0] {
        edges_of(&graph, name, service, &mut edges);
        graph.add_edges(edges.drain(..));
    }
    graph
}

/// The edges of the service `name` into `edges` (emptied first), by target
/// (services sort first, each kind by name): walks then visit dependencies
/// in name order.
fn edges_of(graph: &ProjectGraph, name: &str, service: &Node, edges: &mut Vec<Pending>) {
    edges.clear();
    let Some(from) = graph.find(ObjectKind::Service, name) else {
        return;
    };
    service_edges(graph, from, service, edges);
    resource_edges(graph, from, service, edges);
    edges.sort_by_key(|(_, to, e)| (*to, e.ordinal));
}

/// One edge per `depends_on` entry naming a service of the project.
fn service_edges(graph: &ProjectGraph, from: NodeIndex, service: &Node, edges: &mut Vec<Pending>) {
    let implied = service.as_map().map(implied_references).unwrap_or_default();
    let entries = service.get("depends_on").and_then(Node::as_map);
    for (ordinal, (dep, entry)) in entries.into_iter().flatten().enumerate() {
        let Some(to) = graph.find(ObjectKind::Service, dep) else {
            continue;
        };
        let kind = implied
            .iter()
            .find(|(target, span, _)| target == dep.as_str() && *span == entry.span)
            .map_or_else(|| depends_on(entry), |(_, _, kind)| *kind);
        edges.push((from, to, edge(kind, entry.key_span(), ordinal)));
    }
}

/// The networks, volumes, secrets and configs `service` uses.
fn resource_edges(graph: &ProjectGraph, from: NodeIndex, service: &Node, edges: &mut Vec<Pending>) {
    let mut used: Vec<(ObjectKind, String, Span)> = Vec::new();
    for (network, n) in service
        .get("networks")
        .and_then(Node::as_map)
        .into_iter()
        .flatten()
    {
        used.push((ObjectKind::Network, network.to_string(), n.key_span()));
    }
    for v in seq(service.get("volumes")) {
        if v.get("type").and_then(Node::as_str) == Some("volume")
            && let Some(source) = v.get("source").and_then(Node::as_str)
        {
            used.push((ObjectKind::Volume, source.to_string(), v.span));
        }
    }
    let build_secrets = service.get("build").and_then(|b| b.get("secrets"));
    let references = [
        (ObjectKind::Secret, service.get("secrets")),
        (ObjectKind::Secret, build_secrets),
        (ObjectKind::Config, service.get("configs")),
    ];
    for (kind, list) in references {
        for r in seq(list) {
            if let Some(source) = r.get("source").and_then(Node::scalar_text) {
                used.push((kind, source, r.span));
            }
        }
    }
    for (i, (kind, name, at)) in used.into_iter().enumerate() {
        let Some(to) = graph.find(kind, &name) else {
            continue;
        };
        let edge_kind = match kind {
            ObjectKind::Network => EdgeKind::UsesNetwork,
            ObjectKind::Volume => EdgeKind::UsesVolume,
            ObjectKind::Secret => EdgeKind::UsesSecret,
            _ => EdgeKind::UsesConfig,
        };
        edges.push((from, to, edge(edge_kind, at, i)));
    }
}

fn edge(kind: EdgeKind, at: Span, ordinal: usize) -> Edge {
    Edge {
        kind,
        at,
        ordinal: u32::try_from(ordinal).unwrap_or(u32::MAX),
    }
}

fn seq(node: Option<&Node>) -> impl Iterator<Item = &Node> {
    node.and_then(Node::as_seq).into_iter().flatten()
}

fn depends_on(entry: &Node) -> EdgeKind {
    EdgeKind::DependsOn {
        condition: Condition::parse(
            entry
                .get("condition")
                .and_then(Node::as_str)
                .unwrap_or_default(),
        ),
        required: entry
            .get("required")
            .and_then(Node::as_bool)
            .unwrap_or(true),
        restart: entry
            .get("restart")
            .and_then(Node::as_bool)
            .unwrap_or(false),
    }
}

/// The service references `depends_on` implies (`links`, `service:`
/// namespaces, `volumes_from`): target, where written, and kind. The
/// normaliser folds exactly these into `depends_on`.
pub(crate) fn implied_references(service: &Map) -> Vec<(String, Span, EdgeKind)> {
    let mut found = Vec::new();
    for link in seq(service.get("links")) {
        let text = link.scalar_text().unwrap_or_default();
        let target = match text.split(':').collect::<Vec<_>>().as_slice() {
            [name, _] => name.to_string(),
            _ => text.clone(),
        };
        found.push((target, link.span, EdgeKind::Link));
    }
    for ns in NAMESPACES {
        if let Some(n) = service.get(ns.key())
            && let Some(target) = n.as_str().and_then(|r| r.strip_prefix("service:"))
        {
            found.push((target.to_string(), n.span, EdgeKind::Namespace(ns)));
        }
    }
    for v in seq(service.get("volumes_from")) {
        let text = v.scalar_text().unwrap_or_default();
        if !text.starts_with("container:") {
            let target = text.split(':').next().unwrap_or_default().to_string();
            found.push((target, v.span, EdgeKind::VolumesFrom));
        }
    }
    found
}
