//! Set-level questions answered from the indexes, in Rust, so that rule scripts never loop
//! over all pairs: overlapping instruments, Tinbergen matching, Mundell assignment, paths.

use super::{Entity, PolicyGraph};
use crate::model::{Horizon, Instrument, Scope};
use chrono::NaiveDate;
use petgraph::visit::EdgeRef;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

/// A hasher for small numbers (interned names, agency positions): the standard maps'
/// SipHash, built against hostile keys, cost more than the comparisons these maps serve in
/// the pair sweep, and the keys here are Concord's own numbers, not input text.
#[derive(Clone, Copy, Default)]
pub struct NumberHasher(u64);

impl std::hash::Hasher for NumberHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(n as u64);
    }

    fn write_u64(&mut self, n: u64) {
        // The multiply spreads a small number into the high bits, which the map reads.
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

/// A map keyed by small numbers, hashed with [`NumberHasher`].
pub type NumberMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<NumberHasher>>;

/// Two instruments that act on the same objectives at the same time and place.
#[derive(Clone, Debug, PartialEq)]
pub struct Pair {
    pub a: u32,
    pub b: u32,
    /// Objectives both act on, by index, ascending. Most pairs share one or two, kept
    /// inline: a national workspace has hundreds of thousands of pairs.
    pub objectives: smallvec::SmallVec<[u32; 4]>,
}

/// The result of matching leaf objectives to distinct instruments.
#[derive(Clone, Debug, PartialEq)]
pub struct Matching {
    pub size: usize,
    pub unmatched: Vec<u32>,
    /// Objective → the instrument group (first instrument) it was matched with.
    pub matched: Vec<(u32, u32)>,
}

/// An instrument and the objective a Mundell assignment gives it.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    pub instrument: u32,
    pub objective: u32,
}

fn window(h: Option<&Horizon>) -> (NaiveDate, NaiveDate) {
    match h {
        Some(h) => (
            h.start.value,
            h.end.as_ref().map_or(NaiveDate::MAX, |e| e.value),
        ),
        None => (NaiveDate::MIN, NaiveDate::MAX),
    }
}

/// Whether two lists of free-form ids leave room for a common element: an empty list
/// means "unrestricted", and `national` covers every region.
fn lists_meet(
    a: &[crate::model::Located<crate::model::Text>],
    b: &[crate::model::Located<crate::model::Text>],
    everywhere: Option<&str>,
) -> bool {
    if a.is_empty() || b.is_empty() {
        return true;
    }
    if let Some(all) = everywhere
        && (a.iter().any(|x| x.value == all) || b.iter().any(|x| x.value == all))
    {
        return true;
    }
    a.iter().any(|x| b.iter().any(|y| x.value == y.value))
}

/// Whether two scopes reach a common sector and region.
pub fn scopes_meet(a: Option<&Scope>, b: Option<&Scope>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => {
            lists_meet(&a.sectors, &b.sectors, None)
                && lists_meet(&a.regions, &b.regions, Some("national"))
        }
        _ => true,
    }
}

/// Whether two instruments are in force at a common time.
pub fn horizons_meet(a: &Instrument, b: &Instrument) -> bool {
    let (s1, e1) = window(a.horizon.as_ref());
    let (s2, e2) = window(b.horizon.as_ref());
    s1 <= e2 && s2 <= e1
}

impl PolicyGraph {
    /// Instruments in scope acting on objective `o` with an effect within `min..=max`.
    pub fn acting_on(&self, o: u32, min: i8, max: i8) -> Vec<(u32, i8)> {
        self.by_objective[o as usize]
            .iter()
            .copied()
            .filter(|&(i, e)| self.instrument_in_scope[i as usize] && (min..=max).contains(&e))
            .collect()
    }

    /// Pairs of in-scope instruments that share an objective (with an effect whose absolute
    /// value is at least `min_abs_effect`), overlap in time, and meet in scope. For each
    /// objective the instruments are swept in order of start date, so only pairs that
    /// overlap in time are ever compared.
    pub fn overlapping_pairs(&self, min_abs_effect: i8) -> Vec<Pair> {
        self.pairs_where(min_abs_effect, &PairFilter::default())
    }

