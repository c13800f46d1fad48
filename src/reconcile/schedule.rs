//! The order a plan runs in: its action DAG (petgraph), and the queue the
//! executor takes actions from. An action is ready once every action it
//! comes after is done; one that failed or was never run leaves its
//! dependents waiting, so they never run.

use std::collections::VecDeque;

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};

use super::plan::Plan;

/// The plan's actions as a DAG: node `i` is action `i`, and an edge goes
/// from an action to each action that comes after it.
pub type ActionDag = DiGraph<usize, ()>;

impl Plan {
    /// The DAG of the actions, from their `after` lists.
    pub fn dag(&self) -> ActionDag {
        let edges: usize = self.actions.iter().map(|a| a.after.len()).sum();
        let mut dag = ActionDag::with_capacity(self.actions.len(), edges);
        for action in &self.actions {
            dag.add_node(action.id);
        }
        for action in &self.actions {
            for &before in &action.after {
                dag.add_edge(NodeIndex::new(before), NodeIndex::new(action.id), ());
            }
        }
        dag
    }
}

/// Which actions may start: those whose predecessors are all done.
pub struct Schedule {
    dag: ActionDag,
    /// Per action, how many of its predecessors are not done yet.
    waiting_for: Vec<usize>,
    /// Ready actions, in the order they became ready (by ID among those
    /// freed by one action).
    ready: VecDeque<usize>,
}

impl Schedule {
    pub fn new(dag: ActionDag) -> Schedule {
        let waiting_for: Vec<usize> = dag
            .node_indices()
            .map(|n| dag.neighbors_directed(n, Direction::Incoming).count())
            .collect();
        let ready = (0..waiting_for.len())
            .filter(|&i| waiting_for[i] == 0)
            .collect();
        Schedule {
            dag,
            waiting_for,
            ready,
        }
    }

    /// The next action that may start, if any.
    pub fn next_ready(&mut self) -> Option<usize> {
        self.ready.pop_front()
    }

    /// Marks `id` done: the actions waiting only for it become ready.
    pub fn done(&mut self, id: usize) {
        let mut freed: Vec<usize> = Vec::new();
        for next in self
            .dag
            .neighbors_directed(NodeIndex::new(id), Direction::Outgoing)
        {
            let next = next.index();
            self.waiting_for[next] -= 1;
            if self.waiting_for[next] == 0 {
                freed.push(next);
            }
        }
        freed.sort_unstable();
        self.ready.extend(freed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::plan::Op;

    fn plan(afters: &[&[usize]]) -> Plan {
        let mut plan = Plan::default();
        for (i, after) in afters.iter().enumerate() {
            let op = Op::RemoveVolume {
                name: format!("v{i}"),
            };
            plan.push(op, after.to_vec(), "test");
        }
        plan
    }

    fn drain(schedule: &mut Schedule) -> Vec<usize> {
        std::iter::from_fn(|| schedule.next_ready()).collect()
    }

    #[test]
    fn an_action_is_ready_once_all_it_comes_after_are_done() {
        let mut schedule = Schedule::new(plan(&[&[], &[], &[0, 1], &[0], &[2, 3]]).dag());
        assert_eq!(drain(&mut schedule), [0, 1]);
        schedule.done(1);
        assert_eq!(drain(&mut schedule), Vec::<usize>::new());
        schedule.done(0);
        assert_eq!(drain(&mut schedule), [2, 3]);
        schedule.done(3);
        assert_eq!(drain(&mut schedule), Vec::<usize>::new());
        schedule.done(2);
        assert_eq!(drain(&mut schedule), [4]);
    }

    #[test]
    fn the_dag_has_an_edge_per_after() {
        let dag = plan(&[&[], &[0], &[0, 1]]).dag();
        assert_eq!(dag.node_count(), 3);
        assert_eq!(dag.edge_count(), 3);
        assert!(petgraph::algo::toposort(&dag, None).is_ok());
    }
}
