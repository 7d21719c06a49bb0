//! The policy graph: every entity a node, every reference a typed edge, and the indexes
//! that let rules ask set-level questions without scanning: instruments by objective,
//! owner, sector, region and envelope; objective trees; agencies joined by mechanisms.

pub(crate) mod questions;
mod ragged;

pub use questions::{
    AgencyOverlap, Assignment, Matching, Pair, PairFilter, horizons_meet, scopes_meet,
};

use crate::model::{Id, Model, Text};
use petgraph::stable_graph::{NodeIndex, StableDiGraph};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// What a node stands for: a kind and the entity's position in the model's list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Entity {
    Agency(u32),
    Objective(u32),
    Instrument(u32),
    Mechanism(u32),
    Envelope(u32),
    Indicator(u32),
    Package(u32),
    Claim(u32),
}

impl Entity {
    /// The kind's name as the YAML and the outputs spell it.
    pub fn kind(self) -> &'static str {
        match self {
            Entity::Agency(_) => "agency",
            Entity::Objective(_) => "objective",
            Entity::Instrument(_) => "instrument",
            Entity::Mechanism(_) => "mechanism",
            Entity::Envelope(_) => "envelope",
            Entity::Indicator(_) => "indicator",
            Entity::Package(_) => "package",
            Entity::Claim(_) => "claim",
        }
    }
}

/// What an edge says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    Owns,
    CoOwns,
    Targets(i8),
    ChildOf,
    Interacts(i8),
    FundedBy,
    Requires,
    Continues,
    Replaces,
    MemberOf,
    Covers,
    MeasuredBy,
    InPackage,
    CoordinatedWith,
}

impl Relation {
    pub fn name(self) -> &'static str {
        match self {
            Relation::Owns => "owns",
            Relation::CoOwns => "co_owns",
            Relation::Targets(_) => "targets",
            Relation::ChildOf => "child_of",
            Relation::Interacts(_) => "interacts",
            Relation::FundedBy => "funded_by",
            Relation::Requires => "requires",
            Relation::Continues => "continues",
            Relation::Replaces => "replaces",
            Relation::MemberOf => "member_of",
            Relation::Covers => "covers",
            Relation::MeasuredBy => "measured_by",
            Relation::InPackage => "in_package",
            Relation::CoordinatedWith => "coordinated_with",
        }
    }
}

/// The overlapping pairs of one question, while some rule still holds them. The slot holds
/// them weakly: kept for the whole run, the lists of a national workspace (146,401 opposed
/// pairs, 116,818 unjoined) stayed in memory to the end, long after their rules were done.
type PairSlot = Arc<std::sync::Mutex<std::sync::Weak<Vec<Pair>>>>;

/// The model, its graph and its indexes, built once per run and then only read.
pub struct PolicyGraph {
    pub model: Model,
    pub graph: StableDiGraph<Entity, Relation>,
    nodes: HashMap<Entity, NodeIndex>,
    ids: HashMap<Text, Entity>,
    /// Instrument ids to their position, and the same for the other kinds.
    pub agency_ix: HashMap<Text, u32>,
    pub objective_ix: HashMap<Text, u32>,
    pub instrument_ix: HashMap<Text, u32>,
    pub indicator_ix: HashMap<Text, u32>,
    pub envelope_ix: HashMap<Text, u32>,
    /// For each objective, the instruments acting on it with their effect.
    pub by_objective: Vec<Vec<(u32, i8)>>,
    /// For each agency, the instruments it owns or co-owns.
    pub by_owner: Vec<Vec<u32>>,
    pub by_sector: HashMap<Text, Vec<u32>>,
    pub by_region: HashMap<Text, Vec<u32>>,
    pub by_envelope: Vec<Vec<u32>>,
    pub parent: Vec<Option<u32>>,
    pub children: Vec<Vec<u32>>,
    /// For each objective, every objective below it, ascending.
    descendants: Vec<Vec<u32>>,
    /// For each mechanism, the objectives it covers with their descendants; `None` when it
    /// covers everything.
    coverage: Vec<Option<HashSet<u32>>>,
    /// Overlapping pairs by minimum effect, shared by the rules that ask while any holds them.
    pairs: std::sync::Mutex<HashMap<(i8, questions::FilterKey), PairSlot>>,
    /// Pairs of agencies (lower index first) joined by a mechanism, with the mechanisms.
    pub joined: questions::NumberMap<(u32, u32), Vec<u32>>,
    /// Objective interactions: from objective to (objective, score).
    pub interactions_from: Vec<Vec<(u32, i8)>>,
    /// The package under review, if any, and what lies in its scope.
    pub package: Option<u32>,
    pub objective_in_scope: Vec<bool>,
    pub instrument_in_scope: Vec<bool>,
    /// Per instrument, its lead owner then co-owners as agency positions; per agency, its
    /// government as a small number. Built on first use by the pair filters.
    owner_sets: std::sync::OnceLock<ragged::Ragged<u32>>,
    governments: std::sync::OnceLock<Vec<u32>>,
    target_vectors: std::sync::OnceLock<ragged::Ragged<(u32, i8)>>,
    pair_facts: std::sync::OnceLock<Vec<questions::PairFacts>>,
}