    /// [`overlapping_pairs`](Self::overlapping_pairs) that pass `filter`. The tests that
    /// do not depend on the shared objectives run inside the sweep, so a pair that fails
    /// them is never stored: memory follows the answer, not the millions of overlaps of a
    /// national workspace.
    pub fn pairs_where(&self, min_abs_effect: i8, filter: &PairFilter) -> Vec<Pair> {
        let instruments = &self.model.instruments;
        let facts = self.pair_facts();
        let sweep = |o: usize, acting: &Vec<(u32, i8)>, found: &mut Vec<(u32, u32, u32)>| {
            let mut list: Vec<(NaiveDate, NaiveDate, u32)> = acting
                .iter()
                .filter(|&&(i, e)| {
                    self.instrument_in_scope[i as usize] && e.abs() >= min_abs_effect
                })
                .map(|&(i, _)| {
                    let (s, e) = window(instruments[i as usize].horizon.as_ref());
                    (s, e, i)
                })
                .collect();
            list.sort();
            list.dedup_by_key(|x| x.2);
            // Instruments in force, split by scope so that each is compared only with those
            // whose sectors can meet its own: a narrow scope (exactly one sector and one
            // non-national region) sits in its (sector, region) bucket; a broad scope naming
            // exactly one sector sits in that sector's list; any other broad scope in `wide`.
            // Whether a broad scope meets a whole bucket is decided once for the bucket, and
            // two scopes of one bucket meet without being compared.
            let mut wide: Vec<(NaiveDate, u32)> = Vec::new();
            let mut broad: NumberMap<u32, Vec<(NaiveDate, u32)>> = NumberMap::default();
            let mut narrow: NumberMap<u32, NumberMap<u32, Vec<(NaiveDate, u32)>>> =
                NumberMap::default();
            let meet = |i: u32, j: u32, known: bool, found: &mut Vec<(u32, u32, u32)>| {
                let (a, b) = (i.min(j), i.max(j));
                if (known || facts[a as usize].scope_meets(&facts[b as usize]))
                    && self.keeps_instruments(a, b, filter)
                {
                    found.push((a, b, o as u32));
                }
            };
            // Keeps the instruments of `list` still in force at `start`, and compares `i`
            // with them.
            let visit = |list: &mut Vec<(NaiveDate, u32)>,
                         start: NaiveDate,
                         i: u32,
                         known: bool,
                         found: &mut Vec<(u32, u32, u32)>| {
                list.retain(|&(active_end, _)| active_end >= start);
                for &(_, j) in list.iter() {
                    meet(i, j, known, found);
                }
            };
            for (start, end, i) in list {
                let me = &facts[i as usize];
                // The sectors `i` names; `None` when it meets every sector.
                let sectors = me.sectors().filter(|s| !s.is_empty());
                visit(&mut wide, start, i, false, found);
                match sectors {
                    Some(sectors) => {
                        for s in sectors {
                            if let Some(list) = broad.get_mut(s) {
                                visit(list, start, i, false, found);
                            }
                        }
                    }
                    None => {
                        for list in broad.values_mut() {
                            visit(list, start, i, false, found);
                        }
                    }
                }
                match me.bucket() {
                    Some((sector, region)) => {
                        let same = narrow.entry(sector).or_default().entry(region).or_default();
                        visit(same, start, i, true, found);
                        same.push((end, i));
                    }
                    None => {
                        let sweep_sector =
                            |regions: &mut NumberMap<u32, Vec<(NaiveDate, u32)>>,
                             found: &mut Vec<(u32, u32, u32)>| {
                                for (&region, list) in regions.iter_mut() {
                                    if me.meets_region(region) {
                                        visit(list, start, i, true, found);
                                    }
                                }
                            };
                        match sectors {
                            Some(sectors) => {
                                for s in sectors {
                                    if let Some(regions) = narrow.get_mut(s) {
                                        sweep_sector(regions, found);
                                    }
                                }
                            }
                            None => {
                                for regions in narrow.values_mut() {
                                    sweep_sector(regions, found);
                                }
                            }
                        }
                        match sectors {
                            Some([sector]) => broad.entry(*sector).or_default().push((end, i)),
                            _ => wide.push((end, i)),
                        }
                    }
                }
            }
        };
        // Objectives are swept on plain threads, not rayon's: this runs inside a rule, and
        // a rayon worker waiting here could pick up another rule that waits for this very
        // answer. The sweeps' (a, b, objective) triples are then sorted once and grouped.
        let objectives: Vec<usize> = (0..self.by_objective.len())
            .filter(|&o| self.objective_in_scope[o])
            .collect();
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8);
        let chunk = objectives.len().div_ceil(threads).max(1);
        let mut triples: Vec<(u32, u32, u32)> = std::thread::scope(|scope| {
            let workers: Vec<_> = objectives
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        let mut found = Vec::new();
                        for &o in part {
                            sweep(o, &self.by_objective[o], &mut found);
                        }
                        found
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        triples.sort_unstable();
        triples.dedup();
        let mut pairs: Vec<Pair> = Vec::new();
        for (a, b, o) in triples {
            match pairs.last_mut() {
                Some(last) if last.a == a && last.b == b => last.objectives.push(o),
                _ => pairs.push(Pair {
                    a,
                    b,
                    objectives: smallvec::smallvec![o],
                }),
            }
        }
        if filter.unjoined {
            pairs.retain(|p| self.keeps(p, filter));
        }
        pairs
    }

    /// Cosine similarity of two instruments' target vectors. Vectors have a handful of
    /// entries, so pairing them directly beats building maps.
    pub fn cosine(&self, a: u32, b: u32) -> f64 {
        let (ta, tb) = (self.target_vector(a), self.target_vector(b));
        let norm = |t: &[(u32, i8)]| t.iter().map(|x| (x.1 as f64).powi(2)).sum::<f64>().sqrt();
        let dot: f64 = ta
            .iter()
            .map(|x| {
                let other = tb.iter().find(|y| y.0 == x.0);
                x.1 as f64 * other.map_or(0.0, |y| y.1 as f64)
            })
            .sum();
        let denominator = norm(ta) * norm(tb);
        if denominator == 0.0 {
            0.0
        } else {
            dot / denominator
        }
    }

    /// An instrument's targets as (objective position, effect), in declaration order; built
    /// once for all instruments on first use, so comparing vectors compares numbers.
    pub fn target_vector(&self, i: u32) -> &[(u32, i8)] {
        let vectors = self.target_vectors.get_or_init(|| {
            super::ragged::Ragged::from_rows(self.model.instruments.iter().map(|inst| {
                inst.targets.iter().map(|t| {
                    let o = self.objective_ix.get(&t.objective.value).copied();
                    (o.unwrap_or(u32::MAX), t.effect.value.0)
                })
            }))
        });
        vectors.row(i)
    }

    /// Groups of in-scope instruments that count as one for Tinbergen: joined by `requires`
    /// (either way) or with identical target vectors. Returns each instrument's group head.
    fn instrument_groups(&self) -> Vec<u32> {
        let n = self.model.instruments.len();
        let mut parent: Vec<u32> = (0..n as u32).collect();
        let union = |parent: &mut Vec<u32>, a: u32, b: u32| {
            let (ra, rb) = (find(parent, a), find(parent, b));
            if ra != rb {
                parent[ra.max(rb) as usize] = ra.min(rb);
            }
        };
        let mut by_vector: HashMap<Vec<(crate::model::Text, i8)>, u32> = HashMap::new();
        for (i, inst) in self.model.instruments.iter().enumerate() {
            for r in &inst.requires {
                if let Some(&j) = self.instrument_ix.get(&r.value) {
                    union(&mut parent, i as u32, j);
                }
            }
            let mut vector: Vec<(crate::model::Text, i8)> = inst
                .targets
                .iter()
                .map(|t| (t.objective.value.clone(), t.effect.value.0))
                .collect();
            vector.sort();
            match by_vector.get(&vector) {
                Some(&j) => union(&mut parent, i as u32, j),
                None => {
                    by_vector.insert(vector, i as u32);
                }
            }
        }
        (0..n as u32).map(|i| find(&mut parent, i)).collect()
    }

    /// Maximum matching of `objectives` to distinct instrument groups with effect ≥ `min_effect`.
    pub fn tinbergen(&self, objectives: &[u32], min_effect: i8) -> Matching {
        let groups = self.instrument_groups();
        let mut adjacency: Vec<Vec<u32>> = Vec::with_capacity(objectives.len());
        for &o in objectives {
            let mut heads: Vec<u32> = self
                .acting_on(o, min_effect, 3)
                .into_iter()
                .map(|(i, _)| groups[i as usize])
                .collect();
            heads.sort_unstable();
            heads.dedup();
            adjacency.push(heads);
        }
        // Kuhn's augmenting paths: objectives are few, so this is quick.
        let mut owner: HashMap<u32, usize> = HashMap::new();
        let mut matched = 0;
        for x in 0..objectives.len() {
            let mut seen = HashSet::new();
            if augment(x, &adjacency, &mut owner, &mut seen) {
                matched += 1;
            }
        }
        let mut pairs: Vec<(u32, u32)> = owner
            .iter()
            .map(|(&head, &x)| (objectives[x], head))
            .collect();
        pairs.sort_unstable();
        let matched_objectives: HashSet<u32> = pairs.iter().map(|p| p.0).collect();
        Matching {
            size: matched,
            unmatched: objectives
                .iter()
                .copied()
                .filter(|o| !matched_objectives.contains(o))
                .collect(),
            matched: pairs,
        }
    }

    /// One-to-one assignment of in-scope instruments that declare a primary objective to
    /// the objectives they act on, maximising Σ ln E over effects ≥ +1 (Mundell). Solved per
    /// connected group of instruments and objectives with the Hungarian method.
    pub fn mundell(&self) -> Vec<Assignment> {
        let candidates: Vec<u32> = (0..self.model.instruments.len() as u32)
            .filter(|&i| {
                self.instrument_in_scope[i as usize]
                    && self.model.instruments[i as usize]
                        .primary_objective
                        .is_some()
            })
            .collect();
        let mut edges: Vec<(u32, u32, i8)> = Vec::new();
        for &i in &candidates {
            for t in &self.model.instruments[i as usize].targets {
                if let Some(&o) = self.objective_ix.get(&t.objective.value)
                    && t.effect.value.0 >= 1
                    && self.objective_in_scope[o as usize]
                {
                    edges.push((i, o, t.effect.value.0));
                }
            }
        }
        let mut out = Vec::new();
        for (instruments, objectives) in components(&edges) {
            out.extend(assign(&instruments, &objectives, &edges));
        }
        out.sort_by_key(|a| a.instrument);
        out
    }

    /// The shortest chain of relations between two entities, ignoring edge direction.
    pub fn path(&self, from: Entity, to: Entity, max_len: usize) -> Option<Vec<Entity>> {
        let (start, goal) = (self.node(from)?, self.node(to)?);
        let mut previous = HashMap::new();
        let mut queue = VecDeque::from([(start, 0usize)]);
        previous.insert(start, start);
        while let Some((at, depth)) = queue.pop_front() {
            if at == goal {
                let mut chain = vec![self.graph[at]];
                let mut cursor = at;
                while cursor != start {
                    cursor = previous[&cursor];
                    chain.push(self.graph[cursor]);
                }
                chain.reverse();
                return Some(chain);
            }
            if depth == max_len {
                continue;
            }
            let neighbours = self.graph.edges(at).map(|e| e.target()).chain(
                self.graph
                    .edges_directed(at, petgraph::Direction::Incoming)
                    .map(|e| e.source()),
            );
            let mut next: Vec<_> = neighbours.collect();
            next.sort_by_key(|n| self.graph[*n]);
            for n in next {
                if let std::collections::hash_map::Entry::Vacant(slot) = previous.entry(n) {
                    slot.insert(at);
                    queue.push_back((n, depth + 1));
                }
            }
        }
        None
    }
}

fn augment(
    x: usize,
    adjacency: &[Vec<u32>],
    owner: &mut HashMap<u32, usize>,
    seen: &mut HashSet<u32>,
) -> bool {
    for &y in &adjacency[x] {
        if !seen.insert(y) {
            continue;
        }
        let free = match owner.get(&y) {
            None => true,
            Some(&other) => augment(other, adjacency, owner, seen),
        };
        if free {
            owner.insert(y, x);
            return true;
        }
    }
    false
}

/// Connected groups of the bipartite instrument–objective graph.
fn components(edges: &[(u32, u32, i8)]) -> Vec<(Vec<u32>, Vec<u32>)> {
    let mut graph: petgraph::graphmap::UnGraphMap<(bool, u32), ()> =
        petgraph::graphmap::UnGraphMap::new();
    for &(i, o, _) in edges {
        graph.add_edge((false, i), (true, o), ());
    }
    let mut seen = HashSet::new();
    let mut nodes: Vec<(bool, u32)> = graph.nodes().collect();
    nodes.sort_unstable();
    let mut out = Vec::new();
    for start in nodes {
        if !seen.insert(start) {
            continue;
        }
        let (mut instruments, mut objectives) = (Vec::new(), Vec::new());
        let mut stack = vec![start];
        while let Some(n) = stack.pop() {
            if n.0 {
                objectives.push(n.1)
            } else {
                instruments.push(n.1)
            }
            for m in graph.neighbors(n) {
                if seen.insert(m) {
                    stack.push(m);
                }
            }
        }
        instruments.sort_unstable();
        objectives.sort_unstable();
        out.push((instruments, objectives));
    }
    out
}

/// Largest group the Hungarian method is run on; larger groups fall back to each
/// instrument's strongest effect, which the documentation says.
const MAX_ASSIGNMENT_CELLS: usize = 4_000_000;

fn assign(instruments: &[u32], objectives: &[u32], edges: &[(u32, u32, i8)]) -> Vec<Assignment> {
    let weight_of: HashMap<(u32, u32), i64> = edges
        .iter()
        .map(|&(i, o, e)| ((i, o), 1_000 + ((e as f64).ln() * 1_000.0).round() as i64))
        .collect();
    const FORBIDDEN: i64 = -1_000_000_000;
    if instruments.len() * objectives.len() > MAX_ASSIGNMENT_CELLS {
        return instruments
            .iter()
            .filter_map(|&i| {
                objectives
                    .iter()
                    .filter_map(|&o| weight_of.get(&(i, o)).map(|w| (*w, std::cmp::Reverse(o))))
                    .max()
                    .map(|(_, std::cmp::Reverse(o))| Assignment {
                        instrument: i,
                        objective: o,
                    })
            })
            .collect();
    }
    // Rows must not outnumber columns: put the smaller side in rows, pad nothing.
    let rows_are_objectives = objectives.len() <= instruments.len();
    let (rows, cols) = if rows_are_objectives {
        (objectives, instruments)
    } else {
        (instruments, objectives)
    };
    let mut data = Vec::with_capacity(rows.len() * cols.len());
    for &r in rows {
        for &c in cols {
            let key = if rows_are_objectives { (c, r) } else { (r, c) };
            data.push(weight_of.get(&key).copied().unwrap_or(FORBIDDEN));
        }
    }
    let Ok(matrix) = pathfinding::matrix::Matrix::from_vec(rows.len(), cols.len(), data) else {
        return Vec::new();
    };
    let (_, assignment) = pathfinding::kuhn_munkres::kuhn_munkres(&matrix);
    assignment
        .iter()
        .enumerate()
        .filter_map(|(r, &c)| {
            let key = if rows_are_objectives {
                (cols[c], rows[r])
            } else {
                (rows[r], cols[c])
            };
            weight_of.contains_key(&key).then_some(Assignment {
                instrument: key.0,
                objective: key.1,
            })
        })
        .collect()
}

/// The root of `x` in a union-find forest kept as parent positions, compressing the path
/// on the way.
pub(crate) fn find(parent: &mut [u32], x: u32) -> u32 {
    let mut root = x;
    while parent[root as usize] != root {
        root = parent[root as usize];
    }
    let mut at = x;
    while parent[at as usize] != root {
        let next = parent[at as usize];
        parent[at as usize] = root;
        at = next;
    }
    root
}

/// A [`PairFilter`] as a key for the cache of answers.
pub type FilterKey = (Option<u64>, [bool; 4]);

impl PairFilter {
    pub fn key(&self) -> FilterKey {
        (
            self.min_cosine.map(f64::to_bits),
            [self.unlinked, self.connected, self.opposed, self.unjoined],
        )
    }
}

/// Host-side filters for pair questions: each keeps the pairs a rule would keep, so a
/// national workspace hands scripts its few real candidates instead of millions of pairs.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PairFilter {
    /// Target vectors at least this similar (cosine).
    pub min_cosine: Option<f64>,
    /// Lead owners differ, share no owner, no mechanism joins them, and neither instrument
    /// names the other (`coordinated_with`, `requires`, `continues`, `replaces`).
    pub unlinked: bool,
    /// The owners share an agency, or a mechanism joins the lead owners.
    pub connected: bool,
    /// One is expansionary and the other contractionary, and neither requires or is
    /// coordinated with the other.
    pub opposed: bool,
    /// Some agency of one and some other agency of the other, of the same government, are
    /// joined by no mechanism covering one of the shared objectives.
    pub unjoined: bool,
}

