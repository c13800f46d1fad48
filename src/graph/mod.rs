//! The project graph: services, networks, volumes, secrets and configs, and
//! the typed edges between them (`depends_on`, `links`, `service:`
//! namespaces, `volumes_from`, and the resources each service uses).
//!
//! It is built once from the loaded model (`crate::load::graph`),
//! checked for cycles there, and carried on with the project, so that the
//! loader, `config`, the planner and `alpha viz` all read one graph: the
//! order of services, who depends on whom, and which cycle to report.

mod cycle;

use std::collections::BTreeSet;

use petgraph::Direction;
use petgraph::graph::{DiGraph, EdgeReference, NodeIndex};
use petgraph::visit::{
    Dfs, DfsPostOrder, EdgeFiltered, EdgeRef, IntoNeighbors, Reversed, Visitable,
};

use crate::diag::Span;
/// A name as the loader keeps it: inline when short.
pub type Text = compact_str::CompactString;

pub use cycle::{Cycle, Hop};

/// What a node of the graph stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjectKind {
    Service,
    Network,
    Volume,
    Secret,
    Config,
}

/// Every kind, in the order their nodes are stored.
const KINDS: [ObjectKind; 5] = [
    ObjectKind::Service,
    ObjectKind::Network,
    ObjectKind::Volume,
    ObjectKind::Secret,
    ObjectKind::Config,
];

/// A node: one service or top-level resource, by its key in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Object {
    pub kind: ObjectKind,
    /// Stored inline when short, as the loader's keys are: no allocation
    /// per node for the names most files use.
    pub name: Text,
}

/// The condition of a `depends_on` entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Condition {
    Started,
    Healthy,
    CompletedSuccessfully,
}

impl Condition {
    /// Compose's spelling; anything else counts as `service_started`.
    pub fn parse(text: &str) -> Condition {
        match text {
            "service_healthy" => Condition::Healthy,
            "service_completed_successfully" => Condition::CompletedSuccessfully,
            _ => Condition::Started,
        }
    }
}

/// The namespace a `service:x` reference shares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Namespace {
    Network,
    Ipc,
    Pid,
    Uts,
    Cgroup,
}

impl Namespace {
    /// The service key that names it (`network_mode`, `ipc`...).
    pub fn key(self) -> &'static str {
        match self {
            Namespace::Network => "network_mode",
            Namespace::Ipc => "ipc",
            Namespace::Pid => "pid",
            Namespace::Uts => "uts",
            Namespace::Cgroup => "cgroup",
        }
    }
}

/// Why one object needs another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    /// A `depends_on` entry the file wrote.
    DependsOn {
        condition: Condition,
        required: bool,
        restart: bool,
    },
    /// `links: [x]`.
    Link,
    /// `network_mode`, `ipc`, `pid`, `uts` or `cgroup`: `service:x`.
    Namespace(Namespace),
    /// `volumes_from: [x]`.
    VolumesFrom,
    UsesNetwork,
    UsesVolume,
    UsesSecret,
    UsesConfig,
}

impl EdgeKind {
    /// Whether the edge orders services: the dependent's containers come
    /// after the dependency's.
    pub fn is_service_dependency(self) -> bool {
        !matches!(
            self,
            EdgeKind::UsesNetwork
                | EdgeKind::UsesVolume
                | EdgeKind::UsesSecret
                | EdgeKind::UsesConfig
        )
    }

    /// Whether the dependent restarts when its dependency is recreated:
    /// `depends_on` says so with `restart`; a link or a shared namespace
    /// always does; shared volumes do not.
    pub fn restarts_with_dependency(self) -> bool {
        match self {
            EdgeKind::DependsOn { restart, .. } => restart,
            EdgeKind::Link | EdgeKind::Namespace(_) => true,
            _ => false,
        }
    }

    /// The key of the file that made the edge, for people.
    pub fn describe(self) -> &'static str {
        match self {
            EdgeKind::DependsOn { .. } => "depends_on",
            EdgeKind::Link => "links",
            EdgeKind::Namespace(ns) => ns.key(),
            EdgeKind::VolumesFrom => "volumes_from",
            EdgeKind::UsesNetwork => "networks",
            EdgeKind::UsesVolume => "volumes",
            EdgeKind::UsesSecret => "secrets",
            EdgeKind::UsesConfig => "configs",
        }
    }
}

