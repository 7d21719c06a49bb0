//! Cross-reference checks over the merged model: unique ids, references that lead
//! somewhere, values that make sense together, an objective tree without cycles, and claim
//! predicates that compile.

use super::decode::Located;
use super::entities::Id;
use super::{KINDS, Model};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::load::Loc;
use std::collections::HashMap;
use thiserror::Error;

/// A problem that spans more than one value.
#[derive(Debug, Error, PartialEq)]
pub enum ResolveError {
    #[error("duplicate {kind} id `{id}`")]
    DuplicateId { kind: &'static str, id: String },
    #[error("unknown {kind} `{id}` in `{field}`")]
    Dangling {
        kind: &'static str,
        id: String,
        field: &'static str,
    },
    #[error("{what} ends on `{end}`, before it starts on `{start}`")]
    EndsBeforeStart {
        what: String,
        start: String,
        end: String,
    },
    #[error("objective `{id}` is its own ancestor: {cycle}")]
    ParentCycle { id: String, cycle: String },
    #[error("the predicate of claim `{id}` does not compile: {reason}")]
    BadPredicate { id: String, reason: String },
    #[error("`{field}` is {value}, but it cannot be negative")]
    Negative { field: &'static str, value: f64 },
    #[error("{what} refers to itself in `{field}`")]
    SelfReference { what: String, field: &'static str },
    #[error("primary objective `{id}` is not among the targets of instrument `{instrument}`")]
    PrimaryNotTargeted { id: String, instrument: String },
    #[error("agency `{id}` is {level} but names no `region`")]
    MissingRegion { id: String, level: String },
}

impl ResolveError {
    pub fn code(&self) -> &'static str {
        match self {
            ResolveError::DuplicateId { .. } => "duplicate-id",
            ResolveError::Dangling { .. } => "unknown-reference",
            ResolveError::EndsBeforeStart { .. } => "ends-before-start",
            ResolveError::ParentCycle { .. } => "parent-cycle",
            ResolveError::BadPredicate { .. } => "bad-predicate",
            ResolveError::Negative { .. } => "out-of-range",
            ResolveError::SelfReference { .. } => "self-reference",
            ResolveError::PrimaryNotTargeted { .. } => "primary-not-targeted",
            ResolveError::MissingRegion { .. } => "missing-field",
        }
    }

    fn at(self, loc: Loc) -> Diagnostic {
        Diagnostic::error(self.code(), self.to_string()).at(loc)
    }
}

/// Unknown ids of one kind that are searched for a close known id, at most. Past them the
/// cause is rarely a typo (a file left out, a list pasted from another workspace), and
/// against 100,000 known ids each search takes milliseconds: ten thousand of them would
/// hold `validate` up for half a minute.
pub const MAX_SEARCHED: usize = 1_000;

/// Ids of one kind, for lookups and suggestions.
struct Ids<'m> {
    kind: &'static str,
    map: HashMap<&'m str, &'m Id>,
    sorted: Vec<&'m str>,
    /// Ids declared by entities that failed to decode: already reported, so not dangling.
    broken: Vec<&'m str>,
    /// The suggestion found for each unknown id searched so far (and whether other kinds'
    /// ids were searched too): an id left dangling is often named in several places.
    searched: std::cell::RefCell<HashMap<(String, bool), Option<String>>>,
}

impl<'m> Ids<'m> {
    fn new<T: 'm>(
        kind: &'static str,
        model: &'m Model,
        items: &'m [T],
        id: impl Fn(&'m T) -> &'m Id,
        out: &mut Vec<Diagnostic>,
    ) -> Self {
        let mut map: HashMap<&str, &Id> = HashMap::with_capacity(items.len());
        for item in items {
            let this = id(item);
            if let Some(first) = map.get(this.value.as_str()) {
                out.push(
                    ResolveError::DuplicateId {
                        kind,
                        id: this.value.to_string(),
                    }
                    .at(this.loc)
                    .label("defined again here")
                    .related(first.loc, "first defined here")
                    .hint("ids are unique across all files; rename one of the two"),
                );
            } else {
                map.insert(this.value.as_str(), this);
            }
        }
        let mut sorted: Vec<&str> = map.keys().copied().collect();
        sorted.sort_unstable();
        let plural = KINDS
            .iter()
            .find(|k| singular(k) == kind)
            .copied()
            .unwrap_or_default();
        let broken = model
            .broken_ids
            .iter()
            .filter(|(k, _)| *k == plural)
            .map(|(_, id)| id.as_str())
            .collect();
        Ids {
            kind,
            map,
            sorted,
            broken,
            searched: Default::default(),
        }
    }