impl PolicyGraph {
    /// The lead owner and the co-owners of an instrument, as agency positions.
    pub fn owner_set(&self, i: u32) -> &[u32] {
        let sets = self.owner_sets.get_or_init(|| {
            super::ragged::Ragged::from_rows(self.model.instruments.iter().map(|inst| {
                std::iter::once(&inst.owner)
                    .chain(&inst.co_owners)
                    .filter_map(|id| self.agency_ix.get(&id.value).copied())
            }))
        });
        sets.row(i)
    }

    /// Whether either instrument names the other in `coordinated_with` or `requires`
    /// (and, with `succession`, in `continues` or `replaces`).
    fn names_other(&self, a: u32, b: u32, succession: bool) -> bool {
        let facts = self.pair_facts();
        let names = |x: u32, y: u32| {
            let x = &facts[x as usize];
            x.designed_with.contains(&y) || (succession && x.succeeds.contains(&y))
        };
        names(a, b) || names(b, a)
    }

    /// What the pair questions compare, per instrument, as numbers: built once, so that
    /// millions of candidate pairs compare integers rather than strings.
    fn pair_facts(&self) -> &[PairFacts] {
        self.pair_facts.get_or_init(|| {
            let mut names: HashMap<&str, u32> = HashMap::new();
            let national = intern(&mut names, "national");
            let instrument = |id: &crate::model::Located<crate::model::Text>| {
                self.instrument_ix.get(&id.value).copied()
            };
            self.model
                .instruments
                .iter()
                .map(|inst| {
                    let scope = inst.scope.as_ref().map(|s| InternedScope {
                        sectors: intern_all(&mut names, &s.sectors),
                        regions: intern_all(&mut names, &s.regions),
                    });
                    let stance = match inst.stance.as_ref().map(|s| s.value.as_str()) {
                        Some("expansionary") => 1,
                        Some("contractionary") => -1,
                        _ => 0,
                    };
                    PairFacts {
                        scope,
                        national,
                        stance,
                        designed_with: inst
                            .coordinated_with
                            .iter()
                            .chain(&inst.requires)
                            .filter_map(instrument)
                            .collect(),
                        succeeds: inst
                            .continues
                            .as_deref()
                            .into_iter()
                            .chain(inst.replaces.as_deref())
                            .filter_map(instrument)
                            .collect(),
                    }
                })
                .collect()
        })
    }

