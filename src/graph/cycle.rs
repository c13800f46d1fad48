//! Finding the cycle to report: strongly connected components (Tarjan),
//! then the shortest way round the one through the first service by name.

use std::fmt;

use petgraph::algo::{astar, is_cyclic_directed, tarjan_scc};
use petgraph::graph::NodeIndex;
use petgraph::visit::{EdgeRef, NodeFiltered};

use super::{EdgeKind, ProjectGraph};
use crate::diag::Span;

/// One hop of a cycle: `from` needs `to`, because of `kind`, written at `at`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hop {
    pub from: String,
    pub to: String,
    pub kind: EdgeKind,
    pub at: Span,
}

/// A cycle of services, each hop with the edge that makes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cycle {
    pub hops: Vec<Hop>,
}

impl fmt::Display for Cycle {
    /// `a -> b -> c -> a`, as Docker Compose names a cycle.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(first) = self.hops.first() else {
            return Ok(());
        };
        f.write_str(&first.from)?;
        for hop in &self.hops {
            write!(f, " -> {}", hop.to)?;
        }
        Ok(())
    }
}

pub(super) fn find(graph: &ProjectGraph) -> Option<Cycle> {
    let view = graph.service_view();
    // The common case, without a component per node.
    if !is_cyclic_directed(&view) {
        return None;
    }
    let self_loop = |n: NodeIndex| {
        graph
            .graph
            .edges_connecting(n, n)
            .any(|e| e.weight().kind.is_service_dependency())
    };
    // Nodes come sorted by name, so the smallest index is the first name.
    let component = tarjan_scc(&view)
        .into_iter()
        .filter(|c| c.len() > 1 || self_loop(c[0]))
        .min_by_key(|c| c.iter().min().copied())?;
    let start = *component.iter().min()?;
    let path = if self_loop(start) {
        vec![start, start]
    } else {
        let inside = NodeFiltered::from_fn(&view, |n| component.contains(&n));
        let mut successors: Vec<NodeIndex> = graph
            .graph
            .edges(start)
            .filter(|e| e.weight().kind.is_service_dependency())
            .map(|e| e.target())
            .filter(|n| component.contains(n))
            .collect();
        successors.sort_unstable();
        successors.dedup();
        let around = successors.into_iter().filter_map(|next| {
            astar(&inside, next, |n| n == start, |_| 1usize, |_| 0).map(|(cost, rest)| {
                let mut path = vec![start];
                path.extend(rest);
                (cost, path)
            })
        });
        // The shortest way round; the first by name among equals.
        around.min_by_key(|(cost, _)| *cost)?.1
    };
    let hops = path
        .windows(2)
        .map(|pair| hop(graph, pair[0], pair[1]))
        .collect();
    Some(Cycle { hops })
}

/// The hop from `from` to `to`, by the first edge its service declares.
fn hop(graph: &ProjectGraph, from: NodeIndex, to: NodeIndex) -> Hop {
    let edge = graph
        .graph
        .edges_connecting(from, to)
        .map(|e| e.weight())
        .filter(|e| e.kind.is_service_dependency())
        .min_by_key(|e| e.ordinal)
        .expect("a hop of a cycle follows an edge");
    Hop {
        from: graph.name(from).to_string(),
        to: graph.name(to).to_string(),
        kind: edge.kind,
        at: edge.at,
    }
}