    fn contains(&self, id: &str) -> bool {
        self.map.contains_key(id) || self.broken.contains(&id)
    }

    /// Reports `reference` unless it names an id of this kind.
    fn check(&self, reference: &Id, field: &'static str, out: &mut Vec<Diagnostic>) {
        if self.contains(&reference.value) {
            return;
        }
        out.push(self.dangling(reference, field, &[]));
    }

    /// `did you mean` the closest known id, searched once per unknown id and for the first
    /// [`MAX_SEARCHED`] of them.
    fn suggestion(&self, reference: &Id, also: &[&Ids]) -> Option<String> {
        let key = (reference.value.to_string(), !also.is_empty());
        let mut searched = self.searched.borrow_mut();
        if let Some(found) = searched.get(&key) {
            return found.clone();
        }
        if searched.len() >= MAX_SEARCHED {
            return Some(format!(
                "no {kind} has this id; past {MAX_SEARCHED} unknown {kind} ids, the rest are not searched for a close one: is a file of them left out?",
                kind = self.kind
            ));
        }
        let candidates = self
            .sorted
            .iter()
            .chain(also.iter().flat_map(|ids| ids.sorted.iter()))
            .copied();
        let found = did_you_mean(&key.0, candidates);
        searched.insert(key, found.clone());
        found
    }

    fn dangling(&self, reference: &Id, field: &'static str, also: &[&Ids]) -> Diagnostic {
        let hint = self.suggestion(reference, also).unwrap_or_else(|| {
            format!(
                "no {} has this id; check the spelling or declare it",
                self.kind
            )
        });
        ResolveError::Dangling {
            kind: self.kind,
            id: reference.value.to_string(),
            field,
        }
        .at(reference.loc)
        .label(format!("no such {}", self.kind))
        .hint(hint)
    }
}

/// `agencies` → `agency`, for matching broken ids to their kind.
fn singular(plural: &str) -> String {
    match plural.strip_suffix("ies") {
        Some(stem) => format!("{stem}y"),
        None => plural.trim_end_matches('s').to_owned(),
    }
}

/// Runs every cross-reference check and returns the problems found.
pub fn resolve(model: &Model) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let agencies = Ids::new("agency", model, &model.agencies, |a| &a.id, &mut out);
    let objectives = Ids::new("objective", model, &model.objectives, |o| &o.id, &mut out);
    let instruments = Ids::new("instrument", model, &model.instruments, |i| &i.id, &mut out);
    let mechanisms = Ids::new("mechanism", model, &model.mechanisms, |m| &m.id, &mut out);
    let envelopes = Ids::new("envelope", model, &model.envelopes, |e| &e.id, &mut out);
    let indicators = Ids::new("indicator", model, &model.indicators, |i| &i.id, &mut out);
    let claims = Ids::new("claim", model, &model.claims, |c| &c.id, &mut out);
    let packages = Ids::new("package", model, &model.packages, |p| &p.id, &mut out);

    for agency in &model.agencies {
        if agency.level.value != super::Level::Central && agency.region.is_none() {
            out.push(
                ResolveError::MissingRegion {
                    id: agency.id.value.to_string(),
                    level: agency.level.value.to_string(),
                }
                .at(agency.level.loc)
                .label("a local government needs a region")
                .hint("add `region:` with the province or city id, e.g. `region: jiangsu`"),
            );
        }
    }