/// Adds `i` to the list under `key`, copying the key only the first time it is seen.
fn push_under(index: &mut HashMap<Text, Vec<u32>>, key: &str, i: u32) {
    match index.get_mut(key) {
        Some(list) => list.push(i),
        None => {
            index.insert(key.into(), vec![i]);
        }
    }
}

/// The value of an optional boxed field as a list of none or one.
fn boxed_slice<T>(value: &Option<Box<T>>) -> &[T] {
    value.as_deref().map_or(&[], std::slice::from_ref)
}

fn index_of<T>(items: &[T], id: impl Fn(&T) -> &str) -> HashMap<Text, u32> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| (id(item).into(), i as u32))
        .collect()
}

impl PolicyGraph {
    /// Builds the graph of a valid model. `package` names the package under review.
    pub fn build(model: Model, package: Option<&str>) -> Result<Self, String> {
        let agency_ix = index_of(&model.agencies, |a| &a.id.value);
        let objective_ix = index_of(&model.objectives, |o| &o.id.value);
        let instrument_ix = index_of(&model.instruments, |i| &i.id.value);
        let indicator_ix = index_of(&model.indicators, |i| &i.id.value);
        let envelope_ix = index_of(&model.envelopes, |e| &e.id.value);
        let package_ix = index_of(&model.packages, |p| &p.id.value);
        let package = match package {
            Some(id) => Some(*package_ix.get(id).ok_or_else(|| {
                let known: Vec<&str> = model.packages.iter().map(|p| p.id.value.as_str()).collect();
                match crate::diagnostic::did_you_mean(id, known.iter().copied()) {
                    Some(hint) => format!("unknown package `{id}`; {hint}"),
                    None if known.is_empty() => {
                        format!("unknown package `{id}`; the workspace declares no packages")
                    }
                    None => format!("unknown package `{id}`; packages: {}", known.join(", ")),
                }
            })?),
            None => None,
        };
        let mut g = PolicyGraph {
            owner_sets: std::sync::OnceLock::new(),
            pair_facts: std::sync::OnceLock::new(),
            governments: std::sync::OnceLock::new(),
            target_vectors: std::sync::OnceLock::new(),
            graph: StableDiGraph::new(),
            nodes: HashMap::new(),
            ids: HashMap::new(),
            by_objective: vec![Vec::new(); model.objectives.len()],
            by_owner: vec![Vec::new(); model.agencies.len()],
            by_sector: HashMap::new(),
            by_region: HashMap::new(),
            by_envelope: vec![Vec::new(); model.envelopes.len()],
            parent: vec![None; model.objectives.len()],
            descendants: Vec::new(),
            coverage: Vec::new(),
            pairs: Default::default(),
            children: vec![Vec::new(); model.objectives.len()],
            joined: Default::default(),
            interactions_from: vec![Vec::new(); model.objectives.len()],
            objective_in_scope: vec![true; model.objectives.len()],
            instrument_in_scope: vec![true; model.instruments.len()],
            package,
            agency_ix,
            objective_ix,
            instrument_ix,
            indicator_ix,
            envelope_ix,
            model,
        };
        g.add_nodes();
        g.add_edges();
        g.descendants = (0..g.model.objectives.len() as u32)
            .map(|o| g.walk_down(o))
            .collect();
        g.coverage = g
            .model
            .mechanisms
            .iter()
            .map(|m| {
                (!m.covers.is_empty()).then(|| {
                    let roots = m
                        .covers
                        .iter()
                        .filter_map(|c| g.objective_ix.get(&c.value).copied());
                    roots
                        .flat_map(|r| g.descendants[r as usize].iter().copied().chain([r]))
                        .collect()
                })
            })
            .collect();
        g.set_scope();
        Ok(g)
    }