/// An edge from the object that needs to the object it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edge {
    pub kind: EdgeKind,
    /// Where the file makes it (`Span::NONE` when made up).
    pub at: Span,
    /// Its place among the edges its source declares, in file order.
    pub ordinal: u32,
}

/// The graph of one project.
///
/// Nodes are stored kind by kind ([`KINDS`]), each kind sorted by name, so a
/// name is found by binary search and no map is kept beside the graph.
/// Edges of a node are inserted by the target's name, which makes every
/// walk visit dependencies in name order (Docker Compose's tie-break).
#[derive(Clone, Debug, Default)]
pub struct ProjectGraph {
    graph: DiGraph<Object, Edge>,
    /// Index of the first node of each kind, and the node count last.
    starts: [usize; 6],
}

/// The graph seen through its service-to-service edges only.
type ServiceView<'a> = EdgeFiltered<&'a DiGraph<Object, Edge>, fn(EdgeReference<'_, Edge>) -> bool>;

fn orders_services(e: EdgeReference<'_, Edge>) -> bool {
    e.weight().kind.is_service_dependency()
}

impl ProjectGraph {
    /// A graph of `names` (services, networks, volumes, secrets, configs,
    /// in that order), without edges yet.
    pub fn with_objects(names: [Vec<Text>; 5]) -> ProjectGraph {
        let mut graph = DiGraph::with_capacity(names.iter().map(Vec::len).sum(), 0);
        let mut starts = [0; 6];
        for (k, (kind, mut names)) in KINDS.iter().zip(names).enumerate() {
            starts[k] = graph.node_count();
            names.sort_unstable();
            for name in names {
                graph.add_node(Object { kind: *kind, name });
            }
        }
        starts[5] = graph.node_count();
        ProjectGraph { graph, starts }
    }

    /// Makes room for exactly `count` more edges: a thousand services make
    /// thousands of edges, and a grown list would leave up to half unused.
    pub fn reserve_edges(&mut self, count: usize) {
        self.graph.reserve_exact_edges(count);
    }

    /// Adds `edges` (from, to, edge), in their order.
    pub fn add_edges(&mut self, edges: impl IntoIterator<Item = (NodeIndex, NodeIndex, Edge)>) {
        for (from, to, edge) in edges {
            self.graph.add_edge(from, to, edge);
        }
    }

    /// The node of `name` of `kind`.
    pub fn find(&self, kind: ObjectKind, name: &str) -> Option<NodeIndex> {
        let k = KINDS.iter().position(|k| *k == kind)?;
        let (start, end) = (self.starts[k], self.starts[k + 1]);
        let range = &self.graph.raw_nodes()[start..end];
        range
            .binary_search_by(|n| n.weight.name.as_str().cmp(name))
            .ok()
            .map(|i| NodeIndex::new(start + i))
    }

    fn service(&self, name: &str) -> Option<NodeIndex> {
        self.find(ObjectKind::Service, name)
    }

    fn name(&self, node: NodeIndex) -> &str {
        &self.graph[node].name
    }

    /// The service names, sorted.
    pub fn services(&self) -> impl Iterator<Item = &str> {
        self.graph.raw_nodes()[..self.starts[1]]
            .iter()
            .map(|n| n.weight.name.as_str())
    }

    fn service_view(&self) -> ServiceView<'_> {
        EdgeFiltered(
            &self.graph,
            orders_services as fn(EdgeReference<'_, Edge>) -> bool,
        )
    }

    /// Services with their dependencies first, independent ones by name.
    pub fn dependency_order(&self) -> Vec<&str> {
        self.dependency_order_of(|_| true)
    }

    /// [`ProjectGraph::dependency_order`] of the services `keep` accepts,
    /// as if the others were not in the project (nor the edges through them).
    pub fn dependency_order_of(&self, keep: impl Fn(&str) -> bool) -> Vec<&str> {
        let view = EdgeFiltered::from_fn(&self.graph, |e: EdgeReference<'_, Edge>| {
            orders_services(e) && keep(self.name(e.source())) && keep(self.name(e.target()))
        });
        let mut order = Vec::with_capacity(self.starts[1]);
        // A post-order walk from each root in name order: dependencies first.
        let mut dfs = DfsPostOrder::empty(&view);
        for root in (0..self.starts[1]).map(NodeIndex::new) {
            if !keep(self.name(root)) {
                continue;
            }
            dfs.move_to(root);
            while let Some(node) = dfs.next(&view) {
                order.push(self.name(node));
            }
        }
        order
    }

    /// Services with their dependents first: the order to stop them in.
    pub fn dependents_first(&self) -> Vec<&str> {
        let mut order = self.dependency_order();
        order.reverse();
        order
    }

    /// `names` and every service they depend on, directly or not (what
    /// `up svc` brings up). Unknown names are left out.
    pub fn with_dependencies<'a>(&'a self, names: &[String]) -> BTreeSet<&'a str> {
        let view = self.service_view();
        let mut dfs = Dfs::empty(&view);
        self.closure(names, &view, &mut dfs)
    }

    /// `names` and every service that depends on them, directly or not
    /// (what goes down with `stop svc`). Unknown names are left out.
    pub fn with_dependents<'a>(&'a self, names: &[String]) -> BTreeSet<&'a str> {
        self.with_dependents_by(names, |_| true)
    }

    /// [`ProjectGraph::with_dependents`] through the edges `follow` accepts
    /// only (`restart` follows those that restart with their dependency).
    pub fn with_dependents_by<'a>(
        &'a self,
        names: &[String],
        follow: impl Fn(&Edge) -> bool,
    ) -> BTreeSet<&'a str> {
        let view = EdgeFiltered::from_fn(&self.graph, |e: EdgeReference<'_, Edge>| {
            orders_services(e) && follow(e.weight())
        });
        let reversed = Reversed(&view);
        let mut dfs = Dfs::empty(reversed);
        self.closure(names, reversed, &mut dfs)
    }

    /// Every service a depth-first walk of `view` reaches from `names`.
    fn closure<'a, G>(
        &'a self,
        names: &[String],
        view: G,
        dfs: &mut Dfs<NodeIndex, G::Map>,
    ) -> BTreeSet<&'a str>
    where
        G: IntoNeighbors<NodeId = NodeIndex> + Visitable,
    {
        let mut found = BTreeSet::new();
        for start in names.iter().filter_map(|n| self.service(n)) {
            dfs.move_to(start);
            while let Some(node) = dfs.next(view) {
                found.insert(self.name(node));
            }
        }
        found
    }

    /// The services `service` needs, with the edge that says so, in the
    /// order the file declares them.
    pub fn dependencies(&self, service: &str) -> Vec<(&str, &Edge)> {
        self.neighbours(service, Direction::Outgoing)
    }

    /// The services that need `service`, with the edge that says so.
    pub fn dependents(&self, service: &str) -> Vec<(&str, &Edge)> {
        self.neighbours(service, Direction::Incoming)
    }

    fn neighbours(&self, service: &str, direction: Direction) -> Vec<(&str, &Edge)> {
        let Some(node) = self.service(service) else {
            return Vec::new();
        };
        let mut found: Vec<(&str, &Edge)> = self
            .graph
            .edges_directed(node, direction)
            .filter(|e| orders_services(*e))
            .map(|e| {
                let other = match direction {
                    Direction::Outgoing => e.target(),
                    Direction::Incoming => e.source(),
                };
                (self.name(other), e.weight())
            })
            .collect();
        // A service's own edges in file order; the edges into it by service.
        match direction {
            Direction::Outgoing => found.sort_by_key(|(name, e)| (e.ordinal, *name)),
            Direction::Incoming => found.sort_by_key(|(name, e)| (*name, e.ordinal)),
        }
        found
    }

    /// The first cycle among the services, if any: the one through the
    /// service first by name, shortest, with the edge of every hop.
    pub fn cycle(&self) -> Option<Cycle> {
        cycle::find(self)
    }
}

#[cfg(test)]
mod tests;