    for objective in &model.objectives {
        if let Some(parent) = &objective.parent {
            objectives.check(parent, "parent", &mut out);
        }
        if let Some(indicator) = &objective.indicator {
            indicators.check(indicator, "indicator", &mut out);
        }
        if let Some(baseline) = objective.target.as_ref().and_then(|t| {
            t.baseline
                .as_ref()
                .filter(|b| b.year.value > t.year.value)
                .map(|b| (b, t))
        }) {
            out.push(
                ResolveError::EndsBeforeStart {
                    what: format!("the target of objective `{}`", objective.id.value),
                    start: baseline.0.year.value.to_string(),
                    end: baseline.1.year.value.to_string(),
                }
                .at(baseline.1.year.loc)
                .label("target year before the baseline year")
                .hint("a target year comes after its baseline year"),
            );
        }
    }
    check_parent_cycles(model, &mut out);

    for instrument in &model.instruments {
        check_instrument(
            instrument,
            &agencies,
            &objectives,
            &instruments,
            &envelopes,
            &mut out,
        );
    }

    for interaction in &model.interactions {
        for (end, field) in [(&interaction.from, "from"), (&interaction.to, "to")] {
            if !objectives.contains(&end.value) && !instruments.contains(&end.value) {
                out.push(
                    objectives
                        .dangling(end, field, &[&instruments])
                        .label("no objective or instrument has this id"),
                );
            }
        }
    }

    for mechanism in &model.mechanisms {
        for member in &mechanism.members {
            agencies.check(member, "members", &mut out);
        }
        for covered in &mechanism.covers {
            objectives.check(covered, "covers", &mut out);
        }
    }

    for envelope in &model.envelopes {
        check_non_negative(&envelope.total, "total", &mut out);
        if let Some(parent) = &envelope.parent {
            envelopes.check(parent, "parent", &mut out);
            if parent.value == envelope.id.value {
                out.push(self_reference("envelope", &envelope.id, parent, "parent"));
            }
        }
    }

    for indicator in &model.indicators {
        for part in &indicator.identity {
            indicators.check(part, "identity", &mut out);
            if part.value == indicator.id.value {
                out.push(self_reference("indicator", &indicator.id, part, "identity"));
            }
        }
    }

    for claim in &model.claims {
        indicators.check(&claim.indicator, "indicator", &mut out);
        if claim.years.to.value < claim.years.from.value {
            out.push(
                ResolveError::EndsBeforeStart {
                    what: format!("the year range of claim `{}`", claim.id.value),
                    start: claim.years.from.value.to_string(),
                    end: claim.years.to.value.to_string(),
                }
                .at(claim.years.to.loc)
                .label("`to` is before `from`")
                .hint("swap `from` and `to`"),
            );
        }
        if let Err(reason) = crate::claims::compile_predicate(&claim.predicate.value) {
            out.push(
                ResolveError::BadPredicate {
                    id: claim.id.value.to_string(),
                    reason,
                }
                .at(claim.predicate.loc)
                .label("not a valid expression")
                .hint("write a Rhai expression over `value` and `year`, e.g. `value > 50.0`"),
            );
        }
    }

    for package in &model.packages {
        if let Some(lead) = &package.lead {
            agencies.check(lead, "lead", &mut out);
        }
        for member in &package.instruments {
            instruments.check(member, "instruments", &mut out);
        }
        for member in &package.objectives {
            objectives.check(member, "objectives", &mut out);
        }
    }

    let all = [
        &agencies,
        &objectives,
        &instruments,
        &mechanisms,
        &envelopes,
        &indicators,
        &claims,
        &packages,
    ];
    for waiver in &model.waivers {
        for subject in &waiver.subjects.0 {
            if !all.iter().any(|ids| ids.contains(&subject.value)) {
                let candidates = all.iter().flat_map(|ids| ids.sorted.iter().copied());
                let hint = did_you_mean(&subject.value, candidates)
                    .unwrap_or_else(|| "a waiver's subjects are ids of declared entities".into());
                out.push(
                    ResolveError::Dangling {
                        kind: "entity",
                        id: subject.value.to_string(),
                        field: "subjects",
                    }
                    .at(subject.loc)
                    .label("no entity has this id")
                    .hint(hint),
                );
            }
        }
    }
    out
}