    fn add_node(&mut self, entity: Entity, id: &str) {
        let node = self.graph.add_node(entity);
        self.nodes.insert(entity, node);
        self.ids.entry(id.into()).or_insert(entity);
    }

    fn add_nodes(&mut self) {
        // The model is set aside while the nodes are added, so that ids are read in place
        // rather than copied first.
        let m = std::mem::take(&mut self.model);
        let mut add = |entity: fn(u32) -> Entity, ids: &mut dyn Iterator<Item = &Id>| {
            for (i, id) in ids.enumerate() {
                self.add_node(entity(i as u32), &id.value);
            }
        };
        add(Entity::Agency, &mut m.agencies.iter().map(|x| &x.id));
        add(Entity::Objective, &mut m.objectives.iter().map(|x| &x.id));
        add(Entity::Instrument, &mut m.instruments.iter().map(|x| &x.id));
        add(Entity::Mechanism, &mut m.mechanisms.iter().map(|x| &x.id));
        add(Entity::Envelope, &mut m.envelopes.iter().map(|x| &x.id));
        add(Entity::Indicator, &mut m.indicators.iter().map(|x| &x.id));
        add(Entity::Package, &mut m.packages.iter().map(|x| &x.id));
        add(Entity::Claim, &mut m.claims.iter().map(|x| &x.id));
        self.model = m;
    }

    fn edge(&mut self, from: Entity, to: Option<Entity>, relation: Relation) {
        if let (Some(&a), Some(b)) = (
            self.nodes.get(&from),
            to.and_then(|t| self.nodes.get(&t).copied()),
        ) {
            self.graph.add_edge(a, b, relation);
        }
    }

    fn add_edges(&mut self) {
        let agency = |g: &Self, id: &str| g.agency_ix.get(id).map(|&i| Entity::Agency(i));
        let objective = |g: &Self, id: &str| g.objective_ix.get(id).map(|&i| Entity::Objective(i));
        let instrument =
            |g: &Self, id: &str| g.instrument_ix.get(id).map(|&i| Entity::Instrument(i));
        // The model is set aside while the indexes beside it are filled, so that its
        // entities are read in place rather than copied one by one.
        let model = std::mem::take(&mut self.model);
        for (i, inst) in model.instruments.iter().enumerate() {
            let this = Entity::Instrument(i as u32);
            if let Some(Entity::Agency(a)) = agency(self, &inst.owner) {
                self.by_owner[a as usize].push(i as u32);
                self.edge(Entity::Agency(a), Some(this), Relation::Owns);
            }
            for co in &inst.co_owners {
                if let Some(Entity::Agency(a)) = agency(self, co) {
                    if !self.by_owner[a as usize].contains(&(i as u32)) {
                        self.by_owner[a as usize].push(i as u32);
                    }
                    self.edge(Entity::Agency(a), Some(this), Relation::CoOwns);
                }
            }
            for target in &inst.targets {
                if let Some(Entity::Objective(o)) = objective(self, &target.objective) {
                    self.by_objective[o as usize].push((i as u32, target.effect.value.0));
                    self.edge(
                        this,
                        Some(Entity::Objective(o)),
                        Relation::Targets(target.effect.value.0),
                    );
                }
            }
            if let Some(scope) = &inst.scope {
                for sector in &scope.sectors {
                    push_under(&mut self.by_sector, &sector.value, i as u32);
                }
                for region in &scope.regions {
                    push_under(&mut self.by_region, &region.value, i as u32);
                }
            }
            if let Some(envelope) = inst.budget.as_ref().and_then(|b| b.envelope.as_ref())
                && let Some(&e) = self.envelope_ix.get(&envelope.value)
            {
                self.by_envelope[e as usize].push(i as u32);
                self.edge(this, Some(Entity::Envelope(e)), Relation::FundedBy);
            }
            for (links, relation) in [
                (inst.requires.as_slice(), Relation::Requires),
                (boxed_slice(&inst.continues), Relation::Continues),
                (boxed_slice(&inst.replaces), Relation::Replaces),
                (inst.coordinated_with.as_slice(), Relation::CoordinatedWith),
            ] {
                for link in links {
                    let to = instrument(self, link);
                    self.edge(this, to, relation);
                }
            }
        }
        for (o, obj) in model.objectives.iter().enumerate() {
            if let Some(&p) = obj
                .parent
                .as_ref()
                .and_then(|p| self.objective_ix.get(&p.value))
            {
                self.parent[o] = Some(p);
                self.children[p as usize].push(o as u32);
                self.edge(
                    Entity::Objective(o as u32),
                    Some(Entity::Objective(p)),
                    Relation::ChildOf,
                );
            }
            if let Some(&ind) = obj
                .indicator
                .as_ref()
                .and_then(|i| self.indicator_ix.get(&i.value))
            {
                self.edge(
                    Entity::Objective(o as u32),
                    Some(Entity::Indicator(ind)),
                    Relation::MeasuredBy,
                );
            }
        }
        for interaction in &model.interactions {
            let (from, to) = (
                self.ids.get(interaction.from.as_str()).copied(),
                self.ids.get(interaction.to.as_str()).copied(),
            );
            if let (Some(Entity::Objective(a)), Some(Entity::Objective(b))) = (from, to) {
                self.interactions_from[a as usize].push((b, interaction.score.value.0));
            }
            if let Some(from) = from {
                self.edge(from, to, Relation::Interacts(interaction.score.value.0));
            }
        }
        for (m, mech) in model.mechanisms.iter().enumerate() {
            let members: Vec<u32> = mech
                .members
                .iter()
                .filter_map(|a| self.agency_ix.get(&a.value).copied())
                .collect();
            for &a in &members {
                self.edge(
                    Entity::Agency(a),
                    Some(Entity::Mechanism(m as u32)),
                    Relation::MemberOf,
                );
            }
            for (x, &a) in members.iter().enumerate() {
                for &b in &members[x + 1..] {
                    let key = (a.min(b), a.max(b));
                    self.joined.entry(key).or_default().push(m as u32);
                }
            }
            for covered in &mech.covers {
                let to = objective(self, covered);
                self.edge(Entity::Mechanism(m as u32), to, Relation::Covers);
            }
        }
        for (p, package) in model.packages.iter().enumerate() {
            for member in package.instruments.iter().chain(&package.objectives) {
                let from = self.ids.get(member.as_str()).copied();
                if let Some(from) = from {
                    self.edge(from, Some(Entity::Package(p as u32)), Relation::InPackage);
                }
            }
        }
        self.model = model;
    }

