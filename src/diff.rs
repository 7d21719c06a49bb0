//! Comparing two checks — two workspaces, or two packages of one — by finding identity:
//! what a proposal adds, resolves and keeps, and how it changes the coverage of objectives.

use crate::check::CheckResult;
use crate::findings::Finding;
use crate::graph::PolicyGraph;
use std::collections::{BTreeMap, BTreeSet};

/// How an objective is served: in-scope instruments that advance it (effect ≥ +1), those
/// that work against it (effect ≤ −1), and the sum of all their effects.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    pub instruments: usize,
    pub against: usize,
    pub effect_sum: i64,
}

/// One objective whose coverage differs between the two sides.
#[derive(Clone, Debug, PartialEq)]
pub struct CoverageChange {
    pub objective: String,
    pub base: Option<Coverage>,
    pub proposal: Option<Coverage>,
}

/// The difference between a base and a proposal.
#[derive(Debug, Default)]
pub struct Diff {
    pub new: Vec<Finding>,
    pub resolved: Vec<Finding>,
    pub persisting: Vec<Finding>,
    pub coverage: Vec<CoverageChange>,
}

fn coverage(g: &PolicyGraph) -> BTreeMap<String, Coverage> {
    g.model
        .objectives
        .iter()
        .enumerate()
        .filter(|(o, _)| g.objective_in_scope[*o])
        .map(|(o, objective)| {
            let acting = g.acting_on(o as u32, -3, 3);
            let c = Coverage {
                instruments: acting.iter().filter(|(_, e)| *e >= 1).count(),
                against: acting.iter().filter(|(_, e)| *e <= -1).count(),
                effect_sum: acting.iter().map(|(_, e)| *e as i64).sum(),
            };
            (objective.id.value.to_string(), c)
        })
        .collect()
}

/// Compares two finished checks.
pub fn compare(base: &CheckResult, proposal: &CheckResult) -> Diff {
    let base_keys: BTreeSet<String> = base.findings.iter().map(Finding::key).collect();
    let proposal_keys: BTreeSet<String> = proposal.findings.iter().map(Finding::key).collect();
    let mut diff = Diff::default();
    for f in &proposal.findings {
        if base_keys.contains(&f.key()) {
            diff.persisting.push(f.clone());
        } else {
            diff.new.push(f.clone());
        }
    }
    diff.resolved = base
        .findings
        .iter()
        .filter(|f| !proposal_keys.contains(&f.key()))
        .cloned()
        .collect();
    if let (Some(a), Some(b)) = (&base.graph, &proposal.graph) {
        let (a, b) = (coverage(a), coverage(b));
        let objectives: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        for objective in objectives {
            let (before, after) = (a.get(objective).copied(), b.get(objective).copied());
            if before != after {
                diff.coverage.push(CoverageChange {
                    objective: objective.clone(),
                    base: before,
                    proposal: after,
                });
            }
        }
    }
    diff
}