    /// The government an agency belongs to, as a number: all central bodies form one;
    /// below central, one per level and region.
    fn government(&self, agency: u32) -> u32 {
        let ids = self.governments.get_or_init(|| {
            let mut seen: HashMap<(&str, &str), u32> = HashMap::new();
            self.model
                .agencies
                .iter()
                .map(|a| {
                    let level = a.level.value.as_str();
                    let region = match level {
                        "central" => "",
                        _ => a.region.as_ref().map_or("", |r| r.value.as_str()),
                    };
                    let next = seen.len() as u32;
                    *seen.entry((level, region)).or_insert(next)
                })
                .collect()
        });
        ids[agency as usize]
    }

    /// Whether a pair passes `filter`.
    pub fn keeps(&self, pair: &Pair, filter: &PairFilter) -> bool {
        self.keeps_instruments(pair.a, pair.b, filter) && (!filter.unjoined || self.unjoined(pair))
    }

    /// The tests of `filter` that do not depend on the objectives a pair shares.
    fn keeps_instruments(&self, a: u32, b: u32, filter: &PairFilter) -> bool {
        if filter.opposed {
            let facts = self.pair_facts();
            let opposite = facts[a as usize].stance * facts[b as usize].stance == -1;
            if !opposite || self.names_other(a, b, false) {
                return false;
            }
        }
        if filter.unlinked || filter.connected {
            let (oa, ob) = (self.owner_set(a), self.owner_set(b));
            let lead = (oa.first().copied(), ob.first().copied());
            let share = oa.iter().any(|x| ob.contains(x));
            let joined = match lead {
                (Some(x), Some(y)) => self.joined_on(x, y, None),
                _ => false,
            };
            if filter.unlinked
                && (lead.0 == lead.1 || share || joined || self.names_other(a, b, true))
            {
                return false;
            }
            if filter.connected && !(share || joined) {
                return false;
            }
        }
        // `unjoined` needs an agency of each side in one government: a test that does not
        // depend on the objectives, so most pairs of a national workspace (agencies of
        // different provinces) are dropped in the sweep instead of being stored first.
        if filter.unjoined && !self.share_a_government(a, b) {
            return false;
        }
        // Last, as the dearest test.
        filter.min_cosine.is_none_or(|min| self.cosine(a, b) >= min)
    }