    fn set_scope(&mut self) {
        let Some(p) = self.package else { return };
        let package = &self.model.packages[p as usize];
        let listed: HashSet<&str> = package.instruments.iter().map(|i| i.as_str()).collect();
        for (i, inst) in self.model.instruments.iter().enumerate() {
            self.instrument_in_scope[i] = listed.contains(inst.id.as_str());
        }
        let mut in_scope = vec![false; self.model.objectives.len()];
        for o in &package.objectives {
            if let Some(&o) = self.objective_ix.get(&o.value) {
                for &d in self.descendants(o).iter().chain([&o]) {
                    in_scope[d as usize] = true;
                }
            }
        }
        self.objective_in_scope = in_scope;
    }

    /// The entity an id names, of any kind.
    pub fn entity(&self, id: &str) -> Option<Entity> {
        self.ids.get(id).copied()
    }

    pub fn node(&self, entity: Entity) -> Option<NodeIndex> {
        self.nodes.get(&entity).copied()
    }

    /// The id of an entity.
    pub fn id_of(&self, entity: Entity) -> &str {
        let m = &self.model;
        match entity {
            Entity::Agency(i) => &m.agencies[i as usize].id,
            Entity::Objective(i) => &m.objectives[i as usize].id,
            Entity::Instrument(i) => &m.instruments[i as usize].id,
            Entity::Mechanism(i) => &m.mechanisms[i as usize].id,
            Entity::Envelope(i) => &m.envelopes[i as usize].id,
            Entity::Indicator(i) => &m.indicators[i as usize].id,
            Entity::Package(i) => &m.packages[i as usize].id,
            Entity::Claim(i) => &m.claims[i as usize].id,
        }
    }

    /// Where an entity is declared (its id value).
    /// An entity's name (a claim's text).
    pub fn name_of(&self, entity: Entity) -> &str {
        let m = &self.model;
        match entity {
            Entity::Agency(i) => &m.agencies[i as usize].name.value,
            Entity::Objective(i) => &m.objectives[i as usize].name.value,
            Entity::Instrument(i) => &m.instruments[i as usize].name.value,
            Entity::Mechanism(i) => &m.mechanisms[i as usize].name.value,
            Entity::Envelope(i) => &m.envelopes[i as usize].name.value,
            Entity::Indicator(i) => &m.indicators[i as usize].name.value,
            Entity::Package(i) => &m.packages[i as usize].name.value,
            Entity::Claim(i) => &m.claims[i as usize].text.value,
        }
    }