fn check_instrument(
    instrument: &super::Instrument,
    agencies: &Ids,
    objectives: &Ids,
    instruments: &Ids,
    envelopes: &Ids,
    out: &mut Vec<Diagnostic>,
) {
    agencies.check(&instrument.owner, "owner", out);
    for co_owner in &instrument.co_owners {
        agencies.check(co_owner, "co_owners", out);
    }
    for target in &instrument.targets {
        objectives.check(&target.objective, "targets.objective", out);
        if let Some(lag) = &target.lag_months {
            check_non_negative(&Located::new(lag.value as f64, lag.loc), "lag_months", out);
        }
    }
    if let Some(budget) = &instrument.budget {
        check_non_negative(&budget.amount, "amount", out);
        if let Some(envelope) = &budget.envelope {
            envelopes.check(envelope, "budget.envelope", out);
        }
    }
    if let Some(horizon) = &instrument.horizon
        && let Some(end) = horizon
            .end
            .as_ref()
            .filter(|e| e.value < horizon.start.value)
    {
        out.push(
            ResolveError::EndsBeforeStart {
                what: format!("the horizon of instrument `{}`", instrument.id.value),
                start: horizon.start.value.to_string(),
                end: end.value.to_string(),
            }
            .at(end.loc)
            .label("`end` is before `start`")
            .hint("`end` is the last day in force; it cannot precede `start`"),
        );
    }
    for share in [&instrument.central_share, &instrument.new_infra_share]
        .into_iter()
        .flatten()
    {
        check_share(share, out);
    }
    let links = instrument
        .requires
        .iter()
        .map(|r| (r, "requires"))
        .chain(
            instrument
                .coordinated_with
                .iter()
                .map(|r| (r, "coordinated_with")),
        )
        .chain(instrument.continues.as_deref().map(|r| (r, "continues")))
        .chain(instrument.replaces.as_deref().map(|r| (r, "replaces")));
    for (link, field) in links {
        instruments.check(link, field, out);
        if link.value == instrument.id.value {
            out.push(self_reference("instrument", &instrument.id, link, field));
        }
    }
    if let Some(primary) = &instrument.primary_objective {
        if !objectives.contains(&primary.value) {
            objectives.check(primary, "primary_objective", out);
        } else if !instrument
            .targets
            .iter()
            .any(|t| t.objective.value == primary.value)
        {
            out.push(
                ResolveError::PrimaryNotTargeted {
                    id: primary.value.to_string(),
                    instrument: instrument.id.value.to_string(),
                }
                .at(primary.loc)
                .label("not one of the `targets`")
                .hint(format!(
                    "add a target on `{}` or name one of the objectives in `targets`",
                    primary.value
                )),
            );
        }
    }
}

fn check_non_negative(value: &Located<f64>, field: &'static str, out: &mut Vec<Diagnostic>) {
    if value.value < 0.0 {
        out.push(
            ResolveError::Negative {
                field,
                value: value.value,
            }
            .at(value.loc)
            .label("negative")
            .hint(format!("`{field}` is zero or more")),
        );
    }
}

fn check_share(value: &Located<f64>, out: &mut Vec<Diagnostic>) {
    if !(0.0..=1.0).contains(&value.value) {
        out.push(
            Diagnostic::error(
                "out-of-range",
                format!("share `{}` is outside 0..1", value.value),
            )
            .at(value.loc)
            .label("expected a fraction from 0 to 1")
            .hint("write shares as fractions: `0.6` for 60%"),
        );
    }
}

fn self_reference(kind: &str, id: &Id, link: &Id, field: &'static str) -> Diagnostic {
    ResolveError::SelfReference {
        what: format!("{kind} `{}`", id.value),
        field,
    }
    .at(link.loc)
    .label("points back at itself")
    .hint(format!("name another {kind} in `{field}`, or remove it"))
}