    /// The pairs of an agency of one and another agency of the other that belong to the
    /// same government.
    fn fellow_agencies(&self, a: u32, b: u32) -> impl Iterator<Item = (u32, u32)> + '_ {
        let (oa, ob) = (self.owner_set(a), self.owner_set(b));
        oa.iter().flat_map(move |&x| {
            ob.iter()
                .filter(move |&&y| x != y && self.government(x) == self.government(y))
                .map(move |&y| (x, y))
        })
    }

    /// Some agency of one and some other agency of the other belong to the same government.
    fn share_a_government(&self, a: u32, b: u32) -> bool {
        self.fellow_agencies(a, b).next().is_some()
    }

    /// Some agency of one and some other agency of the other, of the same government, are
    /// joined by no mechanism covering one of the pair's objectives.
    fn unjoined(&self, pair: &Pair) -> bool {
        self.fellow_agencies(pair.a, pair.b).any(|(x, y)| {
            pair.objectives
                .iter()
                .any(|&o| !self.joined_on(x, y, Some(o)))
        })
    }
}

fn intern<'a>(names: &mut HashMap<&'a str, u32>, name: &'a str) -> u32 {
    let next = names.len() as u32;
    *names.entry(name).or_insert(next)
}

fn intern_all<'a>(
    names: &mut HashMap<&'a str, u32>,
    items: &'a [crate::model::Located<crate::model::Text>],
) -> Names {
    items.iter().map(|x| intern(names, &x.value)).collect()
}