    pub fn loc_of(&self, entity: Entity) -> crate::load::Loc {
        let m = &self.model;
        match entity {
            Entity::Agency(i) => m.agencies[i as usize].id.loc,
            Entity::Objective(i) => m.objectives[i as usize].id.loc,
            Entity::Instrument(i) => m.instruments[i as usize].id.loc,
            Entity::Mechanism(i) => m.mechanisms[i as usize].id.loc,
            Entity::Envelope(i) => m.envelopes[i as usize].id.loc,
            Entity::Indicator(i) => m.indicators[i as usize].id.loc,
            Entity::Package(i) => m.packages[i as usize].id.loc,
            Entity::Claim(i) => m.claims[i as usize].id.loc,
        }
    }

    /// All objectives below `o` in the tree.
    pub fn descendants(&self, o: u32) -> &[u32] {
        &self.descendants[o as usize]
    }

    fn walk_down(&self, o: u32) -> Vec<u32> {
        let mut out = Vec::new();
        let mut stack = self.children[o as usize].clone();
        let mut seen = HashSet::new();
        while let Some(c) = stack.pop() {
            if seen.insert(c) {
                out.push(c);
                stack.extend(&self.children[c as usize]);
            }
        }
        out.sort_unstable();
        out
    }

    pub fn is_leaf(&self, o: u32) -> bool {
        self.children[o as usize].is_empty()
    }

    /// The overlapping pairs for `min_abs_effect` that pass `filter`: computed by the first
    /// rule to ask, and shared with the rules that ask while it still holds them.
    pub fn shared_pairs(&self, min_abs_effect: i8, filter: &PairFilter) -> Arc<Vec<Pair>> {
        let slot = match self.pairs.lock() {
            Ok(mut cache) => cache
                .entry((min_abs_effect, filter.key()))
                .or_default()
                .clone(),
            Err(_) => Arc::default(),
        };
        // Rules that ask meanwhile wait on the slot for the answer instead of computing it
        // again.
        let mut held = match slot.lock() {
            Ok(held) => held,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(pairs) = held.upgrade() {
            return pairs;
        }
        let pairs = Arc::new(self.pairs_where(min_abs_effect, filter));
        *held = Arc::downgrade(&pairs);
        pairs
    }

    /// Whether two agencies share a mechanism that covers `objective` (or covers everything).
    pub fn joined_on(&self, a: u32, b: u32, objective: Option<u32>) -> bool {
        if a == b {
            return true;
        }
        let Some(mechanisms) = self.joined.get(&(a.min(b), a.max(b))) else {
            return false;
        };
        mechanisms
            .iter()
            .any(|&m| match (&self.coverage[m as usize], objective) {
                (None, _) | (_, None) => true,
                (Some(covered), Some(o)) => covered.contains(&o),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph_of(yaml: &str) -> PolicyGraph {
        PolicyGraph::build(crate::model::tests::decoded(yaml), None).unwrap()
    }

    /// A pair list is shared while a rule holds it and freed once none does: kept for the
    /// whole run, the lists of a national workspace held megabytes to the end.
    #[test]
    fn pairs_are_shared_while_held_and_freed_after() {
        let g = graph_of(
            "agencies:\n  - { id: A, name: A, kind: ministry, level: central }\n\
             objectives:\n  - { id: O, name: O, domain: industrial_upgrade }\n\
             instruments:\n\
             \x20 - { id: x, name: x, kind: fiscal_subsidy, owner: A, targets: [{ objective: O, effect: 2 }] }\n\
             \x20 - { id: y, name: y, kind: fiscal_subsidy, owner: A, targets: [{ objective: O, effect: 2 }] }\n",
        );
        let filter = PairFilter::default();
        let first = g.shared_pairs(1, &filter);
        assert_eq!(first.len(), 1);
        let again = g.shared_pairs(1, &filter);
        assert!(Arc::ptr_eq(&first, &again));
        let held = Arc::downgrade(&first);
        drop((first, again));
        assert!(held.upgrade().is_none());
        assert_eq!(g.shared_pairs(1, &filter).len(), 1);
    }
}
