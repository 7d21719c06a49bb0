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

/// What a comparison needs of one finished check: its findings, and how each objective in
/// scope is served. Taken out of the check, so that the check's graph can be freed before
/// the other side is checked: a national workspace's graph is most of its memory.
#[derive(Debug, Default)]
pub struct Side {
    pub findings: Vec<Finding>,
    /// `None` for a check that built no graph.
    coverage: Option<BTreeMap<String, Coverage>>,
}

impl Side {
    /// Takes the findings out of `result` and reads the coverage of its graph.
    pub fn take(result: &mut CheckResult) -> Side {
        Side {
            coverage: result.graph.as_deref().map(coverage),
            findings: std::mem::take(&mut result.findings),
        }
    }
}

/// Compares two finished checks.
pub fn compare(base: Side, proposal: Side) -> Diff {
    let base_keys: BTreeSet<String> = base.findings.iter().map(Finding::key).collect();
    let proposal_keys: BTreeSet<String> = proposal.findings.iter().map(Finding::key).collect();
    let mut diff = Diff::default();
    for f in proposal.findings {
        if base_keys.contains(&f.key()) {
            diff.persisting.push(f);
        } else {
            diff.new.push(f);
        }
    }
    diff.resolved = base
        .findings
        .into_iter()
        .filter(|f| !proposal_keys.contains(&f.key()))
        .collect();
    if let (Some(a), Some(b)) = (&base.coverage, &proposal.coverage) {
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