/// One instrument's scope, stance and links, as numbers (see `PolicyGraph::pair_facts`).
#[derive(Debug)]
pub struct PairFacts {
    /// Interned sectors and regions; `None` when no scope is declared.
    scope: Option<InternedScope>,
    /// The interned name of the region that covers every other.
    national: u32,
    /// 1 expansionary, -1 contractionary, 0 otherwise.
    stance: i8,
    /// Instruments named in `coordinated_with` or `requires`.
    designed_with: Box<[u32]>,
    /// Instruments named in `continues` or `replaces`.
    succeeds: Box<[u32]>,
}

/// Most scopes name one or two sectors and regions: kept inline, they take no allocation.
type Names = smallvec::SmallVec<[u32; 2]>;

#[derive(Debug)]
struct InternedScope {
    sectors: Names,
    regions: Names,
}

impl PairFacts {
    /// The (sector, region) of a scope naming exactly one of each, the region not the
    /// national one: two such scopes meet exactly when their buckets are equal.
    fn bucket(&self) -> Option<(u32, u32)> {
        match &self.scope {
            Some(s) => match (&*s.sectors, &*s.regions) {
                ([sector], [region]) if *region != self.national => Some((*sector, *region)),
                _ => None,
            },
            None => None,
        }
    }

    /// The interned sectors of the scope; `None` when no scope is declared.
    fn sectors(&self) -> Option<&[u32]> {
        self.scope.as_ref().map(|s| &*s.sectors)
    }