/// Follows `parent` links from every objective; a walk that comes back to an objective it
/// has seen is a cycle, reported once at the objective whose id sorts first.
fn check_parent_cycles(model: &Model, out: &mut Vec<Diagnostic>) {
    let index: HashMap<&str, usize> = model
        .objectives
        .iter()
        .enumerate()
        .map(|(i, o)| (o.id.value.as_str(), i))
        .collect();
    let parent_of = |i: usize| {
        model.objectives[i]
            .parent
            .as_ref()
            .and_then(|p| index.get(p.value.as_str()).copied())
    };
    // 0 = unvisited, 1 = on the current walk, 2 = done.
    let mut state = vec![0u8; model.objectives.len()];
    for start in 0..model.objectives.len() {
        let mut walk = Vec::new();
        let mut at = Some(start);
        while let Some(i) = at {
            match state[i] {
                2 => break,
                1 => {
                    let from = walk.iter().position(|&w| w == i).unwrap_or(0);
                    report_cycle(model, &walk[from..], out);
                    break;
                }
                _ => {
                    state[i] = 1;
                    walk.push(i);
                    at = parent_of(i);
                }
            }
        }
        for i in walk {
            state[i] = 2;
        }
    }
}

fn report_cycle(model: &Model, cycle: &[usize], out: &mut Vec<Diagnostic>) {
    let Some(&first) = cycle
        .iter()
        .min_by_key(|&&i| model.objectives[i].id.value.as_str())
    else {
        return;
    };
    let rotate = cycle.iter().position(|&i| i == first).unwrap_or(0);
    let ordered: Vec<usize> = cycle[rotate..]
        .iter()
        .chain(&cycle[..rotate])
        .copied()
        .collect();
    let mut names: Vec<String> = ordered
        .iter()
        .map(|&i| format!("`{}`", model.objectives[i].id.value))
        .collect();
    names.push(names[0].clone());
    let objective = &model.objectives[first];
    let Some(parent) = &objective.parent else {
        return;
    };
    out.push(
        ResolveError::ParentCycle {
            id: objective.id.value.to_string(),
            cycle: names.join(" → "),
        }
        .at(parent.loc)
        .label("this parent leads back here")
        .hint("the objectives form a tree: remove or change one `parent` in the cycle"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unknown ids are searched for a close known one once each, and past
    /// [`MAX_SEARCHED`] of them not at all, with a hint that says why.
    #[test]
    fn unknown_ids_are_searched_once_each_and_only_so_many() {
        let unknown: Vec<String> = (0..MAX_SEARCHED + 3).map(|n| format!("gone-{n}")).collect();
        let listed = format!("[inst-1x, {}, inst-1x]", unknown.join(", "));
        let model = crate::model::tests::decoded(&format!(
            "agencies:\n  - {{ id: A, name: A, kind: ministry, level: central }}\n\
             objectives:\n  - {{ id: O, name: O, domain: industrial_upgrade }}\n\
             instruments:\n  - {{ id: inst-1, name: x, kind: fiscal_subsidy, owner: A, targets: [{{ objective: O, effect: 1 }}] }}\n\
             packages:\n  - {{ id: p, name: P, objectives: [O], instruments: {listed} }}\n"
        ));
        let hints: Vec<String> = resolve(&model)
            .into_iter()
            .filter(|d| d.code == "unknown-reference")
            .map(|d| d.hint.unwrap_or_default())
            .collect();
        assert_eq!(hints.len(), MAX_SEARCHED + 5);
        assert_eq!(hints[0], "did you mean `inst-1`?");
        assert_eq!(
            hints.last().unwrap(),
            "did you mean `inst-1`?",
            "a repeat is answered as before"
        );
        let past: Vec<&String> = hints
            .iter()
            .filter(|h| h.contains("not searched"))
            .collect();
        assert_eq!(past.len(), 4, "{:?}", &hints[hints.len() - 6..]);
        assert!(
            past[0].starts_with("no instrument has this id; past 1000 unknown instrument ids"),
            "{}",
            past[0]
        );
    }
}