    /// Whether the scope reaches `region`, a region other than the national one: [`scopes_meet`]
    /// for the regions of a narrow scope, once its sector is known to meet.
    fn meets_region(&self, region: u32) -> bool {
        match &self.scope {
            Some(s) => {
                s.regions.is_empty()
                    || s.regions.contains(&self.national)
                    || s.regions.contains(&region)
            }
            None => true,
        }
    }

    /// [`scopes_meet`], on interned names.
    fn scope_meets(&self, other: &PairFacts) -> bool {
        let meet = |a: &[u32], b: &[u32], everywhere: Option<u32>| {
            a.is_empty()
                || b.is_empty()
                || everywhere.is_some_and(|all| a.contains(&all) || b.contains(&all))
                || a.iter().any(|x| b.contains(x))
        };
        match (&self.scope, &other.scope) {
            (Some(a), Some(b)) => {
                meet(&a.sectors, &b.sectors, None)
                    && meet(&a.regions, &b.regions, Some(self.national))
            }
            _ => true,
        }
    }
}

/// Two agencies of one government acting on an objective through overlapping instruments:
/// `(x, y, instrument of x, instrument of y)`, ids with `x < y`.
pub type AgencyOverlap = (String, String, String, String);

impl PolicyGraph {
    /// For each objective in scope, the pairs of agencies of one government whose
    /// instruments overlap on it (|effect| ≥ `min`), each with the first two instruments
    /// that brought it together, in the order the pairs are found. Instruments designed
    /// together (`coordinated_with`) and agencies that co-own an instrument acting on the
    /// objective are left out, and so are agencies a mechanism covering it joins.
    pub fn agency_overlaps(&self, min: i8) -> BTreeMap<u32, Vec<AgencyOverlap>> {
        let id = |i: u32| self.model.instruments[i as usize].id.value.as_str();
        let agency = |a: u32| self.model.agencies[a as usize].id.value.as_str();
        let mut coordinated: HashSet<(&str, &str)> = HashSet::new();
        let mut co_owning: HashSet<(&str, &str, &str)> = HashSet::new();
        for (i, inst) in self.model.instruments.iter().enumerate() {
            if !self.instrument_in_scope[i] {
                continue;
            }
            for c in &inst.coordinated_with {
                coordinated.insert((inst.id.value.as_str(), c.value.as_str()));
                coordinated.insert((c.value.as_str(), inst.id.value.as_str()));
            }
            let owners: Vec<&str> = std::iter::once(&inst.owner)
                .chain(&inst.co_owners)
                .map(|o| o.value.as_str())
                .collect();
            for t in inst
                .targets
                .iter()
                .filter(|t| t.effect.value.0.abs() >= min)
            {
                for &x in &owners {
                    for &y in owners.iter().filter(|&&y| x < y) {
                        co_owning.insert((t.objective.value.as_str(), x, y));
                    }
                }
            }
        }
        let filter = PairFilter {
            unjoined: true,
            ..Default::default()
        };
        let mut out: BTreeMap<u32, Vec<AgencyOverlap>> = BTreeMap::new();
        let mut seen: HashSet<(u32, &str, &str)> = HashSet::new();
        for pair in self.shared_pairs(min, &filter).iter() {
            if coordinated.contains(&(id(pair.a), id(pair.b))) {
                continue;
            }
            let mut agency_pairs = Vec::new();
            for &x in self.owner_set(pair.a) {
                for &y in self.owner_set(pair.b) {
                    if x == y || self.government(x) != self.government(y) {
                        continue;
                    }
                    let (ax, ay) = (agency(x), agency(y));
                    agency_pairs.push(if ax < ay {
                        (ax, ay, id(pair.a), id(pair.b), x, y)
                    } else {
                        (ay, ax, id(pair.b), id(pair.a), y, x)
                    });
                }
            }
            for &o in &pair.objectives {
                let objective = self.model.objectives[o as usize].id.value.as_str();
                for &(x, y, ix, iy, ax, ay) in &agency_pairs {
                    if co_owning.contains(&(objective, x, y))
                        || self.joined_on(ax, ay, Some(o))
                        || !seen.insert((o, x, y))
                    {
                        continue;
                    }
                    out.entry(o).or_default().push((
                        x.to_owned(),
                        y.to_owned(),
                        ix.to_owned(),
                        iy.to_owned(),
                    ));
                }
            }
        }
        out
    }
}
